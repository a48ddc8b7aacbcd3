"""Reps work inside the contract's calendar hours, in their own time zone."""

from __future__ import annotations

import numpy as np
import pytest
from simulated_run import Run

from accord.contract.compiled import starter_contract
from accord.sim.contract_terms import terms_from
from accord.sim.touches import from_activity_time, to_activity_time
from accord.sim.work_hours import add_business_minutes

TERMS = terms_from(starter_contract())  # 09:00-18:00, Monday to Friday


def _us(text: str) -> np.ndarray:
    return np.array([np.datetime64(text, "us").astype(np.int64)])


@pytest.mark.parametrize(("start_utc", "minutes", "expected_utc"), [
    # New York rep (UTC-5). Wed 10:00 local + 5 min → 10:05 local = 15:05 UTC.
    ("2025-01-08T15:00", 5.0, "2025-01-08T15:05"),
    # Fri 17:00 local + 90 min: 60 min to closing, 30 min on Monday → Mon 09:30 = 14:30 UTC.
    ("2025-01-03T22:00", 90.0, "2025-01-06T14:30"),
    # Saturday noon + 10 min → Mon 09:10 local = 14:10 UTC.
    ("2025-01-04T12:00", 10.0, "2025-01-06T14:10"),
    # Tue 07:00 local (before opening) + 0 → Tue 09:00 = 14:00 UTC.
    ("2025-01-07T12:00", 0.0, "2025-01-07T14:00"),
])
def test_business_minutes_skip_nights_and_weekends(start_utc: str, minutes: float,
                                                   expected_utc: str) -> None:
    got = add_business_minutes(_us(start_utc), np.array([5]), np.array([minutes]), TERMS)
    assert got[0] == _us(expected_utc)[0]


def test_activity_time_round_trips_and_keeps_order() -> None:
    t = np.sort(np.random.default_rng(1).integers(1_735_689_600_000_000,
                                                  1_767_225_600_000_000, 1000))
    off = np.full(1000, -1)
    tau = to_activity_time(t, off)
    assert np.all(np.diff(tau) >= 0)
    back = from_activity_time(tau, off)
    # Whole activity-seconds: back is at most one activity-second (≤ 1 s in office hours,
    # longer at night when activity is thin) after t.
    assert np.all(back >= t - 1)
    assert np.max(back - t) < 60 * 1_000_000
    assert np.all(np.diff(back) >= 0)


def test_sales_activities_fall_in_the_reps_working_hours(small_run: Run) -> None:
    outside = small_run.one("""
        with a as (
            select a.occurred_at - to_hours(case r.timezone
                when 'America/New_York' then 5 when 'America/Chicago' then 6
                when 'America/Los_Angeles' then 8 when 'Europe/London' then 0
                when 'Europe/Berlin' then -1 when 'Europe/Amsterdam' then -1
                when 'Asia/Singapore' then -8 when 'Australia/Sydney' then -10
                when 'Asia/Tokyo' then -9 end) as local_at
            from activities a join reps r using (rep_id))
        select count(*) from a
        where isodow(local_at) > 5 or hour(local_at) < 9 or hour(local_at) >= 18""")
    assert outside == 0
