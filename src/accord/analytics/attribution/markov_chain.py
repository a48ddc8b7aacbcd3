"""Data-driven attribution: Markov-chain removal effect, solved exactly.

The chain (order k = 1, 2 or 3). A state is the last k touches' channels (fewer at the
start of a journey), so an order-2 walk `a > a > b` visits `(a)`, `(a,a)`, `(a,b)`.
Repeats: a state followed by itself is a self-loop, and a self-loop never changes where a
walk is absorbed, so at order 1 `a > a > b` gives exactly the results of `a > b` (the
collapse ChannelAttribution applies). At order k ≥ 2 only the repeated *state* collapses:
`(a,a)` stays a state of its own, distinct from `(a)`. This is ChannelAttribution's chain;
the oracle's `exact_o{k}_hnone` columns equal it to 1e-9.

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


def _states(channel: NDArray[np.int64], position: NDArray[np.int64], n_c: int, order: int
            ) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """State index per touch, and which channels each state contains (`contains[S, C]`).

    A state's code is Σ_lag (channel at that lag + 1) · (C + 1)^lag, 0 for "before the
    journey started"; codes are renumbered 0..S-1 and decoded once per state.
    """
    base = n_c + 1
    n = channel.shape[0]
    code = channel + 1
    for lag in range(1, order):
        prev = np.zeros(n, dtype=np.int64)
        prev[lag:] = channel[: n - lag] + 1
        prev[position < lag] = 0
        code = code + prev * base**lag
    if base**order <= _DENSE_CODE_LIMIT:
        present = np.zeros(base**order, dtype=bool)
        present[code] = True
        codes = np.flatnonzero(present)
        index = np.zeros(base**order, dtype=np.int64)
        index[codes] = np.arange(codes.shape[0], dtype=np.int64)
        state = index[code]
    else:
        codes, state = np.unique(code, return_inverse=True)
    contains = np.zeros((codes.shape[0], n_c), dtype=bool)
    rows = np.arange(codes.shape[0])
    for lag in range(order):
        digit = (codes // base**lag) % base - 1
        ok = digit >= 0
        contains[rows[ok], digit[ok]] = True
    return state.astype(np.int64, copy=False), contains


def removal_effects(journeys: Journeys, order: int = 1,
                    max_steps: int | None = None) -> RemovalEffects:
    """Removal effects of every channel in an order-`order` chain (module docstring).

    `max_steps=None` (default) is exact. An integer cuts walks as ChannelAttribution's
    simulation does: a walk that has visited `max_steps` states (repeated states merged)
    without being absorbed counts as null. ChannelAttribution's own cut-off is the longest
    journey plus one; it reproduces the oracle's `exact_o{k}_hca` columns.
    """
    if order not in range(1, MAX_ORDER + 1):
        raise AttributionError(f"Markov order must be 1, 2 or 3 (got {order})")
    if max_steps is not None and max_steps < 1:
        raise AttributionError(f"`max_steps` must be 1 or more (got {max_steps})")
    n_c = len(journeys.channel_names)
    weight_j = journeys.conversions + journeys.nulls
    zeros = np.zeros(n_c)
    if journeys.n_touches == 0 or journeys.conversions[journeys.lengths > 0].sum() == 0:
        return RemovalEffects(order, journeys.channel_names, zeros, zeros.copy(), 0.0, 0)
    jrn, channel, position = journeys.journey, journeys.channel, journeys.position
    keep_j = weight_j > 0
    if not keep_j.all():
        keep = keep_j[jrn]
        jrn, channel, position = jrn[keep], channel[keep], position[keep]
    state, contains = _states(channel, position, n_c, order)
    n_s = contains.shape[0]
    start = position == 0
    if max_steps is not None:
        # a cut-off counts steps, so a repeated state must be one step, as in CA
        repeat = np.zeros(state.shape[0], dtype=bool)
        repeat[1:] = (state[1:] == state[:-1]) & ~start[1:]
        state, start, jrn = state[~repeat], start[~repeat], jrn[~repeat]
    # without a cut-off self-loops are harmless (absorption is unchanged): no merging
    src = np.empty_like(state)
    src[0] = n_s
    src[1:] = state[:-1]
    src[start] = n_s  # the start state
    w = weight_j[jrn]
    if (n_s + 1) * n_s <= _DENSE_CODE_LIMIT:
        dense = np.bincount(src * n_s + state, weights=w, minlength=(n_s + 1) * n_s)
        counts = sp.csr_matrix(dense.reshape(n_s + 1, n_s))
    else:
        counts = sp.csr_matrix((w, (src, state)), shape=(n_s + 1, n_s))
    last = np.ones(state.shape[0], dtype=bool)
    last[:-1] = start[1:]
    last_j = jrn[last]
    conv = np.bincount(state[last], weights=journeys.conversions[last_j], minlength=n_s)
    val = np.bincount(state[last], weights=journeys.value[last_j], minlength=n_s)
    nul = np.bincount(state[last], weights=journeys.nulls[last_j], minlength=n_s)
    out = np.asarray(counts.sum(axis=1)).ravel()
    out[:n_s] += conv + nul
    inv_out = 1.0 / out
    q = (sp.diags(inv_out[:n_s]) @ counts[:n_s]).tocsr()
    p0 = np.asarray(counts[n_s].todense()).ravel() * inv_out[n_s]
    rhs = np.column_stack((conv * inv_out[:n_s], val * inv_out[:n_s]))

    def absorbed(alive: NDArray[np.bool_]) -> NDArray[np.float64]:
        idx = np.flatnonzero(alive)
        if idx.size == 0:
            return np.zeros(2)
        q_alive = q[idx][:, idx]
        if max_steps is not None:  # Σ_{t < max_steps} p0 Qᵗ r: walks absorbed in time
            visit, total = p0[idx], np.zeros(2)
            q_t = q_alive.T.tocsr()
            for _ in range(max_steps):
                total += visit @ rhs[idx]
                visit = q_t @ visit
            return total
        a = (sp.identity(idx.size, format="csc") - q_alive).tocsc()
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


def markov(journeys: Journeys, order: int = 1, max_steps: int | None = None) -> Credits:
    """Markov removal effect (order 1–3): credit(c) = RE(c) / Σ RE × total conversions.

    Weights: not fixed per touch; data-driven from the absorbing chain (module docstring).
    Revenue uses revenue removal effects the same way. Totals are over journeys with at
    least one touch. `max_steps`: see `removal_effects` (default: exact, no cut-off).
    """
    re = removal_effects(journeys, order, max_steps)
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
