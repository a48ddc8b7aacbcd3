"""Business calendar: worked examples, and scalar = vectorised = minute-by-minute reference."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.contract.calendar import BusinessCalendar
from accord.contract.durations import parse_duration
from accord.contract.schema import Calendar

NY = BusinessCalendar.from_contract(
    Calendar(timezone="America/New_York", hours="09:00-18:00", holidays="US"))


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Naive UTC of a New York wall time."""
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(UTC).replace(tzinfo=None)


def both_add(cal: BusinessCalendar, start: datetime, text: str) -> datetime:
    """add_business on the scalar and the vectorised path; asserts they agree."""
    d = parse_duration(text)
    scalar = cal.add_business(start, d)
    vector = cal.add_business_many(np.array([start], dtype="datetime64[us]"), d)[0]
    assert vector == np.datetime64(scalar, "us")
    return scalar


def both_between(cal: BusinessCalendar, a: datetime, b: datetime) -> float:
    scalar = cal.business_minutes_between(a, b)
    vector = cal.business_minutes_between_many(np.array([a], dtype="datetime64[us]"),
                                               np.array([b], dtype="datetime64[us]"))[0]
    assert vector == scalar
    return scalar


# -- worked examples ---------------------------------------------------------------------------
def test_friday_1730_two_business_hours_is_due_monday_1030() -> None:
    # Fri 2025-01-10 17:30 New York; 09:00-18:00: 30 min Fri + 90 min Mon = 120 → Mon 10:30
    due = both_add(NY, ny(2025, 1, 10, 17, 30), "2 business_hours")
    assert due == ny(2025, 1, 13, 10, 30)
    assert both_between(NY, ny(2025, 1, 10, 17, 30), due) == 120


def test_monday_holiday_moves_the_due_time_to_tuesday() -> None:
    # Fri 2025-01-17 17:30; Mon 2025-01-20 is Martin Luther King Jr. Day:
    # 30 min Fri + 0 Mon (holiday) + 90 min Tue → Tue 2025-01-21 10:30
    due = both_add(NY, ny(2025, 1, 17, 17, 30), "2 business_hours")
    assert due == ny(2025, 1, 21, 10, 30)


def test_observed_holiday_counts_as_a_day_off() -> None:
    # 2026-07-04 is a Saturday; Independence Day is observed Fri 2026-07-03.
    # Thu 2026-07-02 17:00 + 2h: 60 min Thu + 60 min Mon 07-06 → Mon 10:00
    assert both_add(NY, ny(2026, 7, 2, 17, 0), "2 business_hours") == ny(2026, 7, 6, 10, 0)


def test_due_across_the_spring_dst_weekend_keeps_local_hours() -> None:
    # Clocks go forward Sun 2025-03-09. Fri 03-07 17:30 EST (22:30 UTC) + 2h:
    # 30 min Fri + 90 min Mon → Mon 10:30 EDT = 14:30 UTC (an hour earlier in UTC).
    due = both_add(NY, datetime(2025, 3, 7, 22, 30), "2 business_hours")
    assert due == datetime(2025, 3, 10, 14, 30)
    # Autumn: clocks go back Sun 2025-11-02. Fri 10-31 17:30 EDT (21:30 UTC) → Mon 10:30 EST
    due = both_add(NY, datetime(2025, 10, 31, 21, 30), "2 business_hours")
    assert due == datetime(2025, 11, 3, 15, 30)


def test_round_the_clock_calendar_in_dst_gaps_and_repeats_uses_fold_zero() -> None:
    cal = BusinessCalendar("America/New_York", 0, 1440, ("sun", "mon"))
    # Sun 2025-03-09 01:30 EST (06:30 UTC) + 60 wall minutes → 02:30, which does not exist;
    # read with the offset before the change (EST) → 07:30 UTC
    assert both_add(cal, datetime(2025, 3, 9, 6, 30), "1 business_hours") == datetime(
        2025, 3, 9, 7, 30)
    # Sun 2025-11-02 00:30 EDT (04:30 UTC) + 60 → 01:30, which happens twice; the first
    # (EDT) → 05:30 UTC
    assert both_add(cal, datetime(2025, 11, 2, 4, 30), "1 business_hours") == datetime(
        2025, 11, 2, 5, 30)


def test_clock_pauses_overnight_and_resumes_at_nine() -> None:
    # Tue 16:00 + 4h: 120 min Tue (16-18) + 120 min Wed (09-11) → Wed 11:00
    assert both_add(NY, ny(2025, 2, 4, 16, 0), "4 business_hours") == ny(2025, 2, 5, 11, 0)
    # 02:00 → 09:00 counts nothing: Tue 02:00 to Tue 09:30 is 30 min
    assert both_between(NY, ny(2025, 2, 4, 2, 0), ny(2025, 2, 4, 9, 30)) == 30


