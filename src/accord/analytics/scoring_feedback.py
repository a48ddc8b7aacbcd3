"""Scoring feedback: how well the contract's scores rank leads by their outcomes, and the
points those outcomes suggest (contract keys `icps.<icp>.criteria.<field>.points`,
`icps.<icp>.tiers` and `signals.<signal>.points`).

Seed 002 and seed 004 ask that won/lost outcomes flow back into next quarter's targeting
and that the ICP be reviewed quarterly. This module does the measuring half of that
review; a human does the deciding half.

**Leads studied.** Leads created in `period` (all time by default) whose scoring horizon
has passed: each lead is scored as of `created_at + horizon_days` (30 days by default, the
engagement window the simulator's MQL rule uses), the same age for every lead, so old
leads do not carry more touches than young ones and touches long after the outcome do not
leak into the score. A lead whose horizon ends after the one "now" (`as_of`, by default the last
fact in the store, `store/as_of.py`; reported as `observed_until`) is left out and counted
in `excluded_recent`.

**Label.** The lead reached `outcome`, asked of the contract by stage role:
`opportunity` (funnel depth ≥ the opportunity role's stage: a stage move into it or an
opportunity row) or `won` (a won opportunity or a move into the won role's stage —
Customer in the starter, "Closed Won" in many CRMs), with depth from
`analytics/funnel.lead_depth` in the named view (`engine/views.py`; actual by default).
A contract without the outcome's role cannot answer: `UnknownNameError` names the role.
For `won`, a lead whose opportunity is still open is undecided and left out
(`excluded_undecided`).

**Features** (one per criterion of every ICP and one per signal), measured with the
engine's own scoring functions (`engine/scoring.py`) on a one-point copy of each rule, so
the rules are never restated here:

- criterion: 1 when the criterion holds on the lead, else 0 (`fit_columns` of an ICP with
  that criterion alone at 1 point);
- signal: its engagement contribution at 1 point, i.e. the decayed number of counted
  touches — a hand-raise counts once, other signals once per touch, each halving every
  `half_life_days` (`running_engagement` of a model with that signal alone at 1 point).

By the contract's definitions a lead's fit for an ICP is Σ points × criterion feature, its
engagement Σ points × signal feature, and its fit the best ICP's fit; the proposed scores
below are computed that way with the proposed points (`tests/analytics/
test_scoring_feedback.py` checks that the current points give back the engine's scores).

**Current scores.** `fit`, `engagement` and `fit + engagement` (both are in contract
points; the contract never adds them, but a single ranking needs one number). Their
AUCs are reported on all studied leads and on the held-out leads.

**Split.** A lead is held out when `split_hash(lead_id, seed)` < `holdout` (30% by
default): FNV-1a (64-bit) of the text `"{seed}:{lead_id}"`, then the MurmurHash3 64-bit
finaliser, read as a fraction of 2⁶⁴. A lead's side depends only on its id and the seed,
never on the other leads, so a store that grows keeps every old lead on its side.

**AUC** is the Mann–Whitney statistic: (R₁ − n₁(n₁+1)/2) / (n₁·n₀), where R₁ is the sum of
the positive leads' ranks among all leads, ties sharing their average rank — the chance
that a random lead with the outcome scores above a random lead without it, ties counting
half. None when either class is empty.

**Proposal.** L2-regularised logistic regression of the label on the features, fitted on
the training leads by Newton's method (IRLS) with step halving: features are standardised
(mean 0, standard deviation 1) before the penalty `l2`·‖β‖²/2 applies, the intercept is
not penalised, and coefficients are turned back to one unit of each feature (one met
criterion, one fresh touch). Unless `l2` is given it is chosen from `L2_GRID` by 5-fold
cross-validation on the training leads (folds from the same hash, so also stable): the
penalty with the best mean out-of-fold AUC, the stronger one on a tie. Strong penalties
matter here: AUC depends only on the direction of the weights, and as the penalty grows
that direction tends to each standardised feature's covariance with the outcome — a
robust ranking when counts are heavy-tailed and the outcome is not linear in them.
A feature that never varies among the training leads gives no evidence: it keeps its
current points. Coefficients are scaled by one factor so that the largest |coefficient|
equals the largest |current points|, then rounded to integers. The proposed scores' AUCs
are reported on the held-out leads (and on the training leads, to show overfitting).

**Tiers** (`icps.<icp>.tiers`) are minimum fit scores on the current scale; with new points
each tier's minimum is moved so that about as many studied leads reach it as do now:
the proposed fit value t whose count of leads with proposed fit ≥ t is closest to the
current count, the higher t on a tie. A tier no studied lead reaches keeps its minimum.

**Calibration by band.** Outcome rate by current fit tier (all studied leads; tier
`(none)` last), by deciles of current fit + engagement (all studied leads) and by deciles
of the proposed fit + engagement on held-out leads with the model's mean predicted
probability beside the observed rate (the linear score recalibrated by an unpenalised
one-variable logistic fit on the training leads — Platt scaling — because a strong
penalty squeezes probabilities towards the base rate). Decile edges are the 10%…90% quantiles; equal
scores always share a band, so heavily tied scores give fewer than ten bands.

**By a dimension** (`by`, e.g. `channel`): current and proposed AUC of fit + engagement on
held-out leads per value of a lead-profile column (`engine/lead_frame.lead_profile`;
account fields also by their bare name, e.g. `segment`), plus `tier` and `icp`.

The snippet (`ScoringFeedback.snippet`) is YAML for the contract's `icps:` and `signals:`
sections, each line commented with old → new points; nothing is written to accord.yaml. It
warns when there are fewer than `EVENTS_PER_RULE` training outcomes per fitted rule.
Stage entry thresholds (`fit >= 45`, `engagement >= 40`) are on the current scale and are
left to the reviewer.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import yaml
from scipy.special import expit

from accord.analytics.funnel import lead_depth, role_depth
from accord.analytics.kpis.period import ALL_TIME, Period
from accord.contract.compiled import CompiledContract
from accord.contract.roles import StageRole
from accord.engine.lead_frame import lead_profile
from accord.engine.scoring import (
    IcpModel,
    ScoringModel,
    SignalModel,
    fit_columns,
    running_engagement,
)
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view
from accord.errors import AccordError, UnknownNameError
from accord.store.as_of import resolve_as_of
from accord.store.base import Store

__all__ = [
    "EVENTS_PER_RULE",
    "L2_GRID",
    "OUTCOMES",
    "AucByValue",
    "Band",
    "FeaturePoints",
    "LogisticFit",
    "Outcome",
    "ScoreAuc",
    "ScoringFeedback",
    "ScoringFeedbackError",
    "TierProposal",
    "UnknownDimensionError",
    "average_ranks",
    "choose_l2",
    "fit_logistic",
    "lead_features",
    "rank_auc",
    "render_snippet",
    "scoring_feedback",
    "split_hash",
]

Outcome = Literal["opportunity", "won"]
#: Outcome -> the stage role whose funnel depth counts as reaching it.
OUTCOMES: Final[dict[str, StageRole]] = {"opportunity": StageRole.OPPORTUNITY,
                                         "won": StageRole.WON}
SCORES: Final = ("fit", "engagement", "fit + engagement")
_DECILES: Final = tuple(np.arange(1, 10) / 10)
_NONE: Final = "(none)"


class ScoringFeedbackError(AccordError, ValueError):
    """Scoring feedback cannot be computed as asked; the message says what to change."""


class UnknownDimensionError(UnknownNameError, ScoringFeedbackError):
    """`by` names no column of the lead profile."""


# --- value types ------------------------------------------------------------------------


@dataclass(frozen=True)
class FeaturePoints:
    """One criterion or signal: its current and proposed points and the evidence."""

    kind: Literal["criterion", "signal"]
    icp: str | None  # the criterion's ICP; None for signals
    name: str  # criterion field or signal name
    current_points: int
    proposed_points: int
    coefficient: float  # log-odds per unit (one met criterion, one fresh touch)
    share: float  # training leads with the feature > 0
    varied: bool  # False: constant among training leads, points kept

    @property
    def key(self) -> str:
        return f"{self.icp}.{self.name}" if self.icp is not None else self.name

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "icp": self.icp, "name": self.name,
                "current_points": self.current_points, "proposed_points": self.proposed_points,
                "coefficient": self.coefficient, "share": self.share, "varied": self.varied}


@dataclass(frozen=True)
class ScoreAuc:
    """AUC of one score, current points and proposed points."""

    score: str
    current_all: float | None
    current_holdout: float | None
    proposed_train: float | None
    proposed_holdout: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Band:
    """A score band: its leads, how many reached the outcome, and (proposed bands only)
    the model's mean predicted probability."""

    label: str
    low: float | None
    high: float | None
    leads: int
    outcomes: int
    predicted: float | None = None

    @property
    def rate(self) -> float | None:
        return self.outcomes / self.leads if self.leads else None

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "rate": self.rate}


