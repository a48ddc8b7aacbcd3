"""`accord simulate` wiring: options reach the library; output and errors are rendered."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from accord.cli.simulate import simulate_command

app = typer.Typer()
app.command("simulate")(simulate_command)
app.command("noop")(lambda: None)  # keeps `simulate` a named sub-command
runner = CliRunner()


def test_json_output_reports_rows_and_effects(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--leads", "300",
                                 "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["rows"]["leads"] == 300
    assert data["seed"] == 4
    assert data["effects"][0]["kind"] == "segment_conversion"
    assert (tmp_path / "leads.parquet").exists()


def test_effects_none_and_csv_format(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--leads", "200",
                                 "--effects", "none", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "touches.csv").exists()
    assert "No effects planted" in result.stdout


def test_summary_table_is_printed(tmp_path: Path) -> None:
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path), "--leads", "200"])
    assert result.exit_code == 0, result.output
    assert "stage_events" in result.stdout
    assert "channel_ceiling" in result.stdout


def test_bad_effects_file_exits_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("effects: [{kind: slow_rep, rep: 1, delay_multiplier: 0}]\n")
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "o"), "--leads", "200",
                                 "--effects", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml" in result.output
    assert "delay_multiplier" in result.output


def test_help_shows_an_example() -> None:
    result = runner.invoke(app, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "accord simulate --out" in result.stdout
