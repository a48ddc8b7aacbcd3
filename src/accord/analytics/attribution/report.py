"""What `accord attribution` answers: the contract's settings, one model's credits, or
every model side by side.

Settings (contract key `attribution`): `model`, `lookback_days`, `half_life_days`. A
model or lookback given for one run overrides the contract's; without a contract the
schema's defaults apply (first-touch, seed 004's mid-market default; 180 days; a 7-day
half-life). An unknown model raises `UnknownNameError` listing `MODELS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from accord.analytics.attribution.catalogue import MODELS, attribute, compare
from accord.analytics.attribution.credits import Credits
from accord.analytics.attribution.store_journeys import journeys_from_store
from accord.analytics.kpis.period import Period
from accord.contract.compiled import CompiledContract
from accord.contract.schema import Attribution
from accord.errors import UnknownNameError
from accord.store import Store

Credited = Literal["channel", "campaign"]
CreditMeasure = Literal["conversions", "revenue"]


@dataclass(frozen=True)
class AttributionSettings:
    """The model, lookback window and time-decay half-life one run uses."""

    model: str
    lookback_days: float | None
    half_life_days: float


def attribution_settings(contract: CompiledContract | None, *, model: str | None = None,
                         lookback_days: float | None = None) -> AttributionSettings:
    """The contract's `attribution` settings with this run's overrides (module docstring)."""
    section = contract.source.attribution if contract is not None else Attribution()
    chosen = model or section.model
    if chosen not in MODELS:
        raise UnknownNameError("attribution model", chosen, MODELS, where="--model")
    lookback = lookback_days if lookback_days is not None else section.lookback_days
    return AttributionSettings(chosen, lookback, section.half_life_days)


@dataclass(frozen=True)
class ModelCredits:
    """One model's credits, with its weights in words."""

    settings: AttributionSettings
    credits: Credits

    def as_dict(self) -> dict[str, object]:
        return {**self.credits.to_dict(), "weights": MODELS[self.settings.model].weights,
                "lookback_days": self.settings.lookback_days}


@dataclass(frozen=True)
class ModelComparison:
    """Every model side by side: one row per channel (or campaign), one column per model."""

    settings: AttributionSettings
    measure: CreditMeasure
    by: Credited
    table: pd.DataFrame

    def as_dict(self) -> dict[str, object]:
        return {"measure": self.measure, "by": self.by,
                "lookback_days": self.settings.lookback_days,
                "models": list(self.table.columns),
                "rows": [{self.by: str(idx), **{k: float(v) for k, v in row.items()}}
                         for idx, row in self.table.iterrows()]}


def credit_model(store: Store, contract: CompiledContract | None, *,
                 model: str | None = None, by: Credited = "channel",
                 period: Period | None = None,
                 lookback_days: float | None = None) -> ModelCredits:
    """One model's credits for the wins in `period` (`store_journeys.py`)."""
    settings = attribution_settings(contract, model=model, lookback_days=lookback_days)
    journeys = journeys_from_store(store, lookback_days=settings.lookback_days, period=period)
    if by == "campaign":
        journeys = journeys.by_campaign()
    spec = MODELS[settings.model]
    params = ({"half_life_days": settings.half_life_days}
              if "half_life_days" in spec.parameters else {})
    return ModelCredits(settings, attribute(journeys, settings.model, **params))


def compare_models(store: Store, contract: CompiledContract | None, *,
                   by: Credited = "channel", measure: CreditMeasure = "conversions",
                   period: Period | None = None,
                   lookback_days: float | None = None) -> ModelComparison:
    """Every model's credited `measure` side by side for the wins in `period`."""
    settings = attribution_settings(contract, lookback_days=lookback_days)
    journeys = journeys_from_store(store, lookback_days=settings.lookback_days, period=period)
    if by == "campaign":
        journeys = journeys.by_campaign()
    table = compare(journeys, measure=measure, half_life_days=settings.half_life_days)
    return ModelComparison(settings, measure, by, table)
