"""Wiring of `accord kpis` and `accord effectiveness` (the rules are tested in the library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from test_kpis import tiny_facts
from typer.testing import CliRunner

from accord.cli.kpis import effectiveness_command, kpis_command
from accord.workspace import init_workspace

app = typer.Typer()
app.command("kpis")(kpis_command)
app.command("effectiveness")(effectiveness_command)
runner = CliRunner()


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    w = init_workspace(tmp_path / "acme")
    st = w.open_store()
    try:
        st.write_facts(tiny_facts())
    finally:
        st.close()
    return w.root


def test_kpis_json_has_rows_definitions_and_targets(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["view"], data["basis"]) == ("actual", "cohort")
    assert data["period"]["label"] == "2026-Q1" and data["as_of"] == "2026-04-03T10:00:00"
    row = next(r for r in data["rows"] if r["kpi"] == "mql_to_sal")
    assert (row["value"], row["numerator"], row["denominator"], row["target"], row["status"]) \
        == (0.5, 2, 4, 0.7, "off-target")
    assert data["definitions"]["mql_to_sal"].startswith("MQLs sales accepted")


def test_kpis_by_and_basis_and_kpi_options(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1", "--by", "channel",
                              "--basis", "period", "--kpi", "mql_to_sal", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {r["kpi"] for r in data["rows"]} == {"mql_to_sal"}
    assert (data["by"], data["basis"], data["view"]) == ("channel", "period", "actual")
    assert {r["group"] for r in data["rows"]} == {"all", "paid_search", "webinar"}


def test_the_old_view_cohort_and_period_still_work_with_a_note(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1", "--view", "period",
                              "--kpi", "mql_to_sal", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["basis"], data["view"]) == ("period", "actual")
    assert "--view period is deprecated; use --basis period" in out.stderr
    eff = runner.invoke(app, ["effectiveness", "-w", str(ws), "--view", "cohort", "--json"])
    assert eff.exit_code == 0, eff.output
    assert json.loads(eff.stdout)["basis"] == "cohort"
    assert "--view cohort is deprecated" in eff.stderr


def test_the_derived_view_needs_accord_run(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--view", "derived"])
    assert out.exit_code == 2
    assert "run `accord run` first" in out.stderr


def test_kpis_table_shows_each_definition(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1"],
                        env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Definitions" in out.stdout and "Opportunities won ÷ opportunities closed" in \
        out.stdout
    assert "off-target" in out.stdout


def test_bad_names_are_clear_errors(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--by", "chanel"])
    assert out.exit_code == 2
    assert "unknown dimension 'chanel'" in out.stderr
    assert "did you mean 'channel'" in out.stderr and "known: channel, campaign" in out.stderr
    kpi = runner.invoke(app, ["kpis", "-w", str(ws), "--kpi", "win_rat"])
    assert kpi.exit_code == 2 and "unknown KPI 'win_rat'" in kpi.stderr
    assert "known: lead_to_mql" in kpi.stderr
    basis = runner.invoke(app, ["effectiveness", "-w", str(ws), "--basis", "month"])
    assert basis.exit_code == 2 and "unknown basis 'month'" in basis.stderr


def test_effectiveness_json_and_table(ws: Path) -> None:
    out = runner.invoke(app, ["effectiveness", "-w", str(ws), "--period", "2026-Q1",
                              "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    total = data["rows"][0]
    assert (total["handoff_rate"], total["bucket"]) == (0.6, "effective_aligned")
    assert data["structural"]["structural"] is False
    table = runner.invoke(app, ["effectiveness", "-w", str(ws), "--period", "2026-Q1",
                                "--by", "channel"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "broken_handoff" in table.stdout and "Structural diagnostic" in table.stdout
