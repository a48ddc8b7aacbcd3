"""CLI wiring: init, contract validate/schema, import, status (rules are tested in the library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()

LEADS = """lead_id,email,channel,created_at
L1,ann@acme.com,webinar,2025-03-01T09:00:00Z
L2,bob@globex.io,paid_search,2025-03-02T10:30:00Z
"""
TOUCHES = """touch_id,lead_id,signal,occurred_at
T1,L1,webinar_attended,2025-03-01T14:00:00Z
T2,L2,demo_request,2025-03-04T15:00:00Z
T3,L2,pricing_page,2025-03-05T16:00:00Z
"""


def facts_folder(root: Path) -> Path:
    folder = root / "export"
    folder.mkdir()
    (folder / "leads.csv").write_text(LEADS)
    (folder / "touches.csv").write_text(TOUCHES)
    return folder


def test_init_writes_a_valid_contract_and_refuses_to_overwrite(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "ws" / "accord.yaml").exists()
    assert (tmp_path / "ws" / ".accord" / "accord.duckdb").exists()
    valid = runner.invoke(app, ["contract", "validate", str(tmp_path / "ws")])
    assert valid.exit_code == 0 and "is valid" in valid.output
    again = runner.invoke(app, ["init", str(tmp_path / "ws")])
    assert again.exit_code == 6 and "already exists" in again.output


def test_validate_exits_3_and_prints_file_line_path(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path)])
    contract = tmp_path / "accord.yaml"
    text = contract.read_text().replace("timezone: America/New_York", "timezone: Moon/Base")
    contract.write_text(text)
    line = text[: text.index("Moon/Base")].count("\n") + 1
    result = runner.invoke(app, ["contract", "validate", str(contract)])
    assert result.exit_code == 3
    assert f"{contract}:{line} calendar.timezone: unknown timezone 'Moon/Base'" in result.output
    as_json = runner.invoke(app, ["contract", "validate", str(contract), "--json"])
    data = json.loads(as_json.stdout)
    assert data["valid"] is False and data["issues"][0]["line"] == line


def test_schema_is_json_schema_with_every_section() -> None:
    result = runner.invoke(app, ["contract", "schema"])
    schema = json.loads(result.stdout)
    assert {"owners", "stages", "slas", "routing", "icps"} <= set(schema["properties"])
    assert "version" in schema["required"]


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_reimport_leaves_status_counts_unchanged(tmp_path: Path, backend: str,
                                                 store_url_factory) -> None:
    runner.invoke(app, ["init", str(tmp_path)])
    url = store_url_factory(backend)
    folder = facts_folder(tmp_path)
    base = ["-w", str(tmp_path), "--store", url]
    first = runner.invoke(app, ["import", str(folder), *base, "--json"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["added"] == {"leads": 2, "touches": 3}
    status1 = json.loads(runner.invoke(app, ["status", *base, "--json"]).stdout)
    second = runner.invoke(app, ["import", str(folder), *base, "--json"])
    assert json.loads(second.stdout)["added"] == {"leads": 0, "touches": 0}
    status2 = json.loads(runner.invoke(app, ["status", *base, "--json"]).stdout)
    assert status1["counts"] == status2["counts"]
    assert status2["counts"]["leads"] == 2 and status2["contract_version"] == 1


def test_bad_import_exits_4_names_the_row_and_writes_nothing(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path)])
    folder = facts_folder(tmp_path)
    (folder / "touches.csv").write_text(TOUCHES.replace("2025-03-05T16:00:00Z", "yesterday"))
    result = runner.invoke(app, ["import", str(folder), "-w", str(tmp_path)])
    assert result.exit_code == 4
    assert "touches.csv:3" in result.output and "occurred_at" in result.output
    assert "store is as it was" in result.output
    status = json.loads(runner.invoke(app, ["status", "-w", str(tmp_path), "--json"]).stdout)
    assert status["counts"]["leads"] == 0


def test_status_reports_a_broken_contract_without_failing(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path)])
    (tmp_path / "accord.yaml").write_text("version: 0\n")
    status = json.loads(runner.invoke(app, ["status", "-w", str(tmp_path), "--json"]).stdout)
    assert status["contract_version"] is None and status["contract_problem"]


def test_import_works_while_the_contract_is_broken(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path)])
    (tmp_path / "accord.yaml").write_text("version: [\n")
    result = runner.invoke(app, ["import", str(facts_folder(tmp_path)), "-w", str(tmp_path),
                                 "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["added"] == {"leads": 2, "touches": 3}
    text = runner.invoke(app, ["status", "-w", str(tmp_path)], env={"COLUMNS": "200"})
    assert text.exit_code == 0 and "not valid YAML" in text.output


def test_status_and_import_json_never_show_a_store_password(tmp_path: Path) -> None:
    """The password in a store URL stays out of `--json` (and the text): a refused
    connection still names the host, never the secret."""
    url = "postgresql://accord:s3cret-pw@127.0.0.1:1/none?schema=x"
    for args in (["status"], ["import", str(tmp_path)]):
        r = runner.invoke(app, [*args, "-w", str(tmp_path), "--store", url, "--json"])
        assert "s3cret-pw" not in r.output
        assert "Traceback" not in r.output
