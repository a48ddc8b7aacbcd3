"""Routing at the handoff stage (`routing.stage: MQL`, the starter's): a lead gets an owner
when it first enters MQL, not when created — and live and batch give it the same owner."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from accord.contract.compiled import CompiledContract, compile_text
from accord.engine.batch import run
from accord.engine.live import Engine, LeadCreated, store_events
from accord.engine.routing import route_store
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text

T0 = datetime(2026, 3, 2, 14, 0)  # Monday 09:00 in New York
AS_OF = T0 + timedelta(days=2)


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


def starter() -> CompiledContract:
    contract = compile_text(starter_contract_text())
    assert contract.routing_stage == "MQL"
    return contract


def seed(store: Store) -> None:
    """Three leads at a fitting company (software, 300 people, US: fit 80), created a
    minute apart. They qualify in the order l3 (demo at +1 h), l1 (+2 h); l2 never asks.
    l3 is sent back to Nurture by its SDR at +1.5 h and asks again at +3 h: it re-enters
    MQL, but routing happens at the first entry only."""
    def touch(i: int, lead: str, hours: float) -> dict[str, Any]:
        return {"touch_id": f"t{i}", "lead_id": lead, "signal": "demo_request",
                "occurred_at": T0 + timedelta(hours=hours)}

    store.write_facts({
        "accounts": facts("accounts", [{"account_id": "fit", "name": "Fit Co",
                                        "industry": "software", "employees": 300,
                                        "country": "US"}]),
        "leads": facts("leads", [
            {"lead_id": f"l{i}", "email": f"l{i}@fit.io", "account_id": "fit",
             "country": "US", "channel": "webinar", "created_at": T0 + timedelta(minutes=i)}
            for i in (1, 2, 3)]),
        "touches": facts("touches", [touch(1, "l3", 1), touch(2, "l1", 2), touch(3, "l3", 3)]),
        "stage_events": facts("stage_events", [
            {"event_id": "e1", "lead_id": "l3", "from_stage": "MQL", "to_stage": "Nurture",
             "occurred_at": T0 + timedelta(hours=1.5), "actor": "sdr_a", "reason": "timing"}]),
        "reps": facts("reps", [
            {"rep_id": "ae_ent", "name": "E", "role": "ae", "segment": "enterprise"},
            {"rep_id": "sdr_a", "name": "A", "role": "sdr"},
            {"rep_id": "sdr_b", "name": "B", "role": "sdr"}]),
    })


def test_batch_routes_each_lead_at_its_first_mql_entry(store: Store) -> None:
    seed(store)
    contract = starter()
    run(store, contract, AS_OF, steps=["stages"])
    result = route_store(store, contract)
    rows = result.assignments.select(["lead_id", "owner", "assigned_at"]).to_pylist()
    assert [tuple(r.values()) for r in rows] == [
        ("l3", "sdr_a", T0 + timedelta(hours=1)),  # first to qualify: first turn
        ("l1", "sdr_b", T0 + timedelta(hours=2)),
    ]  # l2 never qualified; l3's second MQL entry is not routed again


def test_live_engine_routes_at_mql_entry_and_agrees_with_batch(store: Store) -> None:
    seed(store)
    contract = starter()
    run(store, contract, AS_OF, steps=["stages"])
    batch = {r["lead_id"]: r["owner"] for r in route_store(store, contract)
             .assignments.to_pylist()}
    engine = Engine.from_store(store, contract, clock=lambda: AS_OF)
    for event in store_events(store, contract, as_of=AS_OF):
        decision = engine.handle(event)
        if isinstance(event, LeadCreated):
            assert decision.owner is None  # created, not yet an MQL: nobody owns it
    live = {lead: engine.decision(lead).owner for lead in ("l1", "l2", "l3")}
    assert live == {"l1": "sdr_b", "l2": None, "l3": "sdr_a"}
    assert {k: v for k, v in live.items() if v is not None} == batch
    # back in Nurture and re-qualified, l3 keeps the rep it was first given
    assert engine.decision("l3").stage == "MQL"
