"""The shared KPIs: one registry, one definition each (DOMAIN.md §4, analytics issue §1).

Each KPI is a small frozen `KpiDefinition`: its name (from the contract's KPI vocabulary,
`contract/kpi_names.py`), a one-line definition that the CLI, API and reports all show
(written with the stage roles it reads, e.g. `{handoff}`, and shown under the contract's
names for them: "MQLs sales accepted (reached SAL)" in the starter), a unit, the
direction a target means, the dimensions it can be split by, the stage roles it needs,
and its measures: Ibis aggregate expressions over the base tables of `context.py`
(leads, opportunities, activities, spend). All KPIs' measures on one base run as one
grouped query; `finish` then turns a group's measures into value, numerator and
denominator (in Python, so that a zero denominator gives "no value" the same way on every
backend).

Conventions shared by every KPI:

- Funnel stages are reached as `analytics/funnel.py` defines it (see `timeline.py`), by
  role: `mql_to_sal` is handoff → accepted, `sal_to_sql` accepted → qualified,
  `mql_to_won` handoff → won, and so on. A contract without a stage playing a role a KPI
  needs gives that KPI no value, with a note naming the role.
- Cohort vs period basis: see `context.py`. Both bases are computed by the same builder.
- A ratio's numerator and denominator are counts (or amounts); a median's numerator is
  empty and its denominator is how many items were measured; a total's numerator is the
  total and its denominator is empty.
- Opportunity KPIs read new business only (`type` empty or `new_business`, `deals.py`):
  win rate, pipeline, marketing share, sales cycle, velocity and CAC mean what they meant
  before renewals and expansions were recorded. The customer KPIs (renewal and expansion
  revenue, gross and net revenue retention) read only renewals and expansions, from the
  `retention` base (`deals.retention_base`).
- Speed-to-lead reads the one clock of the contract's speed-to-lead SLA (the first
  `first_touch` SLA; `engine/sla_clock.py`, the clock `accord sla` reports): within-SLA
  is met ÷ (met + breached), open clocks left out; median and p90 are over the stopped
  clocks' business minutes. Those three KPIs summarise the clocks in pandas, because the
  clock is computed with NumPy calendar arithmetic, not as an SQL expression.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa

from accord.analytics.kpis.context import Base, KpiContext, count_if
from accord.analytics.kpis.deals import EXPANSION, RENEWAL
from accord.analytics.kpis.dimensions import (
    ALL_LABEL,
    CUSTOMER_DIMENSIONS,
    LEAD_DIMENSIONS,
    NONE_LABEL,
    SPEND_DIMENSIONS,
    label,
)
from accord.analytics.kpis.timeline import REACHED_AT
from accord.contract.compiled import CompiledContract
from accord.contract.kpi_names import KPI_VOCABULARY, Direction
from accord.contract.roles import FUNNEL_ROLES, StageRole

Unit = Literal["share", "business minutes", "days", "per month", "currency",
               "currency per day", "activities per lead", "ratio"]

SECONDS_PER_DAY = 86_400
DEFAULT_HANDOFF_DAYS = 14.0
EFFECTIVE_HANDOFF_RATE = 0.35  # seed 000 (Influ2, 105 companies): effective at 35% or more


@dataclass(frozen=True)
class Measure:
    value: float | None
    numerator: float | None
    denominator: float | None


Measures = dict[Base, dict[str, ir.Scalar]]
MeasureBuilder = Callable[[KpiContext], Measures]
PerLead = Callable[[KpiContext], dict[str, dict[str, Any]]]  # group -> measures
Finisher = Callable[[Mapping[str, Any], KpiContext], Measure]
SplitBuilder = Callable[[KpiContext], ir.Table]


def _num(x: Any) -> float | None:
    return None if x is None else float(x)


def ratio(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """value = numerator ÷ denominator; no value when the denominator is 0."""
    num, den = _num(row.get("numerator")), _num(row.get("denominator"))
    value = num / den if num is not None and den else None
    return Measure(value, num, den)


def measured(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """A statistic (median, percentile) over `denominator` measured items."""
    return Measure(_num(row.get("value")), None, _num(row.get("denominator")))


def total(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    value = _num(row.get("numerator"))
    return Measure(value, value, None)


def per_month(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """value = numerator ÷ the period's length in months."""
    return ratio({"numerator": row.get("numerator"), "denominator": ctx.months}, ctx)


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    definition: str
    unit: Unit
    direction: Direction
    dimensions: frozenset[str]
    measures: MeasureBuilder | PerLead
    finish: Finisher = ratio
    per_lead: bool = False  # summarises the speed-to-lead SLA clocks in pandas, not in Ibis
    split: SplitBuilder | None = None  # its own grouped query for `split_dimensions`
    split_dimensions: frozenset[str] = frozenset()
    roles: tuple[StageRole, ...] = ()  # stage roles the KPI reads

    def describe(self, contract: CompiledContract) -> str:
        """The one-line definition under `contract`'s stage names."""
        return self.definition.format_map(stage_words(contract))

    def missing_roles(self, contract: CompiledContract) -> tuple[StageRole, ...]:
        """The roles the KPI reads that no stage of `contract` plays."""
        return tuple(r for r in self.roles if contract.stages.named(r) is None)


