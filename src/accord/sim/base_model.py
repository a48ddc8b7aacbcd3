"""The base conversion model: every systematic difference the simulator creates on purpose.

With `--effects none` these are the *only* reasons one group of leads converts differently
from another. An insight finder run on such data should explain differences by these
drivers and report nothing else. Each is explicit here and in `docs/simulator.md`:

1. **ICP fit** (`fit`, 0-100, scored from the contract's ICP criteria) raises acceptance,
   qualification, opportunity creation and win rate (`fit_factor`).
2. **Channel** quality multiplies qualification (SAL → SQL) and opportunity creation
   (SQL → Opportunity) by `CHANNEL_QUALITY`.
3. **Speed to lead**: the later the SDR's first touch after MQL, the lower the chance of
   qualification (SAL → SQL), by `speed_factor`. Seed 002 cites an HBR study of 2.24M
   leads: answering within 5 minutes rather than 30 makes a 21x difference in
   qualification. The simulator keeps the direction and the 5-minute knee but softens the
   size (5 vs 30 minutes ≈ 3x; floor 0.25 after about an hour), so slowly answered leads
   still feed a pipeline worth analysing.
4. **Segment** sets deal size and sales-cycle length (not win rate).
5. **Rep speed**: SDRs differ in their median response delay (some are slower); that acts
   on conversion only through (3).

Industry, region, country, campaign, landing page, ABM membership and title have no
effect of their own beyond their part in fit. Probabilities are products of these factors
and any planted effect multipliers, capped at `P_CAP`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from accord.contract.roles import StageRole

F64 = npt.NDArray[np.float64]

P_CAP = 0.95

# Base transition probabilities at fit 100, from a fast first touch, in a neutral channel.
BASE_P_SAL = 0.85  # handoff → accepted (MQL → SAL): SDR accepts
BASE_P_SQL = 0.75  # accepted → qualified (SAL → SQL)
BASE_P_OPP = 0.70  # qualified → opportunity (SQL → Opportunity)
BASE_P_WIN = 0.35  # opportunity → won (Opportunity → Customer)
# The same, by the role of the stage entered.
BASE_P: dict[StageRole, float] = {
    StageRole.ACCEPTED: BASE_P_SAL, StageRole.QUALIFIED: BASE_P_SQL,
    StageRole.OPPORTUNITY: BASE_P_OPP, StageRole.WON: BASE_P_WIN,
}

# Share of the fit-100 probability a lead at fit 0 keeps, by the role of the stage entered.
FIT_FLOOR: dict[StageRole, float] = {
    StageRole.ACCEPTED: 0.45, StageRole.QUALIFIED: 0.55, StageRole.OPPORTUNITY: 0.65,
    StageRole.WON: 0.6,
}

# Channel quality at SQL and Opportunity (1.0 = neutral).
CHANNEL_QUALITY: dict[str, float] = {
    "referral": 1.30,
    "partner": 1.20,
    "events": 1.10,
    "organic_search": 1.05,
    "paid_search": 1.00,
    "webinar": 0.95,
    "paid_social": 0.85,
    "content_syndication": 0.70,
}

# Speed-to-lead curve (minutes from MQL to the first sales touch).
SPEED_KNEE_MINUTES = 5.0
SPEED_HALF_LIFE_MINUTES = 8.0
SPEED_FLOOR = 0.25

# SDR response delay: log-normal per rep. Rep medians are log-normal around
# REP_DELAY_MEDIAN_MINUTES; SLOW_REP_SHARE of reps are SLOW_REP_FACTOR slower.
REP_DELAY_MEDIAN_MINUTES = 20.0
REP_DELAY_MEDIAN_SPREAD = 0.4  # sigma of log rep median
LEAD_DELAY_SIGMA = 1.4  # sigma of log delay around the rep's median
SLOW_REP_SHARE = 0.2
SLOW_REP_FACTOR = 3.0

# Deal size (USD, log-normal median) and sales cycle (days, log-normal median) by segment.
DEAL_MEDIAN: dict[str, float] = {"smb": 12_000.0, "mid_market": 45_000.0, "enterprise": 160_000.0}
DEAL_SIGMA = 0.45
CYCLE_MEDIAN_DAYS: dict[str, float] = {"smb": 25.0, "mid_market": 55.0, "enterprise": 110.0}
CYCLE_SIGMA = 0.45

# Lags between decisions (log-normal medians, hours) and recycling of nurtured leads.
ACCEPT_LAG_HOURS = 4.0  # first touch → SAL or rejection
QUALIFY_LAG_HOURS = 5 * 24.0  # SAL → SQL or rejection
OPPORTUNITY_LAG_HOURS = 3 * 24.0  # SQL → Opportunity or rejection
LAG_SIGMA = 0.8
RECYCLE_SHARE = 0.3  # of leads entering Nurture, share that come back as MQL later
RECYCLE_MIN_DAYS = 21.0
RECYCLE_MEDIAN_EXTRA_DAYS = 45.0

# Marketing engagement: touches per lead (negative binomial, mean at scale ~20).
TOUCHES_MEAN = 22.0
TOUCHES_DISPERSION = 0.8  # gamma shape; lower = more skewed
TOUCH_SPAN_MEDIAN_DAYS = 60.0
INTENT_TOUCH_ELASTICITY = 0.6  # touch count ∝ exp(elasticity · intent)
# Chance that a later touch is a hand-raise, by intent tier (low, mid, high latent intent).
LATER_HAND_RAISE_P: tuple[float, float, float] = (0.001, 0.006, 0.02)

# Data quality.
KNOWN_ACCOUNT_SHARE = 0.6  # leads whose source system filled `account_id`
FREE_MAIL_SHARE = 0.12
DUPLICATE_SHARE = 0.03
AUTO_DISQUALIFY_BAD_DATA_SHARE = 0.02  # leads marketing automation disqualifies on entry


def speed_factor(delay_minutes: F64) -> F64:
    """Qualification multiplier for a first touch `delay_minutes` after MQL.

    1.0 up to the 5-minute knee; beyond it the excess over the floor halves every
    `SPEED_HALF_LIFE_MINUTES`: 30 min → 0.25 + 0.75·2^(-25/8) ≈ 0.34 (≈ 3x below a
    5-minute answer), 60 min → ≈ 0.26, later → 0.25.
    """
    excess = np.maximum(delay_minutes - SPEED_KNEE_MINUTES, 0.0)
    return SPEED_FLOOR + (1.0 - SPEED_FLOOR) * np.exp2(-excess / SPEED_HALF_LIFE_MINUTES)


def fit_factor(fit: F64, stage: StageRole) -> F64:
    """Multiplier from ICP fit (0-100) into the stage playing `stage`:
    `floor + (1 - floor) · fit/100`."""
    floor = FIT_FLOOR[stage]
    return floor + (1.0 - floor) * np.clip(fit, 0.0, 100.0) / 100.0
