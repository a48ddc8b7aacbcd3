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
    assert data["view"] == "cohort" and data["period"]["label"] == "2026-Q1"
    row = next(r for r in data["rows"] if r["kpi"] == "mql_to_sal")
    assert (row["value"], row["numerator"], row["denominator"], row["target"], row["status"]) \
        == (0.5, 2, 4, 0.7, "off-target")
    assert data["definitions"]["mql_to_sal"].startswith("MQLs sales accepted")


def test_kpis_by_and_view_and_kpi_options(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1", "--by", "channel",
                              "--view", "period", "--kpi", "mql_to_sal", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert {r["kpi"] for r in data["rows"]} == {"mql_to_sal"}
    assert data["by"] == "channel" and data["view"] == "period"
    assert {r["group"] for r in data["rows"]} == {"all", "paid_search", "webinar"}


def test_kpis_table_shows_each_definition(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--period", "2026-Q1"],
                        env={"COLUMNS": "200"})
    assert out.exit_code == 0, out.output
    assert "Definitions" in out.stdout and "Opportunities won ÷ opportunities closed" in \
        out.stdout
    assert "off-target" in out.stdout


def test_a_bad_dimension_is_a_clear_error(ws: Path) -> None:
    out = runner.invoke(app, ["kpis", "-w", str(ws), "--by", "chanel"])
    assert out.exit_code == 1
    assert "did you mean 'channel'" in out.output


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