def stage_words(contract: CompiledContract) -> dict[str, str]:
    """Placeholders of the definitions: each funnel role's stage name (`the <role> stage`
    when the contract has none) and `clock_start`, where the speed-to-lead clock starts."""
    words = {r.value: contract.stages.named(r) or f"the {r.value} stage" for r in FUNNEL_ROLES}
    sla = contract.speed_to_lead
    words["clock_start"] = sla.start if sla is not None else words[StageRole.HANDOFF.value]
    return words


# --- lead funnel --------------------------------------------------------------------------

def _conversion(frm: StageRole, to: StageRole) -> MeasureBuilder:
    def measures(ctx: KpiContext) -> Measures:
        t = ctx.leads
        return {"leads": {"numerator": count_if(ctx.happened(t[REACHED_AT[to]])),
                          "denominator": count_if(ctx.happened(t[REACHED_AT[frm]]))}}
    return measures


def _volume(role: StageRole) -> MeasureBuilder:
    def measures(ctx: KpiContext) -> Measures:
        return {"leads": {"numerator": count_if(ctx.happened(ctx.leads[REACHED_AT[role]]))}}
    return measures


_HANDOFF_AT = REACHED_AT[StageRole.HANDOFF]


def _rejected(ctx: KpiContext) -> ir.BooleanValue:
    t = ctx.leads
    return ctx.happened(t.rejected_at) & t[_HANDOFF_AT].notnull()


def _rejection_rate(ctx: KpiContext) -> Measures:
    t = ctx.leads
    return {"leads": {"numerator": count_if(_rejected(ctx)),
                      "denominator": count_if(ctx.happened(t[_HANDOFF_AT]))}}


def _rejection_by_reason(ctx: KpiContext) -> ir.Table:
    """Per reason code of the first rejection: rejected handoffs, over all handoffs."""
    t = ctx.leads
    per_reason = (t.filter(_rejected(ctx)).mutate(group=label(t.rejection_reason))
                  .group_by("group").aggregate(numerator=ibis._.count()))
    return per_reason.cross_join(
        t.aggregate(denominator=count_if(ctx.happened(t[_HANDOFF_AT]))))


# --- speed-to-lead: the one SLA clock (contract.speed_to_lead) ------------------------------