def test_weekend_counts_nothing() -> None:
    # Sat 10:00 + 1h → Mon 10:00; Fri 18:00 to Mon 09:00 is 0 business minutes
    assert both_add(NY, ny(2025, 2, 8, 10, 0), "1 business_hours") == ny(2025, 2, 10, 10, 0)
    assert both_between(NY, ny(2025, 2, 7, 18, 0), ny(2025, 2, 10, 9, 0)) == 0
    # Fri 17:00 → Mon 10:00: 60 + 60 = 120
    assert both_between(NY, ny(2025, 2, 7, 17, 0), ny(2025, 2, 10, 10, 0)) == 120


def test_clock_filling_at_closing_time_is_due_at_closing_time() -> None:
    # Fri 17:30 + 30 min = Fri 18:00 (not Mon 09:00)
    assert both_add(NY, ny(2025, 1, 10, 17, 30), "30 business_minutes") == ny(2025, 1, 10, 18)


def test_business_days_are_same_local_time_working_days_later() -> None:
    # Mon 10:00 + 2 business days → Wed 10:00; Fri 17:30 + 2 → Tue 17:30
    assert both_add(NY, ny(2025, 2, 3, 10, 0), "2 business_days") == ny(2025, 2, 5, 10, 0)
    assert both_add(NY, ny(2025, 2, 7, 17, 30), "2 business_days") == ny(2025, 2, 11, 17, 30)
    # Sat noon is rolled into Mon 09:00; + 2 working days of 9 h = close of Tue
    assert both_add(NY, ny(2025, 2, 8, 12, 0), "2 business_days") == ny(2025, 2, 11, 18, 0)
    # a business week is five working days here: Mon 10:00 → next Mon 10:00
    assert both_add(NY, ny(2025, 2, 3, 10, 0), "1 business_weeks") == ny(2025, 2, 10, 10, 0)


def test_plain_durations_are_wall_clock() -> None:
    # 10 days = 240 real hours, added in UTC, nights and weekends included
    start = datetime(2025, 2, 7, 22, 30)
    assert both_add(NY, start, "10 days") == start + timedelta(days=10)
    assert both_add(NY, start, "4h") == start + timedelta(hours=4)


def test_between_is_signed_and_nat_gives_nan() -> None:
    a, b = ny(2025, 2, 4, 10, 0), ny(2025, 2, 4, 11, 15)
    assert both_between(NY, b, a) == -75
    out = NY.business_minutes_between_many(
        np.array(["2025-02-04T15:00", "NaT"], dtype="datetime64[us]"),
        np.array(["NaT", "2025-02-04T16:00"], dtype="datetime64[us]"))
    assert np.isnan(out).all()
    due = NY.add_business_many(np.array(["NaT"], dtype="datetime64[us]"),
                               parse_duration("2 business_hours"))
    assert np.isnat(due[0])


def test_sub_day_hours_and_custom_week() -> None:
    # Dubai-style week sun-thu, 08:00-12:00 in Asia/Dubai (UTC+4, no DST).
    cal = BusinessCalendar("Asia/Dubai", 8 * 60, 12 * 60, ("sun", "mon", "tue", "wed", "thu"))
    # Thu 2025-02-06 11:00 local (07:00 UTC) + 2h: 60 Thu + 60 Sun → Sun 09:00 = 05:00 UTC
    assert both_add(cal, datetime(2025, 2, 6, 7, 0), "2 business_hours") == datetime(
        2025, 2, 9, 5, 0)


def test_bad_calendars_are_refused() -> None:
    from accord.errors import EngineError

    with pytest.raises(EngineError, match="non-empty"):
        BusinessCalendar(days=())
    with pytest.raises(EngineError, match="within one day"):
        BusinessCalendar(start_minute=600, end_minute=600)


# -- properties --------------------------------------------------------------------------------
ZONES = ["America/New_York", "Europe/London", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/Sao_Paulo", "Pacific/Chatham", "Asia/Kathmandu", "UTC", "America/Santiago"]
COUNTRIES = [None, "US", "GB", "DE", "IN", "BR"]


@st.composite
def calendars(draw: st.DrawFn, *, avoid_dst: bool = True) -> BusinessCalendar:
    """Random calendars. With `avoid_dst` hours lie in 04:00-23:00, clear of every zone's
    DST changes, so every due moment exists on the local clock."""
    lo, hi = (4 * 4, 23 * 4) if avoid_dst else (0, 96)
    start = draw(st.integers(lo, hi - 1))
    end = draw(st.integers(start + 1, hi))
    days = draw(st.lists(st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
                         min_size=1, max_size=7, unique=True))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), start * 15, end * 15, tuple(days),
                            draw(st.sampled_from(COUNTRIES)))


