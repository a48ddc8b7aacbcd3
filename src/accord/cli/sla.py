"""`accord sla`: SLA compliance as of a moment, or who breaches them (`--breaches`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    console,
    guarded,
    open_session,
    parse_instant,
    print_json,
)
from accord.engine.routing import check_rep
from accord.engine.sla_clock import SlaBreaches, SlaOverview, sla_breaches, sla_overview
from accord.engine.speed_to_lead import DelayStats
from accord.engine.views import VIEW_LABELS, check_view

AsOfNowOpt = Annotated[
    datetime | None,
    typer.Option("--as-of", "--now", parser=parse_instant, metavar="TIME",
                 help="Read the clocks as of this time (ISO; UTC unless it has an offset); "
                      "facts after it are ignored. Default: the latest fact in the store, so "
                      "historical or simulated data reads as of its own end."),
]


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _minutes(value: float | None) -> str:
    if value is None:
        return "—"
    if value < 120:
        return f"{value:.0f} min"
    return f"{value / 60:.1f} h"


def _overview_tables(o: SlaOverview) -> list[Table]:
    slas = Table(title=f"SLAs as of {o.now:%Y-%m-%d %H:%M} UTC ({o.now_source}; "
                       f"{VIEW_LABELS[o.view]})", title_justify="left")
    for col in ("sla", "kind", "within", "met", "breached", "open", "within SLA",
                "escalations"):
        slas.add_column(col, justify="left" if col in ("sla", "kind", "within") else "right")
    for s in o.slas:
        steps = o.escalations.get(s.sla, {})
        esc = " · ".join(f"{k}: {n:,}" for k, n in steps.items()) or "—"
        slas.add_row(s.sla, s.kind, s.within, f"{s.met:,}", f"{s.breached:,}", f"{s.open:,}",
                     _pct(s.share_within), esc)
    tables = [slas]
    if o.volume:
        vol = Table(title="Volume commitments by month", title_justify="left")
        for col in ("sla", "month", "entered", "target", "acceptance", "min", "status"):
            vol.add_column(col, justify="left" if col in ("sla", "month", "status") else "right")
        for m in o.volume:
            vol.add_row(m.sla, m.month, f"{m.entered:,}", f"{m.per_month:,}",
                        _pct(m.acceptance), _pct(m.min_acceptance), m.status)
        tables.append(vol)
    speed = o.speed_to_lead
    stl = Table(title=f"Speed to lead ({speed.leads:,} leads assigned, {speed.untouched:,} not "
                      f"yet touched; assigned from {speed.assigned_from})", title_justify="left")
    for col in ("delay", "unit", "P50", "P95", "0-5", "5-15", "15-60", "60+"):
        stl.add_column(col, justify="left" if col in ("delay", "unit") else "right")

    def row(name: str, d: DelayStats) -> None:
        stl.add_row(name, d.unit, _minutes(d.p50), _minutes(d.p95),
                    *(f"{b.count:,} [dim]{_pct(b.share)}[/dim]" for b in d.bands))

    row("systems (handoff → assigned)", speed.systems)
    row("human (assigned → first touch)", speed.human)
    tables.append(stl)
    return tables


def _breach_tables(b: SlaBreaches) -> list[Table]:
    reps = Table(title=f"Reps by SLA breaches as of {b.now:%Y-%m-%d %H:%M} UTC "
                       f"({b.now_source}; {b.view} view), worst first", title_justify="left")
    for col in ("rep", "name", "time zone", "breached", "decided", "rate", "by SLA"):
        reps.add_column(col, justify="right" if col in ("breached", "decided", "rate")
                        else "left")
    for r in b.reps:
        by = " · ".join(f"{k}: {n:,}" for k, n in r.by_sla.items() if n)
        zone = (r.timezone or "—") + (" *" if r.off_calendar else "")
        reps.add_row(r.rep_id, r.name or "", zone, f"{r.breached:,}", f"{r.decided:,}",
                     _pct(r.breach_rate), by or "—")
    if any(r.off_calendar for r in b.reps):
        reps.caption = (f"* works outside the time zone of a calendar its clocks ran on (the "
                        f"contract's is {b.calendar_timezone}; SLAs on `calendar: owner` "
                        "run on the rep's own): leads that arrive in that calendar's hours "
                        "may wait for the rep's day to start")
        reps.caption_justify = "left"
    leads = Table(title=f"Breached clocks: {b.breached_total:,} ({b.unassigned_breaches:,} "
                        f"without a rep); most overdue first", title_justify="left")
    for col in ("sla", "lead", "rep", "started (UTC)", "due (UTC)", "stopped (UTC)",
                "overdue"):
        leads.add_column(col, justify="right" if col == "overdue" else "left")
    for lead in b.leads:
        leads.add_row(lead.sla, lead.lead_id, lead.rep_id or "—",
                      f"{lead.start_at:%Y-%m-%d %H:%M}", f"{lead.due_at:%Y-%m-%d %H:%M}",
                      f"{lead.stopped_at:%Y-%m-%d %H:%M}" if lead.stopped_at else "open",
                      _minutes(lead.overdue_minutes))
    return [reps, leads]


@guarded
def sla_command(
    breaches: Annotated[bool, typer.Option(
        "--breaches", help="Rank reps by breaches (count, then rate), worst first, and list "
                           "the most overdue breached leads.")] = False,
    sla: Annotated[str | None, typer.Option(
        "--sla", help="Only this SLA (a name under `slas` in the contract).")] = None,
    rep: Annotated[str | None, typer.Option(
        "--rep", help="Only the clocks this rep is responsible for.")] = None,
    period: Annotated[str | None, typer.Option(
        help="Only the clocks that started in: 2026, 2026-Q1, 2026-03 or "
             "2026-01-15..2026-02-14 (speed to lead: leads handed off in it).")] = None,
    view: ViewOpt = "actual",
    as_of: AsOfNowOpt = None,
    limit: Annotated[int, typer.Option(
        help="Breached leads to list with --breaches (0 = all).", min=0)] = 20,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """SLA compliance: per SLA met / breached / open (overall and per rep), monthly volume,
    speed to lead.

    Clocks use the contract's business calendar (time zone, hours, holidays), or the
    owner's for SLAs on `calendar: owner`; see docs/sla.md for every rule.

    Examples:

      accord sla

      accord sla --breaches --limit 50

      accord sla --as-of 2026-03-02T17:00 --json

      accord sla --view derived --sla speed_to_lead

      accord sla --period 2026-Q1 --rep sdr_003
    """
    chosen = check_view(view)
    window = parse_period(period)
    with open_session(ws_path, store) as s:
        if rep is not None:
            check_rep(s.store, rep)
        at = s.as_of(as_of)
        result: SlaOverview | SlaBreaches = (
            sla_breaches(s.store, s.contract, at, limit, view=chosen, sla=sla, rep=rep,
                         since=window.start, until=window.end)
            if breaches else
            sla_overview(s.store, s.contract, at, view=chosen, sla=sla, rep=rep,
                         since=window.start, until=window.end))
    if as_json:
        print_json(result.as_dict())
        return
    tables = (_breach_tables(result) if isinstance(result, SlaBreaches)
              else _overview_tables(result))
    for table in tables:
        console.print(table)
