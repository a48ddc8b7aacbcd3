"""The cadence calendar (`accord cadence ics`, reports/cadence_ics.py): it parses, holds one
recurring event per cadence with the rhythm, length and attendees of a hand-written table,
starts on the first working day at 10:00 local, and is the same bytes for the same
contract."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli import app
from accord.contract.compiled import CompiledContract, compile_text
from accord.reports.cadence_ics import cadence_ics

STARTER_TEXT = resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
NY = ZoneInfo("America/New_York")
BOTH = {"VP Marketing", "VP Sales"}
WITH_REVOPS = BOTH | {"RevOps Lead"}

# The starter's cadences by hand: summary, FREQ, INTERVAL, minutes, attendee titles, pack.
EXPECTED = {
    "weekly_pipeline_review": ("Weekly pipeline review", "WEEKLY", 1, 30, BOTH, "weekly"),
    "alignment_check": ("Alignment check", "WEEKLY", 2, 60, WITH_REVOPS, "biweekly"),
    "sla_review": ("SLA review", "MONTHLY", 1, 60, WITH_REVOPS, "monthly"),
    "icp_review": ("ICP review", "MONTHLY", 3, 90, WITH_REVOPS, "quarterly"),
}
# Effective 2026-01-01 is New Year's Day (a US holiday, Thursday): the first working day is
# Friday 2026-01-02. 10:00 first, each next one when the one before ends:
# 10:00 + 30 min = 10:30, + 60 = 11:30, + 60 = 12:30.
STARTS = {"weekly_pipeline_review": (10, 0), "alignment_check": (10, 30),
          "sla_review": (11, 30), "icp_review": (12, 30)}


@pytest.fixture(scope="module")
def starter() -> CompiledContract:
    return compile_text(STARTER_TEXT, "starter.yaml")


@pytest.fixture(scope="module")
def events(starter: CompiledContract) -> dict[str, icalendar.Event]:
    cal = icalendar.Calendar.from_ical(cadence_ics(starter))
    found = cal.walk("VEVENT")
    assert len(found) == len(starter.source.cadences) == 4
    by_uid = {str(e["UID"]): e for e in found}
    return {name: by_uid[f"cadence-{name}-v1@accord"] for name in starter.source.cadences}


def _attendees(event: icalendar.Event) -> set[str]:
    found = event.get("ATTENDEE")
    found = found if isinstance(found, list) else [found]
    return {str(a.params["CN"]) for a in found}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_cadence_is_one_event_with_its_rhythm(name: str,
                                                   events: dict[str, icalendar.Event]) -> None:
    summary, freq, interval, minutes, who, pack = EXPECTED[name]
    event = events[name]
    rule = event["RRULE"]
    assert rule["FREQ"] == [freq]
    assert rule.get("INTERVAL", [1]) == [interval]
    assert rule["BYDAY"] == (["FR"] if freq == "WEEKLY" else ["1FR"])  # Fri 2 Jan: 1st Fri
    assert event.decoded("DURATION") == timedelta(minutes=minutes)
    assert str(event["SUMMARY"]) == summary
    assert _attendees(event) == who
    description = str(event["DESCRIPTION"])
    assert f"Bring: `accord report {pack} --format pdf`" in description
    for title in who:
        assert title in description
    start = event.decoded("DTSTART")
    hour, minute = STARTS[name]
    assert start == datetime(2026, 1, 2, hour, minute, tzinfo=NY)
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert event.decoded("DTSTAMP") == datetime(2026, 1, 1, tzinfo=UTC)


def test_the_time_zone_is_described(starter: CompiledContract) -> None:
    cal = icalendar.Calendar.from_ical(cadence_ics(starter))
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["America/New_York"]


def test_monthly_meetings_keep_their_weekday_of_the_month(starter: CompiledContract) -> None:
    # 2026-01-29 is the fifth Thursday of January → "the last Thursday" (-1TH); expanded
    # independently with dateutil: 26 Feb, 26 Mar and 30 Apr 2026 (last Thursdays).
    cal = icalendar.Calendar.from_ical(cadence_ics(starter, date(2026, 1, 29)))
    sla = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "SLA review")
    assert sla["RRULE"]["BYDAY"] == ["-1TH"]
    start = sla.decoded("DTSTART")
    rule = rrulestr(sla["RRULE"].to_ical().decode(), dtstart=start)
    assert [d.date() for d in rule[:4]] == [date(2026, 1, 29), date(2026, 2, 26),
                                            date(2026, 3, 26), date(2026, 4, 30)]
    quarterly = next(e for e in cal.walk("VEVENT") if str(e["SUMMARY"]) == "ICP review")
    rule = rrulestr(quarterly["RRULE"].to_ical().decode(),
                    dtstart=quarterly.decoded("DTSTART"))
    assert [d.date() for d in rule[:3]] == [date(2026, 1, 29), date(2026, 4, 30),
                                            date(2026, 7, 30)]


def test_start_moves_past_weekends_and_holidays(starter: CompiledContract) -> None:
    # Fri 2026-07-03 is the observed Independence Day; Sat and Sun follow → Mon 6 July,
    # the first Monday of July (1MO); July is summer time (UTC-4).
    cal = icalendar.Calendar.from_ical(cadence_ics(starter, date(2026, 7, 3)))
    weekly, _, monthly, _ = cal.walk("VEVENT")
    assert weekly.decoded("DTSTART") == datetime(2026, 7, 6, 10, 0, tzinfo=NY)
    assert weekly.decoded("DTSTART").utcoffset() == timedelta(hours=-4)
    assert weekly["RRULE"]["BYDAY"] == ["MO"]
    assert monthly["RRULE"]["BYDAY"] == ["1MO"]


def test_a_later_working_day_start_and_another_zone() -> None:
    text = (STARTER_TEXT.replace("timezone: America/New_York", "timezone: Asia/Tokyo")
            .replace('hours: "09:00-18:00"', 'hours: "11:00-19:00"')
            .replace("holidays: US", "holidays: JP"))
    cal = icalendar.Calendar.from_ical(cadence_ics(compile_text(text)))
    first = cal.walk("VEVENT")[0]
    # Thu 1 Jan 2026 is New Year's Day in Japan too → Fri 2 Jan, at 11:00: the working day
    # starts after 10:00; the next cadence at 11:00 + 30 min
    tokyo = ZoneInfo("Asia/Tokyo")
    assert first.decoded("DTSTART") == datetime(2026, 1, 2, 11, 0, tzinfo=tokyo)
    assert cal.walk("VEVENT")[1].decoded("DTSTART") == datetime(2026, 1, 2, 11, 30,
                                                                 tzinfo=tokyo)
    assert [str(tz["TZID"]) for tz in cal.walk("VTIMEZONE")] == ["Asia/Tokyo"]


def test_same_contract_same_bytes_whatever_the_day(starter: CompiledContract) -> None:
    data = cadence_ics(starter)
    assert data == cadence_ics(compile_text(STARTER_TEXT, "copy.yaml"))
    assert data.count(b"DTSTAMP:20260101T000000Z") == 4
    bumped = cadence_ics(compile_text(STARTER_TEXT.replace("version: 1", "version: 2")))
    assert b"UID:cadence-icp_review-v2@accord" in bumped
    assert b"-v1@accord" not in bumped


# --- the command ------------------------------------------------------------------------------


def test_cli_writes_prints_and_describes(tmp_path: Path, starter: CompiledContract) -> None:
    (tmp_path / "accord.yaml").write_text(STARTER_TEXT, encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "cadence.ics"
    result = runner.invoke(app, ["cadence", "ics", "-w", str(tmp_path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == cadence_ics(starter)
    printed = runner.invoke(app, ["cadence", "ics", "-w", str(tmp_path)])
    assert printed.stdout_bytes == cadence_ics(starter)
    described = runner.invoke(app, ["cadence", "ics", "-w", str(tmp_path), "--json",
                                    "--start", "2026-07-03"])
    data = json.loads(described.stdout)
    assert [e["rrule"] for e in data["events"]] == [
        "FREQ=WEEKLY;BYDAY=MO", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO", "FREQ=MONTHLY;BYDAY=1MO",
        "FREQ=MONTHLY;INTERVAL=3;BYDAY=1MO"]
    assert data["events"][0]["start"] == "2026-07-06T10:00:00-04:00"
    bad = runner.invoke(app, ["cadence", "ics", "-w", str(tmp_path), "--start", "soon"])
    assert bad.exit_code == 2


def test_the_documented_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = DOCS.read_text(encoding="utf-8").split("`accord cadence ics`")[1]
    assert "<!-- section: cadence -->" not in section.split("\n## ")[0]
    lines = [line.strip() for block in fenced_blocks(DOCS, "")
             for line in block.splitlines() if line.strip().startswith("accord cadence ics")]
    assert len(lines) == 3
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    Path("accord.yaml").write_text(STARTER_TEXT, encoding="utf-8")
    for line in lines:
        result = runner.invoke(app, shlex.split(line)[1:])
        assert result.exit_code == 0, (line, result.output)
    assert Path("cadence.ics").read_bytes().startswith(b"BEGIN:VCALENDAR")


def test_the_documented_event_is_real_output(starter: CompiledContract) -> None:
    (excerpt,) = [b for b in fenced_blocks(DOCS, "") if b.startswith("BEGIN:VEVENT")]
    text = cadence_ics(starter).decode().replace("\r\n", "\n")
    assert excerpt in text
