"""`accord cadence` (being built)."""

from __future__ import annotations

import typer

app = typer.Typer(help="(being built)", no_args_is_help=True)


@app.command("ics")
def ics_command() -> None:
    """(being built)"""
    raise SystemExit("accord cadence ics: not built yet")
