"""The KPI error: an unknown KPI, dimension, view or period, or a missing derived table."""

from __future__ import annotations

from accord.errors import AccordError


class KpiError(AccordError, ValueError):
    """KPIs cannot be computed as asked; the message names the input and how to fix it."""
