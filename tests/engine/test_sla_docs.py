"""docs/sla.md: every Python block runs, and every `accord sla` command line works on a
workspace where `accord run` has run (the derived view needs its stage history)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pyarrow as pa
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli import app
from accord.facts import FACT_TABLES
from accord.store import open_store
from accord.workspace import init_workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "sla.md"


def blocks(lang: str) -> list[str]:
    return fenced_blocks(DOC, lang)


def test_python_examples_run() -> None:
    found = blocks("python")
    assert len(found) == 2
    for code in found:
        exec(compile(code, str(DOC), "exec"), {})


def test_command_examples_run(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    store = open_store(tmp_path / ".accord" / "accord.duckdb")
    schema = FACT_TABLES["reps"].arrow_schema()
    store.write_facts({"reps": pa.Table.from_pylist(
        [{"rep_id": "sdr_001", "name": "Sam", "role": "sdr"},
         {"rep_id": "ae_1", "name": "Ann", "role": "ae", "segment": "enterprise"}],
        schema=schema)})
    store.close()
    runner = CliRunner()
    assert runner.invoke(app, ["run", "-w", str(tmp_path)]).exit_code == 0
    lines = [line.split("#")[0].strip() for block in blocks("") for line in block.splitlines()
             if line.startswith("accord sla")]
    assert len(lines) == 7
    assert any("--period" in line for line in lines)
    for line in lines:
        args = shlex.split(line)[1:]
        result = runner.invoke(app, [*args, "-w", str(tmp_path)])
        assert result.exit_code == 0, (line, result.output)
