"""The funnel: who reached which stage, on both backends, against hand counts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

import pyarrow as pa
import pytest

from accord.analytics.funnel import Funnel, FunnelRow, compute_funnel
from accord.contract.compiled import CompiledContract, compile_text, starter_contract
from accord.contract.roles import StageRole
from accord.errors import UnknownNameError
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text


def table(name: str, rows: list[dict]) -> pa.Table:
    fact = FACT_TABLES[name]
    cols = {c: [r.get(c) for r in rows] for c in fact.column_names}
    return pa.Table.from_pydict(cols, schema=fact.arrow_schema())


def t(day: int) -> datetime:
    return datetime(2025, 1, day, 12)


def seed_facts(store: Store, names: Mapping[str, str] | None = None) -> None:
    """The facts below; `names` renames the stages of the stage events."""
    names = names or {}
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
        {"event_id": e, "lead_id": lead, "from_stage": names.get(a, a),
         "to_stage": names.get(b, b), "occurred_at": t(10), "actor": "system"}
        for e, lead, a, b in events
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
    funnel = compute_funnel(store, starter_contract(), by="channel")
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
    funnel = compute_funnel(store, starter_contract(), since=datetime(2025, 1, 4),
                            until=datetime(2025, 1, 6))
    assert funnel.total.counts == (2, 2, 1, 1, 1, 0)  # L4 and L5


RENAMED = {"MQL": "Marketing Qualified Lead", "SAL": "Sales Accepted Lead",
           "SQL": "Sales Qualified Lead", "Customer": "Closed Won"}


def renamed_contract() -> CompiledContract:
    """The starter contract with a CRM's stage names (and a Closed Lost stage)."""
    text = starter_contract_text()
    for old, new in RENAMED.items():
        text = re.sub(rf"\b{old}\b", new, text)
    text = text.replace("  Closed Won:\n    owner: ae\n    next: []\n",
                        "  Closed Won:\n    owner: ae\n    next: []\n"
                        "  Closed Lost:\n    owner: ae\n    next: []\n")
    return compile_text(text)


def test_the_funnel_is_named_by_the_contract_with_roles() -> None:
    data = Funnel(("Lead", "MQL"), (StageRole.LEAD, StageRole.HANDOFF), "actual",
                  FunnelRow("all", (4, 2)), None, ()).as_dict()
    assert data["stages"] == ["Lead", "MQL"]
    assert data["roles"] == {"Lead": "lead", "MQL": "handoff"}
    assert data["view"] == "actual"
    assert data["total"] == {"group": "all", "counts": {"Lead": 4, "MQL": 2},
                             "conversion": {"Lead->MQL": 0.5}}


def test_the_starter_funnel_ends_at_customer(store: Store) -> None:
    seed_facts(store)
    funnel = compute_funnel(store, starter_contract())
    assert funnel.stages == ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Customer")
    assert funnel.as_dict()["roles"]["Customer"] == "won"  # type: ignore[index]


def test_unknown_split_column_names_the_lead_columns(store: Store) -> None:
    seed_facts(store)
    with pytest.raises(UnknownNameError, match=r"did you mean 'channel'.*known: .*created_at"):
        compute_funnel(store, starter_contract(), by="chanel")


def test_renamed_stages_give_the_same_funnel(store: Store) -> None:
    seed_facts(store, RENAMED)
    funnel = compute_funnel(store, renamed_contract(), by="channel")
    assert funnel.stages == ("Lead", "Marketing Qualified Lead", "Sales Accepted Lead",
                             "Sales Qualified Lead", "Opportunity", "Closed Won")
    assert funnel.total.counts == (6, 5, 3, 2, 2, 1)  # as with the starter's names
    assert {g.group: g.counts for g in funnel.groups}["web"] == (4, 3, 2, 1, 1, 1)


def test_a_contract_without_a_role_has_no_such_step(store: Store) -> None:
    """Without a qualified stage (no SQL), the funnel goes SAL -> Opportunity; a lead whose
    only event into SQL reaches no funnel stage by it."""
    text = starter_contract_text().replace("[SQL, Nurture, Disqualified]",
                                           "[Opportunity, Nurture, Disqualified]")
    text = text.replace("  SQL:\n    owner: sdr\n    next: [Opportunity, Nurture, "
                        "Disqualified]\n", "")
    contract = compile_text(text)
    assert contract.stages.named(StageRole.QUALIFIED) is None
    seed_facts(store)
    funnel = compute_funnel(store, contract)
    assert funnel.stages == ("Lead", "MQL", "SAL", "Opportunity", "Customer")
    # L1: MQL SAL SQL Opportunity (won); L3 SAL; L5 opportunity; L2 and L4 MQL
    assert funnel.total.counts == (6, 5, 3, 2, 1)
