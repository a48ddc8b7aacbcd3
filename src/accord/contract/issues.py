"""Contract issues: what is wrong, where (file, line, YAML path) and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]


@dataclass(frozen=True)
class ContractIssue:
    path: str  # dotted YAML path, e.g. slas.speed_to_lead.within
    message: str
    line: int = 1
    column: int = 1
    file: str = "accord.yaml"
    hint: str | None = None
    level: Level = "error"

    def __str__(self) -> str:
        text = f"{self.file}:{self.line} {self.path or '<root>'}: {self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file, "line": self.line, "column": self.column, "path": self.path,
            "message": self.message, "hint": self.hint, "level": self.level,
        }


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The closest known name, when one is close enough to be a likely typo."""
    pool = sorted({str(c) for c in choices})
    lowered = {c.lower(): c for c in pool}
    if name.lower() in lowered and lowered[name.lower()] != name:
        return f"did you mean {lowered[name.lower()]!r}?"
    match = difflib.get_close_matches(name, pool, n=1, cutoff=0.6)
    return f"did you mean {match[0]!r}?" if match else None


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out
