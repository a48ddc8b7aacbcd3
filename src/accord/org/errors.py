"""Errors for org profiles, charts and rendering, in accord's one exception family."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from accord.errors import AccordError


@dataclass(frozen=True)
class InputIssue:
    """One problem in a profile or chart: the file (or CLI flag), line, field path, message."""

    file: str
    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f"{self.path}: " if self.path else ""
        return f"{where}: {field}{self.message}"


class OrgInputError(AccordError, ValueError):
    """A company profile or org chart is invalid; `issues` holds every problem found.

    Exit code 2, as for any wrong value given to a command (docs/cli.md, "Exit codes")."""

    exit_code: ClassVar[int] = 2

    def __init__(self, issues: list[InputIssue]) -> None:
        self.issues = list(issues)
        shown = [str(i) for i in self.issues[:20]]
        if len(self.issues) > 20:
            shown.append(f"… and {len(self.issues) - 20} more")
        super().__init__("\n".join(shown) if shown else "invalid input")


class ChartRenderError(AccordError, RuntimeError):
    """An org chart could not be rendered (for SVG: Graphviz `dot` missing or failing).
    Exit code 1."""
