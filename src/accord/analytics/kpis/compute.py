"""Compute the shared KPIs over a period, company-wide and by one dimension.

The lead timeline (`timeline.py`) is materialised once per call (a temporary table on the
backend). The measures of every selected KPI are then gathered per base table (leads,
opportunities, activities, spend) and run as one grouped Ibis query per base, the same on
DuckDB and PostgreSQL; results are matched by group, like a full outer join. Splitting by
`month` reruns the computation per calendar month of the period, so each month's row
means exactly what the period's row means, for that month.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, cast

import ibis.expr.types as ir
import pyarrow as pa

from accord.analytics.kpis.context import (
    BASES,
    BASIS_CHOICES,
    BASIS_LABELS,
    Basis,
    KpiContext,
    in_period,
)
from accord.analytics.kpis.deals import (
    CUSTOMER_TYPES,
    NEW_BUSINESS,
    retention_base,
    unknown_types,
)
from accord.analytics.kpis.definitions import (
    DEFAULT_HANDOFF_DAYS,
    KPIS,
    KpiDefinition,
    Measure,
    MeasureBuilder,
    PerLead,
)
from accord.analytics.kpis.dimensions import (
    ALL_LABEL,
    CUSTOMER_DIMENSIONS,
    check_dimension,
    group_activities,
    group_leads,
    group_opportunities,
    group_spend,
)
from accord.analytics.kpis.errors import KpiError
from accord.analytics.kpis.period import Period, month_period, parse_period, span_months
from accord.analytics.kpis.report import KpiReport, KpiRow, kpi_status
from accord.analytics.kpis.timeline import lead_timeline
from accord.contract.compiled import CompiledContract
from accord.engine.sla_clock import compute_sla_clocks
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view
from accord.errors import UnknownNameError
from accord.facts import OPPORTUNITY_TYPES
from accord.store import Store
from accord.store.as_of import resolve_as_of

_SEP = "__"


def compute_kpis(store: Store, contract: CompiledContract, *,
                 period: str | Period | None = None, by: str | None = None,
                 basis: Basis = "cohort", view: View = DEFAULT_VIEW,
                 as_of: datetime | None = None, kpis: Iterable[str] | None = None,
                 handoff_days: float = DEFAULT_HANDOFF_DAYS) -> KpiReport:
    """Every KPI (or the named ones) for `period`, company-wide and split `by` a dimension.

    `basis` is `cohort` (leads created in the period, followed to today) or `period`
    (events in the period); see `context.py`. `view` names where stage moves come from
    (`engine/views.py`). `as_of` is the one "now" (`store/as_of.py`; default the latest
    fact): the speed-to-lead clocks are read as of it. Targets come from the contract's
    `kpis`. Unknown KPI, dimension, basis or view names raise `UnknownNameError`.
    """
    check_view(view)
    if basis not in BASIS_CHOICES:
        raise UnknownNameError("basis", basis, BASIS_CHOICES)
    check_dimension(by)
    selected = select_kpis(kpis)
    if handoff_days <= 0:
        raise KpiError(f"handoff days must be positive, got {handoff_days}")
    per = period if isinstance(period, Period) else parse_period(period)
    at = resolve_as_of(store, as_of).at
    notes = [BASIS_LABELS[basis], VIEW_LABELS[view]]
    clocks = None
    if any(d.per_lead for d in selected):
        clocks = speed_to_lead_clocks(store, contract, at, view)
        notes.append(_clock_note(contract, at))
        if by == "rep":
            notes.append("by rep, the speed-to-lead KPIs group the SLA clocks by their "
                         "responsible rep (as `accord sla` does; `(none)` without one), the "
                         "other KPIs by the rep of the lead's first sales activity")
    for d in selected:
        missing = d.missing_roles(contract)
        if missing:
            notes.append(f"{d.name} has no value: the contract has no stage with "
                         + " or ".join(f"`role: {r.value}`" for r in missing))
    unknown = unknown_types(store.table("opportunities"))
    if unknown:
        n = sum(unknown.values())
        notes.append(f"{n} {'opportunity has' if n == 1 else 'opportunities have'} a type "
                     "accord does not know ("
                     + ", ".join(f"{t!r}: {k}" for t, k in unknown.items())
                     + "); they count in no KPI (types: " + ", ".join(OPPORTUNITY_TYPES)
                     + "; empty is new_business)")
    if by is not None:
        why: dict[str, list[str]] = defaultdict(list)
        for d in selected:
            if by not in d.dimensions:
                why[_why_not(by, d)].append(d.name)
        for reason, names in why.items():
            notes.append(f"not split by {by}: {', '.join(names)} ({reason})")
    rows: list[KpiRow] = []
    for ctx, label, total in kpi_contexts(store, contract, per, by, basis, view, handoff_days,
                                          clocks):
        chosen = selected if total else [d for d in selected if by in d.dimensions]
        rows.extend(measure_kpis(chosen, ctx, total=total, label=label))
    if contract.source.economics.ltv_per_customer is None and any(d.name == "ltv_to_cac"
                                                                  for d in selected):
        notes.append("ltv_to_cac has no value: set economics.ltv_per_customer in the contract")
    order = {d.name: i for i, d in enumerate(selected)}
    rows.sort(key=lambda r: (order[r.kpi], not r.total, r.group))
    return KpiReport(view=view, view_label=VIEW_LABELS[view], basis=basis,
                     basis_label=BASIS_LABELS[basis], as_of=at, period=per, by=by,
                     contract_version=contract.version,
                     definitions=tuple((d.name, d.describe(contract)) for d in selected),
                     rows=tuple(rows), notes=tuple(notes))


def select_kpis(kpis: Iterable[str] | None) -> list[KpiDefinition]:
    """The registry entries named (all when None), in registry order; an unknown name
    raises `UnknownNameError` listing the KPIs."""
    if kpis is None:
        return list(KPIS.values())
    names = list(kpis)
    for n in names:
        if n not in KPIS:
            raise UnknownNameError("KPI", n, KPIS, where="--kpi")
    return [KPIS[n] for n in KPIS if n in names]


def speed_to_lead_clocks(store: Store, contract: CompiledContract, as_of: datetime,
                         view: View) -> pa.Table | None:
    """The speed-to-lead SLA's clock states as of `as_of` (`engine/sla_clock.py`, the rows
    `accord sla` summarises), with each lead's creation time as `lead_created_at` (null
    for a clock whose lead has no lead row). None without a first-touch SLA."""
    sla = contract.speed_to_lead
    if sla is None:
        return None
    # The same clock function `accord sla` runs, asked for this one SLA only.
    states = compute_sla_clocks(store, contract, as_of, view=view, slas=(sla.name,),
                                escalations=False).states
    leads = store.table("leads").select("lead_id", "created_at").to_pyarrow()
    leads = leads.rename_columns(["lead_id", "lead_created_at"]).cast(
        pa.schema([("lead_id", pa.string()), ("lead_created_at", pa.timestamp("us"))]))
    return states.join(leads, "lead_id", join_type="left outer")


def kpi_contexts(store: Store, contract: CompiledContract, period: Period, by: str | None,
                 basis: Basis, view: View = DEFAULT_VIEW,
                 handoff_days: float = DEFAULT_HANDOFF_DAYS,
                 clocks: pa.Table | None = None,
                 ) -> Iterator[tuple[KpiContext, str | None, bool]]:
    """The contexts to measure: (context, group label or None, is the company-wide row).

    First the whole period (group `all`), then the split: one context per calendar month
    for `month` (labelled `YYYY-MM`), else one context whose `group` column is `by`.
    The lead timeline is materialised once for all of them.
    """
    bounded = period if not period.is_all_time else data_span(store)
    timeline = lead_timeline(store, contract, view).cache()

    def context(per: Period, bound: Period | None, split: str | None) -> KpiContext:
        return build_context(store, contract, timeline, basis, view, per, bound, split,
                             handoff_days, clocks)

    yield context(period, bounded, None), None, True
    if by == "month":
        if bounded is None:
            raise KpiError("no leads in the store, so there are no months to split by")
        for start in bounded.month_starts():
            month = month_period(start)
            yield context(month, month, None), month.label, False
    elif by is not None:
        yield context(period, bounded, by), None, False


def data_span(store: Store) -> Period | None:
    """The whole months from the first to the last lead creation (None without leads)."""
    leads = store.table("leads")
    row = leads.aggregate(first=leads.created_at.min(),
                          last=leads.created_at.max()).to_pyarrow().to_pylist()[0]
    if row["first"] is None:
        return None
    return span_months(row["first"], row["last"])


def build_context(store: Store, contract: CompiledContract, timeline: ir.Table, basis: Basis,
                  view: View, per: Period, bounded: Period | None, by: str | None,
                  handoff_days: float, clocks: pa.Table | None = None) -> KpiContext:
    """The base tables for one basis, period and dimension (see `KpiContext`)."""
    leads = group_leads(store, timeline, by)
    if by is not None:
        leads = leads.cache()
    everyone = leads
    opps = group_opportunities(store, leads, by)
    acts = group_activities(store, leads)
    spend = group_spend(store, by)
    if basis == "cohort":
        leads = leads.filter(in_period(per, leads.created_at))
        opps = opps.filter(in_period(per, opps.cohort_at))
    retention = retention_base(opps.filter(opps.deal_type.isin(CUSTOMER_TYPES)), basis, per)
    opps = opps.filter(opps.deal_type == NEW_BUSINESS)
    if spend is not None:
        spend = spend.filter(in_period(per, spend.month.cast("timestamp")))
    return KpiContext(contract=contract, basis=basis, view=view, period=per,
                      months=bounded.months() if bounded is not None else 0.0, by=by,
                      leads=leads, opportunities=opps, activities=acts, spend=spend,
                      handoff_days=handoff_days, lead_groups=everyone, retention=retention,
                      clocks=clocks)


def measure_kpis(selected: list[KpiDefinition], ctx: KpiContext, *, total: bool,
                 label: str | None = None) -> list[KpiRow]:
    """One grouped query per base for the KPIs' measures, then one row per KPI and group."""
    # A KPI whose stage role the contract lacks is not measured: its rows have no value.
    measurable = [d for d in selected if not d.missing_roles(ctx.contract)]
    split = [d for d in measurable if ctx.by in d.split_dimensions]
    per_lead = [d for d in measurable if d.per_lead and d not in split]
    general = [d for d in measurable if d not in split and d not in per_lead]
    per_base: dict[str, dict[str, ir.Scalar]] = defaultdict(dict)
    for d in general:
        for base, measures in cast(MeasureBuilder, d.measures)(ctx).items():
            for name, expr in measures.items():
                per_base[base][f"{d.name}{_SEP}{name}"] = expr
    # values[kpi][group][measure]
    values: dict[str, dict[str, dict[str, Any]]] = defaultdict(lambda: defaultdict(dict))
    for d in per_lead:
        for group, measures in cast(PerLead, d.measures)(ctx).items():
            values[d.name][group].update(measures)
    for base in BASES:
        if not per_base.get(base):
            continue
        t = ctx.table(base)
        for rec in t.group_by("group").aggregate(**per_base[base]).to_pyarrow().to_pylist():
            for key, v in rec.items():
                if key != "group":
                    kpi, _, name = key.partition(_SEP)
                    values[kpi][rec["group"]][name] = v
    for d in split:
        assert d.split is not None
        for rec in d.split(ctx).to_pyarrow().to_pylist():
            values[d.name][rec["group"]].update({k: v for k, v in rec.items() if k != "group"})
    rows: list[KpiRow] = []
    for d in selected:
        rows.extend(_rows(d, ctx, values[d.name], total=total, label=label))
    return rows


