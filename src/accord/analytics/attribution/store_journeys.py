"""Journeys from the store: every lead's marketing touches and what they led to.

A journey is one lead. Its touches are the `touches` facts (channel as recorded on the
touch, else the lead's acquisition channel; campaign likewise). It converts when the lead
has a **won** opportunity: `converted_at` is the first win's `closed_at` and the value is
the booked amount of its won opportunities. The lead-creation moment (for W-shaped) is
`leads.created_at`; the opportunity-creation moment (for W-shaped and two-touch, seed 004)
is its first opportunity's `created_at`. Touches after the conversion are dropped, then
those older than the contract's `attribution.lookback_days`.

`period` selects conversions that happened in it (and, for journeys that did not
convert, leads created in it), so credited conversions add up to the wins of the period.
"""

from __future__ import annotations

import ibis

from accord.analytics.attribution.journeys import Journeys
from accord.analytics.kpis.period import Period
from accord.store import Store


def journeys_from_store(store: Store, *, lookback_days: float | None = None,
                        period: Period | None = None) -> Journeys:
    leads = store.table("leads")
    touches = store.table("touches")
    opps = store.table("opportunities")
    t = touches.join(leads.select("lead_id", lead_channel="channel",
                                  lead_campaign="campaign_id"), "lead_id")
    t = t.select(
        journey_id=t.lead_id, occurred_at=t.occurred_at,
        channel=ibis.coalesce(t.channel, t.lead_channel, ibis.literal("(unknown)")),
        campaign=ibis.coalesce(t.campaign_id, t.lead_campaign),
    )
    won = opps.filter((opps.status == "won") & opps.lead_id.notnull())
    won_by_lead = won.group_by("lead_id").aggregate(converted_at=won.closed_at.min(),
                                                    value=won.amount.sum())
    first_opp = (opps.filter(opps.lead_id.notnull()).group_by("lead_id")
                 .aggregate(opportunity_created_at=opps.created_at.min()))
    out = (leads.select("lead_id", lead_created_at="created_at")
           .left_join(won_by_lead, "lead_id").left_join(first_opp, "lead_id"))
    out = out.select(journey_id=out.lead_id, converted_at=out.converted_at,
                     value=out.value.fill_null(0.0), lead_created_at=out.lead_created_at,
                     opportunity_created_at=out.opportunity_created_at)
    if period is not None and not period.is_all_time:
        when = ibis.coalesce(out.converted_at, out.lead_created_at)
        keep = ibis.literal(True)
        if period.start is not None:
            keep = keep & (when >= period.start)
        if period.end is not None:
            keep = keep & (when < period.end)
        out = out.filter(keep)
        t = t.semi_join(out, "journey_id")
    return Journeys.from_touches(
        t.to_pyarrow(), out.to_pyarrow(), campaign_column="campaign",
        lookback_days=lookback_days)
