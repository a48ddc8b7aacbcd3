"""The contract's operating cadence as a calendar file (`accord cadence ics`).

Contract key `cadences`: each meeting has a rhythm (`every`: week, two_weeks, month or
quarter), a length (`minutes`), its attendees (`with`: owner keys) and an agenda. Each
becomes one VEVENT (iCalendar, RFC 5545, written with the `icalendar` package):

- RRULE by rhythm (`RHYTHMS`): week → WEEKLY, two_weeks → WEEKLY;INTERVAL=2, month →
  MONTHLY, quarter → MONTHLY;INTERVAL=3. Weekly meetings keep the weekday of the first
  one (BYDAY); monthly and quarterly ones its place in the month ("the first Friday":
  BYDAY=1FR; a fifth weekday becomes the last, -1FR), so they never fall on a weekend.
- DTSTART: the first working day of the contract calendar (its working weekdays, not a
  public holiday) at or after the start date (default: the contract's `effective`), in
  the calendar's time zone (TZID, with its VTIMEZONE). The first meeting starts at 10:00
  local, or when the working day starts if that is later; each next cadence, in contract
  order, starts when the one before ends, so meetings that fall on the same day (the
  rhythms share the weekday) never overlap. Later occurrences are not moved off holidays.
- DURATION: `minutes`. SUMMARY: the cadence's name in words (`icp_review` → "ICP review").
- ATTENDEE per owner key (CN: the owner's title; `urn:x-accord:owner:<key>`, since the
  contract names titles, not addresses), and a DESCRIPTION naming every attendee by
  team and title, the agenda and the pack to bring (`accord report <pack> --format pdf`,
  the pack of its rhythm: `contract.cadences.PACK_FOR_EVERY`).

Deterministic: UID from the cadence name and contract version, DTSTAMP the contract's
effective date at 00:00 UTC, never the clock; same contract and start → same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import icalendar

from accord.contract.compiled import CompiledContract
from accord.errors import UsageError
from accord.reports.agreement import listing, owner_title, words
from accord.reports.pack import PACK_FOR_EVERY

Every = Literal["week", "two_weeks", "month", "quarter"]
Freq = Literal["WEEKLY", "MONTHLY"]

#: The recurrence of each rhythm: (FREQ, INTERVAL).
RHYTHMS: dict[Every, tuple[Freq, int]] = {
    "week": ("WEEKLY", 1), "two_weeks": ("WEEKLY", 2),
    "month": ("MONTHLY", 1), "quarter": ("MONTHLY", 3),
}
RHYTHM_WORDS: dict[Every, str] = {"week": "every week", "two_weeks": "every two weeks",
                                  "month": "every month", "quarter": "every quarter"}
FIRST_MEETING = time(10, 0)
PRODID = "-//accord//operating cadence//EN"
_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_SEARCH_DAYS = 400  # a calendar with working weekdays has a working day within a year
_TIMEZONE_YEARS = 10  # the VTIMEZONE spells out this many years of offsets


@dataclass(frozen=True)
class Attendee:
    key: str  # the owner key (`owners:`)
    title: str  # the owner's title, or the key when the contract names none

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "title": self.title}


@dataclass(frozen=True)
class CadenceEvent:
    """One cadence as a recurring meeting."""

    name: str
    summary: str
    every: Every
    freq: Freq
    interval: int
    byday: str  # RRULE BYDAY: `FR` (weekly) or `1FR` / `-1FR` (monthly)
    start: datetime  # aware, in the contract calendar's time zone
    minutes: int
    attendees: tuple[Attendee, ...]
    agenda: tuple[str, ...]
    pack: str
    uid: str
    description: str

    @property
    def bring(self) -> str:
        return f"accord report {self.pack} --format pdf"

    @property
    def rrule(self) -> str:
        interval = f";INTERVAL={self.interval}" if self.interval != 1 else ""
        return f"FREQ={self.freq}{interval};BYDAY={self.byday}"

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "summary": self.summary, "every": self.every,
                "rrule": self.rrule, "start": self.start.isoformat(),
                "timezone": str(self.start.tzinfo), "minutes": self.minutes,
                "attendees": [a.as_dict() for a in self.attendees],
                "agenda": list(self.agenda), "bring": self.bring, "uid": self.uid,
                "description": self.description}


def first_working_day(contract: CompiledContract, start: date) -> date:
    """The first working day of the contract calendar at or after `start`."""
    day = start
    for _ in range(_SEARCH_DAYS):
        if contract.calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    raise UsageError(f"the contract calendar has no working day in the {_SEARCH_DAYS} days "
                     f"from {start}; check `calendar.days` and `calendar.holidays`")


def _first_time(contract: CompiledContract) -> time:
    """10:00, or the start of the working day when that is later."""
    opens = contract.source.calendar.start_minute
    first = max(FIRST_MEETING.hour * 60 + FIRST_MEETING.minute, opens)
    if first >= contract.source.calendar.end_minute:
        first = opens
    return time(first // 60, first % 60)


def _byday(day: date, freq: Freq) -> str:
    code = _BYDAY[day.weekday()]
    if freq == "WEEKLY":
        return code
    nth = (day.day - 1) // 7 + 1
    return f"{-1 if nth == 5 else nth}{code}"


def uid_for(contract: CompiledContract, name: str) -> str:
    """A cadence's fixed UID: its name and the contract version."""
    return f"cadence-{name}-v{contract.version}@accord"