def _rows(d: KpiDefinition, ctx: KpiContext, groups: dict[str, dict[str, Any]], *,
          total: bool, label: str | None) -> list[KpiRow]:
    target_cfg = ctx.contract.kpi_targets.get(d.name)
    target = target_cfg.target if target_cfg is not None else None
    direction = (target_cfg.direction if target_cfg is not None and target_cfg.direction
                 else d.direction)

    unmeasured = bool(d.missing_roles(ctx.contract))  # no value: a stage role is missing

    def row(group: str, measures: dict[str, Any]) -> KpiRow:
        m = Measure(None, None, None) if unmeasured else d.finish(measures, ctx)
        return KpiRow(d.name, group, m.value, m.numerator, m.denominator, d.unit, target,
                      direction, kpi_status(m.value, target, direction), total)

    if total:  # exactly one company-wide row, even with nothing to measure
        return [row(label or ALL_LABEL, groups.get(ALL_LABEL, {}))]
    out = []
    for group, measures in groups.items():
        r = row(label or group, measures)
        if r.value is None and not r.numerator and not r.denominator:
            continue  # a group with nothing to measure in this period
        out.append(r)
    return out


def _clock_note(contract: CompiledContract, as_of: datetime) -> str:
    sla = contract.speed_to_lead
    if sla is None:
        return ("speed-to-lead KPIs have no value: the contract has no first_touch SLA "
                "(slas.<name>.kind: first_touch)")
    if sla.calendar == "owner":
        where = "each responsible rep's own calendar (calendar: owner)"
    else:
        cal = contract.source.calendar
        where = (f"the contract calendar ({cal.timezone}, {cal.hours}, {'/'.join(cal.days)}, "
                 f"holidays {cal.holidays or 'none'})")
    return (f"speed-to-lead: the {sla.name} SLA clock as `accord sla` reads it, as of "
            f"{as_of.isoformat(sep=' ', timespec='minutes')} UTC: business minutes from the "
            f"first entry into {sla.start} to the first sales activity on {where}; "
            f"within {sla.within}")


def _why_not(by: str, d: KpiDefinition) -> str:
    if by == "rejection_reason":
        return "only the rejection rate splits by reason"
    if d.dimensions == CUSTOMER_DIMENSIONS:
        return ("renewals and expansions belong to accounts: they split by the account's "
                "industry, segment and region, by rep and by month")
    return f"spend is recorded by month, channel and campaign, not by {by}"
