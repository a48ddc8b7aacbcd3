"""KPI results: one row per KPI and group, beside its contract target with a status.

Status of a value against the contract's `kpis.<name>.target` (direction from the contract,
else the KPI's own): `ok` when the target is met; `warn` when it is missed by at most
`WARN_TOLERANCE` of the target (10%: e.g. MQL→SAL 0.65 against 0.70); `off-target` beyond
that; `no-target` when the contract sets none; `no-data` when there is a target but nothing
to measure (e.g. no MQLs in the period).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from accord.analytics.kpis.period import Period
from accord.contract.kpi_names import Direction
from accord.errors import UnknownNameError

Status = Literal["ok", "warn", "off-target", "no-target", "no-data"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "off-target", "no-target", "no-data")
WARN_TOLERANCE = 0.10


def kpi_status(value: float | None, target: float | None, direction: Direction) -> Status:
    """Compare a value with its target; see the module docstring for the bands."""
    if target is None:
        return "no-target"
    if value is None:
        return "no-data"
    band = abs(target) * WARN_TOLERANCE
    if direction == "at_least":
        return "ok" if value >= target else ("warn" if value >= target - band else "off-target")
    return "ok" if value <= target else ("warn" if value <= target + band else "off-target")


@dataclass(frozen=True)
class KpiRow:
    kpi: str
    group: str
    value: float | None
    numerator: float | None
    denominator: float | None
    unit: str
    target: float | None
    direction: Direction
    status: Status
    total: bool = False  # the company-wide row of the period (group `all`)

    def as_dict(self) -> dict[str, object]:
        return {"kpi": self.kpi, "group": self.group, "value": self.value,
                "numerator": self.numerator, "denominator": self.denominator,
                "unit": self.unit, "target": self.target, "direction": self.direction,
                "status": self.status, "total": self.total}


@dataclass(frozen=True)
class KpiReport:
    """KPIs for one view, basis and period, company-wide (`group == "all"`) and by `by`."""

    view: str
    view_label: str
    basis: str
    basis_label: str
    as_of: datetime
    period: Period
    by: str | None
    contract_version: int
    definitions: tuple[tuple[str, str], ...]  # (kpi, one-line definition), registry order
    rows: tuple[KpiRow, ...]
    notes: tuple[str, ...]

    def row(self, kpi: str, group: str | None = None) -> KpiRow:
        """The company-wide row of `kpi`, or its row for `group` when given."""
        for r in self.rows:
            if r.kpi == kpi and (r.total if group is None else (r.group == group
                                                                 and not r.total)):
                return r
        if kpi not in {r.kpi for r in self.rows}:
            raise UnknownNameError("KPI", kpi, [name for name, _ in self.definitions])
        raise UnknownNameError(f"group of {kpi}", group, sorted(self.groups(kpi)))

    def value(self, kpi: str, group: str | None = None) -> float | None:
        return self.row(kpi, group).value

    def groups(self, kpi: str) -> dict[str, KpiRow]:
        """The split rows of one KPI (without the company-wide row), by group label."""
        return {r.group: r for r in self.rows if r.kpi == kpi and not r.total}

    def as_dict(self) -> dict[str, object]:
        return {"view": self.view, "view_label": self.view_label,
                "basis": self.basis, "basis_label": self.basis_label,
                "as_of": self.as_of.isoformat(),
                "period": self.period.as_dict(), "by": self.by,
                "contract_version": self.contract_version,
                "definitions": dict(self.definitions),
                "rows": [r.as_dict() for r in self.rows], "notes": list(self.notes)}
