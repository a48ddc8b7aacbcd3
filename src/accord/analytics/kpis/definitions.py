"""The shared KPIs: one registry, one definition each (DOMAIN.md §4, analytics issue §1).

Each KPI is a small frozen `KpiDefinition`: its name (from the contract's KPI vocabulary,
`contract/kpi_names.py`), a one-line definition that the CLI, API and reports all show, a
unit, the direction a target means, the dimensions it can be split by, and its measures:
Ibis aggregate expressions over the base tables of `context.py` (leads, opportunities,
activities, spend). All KPIs' measures on one base run as one grouped query; `finish`
then turns a group's measures into value, numerator and denominator (in Python, so that a
zero denominator gives "no value" the same way on every backend).

Conventions shared by every KPI:

- Funnel stages are reached as `analytics/funnel.py` defines it (see `timeline.py`).
- Cohort vs period view: see `context.py`. Both views are computed by the same builder.
- A ratio's numerator and denominator are counts (or amounts); a median's numerator is
  empty and its denominator is how many items were measured; a total's numerator is the
  total and its denominator is empty.
- Speed-to-lead is measured in **business minutes** on the contract calendar with the
  engine's business-hours clock (`engine/calendar.py`): a Friday-evening MQL called on
  Monday at 09:05 waited 5 minutes. Those three KPIs summarise per-lead rows in Python
  (NumPy busday arithmetic), because the calendar is not an SQL expression.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from accord.analytics.kpis.context import Base, KpiContext, count_if
from accord.analytics.kpis.dimensions import LEAD_DIMENSIONS, SPEND_DIMENSIONS, label
from accord.analytics.kpis.timeline import REACHED_AT, speed_to_lead_sla
from accord.contract.calendar import BusinessCalendar
from accord.contract.durations import Duration
from accord.contract.kpi_names import KPI_VOCABULARY, Direction
from accord.contract.schema import Contract

Unit = Literal["share", "business minutes", "days", "per month", "currency",
               "currency per day", "activities per lead", "ratio"]

SECONDS_PER_DAY = 86_400
DEFAULT_SPEED_TO_LEAD = Duration(2, "hours", business=False)  # seed 002: under 2 hours
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
    per_lead: bool = False  # `measures` summarises per-lead rows in Python, not in Ibis
    split: SplitBuilder | None = None  # its own grouped query for `split_dimensions`
    split_dimensions: frozenset[str] = frozenset()


# --- lead funnel --------------------------------------------------------------------------

def _conversion(frm: str, to: str) -> MeasureBuilder:
    def measures(ctx: KpiContext) -> Measures:
        t = ctx.leads
        return {"leads": {"numerator": count_if(ctx.happened(t[REACHED_AT[to]])),
                          "denominator": count_if(ctx.happened(t[REACHED_AT[frm]]))}}
    return measures


def _volume(stage: str) -> MeasureBuilder:
    def measures(ctx: KpiContext) -> Measures:
        return {"leads": {"numerator": count_if(ctx.happened(ctx.leads[REACHED_AT[stage]]))}}
    return measures


def _rejected(ctx: KpiContext) -> ir.BooleanValue:
    t = ctx.leads
    return ctx.happened(t.rejected_at) & t.mql_at.notnull()


def _rejection_rate(ctx: KpiContext) -> Measures:
    t = ctx.leads
    return {"leads": {"numerator": count_if(_rejected(ctx)),
                      "denominator": count_if(ctx.happened(t.mql_at))}}


def _rejection_by_reason(ctx: KpiContext) -> ir.Table:
    """Per reason code of the first rejection: rejected MQLs, over all MQLs."""
    t = ctx.leads
    per_reason = (t.filter(_rejected(ctx)).mutate(group=label(t.rejection_reason))
                  .group_by("group").aggregate(numerator=ibis._.count()))
    return per_reason.cross_join(t.aggregate(denominator=count_if(ctx.happened(t.mql_at))))


# --- speed-to-lead (slas.speed_to_lead) ---------------------------------------------------

def sla_within(contract: Contract) -> Duration:
    """The first-touch SLA's `within`, or 2 hours (seed 002) when the contract has none."""
    sla = speed_to_lead_sla(contract)
    return sla.within if sla is not None else DEFAULT_SPEED_TO_LEAD


def _clock(ctx: KpiContext) -> pd.DataFrame:
    """Per lead whose clock started: group, business minutes to the first touch (NaN when
    untouched) and whether the touch met the SLA's due time (`engine/calendar.py`: due =
    start + `within` on the contract calendar; a touch exactly at the due time meets it,
    as in `engine/sla_clock.py`). Fetched once per context."""
    if "clock" not in ctx.memo:
        t = ctx.leads
        rows = (t.filter(ctx.happened(t.clock_start_at))
                .select("group", "clock_start_at", "first_touch_at").to_pyarrow())
        start, touch = _datetimes(rows, "clock_start_at"), _datetimes(rows, "first_touch_at")
        minutes = np.full(len(start), np.nan)
        met = np.zeros(len(start), dtype=bool)
        if len(start):
            cal = BusinessCalendar.from_contract(ctx.contract.calendar)
            minutes = cal.business_minutes_between_many(start, touch)
            due = cal.add_business_many(start, sla_within(ctx.contract))
            met = ~np.isnat(touch) & (touch <= due)
        ctx.memo["clock"] = pd.DataFrame({
            "group": rows.column("group").to_pylist(), "minutes": minutes, "met": met})
    frame: pd.DataFrame = ctx.memo["clock"]
    return frame


