"""The one "now" (`--as-of`): the moment a command treats as now, chosen in one place.

Default: the latest fact time in the store (leads created, touches, sales activities,
stage events, opportunities created or closed), so a store of historical or simulated
facts reads as of its own end; the wall clock when the store is empty or for live work.
Engine, KPIs, SLA clocks and org health all take the `AsOf` this returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from accord.contract.instants import naive_utc, utc_now
from accord.store.base import Store

AsOfSource = Literal["given", "latest fact", "current time"]

#: (fact table, time column) pairs whose latest value is the store's latest fact time.
FACT_TIMES: tuple[tuple[str, str], ...] = (
    ("leads", "created_at"), ("touches", "occurred_at"), ("activities", "occurred_at"),
    ("stage_events", "occurred_at"), ("opportunities", "created_at"),
    ("opportunities", "closed_at"),
)


@dataclass(frozen=True)
class AsOf:
    """`at` (naive UTC) and where it came from, shown beside every figure."""

    at: datetime
    source: AsOfSource


def latest_fact_time(store: Store) -> datetime | None:
    """The latest timestamp among the facts of `FACT_TIMES`; None for an empty store."""
    found: list[datetime] = []
    for table, col in FACT_TIMES:
        value = store.table(table)[col].max().to_pyarrow().as_py()
        if value is not None:
            found.append(naive_utc(value))
    return max(found) if found else None


def resolve_as_of(store: Store, given: datetime | None = None) -> AsOf:
    """`given` (as naive UTC), else the store's latest fact time, else the wall clock."""
    if given is not None:
        return AsOf(naive_utc(given), "given")
    latest = latest_fact_time(store)
    if latest is not None:
        return AsOf(latest, "latest fact")
    return AsOf(utc_now(), "current time")
