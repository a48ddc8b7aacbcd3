"""The SLA schedule: which warnings, breaches and escalation steps fall due, and when.

A lead's per-lead SLA clock (`engine/sla_clock.py`) starts at the lead's first entry into
the SLA's `start` stage and runs on its calendar (the contract's, or for `calendar: owner`
the calendar of the rep who held the lead at the start). While it runs it owes, at
business-hours times on that calendar:

- a **warning** at `warn_before` before the due time (contract key `warn_before`; none
  when unset): the due time less `warn_before` of working time (or of wall-clock time for
  a plain duration), never before the start;
- a **breach** at the due time (`start + within`);
- each **escalation** step k at `start + after_k` (`sla_clock.escalation_times`, the
  batch's own arithmetic); a `reassign: true` step also owes a reassignment.

A firing is owed only while the clock is still running at its time: a clock stopped (first
touch, n-th touch, accept or reject) at or before a firing's time owes it not, so a stop
exactly at the due time is met, as in the batch clocks. The firing id is deterministic —
`<lead>:<sla>:<kind>[:<step>]:<clock start ISO>` — so the same clock owes the same firing
under any number of readings; the server's scheduler stores each id once.

Pure: `LeadClock` readings in, `Firing` rows out; the live engine gives the readings
(`Engine.sla_clocks`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np

from accord.contract.calendar import BusinessCalendar
from accord.contract.compiled import SlaClock
from accord.contract.instants import naive_utc
from accord.engine.sla_clock import due_time, escalation_times

__all__ = ["FIRING_KINDS", "Firing", "FiringKind", "LeadClock", "ScheduleCache",
           "due_firings", "firing_id", "firings_of", "warning_time"]

FiringKind = Literal["warning", "breach", "escalation"]
FIRING_KINDS: tuple[FiringKind, ...] = ("warning", "breach", "escalation")


@dataclass(frozen=True)
class LeadClock:
    """One lead's started clock for one per-lead SLA: when it started, when it stopped
    (None while running), the calendar it runs on and the rep who holds the lead."""

    lead_id: str
    clock: SlaClock
    start_at: datetime
    stopped_at: datetime | None
    calendar: BusinessCalendar
    owner: str | None = None


@dataclass(frozen=True)
class Firing:
    """A warning, breach or escalation step a clock owes at `at` (naive UTC).

    `step` is the 1-based escalation step (None otherwise); `due_at` the clock's due time;
    `notify` who the step tells (`rep`, `manager`, …) and `reassign` whether it takes the
    lead from its owner."""

    firing_id: str
    lead_id: str
    sla: str
    kind: FiringKind
    step: int | None
    at: datetime
    due_at: datetime
    owner: str | None = None
    notify: str | None = None
    reassign: bool = False


def firing_id(lead_id: str, sla: str, kind: FiringKind, step: int | None,
              start_at: datetime) -> str:
    """`<lead>:<sla>:<kind>[:<step>]:<clock start ISO>` (deterministic)."""
    part = f":{step}" if step is not None else ""
    return f"{lead_id}:{sla}:{kind}{part}:{naive_utc(start_at).isoformat()}"


def warning_time(clock: SlaClock, cal: BusinessCalendar, start_at: datetime
                 ) -> datetime | None:
    """When the clock's warning is owed: `warn_before` before the due time, counted in
    working time on `cal` for a business duration (wall-clock time otherwise), never before
    the start; None when the SLA has no `warn_before`."""
    warn = clock.warn_before
    if warn is None:
        return None
    start = naive_utc(start_at)
    due = due_time(clock, cal, start)
    if not warn.business:
        return max(start, due - timedelta(minutes=warn.minutes))
    left = cal.business_minutes_between(start, due) - cal.length_minutes(warn)
    return cal.add_business_minutes(start, left) if left > 0 else start


def _owed(at: datetime, stopped_at: datetime | None) -> bool:
    """A firing is owed when the clock had not stopped by its time."""
    return stopped_at is None or naive_utc(stopped_at) > at


#: A memo for `firings_of`: (lead, SLA, start) -> (the calendar, every firing of the
#: clock while running). A clock's schedule never moves once it started; its stop only
#: decides how much of it is owed.
ScheduleCache = dict[tuple[str, str, datetime], tuple[BusinessCalendar, list["Firing"]]]


def firings_of(lc: LeadClock, cache: ScheduleCache | None = None) -> list[Firing]:
    """Every firing the clock owes over its life (its warning, breach and escalation
    steps still running at their times), in time order. `cache` (optional) keeps each
    clock's schedule between calls, so a caller reading the same clocks again (the
    server's scheduler, every round) works each out once."""
    memo: ScheduleCache = cache if cache is not None else {}
    _fill(memo, [lc])
    return [f for f in memo[_key(lc)][1] if _owed(f.at, lc.stopped_at)]


