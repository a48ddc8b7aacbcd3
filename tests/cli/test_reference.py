"""docs/cli.md is the commands' own help, and every command shows an example."""

from __future__ import annotations

from pathlib import Path

from accord.cli.reference import commands, render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOC.read_text() == render(), "run: python -m accord.cli.reference > docs/cli.md"


def test_every_command_has_an_example() -> None:
    missing = [name for name, cmd in commands() if "accord " not in (cmd.help or "")]
    assert missing == []