@dataclass(frozen=True)
class TierProposal:
    icp: str
    tier: str
    current_min: float
    proposed_min: float
    current_leads: int  # studied leads with current ICP fit >= current_min
    proposed_leads: int  # studied leads with proposed ICP fit >= proposed_min

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class AucByValue:
    """Held-out AUC of fit + engagement among leads with one value of the `by` dimension."""

    value: str
    leads: int
    outcomes: int
    current: float | None
    proposed: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class LogisticFit:
    """An L2-regularised logistic regression on raw feature units."""

    intercept: float
    coefficients: tuple[float, ...]
    varied: tuple[bool, ...]
    iterations: int
    converged: bool

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Probability of the outcome for each row of `x`."""
        return np.asarray(expit(self.intercept + np.asarray(x, float) @ np.array(
            self.coefficients)), dtype=float)


@dataclass(frozen=True)
class ScoringFeedback:
    """Result of `scoring_feedback`; `as_dict` is what `accord scoring feedback --json`
    prints."""

    outcome: str
    period: Period
    seed: int
    horizon_days: int
    holdout_share: float
    l2: float
    l2_cv: tuple[tuple[float, float], ...]  # (penalty, mean out-of-fold AUC) when chosen
    observed_until: datetime | None
    leads: int
    outcomes: int
    train_leads: int
    train_outcomes: int
    holdout_leads: int
    holdout_outcomes: int
    excluded_recent: int
    excluded_undecided: int
    scores: tuple[ScoreAuc, ...]
    features: tuple[FeaturePoints, ...]
    tiers: tuple[TierProposal, ...]
    tier_bands: tuple[Band, ...]
    score_bands: tuple[Band, ...]
    proposed_bands: tuple[Band, ...]
    by: str | None
    groups: tuple[AucByValue, ...]
    model: LogisticFit
    snippet: str
    view: View = DEFAULT_VIEW  # where the outcome's stage moves were read

    def score(self, name: str) -> ScoreAuc:
        for s in self.scores:
            if s.score == name:
                return s
        raise KeyError(name)

    @property
    def cohort(self) -> str:
        """The leads studied, in words: `leads created in 2025-Q1` or `leads of all time`."""
        return "leads of all time" if self.period.is_all_time else \
            f"leads created in {self.period.label}"

    @property
    def current_auc(self) -> float | None:
        """Held-out AUC of fit + engagement with the contract's points."""
        return self.score("fit + engagement").current_holdout

    @property
    def proposed_auc(self) -> float | None:
        """Held-out AUC of fit + engagement with the proposed points."""
        return self.score("fit + engagement").proposed_holdout

    def as_dict(self) -> dict[str, Any]:
        return {
            "view": self.view, "view_label": VIEW_LABELS[self.view],
            "outcome": self.outcome, "period": self.period.as_dict(), "seed": self.seed,
            "horizon_days": self.horizon_days, "holdout_share": self.holdout_share,
            "l2": self.l2, "l2_cv": [{"l2": p, "auc": a} for p, a in self.l2_cv],
            "observed_until": self.observed_until.isoformat() if self.observed_until else None,
            "leads": self.leads, "outcomes": self.outcomes,
            "train": {"leads": self.train_leads, "outcomes": self.train_outcomes},
            "holdout": {"leads": self.holdout_leads, "outcomes": self.holdout_outcomes},
            "excluded": {"recent": self.excluded_recent, "undecided": self.excluded_undecided},
            "auc": [s.as_dict() for s in self.scores],
            "features": [f.as_dict() for f in self.features],
            "tiers": [t.as_dict() for t in self.tiers],
            "calibration": {"fit_tier": [b.as_dict() for b in self.tier_bands],
                            "current_deciles": [b.as_dict() for b in self.score_bands],
                            "proposed_deciles_holdout": [b.as_dict()
                                                         for b in self.proposed_bands]},
            "by": self.by, "groups": [g.as_dict() for g in self.groups],
            "model": {"intercept": self.model.intercept, "iterations": self.model.iterations,
                      "converged": self.model.converged},
            "snippet": self.snippet,
        }