def _counted_clocks(ctx: KpiContext) -> pd.DataFrame:
    """The speed-to-lead clocks this context counts, one row per clock: group, status and
    business minutes (NaN while running).

    The clocks are `engine/sla_clock.py`'s, exactly as `accord sla` reads them. Which
    count: cohort basis, clocks of leads created in the period (every clock for all time);
    period basis, clocks started in the period. Group: by `rep`, the clock's responsible
    rep (`(none)` without one, as `accord sla` shows a null `rep_id`); by another
    dimension, the lead's group; otherwise `all`. Fetched once per context."""
    if "clock" in ctx.memo:
        frame: pd.DataFrame = ctx.memo["clock"]
        return frame
    states = ctx.clocks
    if states is None or states.num_rows == 0:
        frame = pd.DataFrame({"group": pd.Series([], dtype=object),
                              "status": pd.Series([], dtype=object),
                              "minutes": pd.Series([], dtype=float)})
        ctx.memo["clock"] = frame
        return frame
    df = states.select(["lead_id", "start_at", "stopped_at", "status", "business_minutes",
                        "rep_id", "lead_created_at"]).to_pandas()
    per = ctx.period
    if not per.is_all_time:
        when = df["lead_created_at"] if ctx.basis == "cohort" else df["start_at"]
        keep = when.notna()
        if per.start is not None:
            keep &= when >= pd.Timestamp(per.start)
        if per.end is not None:
            keep &= when < pd.Timestamp(per.end)
        df = df[keep.fillna(False)]
    if ctx.by == "rep":
        group = df["rep_id"].astype(object).where(df["rep_id"].notna(), NONE_LABEL)
    elif ctx.by is None or ctx.by == "month":
        group = pd.Series(ALL_LABEL, index=df.index, dtype=object)
    else:
        # the clocks' lead ids joined to the leads' groups (Arrow, not a Python dict)
        groups = ctx.lead_groups.select("lead_id", "group").to_pyarrow()
        ids = pa.table({"lead_id": pa.array(df["lead_id"].to_numpy(), pa.string()),
                        "row": pa.array(np.arange(len(df)))})
        joined = ids.join(groups, "lead_id", join_type="left outer").sort_by("row")
        group = pd.Series(joined.column("group").to_pandas().to_numpy(), index=df.index,
                          dtype=object).fillna(NONE_LABEL)
    minutes = df["business_minutes"].astype(float).where(df["stopped_at"].notna())
    frame = pd.DataFrame({"group": group.astype(str), "status": df["status"].astype(str),
                          "minutes": minutes})
    ctx.memo["clock"] = frame
    return frame


def _speed_quantile(q: float) -> PerLead:
    def per_lead(ctx: KpiContext) -> dict[str, dict[str, Any]]:
        g = _counted_clocks(ctx).groupby("group")["minutes"]
        stat = g.quantile(q)  # linear interpolation: the continuous percentile
        counts = g.count()
        return {str(k): {"value": None if pd.isna(stat[k]) else float(stat[k]),
                         "denominator": int(counts[k])} for k in counts.index}
    return per_lead


def _speed_within(ctx: KpiContext) -> dict[str, dict[str, Any]]:
    """met ÷ (met + breached) per group; open clocks are left out (`accord sla`'s share)."""
    frame = _counted_clocks(ctx)
    status = frame["status"]
    per = pd.DataFrame({"group": frame["group"], "met": status == "met",
                        "decided": status.isin(["met", "breached"])}).groupby("group").sum()
    return {str(k): {"numerator": int(r["met"]), "denominator": int(r["decided"])}
            for k, r in per.iterrows()}


# --- sales activity -----------------------------------------------------------------------

def _touches_per_lead(ctx: KpiContext) -> Measures:
    if ctx.basis == "cohort":
        t = ctx.leads
        return {"leads": {"numerator": t.activities.sum().fill_null(0),
                          "denominator": count_if(t.activities > 0)}}
    a = ctx.activities
    inside = ctx.in_period(a.occurred_at)
    return {"activities": {"numerator": count_if(inside),
                           "denominator": a.lead_id.nunique(where=inside)}}


def _handoff_rate(ctx: KpiContext) -> Measures:
    t = ctx.leads
    engaged = ctx.happened(t.engaged_at)
    lag = t.followup_at.epoch_seconds().cast("float64") - t.engaged_at.epoch_seconds().cast(
        "float64")
    followed = engaged & t.followup_at.notnull() & (lag <= ctx.handoff_days * SECONDS_PER_DAY)
    return {"leads": {"numerator": count_if(followed), "denominator": count_if(engaged)}}


