"""Multi-touch attribution per channel and per campaign, for conversions and revenue.

Contract key `attribution` (`model`, `lookback_days`, `half_life_days`). Build `Journeys`
(from oracle-style paths or from a long touch table), run a model by name with
`attribute`, or several side by side with `compare`. `MODELS` lists every model with its
weights; `docs/attribution.md` explains them and the vendor-name trap.
"""

from __future__ import annotations

from accord.analytics.attribution.catalogue import (
    MODELS,
    ModelSpec,
    attribute,
    compare,
    describe_models,
)
from accord.analytics.attribution.credits import Credits
from accord.analytics.attribution.errors import AttributionError
from accord.analytics.attribution.journeys import NO_CAMPAIGN, Journeys
from accord.analytics.attribution.markov_chain import RemovalEffects, markov, removal_effects
from accord.analytics.attribution.rules import (
    first_touch,
    last_touch,
    linear,
    position_based,
    time_decay,
    two_touch,
    u_shaped,
    w_shaped,
)
from accord.analytics.attribution.shapley_value import shapley

__all__ = [
    "MODELS",
    "NO_CAMPAIGN",
    "AttributionError",
    "Credits",
    "Journeys",
    "ModelSpec",
    "RemovalEffects",
    "attribute",
    "compare",
    "describe_models",
    "first_touch",
    "last_touch",
    "linear",
    "markov",
    "position_based",
    "removal_effects",
    "shapley",
    "time_decay",
    "two_touch",
    "u_shaped",
    "w_shaped",
]