moments = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2031, 12, 31))
minute_moments = moments.map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(avoid_dst=False), starts=st.lists(moments, min_size=1, max_size=8),
       minutes=st.integers(0, 60 * 24 * 40), ends=st.lists(moments, min_size=1, max_size=8))
def test_vectorised_and_scalar_agree(cal: BusinessCalendar, starts: list[datetime],
                                     minutes: int, ends: list[datetime]) -> None:
    a = np.array(starts, dtype="datetime64[us]")
    due = cal.add_business_many(a, np.full(len(starts), minutes * 60_000_000))
    for s, d in zip(starts, due, strict=True):
        assert np.datetime64(cal.add_business_minutes(s, minutes), "us") == d
    b = np.array((ends * len(starts))[: len(starts)], dtype="datetime64[us]")
    between = cal.business_minutes_between_many(a, b)
    for s, e, m in zip(starts, b.tolist(), between, strict=True):
        assert cal.business_minutes_between(s, e) == m


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(), start=moments, minutes=st.integers(0, 60 * 24 * 60))
def test_minutes_between_start_and_due_is_the_duration(cal: BusinessCalendar, start: datetime,
                                                       minutes: int) -> None:
    due = cal.add_business_minutes(start, minutes)
    assert due >= start
    assert cal.business_minutes_between(start, due) == minutes
    vec_due = cal.add_business_many(np.array([start], dtype="datetime64[us]"),
                                    np.array([minutes * 60_000_000]))
    assert cal.business_minutes_between_many(np.array([start], dtype="datetime64[us]"),
                                             vec_due)[0] == minutes


def _reference_minutes(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """Minute by minute in UTC: count the minutes [t, t+1) whose local start is inside
    hours on a working day. Deliberately naive; shares only zoneinfo with the code."""
    import holidays

    tz = ZoneInfo(cal.timezone)
    days = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
    working = {days[d] for d in cal.days}
    off: set[date] = set()
    if cal.holidays:
        off = set(holidays.country_holidays(cal.holidays, years=range(a.year - 1, b.year + 2)))
    count = 0
    t = a
    while t < b:
        local = t.replace(tzinfo=UTC).astimezone(tz)
        minute = local.hour * 60 + local.minute
        if (local.weekday() in working and local.date() not in off
                and cal.start_minute <= minute < cal.end_minute):
            count += 1
        t += timedelta(minutes=1)
    return count


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=calendars(), start=minute_moments, span=st.integers(0, 60 * 24 * 9))
def test_minute_by_minute_reference_agrees(cal: BusinessCalendar, start: datetime,
                                           span: int) -> None:
    end = start + timedelta(minutes=span)
    expected = _reference_minutes(cal, start, end)
    assert both_between(cal, start, end) == expected
    if expected:
        # the due moment of `expected` minutes is the end of the last counted minute
        due = both_add(cal, start, f"{expected} business_minutes")
        assert due <= end
        assert _reference_minutes(cal, start, due) == expected



# -- shrunk failures kept as regressions -------------------------------------------------------
def test_regression_between_backwards_across_days_counts_the_same_days() -> None:
    # NumPy's busday_count counts (end, begin] when end < begin; we want -[end, begin).
    cal = BusinessCalendar("America/New_York", 0, 15, ("mon",))
    # b = Mon 2018-12-31 19:00 local (window 00:00-00:15 already done: 15),
    # a = Tue 2019-01-01 19:00 local (a day off): from a back to b is 0 - 0 = 0 minutes.
    assert both_between(cal, datetime(2019, 1, 2), datetime(2019, 1, 1)) == 0


def test_regression_long_duration_sees_holidays_beyond_the_first_estimate() -> None:
    # 961 working Mondays of 15 minutes, US holidays take ~5 Mondays a year: > 20 years.
    cal = BusinessCalendar("America/New_York", 0, 15, ("mon",), "US")
    vector = cal.add_business_many(np.array([datetime(2019, 1, 1)], dtype="datetime64[us]"),
                                   np.array([14416 * 60_000_000]))[0]
    assert vector == np.datetime64(cal.add_business_minutes(datetime(2019, 1, 1), 14416), "us")
