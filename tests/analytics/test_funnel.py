"""The funnel: who reached which stage, on both backends, against hand counts."""

from __future__ import annotations

from datetime import datetime

import pyarrow as pa

from accord.analytics.funnel import compute_funnel
from accord.store import Store
from accord.facts import FACT_TABLES


def table(name: str, rows: list[dict]) -> pa.Table:
    fact = FACT_TABLES[name]
    cols = {c: [r.get(c) for r in rows] for c in fact.column_names}
    return pa.Table.from_pydict(cols, schema=fact.arrow_schema())


def t(day: int) -> datetime:
    return datetime(2025, 1, day, 12)


def seed_facts(store: Store) -> None:
    leads = [
        {"lead_id": f"L{i}", "email": f"p{i}@x.com", "channel": ch, "created_at": t(i)}
        for i, ch in enumerate(["web", "web", "web", "event", "event", "web"], start=1)
    ]
    events = [
        # L1: MQL -> SAL -> SQL -> Opportunity (won below)
        ("E1", "L1", "Lead", "MQL"), ("E2", "L1", "MQL", "SAL"), ("E3", "L1", "SAL", "SQL"),
        ("E4", "L1", "SQL", "Opportunity"),
        # L2: MQL then rejected to Nurture
        ("E5", "L2", "Lead", "MQL"), ("E6", "L2", "MQL", "Nurture"),
        # L3: accepted straight to SAL (skipping an MQL event) -> still passed MQL
        ("E7", "L3", "Lead", "SAL"),
        # L4: MQL only
        ("E8", "L4", "Lead", "MQL"),
    ]
    stage_events = [
        {"event_id": e, "lead_id": lead, "from_stage": a, "to_stage": b, "occurred_at": t(10),
         "actor": "system"} for e, lead, a, b in events
    ]
    opportunities = [
        {"opportunity_id": "O1", "lead_id": "L1", "created_at": t(12), "amount": 100.0,
         "status": "won"},
        # L5 has an opportunity but no stage events (sales-sourced): reached Opportunity
        {"opportunity_id": "O2", "lead_id": "L5", "created_at": t(12), "amount": 50.0,
         "status": "open"},
    ]
    store.write_facts({"leads": table("leads", leads),
                       "stage_events": table("stage_events", stage_events),
                       "opportunities": table("opportunities", opportunities)})


def test_funnel_counts_by_hand(store: Store) -> None:
    seed_facts(store)
    funnel = compute_funnel(store, by="channel")
    # Lead: 6. MQL: L1 L2 L3 L4 L5 = 5. SAL: L1 L3 L5 = 3. SQL: L1 L5 = 2.
    # Opportunity: L1 L5 = 2. Won: L1 = 1.
    assert funnel.total.counts == (6, 5, 3, 2, 2, 1)
    by = {g.group: g.counts for g in funnel.groups}
    # web: L1 L2 L3 L6 -> Lead 4, MQL L1 L2 L3 = 3, SAL L1 L3 = 2, SQL/Opp/Won L1
    assert by["web"] == (4, 3, 2, 1, 1, 1)
    # event: L4 L5 -> Lead 2, MQL 2, SAL L5, SQL L5, Opp L5, Won 0
    assert by["event"] == (2, 2, 1, 1, 1, 0)
    assert funnel.total.conversions[0] == 5 / 6
    assert by["event"][5] == 0 and funnel.groups[1].conversions[4] == 0.0


def test_funnel_period_filters_on_lead_creation(store: Store) -> None:
    seed_facts(store)
    funnel = compute_funnel(store, since=datetime(2025, 1, 4), until=datetime(2025, 1, 6))
    assert funnel.total.counts == (2, 2, 1, 1, 1, 0)  # L4 and L5
