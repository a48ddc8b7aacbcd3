"""Renewals and expansions: the simulated company's existing customers and what they buy.

A year of new business alone would show almost no renewal: a customer won in the year
renews about twelve months later, after the simulated period. So the company starts the
year with a **base of existing customers** — `BASE_CUSTOMER_SHARE` of its accounts, won
before the period — each holding an annual contract whose renewal falls on a uniformly
drawn day of the period. Each base customer:

- **churns** with probability `GROSS_CHURN_RATE`: its renewal is lost (amount = the value
  up for renewal);
- otherwise renews: at `DOWNSELL_FACTOR` of its prior value with probability
  `DOWNSELL_SHARE` (a downsell), at `UPLIFT_FACTOR` with probability `UPLIFT_SHARE` (a
  price rise), else at its prior value;
- if it renews, wins an **expansion** with probability `EXPANSION_SHARE` (and loses one it
  tried with probability `EXPANSION_LOST_SHARE`), worth a log-normal fraction of its prior
  value (median `EXPANSION_MEDIAN_FRACTION`), closing on a uniform day of the period.

Customers won in the year (new business, from the funnel) renew after the period, so they
get no renewal; with the same probabilities they win (or lose) an expansion 60–240 days
after their first win, when that falls inside the period. Their expansions count in
expansion revenue, never in net revenue retention (they are not up for renewal).

Prior values follow the new-business deal size of the account's segment
(`base_model.DEAL_MEDIAN`, `DEAL_SIGMA`). A renewal opportunity opens a segment's
`RENEWAL_LEAD_DAYS` before its due day (not before the period starts) and is decided on
it; an expansion takes `EXPANSION_CYCLE_DAYS`. No deal here has a lead or an owner (the
simulated team has no account managers), and every time is before the latest fact of the
rest of the simulation, so the store's "now" (`store/as_of.py`) is unchanged.

The outcomes are independent of the prior value, so the expected retention is known from
the parameters alone (`expected_retention`), and it is written to `effects_applied.yaml`
with the parameters: gross revenue retention = 1 − churn − (1 − churn) · downsell share ·
(1 − downsell factor); net adds the retained customers' uplift and expansion.

Random numbers come from the simulator's own `renewals` stream, drawn up front, so the
other tables are byte-identical with or without this module.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from accord import facts
from accord.sim import arrow_columns as ac
from accord.sim import base_model as bm
from accord.sim import catalogue as cat
from accord.sim import text_columns as tc
from accord.sim.company import Accounts
from accord.sim.period import US_PER_DAY, Period

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

BASE_CUSTOMER_SHARE = 0.4  # of accounts: customers before the simulated period
GROSS_CHURN_RATE = 0.10  # base customers whose renewal is lost
DOWNSELL_SHARE, DOWNSELL_FACTOR = 0.15, 0.80  # of retained customers: renew at 80%
UPLIFT_SHARE, UPLIFT_FACTOR = 0.25, 1.07  # of retained customers: renew at 107%
EXPANSION_SHARE = 0.35  # of retained (and of new) customers: win an expansion
EXPANSION_LOST_SHARE = 0.15  # of them: try one and lose it
EXPANSION_MEDIAN_FRACTION, EXPANSION_SIGMA = 0.40, 0.35  # of the prior (or first) value
NEW_CUSTOMER_EXPANSION_DAYS = (60.0, 240.0)  # after the first win, uniform
RENEWAL_LEAD_DAYS: dict[str, float] = {"smb": 30.0, "mid_market": 60.0, "enterprise": 90.0}
EXPANSION_CYCLE_DAYS: dict[str, float] = {"smb": 14.0, "mid_market": 30.0,
                                          "enterprise": 45.0}
CLOSE_REASONS = ("renewed", "churned", "expanded", "not_expanded")


@dataclass(frozen=True)
class CustomerDeals:
    """The renewal and expansion opportunities (fact rows) and their ground truth."""

    table: pa.Table
    truth: dict[str, Any]


def expected_retention() -> tuple[float, float]:
    """(gross, net) revenue retention the parameters plant over the base customers."""
    kept = 1.0 - GROSS_CHURN_RATE
    gross = 1.0 - GROSS_CHURN_RATE - kept * DOWNSELL_SHARE * (1.0 - DOWNSELL_FACTOR)
    mean_fraction = EXPANSION_MEDIAN_FRACTION * math.exp(EXPANSION_SIGMA ** 2 / 2)
    net = gross + kept * UPLIFT_SHARE * (UPLIFT_FACTOR - 1.0) \
        + kept * EXPANSION_SHARE * mean_fraction
    return gross, net


def _round_value(x: F64) -> F64:
    out: F64 = np.maximum(np.round(x, -2), 100.0)
    return out


def plant_customer_deals(accounts: Accounts, opportunities: dict[str, npt.NDArray[Any]],
                         period: Period, latest_us: int, rng: np.random.Generator
                         ) -> CustomerDeals:
    """Renewals of the base customers and expansions of base and new customers (module
    docstring). `opportunities` are the funnel's new-business deals (for the first win per
    account); every time planted is before `latest_us`."""
    start = period.start_us
    span = latest_us - start
    seg_names = cat.SEGMENTS

    # --- base customers: all draws first, in a fixed order -------------------------------
    n_base = round(BASE_CUSTOMER_SHARE * accounts.n) if span > 2 * US_PER_DAY else 0
    base = np.sort(rng.choice(accounts.n, size=n_base, replace=False)).astype(np.int64)
    z_prior, z_lead, z_fraction = rng.normal(size=(3, n_base))
    u_due, u_churn, u_change, u_expand, u_when = rng.random(size=(5, n_base))

    seg = accounts.segment[base]
    deal_median = np.array([bm.DEAL_MEDIAN[s] for s in seg_names])[seg]
    prior = _round_value(deal_median * np.exp(bm.DEAL_SIGMA * z_prior))
    due = start + US_PER_DAY + (u_due * (span - US_PER_DAY)).astype(np.int64)
    lead_days = np.array([RENEWAL_LEAD_DAYS[s] for s in seg_names])[seg] * np.exp(
        0.2 * z_lead)
    opened = np.maximum(due - (lead_days * US_PER_DAY).astype(np.int64), start)
    lost = u_churn < GROSS_CHURN_RATE
    down = ~lost & (u_change < DOWNSELL_SHARE)
    up = ~lost & ~down & (u_change < DOWNSELL_SHARE + UPLIFT_SHARE)
    factor = np.where(down, DOWNSELL_FACTOR, np.where(up, UPLIFT_FACTOR, 1.0))
    renewed = np.where(lost, prior, _round_value(prior * factor))

    cycle = np.array([EXPANSION_CYCLE_DAYS[s] for s in seg_names])[seg] * US_PER_DAY
    room = span - cycle  # an expansion closes in [start + cycle, latest)
    tried = ~lost & (u_expand < EXPANSION_SHARE + EXPANSION_LOST_SHARE) & (room > 0)
    x_won = tried & (u_expand < EXPANSION_SHARE)
    x_closed = start + cycle.astype(np.int64) + (u_when * np.maximum(room, 0)).astype(
        np.int64)
    x_amount = _round_value(prior * EXPANSION_MEDIAN_FRACTION
                            * np.exp(EXPANSION_SIGMA * z_fraction))

    # --- customers won in the period: their first win per account ------------------------
    won = np.asarray(opportunities["won"], dtype=bool) & ~np.asarray(opportunities["open"],
                                                                    dtype=bool)
    w_acc = np.asarray(opportunities["account"], dtype=np.int64)[won]
    w_at = np.asarray(opportunities["closed"], dtype=np.int64)[won]
    w_amount = np.asarray(opportunities["amount"], dtype=np.float64)[won]
    order = np.lexsort((w_acc, w_at))
    first_acc, first = np.unique(w_acc[order], return_index=True)
    first = order[first]
    keep = ~np.isin(first_acc, base)  # an existing customer expands through its base draw
    n_acc, n_at, n_amount = first_acc[keep], w_at[first][keep], w_amount[first][keep]
    n_new = len(n_acc)
    z_new = rng.normal(size=n_new)
    u_new, u_gap = rng.random(size=(2, n_new))
    lo, hi = NEW_CUSTOMER_EXPANSION_DAYS
    n_closed = n_at + ((lo + (hi - lo) * u_gap) * US_PER_DAY).astype(np.int64)
    n_cycle = np.array([EXPANSION_CYCLE_DAYS[s] for s in seg_names])[
        accounts.segment[n_acc]] * US_PER_DAY
    n_tried = (u_new < EXPANSION_SHARE + EXPANSION_LOST_SHARE) & (n_closed < latest_us)
    n_won = n_tried & (u_new < EXPANSION_SHARE)
    n_value = _round_value(n_amount * EXPANSION_MEDIAN_FRACTION * np.exp(EXPANSION_SIGMA
                                                                         * z_new))

    # --- rows: renewals by due time, then expansions by close time -----------------------
    r_order = np.lexsort((base, due))
    x_acc = np.concatenate([base[tried], n_acc[n_tried]])
    x_close = np.concatenate([x_closed[tried], n_closed[n_tried]])
    x_open = x_close - np.concatenate([cycle[tried], n_cycle[n_tried]]).astype(np.int64)
    x_value = np.concatenate([x_amount[tried], n_value[n_tried]])
    x_win = np.concatenate([x_won[tried], n_won[n_tried]])
    x_order = np.lexsort((x_acc, x_close))
    n_r, n_x = n_base, len(x_acc)
    account_ids = accounts.table.column("account_id").combine_chunks()
    table = ac.fact_table(facts.OPPORTUNITIES, {
        "opportunity_id": pa.concat_arrays([tc.id_column("OR", n_r), tc.id_column("OX", n_x)]),
        "lead_id": ac.nulls(n_r + n_x, pa.string()),
        "account_id": account_ids.take(pa.array(np.concatenate([base[r_order],
                                                                x_acc[x_order]]))),
        "owner_rep_id": ac.nulls(n_r + n_x, pa.string()),
        "created_at": ac.timestamps(np.concatenate([opened[r_order], x_open[x_order]])),
        "amount": ac.floats(np.concatenate([renewed[r_order], x_value[x_order]])),
        "status": ac.strings_at(("won", "lost"), np.concatenate(
            [lost[r_order], ~x_win[x_order]]).astype(np.int64)),
        "closed_at": ac.timestamps(np.concatenate([due[r_order], x_close[x_order]])),
        "close_reason": ac.strings_at(CLOSE_REASONS, np.concatenate(
            [lost[r_order].astype(np.int64), 2 + (~x_win[x_order]).astype(np.int64)])),
        "source": ac.nulls(n_r + n_x, pa.string()),
        "type": ac.strings_at(facts.OPPORTUNITY_TYPES,
                              np.repeat(np.array([1, 2], dtype=np.int64), [n_r, n_x])),
        "prior_amount": ac.floats(np.concatenate([prior[r_order], np.zeros(n_x)]),
                                  np.concatenate([np.zeros(n_r, bool), np.ones(n_x, bool)])),
    })
    gross, net = expected_retention()
    truth: dict[str, Any] = {
        "base_customer_share": BASE_CUSTOMER_SHARE,
        "base_customers": int(n_base),
        "gross_churn_rate": GROSS_CHURN_RATE,
        "downsell": {"share": DOWNSELL_SHARE, "factor": DOWNSELL_FACTOR},
        "uplift": {"share": UPLIFT_SHARE, "factor": UPLIFT_FACTOR},
        "expansion": {"share": EXPANSION_SHARE, "lost_share": EXPANSION_LOST_SHARE,
                      "median_fraction": EXPANSION_MEDIAN_FRACTION,
                      "sigma": EXPANSION_SIGMA},
        "expected_gross_revenue_retention": round(gross, 6),
        "expected_net_revenue_retention": round(net, 6),
        "renewals": {"won": int((~lost).sum()), "lost": int(lost.sum())},
        "expansions": {"base_won": int(x_won.sum()), "base_lost": int((tried & ~x_won).sum()),
                       "new_customer_won": int(n_won.sum()),
                       "new_customer_lost": int((n_tried & ~n_won).sum())},
    }
    return CustomerDeals(table, truth)