def _key(lc: LeadClock) -> tuple[str, str, datetime]:
    return (lc.lead_id, lc.clock.name, naive_utc(lc.start_at))


def _fill(memo: ScheduleCache, clocks: Iterable[LeadClock]) -> None:
    """Work out, for the clocks not in `memo` yet, their firings if they never stopped:
    one vectorised pass per SLA and calendar (`add_business_many`, `escalation_times`)."""
    groups: dict[tuple[str, int], list[LeadClock]] = {}
    for lc in clocks:
        known = memo.get(_key(lc))
        if known is not None and known[0] is lc.calendar and (
                not known[1] or known[1][0].owner == lc.owner):
            continue
        groups.setdefault((lc.clock.name, id(lc.calendar)), []).append(lc)
    for group in groups.values():
        for lc, firings in zip(group, _schedules(group), strict=True):
            memo[_key(lc)] = (lc.calendar, firings)


def _schedules(group: list[LeadClock]) -> list[list[Firing]]:
    """Per clock of one SLA on one calendar: its firings if it never stopped, in time
    order."""
    clock, cal = group[0].clock, group[0].calendar
    within = clock.within
    if within is None:
        return [[] for _ in group]
    starts = np.array([naive_utc(lc.start_at) for lc in group], dtype="datetime64[us]")
    due = cal.add_business_many(starts, within)
    warn = clock.warn_before
    warns: list[datetime | None]
    if warn is None:
        warns = [None] * len(group)
    elif warn.business and within.business:
        left = max(cal.length_us(within) - cal.length_us(warn), 0)
        warns = [_as_datetime(v) for v in cal.add_business_many(
            starts, np.full(len(group), left, dtype=np.int64))]
    else:
        warns = [warning_time(clock, cal, lc.start_at) for lc in group]
    steps: list[list[datetime]] = [[] for _ in group]
    if clock.escalate:
        never = np.full(len(group), np.datetime64("NaT", "us"))
        horizon = datetime.max.replace(year=9000)
        for idx, times in escalation_times(clock.escalate, cal, starts, never, horizon):
            for i, v in zip(idx, times, strict=True):
                steps[int(i)].append(_as_datetime(v))
    out = []
    for n, lc in enumerate(group):
        start, due_at = naive_utc(lc.start_at), _as_datetime(due[n])
        mine: list[Firing] = []

        def add(kind: FiringKind, step: int | None, at: datetime, notify: str | None = None,
                reassign: bool = False, lc: LeadClock = lc, start: datetime = start,
                due_at: datetime = due_at, mine: list[Firing] = mine) -> None:
            mine.append(Firing(firing_id(lc.lead_id, clock.name, kind, step, start),
                               lc.lead_id, clock.name, kind, step, at, due_at, lc.owner,
                               notify, reassign))

        warn_at = warns[n]
        if warn_at is not None:
            add("warning", None, max(warn_at, start))
        add("breach", None, due_at)
        for k, (spec, step_at) in enumerate(zip(clock.escalate, steps[n], strict=True),
                                            start=1):
            add("escalation", k, step_at, spec.notify, spec.reassign)
        mine.sort(key=lambda f: (f.at, FIRING_KINDS.index(f.kind), f.step or 0))
        out.append(mine)
    return out


def due_firings(clocks: Iterable[LeadClock], until: datetime,
                since: datetime | None = None, *,
                cache: ScheduleCache | None = None) -> list[Firing]:
    """The firings the clocks owe with a time in `(since, until]` (`since` None: from the
    beginning), in time order (then lead, SLA, kind, step); `cache` as in `firings_of`."""
    end = naive_utc(until)
    begin = naive_utc(since) if since is not None else None
    memo: ScheduleCache = cache if cache is not None else {}
    clocks = list(clocks)
    _fill(memo, clocks)
    out = [f for lc in clocks for f in memo[_key(lc)][1]
           if _owed(f.at, lc.stopped_at) and f.at <= end
           and (begin is None or f.at > begin)]
    out.sort(key=lambda f: (f.at, f.lead_id, f.sla, FIRING_KINDS.index(f.kind),
                            f.step or 0))
    return out


def _as_datetime(value: np.datetime64) -> datetime:
    micros = int(value.astype("datetime64[us]").astype(np.int64))
    return datetime(1970, 1, 1) + timedelta(microseconds=micros)
