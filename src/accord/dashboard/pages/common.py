"""What every page builder is handed (`PageContext`) and the pickers pages share."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.analytics.kpis.dimensions import LEAD_DIMENSIONS
from accord.dashboard.auth import DashboardSession
from accord.dashboard.page import Picker
from accord.engine.views import VIEW_LABELS, check_view
from accord.store.as_of import latest_fact_time


@dataclass(frozen=True)
class PageContext:
    """The running service (store, compiled contract, intake), who is looking, and the
    page's query parameters."""

    svc: Any
    session: DashboardSession
    params: Mapping[str, str]

    @property
    def store(self) -> Any:
        return self.svc.store

    @property
    def contract(self) -> Any:
        return self.svc.contract

    @property
    def role(self) -> str:
        return str(self.session.who.role)

    def get(self, name: str, default: str | None = None) -> str | None:
        value = self.params.get(name)
        return value if value not in (None, "") else default

    @property
    def view(self) -> str:
        return check_view(self.get("view", "actual") or "actual")

    @property
    def period(self) -> str | None:
        p = self.get("period")
        return None if p in (None, "all") else p

    @property
    def by(self) -> str | None:
        b = self.get("by")
        return None if b in (None, "none") else b


def freshness(ctx: PageContext) -> tuple[tuple[str, str], ...]:
    """The contract version deciding and the newest fact's time: on every page."""
    latest: datetime | None = latest_fact_time(ctx.store)
    return (("Contract version", str(ctx.contract.version)),
            ("Data as of", latest.strftime("%Y-%m-%d %H:%M UTC") if latest else "no facts"))


def view_picker(ctx: PageContext) -> Picker:
    return Picker("view", "View", ctx.view, tuple((v, label) for v, label
                                                   in VIEW_LABELS.items()))


def period_picker(ctx: PageContext) -> Picker:
    """All time, and each year and quarter the leads span."""
    options: list[tuple[str, str]] = [("all", "all time")]
    t = ctx.store.table("leads")
    bounds = t.aggregate(lo=t.created_at.min(), hi=t.created_at.max()).to_pyarrow().to_pylist()
    lo, hi = (bounds[0]["lo"], bounds[0]["hi"]) if bounds else (None, None)
    if lo is not None and hi is not None:
        for year in range(hi.year, lo.year - 1, -1):
            options.append((str(year), str(year)))
            for q in range(4, 0, -1):
                first_month = 3 * q - 2
                if (year, first_month + 2) >= (lo.year, lo.month) and \
                        (year, first_month) <= (hi.year, hi.month):
                    options.append((f"{year}-Q{q}", f"{year} Q{q}"))
    value = ctx.get("period", "all") or "all"
    if value not in dict(options):
        options.append((value, value))
    return Picker("period", "Period", value, tuple(options))


def by_picker(ctx: PageContext, choices: tuple[str, ...] | None = None) -> Picker:
    names = choices if choices is not None else tuple(sorted(LEAD_DIMENSIONS))
    return Picker("by", "Split by", ctx.by or "none",
                  (("none", "nothing"), *((n, n.replace("_", " ")) for n in names)))
