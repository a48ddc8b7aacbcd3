"""`accord route` wiring: a local Typer app with CliRunner (the rules are tested in the
library)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import typer
from typer.testing import CliRunner

from accord.cli.route import route_command
from accord.facts import FACT_TABLES
from accord.store import open_store
from accord.workspace import init_workspace

app = typer.Typer()
app.command("route")(route_command)
app.command("noop")(lambda: None)  # two commands, so `route` is addressed by name
runner = CliRunner()
T0 = datetime(2026, 3, 2, 15, 0)


def _facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


def _workspace(tmp_path: Path, reps: list[dict[str, Any]], *, at_creation: bool = True,
               extra: dict[str, pa.Table] | None = None) -> Path:
    """A starter workspace with four leads a minute apart. `at_creation` drops the
    starter's `routing.stage: MQL`, so every lead is routed when created."""
    ws = init_workspace(tmp_path / "ws")
    if at_creation:
        text = ws.contract_path.read_text()
        assert "\nrouting:\n  stage: MQL\n" in text
        ws.contract_path.write_text(text.replace("\nrouting:\n  stage: MQL\n",
                                                 "\nrouting:\n"))
    store = open_store(ws.default_store_path)
    try:
        store.write_facts({
            "leads": _facts("leads", [
                {"lead_id": f"l{i}", "email": f"l{i}@x.io", "channel": "webinar",
                 "created_at": T0 + timedelta(minutes=i)} for i in range(4)]),
            "reps": _facts("reps", reps),
            **(extra or {}),
        })
    finally:
        store.close()
    return ws.root


SDRS = [{"rep_id": "s1", "name": "One", "role": "sdr"},
        {"rep_id": "s2", "name": "Two", "role": "sdr"},
        {"rep_id": "e1", "name": "Ent", "role": "ae", "segment": "enterprise"}]


def test_route_json_counts_by_rule_and_writes_assignments(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS)
    out = runner.invoke(app, ["route", "-w", str(root), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["leads"] == 4
    assert data["by_rule"] == [{"rule": "inbound", "step": "turn", "leads": 4}]
    store = open_store(root / ".accord" / "accord.duckdb")
    try:
        owners = store.derived("assignments").owner.to_pyarrow().to_pylist()
    finally:
        store.close()
    assert sorted(owners) == ["s1", "s1", "s2", "s2"]


def test_route_for_one_rep_and_unknown_names(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS)
    out = runner.invoke(app, ["route", "-w", str(root), "--rep", "s2", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    # turns s1 s2 s1 s2: s2 got two of the four leads
    assert (data["leads"], data["view"]) == (2, "derived")
    for args, named in ((["--rep", "s9"], "s1"), (["--view", "planned"], "actual"),
                        (["--period", "year"], "week")):
        bad = runner.invoke(app, ["route", "-w", str(root), *args])
        assert bad.exit_code == 2, bad.output
        assert args[1] in bad.output and named in bad.output


def test_route_fairness_json_and_table(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS)
    out = runner.invoke(app, ["route", "-w", str(root), "--fairness", "--period", "week",
                              "--json"])
    assert out.exit_code == 0, out.output
    fairness = json.loads(out.stdout)["fairness"]
    assert fairness["period"] == "week"
    assert [(s["rep_id"], s["assigned"], s["period"]) for s in fairness["shares"]] == [
        ("s1", 2, "2026-03-02"), ("s2", 2, "2026-03-02")]
    shown = runner.invoke(app, ["route", "-w", str(root), "--fairness"])
    assert shown.exit_code == 0, shown.output
    assert "Pool sdr: share per month" in shown.stdout


def test_route_rejects_an_unknown_period(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS)
    out = runner.invoke(app, ["route", "-w", str(root), "--period", "year"])
    assert out.exit_code == 2


def test_route_names_a_pool_without_reps_and_writes_nothing(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS[:2])  # no enterprise AE for pool enterprise_ae
    out = runner.invoke(app, ["route", "-w", str(root)])
    assert out.exit_code == 1
    assert "routing.pools.enterprise_ae (used by rule 'enterprise') has no active reps" in \
        " ".join(out.output.split())
    store = open_store(root / ".accord" / "accord.duckdb")
    try:
        assert "derived_assignments" not in store.con.list_tables()
    finally:
        store.close()


def test_route_at_mql_routes_only_leads_that_became_mql_at_their_mql_time(
        tmp_path: Path) -> None:
    # Starter contract (routing.stage: MQL). l1 and l3 work at a fitting company (software,
    # 300 people, US: fit 80) and ask for a demo: they become MQLs at the demo, 1 h and 2 h
    # after creation. l0 and l2 never qualify and are not routed.
    account = {"account_id": "acme", "name": "Acme", "industry": "software",
               "employees": 300, "country": "US"}
    touches = [{"touch_id": f"t{i}", "lead_id": f"l{i}", "signal": "demo_request",
                "occurred_at": T0 + timedelta(hours=i)} for i in (1, 3)]
    root = _workspace(tmp_path, SDRS, at_creation=False, extra={
        "accounts": _facts("accounts", [account]),
        "touches": _facts("touches", touches)})
    store = open_store(root / ".accord" / "accord.duckdb")
    try:  # the leads' account
        store.con.raw_sql("UPDATE leads SET account_id = 'acme', country = 'US'")
    finally:
        store.close()
    out = runner.invoke(app, ["route", "-w", str(root), "--as-of", "2026-03-03T00:00:00",
                              "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.stdout)["leads"] == 2
    store = open_store(root / ".accord" / "accord.duckdb")
    try:
        rows = store.derived("assignments").select("lead_id", "owner", "assigned_at") \
            .order_by("lead_id").to_pyarrow().to_pylist()
    finally:
        store.close()
    assert [(r["lead_id"], r["owner"], r["assigned_at"]) for r in rows] == [
        ("l1", "s1", T0 + timedelta(hours=1)), ("l3", "s2", T0 + timedelta(hours=3))]


def test_route_at_mql_checks_the_pools_before_touching_the_store(tmp_path: Path) -> None:
    root = _workspace(tmp_path, SDRS[:2], at_creation=False)
    out = runner.invoke(app, ["route", "-w", str(root)])
    assert out.exit_code == 1
    assert "has no active reps" in " ".join(out.output.split())
    store = open_store(root / ".accord" / "accord.duckdb")
    try:
        assert not [t for t in store.con.list_tables() if t.startswith("derived_")]
    finally:
        store.close()
