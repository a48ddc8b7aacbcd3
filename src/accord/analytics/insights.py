"""Closed-loop insights: which segments, channels, campaigns, pages and reps convert
differently from the rest, at which stage, with an honest measure of doubt.

Seed 002 asks for patterns such as "this vertical converts 3x better" and "leads from this
channel never make it past discovery". For every stage transition out of a funnel stage
playing the role handoff, accepted, qualified or opportunity into the next funnel stage
the contract has (MQL→SAL, SAL→SQL, SQL→Opportunity, Opportunity→Customer in the starter;
`Transition` keeps both roles and names) and every value of every dimension, accord
compares the group's conversion with the rest's:

- **Effect size**: the rate ratio RR = (x₁/n₁) / (x₀/n₀), where n counts leads that reached
  the stage and x those that went on (funnel definition: `analytics/funnel.py`).
- **Confidence interval**: 95% Wald interval on log RR (Katz), with 0.5 added to every cell
  when a cell is zero (Haldane–Anscombe), so "never past SQL" still gets an interval.
- **p-value**: two-sided two-proportion z-test with pooled variance.
- **Multiple testing**: Benjamini–Hochberg over every test of the run, at `fdr` = 1% by
  default: with no real differences, fewer than 1 run in 20 should report any false
  insight (`tests/analytics/test_insights.py` measures it over 20 simulated companies).
- **Practical size**: an insight must also clear `min_ratio` (1.25× or 1/1.25×), so a
  real but trivial difference in a large company is not reported as news.
- **Sample size**: n₁ ≥ `min_n` and n₀ ≥ `min_n` leads at the stage.

"The rest" is chosen so the comparison does not confuse one dimension with another:
campaigns and landing pages are compared with other leads *of the same channel*, reps with
other leads whose rep works *the same region*; channels, industries, segments and regions with all
other leads. Each stratum is tested separately and counts as one test each.

Stage moves come from a named view (`engine/views.py`; actual by default). Speed to lead
reads the one clock of the contract's speed-to-lead SLA (`engine/sla_clock.py`, as
`accord sla` does) and bands its wall-clock minutes; `closed_loop_insights` gathers the
findings, the speed-to-lead bands, the rejection patterns and each channel's top
rejection reason into the one result `accord insights` prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

import ibis
import numpy as np
import pyarrow.compute as pc
from scipy import stats

from accord.analytics.funnel import lead_depth, role_depth
from accord.analytics.kpis.compute import speed_to_lead_clocks
from accord.analytics.kpis.period import Period
from accord.contract.compiled import CompiledContract
from accord.contract.roles import StageRole
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view, stage_moves
from accord.errors import UnknownNameError
from accord.store import Store
from accord.store.as_of import resolve_as_of

#: (dimension, stratum dimension or None). Stratum = "compare within the same value of".
DIMENSIONS: dict[str, str | None] = {
    "channel": None,
    "industry": None,
    "segment": None,
    "region": None,
    "campaign_id": "channel",
    "landing_page": "channel",
    "rep": "rep_region",
}
#: Roles whose stage's conversion into the next funnel stage is tested.
TESTED_ROLES: tuple[StageRole, ...] = (StageRole.HANDOFF, StageRole.ACCEPTED,
                                       StageRole.QUALIFIED, StageRole.OPPORTUNITY)

Kind = Literal["higher", "lower", "never_past"]


@dataclass(frozen=True)
class Transition:
    """Reaching `from_stage` (depth `depth` of the contract's funnel) → reaching the next
    funnel stage `to_stage`; stages by the contract's names, with their roles."""

    depth: int
    from_role: StageRole
    from_stage: str
    to_role: StageRole
    to_stage: str


def transitions(contract: CompiledContract) -> tuple[Transition, ...]:
    """The transitions tested: out of each stage playing a `TESTED_ROLES` role into the
    next funnel stage the contract has."""
    funnel = contract.stages.funnel
    return tuple(Transition(k, r, n, *funnel[k + 1]) for k, (r, n) in enumerate(funnel)
                 if r in TESTED_ROLES and k + 1 < len(funnel))


#: One comparison: dimension, value, stratum, transition, n1, x1, n0, x0.
Row = tuple[str, str, str | None, Transition, int, int, int, int]


@dataclass(frozen=True)
class Insight:
    dimension: str
    value: str
    stratum: str | None  # e.g. the channel a campaign was compared within
    from_stage: str
    to_stage: str
    from_role: StageRole
    to_role: StageRole
    n: int  # group leads that reached from_stage
    converted: int
    rest_n: int
    rest_converted: int
    ratio: float
    ci_low: float
    ci_high: float
    p_value: float
    q_value: float
    kind: Kind
    sentence: str

    @property
    def rate(self) -> float:
        return self.converted / self.n

    @property
    def rest_rate(self) -> float:
        return self.rest_converted / self.rest_n


@dataclass(frozen=True)
class InsightReport:
    insights: tuple[Insight, ...]
    tests: int
    fdr: float
    min_ratio: float
    min_n: int


def lead_dimensions(store: Store, contract: CompiledContract,
                    view: View = DEFAULT_VIEW) -> ibis.Table:
    """One row per lead: funnel depth and every insight dimension.

    Account attributes come through `leads.account_id`, or through the matching result
    (`derived lead_accounts`) when `accord run` has produced it. The rep is the one who
    made the lead's first sales activity.
    """
    leads = lead_depth(store, contract, view)
    accounts = store.table("accounts")
    try:
        matched = store.derived("lead_accounts").select("lead_id", matched_account="account_id")
        leads = leads.left_join(matched, "lead_id").mutate(
            account_id=ibis.coalesce(ibis._.account_id, ibis._.matched_account)
        ).drop("matched_account")
    except KeyError:
        pass
    acts = store.table("activities")
    first = acts.mutate(
        rn=ibis.row_number().over(group_by=acts.lead_id, order_by=[acts.occurred_at,
                                                                   acts.activity_id])
    )
    reps = store.table("reps").select("rep_id", rep_region="region")
    first_rep = (first.filter(first.rn == 0).select("lead_id", rep="rep_id")
                 .left_join(reps, ibis._.rep == reps.rep_id).drop("rep_id"))
    acc = accounts.select("account_id", "industry", "segment", "region")
    joined = leads.left_join(acc, "account_id").left_join(first_rep, "lead_id")
    return joined.select("lead_id", "created_at", "depth", "channel", "campaign_id", "landing_page",
                         "industry", "segment", "region", "rep", "rep_region")


def find_insights(store: Store, contract: CompiledContract, *, fdr: float = 0.01,
                  min_ratio: float = 1.25, min_n: int = 40,
                  dimensions: Sequence[str] | None = None, period: Period | None = None,
                  view: View = DEFAULT_VIEW) -> InsightReport:
    """Every group whose stage conversion differs from the rest's (see module docstring).

    `period` selects the cohort of leads created in it (all leads when None). An unknown
    dimension raises `UnknownNameError` listing them."""
    check_view(view)
    for dim in dimensions or ():
        if dim not in DIMENSIONS:
            raise UnknownNameError("insight dimension", dim, DIMENSIONS, where="--by")
    frame = lead_dimensions(store, contract, view)
    tested = transitions(contract)
    if period is not None and period.start is not None:
        frame = frame.filter(frame.created_at >= period.start)
    if period is not None and period.end is not None:
        frame = frame.filter(frame.created_at < period.end)
    dims = tuple(dimensions or DIMENSIONS)
    rows: list[Row] = []
    depths = sorted({d for tr in tested for d in (tr.depth, tr.depth + 1)})
    for dim in dims if tested else ():
        stratum = DIMENSIONS[dim]
        keys = [dim] if stratum is None else [stratum, dim]
        reached = {f"n{k}": ibis.ifelse(frame.depth >= k, 1, 0).sum() for k in depths}
        present = frame[dim].notnull()
        if stratum is not None:
            present = present & frame[stratum].notnull()
        counts = (frame.filter(present)
                  .group_by(keys).aggregate(**reached).to_pyarrow().to_pylist())
        totals: dict[object, dict[str, int]] = {}
        for r in counts:
            s = r[stratum] if stratum else None
            tot = totals.setdefault(s, {key: 0 for key in reached})
            for key in reached:
                tot[key] += int(r[key] or 0)
        for r in counts:
            s = r[stratum] if stratum else None
            for tr in tested:
                k = tr.depth
                n1, x1 = int(r[f"n{k}"] or 0), int(r[f"n{k + 1}"] or 0)
                n_all, x_all = totals[s][f"n{k}"], totals[s][f"n{k + 1}"]
                rows.append((dim, str(r[dim]), None if s is None else str(s), tr,
                             n1, x1, n_all - n1, x_all - x1))
    return rank_differences(rows, fdr=fdr, min_ratio=min_ratio, min_n=min_n)


def rank_differences(rows: Sequence[Row], *, fdr: float = 0.01, min_ratio: float = 1.25,
                     min_n: int = 40) -> InsightReport:
    """Test every row (dimension, value, stratum, transition, n1, x1, n0, x0) and keep
    the differences that pass; see the module docstring for the statistics."""
    if not rows:
        return InsightReport((), 0, fdr, min_ratio, min_n)
    arr = np.array([r[4:] for r in rows], dtype=float)
    n1, x1, n0, x0 = arr.T
    eligible = (n1 >= min_n) & (n0 >= min_n) & (x0 + x1 > 0) & (x0 + x1 < n0 + n1)
    idx = np.flatnonzero(eligible)
    n1, x1, n0, x0 = n1[idx], x1[idx], n0[idx], x0[idx]
    p1, p0 = x1 / n1, x0 / n0
    pooled = (x1 + x0) / (n1 + n0)
    se_z = np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n0))
    z = (p1 - p0) / se_z
    p_values = 2 * stats.norm.sf(np.abs(z))
    zero = (x1 == 0) | (x0 == 0) | (x1 == n1) | (x0 == n0)
    c = np.where(zero, 0.5, 0.0)
    a, b, cc, d = x1 + c, n1 - x1 + c, x0 + c, n0 - x0 + c
    log_rr = np.log((a / (a + b)) / (cc / (cc + d)))
    se = np.sqrt(1 / a - 1 / (a + b) + 1 / cc - 1 / (cc + d))
    ratio = np.where(x0 > 0, p1 / np.where(p0 > 0, p0, 1), np.inf)
    low, high = np.exp(log_rr - 1.96 * se), np.exp(log_rr + 1.96 * se)
    q_values = benjamini_hochberg(p_values)
    keep = (q_values <= fdr) & ((ratio >= min_ratio) | (ratio <= 1 / min_ratio))
    insights: list[Insight] = []
    for j in np.flatnonzero(keep):
        dim, value, stratum, tr = rows[idx[j]][:4]
        kind: Kind = "never_past" if x1[j] == 0 else ("higher" if ratio[j] > 1 else "lower")
        ins = Insight(dim, value, stratum, tr.from_stage, tr.to_stage, tr.from_role,
                      tr.to_role, int(n1[j]), int(x1[j]), int(n0[j]), int(x0[j]), float(ratio[j]),
                      float(low[j]), float(high[j]), float(p_values[j]), float(q_values[j]),
                      kind, "")
        insights.append(_with_sentence(ins))
    insights.sort(key=lambda i: (i.q_value, -abs(np.log(max(i.ratio, 1e-9)))))
    return InsightReport(tuple(insights), len(idx), fdr, min_ratio, min_n)


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (step-up), monotone and capped at 1."""
    p = np.asarray(p_values, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    adjusted = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(adjusted, 1.0)
    return out


_LABELS = {"campaign_id": "campaign", "landing_page": "landing page", "rep": "rep"}


def _who(ins: Insight) -> str:
    if ins.dimension in ("industry", "segment", "region", "channel"):
        return f"{ins.value} leads"
    within = f" (vs the rest of {ins.stratum})" if ins.stratum else ""
    return f"leads of {_LABELS.get(ins.dimension, ins.dimension)} {ins.value}{within}"


def _with_sentence(ins: Insight) -> Insight:
    n = f"n={ins.n:,}"
    if ins.kind == "never_past":
        text = (f"{_who(ins).capitalize()} never get past {ins.from_stage}: 0 of {ins.n:,} "
                f"became {ins.to_stage}, against {ins.rest_rate:.0%} of the rest.")
    else:
        text = (f"{_who(ins).capitalize()} convert {ins.from_stage}→{ins.to_stage} at "
                f"{ins.ratio:.1f}× the rest ({ins.rate:.0%} vs {ins.rest_rate:.0%}; 95% CI "
                f"{ins.ci_low:.1f}–{ins.ci_high:.1f}, {n}).")
    return Insight(**{**ins.__dict__, "sentence": text})


# --- speed to lead and qualification ------------------------------------------------------

#: Minute bands for first-touch delay (seed 002's HBR finding is about 5 vs 30 minutes).
SPEED_BANDS: tuple[tuple[str, float, float], ...] = (
    ("0-5", 0, 5), ("5-15", 5, 15), ("15-60", 15, 60), ("60+", 60, float("inf")),
)


@dataclass(frozen=True)
class SpeedBand:
    band: str
    mqls: int  # stopped speed-to-lead clocks in the band (leads handed off and touched)
    qualified: int  # reached the qualified role's stage (SQL) or beyond
    ratio_to_fastest: float | None

    @property
    def rate(self) -> float | None:
        return self.qualified / self.mqls if self.mqls else None


def speed_to_lead_effect(store: Store, contract: CompiledContract, *,
                         as_of: datetime | None = None,
                         view: View = DEFAULT_VIEW) -> tuple[SpeedBand, ...]:
    """Share of handed-off leads that reached the qualified stage (SQL), by the
    wall-clock minutes of the speed-to-lead SLA clock (`engine/sla_clock.py`, as of
    `as_of`: from the first entry into its start stage to the first sales activity);
    clocks still running are left out. Seed 002: an answer within 5 minutes rather than 30
    made a 21× difference in qualification (HBR) — a wall-clock finding, hence wall
    minutes. Empty (every band 0) without a first-touch SLA or a qualified stage."""
    sla = contract.speed_to_lead
    qualified_depth = role_depth(contract, StageRole.QUALIFIED)
    by: dict[str, tuple[int, int]] = {}
    if sla is not None and qualified_depth is not None:
        at = resolve_as_of(store, as_of).at
        states = speed_to_lead_clocks(store, contract, at, view)
        assert states is not None  # the contract has a speed-to-lead SLA
        states = states.filter(pc.is_valid(states.column("stopped_at")))
        minutes = np.asarray(states.column("wall_minutes").to_numpy(zero_copy_only=False),
                             dtype=float)
        depth = {r["lead_id"]: r["depth"] for r in lead_depth(store, contract, view)
                 .select("lead_id", "depth").to_pyarrow().to_pylist()}
        leads = states.column("lead_id").to_pylist()
        qualified = np.array([depth.get(lead, 0) >= qualified_depth for lead in leads],
                             dtype=bool)
        for name, lo, hi in SPEED_BANDS:
            inside = (minutes >= lo) & (minutes < hi)
            by[name] = (int(inside.sum()), int((inside & qualified).sum()))
    fastest = by.get(SPEED_BANDS[0][0], (0, 0))
    base = fastest[1] / fastest[0] if fastest[0] else None
    out = []
    for name, _, _ in SPEED_BANDS:
        n, q = by.get(name, (0, 0))
        ratio = (q / n) / base if n and base else None
        out.append(SpeedBand(name, n, q, ratio))
    return tuple(out)


# --- rejection reasons --------------------------------------------------------------------

@dataclass(frozen=True)
class RejectionPattern:
    channel: str
    reason: str
    count: int
    share: float  # of this channel's rejections
    overall_share: float  # of all rejections


#: Roles whose stage a rejection leaves: sales sends back a lead it was working.
REJECTED_FROM: tuple[StageRole, ...] = (StageRole.HANDOFF, StageRole.ACCEPTED,
                                        StageRole.QUALIFIED)


def rejection_patterns(store: Store, contract: CompiledContract, *,
                       view: View = DEFAULT_VIEW) -> tuple[RejectionPattern, ...]:
    """Sales rejections (stage moves with a reason code, out of the handoff, accepted or
    qualified stage — MQL, SAL, SQL in the starter) by reason and channel, with each
    reason's share in the channel beside its overall share."""
    moves = stage_moves(store, view)
    left = [n for r in REJECTED_FROM if (n := contract.stages.named(r)) is not None]
    rej = moves.filter(moves.reason.notnull() & moves.from_stage.isin(left))
    leads = store.table("leads").select("lead_id", "channel")
    rows = (rej.join(leads, "lead_id").group_by(["channel", "reason"])
            .aggregate(count=ibis._.move_id.count()).to_pyarrow().to_pylist())
    total = sum(r["count"] for r in rows)
    by_channel: dict[str, int] = {}
    by_reason: dict[str, int] = {}
    for r in rows:
        by_channel[r["channel"]] = by_channel.get(r["channel"], 0) + r["count"]
        by_reason[r["reason"]] = by_reason.get(r["reason"], 0) + r["count"]
    out = [RejectionPattern(r["channel"], r["reason"], int(r["count"]),
                            r["count"] / by_channel[r["channel"]], by_reason[r["reason"]] / total)
           for r in rows]
    return tuple(sorted(out, key=lambda p: (p.channel, -p.count, p.reason)))


