"""`accord cadence`: the contract's operating cadence (`cadences:`) in your calendar."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import JsonOpt, WorkspaceOpt, console, guarded, print_json
from accord.contract.compiled import load_compiled
from accord.errors import UsageError
from accord.reports.cadence_ics import cadence_events, cadence_ics

app = typer.Typer(help="The meetings the contract sets (weekly pipeline review, biweekly "
                       "alignment check, monthly SLA review, quarterly ICP review) as a "
                       "calendar file.", no_args_is_help=True)


def parse_date(text: str) -> date:
    """A `--start` value: an ISO date such as 2026-03-02."""
    if isinstance(text, date):
        return text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not an ISO date; use e.g. 2026-03-02") from None


@app.command("ics")
@guarded
def ics_command(
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="FILE",
        help="Write the calendar here (e.g. cadence.ics); `-` or no --out prints it.")] = None,
    start: Annotated[date | None, typer.Option(
        "--start", parser=parse_date, metavar="DATE",
        help="First meetings on the first working day at or after this date (ISO). "
             "Default: the contract's effective date.")] = None,
    ws_path: WorkspaceOpt = Path("."),
    as_json: JsonOpt = False,
) -> None:
    """The contract's meetings as one iCalendar (.ics) file of recurring events.

    Import it into Google Calendar, Outlook or Apple Calendar. One event per cadence:
    weekly, every two weeks, monthly or quarterly (monthly ones on the same weekday of
    the month, e.g. the first Friday); starting on the first working day of the
    contract calendar at or after --start, at 10:00 in its time zone, each next cadence
    right after the one before; as long as `minutes`; the attendees by owner title; and
    in the description the agenda and the pack to bring (`accord report weekly --format
    pdf`, …).

    The file depends on the contract only (its version and effective date give the UIDs
    and time stamps), so re-running gives the same bytes and re-importing updates the
    same events.

    Examples:

      accord cadence ics --out cadence.ics

      accord cadence ics --start 2026-03-02 --out cadence.ics

      accord cadence ics --json | jq '.events[] | {summary, rrule, start}'
    """
    compiled = load_compiled(ws_path)
    data = cadence_ics(compiled, start)
    events = cadence_events(compiled, start)
    to_stdout = out is None or out == Path("-")
    if not to_stdout:
        assert out is not None
        try:
            out.write_bytes(data)
        except OSError as exc:
            raise UsageError(f"{out}: cannot write the calendar: {exc.strerror}") from None
    if as_json:
        print_json({"version": compiled.version,
                    "timezone": compiled.source.calendar.timezone,
                    "out": None if to_stdout else str(out), "bytes": len(data),
                    "events": [e.as_dict() for e in events]})
    elif to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        console.print(f"wrote {escape(str(out))}: {len(events)} recurring meeting(s), contract "
                      f"version {compiled.version}", highlight=False)
