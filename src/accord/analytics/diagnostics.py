"""Structural diagnostic (seed 000): is the problem structure rather than coaching?

Seed 000 gives three signs, to be measured monthly: more than a third of reps missing
quota, a third of the pipeline stalling at the same stage, a third of leads never
touched. All three together point at the structure. Each sign here is one Ibis
expression over the fact store, so it runs unchanged on DuckDB and PostgreSQL.

Definitions (the seed gives the thresholds; the measuring choices are ours):
- *reps missing quota*: active reps with a quota whose won amount (opportunities won,
  `closed_at` in the window, owned by the rep) is below the annual quota prorated to the
  window's length (days / 365). Tripped when the share is **more than** one third.
- *pipeline stalled at one stage*: leads whose latest stage move before `as_of` puts
  them in a pipeline stage (the stages playing the roles `PIPELINE_ROLES`: handoff,
  accepted, qualified, opportunity — MQL, SAL, SQL, Opportunity in the starter) are the
  pipeline; a lead is stalled when that move is more than `stall_days` old. The stage
  with the most stalled leads is named; tripped when its stalled leads are **at least**
  a third of the pipeline.
- *leads never touched*: read from the speed-to-lead SLA's clock (`engine/sla_clock.py`,
  the one `accord sla` and `accord kpis` read): leads whose clock started (first entry
  into its start stage, the handoff by default) in the window and at least `grace_days`
  before `as_of`, and that no sales activity had stopped by `as_of`. Tripped at **at
  least** a third.
A share with an empty denominator is None and never trips; a contract without a
speed-to-lead (`first_touch`) SLA gives the third sign no value, with a note. Stage
moves come from a named view (`engine/views.py`; actual by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.compiled import CompiledContract
from accord.engine.sla_clock import compute_sla_clocks
from accord.engine.views import DEFAULT_VIEW, View, check_view, stages_as_of
from accord.store import Store

STRUCTURAL_SHARE = Fraction(1, 3)  # seed 000: "a third" of reps / pipeline / leads
STALL_DAYS = 30
GRACE_DAYS = 7


@dataclass(frozen=True)
class Sign:
    """One of the three signs: `count` out of `total`, and whether it crosses a third."""

    name: str
    count: int
    total: int
    tripped: bool
    stage: str | None = None

    @property
    def share(self) -> float | None:
        return self.count / self.total if self.total else None


@dataclass(frozen=True)
class StructuralDiagnostic:
    start: datetime
    end: datetime
    reps_missing_quota: Sign
    pipeline_stalled: Sign
    leads_untouched: Sign
    notes: tuple[str, ...] = ()

    @property
    def signs(self) -> tuple[Sign, Sign, Sign]:
        return (self.reps_missing_quota, self.pipeline_stalled, self.leads_untouched)

    @property
    def structural(self) -> bool:
        """All three signs at once: fix the structure, not the people (seed 000)."""
        return all(s.tripped for s in self.signs)


def reps_missing_quota(store: Store, start: datetime, end: datetime) -> ir.Table:
    """One row: `missing` reps below prorated quota, out of `total` active reps with one."""
    reps = store.table("reps")
    reps = reps.filter(reps.quota.notnull() & (reps.quota > 0) & reps.active.fill_null(True))
    opps = store.table("opportunities")
    won = (
        opps.filter((opps.status == "won") & (opps.closed_at >= start) & (opps.closed_at < end))
        .group_by(owner=opps.owner_rep_id)
        .aggregate(won=opps.amount.sum())
    )
    joined = reps.left_join(won, reps.rep_id == won.owner)
    fraction = (end - start).total_seconds() / (365 * 86400)
    below = joined.won.fill_null(0.0) < joined.quota * fraction
    return joined.aggregate(missing=below.ifelse(1, 0).sum(), total=joined.count())


def pipeline_stalled_by_stage(
    store: Store, contract: CompiledContract, as_of: datetime, *,
    stall_days: int = STALL_DAYS, view: View = DEFAULT_VIEW,
) -> ir.Table:
    """Per pipeline stage: leads sitting there (`open`) and those stalled past
    `stall_days`."""
    cur = stages_as_of(store, view, as_of)
    cur = cur.filter(cur.stage.isin(contract.stages.pipeline))
    stalled = cur.since < as_of - timedelta(days=stall_days)
    return cur.group_by("stage").aggregate(open=cur.count(), stalled=stalled.ifelse(1, 0).sum())


def leads_never_touched(
    store: Store, contract: CompiledContract, start: datetime, end: datetime,
    as_of: datetime, *, grace_days: int = GRACE_DAYS, view: View = DEFAULT_VIEW,
) -> tuple[int, int] | None:
    """(untouched, handed off): speed-to-lead clocks started in the window and at least
    `grace_days` before `as_of`, and of those the ones no touch stopped by `as_of`. None
    without a speed-to-lead SLA."""
    sla = contract.speed_to_lead
    if sla is None:
        return None
    states = compute_sla_clocks(store, contract, as_of, view=view, slas=(sla.name,),
                                escalations=False).states
    cutoff = min(end, as_of - timedelta(days=grace_days))
    started = states.column("start_at")
    handed = pc.and_(pc.greater_equal(started, pa.scalar(start, pa.timestamp("us"))),
                     pc.less(started, pa.scalar(cutoff, pa.timestamp("us"))))
    untouched = pc.and_(handed, pc.is_null(states.column("stopped_at")))
    return (int(pc.sum(untouched.cast(pa.int64())).as_py() or 0),
            int(pc.sum(handed.cast(pa.int64())).as_py() or 0))


def structural_diagnostic(
    store: Store, contract: CompiledContract, start: datetime, end: datetime, *,
    as_of: datetime | None = None, stall_days: int = STALL_DAYS,
    grace_days: int = GRACE_DAYS, view: View = DEFAULT_VIEW,
) -> StructuralDiagnostic:
    """The three signs for the window [start, end); pipeline and touches as of `as_of`
    (default `end`)."""
    check_view(view)
    as_of = as_of or end
    notes: list[str] = []
    q = _one_row(reps_missing_quota(store, start, end))
    reps = Sign("reps_missing_quota", int(q["missing"] or 0), int(q["total"] or 0), False)
    reps = _trip(reps, strictly=True)

    rows = (pipeline_stalled_by_stage(store, contract, as_of, stall_days=stall_days,
                                      view=view)
            .order_by([ibis.desc("stalled"), "stage"]).to_pyarrow().to_pylist())
    total_open = sum(int(r["open"]) for r in rows)
    worst = rows[0] if rows else None
    stalled = Sign("pipeline_stalled", int(worst["stalled"]) if worst else 0, total_open, False,
                   stage=worst["stage"] if worst and worst["stalled"] else None)
    stalled = _trip(stalled, strictly=False)

    counted = leads_never_touched(store, contract, start, end, as_of,
                                  grace_days=grace_days, view=view)
    if counted is None:
        touched = Sign("leads_untouched", 0, 0, False)
        notes.append("leads_untouched has no value: the contract has no speed-to-lead "
                     "(`kind: first_touch`) SLA whose clock it reads")
    else:
        touched = _trip(Sign("leads_untouched", counted[0], counted[1], False),
                        strictly=False)
    return StructuralDiagnostic(start, end, reps, stalled, touched, tuple(notes))


def _trip(sign: Sign, *, strictly: bool) -> Sign:
    """Compare exactly (3 of 9 is a third, not a rounding error away from it)."""
    share = Fraction(sign.count, sign.total) if sign.total else None
    tripped = share is not None and (
        share > STRUCTURAL_SHARE if strictly else share >= STRUCTURAL_SHARE)
    return Sign(sign.name, sign.count, sign.total, tripped, sign.stage)


def _one_row(expr: ir.Table) -> dict[str, Any]:
    row: dict[str, Any] = expr.to_pyarrow().to_pylist()[0]
    return row
