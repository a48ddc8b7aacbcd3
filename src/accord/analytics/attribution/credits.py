"""Credits: what one attribution model gives each channel (or campaign).

Conservation rule, tested for every model: the credited conversions plus the unattributed
conversions equal the journeys' total conversions, and the same for revenue. Conversions
are unattributed only when their journey has no touch (e.g. all outside the lookback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from accord.analytics.attribution.journeys import Journeys


@dataclass(frozen=True, eq=False)
class Credits:
    """Per-name credited conversions and revenue for one model, in `names` order."""

    model: str
    dimension: str
    names: tuple[str, ...]
    conversions: NDArray[np.float64]
    revenue: NDArray[np.float64]
    unattributed_conversions: float = 0.0
    unattributed_revenue: float = 0.0

    def __post_init__(self) -> None:
        for name in ("conversions", "revenue"):
            a = np.array(getattr(self, name), dtype=np.float64)
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        object.__setattr__(self, "names", tuple(self.names))

    @property
    def total_conversions(self) -> float:
        """Credited plus unattributed conversions: the journeys' total."""
        return float(self.conversions.sum()) + self.unattributed_conversions

    @property
    def total_revenue(self) -> float:
        return float(self.revenue.sum()) + self.unattributed_revenue

    def conversions_of(self, name: str) -> float:
        return float(self.conversions[self.names.index(name)])

    def revenue_of(self, name: str) -> float:
        return float(self.revenue[self.names.index(name)])

    def to_pandas(self) -> pd.DataFrame:
        """One row per name: `conversions`, `revenue`; index named after the dimension."""
        return pd.DataFrame(
            {"conversions": self.conversions, "revenue": self.revenue},
            index=pd.Index(self.names, name=self.dimension))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what `--json` prints)."""
        return {
            "model": self.model,
            "dimension": self.dimension,
            "credits": [
                {self.dimension: n, "conversions": float(c), "revenue": float(r)}
                for n, c, r in zip(self.names, self.conversions, self.revenue, strict=True)
            ],
            "unattributed": {"conversions": self.unattributed_conversions,
                             "revenue": self.unattributed_revenue},
        }


def credit_touch_shares(journeys: Journeys, share: NDArray[np.float64], model: str) -> Credits:
    """Credits from each touch's share of its journey (shares sum to 1 per journey)."""
    n = len(journeys.channel_names)
    conv = journeys.conversions[journeys.journey] * share
    rev = journeys.value[journeys.journey] * share
    return Credits(
        model=model, dimension=journeys.dimension, names=journeys.channel_names,
        conversions=sum_by(journeys.channel, conv, n),
        revenue=sum_by(journeys.channel, rev, n),
        **unattributed(journeys))


def unattributed(journeys: Journeys) -> dict[str, float]:
    """Conversions and revenue of journeys with no touch."""
    empty = journeys.lengths == 0
    return {"unattributed_conversions": float(journeys.conversions[empty].sum()),
            "unattributed_revenue": float(journeys.value[empty].sum())}


def sum_by(codes: NDArray[np.int64], weights: NDArray[np.float64], n: int
           ) -> NDArray[np.float64]:
    """Sum of `weights` per code 0..n-1 (`np.bincount`, typed as float)."""
    return np.bincount(codes, weights=weights, minlength=n).astype(np.float64, copy=False)