# --- opportunities ------------------------------------------------------------------------

def _closed_at(o: ir.Table) -> ir.TimestampValue:
    return o.closed_at.fill_null(o.created_at)


def _closed(ctx: KpiContext) -> ir.BooleanValue:
    o = ctx.opportunities
    return ctx.happened(_closed_at(o)) & o.status.isin(("won", "lost"))


def _won(ctx: KpiContext) -> ir.BooleanValue:
    o = ctx.opportunities
    return (o.status == "won") & ctx.happened(_closed_at(o))


def _cycle_days(o: ir.Table) -> ir.FloatingValue:
    return (_closed_at(o).epoch_seconds().cast("float64")
            - o.created_at.epoch_seconds().cast("float64")) / SECONDS_PER_DAY


def _win_rate(ctx: KpiContext) -> Measures:
    return {"opportunities": {"numerator": count_if(_won(ctx)),
                              "denominator": count_if(_closed(ctx))}}


def _pipeline_created(ctx: KpiContext) -> Measures:
    o = ctx.opportunities
    return {"opportunities": {
        "numerator": o.amount.sum(where=ctx.happened(o.created_at)).fill_null(0)}}


def _marketing_share(ctx: KpiContext) -> Measures:
    o = ctx.opportunities
    created = ctx.happened(o.created_at)
    return {"opportunities": {
        "numerator": o.amount.sum(where=created & (o.source == "marketing")).fill_null(0),
        "denominator": o.amount.sum(where=created).fill_null(0),
    }}


def _sales_cycle(ctx: KpiContext) -> Measures:
    o, won = ctx.opportunities, _won(ctx)
    return {"opportunities": {"value": _cycle_days(o).median(where=won),
                              "denominator": count_if(won)}}


def _velocity(ctx: KpiContext) -> Measures:
    o, won = ctx.opportunities, _won(ctx)
    return {"opportunities": {
        "opportunities": count_if(ctx.happened(o.created_at)),
        "won": count_if(won),
        "closed": count_if(_closed(ctx)),
        "average_deal": o.amount.mean(where=won),
        "cycle_days": _cycle_days(o).median(where=won),
    }}


