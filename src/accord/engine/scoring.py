"""Fit and engagement scores (contract keys `icps` and `signals`), with their explanations.

**Fit** (per ICP, `icps.<name>.criteria`): the sum of the points of every criterion whose
condition holds on the lead. A criterion names a field; the value read is the lead's
account's field when the account has one, else the lead's own (`coalesce(account.x,
lead.x)`; see `field_keys`). Conditions (`Criterion.conditions`):

- `in` / `not_in`: the value equals / equals none of the listed values;
- `between: [lo, hi]` (both ends included), `gte`, `lte`: numeric comparisons;
- `eq`: equality;
- `contains_any`: the text contains any listed word, case-insensitively (job titles).

A missing value meets no condition, not even `not_in`. Values are compared only with
listed values of the same kind (text with text, numbers with numbers, booleans with
booleans); a listed value of another kind never matches, and a numeric condition on a text
field never holds. A criterion with several conditions needs all of them.

**Tier**: the first tier (tiers are listed highest first) whose minimum the fit reaches;
none when it reaches no tier. **Best ICP**: the ICP with the highest fit; ties go to the
ICP listed first. `fit`, `tier` and `icp` of a lead are those of its best ICP. With no
ICPs in the contract, fit is 0 and tier and ICP are none.

**Engagement as of T**: Σ points × 0.5^(age_days / half_life_days) over the lead's
touches at or before T, where age is T minus the touch time (exact to the microsecond);
signals without `half_life_days` do not decay. A hand-raise (intent `hand_raise`) counts
**once**, from its first touch: asking for a demo twice is one request, and a signal that
does not decay would otherwise grow without bound. Every other signal counts per touch.
Touches with a signal the contract does not define count 0 points. The sum is rounded to
nine decimals (`ENGAGEMENT_DECIMALS`) so that batch and live, which add in different
orders, report the same number.

Two compilers of one definition, as in `contract/criteria.py`: `fit_columns` /
`engagement_by_lead` / `running_engagement` build Ibis expressions (batch, any backend);
`fit_scores` / `engagement_as_of` evaluate one lead in Python (live). Both return the
per-criterion and per-signal points that make up a score (`FitExplanation`,
`EngagementExplanation`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.expr.builders import WindowBuilder

from accord.contract.icp import (
    US_PER_DAY,
    ConditionOp,
    FitCriterion,
    IcpModel,
    ScoringModel,
    SignalModel,
    condition_holds,
    condition_to_ibis,
    field_keys,
    unwrap_scalar,
)

__all__ = [
    "ENGAGEMENT_DECIMALS",
    "US_PER_DAY",
    "ConditionOp",
    "CriterionResult",
    "EngagementExplanation",
    "FitCriterion",
    "FitExplanation",
    "FitScores",
    "IcpModel",
    "LeadScore",
    "ScoringModel",
    "SignalModel",
    "SignalResult",
    "condition_holds",
    "condition_to_ibis",
    "decay",
    "engagement_as_of",
    "engagement_by_lead",
    "field_keys",
    "fit_columns",
    "fit_scores",
    "micros_between",
    "round_engagement",
    "running_engagement",
]

ENGAGEMENT_DECIMALS = 9

# --- fit ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionResult:
    """How one criterion scored on one lead."""

    field: str
    condition: str
    value: Any
    met: bool
    points: int  # earned: the criterion's points when met, else 0

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "condition": self.condition, "value": self.value,
                "met": self.met, "points": self.points}


@dataclass(frozen=True)
class FitExplanation:
    """One ICP's fit for one lead: the score, its tier and every criterion's points."""

    icp: str
    fit: int
    tier: str | None
    criteria: tuple[CriterionResult, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"icp": self.icp, "fit": self.fit, "tier": self.tier,
                "criteria": [c.as_dict() for c in self.criteria]}


@dataclass(frozen=True)
class FitScores:
    """A lead's fit across ICPs: the best ICP's fit, tier and name, and each ICP's detail."""

    fit: int
    tier: str | None
    icp: str | None
    by_icp: tuple[FitExplanation, ...]


def _read(row: Mapping[str, Any], keys: Sequence[str]) -> Any:
    for key in keys:
        value = unwrap_scalar(row.get(key))
        if value is not None:
            return value
    return None


