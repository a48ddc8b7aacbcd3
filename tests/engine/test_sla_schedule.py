"""The SLA schedule (engine/sla_schedule.py): which warnings, breaches and escalation steps
a lead's clock owes, at which business-hours times, under which ids.

Hand-worked on the starter contract (calendar America/New York, 09:00-18:00, Mon-Fri, US
holidays; `speed_to_lead`: first touch within 2 business_hours, warn 30 business_minutes
before, escalate after 2, 4 and 8 business_hours, the last one reassigning). Daylight
saving time starts in New York on Sunday 9 March 2025, so Friday 7 March is UTC-5 and
Monday 10 March is UTC-4.

A lead enters MQL on Friday 7 March 2025 at 17:00 New York (22:00 UTC). Working time left
that Friday: 17:00-18:00, one hour. So, counting on into Monday from 09:00 (13:00 UTC):
- warning: 2 h - 30 min = 90 working minutes = Friday's 60 + Monday 30 -> 09:30 NY = 13:30Z
- breach (due): 120 working minutes = 60 + Monday 60 -> 10:00 NY = 14:00Z
- escalation 1 (2 h): as the due time -> 14:00Z
- escalation 2 (4 h): 60 + 180 -> 12:00 NY = 16:00Z
- escalation 3 (8 h, reassign): 60 + 420 -> 16:00 NY = 20:00Z
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from accord.contract.compiled import CompiledContract, compile_text
from accord.contract.durations import parse_duration
from accord.engine.sla_schedule import (
    LeadClock,
    ScheduleCache,
    due_firings,
    firings_of,
    warning_time,
)
from accord.workspace import starter_contract_text

START = datetime(2025, 3, 7, 22, 0)  # Friday 17:00 New York
ISO = "2025-03-07T22:00:00"
EXPECTED = [  # (kind, step, at UTC, notify, reassign) -- the module docstring's hand work
    ("warning", None, datetime(2025, 3, 10, 13, 30), None, False),
    ("breach", None, datetime(2025, 3, 10, 14, 0), None, False),
    ("escalation", 1, datetime(2025, 3, 10, 14, 0), "rep", False),
    ("escalation", 2, datetime(2025, 3, 10, 16, 0), "manager", False),
    ("escalation", 3, datetime(2025, 3, 10, 20, 0), None, True),
]


@pytest.fixture(scope="module")
def contract() -> CompiledContract:
    return compile_text(starter_contract_text())


def speed(contract: CompiledContract, stopped_at: datetime | None = None,
          lead_id: str = "L1") -> LeadClock:
    return LeadClock(lead_id, contract.slas["speed_to_lead"], START, stopped_at,
                     contract.calendar, "R1")


def test_a_waiting_lead_owes_its_warning_breach_and_each_step_at_hand_worked_times(
        contract: CompiledContract) -> None:
    got = firings_of(speed(contract))
    assert [(f.kind, f.step, f.at, f.notify, f.reassign) for f in got] == EXPECTED
    assert {f.due_at for f in got} == {datetime(2025, 3, 10, 14, 0)}
    assert [f.firing_id for f in got] == [
        f"L1:speed_to_lead:warning:{ISO}", f"L1:speed_to_lead:breach:{ISO}",
        f"L1:speed_to_lead:escalation:1:{ISO}", f"L1:speed_to_lead:escalation:2:{ISO}",
        f"L1:speed_to_lead:escalation:3:{ISO}"]
    assert {f.owner for f in got} == {"R1"}
    # the same clock read again owes the same ids (deterministic)
    assert [f.firing_id for f in firings_of(speed(contract))] == [f.firing_id for f in got]


@pytest.mark.parametrize(("stopped_at", "kinds"), [
    (datetime(2025, 3, 7, 22, 30), []),  # touched on Friday: nothing at all
    (datetime(2025, 3, 10, 13, 30), []),  # touched exactly at the warning time
    (datetime(2025, 3, 10, 13, 45), ["warning"]),
    (datetime(2025, 3, 10, 14, 0), ["warning"]),  # a stop exactly at the due time is met
    (datetime(2025, 3, 10, 14, 1), ["warning", "breach", "escalation:1"]),
    (datetime(2025, 3, 10, 19, 59), ["warning", "breach", "escalation:1", "escalation:2"]),
])
def test_a_stopped_clock_owes_only_what_came_before_its_stop(
        contract: CompiledContract, stopped_at: datetime, kinds: list[str]) -> None:
    got = firings_of(speed(contract, stopped_at))
    assert [f.kind + (f":{f.step}" if f.step else "") for f in got] == kinds


def test_due_firings_takes_the_window_since_exclusive_until_inclusive(
        contract: CompiledContract) -> None:
    clocks = [speed(contract, lead_id="L1"), speed(contract, lead_id="L2")]
    monday_14 = datetime(2025, 3, 10, 14, 0)
    assert due_firings(clocks, datetime(2025, 3, 10, 13, 29)) == []
    upto = due_firings(clocks, monday_14)
    assert [(f.lead_id, f.kind, f.step) for f in upto] == [
        ("L1", "warning", None), ("L2", "warning", None),
        ("L1", "breach", None), ("L1", "escalation", 1),
        ("L2", "breach", None), ("L2", "escalation", 1)]
    later = due_firings(clocks, datetime(2025, 3, 11), since=monday_14)
    assert [(f.lead_id, f.step) for f in later] == [("L1", 2), ("L2", 2), ("L1", 3),
                                                    ("L2", 3)]


def test_warning_counts_back_in_working_time_on_the_clocks_calendar(
        contract: CompiledContract) -> None:
    """An owner in London (09:00-17:00, GMT until 30 March 2025) whose lead enters MQL on
    Friday 7 March at 16:00 London (16:00Z): one working hour left that Friday, so due
    Monday 10:00 London (10:00Z), warned 30 working minutes before, 09:30Z. On the contract
    calendar the same instant is Friday 11:00 New York with seven working hours left: due
    13:00 NY (18:00Z), warned 12:30 NY (17:30Z)."""
    london = contract.owner_calendar("Europe/London", "09:00-17:00")
    clock = contract.slas["speed_to_lead"]
    start = datetime(2025, 3, 7, 16, 0)
    assert warning_time(clock, london, start) == datetime(2025, 3, 10, 9, 30)
    assert warning_time(clock, contract.calendar, start) == datetime(2025, 3, 7, 17, 30)
    got = firings_of(LeadClock("L9", clock, start, None, london, "R7"))
    assert [(f.kind, f.at) for f in got][:2] == [("warning", datetime(2025, 3, 10, 9, 30)),
                                                 ("breach", datetime(2025, 3, 10, 10, 0))]


def test_wall_clock_warning_and_a_warning_as_long_as_the_clock(
        contract: CompiledContract) -> None:
    clock = replace(contract.slas["speed_to_lead"], within=parse_duration("4 hours"),
                    warn_before=parse_duration("45 minutes"), escalate=())
    start = datetime(2025, 3, 8, 12, 0)  # a Saturday: wall-clock time runs anyway
    assert warning_time(clock, contract.calendar, start) == datetime(2025, 3, 8, 15, 15)
    long = replace(clock, warn_before=parse_duration("5 hours"))
    assert warning_time(long, contract.calendar, start) == start
    none = replace(clock, warn_before=None)
    assert warning_time(none, contract.calendar, start) is None
    assert [f.kind for f in firings_of(LeadClock("L", none, start, None,
                                                 contract.calendar))] == ["breach"]


def test_the_starter_contract_carries_warn_before_on_speed_to_lead_only(
        contract: CompiledContract) -> None:
    assert str(contract.slas["speed_to_lead"].warn_before) == "30 business_minutes"
    assert contract.slas["accept_or_reject"].warn_before is None
    assert contract.slas["mql_volume"].warn_before is None


def test_a_remembered_schedule_still_honours_a_stop_that_came_later(
        contract: CompiledContract) -> None:
    cache: ScheduleCache = {}
    running = firings_of(speed(contract), cache)
    assert len(running) == 5 and len(cache) == 1
    stopped = firings_of(speed(contract, datetime(2025, 3, 10, 13, 45)), cache)
    assert [f.kind for f in stopped] == ["warning"]
    assert firings_of(speed(contract), cache) == firings_of(speed(contract))
