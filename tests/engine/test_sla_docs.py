"""docs/sla.md: every Python block runs, and every `accord sla` command line works."""

from __future__ import annotations

import shlex
from pathlib import Path

import typer
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli.sla import sla_command
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
    app = typer.Typer()
    app.command("sla")(sla_command)

    @app.callback()
    def _root() -> None: ...

    init_workspace(tmp_path)
    lines = [line.split("#")[0].strip() for block in blocks("") for line in block.splitlines()
             if line.startswith("accord sla")]
    assert len(lines) == 5
    for line in lines:
        args = shlex.split(line)[1:]
        result = CliRunner().invoke(app, [*args, "-w", str(tmp_path)])
        assert result.exit_code == 0, (line, result.output)