def fit_scores(model: ScoringModel, row: Mapping[str, Any]) -> FitScores:
    """Fit per ICP, best ICP, fit and tier for one lead-frame row (live)."""
    by_icp = []
    for icp in model.icps:
        results = []
        for crit in icp.criteria:
            value = _read(row, field_keys(crit.field))
            met = all(condition_holds(op, operand, value) for op, operand in crit.conditions)
            results.append(CriterionResult(crit.field, crit.describe(), value, met,
                                           crit.points if met else 0))
        fit = sum(r.points for r in results)
        by_icp.append(FitExplanation(icp.name, fit, icp.tier_for(fit), tuple(results)))
    if not by_icp:
        return FitScores(0, None, None, ())
    best = by_icp[0]
    for candidate in by_icp[1:]:
        if candidate.fit > best.fit:
            best = candidate
    return FitScores(best.fit, best.tier, best.icp, tuple(by_icp))


def fit_column_name(icp: str) -> str:
    return f"fit_{icp}"


def fit_columns(model: ScoringModel, frame: ibis.Table) -> dict[str, ir.Value]:
    """Ibis columns `fit_<icp>` per ICP, then `fit`, `tier` and `icp` (batch).

    `frame` needs the lead-frame keys the criteria read (see `field_keys`)."""
    if not model.icps:
        return {"fit": ibis.literal(0, type="int64"),
                "tier": ibis.null("string"),
                "icp": ibis.null("string")}
    per_icp: dict[str, ir.IntegerValue] = {}
    for icp in model.icps:
        total: ir.IntegerValue = ibis.literal(0, type="int64")
        for crit in icp.criteria:
            keys = [k for k in field_keys(crit.field) if k in frame.columns]
            if not keys:
                raise KeyError(f"the lead frame has no column for ICP field {crit.field!r}")
            column = frame[keys[0]] if len(keys) == 1 else ibis.coalesce(
                *(frame[k] for k in keys))
            met: ir.BooleanValue = ibis.literal(True)
            for op, operand in crit.conditions:
                met = met & condition_to_ibis(op, operand, column)
            total = total + ibis.ifelse(met, crit.points, 0).cast("int64")
        per_icp[icp.name] = total
    columns: dict[str, ir.Value] = {fit_column_name(n): v for n, v in per_icp.items()}
    fits = list(per_icp.values())
    best = fits[0] if len(fits) == 1 else ibis.greatest(*fits)
    # Ties go to the first ICP listed: `cases` takes the first branch that holds.
    icp_name = ibis.cases(*((per_icp[i.name] == best, i.name) for i in model.icps))
    tier_branches = []
    for icp in model.icps:
        for tier, minimum in icp.tiers:
            tier_branches.append(((icp_name == icp.name) & (best >= minimum), tier))
    tier = ibis.cases(*tier_branches) if tier_branches else ibis.null("string")
    columns.update(fit=best.cast("int64"), tier=tier.cast("string"),
                   icp=icp_name.cast("string"))
    return columns


# --- engagement ---------------------------------------------------------------------------


def micros_between(earlier: datetime, later: datetime) -> int:
    """Exact microseconds from `earlier` to `later` (naive UTC datetimes)."""
    delta = later - earlier
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def decay(age_us: int, half_life_us: float | None) -> float:
    """0.5^(age / half-life); 1 when the signal does not decay."""
    if half_life_us is None:
        return 1.0
    return float(0.5 ** (age_us / half_life_us))


def round_engagement(value: float) -> float:
    return round(value, ENGAGEMENT_DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


@dataclass(frozen=True)
class SignalResult:
    """One signal's part of a lead's engagement."""

    signal: str
    touches: int  # touches at or before the as-of time
    counted: int  # touches that earn points (1 for a hand-raise)
    points: int  # points per counted touch, before decay
    half_life_days: float | None
    contribution: float  # decayed points, rounded like engagement

    def as_dict(self) -> dict[str, Any]:
        return {"signal": self.signal, "touches": self.touches, "counted": self.counted,
                "points": self.points, "half_life_days": self.half_life_days,
                "contribution": self.contribution}


@dataclass(frozen=True)
class EngagementExplanation:
    as_of: datetime
    engagement: float
    signals: tuple[SignalResult, ...]  # contract order, signals seen only
    unknown_signals: tuple[str, ...]  # touched signals the contract does not define

    def as_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "engagement": self.engagement,
                "signals": [s.as_dict() for s in self.signals],
                "unknown_signals": list(self.unknown_signals)}


