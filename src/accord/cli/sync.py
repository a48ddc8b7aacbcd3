"""`accord sync` (being built)."""

from __future__ import annotations

import typer

app = typer.Typer(help="(being built)", no_args_is_help=True)


@app.command("pull")
def pull_command() -> None:
    """(being built)"""
    raise SystemExit("accord sync pull: not built yet")
