"""Lint findings: what a rule found in an org chart, why it matters and where that comes from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from accord.org.catalogue import Source

Severity = Literal["error", "warning"]


class Finding(BaseModel):
    """One problem on the chart. `nodes` are the chart ids involved, the offender first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule: str
    severity: Severity
    nodes: tuple[str, ...]
    message: str
    reason: str
    source: Source

    def __str__(self) -> str:
        return f"{self.severity} {self.rule} [{', '.join(self.nodes)}]: {self.message}"