def top_rejection_reasons(patterns: Sequence[RejectionPattern]
                          ) -> tuple[RejectionPattern, ...]:
    """Each channel's most frequent rejection reason (the largest share of the channel's
    rejections; on a tie the reason first in alphabetical order), by channel."""
    top: dict[str, RejectionPattern] = {}
    for p in patterns:
        best = top.get(p.channel)
        if best is None or (p.share, best.reason) > (best.share, p.reason):
            top[p.channel] = p
    return tuple(top[c] for c in sorted(top))


# --- everything `accord insights` shows ---------------------------------------------------

@dataclass(frozen=True)
class ClosedLoopInsights:
    """The findings, the speed-to-lead bands, the rejection patterns and each channel's
    top reason, read in one view as of one time."""

    view: View
    as_of: datetime
    report: InsightReport
    speed_to_lead: tuple[SpeedBand, ...]
    rejections: tuple[RejectionPattern, ...]
    top_reasons: tuple[RejectionPattern, ...]
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        r = self.report
        return {
            "view": self.view, "view_label": VIEW_LABELS[self.view],
            "as_of": self.as_of.isoformat(),
            "tests": r.tests, "fdr": r.fdr, "min_ratio": r.min_ratio, "min_n": r.min_n,
            "insights": [{**asdict(i), "rate": i.rate, "rest_rate": i.rest_rate}
                         for i in r.insights],
            "speed_to_lead": [{**asdict(b), "rate": b.rate} for b in self.speed_to_lead],
            "rejections": [asdict(p) for p in self.rejections],
            "top_rejection_reasons": [asdict(p) for p in self.top_reasons],
            "notes": list(self.notes),
        }


def closed_loop_insights(store: Store, contract: CompiledContract, *, fdr: float = 0.01,
                         min_ratio: float = 1.25, min_n: int = 40,
                         dimensions: Sequence[str] | None = None,
                         period: Period | None = None, as_of: datetime | None = None,
                         view: View = DEFAULT_VIEW) -> ClosedLoopInsights:
    """Everything `accord insights` shows (see the functions it calls)."""
    at = resolve_as_of(store, as_of).at
    report = find_insights(store, contract, fdr=fdr, min_ratio=min_ratio, min_n=min_n,
                           dimensions=dimensions, period=period, view=view)
    patterns = rejection_patterns(store, contract, view=view)
    notes: list[str] = []
    if contract.speed_to_lead is None:
        notes.append("speed to lead has no value: the contract has no first_touch SLA")
    if contract.stages.named(StageRole.QUALIFIED) is None:
        notes.append("speed to lead is not banded: the contract has no stage with "
                     "`role: qualified`")
    return ClosedLoopInsights(view, at, report,
                              speed_to_lead_effect(store, contract, as_of=at, view=view),
                              patterns, top_rejection_reasons(patterns), tuple(notes))
