"""Speed to lead: systems delay (handoff → assigned) and human delay (assigned → first
touch), percentiles and bands against hand computations, on every store backend. The
handoff is creation when the contract routes at creation, else the first entry into
`routing.stage` (the starter's MQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
import yaml

from accord.contract.compiled import compile_contract
from accord.contract.schema import Contract
from accord.engine.speed_to_lead import compute_speed_to_lead, delay_stats, speed_to_lead_table
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text

_DATA = yaml.safe_load(starter_contract_text())
STARTER = compile_contract(Contract.model_validate(_DATA))
# routing every lead at creation: the handoff is `created_at`
CONTRACT = compile_contract(Contract.model_validate(
    {**_DATA, "routing": {k: v for k, v in _DATA["routing"].items() if k != "stage"}}))
NOW = datetime(2025, 2, 11, 17, 0)  # Tue 12:00 New York


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(UTC).replace(tzinfo=None)


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())


def write(store: Store, leads: dict[str, tuple[datetime, datetime | None, datetime | None]]
          ) -> None:
    """lead id → (created, MQL, first touch)."""
    rows: dict[str, list[dict[str, Any]]] = {"leads": [], "stage_events": [], "activities": []}
    for lead, (created, mql, touch) in leads.items():
        rows["leads"].append({"lead_id": lead, "email": f"{lead}@x.com", "channel": "webinar",
                              "created_at": created})
        if mql is not None:
            rows["stage_events"].append({"event_id": f"E{lead}", "lead_id": lead,
                                         "from_stage": "Lead", "to_stage": "MQL",
                                         "occurred_at": mql, "actor": "marketing_automation"})
        if touch is not None:
            rows["activities"].append({"activity_id": f"A{lead}", "lead_id": lead,
                                       "rep_id": "r1", "kind": "call", "occurred_at": touch})
    store.write_facts({k: table(k, v) for k, v in rows.items() if v})


def test_delay_stats_percentiles_and_bands_by_hand() -> None:
    s = delay_stats([1, 4, 5, 10, 20, 59.9, 60, 200, float("nan")], "business minutes")
    # 8 values (NaN dropped), sorted 1 4 5 10 20 59.9 60 200.
    # P50: rank 7 × 0.5 = 3.5 → 10 + 0.5 × (20 − 10) = 15
    # P95: rank 7 × 0.95 = 6.65 → 60 + 0.65 × (200 − 60) = 151
    assert (s.measured, s.p50) == (8, 15)
    assert s.p95 == pytest.approx(151)
    # bands include the lower bound: 5 is in 5–15, 60 in 60+
    assert [(b.label, b.count, b.share) for b in s.bands] == [
        ("0-5", 2, 0.25), ("5-15", 2, 0.25), ("15-60", 2, 0.25), ("60+", 2, 0.25)]
    empty = delay_stats([], "business minutes")
    assert (empty.measured, empty.p50, empty.bands[0].share) == (0, None, None)


def test_speed_to_lead_split_from_stage_events(store: Store) -> None:
    write(store, {
        # created → MQL (wall-clock) ; MQL → first touch (business minutes, 09:00-18:00)
        "A": (ny(2025, 2, 3, 9, 0), ny(2025, 2, 3, 9, 3), ny(2025, 2, 3, 9, 7)),  # 3 ; 4
        "B": (ny(2025, 2, 3, 10, 0), ny(2025, 2, 3, 10, 10), ny(2025, 2, 3, 10, 40)),  # 10 ; 30
        # Fri 17:00 → MQL 17:50 (50) ; touched Mon 09:05: 10 Fri + 5 Mon = 15
        "C": (ny(2025, 2, 7, 17, 0), ny(2025, 2, 7, 17, 50), ny(2025, 2, 10, 9, 5)),
        # Fri 20:00, MQL at once (0) ; touched Mon 09:05: 5
        "D": (ny(2025, 2, 7, 20, 0), ny(2025, 2, 7, 20, 0), ny(2025, 2, 10, 9, 5)),
        # MQL three hours after creation (180), never touched
        "E": (ny(2025, 2, 4, 9, 0), ny(2025, 2, 4, 12, 0), None),
        "F": (ny(2025, 2, 4, 9, 0), None, None),  # never an MQL: not counted
        "G": (ny(2025, 2, 11, 11, 0), ny(2025, 2, 11, 13, 0), None),  # MQL after now
    })
    s = compute_speed_to_lead(store, CONTRACT, now=NOW)
    assert (s.assigned_from, s.leads, s.untouched) == ("stage_events", 5, 1)
    # systems: 0 3 10 50 180 → P50 10; P95 rank 3.8 → 50 + 0.8 × 130 = 154
    assert (s.systems.unit, s.systems.p50) == ("wall-clock minutes", 10)
    assert s.systems.p95 == pytest.approx(154)
    assert [b.count for b in s.systems.bands] == [2, 1, 1, 1]
    # human: 4 5 15 30 → P50 (5 + 15) / 2 = 10; P95 rank 2.85 → 15 + 0.85 × 15 = 27.75
    assert (s.human.unit, s.human.measured, s.human.p50) == ("business minutes", 4, 10)
    assert s.human.p95 == pytest.approx(27.75)
    assert [b.count for b in s.human.bands] == [1, 1, 2, 0]


def test_routing_decisions_are_the_assignment_when_present(store: Store) -> None:
    write(store, {"A": (ny(2025, 2, 3, 9, 0), ny(2025, 2, 3, 9, 3), ny(2025, 2, 3, 9, 7))})
    store.write_derived("assignments", pa.table({
        "lead_id": ["A"], "owner": ["r1"],
        "assigned_at": pa.array([ny(2025, 2, 3, 9, 1)], pa.timestamp("us"))}))
    t, source, _ = speed_to_lead_table(store, CONTRACT, NOW)
    # created 09:00 → routed 09:01 (1) → touched 09:07 (6)
    assert source == "assignments"
    assert t.select(["systems_minutes", "human_minutes", "rep_id"]).to_pylist() == [
        {"systems_minutes": 1.0, "human_minutes": 6.0, "rep_id": "r1"}]


def test_routing_at_mql_measures_systems_delay_from_the_mql_entry(store: Store) -> None:
    # Starter contract: routing.stage MQL. Created 09:00, MQL 09:03 (qualification, not a
    # systems delay), routed 09:05 (2), touched 09:07 (2 business minutes).
    write(store, {"A": (ny(2025, 2, 3, 9, 0), ny(2025, 2, 3, 9, 3), ny(2025, 2, 3, 9, 7)),
                  "B": (ny(2025, 2, 3, 9, 0), None, None)})  # never an MQL, never routed
    store.write_derived("assignments", pa.table({
        "lead_id": ["A"], "owner": ["r1"],
        "assigned_at": pa.array([ny(2025, 2, 3, 9, 5)], pa.timestamp("us"))}))
    t, source, read = speed_to_lead_table(store, STARTER, NOW)
    assert (source, read) == ("assignments", "actual")  # no stage history yet
    assert t.select(["lead_id", "handoff_at", "systems_minutes", "human_minutes"]
                    ).to_pylist() == [{"lead_id": "A", "handoff_at": ny(2025, 2, 3, 9, 3),
                                       "systems_minutes": 2.0, "human_minutes": 2.0}]
    # the derived stage history, when `accord run` wrote it, is the handoff's source: the
    # routing decisions are the engine's, read on the engine's timeline (MQL 09:04 → 1)
    store.write_derived("stage_history", pa.table({
        "lead_id": ["A", "A"], "seq": [1, 2], "from_stage": [None, "Lead"],
        "to_stage": ["Lead", "MQL"],
        "occurred_at": pa.array([ny(2025, 2, 3, 9, 0), ny(2025, 2, 3, 9, 4)],
                                pa.timestamp("us")),
        "source": ["created", "criteria"], "fact_id": pa.array([None, None], pa.string()),
        "actor": ["accord", "accord"], "reason": pa.array([None, None], pa.string()),
        "legal": [True, True]}))
    t, _, read = speed_to_lead_table(store, STARTER, NOW)
    assert (t.column("systems_minutes").to_pylist(), read) == ([1.0], "derived")
