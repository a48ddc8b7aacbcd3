"""SLA clocks on the owner's calendar (`calendar: owner`), worked by hand; batch and live
give the same due times.

Contract: the starter (calendar America/New_York, 09:00-18:00, mon-fri, US holidays) with
`slas.speed_to_lead.calendar: owner` (2 business hours, escalating at 2, 4 and 8 business
hours) and routing at MQL by the lead's country: DE → pool `emea` (rep `berlin`), US →
pool `us` (rep `nyc`), anything else → the `triage` queue (no rep: the contract calendar).

Reps: `berlin` — Europe/Berlin, hours unset (the contract's 09:00-18:00, Berlin wall
time), holidays DE; `nyc` — America/New_York, work_hours 08:00-16:00, holidays unset (the
contract's US).

Each lead is created a minute before its MQL moment and becomes an MQL (and is routed, and
its speed-to-lead clock starts) at a `demo_request` touch; nobody touches it after, so
every clock runs until `NOW` and every escalation step fires. Time zones: New York is
UTC-5 (EST) until Sun 2025-03-09 and UTC-4 (EDT) from then to 2 November; Berlin is UTC+1
(CET) until Sun 2025-03-30 and UTC+2 (CEST) from then to 26 October. In the weeks
between the two changes (10-28 March 2025) the cities are 5 hours apart instead of 6.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
import yaml

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.schema import Contract
from accord.engine.batch import run
from accord.engine.live import Engine, LeadCreated, Touch
from accord.engine.routing import Router
from accord.engine.sla_clock import compute_sla_clocks, owner_calendars
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text

NOW = datetime(2025, 12, 31, 12, 0)
MIN = timedelta(minutes=1)


def contract() -> CompiledContract:
    data = yaml.safe_load(starter_contract_text())
    data["slas"]["speed_to_lead"]["calendar"] = "owner"
    data["routing"] = {
        "stage": "MQL",
        "pools": {"emea": {"members": ["berlin"]}, "us": {"members": ["nyc"]}},
        "rules": [{"name": "emea", "when": "country == 'DE'", "to": {"pool": "emea"}},
                  {"name": "us", "when": "country == 'US'", "to": {"pool": "us"}}],
        "fallback_queue": "triage",
    }
    return compile_contract(Contract.model_validate(data))


REPS = [
    {"rep_id": "berlin", "name": "Berlin", "role": "sdr", "timezone": "Europe/Berlin",
     "holidays": "DE"},
    {"rep_id": "nyc", "name": "NYC", "role": "sdr", "timezone": "America/New_York",
     "work_hours": "08:00-16:00"},
]
ACCOUNT = {"account_id": "A1", "name": "Fit Co", "industry": "software", "employees": 200,
           "country": "US"}

#: lead -> (country, MQL moment in UTC, hand-worked speed-to-lead due time in UTC)
CASES: dict[str, tuple[str, datetime, datetime]] = {
    # Berlin rep under the New York contract calendar. Tue 14 Jan 16:30 UTC is 17:30 in
    # Berlin (CET): 30 min to 18:00, then 90 min from Wed 09:00 → Wed 10:30 CET = 09:30 UTC.
    # (On the contract calendar it would be 11:30 EST + 2 h = 13:30 EST = 18:30 UTC Tue.)
    "L_ber": ("DE", datetime(2025, 1, 14, 16, 30), datetime(2025, 1, 15, 9, 30)),
    # New York rep working 08:00-16:00. Tue 14 Jan 20:30 UTC is 15:30 EST: 30 min to 16:00,
    # then 90 min from Wed 08:00 → Wed 09:30 EST = 14:30 UTC.
    "L_nyc": ("US", datetime(2025, 1, 14, 20, 30), datetime(2025, 1, 15, 14, 30)),
    # Across the EU change (Sun 30 March). Fri 28 Mar 16:30 UTC is 17:30 CET: 30 min on
    # Friday, then 90 min from Mon 31 Mar 09:00 CEST → 10:30 CEST = 08:30 UTC (not 09:30:
    # Berlin moved to UTC+2 over the weekend).
    "L_ber_dst": ("DE", datetime(2025, 3, 28, 16, 30), datetime(2025, 3, 31, 8, 30)),
    # The gap week. Fri 7 Mar 21:30 UTC. No rep (Brazil → triage queue): the contract
    # calendar, 16:30 EST: 90 min to 18:00, then 30 min from Mon 10 Mar 09:00 EDT (New York
    # moved on Sun 9 March) → 09:30 EDT = 13:30 UTC.
    "L_queue_dst": ("BR", datetime(2025, 3, 7, 21, 30), datetime(2025, 3, 10, 13, 30)),
    # The same moment for the Berlin rep: 22:30 CET Friday is after hours, so 2 h from
    # Mon 10 Mar 09:00 CET → 11:00 CET = 10:00 UTC — 3 h 30 before the contract's due time,
    # the cities being 5 h apart that week.
    "L_ber_gap": ("DE", datetime(2025, 3, 7, 21, 30), datetime(2025, 3, 10, 10, 0)),
    # A holiday in the rep's calendar only. Thu 2 Oct 15:00 UTC is 17:00 CEST: 60 min on
    # Thursday; Fri 3 Oct is German Unity Day (DE, not US); weekend; 60 min from Mon 6 Oct
    # 09:00 CEST → 10:00 CEST = 08:00 UTC. (Contract: 11:00 EDT + 2 h = 17:00 UTC Thu.)
    "L_ber_hol": ("DE", datetime(2025, 10, 2, 15, 0), datetime(2025, 10, 6, 8, 0)),
    # A holiday in the contract calendar only. Fri 10 Oct 21:00 UTC is 17:00 EDT: 60 min on
    # Friday; Mon 13 Oct is Columbus Day (US, not DE) → 60 min from Tue 14 Oct 09:00 EDT →
    # 10:00 EDT = 14:00 UTC.
    "L_queue_hol": ("BR", datetime(2025, 10, 10, 21, 0), datetime(2025, 10, 14, 14, 0)),
    # The same moment for the Berlin rep: 23:00 CEST Friday is after hours; Monday 13 Oct
    # is a working day in Berlin → 09:00 + 2 h = 11:00 CEST = 09:00 UTC.
    "L_ber_col": ("DE", datetime(2025, 10, 10, 21, 0), datetime(2025, 10, 13, 9, 0)),
}
OWNERS = {"DE": "berlin", "US": "nyc", "BR": None}


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


def live_engine(c: CompiledContract) -> tuple[Engine, dict[str, datetime], list[Any]]:
    """Replay the cases live; the speed-to-lead deadline each lead got at its MQL, and the
    stage events the engine emitted (the facts the batch reads)."""
    reps = facts("reps", REPS)
    engine = Engine(c, accounts={"A1": ACCOUNT}, clock=lambda: NOW,
                    router=Router.from_tables(c, reps), owner_calendars=owner_calendars(c, reps))
    due: dict[str, datetime] = {}
    emitted: list[Any] = []
    for lead, (country, mql, _) in CASES.items():
        created = engine.handle(LeadCreated(lead, mql - MIN, email=f"{lead}@fit.io",
                                            channel="web", country=country, account_id="A1"))
        emitted += created.events_emitted
        decision = engine.handle(Touch(f"T_{lead}", lead, "demo_request", mql))
        assert decision.stage == "MQL"
        assert decision.owner == (OWNERS[country] or "queue:triage")
        emitted += decision.events_emitted
        due[lead] = decision.sla_deadlines["speed_to_lead"]
    return engine, due, emitted


def write_facts(store: Store, emitted: list[Any]) -> None:
    store.write_facts({
        "reps": facts("reps", REPS),
        "accounts": facts("accounts", [ACCOUNT]),
        "leads": facts("leads", [
            {"lead_id": lead, "email": f"{lead}@fit.io", "channel": "web", "country": country,
             "account_id": "A1", "created_at": mql - MIN}
            for lead, (country, mql, _) in CASES.items()]),
        "touches": facts("touches", [
            {"touch_id": f"T_{lead}", "lead_id": lead, "signal": "demo_request",
             "occurred_at": mql} for lead, (_, mql, _) in CASES.items()]),
        "stage_events": facts("stage_events", [e.as_row() for e in emitted
                                               if e.from_stage is not None]),
    })


def test_live_deadlines_are_the_hand_worked_due_times() -> None:
    _, due, _ = live_engine(contract())
    assert due == {lead: expected for lead, (_, _, expected) in CASES.items()}


def test_batch_gives_the_same_due_times_as_live_in_both_views(store: Store) -> None:
    c = contract()
    _, live_due, emitted = live_engine(c)
    write_facts(store, emitted)
    summary = run(store, c, NOW)
    routed = {r["lead_id"]: r["owner"] for r in summary.routing.assignments.to_pylist()} \
        if summary.routing is not None else {}
    assert routed == {lead: OWNERS[country] or "queue:triage"
                      for lead, (country, _, _) in CASES.items()}
    for view in ("actual", "derived"):
        clocks = compute_sla_clocks(store, c, NOW, view=view)
        rows = {r["lead_id"]: r for r in clocks.states.to_pylist()
                if r["sla"] == "speed_to_lead"}
        assert {k: r["due_at"] for k, r in rows.items()} == live_due, view
        # whose calendar ran each clock: the routed rep; none for the queue
        assert {k: r["calendar_owner"] for k, r in rows.items()} == {
            lead: OWNERS[country] for lead, (country, _, _) in CASES.items()}
    stored = store.derived("sla_states").to_pyarrow().to_pylist()
    assert {r["lead_id"]: r["due_at"] for r in stored if r["sla"] == "speed_to_lead"} \
        == live_due


def test_other_slas_stay_on_the_contract_calendar(store: Store) -> None:
    # accept_or_reject (2 business days, `calendar: contract`) for L_ber: Tue 14 Jan 11:30
    # EST → the same time two working days later, Thu 16 Jan 11:30 EST = 16:30 UTC.
    c = contract()
    _, _, emitted = live_engine(c)
    write_facts(store, emitted)
    run(store, c, NOW)
    clocks = compute_sla_clocks(store, c, NOW)
    row = next(r for r in clocks.states.to_pylist()
               if r["sla"] == "accept_or_reject" and r["lead_id"] == "L_ber")
    assert (row["due_at"], row["calendar_owner"]) == (datetime(2025, 1, 16, 16, 30), None)


def test_escalations_run_on_the_owners_calendar(store: Store) -> None:
    # L_ber (MQL Tue 14 Jan 17:30 CET): step 1 at 2 business hours = the due time, Wed 09:30
    # UTC; step 2 at 4: 30 min Tue + 210 min Wed from 09:00 → 12:30 CET = 11:30 UTC; step 3
    # at 8: 30 + 450 → Wed 16:30 CET = 15:30 UTC.
    # L_queue_hol (contract calendar, Fri 10 Oct 17:00 EDT): step 2 at 4 h: 60 min Fri, Mon
    # a US holiday, 180 min from Tue 09:00 → 12:00 EDT = 16:00 UTC.
    c = contract()
    _, _, emitted = live_engine(c)
    write_facts(store, emitted)
    run(store, c, NOW)
    steps = {(r["lead_id"], r["step"]): r["at"]
             for r in compute_sla_clocks(store, c, NOW).escalations.to_pylist()}
    assert [steps["L_ber", k] for k in (1, 2, 3)] == [
        datetime(2025, 1, 15, 9, 30), datetime(2025, 1, 15, 11, 30),
        datetime(2025, 1, 15, 15, 30)]
    assert steps["L_queue_hol", 2] == datetime(2025, 10, 14, 16, 0)


def test_a_lead_routed_after_its_clock_started_runs_on_the_contract_calendar(
        store: Store) -> None:
    # With routing at SAL the speed-to-lead clock (MQL) starts before anyone owns the lead:
    # L_ber's clock runs on the contract calendar, 11:30 EST + 2 h = 18:30 UTC Tue, live
    # and batch alike.
    data = contract().source.model_dump(by_alias=True, exclude_none=True)
    data["routing"]["stage"] = "SAL"
    late = compile_contract(Contract.model_validate(data))
    _, due, emitted = live_engine_without_owner_check(late)
    assert due["L_ber"] == datetime(2025, 1, 14, 18, 30)
    write_facts(store, emitted)
    run(store, late, NOW)
    row = next(r for r in compute_sla_clocks(store, late, NOW).states.to_pylist()
               if r["sla"] == "speed_to_lead" and r["lead_id"] == "L_ber")
    assert (row["due_at"], row["calendar_owner"]) == (due["L_ber"], None)


def live_engine_without_owner_check(c: CompiledContract
                                    ) -> tuple[Engine, dict[str, datetime], list[Any]]:
    reps = facts("reps", REPS)
    engine = Engine(c, accounts={"A1": ACCOUNT}, clock=lambda: NOW,
                    router=Router.from_tables(c, reps), owner_calendars=owner_calendars(c, reps))
    due: dict[str, datetime] = {}
    emitted: list[Any] = []
    for lead, (country, mql, _) in CASES.items():
        emitted += engine.handle(LeadCreated(lead, mql - MIN, email=f"{lead}@fit.io",
                                             channel="web", country=country,
                                             account_id="A1")).events_emitted
        decision = engine.handle(Touch(f"T_{lead}", lead, "demo_request", mql))
        assert decision.owner is None  # not routed until SAL
        emitted += decision.events_emitted
        due[lead] = decision.sla_deadlines["speed_to_lead"]
    return engine, due, emitted


def test_a_rep_with_a_calendar_accord_cannot_use_is_named() -> None:
    from accord.errors import UsageError

    bad = facts("reps", [{"rep_id": "mars", "name": "M", "role": "sdr",
                          "timezone": "Mars/Olympus_Mons"}])
    with pytest.raises(UsageError, match="rep 'mars'"):
        owner_calendars(contract(), bad)
