"""Pipeline velocity: how long leads stay in each stage.

A *stay* starts with a stage move into a stage and lasts until the lead's next stage move
(moves of a lead in `(occurred_at, move_id)` order, as `engine.views.stages_as_of` orders
them); a stay with no later move before `as_of` is *open* and is measured up to `as_of`.
Only moves before `as_of` count. Per stage: stays, how many are still open, and the
median (continuous) and mean days. One Ibis expression over the view's stage moves
(`engine/views.py`), so it runs unchanged on DuckDB and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir

from accord.engine.views import DEFAULT_VIEW, View, check_view, stage_moves
from accord.store import Store

SECONDS_PER_DAY = 86_400.0


def time_in_stage(store: Store, as_of: datetime, *, view: View = DEFAULT_VIEW) -> ir.Table:
    """Per stage: `stays` (moves into it before `as_of`), `open` (stays not yet left),
    `median_days` and `mean_days` from entering the stage to the lead's next move, or to
    `as_of` for an open stay."""
    moves = stage_moves(store, check_view(view))
    moves = moves.filter(moves.occurred_at < as_of)
    w = ibis.window(group_by=moves.lead_id, order_by=[moves.occurred_at, moves.move_id])
    stays = moves.mutate(left_at=moves.occurred_at.lead().over(w))
    ended = stays.left_at.fill_null(ibis.literal(as_of, type="timestamp"))
    days = (ended.epoch_seconds().cast("float64")
            - stays.occurred_at.epoch_seconds().cast("float64")) / SECONDS_PER_DAY
    stays = stays.select(stage=stays.to_stage, still_open=stays.left_at.isnull(), days=days)
    return stays.group_by("stage").aggregate(
        stays=stays.count(), open=stays.still_open.ifelse(1, 0).sum(),
        median_days=stays.days.quantile(0.5), mean_days=stays.days.mean())
