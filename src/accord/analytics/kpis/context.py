"""What a KPI builder sees: the grouped tables, the basis, the view, the period, the
contract and the speed-to-lead clocks.

Two bases (analytics issue §1), always labelled in reports:

- **cohort**: the leads *created* in the period, followed to today. Every outcome of those
  leads counts, whenever it happened. Opportunities belong to their lead's cohort (an
  opportunity without a lead, to the month it was created).
- **period**: the events that *happened* in the period, whoever they belong to. A
  conversion compares two flows in the period (SALs reached ÷ MQLs reached), so it can
  exceed 100% when a stage lags the one before.

Independently, the stage moves come from a named **view** (`engine/views.py`): `actual`
(the stage events as people and the CRM recorded them, the default) or `derived` (the
engine's recomputation under the contract).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import ibis.expr.types as ir
import pyarrow as pa

from accord.analytics.kpis.period import Period
from accord.contract.compiled import CompiledContract
from accord.engine.views import View

Basis = Literal["cohort", "period"]
BASIS_CHOICES: tuple[Basis, ...] = ("cohort", "period")
BASIS_LABELS: dict[Basis, str] = {
    "cohort": "cohort basis: leads created in the period, followed to today",
    "period": "period basis: events that happened in the period",
}


Base = Literal["leads", "opportunities", "activities", "spend", "retention"]
BASES: tuple[Base, ...] = ("leads", "opportunities", "activities", "spend", "retention")


@dataclass(frozen=True)
class KpiContext:
    """Inputs of every KPI: the base tables (each with a string `group` column), the basis,
    the view, the period and the contract.

    - `leads`: the lead timeline (`timeline.py`); cohort basis: only leads created in the
      period.
    - `lead_groups`: every lead's id, creation time and `group`, whatever the basis (to
      give an SLA clock its lead's group).
    - `opportunities`: the new-business opportunities (`deals.py`), with `cohort_at`;
      cohort basis: only those of the cohort.
    - `retention`: the renewals and expansions, as `deals.retention_base` lays them out
      (cohort basis: only those of the cohort).
    - `activities`: every sales activity, with its lead's group.
    - `spend`: spend rows of the period; None when spend has no such dimension.
    - `clocks`: the speed-to-lead SLA's clock states (`engine/sla_clock.py`); None when
      no selected KPI reads them or the contract has no first-touch SLA.
    - `memo`: per-context scratch space, so KPIs that share one fetch run it once.
    """

    contract: CompiledContract
    basis: Basis
    view: View
    period: Period
    months: float  # length of the period in months (for per-month KPIs)
    by: str | None
    leads: ir.Table
    opportunities: ir.Table
    activities: ir.Table
    spend: ir.Table | None
    handoff_days: float
    lead_groups: ir.Table
    retention: ir.Table | None = None
    clocks: pa.Table | None = None
    memo: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def table(self, base: Base) -> ir.Table:
        t = getattr(self, base)
        if t is None:
            raise KeyError(f"no {base} table for dimension {self.by!r}")
        return t

    def in_period(self, col: ir.Value) -> ir.BooleanValue:
        """`col` falls in the period; never null (a null time is outside)."""
        return in_period(self.period, col)

    def happened(self, col: ir.Value) -> ir.BooleanValue:
        """Did the event at `col` count? Cohort basis: it happened at all (the row is already
        in the cohort); period basis: it happened in the period."""
        return happened(self.basis, self.period, col)


def happened(basis: Basis, period: Period, col: ir.Value) -> ir.BooleanValue:
    """`KpiContext.happened` for a basis and period (before there is a context)."""
    return col.notnull() if basis == "cohort" else in_period(period, col)


def in_period(period: Period, col: ir.Value) -> ir.BooleanValue:
    """`col` (a timestamp) falls in `period`; never null (a null time is outside)."""
    cond: ir.BooleanValue = col.notnull()
    if period.start is not None:
        cond = cond & (col >= period.start)
    if period.end is not None:
        cond = cond & (col < period.end)
    return cond.fill_null(False)


def count_if(cond: ir.BooleanValue) -> ir.IntegerScalar:
    """How many rows meet `cond` (0, not null, for an empty group)."""
    return cond.fill_null(False).ifelse(1, 0).sum().fill_null(0)
