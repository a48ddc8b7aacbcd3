"""Deal types: new business, renewals and expansions (`opportunities.type`, docs/facts.md).

The new-business KPIs (win rate, pipeline, sales cycle, velocity, CAC, the marketing share
of pipeline) read new-business opportunities only; the customer KPIs (renewal and
expansion revenue, gross and net revenue retention) read renewals and expansions. A deal's
type is its `type` trimmed and in lower case; an empty one is `new_business`, so facts
recorded before the column existed keep their meaning. Any other value is *unknown*: it
counts in no KPI, and `compute_kpis` says how many deals have one.

The retention base (`retention_base`) is the table the customer KPIs aggregate: every
renewal and expansion of the context, with

- `deal_type`: `renewal` or `expansion`;
- `decided`: won or lost, and counted by the basis (closed in the period, on the period
  basis; of the cohort, on the cohort basis) — the renewals "up for renewal";
- `won`: decided and won;
- `prior`: the value up for renewal, `prior_amount` or else `amount` (renewals);
- `renewing`: the deal's account (its `account_id`, else its lead, else the deal itself)
  has a decided renewal in the same group of the same context: whose expansions count in
  net revenue retention.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from accord.analytics.kpis.context import Basis, happened
from accord.analytics.kpis.period import Period
from accord.facts import OPPORTUNITY_TYPES

NEW_BUSINESS, RENEWAL, EXPANSION = OPPORTUNITY_TYPES
CUSTOMER_TYPES: tuple[str, ...] = (RENEWAL, EXPANSION)


def deal_type(o: ir.Table) -> ir.StringValue:
    """The deal type of each opportunity: `type` trimmed, lower case, empty → new business."""
    raw = o["type"].strip().lower()
    return (raw.isnull() | (raw == "")).ifelse(ibis.literal(NEW_BUSINESS), raw)


def closed_at(o: ir.Table) -> ir.TimestampValue:
    """When a deal closed: `closed_at`, or `created_at` when no close time is recorded."""
    return o.closed_at.fill_null(o.created_at)


def account_key(o: ir.Table) -> ir.StringValue:
    """Who the customer is: the account, else the lead, else the deal itself."""
    return o.account_id.fill_null(o.lead_id).fill_null(o.opportunity_id)


def retention_base(deals: ir.Table, basis: Basis, period: Period) -> ir.Table:
    """The renewals and expansions of `deals` (with `group` and `deal_type`) with the
    columns of the module docstring."""
    when = closed_at(deals)
    decided = happened(basis, period, when) & deals.status.isin(("won", "lost"))
    t = deals.select(
        group=deals.group, deal_type=deals.deal_type, key=account_key(deals),
        amount=deals.amount, prior=deals.prior_amount.fill_null(deals.amount),
        decided=decided, won=decided & (deals.status == "won"))
    renewing = (t.filter(t.decided & (t.deal_type == RENEWAL))
                .select(r_group=t.group, r_key=t.key).distinct())
    j = t.left_join(renewing, (t.group == renewing.r_group) & (t.key == renewing.r_key))
    return j.select(*[j[c] for c in t.columns], renewing=j.r_key.notnull())


def unknown_types(opportunities: ir.Table) -> dict[str, int]:
    """Deal types that are none of `OPPORTUNITY_TYPES`, with how many deals have each."""
    t = opportunities.mutate(deal_type=deal_type(opportunities))
    t = t.filter(~t.deal_type.isin(OPPORTUNITY_TYPES))
    rows = t.group_by("deal_type").aggregate(n=t.count()).order_by("deal_type")
    return {str(r["deal_type"]): int(r["n"]) for r in rows.to_pyarrow().to_pylist()}
