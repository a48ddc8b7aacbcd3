"""`accord demo` end to end: workspace, simulation, import, funnel — checked independently."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from typer.testing import CliRunner

from accord.cli import app
from accord.store import open_store

runner = CliRunner()

DEPTH = {"MQL": 1, "SAL": 2, "SQL": 3, "Opportunity": 4, "Customer": 5}


def test_demo_builds_a_workspace_and_its_funnel_matches_the_files(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path), "--leads", "1500", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (tmp_path / "accord.yaml").exists()
    assert out["counts"]["leads"] == 1500

    # Independent count from the simulated files, in plain Python.
    data = Path(out["data"])
    depth = {r["lead_id"]: 0 for r in pq.read_table(data / "leads.parquet").to_pylist()}
    for ev in pq.read_table(data / "stage_events.parquet").to_pylist():
        depth[ev["lead_id"]] = max(depth[ev["lead_id"]], DEPTH.get(ev["to_stage"], 0))
    for opp in pq.read_table(data / "opportunities.parquet").to_pylist():
        if opp["lead_id"] is not None:
            reached = 5 if opp["status"] == "won" else 4
            depth[opp["lead_id"]] = max(depth[opp["lead_id"]], reached)
    expected = [sum(d >= i for d in depth.values()) for i in range(6)]
    counts = out["funnel"]["total"]["counts"]
    assert list(counts.values()) == expected
    assert expected == sorted(expected, reverse=True) and expected[5] > 0
    by_channel = out["funnel"]["groups"]
    assert len(by_channel) >= 6
    assert sum(g["counts"]["Lead"] for g in by_channel) == 1500

    # The engine ran over the same store; its outcome agrees with the derived tables.
    engine = out["engine"]
    assert engine["run"]["leads"] == 1500
    assert engine["routing_stage"] == "MQL"
    store = open_store(out["store"])
    try:
        history = store.derived("stage_history").to_pyarrow().to_pylist()
        states = store.derived("sla_states").to_pyarrow().to_pylist()
    finally:
        store.close()
    entered_mql = {r["lead_id"] for r in history if r["to_stage"] == "MQL"}
    assert engine["routed"] == sum(engine["routed_by_rule"].values()) == len(entered_mql) > 0
    breaches: dict[str, int] = {}
    for r in states:
        if r["status"] == "breached" and r["rep_id"] is not None:
            breaches[r["rep_id"]] = breaches.get(r["rep_id"], 0) + 1
    worst = engine["worst_reps"][0]
    assert worst["breached"] == breaches[worst["rep_id"]] == max(breaches.values())


def test_demo_is_readable_and_says_what_next(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", str(tmp_path), "--leads", "500"])
    assert result.exit_code == 0, result.output
    assert "Funnel (lead cohort) by channel" in result.output
    assert "Next" in result.output and "accord status" in result.output
    assert "The contract at work" in result.output and "routed" in result.output
    # a second run keeps the contract and re-imports idempotently
    again = runner.invoke(app, ["demo", str(tmp_path), "--leads", "500", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["counts"]["leads"] == 500
