"""What a run decided, in a few numbers: leads by tier, routed leads by rule, each SLA's
share within, and the reps with the most breaches — the contract at work, for `accord demo`
and anyone who wants the gist of `accord run` without reading the derived tables."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.contract.compiled import CompiledContract
from accord.engine.batch import RunSummary, run
from accord.engine.sla_clock import (
    RepBreaches,
    SlaSummary,
    rank_reps,
    summarise,
)
from accord.store.base import Store

__all__ = ["EngineOutcome", "run_with_outcome"]


@dataclass(frozen=True)
class EngineOutcome:
    """A run (`summary`), the routed leads per rule (in the order rules first assigned), the
    per-lead SLAs' summaries and the `worst` reps by breaches (worst first)."""

    summary: RunSummary
    routing_stage: str | None  # leads are routed on entering it; None: when created
    routed_by_rule: dict[str, int]
    slas: tuple[SlaSummary, ...]
    worst_reps: tuple[RepBreaches, ...]

    @property
    def routed(self) -> int:
        return sum(self.routed_by_rule.values())

    def as_dict(self) -> dict[str, Any]:
        return {"run": self.summary.as_dict(), "routing_stage": self.routing_stage,
                "routed": self.routed,
                "routed_by_rule": self.routed_by_rule,
                "slas": [s.as_dict() for s in self.slas],
                "worst_reps": [r.as_dict() for r in self.worst_reps]}


def run_with_outcome(store: Store, contract: CompiledContract, as_of: datetime, *,
                     worst: int = 3) -> EngineOutcome:
    """`accord run` as of `as_of`, and its outcome from the results the run computed."""
    summary = run(store, contract, as_of)
    assert summary.routing is not None and summary.sla is not None  # every step ran
    by_rule: dict[str, int] = {}
    for row in summary.routing.by_rule():  # rules in the order they first assigned
        by_rule[row["rule"]] = by_rule.get(row["rule"], 0) + row["leads"]
    return EngineOutcome(summary, contract.routing_stage, by_rule, summarise(summary.sla),
                         rank_reps(summary.sla)[:worst])
