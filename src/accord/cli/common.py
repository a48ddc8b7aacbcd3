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
AsOfOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", help="Compute as of this UTC time (facts after it are ignored). "
                                 "Default: the latest fact in the store, so historical or "
                                 "simulated data reads as of its own end; now if empty."),
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
def open_session(path: Path, store: str | None, *, contract: bool = True
                 ) -> Iterator[Session]:
    """The one preamble of every command: the workspace at `path`, its compiled contract
    and its store (`--store` overrides), closed when the command ends."""
    with Workspace(path.resolve(), store).session(contract=contract) as session:
        yield session


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, sort_keys=False) + "\n")


def guarded(func: F) -> F:
    """Turn accord's own errors into a clear message on stderr and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ContractError as exc:
            for issue in exc.issues:
                err_console.print(f"[red]✗[/red] {issue}", highlight=False, soft_wrap=True)
            err_console.print(f"{len(exc.issues)} problem(s) in the contract.")
            raise typer.Exit(1) from None
        except ImportFactsError as exc:
            err_console.print(f"[red]✗ import refused[/red] {exc}", highlight=False,
                              soft_wrap=True)
            err_console.print("Nothing was written; the store is as it was.")
            raise typer.Exit(1) from None
        except AccordError as exc:
            err_console.print(f"[red]✗[/red] {exc}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]
