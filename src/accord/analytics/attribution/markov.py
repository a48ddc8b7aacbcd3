"""Data-driven attribution: Markov-chain removal effect, solved exactly.

The chain (order k = 1, 2 or 3). A state is the last k touches' channels (fewer at the
start of a journey), so an order-2 walk `a > a > b` visits `(a)`, `(a,a)`, `(a,b)`. A state
that repeats itself is merged (at order 1 that collapses `a > a > b` to `a > b`; at order
k a state repeats only after k + 1 equal channels in a row). Merging or not cannot change
any result below: a self-loop does not change where a walk is absorbed. This is
ChannelAttribution's chain; the oracle's `exact_o{k}_hnone` columns are built the same way.

Transition probabilities are counts over journeys weighted by conversions + nulls: each
journey adds that weight to start → its first state and to every step, and its
conversions (nulls) to last state → conversion (null). Journeys with no touch, or with
zero weight, are left out of the chain.

P = probability that a walk from start is absorbed in conversion, from the absorbing
chain's fundamental system (I − Q) x = r, solved with a sparse LU factorisation — exact, no
simulation and no cut-off on walk length. Removal effect of channel c:
RE(c) = 1 − P(without c) / P, where "without c" sends every transition into a state that
contains c to null. Credit(c) = RE(c) / Σ RE × total conversions.

Revenue: each conversion carries the mean booked revenue of the conversions leaving its
last state, so the expected revenue V solves the same system with r replaced by revenue
rates; revenue credit(c) = RE_V(c) / Σ RE_V × total revenue (ChannelAttribution's
definition, without its Monte-Carlo noise).

Sources: Anderl, Becker, von Wangenheim & Schumann (2016), "Mapping the customer journey",
Int. J. Research in Marketing 33(3); ChannelAttribution (Altomare & Loris) `markov_model`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spl
from numpy.typing import NDArray

from accord.analytics.attribution.credits import Credits, unattributed
from accord.analytics.attribution.errors import AttributionError
from accord.analytics.attribution.journeys import Journeys

MAX_ORDER = 3
_DENSE_CODE_LIMIT = 1 << 24


@dataclass(frozen=True, eq=False)
class RemovalEffects:
    """Removal effects per name (conversion and revenue) and the chain they came from."""

    order: int
    names: tuple[str, ...]
    conversion: NDArray[np.float64]
    revenue: NDArray[np.float64]
    p_conversion: float
    n_states: int


def _states(journeys: Journeys, order: int, keep: NDArray[np.bool_]
            ) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.bool_]]:
    """State index per kept touch, and which channels each state contains.

    Returns (state per touch, mask of touches that start a journey, contains[S, C]).
    """
    n_c = len(journeys.channel_names)
    ch = journeys.channel[keep]
    pos = journeys.position[keep]
    base = n_c + 1
    shifted = []
    code = np.zeros(ch.shape[0], dtype=np.int64)
    for lag in range(order):
        prev = np.full(ch.shape[0], -1, dtype=np.int64)
        prev[lag:] = ch[: ch.shape[0] - lag]
        prev[pos < lag] = -1
        shifted.append(prev)
        code = code * base + (prev + 1)
    if base**order <= _DENSE_CODE_LIMIT:
        present = np.zeros(base**order, dtype=bool)
        present[code] = True
        index = np.cumsum(present) - 1
        state = index[code]
        n_states = int(present.sum())
    else:
        _, state = np.unique(code, return_inverse=True)
        n_states = int(state.max()) + 1 if state.size else 0
    contains = np.zeros((n_states, n_c), dtype=bool)
    for prev in shifted:
        ok = prev >= 0
        contains[state[ok], prev[ok]] = True
    return state.astype(np.int64), pos == 0, contains


def removal_effects(journeys: Journeys, order: int = 1) -> RemovalEffects:
    """Exact removal effects of every channel in an order-`order` chain (module docstring)."""
    if order not in range(1, MAX_ORDER + 1):
        raise AttributionError(f"Markov order must be 1, 2 or 3 (got {order})")
    n_c = len(journeys.channel_names)
    weight_j = journeys.conversions + journeys.nulls
    keep = (weight_j > 0)[journeys.journey]
    state, start, contains = _states(journeys, order, keep)
    jrn = journeys.journey[keep]
    n_s = contains.shape[0]
    zeros = np.zeros(n_c)
    if n_s == 0 or journeys.conversions[weight_j > 0].sum() == 0:
        return RemovalEffects(order, journeys.channel_names, zeros, zeros.copy(), 0.0, n_s)
    # merge a state into itself (self-loops do not change absorption)
    repeat = np.zeros(state.shape[0], dtype=bool)
    repeat[1:] = (state[1:] == state[:-1]) & ~start[1:]
    state, start, jrn = state[~repeat], start[~repeat], jrn[~repeat]
    w = weight_j[jrn]
    src = np.empty_like(state)
    src[0] = n_s
    src[1:] = state[:-1]
    src[start] = n_s  # the start state
    counts = sp.csr_matrix((w, (src, state)), shape=(n_s + 1, n_s))
    last = np.ones(state.shape[0], dtype=bool)
    last[:-1] = start[1:]
    conv = np.bincount(state[last], weights=journeys.conversions[jrn[last]], minlength=n_s)
    val = np.bincount(state[last], weights=journeys.value[jrn[last]], minlength=n_s)
    nul = np.bincount(state[last], weights=journeys.nulls[jrn[last]], minlength=n_s)
    out = np.asarray(counts.sum(axis=1)).ravel()
    out[:n_s] += conv + nul
    inv_out = 1.0 / out
    q = sp.diags(inv_out[:n_s]) @ counts[:n_s]
    p0 = np.asarray(counts[n_s].todense()).ravel() * inv_out[n_s]
    rhs = np.column_stack((conv * inv_out[:n_s], val * inv_out[:n_s]))

    def absorbed(alive: NDArray[np.bool_]) -> NDArray[np.float64]:
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            return np.zeros(2)
        a = (sp.identity(idx.size, format="csc") - q[idx][:, idx]).tocsc()
        x = spl.splu(a).solve(np.ascontiguousarray(rhs[idx]))
        return np.asarray(p0[idx] @ x, dtype=np.float64)

    p_all = absorbed(np.ones(n_s, dtype=bool))
    re = np.zeros((n_c, 2))
    present = contains.any(axis=0)
    for c in np.flatnonzero(present):
        p_c = absorbed(~contains[:, c])
        with np.errstate(invalid="ignore", divide="ignore"):
            re[c] = np.where(p_all > 0, 1.0 - p_c / p_all, 0.0)
    re = np.clip(re, 0.0, None)  # exact effects are ≥ 0; clip rounding noise
    return RemovalEffects(order, journeys.channel_names, re[:, 0], re[:, 1],
                          float(p_all[0]), n_s)


def markov(journeys: Journeys, order: int = 1) -> Credits:
    """Markov removal effect (order 1–3): credit(c) = RE(c) / Σ RE × total conversions.

    Weights: not fixed per touch; data-driven from the absorbing chain (module docstring).
    Revenue uses revenue removal effects the same way. Totals are over journeys with at
    least one touch.
    """
    re = removal_effects(journeys, order)
    attributable = journeys.lengths > 0
    total_c = float(journeys.conversions[attributable].sum())
    total_v = float(journeys.value[attributable].sum())
    left = unattributed(journeys)
    conv = _share(re.conversion, total_c)
    rev = _share(re.revenue, total_v)
    if total_c > 0 and conv.sum() == 0:  # no removal effect anywhere: nothing to credit
        left["unattributed_conversions"] += total_c
    if total_v > 0 and rev.sum() == 0:
        left["unattributed_revenue"] += total_v
    return Credits(model=f"markov_o{order}", dimension=journeys.dimension,
                   names=journeys.channel_names, conversions=conv, revenue=rev, **left)


def _share(effects: NDArray[np.float64], total: float) -> NDArray[np.float64]:
    s = float(effects.sum())
    return effects / s * total if s > 0 else np.zeros_like(effects)