def _description(contract: CompiledContract, name: str, every: Every, minutes: int,
                 attendees: tuple[Attendee, ...], agenda: tuple[str, ...], pack: str) -> str:
    lines = [f"{words(name)}: {RHYTHM_WORDS[every]}, {minutes} minutes (contract cadence "
             f"{name}, version {contract.version}, effective "
             f"{contract.source.effective.isoformat()})."]
    who = [owner_title(contract, a.key) for a in attendees]
    lines.append(f"Attendees: {listing(who)}." if who else "Attendees: none named.")
    if agenda:
        lines.append("Agenda:")
        lines += [f"- {item}" for item in agenda]
    lines.append(f"Bring: `accord report {pack} --format pdf`")
    return "\n".join(lines)


def cadence_events(contract: CompiledContract, start: date | None = None
                   ) -> tuple[CadenceEvent, ...]:
    """Every cadence of the contract as a recurring meeting (see the module docstring)."""
    zone = ZoneInfo(contract.source.calendar.timezone)
    day = first_working_day(contract, start or contract.source.effective)
    at = datetime.combine(day, _first_time(contract), tzinfo=zone)
    events = []
    for name, cadence in contract.source.cadences.items():
        freq, interval = RHYTHMS[cadence.every]
        attendees = tuple(Attendee(k, contract.source.owners.get(k, k)) for k in cadence.with_)
        pack = PACK_FOR_EVERY[cadence.every]
        agenda = tuple(cadence.agenda)
        events.append(CadenceEvent(
            name=name, summary=words(name), every=cadence.every, freq=freq,
            interval=interval, byday=_byday(day, freq), start=at, minutes=cadence.minutes,
            attendees=attendees, agenda=agenda, pack=pack, uid=uid_for(contract, name),
            description=_description(contract, name, cadence.every, cadence.minutes,
                                     attendees, agenda, pack)))
        at = at + timedelta(minutes=cadence.minutes)  # wall-clock: same local day
    return tuple(events)


def cadence_calendar(contract: CompiledContract, start: date | None = None
                     ) -> icalendar.Calendar:
    """The cadence as an `icalendar.Calendar`: one VEVENT per cadence and the VTIMEZONE
    of the contract calendar."""
    events = cadence_events(contract, start)
    stamp = datetime.combine(contract.source.effective, time(0), tzinfo=UTC)
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", f"Marketing–sales cadence (contract version {contract.version})")
    cal.add("x-wr-timezone", contract.source.calendar.timezone)
    for e in events:
        ev = icalendar.Event()
        ev.add("uid", e.uid)
        ev.add("dtstamp", stamp)
        ev.add("dtstart", e.start)
        ev.add("duration", timedelta(minutes=e.minutes))
        rule: dict[str, Any] = {"freq": e.freq, "byday": e.byday}
        if e.interval != 1:
            rule["interval"] = e.interval
        ev.add("rrule", rule)
        ev.add("summary", e.summary)
        ev.add("description", e.description)
        for a in e.attendees:
            address = icalendar.vCalAddress(f"urn:x-accord:owner:{a.key}")
            address.params["cn"] = icalendar.vText(a.title)
            address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
            ev.add("attendee", address, encode=False)
        ev.add("categories", ["accord", e.pack])
        cal.add_component(ev)
    first = (events[0].start.date() if events else
             start or contract.source.effective).replace(month=1, day=1)
    cal.add_missing_timezones(first_date=first,
                              last_date=first.replace(year=first.year + _TIMEZONE_YEARS))
    return cal


def cadence_ics(contract: CompiledContract, start: date | None = None) -> bytes:
    """The cadence calendar as `.ics` bytes (CRLF lines, as RFC 5545 writes them)."""
    data: bytes = cadence_calendar(contract, start).to_ical()
    return data


__all__ = ["RHYTHMS", "Attendee", "CadenceEvent", "cadence_calendar", "cadence_events",
           "cadence_ics", "first_working_day", "uid_for"]
