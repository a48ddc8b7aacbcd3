"""Business-hours calendar for SLA clocks (contract key `calendar`).

A calendar has an IANA time zone, daily working hours (`09:00-18:00`, local wall time),
working weekdays, and optionally a country whose public holidays are days off (the
`holidays` package, observed days included; `US-CA` style codes pick a subdivision).

Rules:
- Timestamps in and out are UTC without a zone (as the store keeps them); aware
  datetimes are accepted and converted. Business arithmetic happens on the local wall
  clock: UTC → local, count working time, local → UTC.
- Business time is what lies inside the working hours of a working day. Outside it the
  clock is paused: overnight, weekends and holidays count nothing.
- `add_business(start, d)` is the earliest moment by which `d` of business time has
  passed since `start`. A clock that fills up exactly at closing time is due at closing
  time (Friday 17:30 + 30 business minutes is due Friday 18:00, not Monday 09:00).
- `N business_days` is N working days of the calendar's length: the same local time N
  working days later (a start outside hours is first rolled into hours).
  `N business_weeks` is N × (working days per week) business days.
  Hours and minutes without `business_` are wall-clock durations: real elapsed time,
  added in UTC.
- Daylight saving: working hours are wall-clock hours, so a working day is as long on a
  DST-change day as on any other. Transitions fall at night in practically every zone; if
  a calendar's hours contain one, local times in the skipped hour map to UTC with the
  offset in force before the change, and the repeated hour is counted once
  (Python's `fold=0`).

Two implementations that must agree (tests/engine/test_calendar.py checks with
hypothesis, and against a minute-by-minute reference): scalar methods on Python
datetimes for one lead, and `*_many` methods on NumPy `datetime64[us]` arrays for batch
(`np.busday_offset`/`np.busday_count` with the weekmask and holiday list; minutes inside
the day are plain integer arithmetic, in microseconds).
"""

from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from accord.contract.durations import Duration
from accord.contract.instants import naive_utc as _naive_utc
from accord.contract.schema import Calendar
from accord.errors import EngineError

US_PER_MINUTE = 60_000_000
US_PER_DAY = 86_400_000_000
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EPOCH = datetime(1970, 1, 1)
_YEAR_FLOOR, _YEAR_CEIL = 1900, 2200  # zone and holiday tables are built inside this span

Timestamps = npt.NDArray[np.datetime64]
Micros = npt.NDArray[np.int64]


# -- time zone offsets as arrays ---------------------------------------------------------------
def _offset_seconds(tz: ZoneInfo, epoch_s: int) -> int:
    off = datetime.fromtimestamp(epoch_s, tz).utcoffset()
    assert off is not None
    return int(off.total_seconds())


@functools.lru_cache(maxsize=512)
def _year_transitions(tz_name: str, year: int) -> tuple[int, tuple[tuple[int, int], ...]]:
    """Offset at the start of UTC year `year` and each change in it as (utc_s, new offset).

    Probed every 6 hours, each change pinned to the second by bisection.
    """
    tz = ZoneInfo(tz_name)
    lo = int((datetime(year, 1, 1) - _EPOCH).total_seconds())
    hi = int((datetime(year + 1, 1, 1) - _EPOCH).total_seconds())
    first = _offset_seconds(tz, lo)
    changes: list[tuple[int, int]] = []
    prev_s, prev_off = lo, first
    for s in range(lo + 21_600, hi + 21_600, 21_600):
        s = min(s, hi)
        off = _offset_seconds(tz, s)
        if off != prev_off:
            a, b = prev_s, s  # offset(a) == prev_off, offset(b) != prev_off
            while b - a > 1:
                mid = (a + b) // 2
                if _offset_seconds(tz, mid) == prev_off:
                    a = mid
                else:
                    b = mid
            if b < hi:
                changes.append((b, _offset_seconds(tz, b)))
            prev_off = off
        prev_s = s
    return first, tuple(changes)


