"""One row per lead: when it reached each funnel stage, was rejected, engaged and touched.

Stage reach follows the funnel's definition (`analytics/funnel.py`, `lead_depth`): a lead
reached a stage when it has a stage event into that stage *or any later funnel stage*, an
opportunity (Opportunity) or a won opportunity (Won). So the time it reached a stage is the
earliest of those events, and a lead reached a stage exactly when `lead_depth` says so.

Columns: the lead's `LEAD_COLUMNS`, and

- `mql_at`, `sal_at`, `sql_at`, `opportunity_at`, `won_at`: first reach of each stage
  (a won opportunity counts at `closed_at`, or at `created_at` when no close time is known).
- `rejected_at`, `rejection_reason`: the first MQL rejection — a stage event out of `MQL`
  (`from_stage = 'MQL'`) into a stage that is not further down the funnel (e.g. `Nurture`,
  `Disqualified`) — and its reason code.
- `engaged_at`: first marketing touch (`touches`).
- `clock_start_at`: when the speed-to-lead clock starts (the contract's first-touch SLA
  `start` stage, MQL by default); `first_touch_at`: the first sales activity at or after it.
- `followup_at`: the first sales activity at or after `engaged_at` (for the handoff rate).
- `activities`: sales activities on the lead.

The rep who first worked a lead (for splits by rep) is joined only when asked
(`first_reps`), because an ordered aggregate over every activity is costly.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from accord.analytics.funnel import _EVENT_DEPTH, FUNNEL_STAGES
from accord.analytics.kpis.errors import KpiError
from accord.contract.schema import Contract, FirstTouchSLA
from accord.store import Store

# Stage -> the timeline column that says when a lead reached it.
REACHED_AT: dict[str, str] = {
    "Lead": "created_at", "MQL": "mql_at", "SAL": "sal_at", "SQL": "sql_at",
    "Opportunity": "opportunity_at", "Won": "won_at",
}
# The lead columns KPIs read (dimensions and the cohort clock); the rest stay behind.
LEAD_COLUMNS = ("lead_id", "account_id", "channel", "campaign_id", "landing_page", "created_at")
_FORWARD_OF_MQL = tuple(s for s, d in _EVENT_DEPTH.items() if d >= _EVENT_DEPTH["MQL"])


def speed_to_lead_sla(contract: Contract) -> FirstTouchSLA | None:
    """The contract's first-touch SLA (the first one, in contract order), if any."""
    for sla in contract.slas.values():
        if isinstance(sla, FirstTouchSLA):
            return sla
    return None


def clock_start_stage(contract: Contract) -> str:
    sla = speed_to_lead_sla(contract)
    stage = sla.start if sla is not None else "MQL"
    if stage not in REACHED_AT or stage == "Won":
        raise KpiError(
            f"the speed-to-lead clock starts at stage {stage!r}, which is not a funnel stage; "
            f"set slas.<name>.start to one of {', '.join(FUNNEL_STAGES[:-1])}")
    return stage


def stage_times(store: Store) -> ir.Table:
    """Per lead with any stage event or opportunity: the first time it reached each stage."""
    ev = store.table("stage_events")
    opp = store.table("opportunities")
    linked = opp.filter(opp.lead_id.notnull())
    events = ev.select(
        lead_id=ev.lead_id,
        depth=ev.to_stage.cases(*_EVENT_DEPTH.items(), else_=0).cast("int64"),
        at=ev.occurred_at,
    )
    created = linked.select(lead_id=linked.lead_id, depth=ibis.literal(4, "int64"),
                            at=linked.created_at)
    won = linked.filter(linked.status == "won")
    wins = won.select(lead_id=won.lead_id, depth=ibis.literal(5, "int64"),
                      at=won.closed_at.fill_null(won.created_at))
    u = events.union(created).union(wins)
    return u.group_by("lead_id").aggregate(
        **{REACHED_AT[stage]: u.at.min(where=u.depth >= depth)
           for depth, stage in enumerate(FUNNEL_STAGES) if depth >= 1}
    )


def rejections(store: Store) -> ir.Table:
    """Per rejected lead: the first MQL rejection's time and reason code."""
    ev = store.table("stage_events")
    rej = ev.filter((ev.from_stage == "MQL") & ~ev.to_stage.isin(_FORWARD_OF_MQL))
    return rej.group_by("lead_id").aggregate(
        rejected_at=rej.occurred_at.min(),
        rejection_reason=rej.reason.argmin(rej.occurred_at),
    )


def lead_timeline(store: Store, contract: Contract) -> ir.Table:
    """The per-lead timeline described in the module docstring, one row per lead."""
    leads = store.table("leads").select(*LEAD_COLUMNS)
    times = stage_times(store)
    rej = rejections(store)
    tch = store.table("touches")
    engaged = tch.group_by("lead_id").aggregate(engaged_at=tch.occurred_at.min())

    t = leads
    for extra in (times, rej, engaged):
        joined = t.left_join(extra, t.lead_id == extra.lead_id)
        t = joined.select(*[joined[c] for c in t.columns],
                          *[extra[c] for c in extra.columns if c != "lead_id"])
    t = t.mutate(clock_start_at=t[REACHED_AT[clock_start_stage(contract)]])

    act = store.table("activities")
    marks = t.select("lead_id", "clock_start_at", "engaged_at")
    aj = act.join(marks, act.lead_id == marks.lead_id)
    per_lead = aj.group_by(act.lead_id).aggregate(
        activities=aj.activity_id.count(),
        first_touch_at=aj.occurred_at.min(where=aj.occurred_at >= aj.clock_start_at),
        followup_at=aj.occurred_at.min(where=aj.occurred_at >= aj.engaged_at),
    )
    joined = t.left_join(per_lead, t.lead_id == per_lead.lead_id)
    return joined.select(
        *[joined[c] for c in t.columns],
        activities=per_lead.activities.fill_null(0),
        first_touch_at=per_lead.first_touch_at,
        followup_at=per_lead.followup_at,
    )


def first_reps(store: Store) -> ir.Table:
    """Per worked lead: `first_rep_id`, the rep of its first sales activity."""
    act = store.table("activities")
    return act.group_by("lead_id").aggregate(first_rep_id=act.rep_id.argmin(act.occurred_at))
