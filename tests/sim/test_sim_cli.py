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


def test_contract_option_writes_that_contracts_stage_names(tmp_path: Path) -> None:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from accord.workspace import starter_contract_text

    contract = tmp_path / "accord.yaml"
    contract.write_text(starter_contract_text().replace("Customer", "Closed Won"))
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "o"), "--leads", "3000",
                                 "--seed", "2", "--contract", str(contract), "--json"])
    assert result.exit_code == 0, result.output
    events = pq.read_table(tmp_path / "o" / "stage_events.parquet")
    stages = set(pc.unique(events.column("to_stage")).to_pylist())
    assert "Closed Won" in stages and "Customer" not in stages


def test_default_contract_gives_the_librarys_bytes(tmp_path: Path) -> None:
    from accord.sim import simulate

    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "cli"), "--leads", "300",
                                 "--seed", "8", "--json"])
    assert result.exit_code == 0, result.output
    simulate(tmp_path / "lib", leads=300, seed=8)
    for f in sorted((tmp_path / "lib").rglob("*")):
        if f.is_file():
            assert (tmp_path / "cli" / f.relative_to(tmp_path / "lib")).read_bytes() == (
                f.read_bytes()), f


def test_contract_lacking_a_role_exits_naming_it(tmp_path: Path) -> None:
    from accord.workspace import starter_contract_text

    contract = tmp_path / "accord.yaml"
    contract.write_text(starter_contract_text().replace("Nurture", "Later"))
    result = runner.invoke(app, ["simulate", "--out", str(tmp_path / "o"), "--leads", "200",
                                 "--contract", str(contract)])
    assert result.exit_code != 0
    assert "role: recycled" in result.output
