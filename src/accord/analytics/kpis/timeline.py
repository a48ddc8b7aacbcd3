"""One row per lead: when it reached each funnel role, was rejected, engaged and touched.

Stage reach follows the funnel's definition (`analytics/funnel.py`, `lead_depth`): a lead
reached a role's stage when it has a stage move (of the view read) into that stage *or any
later funnel stage*, an opportunity (the opportunity role) or a won opportunity (the won
role). So the time it reached a stage is the earliest of those, and a lead reached a
stage exactly when `lead_depth` says so.

Columns: the lead's `LEAD_COLUMNS`, and

- one `REACHED_AT[role]` column per funnel role after `lead` (`handoff_at`, `accepted_at`,
  `qualified_at`, `opportunity_at`, `won_at`): first reach of that role's stage (a won
  opportunity counts at `closed_at`, or at `created_at` when no close time is known);
  always null when the contract has no stage playing the role;
- `rejected_at`, `rejection_reason`: the first handoff rejection — a stage move out of
  the handoff stage (MQL in the starter) into a stage that is not further down the
  funnel (a send-back stage such as Nurture or Disqualified, or back to the lead stage)
  — and its reason code;
- `engaged_at`: first marketing touch (`touches`);
- `followup_at`: the first sales activity at or after `engaged_at` (for the handoff rate);
- `activities`: sales activities on the lead.

The speed-to-lead clock is not here: those KPIs read the SLA clock itself
(`engine/sla_clock.py`, see `definitions.py`).

The rep who first worked a lead (for splits by rep) is joined only when asked
(`first_reps`), because an ordered aggregate over every activity is costly.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from accord.analytics.funnel import reach_events, role_depth
from accord.contract.compiled import CompiledContract
from accord.contract.roles import FUNNEL_ROLES, StageRole
from accord.engine.views import DEFAULT_VIEW, View, stage_moves
from accord.store import Store

# Funnel role -> the timeline column that says when a lead reached its stage.
REACHED_AT: dict[StageRole, str] = {
    r: ("created_at" if r == StageRole.LEAD else f"{r.value}_at") for r in FUNNEL_ROLES
}
# The lead columns KPIs read (dimensions and the cohort); the rest stay behind.
LEAD_COLUMNS = ("lead_id", "account_id", "channel", "campaign_id", "landing_page", "created_at")


def stage_times(store: Store, contract: CompiledContract, view: View) -> ir.Table:
    """Per lead with any stage move or opportunity: the first time it reached each funnel
    role's stage (null for roles the contract lacks)."""
    u = reach_events(store, contract, view)
    cols: dict[str, ir.Value] = {}
    for role in FUNNEL_ROLES[1:]:
        depth = role_depth(contract, role)
        reached = u.depth >= depth if depth is not None else ibis.literal(False)
        cols[REACHED_AT[role]] = u.at.min(where=reached)
    return u.group_by("lead_id").aggregate(**cols)


def rejections(store: Store, contract: CompiledContract, view: View) -> ir.Table:
    """Per rejected lead: the first handoff rejection's time and reason code (see the
    module docstring). No rows when the contract has no handoff stage."""
    moves = stage_moves(store, view)
    handoff = contract.stages.named(StageRole.HANDOFF)
    handoff_depth = role_depth(contract, StageRole.HANDOFF)
    if handoff is None or handoff_depth is None:
        rej = moves.filter(ibis.literal(False))
    else:
        forward = [n for i, (_, n) in enumerate(contract.stages.funnel) if i >= handoff_depth]
        rej = moves.filter((moves.from_stage == handoff) & ~moves.to_stage.isin(forward))
    return rej.group_by("lead_id").aggregate(
        rejected_at=rej.occurred_at.min(),
        rejection_reason=rej.reason.argmin(rej.occurred_at),
    )


def lead_timeline(store: Store, contract: CompiledContract,
                  view: View = DEFAULT_VIEW) -> ir.Table:
    """The per-lead timeline described in the module docstring, one row per lead."""
    leads = store.table("leads").select(*LEAD_COLUMNS)
    times = stage_times(store, contract, view)
    rej = rejections(store, contract, view)
    tch = store.table("touches")
    engaged = tch.group_by("lead_id").aggregate(engaged_at=tch.occurred_at.min())

    t = leads
    for extra in (times, rej, engaged):
        joined = t.left_join(extra, t.lead_id == extra.lead_id)
        t = joined.select(*[joined[c] for c in t.columns],
                          *[extra[c] for c in extra.columns if c != "lead_id"])

    act = store.table("activities")
    marks = t.select("lead_id", "engaged_at")
    aj = act.join(marks, act.lead_id == marks.lead_id)
    per_lead = aj.group_by(act.lead_id).aggregate(
        activities=aj.activity_id.count(),
        followup_at=aj.occurred_at.min(where=aj.occurred_at >= aj.engaged_at),
    )
    joined = t.left_join(per_lead, t.lead_id == per_lead.lead_id)
    return joined.select(
        *[joined[c] for c in t.columns],
        activities=per_lead.activities.fill_null(0),
        followup_at=per_lead.followup_at,
    )


def first_reps(store: Store) -> ir.Table:
    """Per worked lead: `first_rep_id`, the rep of its first sales activity."""
    act = store.table("activities")
    return act.group_by("lead_id").aggregate(first_rep_id=act.rep_id.argmin(act.occurred_at))
