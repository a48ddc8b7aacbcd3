"""The live intake on both stores: idempotent by event id, one transaction per event, a
decision log that the batch run over the same facts agrees with.

Contract: the starter contract (version 1): fit ICP `core` software/fintech 30, 50–1000
employees 30, US 20, title with "vp" 20; tiers A 70; MQL when fit >= 45 and (engagement
>= 40 or a demo request); routing at MQL, inbound to the `sdr` pool; SLAs speed_to_lead
(2 business hours from MQL), accept_or_reject (2 business days from MQL), follow_up
(2 touches within 10 calendar days of SAL), on the New York calendar Mon–Fri 09:00–18:00.

Times: T0 = Mon 2025-01-06 14:00 UTC = 09:00 in New York.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from service_facts import seed_service_facts

from accord.contract.compiled import starter_contract
from accord.engine.batch import run
from accord.engine.intake import EventConflictError, EventIntake
from accord.errors import EngineError, UsageError
from accord.facts import SERVICE_TABLES
from accord.store import Store

CONTRACT = starter_contract()
T0 = datetime(2025, 1, 6, 14, 0)
H = timedelta(hours=1)
NOW = datetime(2025, 1, 20, 12, 0)

LEAD_L1: dict[str, Any] = {"kind": "lead_created", "lead_id": "L1", "at": "2025-01-06T14:00:00Z",
                           "email": "ann@soft.example", "channel": "web",
                           "title": "VP Sales", "country": "US", "account_id": "A1"}


def seed(store: Store) -> None:
    """One account (software, 200 employees, US), one active SDR and an enterprise AE."""
    seed_service_facts(store)


def intake(store: Store) -> EventIntake:
    seed(store)
    return EventIntake(store, CONTRACT, clock=lambda: NOW)


def counts(store: Store) -> dict[str, int]:
    out = store.counts()
    for name in SERVICE_TABLES:
        if name in store.con.list_tables():
            out[name] = int(store.service_table(name).count().execute())
    return out


def log(store: Store, lead_id: str) -> list[tuple[str, str | None, str | None]]:
    t = store.service_table("decisions")
    rows = t.filter(t.lead_id == lead_id).to_pyarrow().to_pylist()
    rows.sort(key=lambda r: (r["decided_at"], int(r["decision_id"].rsplit(":", 1)[1])))
    return [(r["kind"], r["name"], r["value"]) for r in rows]


def stream(i: EventIntake) -> None:
    """L1: created, demo request (MQL, routed to R1), a call, accepted (SAL)."""
    i.submit("e1", LEAD_L1, actor="crm")
    i.submit("t1", {"kind": "touch", "lead_id": "L1", "signal": "demo_request",
                    "at": "2025-01-06T15:00:00Z"}, actor="crm")
    i.submit("a1", {"kind": "activity", "lead_id": "L1", "rep_id": "R1", "type": "call",
                    "at": "2025-01-06T16:00:00Z"}, actor="crm")
    i.submit("s1", {"kind": "accept", "lead_id": "L1", "rep_id": "R1",
                    "at": "2025-01-06T17:00:00Z"}, actor="crm")


def test_an_event_is_decided_and_logged_with_version_and_id(store: Store) -> None:
    i = intake(store)
    first = i.submit("e1", LEAD_L1, actor="crm")
    # fit: software 30 + 200 employees 30 + US 20 + "VP" 20 = 100, tier A (>= 70)
    assert (first.replayed, first.answer["fit"], first.answer["tier"], first.answer["stage"],
            first.answer["owner"], first.answer["contract_version"]) == (
        False, 100, "A", "Lead", None, 1)
    touch = i.submit("t1", {"kind": "touch", "lead_id": "L1", "signal": "demo_request",
                            "at": "2025-01-06T15:00:00Z"}, actor="crm").answer
    # demo request (50 points) with fit 100: MQL, routed at MQL to the only SDR
    assert (touch["stage"], touch["owner"], touch["engagement"]) == ("MQL", "R1", 50.0)
    # MQL at 10:00 New York: +2 business hours = 12:00 NY = 17:00 UTC; +2 business days
    # (18 business hours: Mon 10-18, Tue 9-18, Wed 9-10) = Wed 10:00 NY = 15:00 UTC
    assert touch["sla_deadlines"] == {"speed_to_lead": "2025-01-06T17:00:00",
                                      "accept_or_reject": "2025-01-08T15:00:00"}
    t = store.service_table("decisions")
    rows = t.filter(t.event_id == "t1").to_pyarrow().to_pylist()
    assert {(r["kind"], r["name"], r["value"]) for r in rows} == {
        ("score", None, json.dumps({"engagement": 50.0, "fit": 100, "icp": "core",
                                    "tier": "A"}, sort_keys=True)),
        ("stage", None, "MQL"), ("owner", None, "R1"),
        ("sla_deadline", "speed_to_lead", "2025-01-06T17:00:00"),
        ("sla_deadline", "accept_or_reject", "2025-01-08T15:00:00")}
    assert {(r["contract_version"], r["decided_at"]) for r in rows} == {(1, T0 + H)}
    # the stage move was written as a fact too (the actual view)
    moves = store.table("stage_events").to_pyarrow().to_pylist()
    assert [(m["event_id"], m["from_stage"], m["to_stage"]) for m in moves] == [
        ("L1:MQL:t1", "Lead", "MQL")]
    assert log(store, "L1")[:2] == [("score", None, json.dumps(
        {"engagement": 0.0, "fit": 100, "icp": "core", "tier": "A"}, sort_keys=True)),
        ("stage", None, "Lead")]


def test_a_repeated_event_returns_the_first_answer_and_writes_nothing(store: Store) -> None:
    i = intake(store)
    stream(i)
    before = counts(store)
    again = i.submit("t1", {"at": "2025-01-06T15:00:00Z", "signal": "demo_request",
                            "lead_id": "L1", "kind": "touch"}, actor="someone else")
    assert again.replayed is True
    assert (again.answer["event_id"], again.answer["stage"], again.answer["owner"]) == (
        "t1", "MQL", "R1")  # the answer as it was then, not the lead's stage now (SAL)
    assert counts(store) == before
    # a fresh intake over the same store (a restart) answers the same
    assert EventIntake(store, CONTRACT, clock=lambda: NOW).submit(
        "t1", {"kind": "touch", "lead_id": "L1", "signal": "demo_request",
               "at": "2025-01-06T15:00:00Z"}, actor="crm").answer == again.answer
    assert counts(store) == before


def test_the_same_id_with_another_body_is_refused_naming_it(store: Store) -> None:
    i = intake(store)
    stream(i)
    before = counts(store)
    with pytest.raises(EventConflictError, match="'t1'"):
        i.submit("t1", {"kind": "touch", "lead_id": "L1", "signal": "pricing_page",
                        "at": "2025-01-06T15:00:00Z"}, actor="crm")
    assert counts(store) == before


def test_bad_bodies_are_refused_naming_the_field_and_change_nothing(store: Store) -> None:
    i = intake(store)
    stream(i)
    i.submit("e2", {**LEAD_L1, "lead_id": "L2"}, actor="crm")
    i.submit("t2", {"kind": "touch", "lead_id": "L2", "signal": "demo_request",
                    "at": "2025-01-06T15:30:00Z"}, actor="crm")
    before = counts(store)
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        ({"kind": "reject", "lead_id": "L2", "at": "2025-01-06T18:00:00Z"},
         UsageError, "'reason'"),
        ({"kind": "reject", "lead_id": "L2", "at": "2025-01-06T18:00:00Z",
          "reason": "nope"}, EngineError, "nope"),
        ({"kind": "touch", "lead_id": "L2", "signal": "demo_request",
          "at": "2025-01-06T18:00:00Z", "colour": "red"}, UsageError, "'colour'"),
        ({"kind": "touch", "lead_id": "L2", "signal": 7, "at": "2025-01-06T18:00:00Z"},
         UsageError, "'signal'"),
        ({"kind": "teleport", "lead_id": "L2"}, UsageError, "'kind'"),
        ({"kind": "accept", "lead_id": "L9", "at": "2025-01-06T18:00:00Z"},
         EngineError, "L9"),
    ]
    for n, (body, error, named) in enumerate(bad):
        with pytest.raises(error, match=named):
            i.submit(f"bad{n}", body, actor="crm")
    assert counts(store) == before
    # a valid reason code is taken: MQL -> the recycled stage (Nurture)
    ok = i.submit("r2", {"kind": "reject", "lead_id": "L2", "reason": "timing",
                         "at": "2025-01-06T18:00:00Z"}, actor="crm")
    assert ok.answer["stage"] == "Nurture"
    assert store.table("stage_events").filter(
        store.table("stage_events").event_id == "r2").to_pyarrow().to_pylist()[0][
        "reason"] == "timing"


def test_a_failed_store_write_leaves_the_engine_as_the_store(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    i = intake(store)
    i.submit("e1", LEAD_L1, actor="crm")
    before = counts(store)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "append_rows", broken)
    with pytest.raises(Exception, match="could not be stored"):
        i.submit("t1", {"kind": "touch", "lead_id": "L1", "signal": "demo_request",
                        "at": "2025-01-06T15:00:00Z"}, actor="crm")
    monkeypatch.undo()
    assert counts(store) == before
    assert i.engine.stage("L1") == "Lead"  # rebuilt from the store: the touch is not known
    assert i.submit("t1", {"kind": "touch", "lead_id": "L1", "signal": "demo_request",
                           "at": "2025-01-06T15:00:00Z"}, actor="crm").answer["stage"] == "MQL"


def test_the_batch_run_over_the_same_facts_agrees_with_the_decision_log(
        store: Store) -> None:
    i = intake(store)
    stream(i)
    i.submit("e2", {**LEAD_L1, "lead_id": "L2", "email": "bo@soft.example"}, actor="crm")
    i.submit("t2", {"kind": "touch", "lead_id": "L2", "signal": "demo_request",
                    "at": "2025-01-06T15:30:00Z"}, actor="crm")
    i.submit("r2", {"kind": "reject", "lead_id": "L2", "reason": "timing",
                    "at": "2025-01-06T18:00:00Z"}, actor="crm")
    run(store, CONTRACT, NOW)
    stages = {r["lead_id"]: r["stage"] for r in store.derived("stages").to_pyarrow().to_pylist()}
    owners = {r["lead_id"]: r["owner"]
              for r in store.derived("assignments").to_pyarrow().to_pylist()}
    dues = {(r["lead_id"], r["sla"]): r["due_at"].isoformat()
            for r in store.derived("sla_states").to_pyarrow().to_pylist()}
    logged_stage, logged_owner, logged_due = {}, {}, {}
    for lead in ("L1", "L2"):
        for kind, name, value in log(store, lead):
            if kind == "stage":
                logged_stage[lead] = value
            elif kind == "owner":
                logged_owner[lead] = value
            elif kind == "sla_deadline":
                logged_due[(lead, name)] = value
    assert logged_stage == {"L1": "SAL", "L2": "Nurture"} == stages
    assert logged_owner == {"L1": "R1", "L2": "R1"} == owners
    # L1 accepted at 12:00 NY: follow_up runs 10 calendar days from then
    assert logged_due[("L1", "follow_up")] == "2025-01-16T17:00:00"
    assert {k: dues[k] for k in logged_due} == logged_due


def test_the_store_refuses_an_id_another_writer_stored_first(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two intakes on one store; the second reads before the first writes (the race a
    check-then-insert would lose): the PRIMARY KEY refuses its row and it answers the first
    writer's decision as a replay, or a conflict for another body."""
    a = intake(store)
    b = EventIntake(store, CONTRACT, clock=lambda: NOW)
    first = a.submit("e1", LEAD_L1, actor="crm")
    before = counts(store)
    real = b._catch_up
    calls: list[int] = []

    def first_catch_up_misses(cur: Any) -> None:
        calls.append(1)
        if len(calls) > 1:
            real(cur)

    monkeypatch.setattr(b, "_catch_up", first_catch_up_misses)
    again = b.submit("e1", LEAD_L1, actor="other")
    assert len(calls) == 2  # missed, then caught up after the refused insert
    assert (again.replayed, again.answer) == (True, first.answer)
    assert counts(store) == before
    assert b.engine.lead_ids == ("L1",)  # rebuilt from the store: knows L1 once
    with pytest.raises(EventConflictError, match="'e1'"):
        b.submit("e1", {**LEAD_L1, "title": "Intern"}, actor="other")
    assert counts(store) == before
