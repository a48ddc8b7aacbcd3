"""Closed-loop insights: which segments, channels, campaigns, pages and reps convert
differently from the rest, at which stage, with an honest measure of doubt.

Seed 002 asks for patterns such as "this vertical converts 3x better" and "leads from this
channel never make it past discovery". For every stage transition (MQL→SAL, SAL→SQL,
SQL→Opportunity, Opportunity→Won) and every value of every dimension, accord compares the
group's conversion with the rest's:

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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import numpy as np
from scipy import stats

from accord.analytics.funnel import FUNNEL_STAGES, lead_depth
from accord.analytics.kpis.period import Period
from accord.store import Store

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
#: Transitions tested: index k means "reached FUNNEL_STAGES[k] → reached FUNNEL_STAGES[k+1]".
TRANSITIONS: tuple[int, ...] = (1, 2, 3, 4)

Kind = Literal["higher", "lower", "never_past"]


@dataclass(frozen=True)
class Insight:
    dimension: str
    value: str
    stratum: str | None  # e.g. the channel a campaign was compared within
    from_stage: str
    to_stage: str
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


def lead_dimensions(store: Store) -> ibis.Table:
    """One row per lead: funnel depth and every insight dimension.

    Account attributes come through `leads.account_id`, or through the matching result
    (`derived lead_accounts`) when `accord run` has produced it. The rep is the one who
    made the lead's first sales activity.
    """
    leads = lead_depth(store)
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


def find_insights(store: Store, *, fdr: float = 0.01, min_ratio: float = 1.25,
                  min_n: int = 40, dimensions: tuple[str, ...] | None = None,
                  period: Period | None = None) -> InsightReport:
    """Every group whose stage conversion differs from the rest's (see module docstring).

    `period` selects the cohort of leads created in it (all leads when None)."""
    frame = lead_dimensions(store)
    if period is not None and period.start is not None:
        frame = frame.filter(frame.created_at >= period.start)
    if period is not None and period.end is not None:
        frame = frame.filter(frame.created_at < period.end)
    dims = dimensions or tuple(DIMENSIONS)
    rows: list[tuple[str, str, str | None, int, int, int, int, int]] = []
    for dim in dims:
        if dim not in DIMENSIONS:
            raise KeyError(f"unknown insight dimension {dim!r}; known: {', '.join(DIMENSIONS)}")
        stratum = DIMENSIONS[dim]
        keys = [dim] if stratum is None else [stratum, dim]
        reached = {f"n{k}": ibis.ifelse(frame.depth >= k, 1, 0).sum()
                   for k in (*TRANSITIONS, TRANSITIONS[-1] + 1)}
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
            for k in TRANSITIONS:
                n1, x1 = int(r[f"n{k}"] or 0), int(r[f"n{k + 1}"] or 0)
                n_all, x_all = totals[s][f"n{k}"], totals[s][f"n{k + 1}"]
                rows.append((dim, str(r[dim]), None if s is None else str(s), k,
                             n1, x1, n_all - n1, x_all - x1))
    return rank_differences(rows, fdr=fdr, min_ratio=min_ratio, min_n=min_n)


def rank_differences(rows: list[tuple[str, str, str | None, int, int, int, int, int]], *,
                     fdr: float = 0.01, min_ratio: float = 1.25,
                     min_n: int = 40) -> InsightReport:
    """Test every row (dimension, value, stratum, transition k, n1, x1, n0, x0) and keep
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
        dim, value, stratum, k = rows[idx[j]][:4]
        kind: Kind = "never_past" if x1[j] == 0 else ("higher" if ratio[j] > 1 else "lower")
        ins = Insight(dim, value, stratum, FUNNEL_STAGES[k], FUNNEL_STAGES[k + 1],
                      int(n1[j]), int(x1[j]), int(n0[j]), int(x0[j]), float(ratio[j]),
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
    mqls: int
    qualified: int  # reached SQL or beyond
    ratio_to_fastest: float | None

    @property
    def rate(self) -> float | None:
        return self.qualified / self.mqls if self.mqls else None


def speed_to_lead_effect(store: Store) -> tuple[SpeedBand, ...]:
    """Share of MQLs that reached SQL, by wall-clock minutes from the lead's first MQL
    event to its first sales activity (leads never touched are left out). Seed 002: an
    answer within 5 minutes rather than 30 made a 21× difference in qualification (HBR)."""
    ev = store.table("stage_events")
    mql = ev.filter(ev.to_stage == "MQL").group_by("lead_id").aggregate(mql_at=ev.occurred_at.min())
    acts = store.table("activities")
    first = acts.group_by("lead_id").aggregate(touch_at=acts.occurred_at.min())
    depth = lead_depth(store).select("lead_id", "depth")
    j = mql.join(first, "lead_id").join(depth, "lead_id")
    j = j.filter(j.touch_at >= j.mql_at)
    minutes = (j.touch_at.epoch_seconds() - j.mql_at.epoch_seconds()) / 60.0
    band = ibis.cases(*[((minutes >= lo) & (minutes < hi), name) for name, lo, hi in SPEED_BANDS])
    rows = (j.mutate(band=band).group_by("band")
            .aggregate(mqls=ibis._.lead_id.count(),
                       qualified=ibis.ifelse(ibis._.depth >= 3, 1, 0).sum())
            .to_pyarrow().to_pylist())
    by = {r["band"]: (int(r["mqls"]), int(r["qualified"] or 0)) for r in rows}
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


def rejection_patterns(store: Store) -> tuple[RejectionPattern, ...]:
    """Sales rejections (stage events with a reason code, out of MQL, SAL or SQL) by
    reason and channel, with each reason's share in the channel beside its overall share."""
    ev = store.table("stage_events")
    rej = ev.filter(ev.reason.notnull() & ev.from_stage.isin(["MQL", "SAL", "SQL"]))
    leads = store.table("leads").select("lead_id", "channel")
    rows = (rej.join(leads, "lead_id").group_by(["channel", "reason"])
            .aggregate(count=ibis._.event_id.count()).to_pyarrow().to_pylist())
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
