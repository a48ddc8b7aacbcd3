"""Rule-based attribution: fixed shares per touch position or role.

Each model gives every touch a share of its journey; shares sum to 1 per journey, so a
journey's conversions and revenue are split, never created or lost. Shares are per
*touch*: a channel touched twice in a journey gets both touches' shares (repeats are not
collapsed, as in ChannelAttribution's and marketing-attribution-models' heuristics).

Vendor trap: the same model name means different weights across tools. Here, "U-shaped"
is 40 % first touch / 20 % spread over the middle / 40 % last touch (as
marketing-attribution-models' position-based model); the Bizible/Marketo U-shaped model
instead gives 40 % to the first touch and 40 % to the lead-creation touch, and some tools
call a 50/50 first-touch + lead-creation split "U-shaped". Compare weights, not names.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from accord.analytics.attribution.credits import (
    Credits,
    credit_touch_shares,
    sum_by,
    unattributed,
)
from accord.analytics.attribution.errors import AttributionError
from accord.analytics.attribution.journeys import Journeys

FloatArray = NDArray[np.float64]


def first_touch(journeys: Journeys) -> Credits:
    """First-touch: 100 % to the journey's first (oldest) touch."""
    return _one_touch(journeys, journeys.starts, "first_touch")


def last_touch(journeys: Journeys) -> Credits:
    """Last-touch: 100 % to the journey's last touch before the end."""
    return _one_touch(journeys, journeys.starts + journeys.lengths - 1, "last_touch")


def _one_touch(journeys: Journeys, touch: NDArray[np.int64], model: str) -> Credits:
    """All of each journey's credit to one touch (`touch[j]`); empty journeys left out."""
    has = journeys.lengths > 0
    n = len(journeys.channel_names)
    channel = journeys.channel[touch[has]]
    return Credits(
        model=model, dimension=journeys.dimension, names=journeys.channel_names,
        conversions=sum_by(channel, journeys.conversions[has], n),
        revenue=sum_by(channel, journeys.value[has], n), **unattributed(journeys))


def linear(journeys: Journeys) -> Credits:
    """Linear: 1/L to each of the journey's L touches (repeats included)."""
    share = 1.0 / journeys.touch_length.astype(np.float64)
    return credit_touch_shares(journeys, share, "linear")


def time_decay(journeys: Journeys, half_life_days: float = 7.0) -> Credits:
    """Time-decay: touch weight 2^(−days_before / half_life_days), normalised per journey.

    A touch `half_life_days` older than another gets half its share. `days_before` is
    measured to the journey's end (the conversion; the last touch if none). Contract key:
    `attribution.half_life_days` (7 days = marketing-attribution-models' 168 h default).
    """
    if not half_life_days > 0:
        raise AttributionError("`half_life_days` must be positive")
    if journeys.days_before is None:
        raise AttributionError(
            "time-decay needs touch times: build the journeys with `from_touches`, or pass "
            "`days_before` to `from_paths` / `from_arrays`")
    days = journeys.days_before
    # shift by the journey's newest touch so the largest weight is 1 (no underflow)
    newest = np.full(journeys.n_journeys, np.inf)
    np.minimum.at(newest, journeys.journey, days)
    raw = np.exp2(-(days - newest[journeys.journey]) / half_life_days)
    total = np.bincount(journeys.journey, weights=raw, minlength=journeys.n_journeys)
    return credit_touch_shares(journeys, raw / total[journeys.journey], "time_decay")


def position_based(journeys: Journeys, first: float = 0.4, last: float = 0.4,
                   model: str = "position_based") -> Credits:
    """Position-based: `first` to the first touch, `last` to the last, the rest spread.

    With L touches: L = 1 → 100 % to it; L = 2 → the middle share 1 − first − last is split
    evenly between the two (40/20/40 gives 50/50); L ≥ 3 → first, last, and
    (1 − first − last)/(L − 2) to each middle touch. Defaults 40/20/40.
    """
    if first < 0 or last < 0 or first + last > 1 + 1e-12:
        raise AttributionError(
            f"position weights need first ≥ 0, last ≥ 0, first + last ≤ 1 "
            f"(got {first}, {last})")
    middle = 1.0 - first - last
    length = journeys.touch_length
    is_first, is_last = journeys.first_touch, journeys.last_touch
    inner = ~is_first & ~is_last
    share = np.where(is_first, first, 0.0) + np.where(is_last, last, 0.0)
    share += np.where(inner, middle / np.maximum(length - 2, 1), 0.0)
    share = np.where(length == 2, share + middle / 2.0, share)
    share = np.where(length == 1, 1.0, share)
    return credit_touch_shares(journeys, share, model)


def u_shaped(journeys: Journeys) -> Credits:
    """U-shaped: 40 % first touch, 20 % spread evenly over the middle touches, 40 % last.

    1 touch → 100 %; 2 touches → 50/50. Same as `position_based(0.4, 0.4)` and as
    marketing-attribution-models' position-based model (not Bizible's U-shaped, which
    uses the lead-creation touch in place of the last touch).
    """
    return position_based(journeys, 0.4, 0.4, model="u_shaped")


def _roles(journeys: Journeys, weights: tuple[float, float, float], rest: float,
           model: str) -> Credits:
    """Shares from role weights (first, lead creation, opportunity creation) + `rest` spread.

    A touch holding several roles adds their weights. `rest` is spread evenly over the
    touches holding no role; when every touch holds a role it is spread over all touches.
    """
    w_first, w_lead, w_opp = weights
    first = journeys.first_touch
    lead, opp = journeys.lead_touch, journeys.opportunity_touch
    share = w_first * first + w_lead * lead + w_opp * opp
    other = ~(first | lead | opp)
    n_other = np.bincount(journeys.journey[other], minlength=journeys.n_journeys)
    n_other_t = n_other[journeys.journey]
    spread = np.where(n_other_t > 0,
                      np.where(other, rest / np.maximum(n_other_t, 1), 0.0),
                      rest / journeys.touch_length)
    return credit_touch_shares(journeys, share + spread, model)


def w_shaped(journeys: Journeys, first: float = 0.3, lead: float = 0.3,
             opportunity: float = 0.3) -> Credits:
    """W-shaped: 30 % first touch, 30 % lead-creation touch, 30 % opportunity-creation
    touch, 10 % spread evenly over the other touches.

    A touch holding two or three roles adds their shares (first touch that also created
    the lead: 60 %). When every touch holds a role, the 10 % is spread over all touches
    (1 touch → 100 %; 2 touches, first = lead creation → 65/35; 3 distinct role touches →
    ⅓ each). Role touches: `Journeys` module docstring (without role data, lead creation is
    the first touch and opportunity creation the last). Weights configurable; the rest
    1 − first − lead − opportunity is the spread.
    """
    rest = 1.0 - first - lead - opportunity
    if min(first, lead, opportunity) < 0 or rest < -1e-12:
        raise AttributionError("W-shaped weights must be ≥ 0 and sum to at most 1")
    return _roles(journeys, (first, lead, opportunity), max(rest, 0.0), "w_shaped")


def two_touch(journeys: Journeys) -> Credits:
    """Two-touch: 50 % first touch, 50 % opportunity-creation touch (100 % if the same).

    Seed 004: the model to run before ~150 employees (first touch + opportunity-creation
    touch). Without opportunity data the opportunity-creation touch is the last touch.
    """
    return _roles(journeys, (0.5, 0.0, 0.5), 0.0, "two_touch")