def engagement_as_of(model: ScoringModel, touches: Iterable[tuple[datetime, str]],
                     as_of: datetime) -> EngagementExplanation:
    """Engagement of one lead as of `as_of` from its `(occurred_at, signal)` touches (live).

    Touches after `as_of` are ignored."""
    seen: dict[str, list[datetime]] = {}
    unknown: set[str] = set()
    for at, signal in touches:
        if at > as_of:
            continue
        if model.signal(signal) is None:
            unknown.add(signal)
            continue
        seen.setdefault(signal, []).append(at)
    results = []
    total = 0.0
    for s in model.signals:
        times = seen.get(s.name)
        if not times:
            continue
        counted = [min(times)] if s.once else times
        part = 0.0
        for at in counted:
            part += s.points * decay(micros_between(at, as_of), s.half_life_us)
        total += part
        results.append(SignalResult(s.name, len(times), len(counted), s.points,
                                    s.half_life_days, round_engagement(part)))
    return EngagementExplanation(as_of, round_engagement(total), tuple(results),
                                 tuple(sorted(unknown)))


def _age_us(at: ir.TimestampValue, as_of: ir.TimestampValue) -> ir.FloatingValue:
    return as_of.delta(at, unit="microsecond").cast("float64")


def _decay_ibis(age_us: ir.FloatingValue, half_life_us: float | None) -> ir.FloatingValue:
    if half_life_us is None:
        return ibis.literal(1.0)
    return ibis.literal(0.5).pow(age_us / half_life_us)


def signal_flag(name: str) -> str:
    return f"signal_{name}"


def signal_count(name: str) -> str:
    return f"signal_count_{name}"


def engagement_by_lead(model: ScoringModel, touches: ibis.Table, as_of: datetime, *,
                       signals: bool = True) -> ibis.Table:
    """One row per lead with touches at or before `as_of` (batch): `lead_id`,
    `engagement`, and (with `signals`) per contract signal `signal_<x>` (shown it) and
    `signal_count_<x>`.

    One pass over `touches` (columns lead_id, signal, occurred_at): per-touch decayed
    points for signals that count per touch, the first time of each hand-raise, counts.
    """
    at_t = ibis.literal(as_of, type="timestamp(6)")
    t = touches.filter(touches.occurred_at <= at_t)
    per_touch = [s for s in model.signals if not s.once]
    once = [s for s in model.signals if s.once]
    metrics: dict[str, ir.Value] = {}
    for s in model.signals if signals else ():
        metrics[signal_count(s.name)] = ibis.ifelse(t.signal == s.name, 1, 0).cast("int64").sum()
    if per_touch:
        age = _age_us(t.occurred_at, at_t)
        weight = ibis.cases(*((t.signal == s.name, s.points * _decay_ibis(age, s.half_life_us))
                              for s in per_touch), else_=0.0)
        metrics["_per_touch"] = weight.sum()
    for s in once:
        metrics[f"_first_{s.name}"] = ibis.cases((t.signal == s.name, t.occurred_at)).min()
    if not metrics:
        metrics["_touches"] = t.count()
    agg = t.group_by("lead_id").aggregate(**metrics)
    engagement = agg["_per_touch"].fill_null(0.0) if per_touch else ibis.literal(0.0)
    for s in once:
        first = agg[f"_first_{s.name}"]
        part = s.points * _decay_ibis(_age_us(first, at_t), s.half_life_us)
        engagement = engagement + ibis.ifelse(first.isnull(), 0.0, part)
    out: dict[str, ir.Value] = {"lead_id": agg.lead_id,
                                "engagement": engagement.round(ENGAGEMENT_DECIMALS)}
    for s in model.signals if signals else ():
        out[signal_flag(s.name)] = agg[signal_count(s.name)] > 0
        out[signal_count(s.name)] = agg[signal_count(s.name)]
    return agg.select(**out)


_FLAG_BITS = 62  # signal flags packed per BIGINT for one running BIT_OR


