"""accord's command line: one command per user task. Thin: parse, call the library, render."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="accord",
    help="Revenue alignment as code: the marketing–sales agreement as one versioned contract.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


def main() -> None:
    app()