# --- statistics -------------------------------------------------------------------------


def average_ranks(values: np.ndarray | Sequence[float]) -> np.ndarray:
    """1-based ranks of `values`, ties sharing their average rank."""
    v = np.asarray(values, dtype=float)
    order = np.argsort(v, kind="mergesort")
    _, first, counts = np.unique(v[order], return_index=True, return_counts=True)
    ranks = np.empty(len(v), dtype=float)
    ranks[order] = np.repeat(first + (counts + 1) / 2, counts)
    return ranks


def rank_auc(scores: np.ndarray | Sequence[float],
             labels: np.ndarray | Sequence[bool]) -> float | None:
    """Area under the ROC curve by the Mann–Whitney rank formula; None if a class is empty."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    n1 = int(y.sum())
    n0 = len(y) - n1
    if n1 == 0 or n0 == 0:
        return None
    r1 = float(average_ranks(s)[y].sum())
    return (r1 - n1 * (n1 + 1) / 2) / (n1 * n0)


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, *, max_iter: int = 100,
                 tol: float = 1e-10) -> LogisticFit:
    """L2-regularised logistic regression by Newton's method (IRLS) with step halving.

    Minimises Σ log(1 + e^η) − y·η + l2/2 · ‖β‖² with η = β₀ + Σ βⱼ·zⱼ over standardised
    columns zⱼ = (xⱼ − mean) / sd; β₀ is not penalised. Columns with sd 0 get coefficient
    0 and `varied` False. Returned coefficients are per raw unit of each column.
    """
    x = np.asarray(x, dtype=float)
    yv = np.asarray(y, dtype=float)
    if l2 < 0:
        raise ScoringFeedbackError(f"l2 must be zero or more, got {l2}")
    n, d = x.shape
    mean = x.mean(axis=0) if n else np.zeros(d)
    sd = x.std(axis=0) if n else np.zeros(d)
    varied = sd > 1e-12
    z = (x[:, varied] - mean[varied]) / sd[varied]
    a = np.column_stack([np.ones(n), z])
    penalty = np.full(a.shape[1], float(l2))
    penalty[0] = 0.0
    rate = float(np.clip(yv.mean(), 1e-6, 1 - 1e-6)) if n else 0.5
    beta = np.zeros(a.shape[1])
    beta[0] = np.log(rate / (1 - rate))

    def objective(b: np.ndarray) -> float:
        eta = a @ b
        return float(np.sum(np.logaddexp(0.0, eta) - yv * eta) + 0.5 * np.sum(penalty * b * b))

    converged = False
    iterations = 0
    current = objective(beta)
    for iterations in range(1, max_iter + 1):  # noqa: B007 - the count is reported
        p = expit(a @ beta)
        grad = a.T @ (p - yv) + penalty * beta
        hess = (a.T * (p * (1 - p))) @ a + np.diag(penalty)
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            raise ScoringFeedbackError(
                "the logistic fit is singular (perfectly separated or collinear features); "
                "use a positive l2") from None
        t = 1.0
        while True:
            candidate = beta - t * step
            value = objective(candidate)
            if value <= current + 1e-12 * max(1.0, abs(current)) or t < 1e-10:
                break
            t /= 2
        moved = float(np.max(np.abs(candidate - beta)))
        beta, current = candidate, value
        if moved < tol:
            converged = True
            break
    coef = np.zeros(d)
    coef[varied] = beta[1:] / sd[varied]
    intercept = float(beta[0] - np.sum(beta[1:] * mean[varied] / sd[varied]))
    return LogisticFit(intercept, tuple(float(c) for c in coef),
                       tuple(bool(v) for v in varied), iterations, converged)


#: Outcomes per fitted rule below which the snippet warns that the points are a hint: the
#: common "10 events per variable" rule of thumb for logistic regression (Peduzzi et al.,
#: J Clin Epidemiol 1996).
EVENTS_PER_RULE: Final = 10
#: Penalties tried when `l2` is not given, weakest first.
L2_GRID: Final = (0.1, 1.0, 10.0, 100.0, 1000.0, 10000.0)
CV_FOLDS: Final = 5


def choose_l2(x: np.ndarray, y: np.ndarray, fold: np.ndarray,
              grid: Sequence[float] = L2_GRID) -> tuple[float, tuple[tuple[float, float], ...]]:
    """The penalty with the best mean out-of-fold AUC (folds numbered in `fold`), the
    larger penalty on a tie; also each penalty's mean AUC. Folds without both classes
    among their held-back leads are skipped."""
    results: list[tuple[float, float]] = []
    for l2 in grid:
        aucs = []
        for k in np.unique(fold):
            back = fold == k
            if y[~back].all() or not y[~back].any():
                continue
            model = fit_logistic(x[~back], y[~back], l2)
            auc = rank_auc(x[back] @ np.array(model.coefficients), y[back])
            if auc is not None:
                aucs.append(auc)
        results.append((float(l2), float(np.mean(aucs)) if aucs else float("nan")))
    scored = [(auc, l2) for l2, auc in results if auc == auc]
    if not scored:
        raise ScoringFeedbackError("too few outcomes to choose the penalty by cross-validation; "
                                   "give l2 explicitly (--l2)")
    best = max(scored)
    return best[1], tuple(results)


_FNV_OFFSET: Final = 0xCBF29CE484222325
_FNV_PRIME: Final = 0x100000001B3
_MASK: Final = (1 << 64) - 1


def split_hash(lead_ids: Sequence[str] | pa.Array | pa.ChunkedArray, seed: int) -> np.ndarray:
    """A fraction in [0, 1) per lead id: FNV-1a 64 of `"{seed}:{lead_id}"` (UTF-8), then the
    MurmurHash3 fmix64 finaliser, divided by 2⁶⁴ (top 53 bits). Vectorised over ids; the
    loop runs over character positions."""
    arr = pa.array(lead_ids, type=pa.string()) if not isinstance(
        lead_ids, pa.Array | pa.ChunkedArray) else lead_ids
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    arr = arr.cast(pa.string())
    if arr.null_count:
        raise ScoringFeedbackError("lead ids must not be null")
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset: arr.offset + n + 1]
    data_buf = arr.buffers()[2]
    data = np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(
        0, np.uint8)
    starts = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    state = _FNV_OFFSET
    for prefix_byte in f"{seed}:".encode():
        state = ((state ^ prefix_byte) * _FNV_PRIME) & _MASK
    h = np.full(n, state, dtype=np.uint64)
    prime = np.uint64(_FNV_PRIME)
    for j in range(int(lengths.max()) if n else 0):
        active = lengths > j
        byte = data[starts[active] + j].astype(np.uint64)
        h[active] = (h[active] ^ byte) * prime
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    h ^= h >> np.uint64(33)
    return np.asarray((h >> np.uint64(11)).astype(np.float64) / float(1 << 53), dtype=float)


# --- features from the store ------------------------------------------------------------


@dataclass(frozen=True)
class _Feature:
    kind: Literal["criterion", "signal"]
    icp: str | None
    name: str
    points: int
    column: str


def _features(model: ScoringModel) -> tuple[_Feature, ...]:
    out: list[_Feature] = []
    for icp in model.icps:
        for crit in icp.criteria:
            out.append(_Feature("criterion", icp.name, crit.field, crit.points, f"x{len(out)}"))
    for s in model.signals:
        out.append(_Feature("signal", None, s.name, s.points, f"x{len(out)}"))
    return tuple(out)


def _dimension_column(profile: ibis.Table, by: str) -> str:
    hidden = ("lead_id", "score_at")
    for name in (by, f"account_{by}"):
        if name in profile.columns and name not in hidden:
            return name
    if by in ("tier", "icp"):
        return by
    known = [c for c in profile.columns if c not in hidden] + ["tier", "icp"]
    raise UnknownDimensionError("dimension", by, known, where="scoring feedback's --by")


def lead_features(store: Store, contract: CompiledContract, *, period: Period | None = None,
                  horizon_days: int = 30, observed_until: datetime | None = None,
                  by: str | None = None, view: View = DEFAULT_VIEW) -> ibis.Table:
    """One row per studied lead (batch): `lead_id`, `created_at`, `depth`, `open_opportunity`,
    the engine's `fit`, `tier`, `icp` and `engagement` as of `created_at + horizon_days`,
    one column `x<k>` per feature (criteria of each ICP in contract order, then signals;
    see the module docstring) and, with `by`, the dimension as `dimension`.

    Leads whose horizon ends after `observed_until` are left out (none when it is None).
    """
    if horizon_days < 0:
        raise ScoringFeedbackError(f"horizon_days must be zero or more, got {horizon_days}")
    model = contract.scoring
    features = _features(model)
    period = period or ALL_TIME
    profile = lead_profile(store)
    if period.start is not None:
        profile = profile.filter(profile.created_at >= ibis.literal(period.start,
                                                                     type="timestamp(6)"))
    if period.end is not None:
        profile = profile.filter(profile.created_at < ibis.literal(period.end,
                                                                    type="timestamp(6)"))
    profile = profile.mutate(
        score_at=(profile.created_at + ibis.interval(days=horizon_days)).cast("timestamp(6)"))
    if observed_until is not None:
        profile = profile.filter(profile.score_at <= ibis.literal(observed_until,
                                                                  type="timestamp(6)"))
    dim = _dimension_column(profile, by) if by is not None else None

    # Fit: the engine's scores, and each criterion alone at one point.
    cols: dict[str, ir.Value] = {}
    engine_fit = fit_columns(model, profile)
    cols.update(fit=engine_fit["fit"], tier=engine_fit["tier"], icp=engine_fit["icp"])
    for f in features:
        if f.kind != "criterion":
            continue
        icp = next(i for i in model.icps if i.name == f.icp)
        crit = next(c for c in icp.criteria if c.field == f.name)
        unit = ScoringModel((IcpModel(icp.name, (replace(crit, points=1),), ()),), ())
        cols[f.column] = fit_columns(unit, profile)["fit"]
    keep = ["lead_id", "created_at", "score_at"] + ([dim] if dim and dim in profile.columns
                                                    else [])
    scored = profile.select(*keep, **cols)

    # Engagement as of each lead's own time: its touches up to then, plus a probe row.
    eng = _engagement_at_score_time(store, model, features,
                                    profile.select("lead_id", "created_at", "score_at"))
    scored = scored.left_join(eng, "lead_id").drop("lead_id_right")
    fills: dict[str, ir.Value] = {"engagement": scored.engagement.fill_null(0.0)}
    for f in features:
        if f.kind == "signal":
            fills[f.column] = scored[f.column].fill_null(0.0)
    scored = scored.mutate(**fills)

    # Outcome: funnel depth; an open opportunity marks an undecided `won`.
    depth = lead_depth(store, contract, view).select("lead_id", "depth")
    opp = store.table("opportunities")
    opp = opp.filter(opp.lead_id.notnull())
    open_opp = opp.group_by("lead_id").aggregate(open_opportunity=(opp.status == "open").any())
    scored = scored.left_join(depth, "lead_id").drop("lead_id_right")
    scored = scored.left_join(open_opp, "lead_id").drop("lead_id_right")
    out: dict[str, ir.Value] = {
        "lead_id": scored.lead_id, "created_at": scored.created_at,
        "depth": scored.depth.fill_null(0).cast("int64"),
        "open_opportunity": scored.open_opportunity.fill_null(False),
        "fit": scored.fit, "tier": scored.tier, "icp": scored.icp,
        "engagement": scored.engagement,
    }
    for f in features:
        out[f.column] = scored[f.column].cast("float64")
    if dim is not None:
        out["dimension"] = scored[dim].cast("string")
    return scored.select(**out)


def _engagement_at_score_time(store: Store, model: ScoringModel,
                              features: Sequence[_Feature], leads: ibis.Table) -> ibis.Table:
    touches = store.table("touches")
    t = touches.join(leads, "lead_id")
    t = t.filter(t.occurred_at <= t.score_at)
    t = t.select(lead_id=t.lead_id, signal=t.signal, at=t.occurred_at,
                 probe=ibis.literal(0, type="int8"), anchor=t.created_at)
    probes = leads.select(lead_id=leads.lead_id, signal=ibis.null("string"), at=leads.score_at,
                          probe=ibis.literal(1, type="int8"), anchor=leads.created_at)
    timeline = t.union(probes, distinct=False)
    # The probe sorts after touches at the same instant: "touches at or before T" count.
    window = ibis.window(group_by="lead_id", order_by=["at", "probe"], rows=(None, 0))
    running: dict[str, ir.Value] = {
        "engagement": running_engagement(model, timeline, window, timeline.anchor)
        ["engagement"]}
    for f in features:
        if f.kind != "signal":
            continue
        signal = model.signal(f.name)
        assert signal is not None
        unit = ScoringModel((), (SignalModel(signal.name, 1, signal.half_life_days,
                                             signal.once),))
        running[f.column] = running_engagement(unit, timeline, window,
                                               timeline.anchor)["engagement"]
    timeline = timeline.mutate(**running)
    at_probe = timeline.filter(timeline.probe == 1)
    return at_probe.select("lead_id", *running)


# --- the feedback -----------------------------------------------------------------------


def _as_float(table: pa.Table, name: str) -> np.ndarray:
    return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=float)


def _as_text(table: pa.Table, name: str) -> list[str]:
    return [_NONE if v is None else str(v) for v in table.column(name).to_pylist()]


def _bands(score: np.ndarray, y: np.ndarray, predicted: np.ndarray | None = None
           ) -> tuple[Band, ...]:
    if len(score) == 0:
        return ()
    edges = np.unique(np.quantile(score, _DECILES))
    index = np.searchsorted(edges, score, side="right")
    bands: list[Band] = []
    for k in np.unique(index):
        sel = index == k
        bands.append(Band(f"{len(bands) + 1}", float(score[sel].min()), float(score[sel].max()),
                          int(sel.sum()), int(y[sel].sum()),
                          None if predicted is None else float(predicted[sel].mean())))
    return tuple(bands)


def _tier_bands(tiers: list[str], y: np.ndarray, contract: CompiledContract
                ) -> tuple[Band, ...]:
    order: list[str] = []
    for icp in contract.source.icps.values():
        for name in icp.tiers:
            if name not in order:
                order.append(name)
    order.append(_NONE)
    t = np.array(tiers, dtype=object)
    return tuple(Band(name, None, None, int((t == name).sum()), int(y[t == name].sum()))
                 for name in order)


def _match_tier(current: np.ndarray, proposed: np.ndarray, minimum: float) -> tuple[float, int]:
    target = int((current >= minimum).sum())
    if target == 0:
        return minimum, int((proposed >= minimum).sum())
    candidates = np.unique(proposed)
    reached = len(proposed) - np.searchsorted(np.sort(proposed), candidates, side="left")
    gap = np.abs(reached - target)
    best = int(np.flatnonzero(gap == gap.min())[-1])  # the higher t on a tie
    return float(candidates[best]), int(reached[best])


def _propose_points(features: Sequence[_Feature], fit: LogisticFit) -> list[int]:
    coef = np.array(fit.coefficients)
    varied = np.array(fit.varied)
    top_current = max((abs(f.points) for f in features), default=0)
    top_coef = float(np.abs(coef[varied]).max()) if varied.any() else 0.0
    scale = top_current / top_coef if top_coef > 0 else 0.0
    return [int(np.round(c * scale)) if v else f.points
            for f, c, v in zip(features, coef, varied, strict=True)]


def _scores(x: np.ndarray, features: Sequence[_Feature], points: Sequence[int],
            icps: Sequence[str]) -> tuple[np.ndarray, dict[str, np.ndarray], np.ndarray]:
    """Fit (best ICP), fit per ICP and engagement from features and points, as the
    contract defines them (sums of points; fit is the best ICP's)."""
    p = np.array(points, dtype=float)
    per_icp: dict[str, np.ndarray] = {}
    for icp in icps:
        idx = [k for k, f in enumerate(features) if f.kind == "criterion" and f.icp == icp]
        per_icp[icp] = x[:, idx] @ p[idx]
    fit = np.max(np.column_stack(list(per_icp.values())), axis=1) if per_icp else np.zeros(
        len(x))
    sig = [k for k, f in enumerate(features) if f.kind == "signal"]
    engagement = x[:, sig] @ p[sig] if sig else np.zeros(len(x))
    return fit, per_icp, engagement


def outcome_depth(contract: CompiledContract, outcome: str) -> int:
    """The funnel depth that counts as reaching `outcome` (see `OUTCOMES`); an unknown
    outcome, or a contract without its role, raises `UnknownNameError`."""
    if outcome not in OUTCOMES:
        raise UnknownNameError("outcome", outcome, OUTCOMES, where="scoring feedback")
    role = OUTCOMES[outcome]
    contract.stages.require(role, f"the scoring feedback outcome {outcome!r}")
    depth = role_depth(contract, role)
    assert depth is not None  # a funnel role the contract has is in its funnel
    return depth


def scoring_feedback(store: Store, contract: CompiledContract,
                     outcome: Outcome | str = "opportunity", period: Period | None = None,
                     seed: int = 0, *, by: str | None = None, horizon_days: int = 30,
                     holdout: float = 0.3, l2: float | None = None,
                     as_of: datetime | None = None, view: View = DEFAULT_VIEW
                     ) -> ScoringFeedback:
    """Measure the contract's scores against `outcome` and propose new points (see the
    module docstring for every definition), as of `as_of` (default: the latest fact)."""
    check_view(view)
    reached = outcome_depth(contract, outcome)
    if not 0 < holdout < 1:
        raise ScoringFeedbackError(f"holdout must be between 0 and 1, got {holdout}")
    period = period or ALL_TIME
    model = contract.scoring
    features = _features(model)
    if not features:
        raise ScoringFeedbackError("the contract has no ICP criteria and no signals to score")
    observed = resolve_as_of(store, as_of).at
    in_period = lead_profile(store)
    if period.start is not None:
        in_period = in_period.filter(in_period.created_at >= ibis.literal(
            period.start, type="timestamp(6)"))
    if period.end is not None:
        in_period = in_period.filter(in_period.created_at < ibis.literal(
            period.end, type="timestamp(6)"))
    total = int(in_period.count().execute())
    table = (lead_features(store, contract, period=period, horizon_days=horizon_days,
                           observed_until=observed, by=by, view=view)
             .order_by("lead_id").to_pyarrow())
    excluded_recent = total - table.num_rows

    depth = np.asarray(table.column("depth").to_numpy(zero_copy_only=False), dtype=np.int64)
    if outcome == "won":
        undecided = np.asarray(table.column("open_opportunity").to_numpy(
            zero_copy_only=False), dtype=bool) & (depth < reached)
    else:
        undecided = np.zeros(len(depth), dtype=bool)
    keep = ~undecided
    table = table.filter(pa.array(keep))
    depth = depth[keep]
    y = depth >= reached
    x = np.column_stack([_as_float(table, f.column) for f in features])
    current_fit = _as_float(table, "fit")
    current_eng = _as_float(table, "engagement")
    current_total = current_fit + current_eng
    u = split_hash(table.column("lead_id"), seed)
    held = u < holdout
    train = ~held
    if y[train].all() or not y[train].any():
        raise ScoringFeedbackError(
            f"the {int(train.sum())} training leads need both leads that reached {outcome} "
            f"and leads that did not (found {int(y[train].sum())} that did); widen --period "
            "or choose another --outcome")

    if l2 is None:
        fold = np.minimum(((u[train] - holdout) / (1 - holdout) * CV_FOLDS).astype(np.int64),
                          CV_FOLDS - 1)
        l2, l2_cv = choose_l2(x[train], y[train], fold)
    else:
        l2_cv = ()
    logistic = fit_logistic(x[train], y[train], l2)
    proposed = _propose_points(features, logistic)
    icp_names = [i.name for i in model.icps]
    new_fit, new_by_icp, new_eng = _scores(x, features, proposed, icp_names)
    _, cur_by_icp, _ = _scores(x, features, [f.points for f in features], icp_names)
    new_total = new_fit + new_eng
    current = {"fit": current_fit, "engagement": current_eng,
               "fit + engagement": current_total}
    new = {"fit": new_fit, "engagement": new_eng, "fit + engagement": new_total}
    scores = tuple(ScoreAuc(name, rank_auc(current[name], y),
                            rank_auc(current[name][held], y[held]),
                            rank_auc(new[name][train], y[train]),
                            rank_auc(new[name][held], y[held])) for name in SCORES)

    # A strong penalty squeezes probabilities towards the base rate; one unpenalised
    # logistic on the linear score (Platt scaling, training leads) restores their scale.
    eta = (x @ np.array(logistic.coefficients))[:, None]
    predicted = fit_logistic(eta[train], y[train], 0.0).predict(eta)
    share = (x[train] > 0).mean(axis=0)
    points = tuple(FeaturePoints(f.kind, f.icp, f.name, f.points, p, c, float(s), v)
                   for f, p, c, s, v in zip(features, proposed, logistic.coefficients, share,
                                            logistic.varied, strict=True))
    tiers: list[TierProposal] = []
    for icp in model.icps:
        for tier, minimum in icp.tiers:
            new_min, new_count = _match_tier(cur_by_icp[icp.name], new_by_icp[icp.name],
                                             minimum)
            tiers.append(TierProposal(icp.name, tier, float(minimum), new_min,
                                      int((cur_by_icp[icp.name] >= minimum).sum()), new_count))

    groups: list[AucByValue] = []
    if by is not None:
        values = np.array(_as_text(table, "dimension"), dtype=object)
        names, counts = np.unique(values[held], return_counts=True)
        for name, _count in sorted(zip(names, counts, strict=True),
                                   key=lambda nc: (-int(nc[1]), str(nc[0]))):
            sel = held & (values == name)
            groups.append(AucByValue(str(name), int(sel.sum()), int(y[sel].sum()),
                                     rank_auc(current_total[sel], y[sel]),
                                     rank_auc(new_total[sel], y[sel])))

    result = ScoringFeedback(
        outcome=outcome, period=period, seed=seed, horizon_days=horizon_days,
        holdout_share=holdout, l2=l2, l2_cv=l2_cv, observed_until=observed, leads=len(y),
        outcomes=int(y.sum()), train_leads=int(train.sum()), train_outcomes=int(y[train].sum()),
        holdout_leads=int(held.sum()), holdout_outcomes=int(y[held].sum()),
        excluded_recent=excluded_recent, excluded_undecided=int(undecided.sum())
        if outcome == "won" else 0,
        scores=scores, features=points, tiers=tuple(tiers),
        tier_bands=_tier_bands(_as_text(table, "tier"), y, contract),
        score_bands=_bands(current_total, y),
        proposed_bands=_bands(new_total[held], y[held], predicted[held]),
        by=by, groups=tuple(groups), model=logistic, snippet="", view=view)
    return replace(result, snippet=render_snippet(contract, points, tuple(tiers),
                                                  _headline(result)))


# --- the contract snippet ---------------------------------------------------------------


def _headline(r: ScoringFeedback) -> list[str]:
    total = r.score("fit + engagement")

    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.3f}"

    lines = [
        f"Proposed points from outcome {r.outcome!r}, {r.cohort}, "
        f"scored {r.horizon_days} days after creation.",
        f"{r.train_leads:,} training leads ({r.train_outcomes:,} reached it), "
        f"{r.holdout_leads:,} held out ({r.holdout_outcomes:,}); split seed {r.seed}.",
        f"Held-out AUC of fit + engagement: current {fmt(total.current_holdout)}, "
        f"proposed {fmt(total.proposed_holdout)}.",
    ]
    rules = sum(f.varied for f in r.features)
    if r.train_outcomes < EVENTS_PER_RULE * rules:
        lines.append(f"Caution: {r.train_outcomes} training outcomes for {rules} rules, "
                     f"fewer than {EVENTS_PER_RULE} per rule; treat these points as a hint.")
    return lines


