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
from typing import Any, cast

import ibis.expr.types as ir

from accord.analytics.kpis.context import BASES, VIEW_LABELS, VIEWS, KpiContext, View, in_period
from accord.analytics.kpis.definitions import (
    DEFAULT_HANDOFF_DAYS,
    KPIS,
    KpiDefinition,
    MeasureBuilder,
    PerLead,
    sla_within,
)
from accord.analytics.kpis.dimensions import (
    ALL_LABEL,
    check_dimension,
    group_activities,
    group_leads,
    group_opportunities,
    group_spend,
)
from accord.analytics.kpis.errors import KpiError
from accord.analytics.kpis.period import Period, month_period, parse_period, span_months
from accord.analytics.kpis.report import KpiReport, KpiRow, kpi_status
from accord.analytics.kpis.timeline import clock_start_stage, lead_timeline, speed_to_lead_sla
from accord.contract.issues import did_you_mean
from accord.contract.schema import Contract
from accord.store import Store

_SEP = "__"


def compute_kpis(store: Store, contract: Contract, *, period: str | Period | None = None,
                 by: str | None = None, view: View = "cohort",
                 kpis: Iterable[str] | None = None,
                 handoff_days: float = DEFAULT_HANDOFF_DAYS) -> KpiReport:
    """Every KPI (or the named ones) for `period`, company-wide and split `by` a dimension.

    `view` is `cohort` (leads created in the period, followed to today) or `period`
    (events in the period); see `context.py`. Targets come from the contract's `kpis`.
    """
    if view not in VIEWS:
        raise KpiError(f"unknown view {view!r}; use cohort or period")
    check_dimension(by)
    selected = select_kpis(kpis)
    if handoff_days <= 0:
        raise KpiError(f"handoff days must be positive, got {handoff_days}")
    per = period if isinstance(period, Period) else parse_period(period)
    notes = [VIEW_LABELS[view]]
    if any(d.per_lead for d in selected):
        notes.append(_clock_note(contract))
    if by is not None:
        unsupported = [d.name for d in selected if by not in d.dimensions]
        if unsupported:
            notes.append(f"not split by {by}: {', '.join(unsupported)} ({_why_not(by)})")
    rows: list[KpiRow] = []
    for ctx, label, total in kpi_contexts(store, contract, per, by, view, handoff_days):
        chosen = selected if total else [d for d in selected if by in d.dimensions]
        rows.extend(measure_kpis(chosen, ctx, total=total, label=label))
    if contract.economics.ltv_per_customer is None and any(d.name == "ltv_to_cac"
                                                           for d in selected):
        notes.append("ltv_to_cac has no value: set economics.ltv_per_customer in the contract")
    order = {d.name: i for i, d in enumerate(selected)}
    rows.sort(key=lambda r: (order[r.kpi], not r.total, r.group))
    return KpiReport(view=view, view_label=VIEW_LABELS[view], period=per, by=by,
                     contract_version=contract.version,
                     definitions=tuple((d.name, d.definition) for d in selected),
                     rows=tuple(rows), notes=tuple(notes))


def select_kpis(kpis: Iterable[str] | None) -> list[KpiDefinition]:
    """The registry entries named (all when None), in registry order; unknown names fail."""
    if kpis is None:
        return list(KPIS.values())
    names = list(kpis)
    for n in names:
        if n not in KPIS:
            hint = did_you_mean(n, KPIS)
            raise KpiError(f"unknown KPI {n!r}" + (f" ({hint})" if hint else "")
                           + f"; known: {', '.join(KPIS)}")
    return [KPIS[n] for n in KPIS if n in names]


def kpi_contexts(store: Store, contract: Contract, period: Period, by: str | None,
                 view: View, handoff_days: float = DEFAULT_HANDOFF_DAYS,
                 ) -> Iterator[tuple[KpiContext, str | None, bool]]:
    """The contexts to measure: (context, group label or None, is the company-wide row).

    First the whole period (group `all`), then the split: one context per calendar month
    for `month` (labelled `YYYY-MM`), else one context whose `group` column is `by`.
    The lead timeline is materialised once for all of them.
    """
    bounded = period if not period.is_all_time else data_span(store)
    timeline = lead_timeline(store, contract).cache()
    yield build_context(store, contract, timeline, view, period, bounded, None,
                        handoff_days), None, True
    if by == "month":
        if bounded is None:
            raise KpiError("no leads in the store, so there are no months to split by")
        for start in bounded.month_starts():
            month = month_period(start)
            yield build_context(store, contract, timeline, view, month, month, None,
                                handoff_days), month.label, False
    elif by is not None:
        yield build_context(store, contract, timeline, view, period, bounded, by,
                            handoff_days), None, False


def data_span(store: Store) -> Period | None:
    """The whole months from the first to the last lead creation (None without leads)."""
    leads = store.table("leads")
    row = leads.aggregate(first=leads.created_at.min(),
                          last=leads.created_at.max()).to_pyarrow().to_pylist()[0]
    if row["first"] is None:
        return None
    return span_months(row["first"], row["last"])


def build_context(store: Store, contract: Contract, timeline: ir.Table, view: View,
                  per: Period, bounded: Period | None, by: str | None,
                  handoff_days: float) -> KpiContext:
    """The base tables for one view, period and dimension (see `KpiContext`)."""
    leads = group_leads(store, timeline, by)
    if by is not None:
        leads = leads.cache()
    opps = group_opportunities(store, leads, by)
    acts = group_activities(store, leads)
    spend = group_spend(store, by)
    if view == "cohort":
        leads = leads.filter(in_period(per, leads.created_at))
        opps = opps.filter(in_period(per, opps.cohort_at))
    if spend is not None:
        spend = spend.filter(in_period(per, spend.month.cast("timestamp")))
    return KpiContext(contract=contract, view=view, period=per,
                      months=bounded.months() if bounded is not None else 0.0, by=by,
                      leads=leads, opportunities=opps, activities=acts, spend=spend,
                      handoff_days=handoff_days)


def measure_kpis(selected: list[KpiDefinition], ctx: KpiContext, *, total: bool,
                 label: str | None = None) -> list[KpiRow]:
    """One grouped query per base for the KPIs' measures, then one row per KPI and group."""
    split = [d for d in selected if ctx.by in d.split_dimensions]
    per_lead = [d for d in selected if d.per_lead and d not in split]
    general = [d for d in selected if d not in split and d not in per_lead]
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
    target_cfg = ctx.contract.kpis.get(d.name)
    target = target_cfg.target if target_cfg is not None else None
    direction = (target_cfg.direction if target_cfg is not None and target_cfg.direction
                 else d.direction)

    def row(group: str, measures: dict[str, Any]) -> KpiRow:
        m = d.finish(measures, ctx)
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


def _clock_note(contract: Contract) -> str:
    cal = contract.calendar
    sla = "SLA" if speed_to_lead_sla(contract) else "no first-touch SLA in the contract; seed 002"
    return (f"speed-to-lead: business minutes from {clock_start_stage(contract)} to the first "
            f"sales activity on the contract calendar ({cal.timezone}, {cal.hours}, "
            f"{'/'.join(cal.days)}, holidays {cal.holidays or 'none'}); {sla}: "
            f"{sla_within(contract)}")


def _why_not(by: str) -> str:
    if by == "rejection_reason":
        return "only the MQL rejection rate splits by reason"
    return f"spend is recorded by month, channel and campaign, not by {by}"