@functools.lru_cache(maxsize=64)
def _zone_table(tz_name: str, y0: int, y1: int) -> tuple[Micros, Micros]:
    """(transition instants, offsets) in µs for UTC years y0..y1: offsets[i] holds from
    transitions[i-1] (offsets[0] before the first), so `offsets[searchsorted(t)]` works."""
    first, _ = _year_transitions(tz_name, y0)
    trans: list[int] = []
    offs: list[int] = [first]
    for y in range(y0, y1 + 1):
        start_off, changes = _year_transitions(tz_name, y)
        if start_off != offs[-1]:  # a change exactly at new year
            trans.append(int((datetime(y, 1, 1) - _EPOCH).total_seconds()))
            offs.append(start_off)
        for s, off in changes:
            trans.append(s)
            offs.append(off)
    return (np.asarray(trans, dtype=np.int64) * 1_000_000,
            np.asarray(offs, dtype=np.int64) * 1_000_000)


# -- holidays ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def _holidays_in_year(code: str, year: int) -> frozenset[date]:
    """Public holidays (observed days included) falling in `year` for `US` or `US-CA`."""
    import holidays as _holidays

    country, _, subdiv = code.partition("-")
    with warnings.catch_warnings():  # "available only from … to …": outside, none known
        warnings.simplefilter("ignore", UserWarning)
        found = _holidays.country_holidays(country, subdiv=subdiv or None,
                                           years=[year - 1, year, year + 1])
    return frozenset(d for d in found if d.year == year)


def _clip_year(y: int) -> int:
    return min(max(y, _YEAR_FLOOR), _YEAR_CEIL)