def _flow(data: dict[str, Any]) -> str:
    text = yaml.safe_dump(data, default_flow_style=True, sort_keys=False, width=10_000)
    return text.strip()


def _change(old: int | float, new: int | float) -> str:
    if old == new:
        return f"{_num(old)} (unchanged)"
    return f"{_num(old)} → {_num(new)}"


def _num(v: int | float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def render_snippet(contract: CompiledContract, features: Sequence[FeaturePoints],
                   tiers: Sequence[TierProposal], headline: Sequence[str] = ()) -> str:
    """YAML for the contract's `icps:` and `signals:` with the proposed points and tier
    minimums, each line commented with old → new. For a human to review and copy."""
    by_key = {f.key: f for f in features}
    tier_by = {(t.icp, t.tier): t for t in tiers}
    lines = [f"# {h}" for h in headline]
    lines += ["# Review before copying into accord.yaml; this proposal changed nothing.",
              "# Stage entry thresholds (e.g. fit >= 45, engagement >= 40) are on the "
              "current scale: check them too."]
    source = contract.source
    if source.icps:
        lines.append("icps:")
    for icp_name, icp in source.icps.items():
        lines.append(f"  {_key(icp_name)}:")
        if icp.description:
            lines.append(f"    description: {json.dumps(icp.description)}")
        lines.append("    criteria:")
        for field, crit in icp.criteria.items():
            f = by_key[f"{icp_name}.{field}"]
            body: dict[str, Any] = {k: _plain(v) for k, v in crit.conditions.items()}
            body["points"] = f.proposed_points
            note = _change(f.current_points, f.proposed_points)
            if not f.varied:
                note += ", no evidence: the same for every training lead"
            elif f.proposed_points < 0:
                note += ", negative: leads meeting it reached the outcome less often"
            lines.append(f"      {_key(field)}: {_flow(body)}  # {note}")
        if icp.tiers:
            new = {name: _int_if_whole(tier_by[(icp_name, name)].proposed_min)
                   for name in icp.tiers}
            notes = ", ".join(
                f"{name} {_change(icp.tiers[name], tier_by[(icp_name, name)].proposed_min)}"
                for name in icp.tiers)
            lines.append(f"    tiers: {_flow(new)}  # {notes} (about as many leads per tier)")
    if source.signals:
        lines.append("signals:")
    for name, sig in source.signals.items():
        f = by_key[name]
        body = {"intent": sig.intent, "points": f.proposed_points}
        if sig.half_life_days is not None:
            body["half_life_days"] = _int_if_whole(sig.half_life_days)
        note = _change(f.current_points, f.proposed_points)
        if not f.varied:
            note += ", no evidence: the same for every training lead"
        elif f.proposed_points < 0:
            note += ", negative: leads showing it reached the outcome less often"
        lines.append(f"  {_key(name)}: {_flow(body)}  # {note}")
    return "\n".join(lines) + "\n"


def _key(name: str) -> str:
    return _flow({name: None}).strip("{}").rsplit(":", 1)[0]


def _plain(value: Any) -> Any:
    """A condition's operand as the contract would write it: lists, whole numbers as ints."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _int_if_whole(v: float) -> int | float:
    return int(v) if float(v).is_integer() else v
