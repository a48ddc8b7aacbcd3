"""The shared KPIs both teams own (DOMAIN.md §4; contract key `kpis`).

`KPIS` is the one registry: each KPI's one-line definition, unit, direction, dimensions,
stage roles and Ibis builder. `compute_kpis(store, contract, period=..., by=...,
basis=..., view=..., as_of=...)` returns a frozen `KpiReport`: rows of KPI, group, value,
numerator, denominator, target and status, on the cohort basis (leads created in the
period) or the period basis (events in it), reading stage moves from the actual or the
derived view; the speed-to-lead KPIs read the SLA clock of `accord sla`.
`docs/kpis.md` is generated from the registry (`render_kpi_docs`).
"""

from __future__ import annotations

from accord.analytics.kpis.compute import compute_kpis, select_kpis
from accord.analytics.kpis.context import BASIS_CHOICES, BASIS_LABELS, Basis, KpiContext
from accord.analytics.kpis.definitions import (
    DEFAULT_HANDOFF_DAYS,
    EFFECTIVE_HANDOFF_RATE,
    KPIS,
    KpiDefinition,
    Measure,
)
from accord.analytics.kpis.dimensions import ALL_LABEL, DIMENSIONS, NONE_LABEL, Dimension
from accord.analytics.kpis.errors import KpiError
from accord.analytics.kpis.period import ALL_TIME, Period, parse_period
from accord.analytics.kpis.report import STATUSES, KpiReport, KpiRow, Status, kpi_status
from accord.analytics.kpis.timeline import lead_timeline

__all__ = [
    "ALL_LABEL",
    "ALL_TIME",
    "BASIS_CHOICES",
    "BASIS_LABELS",
    "DEFAULT_HANDOFF_DAYS",
    "DIMENSIONS",
    "EFFECTIVE_HANDOFF_RATE",
    "KPIS",
    "NONE_LABEL",
    "STATUSES",
    "Basis",
    "Dimension",
    "KpiContext",
    "KpiDefinition",
    "KpiError",
    "KpiReport",
    "KpiRow",
    "Measure",
    "Period",
    "Status",
    "compute_kpis",
    "kpi_status",
    "lead_timeline",
    "parse_period",
    "select_kpis",
]