def running_engagement(model: ScoringModel, timeline: ibis.Table, window: WindowBuilder,
                       anchor: ir.TimestampValue,
                       needed: Collection[str] | None = None) -> dict[str, ir.Value]:
    """Engagement, signal flags and counts *at each row* of a lead's timeline (batch).

    `timeline` has `signal` (null on rows that are not touches) and `at`; `window` is
    the lead's rows up to the current one, in timeline order. Per-touch decay uses
    0.5^((T - t)/h) = 2^((t - a)/h) · 2^(-(T - a)/h) with `a` = `anchor`, so one
    running sum of 2^((t - a)/h) per distinct half-life gives every row's decayed sum.
    The anchor must lie within ~1000 half-lives of every touch (the lead's creation
    time: 19 years at a 7-day half-life). Signal flags are bits of one running BIT_OR;
    a hand-raise without half-life is its flag times its points. Returns the Ibis
    columns among `engagement`, `signal_<x>` and `signal_count_<x>` that are `needed`
    (all when None), the same keys the lead frame has.
    """
    t = timeline
    want = None if needed is None else set(needed)

    def wanted(key: str) -> bool:
        return want is None or key in want

    columns: dict[str, ir.Value] = {}
    flags_needed = [s for s in model.signals
                    if wanted(signal_flag(s.name))
                    or (wanted("engagement") and s.once and s.half_life_us is None)]
    flag_of: dict[str, ir.BooleanValue] = {}
    for start in range(0, len(flags_needed), _FLAG_BITS):
        chunk = flags_needed[start:start + _FLAG_BITS]
        bits = t.signal.cases(*((s.name, 1 << i) for i, s in enumerate(chunk)), else_=0)
        seen = bits.cast("int64").bit_or().over(window)
        for i, s in enumerate(chunk):
            flag_of[s.name] = (seen & (1 << i)) != 0
    if wanted("engagement"):
        pos = t.at.delta(anchor, unit="microsecond").cast("float64")
        per_half_life: dict[float | None, list[SignalModel]] = {}
        for s in model.signals:
            if not s.once:
                per_half_life.setdefault(s.half_life_us, []).append(s)
        engagement: ir.FloatingValue = ibis.literal(0.0)
        for half_life_us, group in per_half_life.items():
            points = t.signal.cases(*((s.name, float(s.points)) for s in group), else_=0.0)
            if half_life_us is None:
                engagement = engagement + points.sum().over(window)
            else:
                grown = points * ibis.literal(2.0).pow(pos / half_life_us)
                shrink = ibis.literal(2.0).pow(-pos / half_life_us)
                engagement = engagement + grown.sum().over(window) * shrink
        for s in model.signals:
            if not s.once:
                continue
            if s.half_life_us is None:
                engagement = engagement + ibis.ifelse(flag_of[s.name], float(s.points), 0.0)
            else:
                first = ibis.cases((t.signal == s.name, t.at)).min().over(window)
                part = s.points * _decay_ibis(_age_us(first, t.at), s.half_life_us)
                engagement = engagement + ibis.ifelse(first.isnull(), 0.0, part)
        columns["engagement"] = engagement.round(ENGAGEMENT_DECIMALS)
    for s in model.signals:
        if wanted(signal_flag(s.name)):
            columns[signal_flag(s.name)] = flag_of[s.name]
        if wanted(signal_count(s.name)):
            columns[signal_count(s.name)] = ibis.ifelse(
                (t.signal == s.name).fill_null(False), 1, 0).cast("int64").sum().over(window)
    return columns


# --- a lead's whole score -----------------------------------------------------------------


@dataclass(frozen=True)
class LeadScore:
    """A lead's scores as of a time, with the criteria and signals behind them."""

    lead_id: str
    as_of: datetime
    fit: int
    tier: str | None
    icp: str | None
    engagement: float
    fit_by_icp: tuple[FitExplanation, ...]
    engagement_detail: EngagementExplanation

    def as_dict(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "as_of": self.as_of.isoformat(), "fit": self.fit,
                "tier": self.tier, "icp": self.icp, "engagement": self.engagement,
                "fit_by_icp": [f.as_dict() for f in self.fit_by_icp],
                "engagement_detail": self.engagement_detail.as_dict()}

