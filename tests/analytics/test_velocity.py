"""Time in stage (`analytics.velocity.time_in_stage`) on both backends, against a worked
example."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa
import pytest

from accord.analytics.velocity import time_in_stage
from accord.facts import FACT_TABLES
from accord.store import Store

AS_OF = datetime(2025, 1, 21)


def table(name: str, rows: list[dict]) -> pa.Table:
    fact = FACT_TABLES[name]
    cols = {c: [r.get(c) for r in rows] for c in fact.column_names}
    return pa.Table.from_pydict(cols, schema=fact.arrow_schema())


def seed(store: Store) -> None:
    moves = [
        # L1: MQL Jan 1 → SAL Jan 3 → SQL Jan 7, still in SQL
        ("E1", "L1", "Lead", "MQL", datetime(2025, 1, 1)),
        ("E2", "L1", "MQL", "SAL", datetime(2025, 1, 3)),
        ("E3", "L1", "SAL", "SQL", datetime(2025, 1, 7)),
        # L2: MQL Jan 2 → SAL Jan 6, still in SAL
        ("E4", "L2", "Lead", "MQL", datetime(2025, 1, 2)),
        ("E5", "L2", "MQL", "SAL", datetime(2025, 1, 6)),
        # L3: MQL Jan 10; its move on Jan 25 is after as_of and does not count
        ("E6", "L3", "Lead", "MQL", datetime(2025, 1, 10)),
        ("E7", "L3", "MQL", "SAL", datetime(2025, 1, 25)),
        # L4: MQL and straight out to Nurture at the same instant (E8 before E9)
        ("E8", "L4", "Lead", "MQL", datetime(2025, 1, 5, 12)),
        ("E9", "L4", "MQL", "Nurture", datetime(2025, 1, 5, 12)),
    ]
    leads = [{"lead_id": f"L{i}", "email": f"p{i}@x.com", "created_at": datetime(2025, 1, 1)}
             for i in range(1, 5)]
    events = [{"event_id": e, "lead_id": lead, "from_stage": a, "to_stage": b,
               "occurred_at": at, "actor": "system"} for e, lead, a, b, at in moves]
    store.write_facts({"leads": table("leads", leads),
                       "stage_events": table("stage_events", events)})


def test_time_in_stage_by_hand(store: Store) -> None:
    seed(store)
    rows = {r["stage"]: r for r in time_in_stage(store, AS_OF).to_pyarrow().to_pylist()}
    assert set(rows) == {"MQL", "SAL", "SQL", "Nurture"}
    # MQL: L1 2 d, L2 4 d, L3 11 d (open, to Jan 21), L4 0 d → median 3, mean 17/4
    assert (rows["MQL"]["stays"], rows["MQL"]["open"]) == (4, 1)
    assert rows["MQL"]["median_days"] == pytest.approx(3.0)
    assert rows["MQL"]["mean_days"] == pytest.approx(4.25)
    # SAL: L1 4 d (Jan 3 → 7), L2 15 d (open, Jan 6 → 21)
    assert (rows["SAL"]["stays"], rows["SAL"]["open"]) == (2, 1)
    assert rows["SAL"]["median_days"] == pytest.approx(9.5)
    assert rows["SAL"]["mean_days"] == pytest.approx(9.5)
    # SQL: L1 since Jan 7, open: 14 d. Nurture: L4 since Jan 5 noon, open: 15.5 d
    assert (rows["SQL"]["stays"], rows["SQL"]["open"]) == (1, 1)
    assert rows["SQL"]["median_days"] == pytest.approx(14.0)
    assert rows["Nurture"]["mean_days"] == pytest.approx(15.5)
    assert rows["Nurture"]["open"] == 1


def test_time_in_stage_only_reads_moves_before_as_of(store: Store) -> None:
    seed(store)
    early = {r["stage"]: r for r in
             time_in_stage(store, datetime(2025, 1, 4)).to_pyarrow().to_pylist()}
    # by Jan 4: L1 left MQL after 2 d and sits in SAL (1 d); L2 in MQL for 2 d
    assert set(early) == {"MQL", "SAL"}
    assert (early["MQL"]["stays"], early["MQL"]["open"]) == (2, 1)
    assert early["MQL"]["mean_days"] == pytest.approx(2.0)
    assert early["SAL"]["median_days"] == pytest.approx(1.0)
