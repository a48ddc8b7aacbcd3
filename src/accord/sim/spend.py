"""Marketing spend per month and channel, per campaign where the campaign is known.

A running campaign costs its channel's cost per lead (`catalogue.CHANNELS`) times the leads
it brought that month (plus one, so a quiet month still costs something), with ±15%
log-normal noise. Organic search is paid per month and channel only (content and SEO work,
no campaign). Email nurture campaigns cost a flat monthly amount that scales with volume.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from accord import facts
from accord.sim import arrow_columns as ac
from accord.sim import catalogue as cat
from accord.sim import text_columns as tc
from accord.sim.company import campaign_month_weights, campaigns_in_period
from accord.sim.leads import Leads
from accord.sim.period import Period

EMAIL_COST_PER_LEAD_MONTH = 0.4  # flat email cost per campaign and month, per 12 leads a year


def build_spend(leads: Leads, period: Period, rng: np.random.Generator) -> pa.Table:
    cs = campaigns_in_period(period)
    cpl = {c.name: c.cost_per_lead for c in cat.CHANNELS}
    months = period.months
    lead_month = period.month_index(leads.created)
    n_cs = len(cs)
    by_campaign = np.bincount(
        np.where(leads.campaign >= 0, leads.campaign * months + lead_month, n_cs * months),
        minlength=(n_cs + 1) * months)[: n_cs * months].reshape(n_cs, months)
    rows_month: list[int] = []
    rows_channel: list[int] = []
    rows_campaign: list[int] = []
    rows_base: list[float] = []
    for channel in cat.TOUCH_CHANNELS:
        ch = cat.TOUCH_CHANNELS.index(channel)
        if channel in cat.CHANNEL_LEVEL_SPEND:
            chan_leads = np.bincount(
                lead_month[leads.channel == cat.ACQUISITION_CHANNELS.index(channel)],
                minlength=months)
            for m in range(months):
                rows_month.append(m)
                rows_channel.append(ch)
                rows_campaign.append(-1)
                rows_base.append(cpl[channel] * (chan_leads[m] + 1))
            continue
        idx, w = campaign_month_weights(period, channel)
        for j, c in enumerate(idx):
            for month_i in np.flatnonzero(w[:, j] > 0).tolist():
                rows_month.append(month_i)
                rows_channel.append(ch)
                rows_campaign.append(int(c))
                if channel in cat.TOUCH_ONLY_CHANNELS:
                    rows_base.append(EMAIL_COST_PER_LEAD_MONTH * leads.n / 12.0 + 200.0)
                else:
                    rows_base.append(cpl[channel] * (by_campaign[c, month_i] + 1))
    month = np.array(rows_month, dtype=np.int64)
    order = np.lexsort((np.array(rows_campaign), np.array(rows_channel), month))
    base = np.array(rows_base)[order]
    amount = np.round(base * np.exp(rng.normal(0.0, 0.15, len(base))), 2)
    month_days = period.month_dates_days()
    return ac.fact_table(facts.SPEND, {
        "spend_id": tc.id_column("S", len(base)),
        "month": ac.dates(month_days[month[order]]),
        "channel": ac.strings_at(cat.TOUCH_CHANNELS, np.array(rows_channel)[order]),
        "campaign_id": ac.strings_at([c.campaign_id for c in cs], np.array(rows_campaign)[order]),
        "amount": ac.floats(amount),
    })
