"""Marketing touches (signals a lead showed) and the MQL moment they produce.

Each lead's first touch is the conversion that created it, at `created_at`, with a signal
drawn from its channel's intent mix. Later touches number Poisson(λ) with
λ ∝ exp(0.6·intent) × Gamma(0.8) (negative binomial: most leads touch a few times, some
very often; mean ≈ 20 at scale), spread over a log-normal span (median 60 days) and cut at
the end of the period. Gaps are exponential in "activity time", which maps to the clock
through the region's weekly rhythm (office hours, weekdays), so touches cluster in the
working day and stay in order. Signals lean to higher intent for high-intent leads.

The handoff (MQL in the starter) follows the idea of the handoff stage's entry criteria:
a lead is handed off at the first touch where its fit is at least the criteria's fit
threshold and either the signal points it earned in the last 30 days reach their
engagement threshold or the touch is a hand-raise (thresholds read from the parsed
criteria, `contract_terms.py`). The 30-day window stands in for the scoring engine's
half-life decay; the simulator does not import the scoring engine.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from accord import facts
from accord.sim import arrow_columns as ac
from accord.sim import catalogue as cat
from accord.sim import text_columns as tc
from accord.sim.base_model import (
    INTENT_TOUCH_ELASTICITY,
    LATER_HAND_RAISE_P,
    TOUCH_SPAN_MEDIAN_DAYS,
    TOUCHES_DISPERSION,
    TOUCHES_MEAN,
)
from accord.sim.company import campaigns_in_period, pick_campaigns_by_channel
from accord.sim.contract_terms import ContractTerms
from accord.sim.leads import LOCAL_HOUR_WEIGHTS, Leads
from accord.sim.period import US_PER_DAY, US_PER_SECOND, Period

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

# Later-touch intent mix (high, medium, low) by latent-intent tier; the hand-raise share is
# LATER_HAND_RAISE_P and the rest is scaled to fill.
LATER_INTENT_MIX: tuple[tuple[float, float, float], ...] = (
    (0.05, 0.25, 0.70), (0.12, 0.33, 0.55), (0.25, 0.35, 0.40),
)
INTENT_TIER_CUTS = (-0.5, 0.8)
# The simulator's stand-in for the scoring engine's half-life decay: engagement is the sum of
# signal points earned in this many days up to and including the touch.
ENGAGEMENT_WINDOW_DAYS = 30.0
PREFERRED_SIGNAL_WEIGHT = 4.0


@dataclass(frozen=True)
class Touches:
    n: int
    lead: npt.NDArray[np.int32]
    at: I64
    signal: npt.NDArray[np.int8]
    channel: npt.NDArray[np.int8]  # index into catalogue.TOUCH_CHANNELS
    campaign: npt.NDArray[np.int16]  # index into campaigns_in_period, -1 none


def _signal_levels(terms: ContractTerms) -> npt.NDArray[np.int64]:
    return np.array([cat.INTENT_LEVELS.index(s.intent) if s.intent in cat.INTENT_LEVELS else 3
                     for s in terms.signals], dtype=np.int64)


def signal_distribution(terms: ContractTerms, level_mix: tuple[float, ...],
                        preferred: tuple[str, ...] = ()) -> F64:
    """Probability over the contract's signals: `level_mix` over intent levels (hand_raise,
    high, medium, low), spread evenly within a level, preferred names weighted up."""
    levels = _signal_levels(terms)
    w_in = np.array([PREFERRED_SIGNAL_WEIGHT if s.name in preferred else 1.0
                     for s in terms.signals])
    p = np.zeros(len(levels))
    for lv, mass in enumerate(level_mix):
        members = levels == lv
        if members.any():
            p[members] += mass * w_in[members] / w_in[members].sum()
    out: F64 = p / p.sum()
    return out


def _week_rhythm() -> tuple[F64, F64]:
    """Hour-of-week bin edges (0..168) and the cumulative activity share at each edge."""
    weights = (np.repeat(np.array(cat.WEEKDAY_WEIGHTS), 24)
               * np.tile(LOCAL_HOUR_WEIGHTS, 7))
    edges = np.arange(169, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(weights)]) / weights.sum()
    return edges, cum


_WEEK_S = 7 * 24 * 3600
_WEEK_US = _WEEK_S * US_PER_SECOND
_MONDAY_US = 4 * 24 * 3600 * US_PER_SECOND  # 1970-01-05, the first Monday after the epoch


def _activity_second_table() -> I64:
    """Local µs into the week at which each activity-second of the week falls."""
    edges, cum = _week_rhythm()
    hours = np.interp(np.arange(_WEEK_S + 1) / _WEEK_S, cum, edges)
    return (hours * 3600.0 * US_PER_SECOND).astype(np.int64)


_ACTIVITY_TABLE = _activity_second_table()


def to_activity_time(at: I64, utc_offset_hours: I64) -> I64:
    """Clock instants (UTC µs) as activity time in whole seconds: each local week holds the
    same activity time (604,800 s), spread over its hours by the weekly rhythm."""
    edges, cum = _week_rhythm()
    local = at - utc_offset_hours * 3600 * US_PER_SECOND - _MONDAY_US
    week = local // _WEEK_US
    hour = (local - week * _WEEK_US) / (3600.0 * US_PER_SECOND)
    return week * _WEEK_S + np.ceil(np.interp(hour, edges, cum) * _WEEK_S).astype(np.int64)


def from_activity_time(tau: I64, utc_offset_hours: I64 | int) -> I64:
    """Inverse of `to_activity_time` (to the microsecond of the activity-second's start)."""
    week, rest = np.divmod(tau, _WEEK_S)
    out: I64 = (week * _WEEK_US + _ACTIVITY_TABLE[rest] + _MONDAY_US
                + np.asarray(utc_offset_hours) * 3600 * US_PER_SECOND)
    return out


def build_touches(leads: Leads, terms: ContractTerms, period: Period,
                  rng: np.random.Generator) -> Touches:
    n = leads.n
    e = INTENT_TOUCH_ELASTICITY
    lam = ((TOUCHES_MEAN - 1.0) * np.exp(e * leads.intent - e * e / 2)
           * rng.gamma(TOUCHES_DISPERSION, 1.0 / TOUCHES_DISPERSION, n))
    counts = 1 + rng.poisson(lam)
    total = int(counts.sum())
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    lead = np.repeat(np.arange(n, dtype=np.int32), counts)
    first = np.zeros(total, dtype=bool)
    first[starts] = True
    span_s = TOUCH_SPAN_MEDIAN_DAYS * 86400.0 * np.exp(rng.normal(0.0, 0.8, n))
    gaps = (rng.exponential(1.0, total) * np.repeat(span_s / counts, counts)).astype(np.int64)
    gaps[starts] = 0
    cs = np.cumsum(gaps)
    del gaps
    # Gaps run in "activity time", then map to the clock through the lead's weekly rhythm
    # (office hours and weekdays in its region), so touches cluster in working hours while
    # staying in order.
    offset_h = np.array(cat.REGION_UTC_OFFSET_HOURS)[leads.region]
    created_tau = to_activity_time(leads.created, offset_h)
    cs += np.repeat(created_tau - cs[starts], counts)
    week, rest = np.divmod(cs, _WEEK_S)
    del cs
    at = _ACTIVITY_TABLE[rest]
    del rest
    at += week * _WEEK_US
    del week
    at += np.repeat(_MONDAY_US + offset_h * 3600 * US_PER_SECOND, counts)
    np.maximum(at, np.repeat(leads.created, counts), out=at)
    at[starts] = leads.created
    keep = at < period.end_us
    lead, at, first = lead[keep], at[keep], first[keep]
    total = len(lead)

    signal = np.zeros(total, dtype=np.int8)
    channel = np.zeros(total, dtype=np.int8)
    campaign = np.full(total, -1, dtype=np.int16)
    first_idx = np.flatnonzero(first)
    # First touches: the conversion, in the lead's own channel and campaign.
    lead_channel = leads.channel[lead[first_idx]]
    for c, ch in enumerate(cat.CHANNELS):
        sel = first_idx[lead_channel == c]
        p = signal_distribution(terms, ch.first_touch_intent, ch.preferred_signals)
        signal[sel] = rng.choice(len(p), size=len(sel), p=p)
    channel[first_idx] = lead_channel
    campaign[first_idx] = leads.campaign[lead[first_idx]]

    # Later touches: signal by the lead's intent tier, channel by the signal's intent level.
    later_idx = np.flatnonzero(~first)
    tier = np.digitize(leads.intent, INTENT_TIER_CUTS).astype(np.int8)[lead[later_idx]]
    for t, mix in enumerate(LATER_INTENT_MIX):
        sel = later_idx[tier == t]
        hr = LATER_HAND_RAISE_P[t]
        p = signal_distribution(terms, (hr, *[(1 - hr) * m for m in mix]))
        signal[sel] = rng.choice(len(p), size=len(sel), p=p)
    levels = _signal_levels(terms)
    later_signal = signal[later_idx]
    for s, sig in enumerate(terms.signals):
        sel = later_idx[later_signal == s]
        if "webinar" in sig.name:
            channel[sel] = cat.TOUCH_CHANNELS.index("webinar")
            continue
        w = np.array(cat.LATER_TOUCH_CHANNELS[cat.INTENT_LEVELS[levels[s]]])
        channel[sel] = rng.choice(len(w), size=len(sel), p=w / w.sum())
    day = (at[later_idx] - period.start_us) // US_PER_DAY
    month = period.day_month[day]
    campaign[later_idx] = pick_campaigns_by_channel(period, channel[later_idx], month,
                                                    rng.random(len(later_idx)))
    return Touches(total, lead, at, signal, channel, campaign)


def mql_moments(touches: Touches, leads: Leads, terms: ContractTerms) -> I64:
    """Instant each lead first met the MQL idea (fit and engagement or hand-raise); -1 never."""
    points = np.array([s.points for s in terms.signals])[touches.signal]
    hand_raise = (_signal_levels(terms) == 0)[touches.signal]
    n = leads.n
    # Points earned in the last ENGAGEMENT_WINDOW_DAYS: a window sum over each lead's touches
    # (sorted by lead, then time) found by binary search on a (lead, seconds) key.
    cs = np.cumsum(points)
    exclusive = cs - points
    seconds = (touches.at - int(touches.at.min(initial=0))) // US_PER_SECOND
    key = (touches.lead.astype(np.int64) << 28) + seconds
    window_start = np.searchsorted(key, key - int(ENGAGEMENT_WINDOW_DAYS * 86400), side="left")
    engaged = cs - exclusive[window_start] >= terms.mql_min_engagement
    eligible = (leads.fit >= terms.mql_min_fit) & ~leads.bad_data
    trigger = np.flatnonzero((engaged | hand_raise) & eligible[touches.lead])
    mql = np.full(n, -1, dtype=np.int64)
    if len(trigger):
        t_lead = touches.lead[trigger]
        is_first = np.r_[True, t_lead[1:] != t_lead[:-1]]
        mql[t_lead[is_first]] = touches.at[trigger[is_first]]
    return mql


def touches_table(touches: Touches, leads: Leads, terms: ContractTerms,
                  period: Period) -> pa.Table:
    cs = campaigns_in_period(period)
    return ac.fact_table(facts.TOUCHES, {
        "touch_id": tc.id_column("T", touches.n, max(9, len(str(touches.n)))),
        "lead_id": leads.lead_id.take(pa.array(touches.lead)),
        "signal": ac.strings_at(terms.signal_names, touches.signal),
        "channel": ac.strings_at(cat.TOUCH_CHANNELS, touches.channel),
        "campaign_id": ac.strings_at([c.campaign_id for c in cs], touches.campaign),
        "occurred_at": ac.timestamps(touches.at),
    })