def _finish_velocity(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """opportunities × win rate × average won deal ÷ median cycle days."""
    n, won, closed = (_num(row.get(k)) for k in ("opportunities", "won", "closed"))
    avg, cycle = _num(row.get("average_deal")), _num(row.get("cycle_days"))
    if not closed or n is None or won is None or avg is None:
        return Measure(None, None, cycle)
    numerator = n * (won / closed) * avg
    return Measure(numerator / cycle if cycle and cycle > 0 else None, numerator, cycle)


# --- spend --------------------------------------------------------------------------------

def _spend(ctx: KpiContext) -> ir.Scalar:
    return ctx.table("spend").amount.sum().fill_null(0)


def _cpl(ctx: KpiContext) -> Measures:
    # Leads created in the period, on both bases (a cohort is exactly those leads).
    return {"spend": {"numerator": _spend(ctx)},
            "leads": {"denominator": count_if(ctx.in_period(ctx.leads.created_at))}}


def _cac(ctx: KpiContext) -> Measures:
    o = ctx.opportunities
    who = o.account_id.fill_null(o.lead_id).fill_null(o.opportunity_id)
    return {"spend": {"numerator": _spend(ctx)},
            "opportunities": {"denominator": who.nunique(where=_won(ctx))}}


def _spend_ratio(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """Spend ÷ count. With a split, a group with leads or customers but no spend row spent
    0; without one, a period with no spend rows at all has no value."""
    if row.get("numerator") is None and ctx.by is None:
        return ratio(row, ctx)
    return ratio({"numerator": row.get("numerator") or 0.0,
                  "denominator": row.get("denominator") or 0}, ctx)


def _finish_ltv_to_cac(row: Mapping[str, Any], ctx: KpiContext) -> Measure:
    """LTV (contract `economics.ltv_per_customer`) ÷ CAC."""
    cac = _spend_ratio(row, ctx).value
    ltv = ctx.contract.source.economics.ltv_per_customer
    value = ltv / cac if ltv is not None and cac else None
    return Measure(value, ltv, cac)


# --- customers: renewals and expansions (the `retention` base, `deals.retention_base`) --------

def _customer_revenue(kind: str) -> MeasureBuilder:
    def measures(ctx: KpiContext) -> Measures:
        t = ctx.table("retention")
        return {"retention": {
            "numerator": t.amount.sum(where=t.won & (t.deal_type == kind)).fill_null(0)}}
    return measures


def _up_for_renewal(t: ir.Table) -> ir.FloatingScalar:
    """The prior value of the renewals decided (won or lost): the retention denominator."""
    return t.prior.sum(where=t.decided & (t.deal_type == RENEWAL)).fill_null(0)


def _gross_retention(ctx: KpiContext) -> Measures:
    t = ctx.table("retention")
    kept = ibis.least(t.amount, t.prior)  # a renewal won above its prior value keeps it all
    return {"retention": {
        "numerator": kept.sum(where=t.won & (t.deal_type == RENEWAL)).fill_null(0),
        "denominator": _up_for_renewal(t)}}


def _net_retention(ctx: KpiContext) -> Measures:
    t = ctx.table("retention")
    counted = (t.deal_type == RENEWAL) | ((t.deal_type == EXPANSION) & t.renewing)
    return {"retention": {"numerator": t.amount.sum(where=t.won & counted).fill_null(0),
                          "denominator": _up_for_renewal(t)}}


# --- the registry -------------------------------------------------------------------------

def _kpi(name: str, definition: str, unit: Unit, measures: MeasureBuilder | PerLead,
         finish: Finisher = ratio, dimensions: frozenset[str] = LEAD_DIMENSIONS,
         per_lead: bool = False, split: SplitBuilder | None = None,
         split_dimensions: frozenset[str] = frozenset(),
         roles: tuple[StageRole, ...] = ()) -> KpiDefinition:
    return KpiDefinition(name, definition, unit, KPI_VOCABULARY[name][0],
                         dimensions | split_dimensions, measures, finish, per_lead, split,
                         split_dimensions, roles)


_L, _H, _A, _Q, _O, _W = (StageRole.LEAD, StageRole.HANDOFF, StageRole.ACCEPTED,
                          StageRole.QUALIFIED, StageRole.OPPORTUNITY, StageRole.WON)

KPIS: dict[str, KpiDefinition] = {k.name: k for k in (
    _kpi("lead_to_mql", "Leads that reached {handoff} ÷ leads.", "share",
         _conversion(_L, _H), roles=(_H,)),
    _kpi("mql_to_sal", "{handoff}s sales accepted (reached {accepted}) ÷ {handoff}s; healthy "
                       "above 70% (seed 004).", "share", _conversion(_H, _A),
         roles=(_H, _A)),
    _kpi("sal_to_sql", "{accepted}s that reached {qualified} ÷ {accepted}s.", "share",
         _conversion(_A, _Q), roles=(_A, _Q)),
    _kpi("sql_to_opportunity", "{qualified}s that reached {opportunity} ÷ {qualified}s.",
         "share", _conversion(_Q, _O), roles=(_Q, _O)),
    _kpi("win_rate", "Opportunities won ÷ opportunities closed (won or lost); new "
                     "business only.", "share", _win_rate),
    _kpi("lead_to_opportunity", "Leads that reached {opportunity} ÷ leads.", "share",
         _conversion(_L, _O), roles=(_O,)),
    _kpi("mql_to_won", "{handoff}s that reached {won} (a won opportunity or a move into "
                       "{won}) ÷ {handoff}s.", "share", _conversion(_H, _W), roles=(_H, _W)),
    _kpi("mql_rejection_rate", "{handoff}s sales rejected (moved out of {handoff}, not "
                               "forward, with a reason code) ÷ {handoff}s; split by "
                               "`rejection_reason` per reason.",
         "share", _rejection_rate, split=_rejection_by_reason,
         split_dimensions=frozenset({"rejection_reason"}), roles=(_H,)),
    _kpi("speed_to_lead_median_minutes", "Median business minutes of the speed-to-lead SLA "
                                         "clock (as `accord sla` reads it) from the first "
                                         "entry into {clock_start} to the first sales "
                                         "activity, over stopped clocks.",
         "business minutes", _speed_quantile(0.5), measured, per_lead=True),
    _kpi("speed_to_lead_p90_minutes", "90th percentile of the same business minutes "
                                      "(continuous percentile).", "business minutes",
         _speed_quantile(0.9), measured, per_lead=True),
    _kpi("speed_to_lead_within_sla", "Speed-to-lead SLA clocks met ÷ clocks met or "
                                     "breached (`accord sla`'s share within: open clocks "
                                     "are left out).",
         "share", _speed_within, per_lead=True),
    _kpi("touches_per_lead", "Sales activities ÷ leads with at least one sales activity.",
         "activities per lead", _touches_per_lead),
    _kpi("mql_volume", "Leads reaching {handoff} per month of the period.", "per month",
         _volume(_H), per_month, roles=(_H,)),
    _kpi("sql_volume", "Leads reaching {qualified} per month of the period.", "per month",
         _volume(_Q), per_month, roles=(_Q,)),
    _kpi("pipeline_created", "Sum of the amounts of opportunities created; new business "
                             "only.", "currency", _pipeline_created, total),
    _kpi("marketing_sourced_pipeline_share", "Amount of opportunities with source "
                                             "`marketing` ÷ amount of all opportunities "
                                             "created; new business only.", "share",
         _marketing_share),
    _kpi("sales_cycle_days", "Median days from opportunity creation to its win; new "
                             "business only.", "days", _sales_cycle, measured),
    _kpi("pipeline_velocity", "Opportunities created × win rate × average won deal ÷ median "
                              "sales-cycle days; new business only.", "currency per day",
         _velocity, _finish_velocity),
    _kpi("cpl", "Marketing spend ÷ leads created.", "currency", _cpl, _spend_ratio,
         dimensions=SPEND_DIMENSIONS),
    _kpi("cac", "Marketing spend ÷ new customers won (distinct accounts of won "
                "new-business opportunities).", "currency", _cac, _spend_ratio,
         dimensions=SPEND_DIMENSIONS),
    _kpi("ltv_to_cac", "Contract `economics.ltv_per_customer` ÷ CAC; healthy at 3 or more.",
         "ratio", _cac, _finish_ltv_to_cac, dimensions=SPEND_DIMENSIONS),
    _kpi("handoff_rate", "Marketing-engaged leads (any marketing touch) with a sales activity "
                         "within N days (default 14) of their first touch ÷ engaged leads; "
                         "effective at 35% or more (seed 000).", "share", _handoff_rate),
    _kpi("renewal_revenue", "Sum of the amounts of renewals won (the value renewed).",
         "currency", _customer_revenue(RENEWAL), total, dimensions=CUSTOMER_DIMENSIONS),
    _kpi("expansion_revenue", "Sum of the amounts of expansions won.", "currency",
         _customer_revenue(EXPANSION), total, dimensions=CUSTOMER_DIMENSIONS),
    _kpi("gross_revenue_retention", "Renewals won, each counted at most at its prior value "
                                    "÷ prior value of the renewals won or lost (up for "
                                    "renewal); churn and downsell lower it, expansion does "
                                    "not count, so it is at most 100%.",
         "share", _gross_retention, dimensions=CUSTOMER_DIMENSIONS),
    _kpi("net_revenue_retention", "(Renewals won + expansions won by the accounts up for "
                                  "renewal) ÷ prior value of the renewals won or lost; above "
                                  "100% when expansion outgrows churn and downsell.",
         "share", _net_retention, dimensions=CUSTOMER_DIMENSIONS),
)}
