"""Shapley-value attribution over channel coalitions, exact.

The game: the value of a coalition S of channels is the conversions (or revenue) of the
journeys whose set of channels is a subset of S, v(S) = Σ_j conv_j · [channels(j) ⊆ S].
Channel c's Shapley value is its average marginal contribution v(S ∪ {c}) − v(S) over
every order in which channels can join (Shapley 1953; Dalessandro et al. 2012 for its use
in attribution).

Exactness without enumerating 2^n coalitions: v is a sum of unanimity games, one per
journey on its channel set T_j, each scaled by conv_j. The Shapley value is linear and
gives each member of T a 1/|T| share of a unanimity game on T, so
φ(c) = Σ_{j : c ∈ T_j} conv_j / |T_j| — every journey's conversions split evenly over its
*distinct* channels. That is the same number a brute-force enumeration of all coalitions
gives (a test checks it), with no limit on the number of channels and linear cost.
"""

from __future__ import annotations

import numpy as np

from accord.analytics.attribution.credits import Credits, sum_by, unattributed
from accord.analytics.attribution.journeys import Journeys


def shapley(journeys: Journeys) -> Credits:
    """Shapley value: each journey's conversions and revenue split evenly over its distinct
    channels (exact Shapley value of the coalition game in the module docstring)."""
    n_c = len(journeys.channel_names)
    width = max(n_c, 1)
    pairs = np.unique(journeys.journey * width + journeys.channel)
    jrn, ch = pairs // width, pairs % width
    distinct = np.bincount(jrn, minlength=journeys.n_journeys)
    share = 1.0 / distinct[jrn]
    return Credits(
        model="shapley", dimension=journeys.dimension, names=journeys.channel_names,
        conversions=sum_by(ch, journeys.conversions[jrn] * share, n_c),
        revenue=sum_by(ch, journeys.value[jrn] * share, n_c),
        **unattributed(journeys))
