"""The two named views of a lead's stages (DESIGN principle 2).

- **actual**: what people and the CRM recorded — the `stage_events` facts (and, once the
  server keeps one, its decision log). The default of every figure, because it is what
  the teams lived through.
- **derived**: the engine's recomputation under the contract — the `stage_history` that
  `accord run` writes (MQL from the entry criteria, Opportunity and Won from the
  opportunities, the rest from stage events; `engine/lifecycle.py`).

Every KPI, funnel and SLA figure reads its stage moves through `stage_moves`, and says
which view it read. What-if is the derived view under another contract.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

import ibis

from accord.errors import UnknownNameError, UsageError
from accord.store.base import Store

View = Literal["actual", "derived"]
VIEWS: tuple[View, ...] = get_args(View)
DEFAULT_VIEW: View = "actual"
VIEW_LABELS: dict[View, str] = {
    "actual": "actual view: stage changes as people and the CRM recorded them",
    "derived": "derived view: stages as the engine recomputes them under the contract",
}


def check_view(view: str) -> View:
    """`view` when it is one of VIEWS; `UnknownNameError` otherwise."""
    if view not in VIEWS:
        raise UnknownNameError("view", view, VIEWS)
    return view


def stage_moves(store: Store, view: View) -> ibis.Table:
    """Every stage move of the view: lead_id, from_stage, to_stage, occurred_at, actor,
    reason, move_id (the fact's id; derived creation rows have none).

    Derived: the `stage_history` of the last `accord run`; `UsageError` when none exists."""
    if view == "actual":
        ev = store.table("stage_events")
        return ev.select("lead_id", "from_stage", "to_stage", "occurred_at", "actor",
                         "reason", move_id=ev.event_id)
    try:
        h = store.derived("stage_history")
    except KeyError:
        raise UsageError(
            "the derived view reads the stage history the engine computes, and there is "
            "none yet; run `accord run` first, or use --view actual") from None
    move_id = ibis.coalesce(h.fact_id, h.lead_id.concat(ibis.literal("#"),
                                                         h.seq.cast("string")))
    return h.select("lead_id", "from_stage", "to_stage", "occurred_at", "actor", "reason",
                    move_id=move_id)


def stages_as_of(store: Store, view: View, as_of: datetime) -> ibis.Table:
    """Each lead's stage just before `as_of` in the view: lead_id, stage, since — the
    latest stage move before `as_of` (ties broken by the later move id). Leads without a
    move before `as_of` have no row."""
    moves = stage_moves(store, view)
    moves = moves.filter(moves.occurred_at < as_of)
    ranked = moves.mutate(rank=ibis.row_number().over(
        group_by=moves.lead_id, order_by=[ibis.desc(moves.occurred_at), ibis.desc(moves.move_id)]))
    latest = ranked.filter(ranked["rank"] == 0)
    return latest.select(lead_id=latest.lead_id, stage=latest.to_stage, since=latest.occurred_at)
