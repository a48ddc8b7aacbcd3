"""Routing against a real store, once per backend (DuckDB file, PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
import yaml

from accord.contract.compiled import CompiledContract, compile_contract, compile_text
from accord.contract.schema import Contract
from accord.engine.batch import run
from accord.engine.routing import route_leads, route_store
from accord.errors import EngineError
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text

T0 = datetime(2026, 3, 2, 14, 0)  # Monday 09:00 in New York


def at_creation() -> CompiledContract:
    """The starter with `routing.stage` removed: every lead routed when created."""
    data = yaml.safe_load(starter_contract_text())
    data["routing"].pop("stage")
    return compile_contract(Contract.model_validate(data))


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


def seed(store: Store) -> None:
    """Starter-contract company: one enterprise AE, one mid-market AE owning an account,
    two SDRs (sdr_a takes one lead a day), sdr_b away on the second lead."""
    leads: list[dict[str, Any]] = [
        {"lead_id": "l1", "account_id": "owned"},  # owner ae_mm → abm rule
        {"lead_id": "l2", "account_id": "big"},  # 2,500 employees → enterprise pool
        {"lead_id": "l3", "account_id": None},  # SDR turn a
        {"lead_id": "l4", "account_id": "small"},  # SDR turn b, away → turn a, full → none
        {"lead_id": "l5", "account_id": "small"},  # b back: turn b
    ]
    store.write_facts({
        "leads": facts("leads", [
            {**lead, "email": f"{lead['lead_id']}@x.io", "channel": "webinar",
             "created_at": T0 + timedelta(minutes=10 * i)} for i, lead in enumerate(leads)]),
        "accounts": facts("accounts", [
            {"account_id": "owned", "name": "Owned", "employees": 300, "owner_rep_id": "ae_mm"},
            {"account_id": "big", "name": "Big", "employees": 2500},
            {"account_id": "small", "name": "Small", "employees": 20, "owner_rep_id": ""}]),
        "reps": facts("reps", [
            {"rep_id": "ae_ent", "name": "E", "role": "ae", "segment": "enterprise"},
            {"rep_id": "ae_mm", "name": "M", "role": "ae", "segment": "mid_market"},
            {"rep_id": "sdr_a", "name": "A", "role": "sdr", "capacity_per_day": 1},
            {"rep_id": "sdr_b", "name": "B", "role": "sdr", "active": True}]),
        "rep_availability": facts("rep_availability", [
            {"absence_id": "b1", "rep_id": "sdr_b", "starts_at": T0 + timedelta(minutes=25),
             "ends_at": T0 + timedelta(minutes=35)}]),
    })


def test_route_leads_reads_the_store_tables_on_every_backend(store: Store) -> None:
    # l3 takes turn a (sdr_a now full for the day). l4: turn b, away → turn a, full →
    # nobody available → fallback revops_triage, rotation unmoved. l5: turn b, back.
    seed(store)
    # every lead routed when created (the starter routes at MQL; see below)
    contract = at_creation()
    result = route_leads(store.table("leads"), store.table("accounts"), store.table("reps"),
                         store.table("rep_availability"), contract)
    rows = result.assignments.select(["lead_id", "owner", "rule", "step"]).to_pylist()
    assert [tuple(r.values()) for r in rows] == [
        ("l1", "ae_mm", "abm_account_owner", "account_owner"),
        ("l2", "ae_ent", "enterprise", "turn"),
        ("l3", "sdr_a", "inbound", "turn"),
        ("l4", "queue:revops_triage", "fallback", "fallback"),
        ("l5", "sdr_b", "inbound", "turn"),
    ]
    skips = result.skips.select(["lead_id", "rep_id", "reason", "went_to"]).to_pylist()
    assert [tuple(r.values()) for r in skips] == [
        ("l4", "sdr_a", "at_capacity", "queue:revops_triage"),  # one per member, in order
        ("l4", "sdr_b", "out_of_office", "queue:revops_triage"),
    ]
    in_memory = route_leads(store.table("leads").to_pyarrow(),
                            store.table("accounts").to_pyarrow(),
                            store.table("reps").to_pyarrow(),
                            store.table("rep_availability").to_pyarrow(), contract)
    assert in_memory.assignments.equals(result.assignments)


def test_route_store_replaces_the_derived_tables(store: Store) -> None:
    seed(store)
    routing = at_creation()
    route_store(store, routing)
    route_store(store, routing)  # replaced whole, not appended
    assert store.derived("assignments").count().execute() == 5
    assert store.derived("routing_skips").count().execute() == 2
    assert sorted(store.derived("routing_pools").rep_id.to_pyarrow().to_pylist()) == [
        "ae_ent", "sdr_a", "sdr_b"]


def test_route_store_at_mql_needs_the_stage_history_and_routes_at_first_entry(
        store: Store) -> None:
    seed(store)
    contract = compile_text(starter_contract_text())
    assert contract.routing_stage == "MQL"
    with pytest.raises(EngineError, match=r"routing.stage is 'MQL'.*run `accord run`"):
        route_store(store, contract)
    assert "derived_assignments" not in store.con.list_tables()  # nothing written
    # l6 works at a fitting company (software, 300 people, US: fit 80) and asks for a
    # demo twice: it becomes an MQL at the first request, 3 h after T0, and is routed then.
    store.write_facts({
        "accounts": facts("accounts", [{"account_id": "fit", "name": "Fit Co",
                                        "industry": "software", "employees": 300,
                                        "country": "US"}]),
        "leads": facts("leads", [{"lead_id": "l6", "email": "l6@fit.io", "account_id": "fit",
                                  "country": "US", "channel": "webinar",
                                  "created_at": T0 + timedelta(minutes=50)}]),
        "touches": facts("touches", [
            {"touch_id": "t1", "lead_id": "l6", "signal": "demo_request",
             "occurred_at": T0 + timedelta(hours=3)},
            {"touch_id": "t2", "lead_id": "l6", "signal": "demo_request",
             "occurred_at": T0 + timedelta(hours=5)}]),
    })
    run(store, contract, T0 + timedelta(days=1), steps=["stages"])
    result = route_store(store, contract)
    rows = result.assignments.select(["lead_id", "owner", "rule", "assigned_at"]).to_pylist()
    # only the lead that became an MQL, at its first demo request, by the SDR pool's first
    # turn; l1-l5 never qualify and are not routed
    assert [tuple(r.values()) for r in rows] == [
        ("l6", "sdr_a", "inbound", T0 + timedelta(hours=3))]
