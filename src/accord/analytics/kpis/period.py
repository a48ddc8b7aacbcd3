"""Reporting periods for KPIs: a year, a quarter, a month or a date range.

Bounds are UTC calendar days, half-open (`start <= t < end`), because facts store UTC
timestamps (DESIGN.md, principle 2). Accepted forms::

    2026            the calendar year
    2026-Q1         a quarter
    2026-03         a month
    2026-01-15..2026-02-14   a range of days, both ends included

No period means all time; `months` then spans the first to the last month with a lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from accord.analytics.kpis.errors import KpiError

AVERAGE_MONTH_DAYS = 365.25 / 12
EXAMPLES = "2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14"


@dataclass(frozen=True)
class Period:
    """A half-open UTC interval `[start, end)`; both None means all time."""

    label: str
    start: datetime | None
    end: datetime | None

    @property
    def is_all_time(self) -> bool:
        return self.start is None and self.end is None

    def months(self) -> float:
        """Length in months: whole calendar months when aligned to month starts, else days
        divided by the average month (365.25 / 12 days)."""
        if self.start is None or self.end is None:
            raise KpiError("an all-time period has no length until it is bounded by the data")
        if self.start.day == 1 and self.end.day == 1 and self.start.time() == self.end.time():
            return float((self.end.year - self.start.year) * 12 + self.end.month
                         - self.start.month)
        return (self.end - self.start) / timedelta(days=AVERAGE_MONTH_DAYS)

    def month_starts(self) -> list[datetime]:
        """First instants of the calendar months the period touches, in order."""
        if self.start is None or self.end is None:
            raise KpiError("an all-time period cannot be split into months")
        out: list[datetime] = []
        cur = datetime(self.start.year, self.start.month, 1)
        while cur < self.end:
            out.append(cur)
            cur = _add_months(cur, 1)
        return out

    def as_dict(self) -> dict[str, str | None]:
        return {"label": self.label,
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}


ALL_TIME = Period("all time", None, None)


def month_period(start: datetime) -> Period:
    """The calendar month starting at `start` (the first of a month)."""
    return Period(f"{start.year:04d}-{start.month:02d}", start, _add_months(start, 1))


def span_months(first: datetime, last: datetime) -> Period:
    """The whole calendar months from `first`'s month to `last`'s month, inclusive."""
    start = datetime(first.year, first.month, 1)
    end = _add_months(datetime(last.year, last.month, 1), 1)
    return Period(f"{start:%Y-%m}..{_add_months(end, -1):%Y-%m}", start, end)


def parse_period(text: str | None) -> Period:
    """Parse a period as written on the command line; None or `all` is all time."""
    if text is None or text.strip().lower() in ("", "all"):
        return ALL_TIME
    s = text.strip()
    try:
        if m := re.fullmatch(r"(\d{4})", s):
            y = int(m.group(1))
            return Period(s, datetime(y, 1, 1), datetime(y + 1, 1, 1))
        if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", s):
            y, q = int(m.group(1)), int(m.group(2))
            start = datetime(y, 3 * q - 2, 1)
            return Period(f"{y}-Q{q}", start, _add_months(start, 3))
        if m := re.fullmatch(r"(\d{4})-(\d{2})", s):
            start = datetime(int(m.group(1)), int(m.group(2)), 1)
            return Period(s, start, _add_months(start, 1))
        if m := re.fullmatch(r"(\d{4}-\d{2}-\d{2})\s*\.\.\s*(\d{4}-\d{2}-\d{2})", s):
            first, last = date.fromisoformat(m.group(1)), date.fromisoformat(m.group(2))
            if last < first:
                raise KpiError(f"period {s!r} ends before it starts")
            start = datetime(first.year, first.month, first.day)
            return Period(f"{first}..{last}", start, start + timedelta(days=(last - first).days
                                                                       + 1))
    except ValueError as exc:
        if isinstance(exc, KpiError):
            raise
        raise KpiError(f"period {s!r} is not a real date ({exc}); use {EXAMPLES}") from None
    raise KpiError(f"unknown period {s!r}; use {EXAMPLES}")


def _add_months(d: datetime, n: int) -> datetime:
    idx = d.year * 12 + d.month - 1 + n
    return datetime(idx // 12, idx % 12 + 1, 1)
