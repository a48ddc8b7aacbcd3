"""SLA clocks on hand-made facts, on every store backend; live and batch agree.

Calendar: the starter contract's (America/New_York, 09:00-18:00, mon-fri, US holidays).
`now` is Tue 2025-01-14 10:00 New York unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.schema import Contract
from accord.engine.sla_clock import (
    SlaClocks,
    breached_leads,
    clock_arrays,
    compute_sla_clocks,
    rank_reps,
    read_escalations,
    read_sla,
    shares_by_rep,
    store_sla_clocks,
    summarise,
)
from accord.facts import FACT_TABLES
from accord.store import Store, open_store
from accord.store.as_of import latest_fact_time
from accord.workspace import starter_contract_text


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Naive UTC of a New York wall time."""
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(UTC).replace(tzinfo=None)


NOW = ny(2025, 1, 14, 10, 0)


def contract(**slas: Any) -> CompiledContract:
    data = yaml.safe_load(starter_contract_text())
    if slas:
        data["slas"] = slas
    return compile_contract(Contract.model_validate(data))


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())


class Facts:
    """Tiny builder for hand-made facts."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {"leads": [], "activities": [],
                                                      "stage_events": [], "reps": []}

    def lead(self, lead_id: str, created: datetime) -> None:
        self.rows["leads"].append({"lead_id": lead_id, "email": f"{lead_id}@x.com",
                                   "channel": "webinar", "created_at": created})

    def rep(self, rep_id: str, manager: str | None = None, role: str = "sdr",
            timezone: str | None = None) -> None:
        self.rows["reps"].append({"rep_id": rep_id, "name": rep_id.upper(), "role": role,
                                  "manager_id": manager, "timezone": timezone})

    def stage(self, lead: str, frm: str | None, to: str, at: datetime,
              actor: str = "marketing_automation", reason: str | None = None) -> None:
        n = len(self.rows["stage_events"])
        self.rows["stage_events"].append({"event_id": f"E{n:03}", "lead_id": lead,
                                          "from_stage": frm, "to_stage": to,
                                          "occurred_at": at, "actor": actor,
                                          "reason": reason})

    def touch(self, lead: str, rep: str, at: datetime) -> None:
        n = len(self.rows["activities"])
        self.rows["activities"].append({"activity_id": f"A{n:03}", "lead_id": lead,
                                        "rep_id": rep, "kind": "call", "occurred_at": at})

    def write(self, store: Store) -> None:
        store.write_facts({k: table(k, v) for k, v in self.rows.items() if v})


def scenario() -> Facts:
    f = Facts()
    f.rep("r1", "m1", timezone="US/Eastern")  # the calendar's zone under another name
    f.rep("r2", "m1", timezone="America/Los_Angeles")
    f.rep("m1", role="manager")
    for lead in ("L1", "L2", "L3", "L4", "L5", "L7", "L8", "L9"):
        f.lead(lead, ny(2024, 12, 1, 9, 0))
    # L1: MQL Fri 17:30, r1 touches Mon 10:15 (a touch before the MQL is ignored),
    #     accepted Mon 12:00, then 5 follow-up touches, the 5th Tue 09:00.
    f.touch("L1", "r2", ny(2025, 1, 9, 12, 0))
    f.stage("L1", "Lead", "MQL", ny(2025, 1, 10, 17, 30))
    f.touch("L1", "r1", ny(2025, 1, 13, 10, 15))
    f.stage("L1", "MQL", "SAL", ny(2025, 1, 13, 12, 0), actor="r1")
    for h in (13, 14, 15, 16):
        f.touch("L1", "r1", ny(2025, 1, 13, h, 0))
    f.touch("L1", "r1", ny(2025, 1, 14, 9, 0))
    # L2: MQL Fri 17:30, r2 touches Mon 10:45; rejected to Nurture (timing) Mon 11:00.
    f.stage("L2", "Lead", "MQL", ny(2025, 1, 10, 17, 30))
    f.touch("L2", "r2", ny(2025, 1, 13, 10, 45))
    f.stage("L2", "MQL", "Nurture", ny(2025, 1, 13, 11, 0), actor="r2", reason="timing")
    # L3: MQL Mon 16:00, never touched; r1 disqualifies Tue 09:30 without a reason.
    f.stage("L3", "Lead", "MQL", ny(2025, 1, 13, 16, 0))
    f.stage("L3", "MQL", "Disqualified", ny(2025, 1, 14, 9, 30), actor="r1")
    # L4: MQL Tue 09:30; the touch at 11:00 is after `now`.
    f.stage("L4", "Lead", "MQL", ny(2025, 1, 14, 9, 30))
    f.touch("L4", "r1", ny(2025, 1, 14, 11, 0))
    # L5: MQL Mon 09:00, r2 touches Mon 13:30.
    f.stage("L5", "Lead", "MQL", ny(2025, 1, 13, 9, 0))
    f.touch("L5", "r2", ny(2025, 1, 13, 13, 30))
    # L7: MQL Thu 01-09 10:00, r1 touches 10:30, never decided.
    f.stage("L7", "Lead", "MQL", ny(2025, 1, 9, 10, 0))
    f.touch("L7", "r1", ny(2025, 1, 9, 10, 30))
    # L8: SAL Thu 2025-01-02 12:00 with only two touches (follow-up due 01-12 12:00).
    f.stage("L8", "MQL", "SAL", ny(2025, 1, 2, 12, 0), actor="r2")
    f.touch("L8", "r2", ny(2025, 1, 3, 12, 0))
    f.touch("L8", "r2", ny(2025, 1, 6, 12, 0))
    # L9: MQL Tue 2024-12-31 20:00 New York (= 01:00 UTC on Jan 1): a December MQL.
    f.stage("L9", "Lead", "MQL", ny(2024, 12, 31, 20, 0))
    f.stage("L9", "MQL", "SAL", ny(2025, 1, 2, 10, 0), actor="r2")
    # L8 re-enters MQL later; its SAL clock keeps the first entry.
    f.stage("L8", "Nurture", "MQL", ny(2025, 1, 13, 9, 0))
    return f


def states_by_lead(clocks: SlaClocks, sla: str) -> dict[str, dict[str, Any]]:
    t = clocks.states.filter(pa.compute.equal(clocks.states.column("sla"), sla))
    return {r["lead_id"]: r for r in t.to_pylist()}


@pytest.fixture
def clocks(store: Store) -> SlaClocks:
    scenario().write(store)
    return compute_sla_clocks(store, contract(), now=NOW)


# -- first touch -------------------------------------------------------------------------------
def test_first_touch_status_due_and_elapsed(clocks: SlaClocks) -> None:
    s = states_by_lead(clocks, "speed_to_lead")
    assert set(s) == {"L1", "L2", "L3", "L4", "L5", "L7", "L8", "L9"}
    # L1: Fri 17:30 + 2h → Mon 10:30 (30 Fri + 90 Mon); touched 10:15: 30 + 75 = 105 → met
    assert (s["L1"]["status"], s["L1"]["due_at"]) == ("met", ny(2025, 1, 13, 10, 30))
    assert s["L1"]["elapsed_minutes"] == 105 and s["L1"]["rep_id"] == "r1"
    assert s["L1"]["stopped_at"] == ny(2025, 1, 13, 10, 15)
    # L2: touched Mon 10:45: 30 + 105 = 135 → breached, 15 over
    assert (s["L2"]["status"], s["L2"]["elapsed_minutes"]) == ("breached", 135)
    assert s["L2"]["overdue_minutes"] == 15
    # L3: Mon 16:00 + 2h = Mon 18:00; untouched at Tue 10:00: 120 + 60 = 180 → breached;
    #     its rep is the actor of the next stage event (r1)
    assert (s["L3"]["status"], s["L3"]["due_at"]) == ("breached", ny(2025, 1, 13, 18, 0))
    assert s["L3"]["stopped_at"] is None and s["L3"]["elapsed_minutes"] == 180
    assert s["L3"]["rep_id"] == "r1"
    # L4: Tue 09:30, due 11:30; the 11:00 touch is after now → open, 30 minutes so far
    assert (s["L4"]["status"], s["L4"]["due_at"]) == ("open", ny(2025, 1, 14, 11, 30))
    assert s["L4"]["elapsed_minutes"] == 30 and s["L4"]["stopped_at"] is None
    # L5: Mon 09:00 → due 11:00, touched 13:30 → breached (270 min, 150 over)
    assert (s["L5"]["status"], s["L5"]["elapsed_minutes"]) == ("breached", 270)
    # L8: its first MQL is Mon 01-13 09:00 (from Nurture); untouched since → breached,
    #     9 h Mon + 1 h Tue = 600 min; no rep after that MQL
    assert (s["L8"]["status"], s["L8"]["elapsed_minutes"], s["L8"]["rep_id"]) == (
        "breached", 600, None)
    # L9: MQL Tue 12-31 20:00 (after hours) → due Thu 01-02 11:00 (01-01 is a holiday);
    #     never touched → breached; r2 accepted it (next stage event) → r2
    assert (s["L9"]["status"], s["L9"]["due_at"], s["L9"]["rep_id"]) == (
        "breached", ny(2025, 1, 2, 11, 0), "r2")


def test_escalation_steps_become_events_at_their_times(clocks: SlaClocks) -> None:
    ev = [(r["lead_id"], r["step"], r["at"], r["action"], r["notify"], r["recipient"])
          for r in clocks.escalations.to_pylist()]
    # Ladder: 2 bh notify rep, 4 bh notify manager, 8 bh reassign; fires if untouched then.
    assert ev == [
        # L9: Tue 12-31 20:00 (after hours; 01-01 is a holiday) → Thu 01-02 09:00 + 2, 4, 8 h;
        #     its rep is r2, who accepted it (the next stage event), r2's manager is m1
        ("L9", 1, ny(2025, 1, 2, 11, 0), "notify", "rep", "r2"),
        ("L9", 2, ny(2025, 1, 2, 13, 0), "notify", "manager", "m1"),
        ("L9", 3, ny(2025, 1, 2, 17, 0), "reassign", None, None),
        # L2 (Fri 17:30): step 1 at Mon 10:30, touched 10:45 → only step 1
        ("L2", 1, ny(2025, 1, 13, 10, 30), "notify", "rep", "r2"),
        # L5 (Mon 09:00): 11:00 and 13:00 fire; touched 13:30 before step 3 (17:00)
        ("L5", 1, ny(2025, 1, 13, 11, 0), "notify", "rep", "r2"),
        # L8 (Mon 09:00, never touched): 11:00, 13:00, 17:00
        ("L8", 1, ny(2025, 1, 13, 11, 0), "notify", "rep", None),
        ("L5", 2, ny(2025, 1, 13, 13, 0), "notify", "manager", "m1"),
        ("L8", 2, ny(2025, 1, 13, 13, 0), "notify", "manager", None),
        ("L8", 3, ny(2025, 1, 13, 17, 0), "reassign", None, None),
        # L3 (Mon 16:00, never touched): Mon 18:00; step 2 = Tue 11:00 is after now
        ("L3", 1, ny(2025, 1, 13, 18, 0), "notify", "rep", "r1"),
    ]


def test_live_escalations_match_the_batch_events(clocks: SlaClocks) -> None:
    c = contract()
    sla = c.slas["speed_to_lead"]
    cal = c.calendar
    batch = sorted((r["lead_id"], r["step"], r["at"], r["action"], r["notify"])
                   for r in clocks.escalations.to_pylist())
    live = sorted((row["lead_id"], e.step, e.at, e.action, e.notify)
                  for row in states_by_lead(clocks, "speed_to_lead").values()
                  for e in read_escalations(sla, cal, row["start_at"], row["stopped_at"],
                                            NOW))
    assert live == batch and len(live) == 10


# -- accept or reject ----------------------------------------------------------------------------
def test_decision_stages_come_from_stage_owners() -> None:
    d = contract().slas["accept_or_reject"]
    assert (d.start, d.accept, d.reject) == ("MQL", ("SAL",), ("Nurture", "Disqualified"))


def test_accept_or_reject_status(clocks: SlaClocks) -> None:
    s = states_by_lead(clocks, "accept_or_reject")
    # 2 business days = 18 business hours.
    # L1: Fri 17:30 → due Tue 17:30; accepted Mon 12:00 → met (30 + 180 = 210 min)
    assert (s["L1"]["status"], s["L1"]["due_at"]) == ("met", ny(2025, 1, 14, 17, 30))
    assert s["L1"]["elapsed_minutes"] == 210
    # L2: rejected with a reason Mon 11:00 → met
    assert (s["L2"]["status"], s["L2"]["stopped_at"]) == ("met", ny(2025, 1, 13, 11, 0))
    # L3: disqualified without a reason does not count → open (due Wed 16:00)
    assert (s["L3"]["status"], s["L3"]["due_at"]) == ("open", ny(2025, 1, 15, 16, 0))
    # L7: Thu 10:00 → due Mon 10:00, undecided → breached; rep from its first touch (r1)
    assert (s["L7"]["status"], s["L7"]["due_at"], s["L7"]["rep_id"]) == (
        "breached", ny(2025, 1, 13, 10, 0), "r1")


# -- minimum touches ---------------------------------------------------------------------------
def test_min_touches_status(clocks: SlaClocks) -> None:
    s = states_by_lead(clocks, "follow_up")
    assert set(s) == {"L1", "L8", "L9"}
    # L1: SAL Mon 12:00; touches 13, 14, 15, 16 Mon and the 5th Tue 09:00 → met.
    #     10 days is wall-clock: due 01-23 12:00; elapsed 21 h = 1260 wall minutes.
    assert (s["L1"]["status"], s["L1"]["stopped_at"]) == ("met", ny(2025, 1, 14, 9, 0))
    assert s["L1"]["due_at"] == ny(2025, 1, 23, 12, 0) and s["L1"]["elapsed_minutes"] == 1260
    # L8: SAL Thu 01-02 12:00, two touches → due 01-12 12:00 → breached
    assert (s["L8"]["status"], s["L8"]["due_at"]) == ("breached", ny(2025, 1, 12, 12, 0))
    # L9: SAL Thu 01-02 10:00, no touches → breached, no rep
    assert (s["L9"]["status"], s["L9"]["rep_id"]) == ("breached", None)


# -- volume ------------------------------------------------------------------------------------
def test_volume_months_use_local_time_and_decided_leads(store: Store) -> None:
    scenario().write(store)
    c = contract(mql_volume={"kind": "volume", "stage": "MQL", "per_month": 1,
                             "min_acceptance": 0.5})
    clocks = compute_sla_clocks(store, c, now=NOW)
    months = [(m.month, m.entered, m.accepted, m.rejected, m.acceptance, m.status)
              for m in clocks.volume]
    # Dec: L9 only (20:00 NY on 12-31 is 01:00 UTC on 01-01), accepted → 1 ≥ 1, 1/1 ≥ 0.5.
    # Jan (still running): L1, L2, L3, L4, L5, L7, L8 = 7; L1 accepted, L2 rejected with a
    # reason (L3's disqualification has none) → 1 / 2.
    assert months == [("2024-12", 1, 1, 0, 1.0, "met"), ("2025-01", 7, 1, 1, 0.5, "open")]
    c = contract(mql_volume={"kind": "volume", "stage": "MQL", "per_month": 2})
    assert [m.status for m in compute_sla_clocks(store, c, now=NOW).volume] == [
        "breached", "open"]


# -- summaries -------------------------------------------------------------------------------
def test_summary_and_rep_ranking(clocks: SlaClocks) -> None:
    summary = {s.sla: s for s in summarise(clocks)}
    stl = summary["speed_to_lead"]
    # met: L1, L7; breached: L2, L3, L5, L8, L9; open: L4
    assert (stl.met, stl.breached, stl.open, stl.leads) == (2, 5, 1, 8)
    assert stl.share_within == pytest.approx(2 / 7)
    reps = rank_reps(clocks)
    # r2: speed L2, L5, L9 breached; accept L2, L9 met (L5 open); follow_up L8 breached
    #     → 4 of 6
    # r1: speed L1 met, L3 breached, L7 met; accept L1 met, L7 breached (L3 open);
    #     follow_up L1 met → 2 of 6
    assert [(r.rep_id, r.breached, r.decided) for r in reps] == [("r2", 4, 6), ("r1", 2, 6)]
    assert reps[0].by_sla == {"accept_or_reject": 0, "follow_up": 1, "speed_to_lead": 3}
    assert reps[0].name == "R2"
    # the clocks run on New York hours; r2 works Los Angeles hours, r1 New York's
    assert [(r.rep_id, r.timezone, r.off_calendar) for r in reps] == [
        ("r2", "America/Los_Angeles", True), ("r1", "US/Eastern", False)]
    worst = breached_leads(clocks, limit=2).to_pylist()
    # most overdue first, each on its own clock. L9 speed_to_lead: business time from
    # Tue 12-31 20:00 to Tue 01-14 10:00 = 9 + 9 + 5 × 9 + 9 + 1 = 73 h = 4380 min, 4260 over;
    # L9 follow_up: 12 wall-clock days since SAL, 2 days = 2880 min over; L8 follow_up 2760.
    assert [(r["sla"], r["lead_id"], r["overdue_minutes"]) for r in worst] == [
        ("speed_to_lead", "L9", 4260), ("follow_up", "L9", 2880)]


def test_clocks_are_stored_as_derived_tables(store: Store, clocks: SlaClocks) -> None:
    store_sla_clocks(store, clocks)
    states = store.derived("sla_states").to_pyarrow()
    assert states.num_rows == clocks.states.num_rows
    assert sorted(states.column("status").to_pylist()) == sorted(
        clocks.states.column("status").to_pylist())
    assert store.derived("sla_escalations").count().execute() == 10


def test_now_defaults_to_the_latest_fact(store: Store) -> None:
    assert latest_fact_time(store) is None
    scenario().write(store)
    assert latest_fact_time(store) == ny(2025, 1, 14, 11, 0)  # L4's touch
    assert compute_sla_clocks(store, contract()).now == ny(2025, 1, 14, 11, 0)


# -- live = batch ------------------------------------------------------------------------------
def test_live_reading_matches_the_batch_row(clocks: SlaClocks) -> None:
    c = contract()
    for row in clocks.states.to_pylist():
        live = read_sla(c.slas[row["sla"]], c.calendar, row["start_at"], row["stopped_at"],
                        NOW)
        assert (live.status, live.due_at, live.stopped_at, live.elapsed_minutes,
                live.wall_minutes) == (row["status"], row["due_at"], row["stopped_at"],
                                       row["elapsed_minutes"], row["wall_minutes"])


def test_stop_exactly_at_the_due_time_is_met() -> None:
    cal = contract().calendar
    sla = contract().slas["speed_to_lead"]
    r = read_sla(sla, cal, ny(2025, 1, 10, 17, 30), ny(2025, 1, 13, 10, 30), NOW)
    assert (r.status, r.elapsed_minutes, r.overdue_minutes) == ("met", 120, 0)
    # one microsecond later is breached
    r = read_sla(sla, cal, ny(2025, 1, 10, 17, 30),
                 ny(2025, 1, 13, 10, 30) + timedelta(microseconds=1), NOW)
    assert r.status == "breached"
    # still untouched exactly at the due time: open
    r = read_sla(sla, cal, ny(2025, 1, 10, 17, 30), None, ny(2025, 1, 13, 10, 30))
    assert r.status == "open"


lead_times = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2025, 2, 28))
_shared: list[Store] = []


def shared_duckdb() -> Store:
    """One in-memory DuckDB store for all hypothesis examples (each uses fresh lead ids)."""
    if not _shared:
        _shared.append(open_store("duckdb://"))
    return _shared[0]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.data_too_large])
@given(leads=st.lists(st.tuples(lead_times, st.none() | st.integers(0, 60 * 24 * 6)),
                      min_size=1, max_size=12),
       now=lead_times)
def test_batch_on_duckdb_equals_live_one_lead_at_a_time(
        leads: list[tuple[datetime, int | None]], now: datetime) -> None:
    c = contract(speed_to_lead={"kind": "first_touch", "start": "MQL",
                                "within": "2 business_hours"})
    sla = c.slas["speed_to_lead"]
    cal = c.calendar
    store = shared_duckdb()
    run = f"H{store.counts()['leads']}_"
    f = Facts()
    for i, (mql, touch_after) in enumerate(leads):
        f.lead(f"{run}{i}", mql)
        f.stage(f"{run}{i}", "Lead", "MQL", mql)
        if touch_after is not None:
            f.touch(f"{run}{i}", "r1", mql + timedelta(minutes=touch_after))
    for rows, key in ((f.rows["stage_events"], "event_id"), (f.rows["activities"],
                                                             "activity_id")):
        for r in rows:
            r[key] = run + r[key]
    f.write(store)
    batch = states_by_lead(compute_sla_clocks(store, c, now=now), "speed_to_lead")
    for i, (mql, touch_after) in enumerate(leads):
        touch = None if touch_after is None else mql + timedelta(minutes=touch_after)
        live_applies = mql <= now
        assert (f"{run}{i}" in batch) == live_applies
        if not live_applies:
            continue
        live = read_sla(sla, cal, mql, touch, now)
        row = batch[f"{run}{i}"]
        assert (row["status"], row["due_at"], row["stopped_at"], row["elapsed_minutes"]) == (
            live.status, live.due_at, live.stopped_at, live.elapsed_minutes)


def test_clock_arrays_handle_many_leads_without_a_loop() -> None:
    cal = contract().calendar
    sla = contract().slas["speed_to_lead"]
    assert sla.within is not None
    start = np.array([ny(2025, 1, 10, 17, 30)] * 3, dtype="datetime64[us]")
    stop = np.array([ny(2025, 1, 13, 10, 15), "NaT", ny(2025, 1, 15, 9, 0)],
                    dtype="datetime64[us]")
    out = clock_arrays(sla.within, cal, start, stop, NOW)
    # met; untouched past due → breached; touch after now → not stopped yet, breached
    assert out.status.tolist() == [1, 2, 2]
    assert np.isnat(out.stopped_at[2])


# -- per rep, wall-clock minutes, views ----------------------------------------------------------
def test_shares_by_rep_count_each_responsible_reps_clocks(clocks: SlaClocks) -> None:
    by_rep = shares_by_rep(clocks)
    # speed_to_lead: r1 met L1, L7 and breached L3 → 2 / 3; r2 breached L2, L5, L9 → 0;
    # no rep: L8 breached, L4 open (its touch comes after now) → 0 / 1; open counts nowhere
    assert [(r.rep_id, r.met, r.breached, r.open, r.share_within)
            for r in by_rep["speed_to_lead"]] == [
        ("r1", 2, 1, 0, pytest.approx(2 / 3)), ("r2", 0, 3, 0, 0.0), (None, 0, 1, 1, 0.0)]
    # follow_up: r1 met L1; r2 breached L8; L9 without a rep breached
    assert [(r.rep_id, r.met, r.breached) for r in by_rep["follow_up"]] == [
        ("r1", 1, 0), ("r2", 0, 1), (None, 0, 1)]
    # the overall share is the same count over every rep
    overall = {s.sla: s for s in summarise(clocks)}["speed_to_lead"]
    assert (overall.met, overall.breached) == (
        sum(r.met for r in by_rep["speed_to_lead"]),
        sum(r.breached for r in by_rep["speed_to_lead"]))


def test_wall_minutes_run_start_to_stop_or_now(clocks: SlaClocks) -> None:
    s = states_by_lead(clocks, "speed_to_lead")
    # L1: Fri 17:30 → Mon 10:15 = 2 days 16 h 45 = 3,885 wall minutes (105 business)
    assert (s["L1"]["wall_minutes"], s["L1"]["elapsed_minutes"]) == (3885, 105)
    # L4: still running: Tue 09:30 → now 10:00 = 30
    assert s["L4"]["wall_minutes"] == 30


def _history_from(f: Facts, moved: dict[str, datetime]) -> pa.Table:
    """A derived `stage_history` with the scenario's stage events, MQL moves of the leads
    in `moved` at the time given there."""
    rows = []
    for lead in sorted({e["lead_id"] for e in f.rows["stage_events"]}):
        events = [e for e in f.rows["stage_events"] if e["lead_id"] == lead]
        for e in events:
            at = moved.get(lead, e["occurred_at"]) if e["to_stage"] == "MQL" else \
                e["occurred_at"]
            rows.append({"lead_id": lead, "from_stage": e["from_stage"],
                         "to_stage": e["to_stage"], "occurred_at": at, "source": "stage_event",
                         "fact_id": e["event_id"], "actor": e["actor"], "reason": e["reason"],
                         "legal": True})
    rows.sort(key=lambda r: (r["lead_id"], r["occurred_at"]))
    for i, r in enumerate(rows):
        r["seq"] = 1 + sum(1 for x in rows[:i] if x["lead_id"] == r["lead_id"])
    return pa.Table.from_pylist(rows)


def test_the_derived_view_reads_the_engines_stage_history(store: Store) -> None:
    from accord.errors import UsageError

    f = scenario()
    f.write(store)
    with pytest.raises(UsageError, match="run `accord run` first"):
        compute_sla_clocks(store, contract(), NOW, view="derived")
    # the engine put L1's MQL at Mon 01-13 09:00 (the CRM recorded Fri 17:30): due Mon
    # 11:00, touched 10:15 → 75 business minutes, met; the other leads are as recorded
    store.write_derived("stage_history", _history_from(f, {"L1": ny(2025, 1, 13, 9, 0)}))
    derived = compute_sla_clocks(store, contract(), NOW, view="derived")
    actual = compute_sla_clocks(store, contract(), NOW)
    d, a = states_by_lead(derived, "speed_to_lead"), states_by_lead(actual, "speed_to_lead")
    assert (d["L1"]["start_at"], d["L1"]["due_at"], d["L1"]["elapsed_minutes"]) == (
        ny(2025, 1, 13, 9, 0), ny(2025, 1, 13, 11, 0), 75)
    assert a["L1"]["start_at"] == ny(2025, 1, 10, 17, 30)
    assert {k: v["status"] for k, v in d.items() if k != "L1"} == {
        k: v["status"] for k, v in a.items() if k != "L1"}
    assert (derived.view, actual.view) == ("derived", "actual")


def test_narrowing_to_an_unknown_sla_names_the_known_ones(clocks: SlaClocks) -> None:
    from accord.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match=r"unknown SLA 'speed'.*known: speed_to_lead"):
        clocks.only(sla="speed")
    narrowed = clocks.only(sla="follow_up", rep="r1")
    assert narrowed.states.column("lead_id").to_pylist() == ["L1"]
