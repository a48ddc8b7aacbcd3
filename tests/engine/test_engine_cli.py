"""Wiring of `accord run` and `accord score` (the rules are tested in the library), and
every example of docs/engine.md.

Facts: the starter contract; lead L1 (VP Sales at a 200-person US software account:
fit 30 + 30 + 20 + 20 = 100, tier A) with a demo request, lead L2 (no account, country
BR: fit 0) with a whitepaper download. As of T = 2025-03-01 12:00.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import typer
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli.engine import run_command, score_command
from accord.facts import FACT_TABLES
from accord.store import open_store
from accord.workspace import init_workspace

T = datetime(2025, 3, 1, 12, 0)

app = typer.Typer()
app.command("run")(run_command)
app.command("score")(score_command)
runner = CliRunner()


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


@pytest.fixture(params=["duckdb", "postgresql"])
def workspace(request: pytest.FixtureRequest, tmp_path: Path,
              store_url_factory: Callable[[str], str]) -> tuple[Path, str]:
    root = tmp_path / "ws"
    init_workspace(root)
    url = store_url_factory(request.param)
    store = open_store(url)
    store.write_facts({
        "accounts": facts("accounts", [{"account_id": "A1", "name": "Acme",
                                        "domain": "acme.io", "industry": "software",
                                        "employees": 200, "country": "US"}]),
        "leads": facts("leads", [
            {"lead_id": "L1", "email": "jo@acme.io", "title": "VP Sales",
             "account_id": "A1", "channel": "web", "created_at": T - timedelta(days=3)},
            {"lead_id": "L2", "email": "al@gmail.com", "country": "BR", "channel": "web",
             "created_at": T - timedelta(days=2)},
        ]),
        "reps": facts("reps", [  # the starter routing's pools need an SDR and an AE
            {"rep_id": "sdr_1", "name": "Sam", "role": "sdr"},
            {"rep_id": "ae_1", "name": "Ann", "role": "ae", "segment": "enterprise"},
        ]),
        "touches": facts("touches", [
            {"touch_id": "T1", "lead_id": "L1", "signal": "demo_request",
             "occurred_at": T - timedelta(days=1)},
            {"touch_id": "T2", "lead_id": "L2", "signal": "whitepaper",
             "occurred_at": T - timedelta(days=30)},  # before L2 existed: still counted
        ]),
    })
    store.close()
    return root, url


def invoke(*args: str) -> Any:
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_run_json_reports_steps_and_counts(workspace: tuple[Path, str]) -> None:
    root, url = workspace
    result = invoke("run", "--workspace", str(root), "--store", url,
                    "--as-of", T.isoformat(), "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["as_of"], out["contract_version"], out["leads"]) == (T.isoformat(), 1, 2)
    assert [s["step"] for s in out["steps"]] == ["match", "scores", "stages", "route", "sla"]
    # L1: fit 100 and a demo request -> MQL; L2: fit 0 -> Lead
    assert out["stages"] == {"Lead": 1, "MQL": 1}
    assert out["tiers"] == {"A": 1, "none": 1}


def test_run_prints_a_summary(workspace: tuple[Path, str]) -> None:
    root, url = workspace
    result = invoke("run", "-w", str(root), "--store", url, "--as-of", T.isoformat())
    assert result.exit_code == 0, result.output
    assert "2 leads as of 2025-03-01T12:00:00 under contract v1" in result.stdout


def test_run_defaults_to_the_latest_fact_so_history_reads_as_of_its_end(
        workspace: tuple[Path, str]) -> None:
    # the latest fact is L1's demo request, a day before T (the facts above)
    root, url = workspace
    result = invoke("run", "-w", str(root), "--store", url, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["as_of"] == (T - timedelta(days=1)).isoformat()
    scored = invoke("score", "-w", str(root), "--store", url, "--json")
    assert json.loads(scored.stdout)["as_of"] == (T - timedelta(days=1)).isoformat()


def test_score_lists_top_leads(workspace: tuple[Path, str]) -> None:
    root, url = workspace
    result = invoke("score", "-w", str(root), "--store", url, "--as-of", T.isoformat(),
                    "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    # L2: whitepaper 5 points 30 days ago at a 30-day half-life -> 2.5
    assert [(r["lead_id"], r["fit"], r["tier"], r["engagement"]) for r in out["leads"]] \
        == [("L1", 100, "A", 50.0), ("L2", 0, None, 2.5)]


def test_score_explains_one_lead(workspace: tuple[Path, str]) -> None:
    root, url = workspace
    result = invoke("score", "-w", str(root), "--store", url, "--as-of", T.isoformat(),
                    "--lead", "L1", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["fit"], out["tier"], out["icp"], out["engagement"]) == (100, "A", "core",
                                                                        50.0)
    core = out["fit_by_icp"][0]
    assert [(c["field"], c["points"]) for c in core["criteria"]] == [
        ("industry", 30), ("employees", 30), ("country", 20), ("title", 20)]
    assert out["engagement_detail"]["signals"][0]["signal"] == "demo_request"
    text = invoke("score", "-w", str(root), "--store", url, "--as-of", T.isoformat(),
                  "--lead", "L1")
    assert "fit 100 (tier A, ICP core), engagement 50.00" in text.stdout


def test_score_of_an_unknown_lead_fails_clearly(workspace: tuple[Path, str]) -> None:
    root, url = workspace
    result = invoke("score", "-w", str(root), "--store", url, "--lead", "L404")
    assert result.exit_code == 2  # an unknown name: a usage error
    assert "unknown lead 'L404'" in result.stderr and "known: L1" in result.stderr


# --- docs/engine.md: every example runs --------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "engine.md"


def test_doc_python_examples_run() -> None:
    found = fenced_blocks(DOC, "python")
    assert len(found) == 1
    for code in found:
        exec(compile(code, str(DOC), "exec"), {})


def test_doc_command_lines_run(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    store = open_store(root / ".accord" / "accord.duckdb")
    store.write_facts({
        "reps": facts("reps", [{"rep_id": "sdr_1", "name": "Sam", "role": "sdr"},
                               {"rep_id": "ae_1", "name": "Ann", "role": "ae",
                                "segment": "enterprise"}]),
        "leads": facts("leads", [{"lead_id": "L0000042", "email": "jo@acme.io",
                                  "channel": "web", "created_at": T}]),
    })
    store.close()
    lines = [line.split("#")[0].strip() for block in fenced_blocks(DOC, "")
             for line in block.splitlines() if line.startswith("accord ")]
    assert len(lines) == 7
    for line in lines:
        args = shlex.split(line)[1:]
        result = runner.invoke(app, [*args, "--workspace", str(root)],
                               catch_exceptions=False)
        assert result.exit_code == 0, (line, result.output)
