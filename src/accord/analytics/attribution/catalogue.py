"""The catalogue of attribution models, one call to run one, and a side-by-side table.

`MODELS` names every model with its weights in one line, so the CLI (`accord attribution
--help`), the API and reports list exactly the same words. The contract picks the model
and window: `attribution: {model: w_shaped, lookback_days: 180, half_life_days: 7}`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

import pandas as pd

from accord.analytics.attribution.credits import Credits
from accord.analytics.attribution.errors import AttributionError
from accord.analytics.attribution.journeys import Journeys
from accord.analytics.attribution.markov_chain import markov
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


@dataclass(frozen=True)
class ModelSpec:
    """One attribution model: its name, its weights in one line, and the function."""

    name: str
    weights: str
    function: Callable[..., Credits]
    parameters: tuple[str, ...] = ()
    needs_times: bool = False


def _named(fn: Callable[..., Credits], name: str, **fixed: int) -> Callable[..., Credits]:
    run = partial(fn, **fixed)

    def call(journeys: Journeys, **parameters: Any) -> Credits:
        return run(journeys, **parameters)

    call.__name__ = name
    call.__doc__ = fn.__doc__
    return call


MODELS: dict[str, ModelSpec] = {s.name: s for s in (
    ModelSpec("first_touch", "100% to the first touch", first_touch),
    ModelSpec("last_touch", "100% to the last touch", last_touch),
    ModelSpec("linear", "1/L to each of the L touches (repeats included)", linear),
    ModelSpec("time_decay",
              "2^(-days_before/half_life_days) per touch, normalised per journey "
              "(half-life: attribution.half_life_days, default 7)",
              time_decay, ("half_life_days",), needs_times=True),
    ModelSpec("u_shaped",
              "40% first, 20% spread over the middle touches, 40% last "
              "(1 touch: 100%; 2 touches: 50/50)", u_shaped),
    ModelSpec("position_based",
              "`first` to the first touch, `last` to the last (default 40/40), the rest "
              "spread over the middle (2 touches: rest split evenly)",
              position_based, ("first", "last")),
    ModelSpec("w_shaped",
              "30% first, 30% lead-creation, 30% opportunity-creation touch, 10% spread "
              "over the other touches (over all touches when none is left)", w_shaped,
              ("first", "lead", "opportunity")),
    ModelSpec("two_touch",
              "50% first touch, 50% opportunity-creation touch (100% when the same touch)",
              two_touch),
    *(ModelSpec(f"markov_o{k}",
                f"data-driven: exact removal effect of an order-{k} Markov chain; "
                "credit = RE/sum(RE) x total",
                _named(markov, f"markov_o{k}", order=k), ("max_steps",)) for k in (1, 2, 3)),
    ModelSpec("shapley",
              "exact Shapley value (coalition value = conversions of journeys whose "
              "channels it covers) = each journey split evenly over its distinct channels",
              shapley),
)}


def describe_models() -> str:
    """`name: weights`, one model a line: the text for `accord attribution --help`."""
    width = max(len(n) for n in MODELS)
    return "\n".join(f"{s.name:<{width}}  {s.weights}" for s in MODELS.values())


def attribute(journeys: Journeys, model: str, *, lookback_days: float | None = None,
              **parameters: Any) -> Credits:
    """Run one model by name after applying the lookback window (contract key
    `attribution.lookback_days`; `None` keeps every touch)."""
    spec = _spec(model)
    unknown = set(parameters) - set(spec.parameters)
    if unknown:
        raise AttributionError(
            f"model {model!r} takes no parameter {sorted(unknown)}; "
            f"it takes {list(spec.parameters) or 'none'}")
    return spec.function(journeys.within(lookback_days), **parameters)


def compare(journeys: Journeys, models: Iterable[str] | None = None, *,
            measure: Literal["conversions", "revenue"] = "conversions",
            lookback_days: float | None = None, **parameters: Any) -> pd.DataFrame:
    """Side-by-side credits: one row per channel (or campaign), one column per model.

    `models=None` runs every model the journeys support (time-decay only with touch
    times). Each parameter goes to the models that take it (e.g. `half_life_days`).
    A last row `(unattributed)` appears when some converted journey has no touch.
    """
    within = journeys.within(lookback_days)
    names = list(models) if models is not None else [
        n for n, s in MODELS.items() if not s.needs_times or within.days_before is not None]
    columns: dict[str, pd.Series] = {}
    extra: dict[str, float] = {}
    for name in names:
        spec = _spec(name)
        params = {k: v for k, v in parameters.items() if k in spec.parameters}
        credits = spec.function(within, **params)
        columns[name] = pd.Series(getattr(credits, measure), index=list(credits.names))
        extra[name] = (credits.unattributed_conversions if measure == "conversions"
                       else credits.unattributed_revenue)
    table = pd.DataFrame(columns)
    table.index.name = within.dimension
    if any(v for v in extra.values()):
        table.loc["(unattributed)"] = pd.Series(extra)
    return table


def _spec(model: str) -> ModelSpec:
    try:
        return MODELS[model]
    except KeyError:
        raise AttributionError(
            f"unknown attribution model {model!r}; choose one of: {', '.join(MODELS)}"
        ) from None