def _datetimes(rows: pa.Table, name: str) -> npt.NDArray[np.datetime64]:
    arr = rows.column(name).combine_chunks().cast(pa.timestamp("us"))
    return np.asarray(arr.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def _speed_quantile(q: float) -> PerLead:
    def per_lead(ctx: KpiContext) -> dict[str, dict[str, Any]]:
        g = _clock(ctx).groupby("group")["minutes"]
        stat = g.quantile(q)  # linear interpolation: the continuous percentile
        counts = g.count()
        return {str(k): {"value": None if pd.isna(stat[k]) else float(stat[k]),
                         "denominator": int(counts[k])} for k in counts.index}
    return per_lead


def _speed_within(ctx: KpiContext) -> dict[str, dict[str, Any]]:
    g = _clock(ctx).groupby("group")["met"]
    met, size = g.sum(), g.size()
    return {str(k): {"numerator": int(met[k]), "denominator": int(size[k])} for k in size.index}


# --- sales activity -----------------------------------------------------------------------

def _touches_per_lead(ctx: KpiContext) -> Measures:
    if ctx.view == "cohort":
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
    # Leads created in the period, in both views (a cohort is exactly those leads).
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
    ltv = ctx.contract.economics.ltv_per_customer
    value = ltv / cac if ltv is not None and cac else None
    return Measure(value, ltv, cac)


# --- the registry -------------------------------------------------------------------------

def _kpi(name: str, definition: str, unit: Unit, measures: MeasureBuilder | PerLead,
         finish: Finisher = ratio, dimensions: frozenset[str] = LEAD_DIMENSIONS,
         per_lead: bool = False, split: SplitBuilder | None = None,
         split_dimensions: frozenset[str] = frozenset()) -> KpiDefinition:
    return KpiDefinition(name, definition, unit, KPI_VOCABULARY[name][0],
                         dimensions | split_dimensions, measures, finish, per_lead, split,
                         split_dimensions)


KPIS: dict[str, KpiDefinition] = {k.name: k for k in (
    _kpi("lead_to_mql", "Leads that reached MQL ÷ leads.", "share",
         _conversion("Lead", "MQL")),
    _kpi("mql_to_sal", "MQLs sales accepted (reached SAL) ÷ MQLs; healthy above 70% "
                       "(seed 004).", "share", _conversion("MQL", "SAL")),
    _kpi("sal_to_sql", "SALs that reached SQL ÷ SALs.", "share", _conversion("SAL", "SQL")),
    _kpi("sql_to_opportunity", "SQLs that reached Opportunity ÷ SQLs.", "share",
         _conversion("SQL", "Opportunity")),
    _kpi("win_rate", "Opportunities won ÷ opportunities closed (won or lost).", "share",
         _win_rate),
    _kpi("lead_to_opportunity", "Leads that reached Opportunity ÷ leads.", "share",
         _conversion("Lead", "Opportunity")),
    _kpi("mql_to_won", "MQLs that reached Won (a won opportunity or the Customer stage) ÷ "
                       "MQLs.", "share", _conversion("MQL", "Won")),
    _kpi("mql_rejection_rate", "MQLs sales rejected (moved out of MQL, not forward, with a "
                               "reason code) ÷ MQLs; split by `rejection_reason` per reason.",
         "share", _rejection_rate, split=_rejection_by_reason,
         split_dimensions=frozenset({"rejection_reason"})),
    _kpi("speed_to_lead_median_minutes", "Median business minutes (contract calendar) from "
                                         "the speed-to-lead SLA start (MQL) to the first "
                                         "sales activity, over touched leads.",
         "business minutes", _speed_quantile(0.5), measured, per_lead=True),
    _kpi("speed_to_lead_p90_minutes", "90th percentile of the same business minutes "
                                      "(continuous percentile).", "business minutes",
         _speed_quantile(0.9), measured, per_lead=True),
    _kpi("speed_to_lead_within_sla", "Leads first touched by the SLA's due time (start + "
                                     "`within` on the contract calendar) ÷ leads whose SLA "
                                     "clock started; untouched leads count as outside.",
         "share", _speed_within, per_lead=True),
    _kpi("touches_per_lead", "Sales activities ÷ leads with at least one sales activity.",
         "activities per lead", _touches_per_lead),
    _kpi("mql_volume", "Leads reaching MQL per month of the period.", "per month",
         _volume("MQL"), per_month),
    _kpi("sql_volume", "Leads reaching SQL per month of the period.", "per month",
         _volume("SQL"), per_month),
    _kpi("pipeline_created", "Sum of the amounts of opportunities created.", "currency",
         _pipeline_created, total),
    _kpi("marketing_sourced_pipeline_share", "Amount of opportunities with source "
                                             "`marketing` ÷ amount of all opportunities "
                                             "created.", "share", _marketing_share),
    _kpi("sales_cycle_days", "Median days from opportunity creation to its win.", "days",
         _sales_cycle, measured),
    _kpi("pipeline_velocity", "Opportunities created × win rate × average won deal ÷ median "
                              "sales-cycle days.", "currency per day", _velocity,
         _finish_velocity),
    _kpi("cpl", "Marketing spend ÷ leads created.", "currency", _cpl, _spend_ratio,
         dimensions=SPEND_DIMENSIONS),
    _kpi("cac", "Marketing spend ÷ new customers won (distinct accounts of won "
                "opportunities).", "currency", _cac, _spend_ratio, dimensions=SPEND_DIMENSIONS),
    _kpi("ltv_to_cac", "Contract `economics.ltv_per_customer` ÷ CAC; healthy at 3 or more.",
         "ratio", _cac, _finish_ltv_to_cac, dimensions=SPEND_DIMENSIONS),
    _kpi("handoff_rate", "Marketing-engaged leads (any marketing touch) with a sales activity "
                         "within N days (default 14) of their first touch ÷ engaged leads; "
                         "effective at 35% or more (seed 000).", "share", _handoff_rate),
)}
