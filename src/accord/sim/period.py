"""The simulated period: months and days as UTC microsecond instants.

Timestamps inside the simulator are int64 microseconds since 1970-01-01 UTC, the
storage unit of the fact format (`timestamp("us")`, UTC, stored without a zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt

US_PER_SECOND = 1_000_000
US_PER_MINUTE = 60 * US_PER_SECOND
US_PER_HOUR = 60 * US_PER_MINUTE
US_PER_DAY = 24 * US_PER_HOUR

I64 = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Period:
    start: date
    months: int
    month_starts: I64  # months + 1 boundaries, microseconds
    day_starts: I64  # every day of the period, microseconds
    day_month: npt.NDArray[np.int64]  # 0-based month index of each day
    day_calendar_month: npt.NDArray[np.int64]  # 1..12
    day_weekday: npt.NDArray[np.int64]  # 0 = Monday

    @property
    def start_us(self) -> int:
        return int(self.month_starts[0])

    @property
    def end_us(self) -> int:
        return int(self.month_starts[-1])

    @property
    def n_days(self) -> int:
        return len(self.day_starts)

    def month_index(self, t_us: I64) -> I64:
        """0-based month of each instant (clipped into the period)."""
        idx = np.searchsorted(self.month_starts, t_us, side="right") - 1
        return np.clip(idx, 0, self.months - 1).astype(np.int64)

    def month_dates_days(self) -> npt.NDArray[np.int32]:
        """First day of each month as days since the epoch (Arrow date32)."""
        return (self.month_starts[:-1] // US_PER_DAY).astype(np.int32)


def make_period(start: date, months: int) -> Period:
    if months < 1:
        raise ValueError("months must be at least 1")
    first = np.datetime64(date(start.year, start.month, 1), "M")
    bounds_m = first + np.arange(months + 1)
    bounds_d = bounds_m.astype("datetime64[D]")
    start_d = np.datetime64(start, "D")
    bounds_d[0] = max(bounds_d[0], start_d)
    month_starts = bounds_d.astype("datetime64[us]").astype(np.int64)
    days = np.arange(bounds_d[0], bounds_d[-1], dtype="datetime64[D]")
    day_month = np.searchsorted(bounds_d, days, side="right") - 1
    cal_month = (days.astype("datetime64[M]").astype(np.int64) % 12) + 1
    weekday = (days.astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
    return Period(
        start=start,
        months=months,
        month_starts=month_starts,
        day_starts=days.astype("datetime64[us]").astype(np.int64),
        day_month=day_month.astype(np.int64),
        day_calendar_month=cal_month.astype(np.int64),
        day_weekday=weekday.astype(np.int64),
    )
