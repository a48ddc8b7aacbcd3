"""One exception family for accord. Callers match on the class, never on message text.

Every class carries the exit code the command line ends with (documented in docs/cli.md,
"Exit codes"):

| code | class | meaning |
|---|---|---|
| 1 | `AccordError`, `EngineError`, `NotComputedError` | accord refused something |
| 2 | `UsageError`, `UnknownNameError` | a wrong option value or an unknown name |
| 3 | `ContractError`, `CriteriaSyntaxError` | the contract has problems |
| 4 | `ImportFactsError` | an import was refused; nothing was written |
| 5 | `StoreError` | the store could not be opened, read or written |
| 6 | `WorkspaceError` | no workspace or contract where one was expected |
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, ClassVar


class AccordError(Exception):
    """Root of every error accord raises on purpose."""

    exit_code: ClassVar[int] = 1


class UsageError(AccordError, ValueError):
    """A value given on the command line, in an API call or to a library function is not
    one accord accepts; the message names it and what was expected."""

    exit_code: ClassVar[int] = 2


class UnknownNameError(UsageError, KeyError):
    """A name (stage, KPI, rep, lead, SLA, dimension, …) that does not exist.

    Keeps `kind` ("stage", "KPI", …), the `value` asked for and the `allowed` names, and
    suggests the closest one."""

    def __init__(self, kind: str, value: object, allowed: Iterable[Any] = (), *,
                 where: str | None = None, limit: int = 30) -> None:
        self.kind = kind
        self.value = value
        self.allowed: tuple[str, ...] = tuple(str(a) for a in allowed)
        self.where = where
        shown = ", ".join(self.allowed[:limit])
        if len(self.allowed) > limit:
            shown += f", … ({len(self.allowed) - limit} more)"
        suggestion = _closest(str(value), self.allowed)
        parts = [f"unknown {kind} {value!r}" + (f" in {where}" if where else "")]
        if suggestion is not None:
            parts.append(f"did you mean {suggestion!r}?")
        if self.allowed:
            parts.append(f"known: {shown}")
        else:
            parts.append(f"there are no {kind}s yet")
        self.message = "; ".join(parts)
        super().__init__(self.message)

    def __str__(self) -> str:  # KeyError would quote the message
        return self.message


class ContractError(AccordError, ValueError):
    """The contract file has problems; `issues` holds every one of them."""

    exit_code: ClassVar[int] = 3

    def __init__(self, issues: Sequence[object], path: str | None = None) -> None:
        self.issues = list(issues)
        self.path = path
        shown = self.issues[:20]
        lines = [str(i) for i in shown]
        if len(self.issues) > len(shown):
            lines.append(f"… and {len(self.issues) - len(shown)} more")
        super().__init__("\n".join(lines) if lines else "invalid contract")


class CriteriaSyntaxError(AccordError, ValueError):
    """A criteria expression could not be parsed. `column` is 1-based within the text."""

    exit_code: ClassVar[int] = 3

    def __init__(self, message: str, text: str, column: int) -> None:
        self.message = message
        self.text = text
        self.column = column
        super().__init__(f"{message} at column {column}: {text!r}")


class ImportFactsError(AccordError, ValueError):
    """A fact file could not be imported. Carries file, row (1-based data row) and column."""

    exit_code: ClassVar[int] = 4

    def __init__(self, message: str, file: str | None = None, row: int | None = None,
                 column: str | None = None) -> None:
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        where = ":".join(str(p) for p in (file, row) if p is not None)
        col = f" column {column!r}" if column else ""
        super().__init__(f"{where}{col}: {message}" if where or col else message)


class StoreError(AccordError, RuntimeError):
    """The store could not be opened, read or written."""

    exit_code: ClassVar[int] = 5


class NotComputedError(AccordError, KeyError):
    """A derived table (scores, stages, assignments, SLA states, …) that has not been
    computed yet; the message says which command computes it (`accord run`). A KeyError
    too, so code that falls back when a derived table is missing keeps working."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else "not computed yet"


class EngineError(AccordError, ValueError):
    """An event or decision the engine refuses; the message names the record."""


class WorkspaceError(AccordError, FileNotFoundError):
    """No workspace / contract where one was expected."""

    exit_code: ClassVar[int] = 6


def _closest(value: str, allowed: Sequence[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(value, list(allowed), n=1, cutoff=0.6)
    if found:
        return found[0]
    low = {a.lower(): a for a in allowed}
    return low.get(value.lower())