# -- the calendar ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BusinessCalendar:
    """Working time of the contract's calendar; see the module docstring for the rules."""

    timezone: str = "UTC"
    start_minute: int = 9 * 60
    end_minute: int = 17 * 60
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    holidays: str | None = None
    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _weekmask: tuple[bool, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise EngineError(
                f"calendar hours must lie within one day, got minutes {self.start_minute}"
                f"-{self.end_minute}; use e.g. 09:00-18:00")
        unknown = [d for d in self.days if d not in _WEEKDAYS]
        if unknown or not self.days:
            raise EngineError(
                f"calendar days must be a non-empty list of {', '.join(_WEEKDAYS)}, "
                f"got {list(self.days)}")
        object.__setattr__(self, "_tz", ZoneInfo(self.timezone))
        object.__setattr__(self, "_weekmask", tuple(d in self.days for d in _WEEKDAYS))

    @classmethod
    def from_contract(cls, cal: Calendar) -> BusinessCalendar:
        """The calendar of a contract's `calendar` section."""
        return cls(cal.timezone, cal.start_minute, cal.end_minute, tuple(cal.days),
                   cal.holidays)

    # -- lengths -------------------------------------------------------------------------------
    @property
    def day_minutes(self) -> int:
        """Business minutes in one working day (9 × 60 = 540 for 09:00-18:00)."""
        return self.end_minute - self.start_minute

    @property
    def _window_us(self) -> int:
        return self.day_minutes * US_PER_MINUTE

    @property
    def _start_us(self) -> int:
        return self.start_minute * US_PER_MINUTE

    def length_us(self, duration: Duration) -> int:
        """Length of a duration in µs of its own kind: business time when
        `duration.business`, else wall-clock time."""
        if not duration.business:
            return round(duration.minutes * US_PER_MINUTE)
        match duration.unit:
            case "minutes" | "hours":
                return round(duration.minutes * US_PER_MINUTE)
            case "days":
                return round(duration.amount * self._window_us)
            case "weeks":
                return round(duration.amount * len(self.days) * self._window_us)

    def length_minutes(self, duration: Duration) -> float:
        """Length of a duration in minutes of its own kind (see `length_us`)."""
        return self.length_us(duration) / US_PER_MINUTE

    # -- scalar: one moment at a time (live path) ----------------------------------------------
    def is_working_day(self, day: date) -> bool:
        if not self._weekmask[day.weekday()]:
            return False
        return not (self.holidays and day in _holidays_in_year(self.holidays, day.year))

    def to_local(self, utc: datetime) -> datetime:
        """Local wall time (naive) of a UTC moment (naive UTC or aware)."""
        aware = utc.replace(tzinfo=UTC) if utc.tzinfo is None else utc
        return aware.astimezone(self._tz).replace(tzinfo=None)

    def to_utc(self, local: datetime) -> datetime:
        """Naive UTC of a local wall time (`fold=0` in gaps and repeats)."""
        return local.replace(tzinfo=self._tz, fold=0).astimezone(UTC).replace(tzinfo=None)

    def _day_position(self, local: datetime) -> tuple[date, int]:
        """(day, µs of business time already done that day); 0 on a day off."""
        day = local.date()
        if not self.is_working_day(day):
            return day, 0
        tod = (local - datetime.combine(day, datetime.min.time())) // timedelta(microseconds=1)
        return day, min(max(tod - self._start_us, 0), self._window_us)

    def _next_working_day(self, day: date) -> date:
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_business(self, start: datetime, duration: Duration) -> datetime:
        """Due moment (naive UTC) of `duration` counted from `start`.

        Business durations count working time only; plain durations are added in UTC.
        """
        utc = _naive_utc(start)
        if not duration.business:
            return utc + timedelta(microseconds=self.length_us(duration))
        return self._add_business_us(utc, self.length_us(duration))

    def add_business_minutes(self, start: datetime, minutes: float) -> datetime:
        """Due moment (naive UTC) of `minutes` business minutes counted from `start`."""
        return self._add_business_us(_naive_utc(start), round(minutes * US_PER_MINUTE))

    def _add_business_us(self, utc: datetime, d: int) -> datetime:
        if d < 0:
            raise EngineError(f"cannot add a negative business duration ({d} µs)")
        if d == 0:
            return utc
        day, done = self._day_position(self.to_local(utc))
        if not self.is_working_day(day):
            day = self._next_working_day(day)
        remaining = done + d
        while remaining > self._window_us:
            day = self._next_working_day(day)
            remaining -= self._window_us
        local = datetime.combine(day, datetime.min.time()) + timedelta(
            microseconds=self._start_us + remaining)
        return self.to_utc(local)

    def business_minutes_between(self, a: datetime, b: datetime) -> float:
        """Business minutes from `a` to `b` (negative when `b` is before `a`)."""
        la, lb = self.to_local(_naive_utc(a)), self.to_local(_naive_utc(b))
        if lb < la:
            return -self.business_minutes_between(b, a)
        da, done_a = self._day_position(la)
        db, done_b = self._day_position(lb)
        full = 0
        day = da
        while day < db:
            full += self.is_working_day(day)
            day += timedelta(days=1)
        return (full * self._window_us + done_b - done_a) / US_PER_MINUTE

    # -- vectorised: arrays of moments (batch) -------------------------------------------------
    def _years(self, us: Micros) -> tuple[int, int]:
        valid = us[us != np.iinfo(np.int64).min]
        if valid.size == 0:
            return 2000, 2000
        lo = int(valid.min()) // US_PER_DAY
        hi = int(valid.max()) // US_PER_DAY
        y0 = int(str(np.datetime64(lo, "D").astype("datetime64[Y]")))
        y1 = int(str(np.datetime64(hi, "D").astype("datetime64[Y]")))
        return _clip_year(y0 - 1), _clip_year(y1 + 1)

    def _offsets(self, utc_us: Micros, table: tuple[Micros, Micros]) -> Micros:
        trans, offs = table
        return offs[np.searchsorted(trans, utc_us, side="right")]

    def local_us_many(self, utc: Timestamps) -> Micros:
        """Local wall time as µs since the (local) epoch, for naive UTC datetime64s."""
        us = _as_us(utc)
        y0, y1 = self._years(us)
        return us + self._offsets(us, _zone_table(self.timezone, y0, y1))

    def utc_many_from_local_us(self, local: Micros) -> Micros:
        """UTC µs of local wall times (µs); `fold=0` like the scalar `to_utc`.

        With a = the offset a day before and b = the offset a day after: when they are
        equal the answer is local - a; otherwise whichever candidate is consistent, the
        earlier one if both are (a repeated hour), local - a if neither (a skipped hour).
        """
        y0, y1 = self._years(local)
        table = _zone_table(self.timezone, y0, y1)
        a = self._offsets(local - US_PER_DAY, table)
        b = self._offsets(local + US_PER_DAY, table)
        ua, ub = local - a, local - b
        va = self._offsets(ua, table) == a
        vb = self._offsets(ub, table) == b
        out = np.where(va & vb, np.minimum(ua, ub), np.where(vb & ~va, ub, ua))
        return np.where(a == b, ua, out)

    def _busdaycal(self, y0: int, y1: int) -> np.busdaycalendar:
        return _busdaycalendar(self._weekmask, self.holidays, y0, y1)

    def _positions(self, local: Micros, cal: np.busdaycalendar
                   ) -> tuple[npt.NDArray[np.datetime64], Micros]:
        """(local day, µs of business time already done that day; 0 on a day off)."""
        day_i = np.floor_divide(local, US_PER_DAY)
        days = day_i.astype("datetime64[D]")
        tod = local - day_i * US_PER_DAY
        working = np.is_busday(days, busdaycal=cal)
        done = np.where(working, np.clip(tod - self._start_us, 0, self._window_us), 0)
        return days, done

    def business_minutes_between_many(self, a: Timestamps, b: Timestamps
                                      ) -> npt.NDArray[np.float64]:
        """Business minutes from each `a` to each `b` (NaN where either is NaT)."""
        a_us, b_us = np.broadcast_arrays(_as_us(a), _as_us(b))
        missing = (a_us == _NAT) | (b_us == _NAT)
        a_us = np.where(missing, 0, a_us)
        b_us = np.where(missing, 0, b_us)
        la, lb = self.local_us_many(a_us), self.local_us_many(b_us)
        y0, y1 = self._years(np.concatenate([la, lb]))
        cal = self._busdaycal(y0, y1)
        da, done_a = self._positions(la, cal)
        db, done_b = self._positions(lb, cal)
        # NumPy counts (end, begin] when end < begin; count [min, max) and sign it instead
        forward = da <= db
        full = np.busday_count(np.where(forward, da, db), np.where(forward, db, da),
                               busdaycal=cal).astype(np.int64)
        full = np.where(forward, full, -full)
        out = (full * self._window_us + done_b - done_a) / US_PER_MINUTE
        return np.where(missing, np.nan, out)

    def add_business_many(self, starts: Timestamps, duration: Duration | Micros
                          ) -> Timestamps:
        """Due moments (naive UTC datetime64[us]) of a duration counted from each start.

        `duration` is a contract Duration, or an int64 array of business µs per start.
        NaT starts give NaT.
        """
        us = _as_us(starts)
        if isinstance(duration, Duration):
            if not duration.business:
                out = us + self.length_us(duration)
                return np.where(us == _NAT, _NAT, out).astype("datetime64[us]")
            d = np.full(us.shape, self.length_us(duration), dtype=np.int64)
        else:
            d = np.broadcast_to(np.asarray(duration, dtype=np.int64), us.shape)
        if (d < 0).any():
            raise EngineError("cannot add a negative business duration")
        missing = us == _NAT
        safe = np.where(missing, 0, us)
        local = self.local_us_many(safe)
        y0, y1 = self._years(local)
        # holidays must cover every due day: estimate the span, widen until it does
        y1 += math.ceil(int(d.max(initial=0)) / self._window_us / len(self.days) * 7 / 365) + 1
        while True:
            cal = self._busdaycal(y0, _clip_year(y1))
            days, done = self._positions(local, cal)
            first = np.busday_offset(days, 0, roll="forward", busdaycal=cal)
            total = done + d
            n = np.floor_divide(total - 1, self._window_us)
            rem = total - n * self._window_us
            due_day = np.busday_offset(first, n, roll="forward", busdaycal=cal)
            covered = np.datetime64(f"{_clip_year(y1) + 1}-01-01", "D")
            if y1 >= _YEAR_CEIL or not (due_day >= covered).any():
                break
            y1 += max(1, (y1 - y0) // 2)
        due_local = due_day.astype(np.int64) * US_PER_DAY + self._start_us + rem
        due = self.utc_many_from_local_us(due_local)
        out = np.where(d == 0, safe, due)
        return np.where(missing, _NAT, out).astype("datetime64[us]")


_NAT = np.iinfo(np.int64).min


@functools.lru_cache(maxsize=64)
def _busdaycalendar(weekmask: tuple[bool, ...], code: str | None, y0: int, y1: int
                    ) -> np.busdaycalendar:
    days: list[date] = []
    if code:
        for y in range(y0, y1 + 1):
            days.extend(_holidays_in_year(code, y))
    return np.busdaycalendar(weekmask=[int(w) for w in weekmask],
                             holidays=np.array(sorted(days), dtype="datetime64[D]"))


def _as_us(values: Any) -> Micros:
    """int64 µs since the epoch of naive UTC datetime64 values (NaT → int64 min)."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[us]").astype(np.int64)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    return np.asarray(arr, dtype="datetime64[us]").astype(np.int64)
