"""Shared plumbing for commands: options, error reporting, JSON output."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from accord.contract.instants import naive_utc
from accord.errors import AccordError, ContractError, ImportFactsError
from accord.store.as_of import resolve_as_of
from accord.store.base import Store
from accord.workspace import Session, Workspace

# Piped output is not cut to 80 columns: tables stay whole in files and CI logs.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

F = TypeVar("F", bound=Callable[..., Any])

WorkspaceOpt = Annotated[
    Path, typer.Option("--workspace", "-w", help="Workspace folder (holds accord.yaml).",
                       file_okay=False)
]
StoreOpt = Annotated[
    str | None,
    typer.Option("--store", help="Store URL: a DuckDB file path or postgresql://host/db?schema=s. "
                                 "Default: <workspace>/.accord/accord.duckdb."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as JSON for scripts.")]
def parse_instant(text: str) -> datetime:
    """An `--as-of` value: an ISO date or date-time (`2026-03-31`, `2026-03-31T17:00`,
    `2026-03-31T12:00-05:00`, `…Z`), as naive UTC (an offset is converted; none means
    UTC). A value that is none of these exits 2 naming it."""
    if isinstance(text, datetime):  # a default, or a test passing one
        return naive_utc(text)
    try:
        return naive_utc(datetime.fromisoformat(str(text).strip()))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO date or date-time; use e.g. 2026-03-31, "
            "2026-03-31T17:00 (UTC) or 2026-03-31T12:00-05:00") from None


AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", parser=parse_instant, metavar="TIME",
                 help="Compute as of this time (ISO; UTC unless it has an offset); facts "
                      "after it are ignored. Default: the latest fact in the store, so "
                      "historical or simulated data reads as of its own end; the wall "
                      "clock when the store is empty."),
]


ViewOpt = Annotated[
    str,
    typer.Option("--view", help="actual: stage changes as people and the CRM recorded them "
                                "(default); derived: stages as the engine recomputes them "
                                "under the contract (needs `accord run`)."),
]


def as_of_or_latest(store: Store, value: datetime | None) -> datetime:
    """The `--as-of` time (naive UTC), else the store's latest fact time, else now."""
    return resolve_as_of(store, value).at


def workspace(path: Path, store: str | None) -> Workspace:
    return Workspace(path.resolve(), store)


@contextmanager
def open_session(path: Path, store: str | None, *, contract: bool | None = True
                 ) -> Iterator[Session]:
    """The one preamble of every command: the workspace at `path`, its compiled contract
    and its store (`--store` overrides), closed when the command ends. `contract`: True,
    required; False, compiled when the file exists; None, not read (`Workspace.session`)."""
    with Workspace(path.resolve(), store).session(contract=contract) as session:
        yield session


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, sort_keys=False) + "\n")


def report_error(exc: AccordError) -> int:
    """Print `exc` for a person on stderr and return the exit code its class carries
    (`accord.errors`; the table is in docs/cli.md, "Exit codes").

    A contract's problems are listed one per line; a refused import says that nothing was
    written; an unknown name prints its message (the value, the closest known name, the
    known ones); anything else is one line."""
    issues = getattr(exc, "issues", None)
    if isinstance(exc, ContractError):
        for issue in exc.issues:
            err_console.print(f"[red]✗[/red] {escape(str(issue))}", highlight=False,
                              soft_wrap=True)
        where = f" in {exc.path}" if exc.path else " in the contract"
        err_console.print(f"{len(exc.issues)} problem(s){escape(where)}.", highlight=False)
    elif isinstance(exc, ImportFactsError):
        err_console.print(f"[red]✗ import refused[/red] {escape(str(exc))}", highlight=False,
                          soft_wrap=True)
        err_console.print("Nothing was written; the store is as it was.")
    elif isinstance(issues, list) and issues:  # e.g. an org profile or chart: one per line
        for issue in issues:
            err_console.print(f"[red]✗[/red] {escape(str(issue))}", highlight=False,
                              soft_wrap=True)
    else:
        text = " ".join(str(exc).split()) or type(exc).__name__
        err_console.print(f"[red]✗[/red] {escape(text)}", highlight=False, soft_wrap=True)
    return exc.exit_code


def error_object(exc: AccordError) -> dict[str, Any]:
    """`exc` as the JSON a script reads under `--json`: `{"error": {"type", "message",
    "exit_code", and "file", "row", "column", "line", "issues" when known}}`."""
    body: dict[str, Any] = {"type": type(exc).__name__,
                            "message": getattr(exc, "message", None) or str(exc),
                            "exit_code": exc.exit_code}
    if isinstance(exc, ImportFactsError):
        body["message"] = exc.message
    for key in ("file", "row", "column", "line", "path"):
        value = getattr(exc, key, None)
        if value is not None and not callable(value):
            body[key] = value if isinstance(value, int | str) else str(value)
    if isinstance(exc, ContractError):
        body["message"] = str(exc)
    issues = getattr(exc, "issues", None)
    if isinstance(issues, list) and issues:
        body["issues"] = [str(i) for i in issues]
    return {"error": body}


def guarded(func: F) -> F:
    """Turn accord's own errors into a message on stderr and the exit code of their class
    (`report_error`); other exceptions go on to `accord.cli.main`'s last resort.

    A command called with `--json` (its `as_json` parameter) prints the error as one JSON
    object on stdout instead (`error_object`), so a script reads the same stream whether
    the command worked or not; the exit code is the same."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except AccordError as exc:
            if kwargs.get("as_json") is True:
                print_json(error_object(exc))
                raise typer.Exit(exc.exit_code) from None
            raise typer.Exit(report_error(exc)) from None

    return wrapper  # type: ignore[return-value]
