"""Dimensions a KPI can be split by, and how each row (lead, opportunity, spend) gets its group.

Every KPI table carries one string column `group`: the row's value of the chosen dimension,
`(none)` when it has none, or `all` for the company-wide row. A lead's account dimensions
come from `leads.account_id`; an opportunity's from its own `account_id`, else its lead's.
ICP tier and score band come from the derived `scores` table that `accord run` writes.
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from accord.analytics.kpis.deals import deal_type
from accord.analytics.kpis.errors import KpiError
from accord.analytics.kpis.timeline import first_reps
from accord.errors import UnknownNameError
from accord.store import Store

NONE_LABEL = "(none)"
ALL_LABEL = "all"
SCORE_BAND_WIDTH = 20  # fit points per band when the scores table has no `score_band`


@dataclass(frozen=True)
class Dimension:
    name: str
    doc: str


DIMENSIONS: dict[str, Dimension] = {d.name: d for d in (
    Dimension("channel", "acquisition channel: `leads.channel` (spend: `spend.channel`)"),
    Dimension("campaign", "campaign that created the lead: `leads.campaign_id` "
                          "(spend: `spend.campaign_id`)"),
    Dimension("landing_page", "landing page of the lead's first conversion: "
                              "`leads.landing_page`"),
    Dimension("industry", "`accounts.industry` of the lead's (or opportunity's) account"),
    Dimension("segment", "`accounts.segment` of the lead's (or opportunity's) account"),
    Dimension("region", "`accounts.region` of the lead's (or opportunity's) account"),
    Dimension("icp_tier", "ICP tier from the derived `scores` table (run `accord run` first)"),
    Dimension("score_band", f"fit-score band from the derived `scores` table, "
                            f"{SCORE_BAND_WIDTH} points wide (run `accord run` first)"),
    Dimension("rep", "leads: the rep of the first sales activity; opportunities: "
                     "`owner_rep_id`; speed-to-lead: the SLA clock's responsible rep "
                     "(`accord sla`'s `rep_id`)"),
    Dimension("month", "cohort basis: the lead's creation month; period basis: the month "
                       "the counted events happened"),
    Dimension("rejection_reason", "reason code of the lead's first rejection out of the "
                                  "handoff stage (`mql_rejection_rate` only)"),
)}

LEAD_DIMENSIONS = frozenset(DIMENSIONS) - {"rejection_reason"}
SPEND_DIMENSIONS = frozenset({"channel", "campaign", "month"})
#: Renewals and expansions are about accounts (they need no lead).
CUSTOMER_DIMENSIONS = frozenset({"industry", "segment", "region", "rep", "month"})
_LEAD_COLUMN = {"channel": "channel", "campaign": "campaign_id", "landing_page": "landing_page"}
_ACCOUNT_COLUMN = {"industry": "industry", "segment": "segment", "region": "region"}


def check_dimension(by: str | None) -> None:
    """`UnknownNameError` (listing the dimensions) when `by` is not one."""
    if by is None or by in DIMENSIONS:
        return
    raise UnknownNameError("dimension", by, DIMENSIONS, where="--by")


def label(value: ir.Value) -> ir.StringValue:
    """A group label: the value as text, `(none)` when null."""
    return value.cast("string").fill_null(NONE_LABEL)


def group_leads(store: Store, timeline: ir.Table, by: str | None) -> ir.Table:
    """The timeline with `group` (`all` when `by` is None or splits by time/reason)."""
    if by is None or by in ("month", "rejection_reason"):
        return timeline.mutate(group=ibis.literal(ALL_LABEL))
    if by in _LEAD_COLUMN:
        return timeline.mutate(group=label(timeline[_LEAD_COLUMN[by]]))
    if by == "rep":
        reps = first_reps(store)
        j = timeline.left_join(reps, timeline.lead_id == reps.lead_id)
        return j.select(*[j[c] for c in timeline.columns], group=label(reps.first_rep_id))
    if by in _ACCOUNT_COLUMN:
        acc = store.table("accounts").view()
        j = timeline.left_join(acc, timeline.account_id == acc.account_id)
        return j.select(*[j[c] for c in timeline.columns], group=label(acc[_ACCOUNT_COLUMN[by]]))
    if by in ("icp_tier", "score_band"):
        sc = _score_groups(store, by)
        j = timeline.left_join(sc, timeline.lead_id == sc.lead_id)
        return j.select(*[j[c] for c in timeline.columns], group=label(sc.group))
    raise KpiError(f"cannot split leads by {by!r}")


def group_opportunities(store: Store, leads: ir.Table, by: str | None) -> ir.Table:
    """Opportunities with `deal_type` (`deals.py`), `group` and `cohort_at` (the lead's
    creation time when linked, else the opportunity's own creation time)."""
    opp = store.table("opportunities")
    opp = opp.mutate(deal_type=deal_type(opp))
    lj = leads.select(lead_id_=leads.lead_id, lead_created_at=leads.created_at,
                      lead_group=leads.group, lead_account_id=leads.account_id)
    j = opp.left_join(lj, opp.lead_id == lj.lead_id_)
    keep = [j[c] for c in opp.columns]
    cohort_at = j.lead_created_at.fill_null(j.created_at)
    if by is None or by in ("month", "rejection_reason"):
        return j.select(*keep, cohort_at=cohort_at, group=ibis.literal(ALL_LABEL))
    if by == "rep":
        return j.select(*keep, cohort_at=cohort_at, group=label(j.owner_rep_id))
    if by in _ACCOUNT_COLUMN:
        acc = store.table("accounts").view()
        k = j.left_join(acc, acc.account_id == opp.account_id.fill_null(lj.lead_account_id))
        return k.select(*[k[c] for c in opp.columns],
                        cohort_at=k.lead_created_at.fill_null(k.created_at),
                        group=label(acc[_ACCOUNT_COLUMN[by]]))
    return j.select(*keep, cohort_at=cohort_at, group=j.lead_group.fill_null(NONE_LABEL))


def group_activities(store: Store, leads: ir.Table) -> ir.Table:
    """Sales activities with their lead's `group`."""
    act = store.table("activities")
    lg = leads.select(lead_id_=leads.lead_id, group=leads.group)
    j = act.join(lg, act.lead_id == lg.lead_id_)
    return j.select(*[j[c] for c in act.columns], group=j.group)


def group_spend(store: Store, by: str | None) -> ir.Table | None:
    """Spend rows with `group`; None when spend is not recorded at that dimension."""
    sp = store.table("spend")
    if by is None or by == "month":
        return sp.mutate(group=ibis.literal(ALL_LABEL))
    if by == "channel":
        return sp.mutate(group=label(sp.channel))
    if by == "campaign":
        return sp.mutate(group=label(sp.campaign_id))
    return None


def _score_groups(store: Store, by: str) -> ir.Table:
    try:
        scores = store.derived("scores")
    except KeyError:
        raise KpiError(f"splitting by {by} needs lead scores, which have not been computed; "
                       "run `accord run` first") from None
    cols = set(scores.columns)
    if by == "icp_tier":
        col = next((c for c in ("icp_tier", "tier") if c in cols), None)
        if col is None:
            raise KpiError("the derived scores table has no `tier` column; re-run `accord run`")
        return scores.select(lead_id=scores.lead_id, group=scores[col].cast("string"))
    if "score_band" in cols:
        return scores.select(lead_id=scores.lead_id, group=scores.score_band.cast("string"))
    if "fit" not in cols:
        raise KpiError("the derived scores table has no `fit` column; re-run `accord run`")
    lo = (scores.fit.cast("float64") / SCORE_BAND_WIDTH).floor().cast("int64") * SCORE_BAND_WIDTH
    text = lo.cast("string").concat("-", (lo + SCORE_BAND_WIDTH - 1).cast("string"))
    return scores.select(lead_id=scores.lead_id, group=text)
