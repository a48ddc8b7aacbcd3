"""The shared KPIs both teams own (DOMAIN.md §4; contract key `kpis`).

`KPIS` is the one registry: each KPI's one-line definition, unit, direction, dimensions
and Ibis builder. `compute_kpis(store, contract, period=..., by=..., view=...)` returns a
frozen `KpiReport`: rows of KPI, group, value, numerator, denominator, target and status,
in the cohort view (leads created in the period) or the period view (events in it).
`docs/kpis.md` is generated from the registry (`render_kpi_docs`).
"""

from __future__ import annotations

from accord.analytics.kpis.compute import compute_kpis, select_kpis
from accord.analytics.kpis.context import VIEW_LABELS, VIEWS, KpiContext, View
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
    "DEFAULT_HANDOFF_DAYS",
    "DIMENSIONS",
    "EFFECTIVE_HANDOFF_RATE",
    "KPIS",
    "NONE_LABEL",
    "STATUSES",
    "VIEWS",
    "VIEW_LABELS",
    "Dimension",
    "KpiContext",
    "KpiDefinition",
    "KpiError",
    "KpiReport",
    "KpiRow",
    "Measure",
    "Period",
    "Status",
    "View",
    "compute_kpis",
    "kpi_status",
    "lead_timeline",
    "parse_period",
    "select_kpis",
]
