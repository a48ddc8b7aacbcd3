"""The lifecycle funnel: how many leads reached each stage, and stage-to-stage conversion.

The funnel is the contract's stages playing the funnel roles, in order (`contract/roles.py`:
lead → handoff → accepted → qualified → opportunity → won; `contract.stages.funnel`),
each shown under the contract's name for it (MQL or "Marketing Qualified Lead", Customer
or "Closed Won"). A contract without a role simply has no such step.

A lead *reached* a stage when it has a stage move into that stage or into any later
funnel stage (a lead accepted straight to the accepted stage still passed the handoff),
so counts never rise down the funnel. The opportunity stage is also reached by having an
opportunity row, and the won stage by having a won opportunity. Stage moves are read from
a named view (`engine/views.py`: `actual`, the stage events as recorded, by default; or
`derived`, the engine's recomputation). Cohort view: leads are counted in full whatever
the period; a period filter applies to lead creation time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import ibis
import ibis.expr.types as ir

from accord.contract.compiled import CompiledContract
from accord.contract.roles import StageRole
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view, stage_moves
from accord.errors import UnknownNameError
from accord.store import Store

NONE_GROUP = "(none)"


@dataclass(frozen=True)
class FunnelRow:
    group: str
    counts: tuple[int, ...]

    @property
    def conversions(self) -> tuple[float | None, ...]:
        """Stage-to-stage conversion: reached(next) / reached(this); None when 0/0."""
        return tuple(
            (b / a) if a else None for a, b in pairwise(self.counts)
        )

    def as_dict(self, stages: tuple[str, ...]) -> dict[str, object]:
        return {
            "group": self.group,
            "counts": dict(zip(stages, self.counts, strict=True)),
            "conversion": {
                f"{a}->{b}": c
                for (a, b), c in zip(pairwise(stages), self.conversions, strict=True)
            },
        }


@dataclass(frozen=True)
class Funnel:
    """Counts per funnel stage (`stages`: the contract's names, `roles` beside them)."""

    stages: tuple[str, ...]
    roles: tuple[StageRole, ...]
    view: View
    total: FunnelRow
    by: str | None
    groups: tuple[FunnelRow, ...]

    @property
    def view_label(self) -> str:
        return VIEW_LABELS[self.view]

    def as_dict(self) -> dict[str, object]:
        return {"stages": list(self.stages),
                "roles": {n: r.value for n, r in zip(self.stages, self.roles, strict=True)},
                "view": self.view, "view_label": self.view_label,
                "total": self.total.as_dict(self.stages), "by": self.by,
                "groups": [g.as_dict(self.stages) for g in self.groups]}


def role_depth(contract: CompiledContract, role: StageRole) -> int | None:
    """The depth (index in `contract.stages.funnel`) of `role`; None when the contract has
    no stage playing it."""
    for i, (r, _) in enumerate(contract.stages.funnel):
        if r == role:
            return i
    return None


def depth_of_stage(contract: CompiledContract, stage: ir.StringValue) -> ir.IntegerValue:
    """The funnel depth a move into `stage` reaches (0 off the funnel)."""
    pairs = [(name, i) for i, (_, name) in enumerate(contract.stages.funnel) if i > 0]
    if not pairs:
        return ibis.literal(0, "int64")
    return stage.cases(*pairs, else_=0).cast("int64")


def reach_events(store: Store, contract: CompiledContract, view: View) -> ir.Table:
    """Every event that makes a lead reach a funnel depth: lead_id, depth, at.

    Stage moves of `view` into a funnel stage; opportunities (the opportunity depth, at
    `created_at`); won opportunities (the won depth, at `closed_at`, or `created_at` when
    no close time is known)."""
    moves = stage_moves(store, view)
    u = moves.select(lead_id=moves.lead_id, depth=depth_of_stage(contract, moves.to_stage),
                     at=moves.occurred_at)
    opp = store.table("opportunities")
    linked = opp.filter(opp.lead_id.notnull())
    opp_depth = role_depth(contract, StageRole.OPPORTUNITY)
    won_depth = role_depth(contract, StageRole.WON)
    if opp_depth is not None:
        u = u.union(linked.select(lead_id=linked.lead_id,
                                  depth=ibis.literal(opp_depth, "int64"),
                                  at=linked.created_at))
    if won_depth is not None:
        won = linked.filter(linked.status == "won")
        u = u.union(won.select(lead_id=won.lead_id, depth=ibis.literal(won_depth, "int64"),
                               at=won.closed_at.fill_null(won.created_at)))
    return u


def lead_depth(store: Store, contract: CompiledContract,
               view: View = DEFAULT_VIEW) -> ir.Table:
    """One row per lead: lead columns plus `depth`, the index in the contract's funnel
    reached (0: the lead stage only)."""
    check_view(view)
    u = reach_events(store, contract, view)
    both = u.group_by("lead_id").aggregate(depth=u.depth.max())
    leads = store.table("leads")
    joined = leads.left_join(both, leads.lead_id == both.lead_id)
    return joined.select(*[leads[c] for c in leads.columns],
                         depth=joined.depth.fill_null(0).cast("int64"))


def compute_funnel(store: Store, contract: CompiledContract, *, by: str | None = None,
                   view: View = DEFAULT_VIEW, since: datetime | None = None,
                   until: datetime | None = None) -> Funnel:
    """Funnel counts overall and (optionally) by a lead column such as `channel`.

    `UnknownNameError` when `by` is not a lead column."""
    check_view(view)
    funnel = contract.stages.funnel
    t = lead_depth(store, contract, view)
    if since is not None:
        t = t.filter(t.created_at >= since)
    if until is not None:
        t = t.filter(t.created_at < until)
    metrics = {f"s{i}": ibis.ifelse(t.depth >= i, 1, 0).sum() for i in range(len(funnel))}
    total = t.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    total_row = FunnelRow("all", tuple(int(total[f"s{i}"] or 0) for i in range(len(funnel))))
    groups: list[FunnelRow] = []
    if by:
        columns = [c for c in t.columns if c != "depth"]
        if by not in columns:
            raise UnknownNameError("lead column", by, columns, where="the funnel's --by")
        rows = (t.group_by(by).aggregate(**metrics).order_by(ibis.desc("s0"), by)
                .to_pyarrow().to_pylist())
        groups = [FunnelRow(str(r[by]) if r[by] is not None else NONE_GROUP,
                            tuple(int(r[f"s{i}"] or 0) for i in range(len(funnel))))
                  for r in rows]
    return Funnel(tuple(n for _, n in funnel), tuple(r for r, _ in funnel), view, total_row,
                  by, tuple(groups))
