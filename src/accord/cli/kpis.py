"""`accord kpis` and `accord effectiveness`: the shared KPIs and alignment effectiveness."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.analytics.effectiveness import (
    BUCKETS,
    HIGH_OVERLAP,
    Effectiveness,
    compute_effectiveness,
)
from accord.analytics.kpis import (
    BASIS_CHOICES,
    DEFAULT_HANDOFF_DAYS,
    Basis,
    KpiReport,
    KpiRow,
    compute_kpis,
)
from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    open_session,
    print_json,
)
from accord.engine.views import VIEWS, View, check_view
from accord.errors import UnknownNameError

PeriodOpt = Annotated[str | None, typer.Option(
    "--period", help="2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14 (UTC). Default: all "
                     "time.")]
ByOpt = Annotated[str | None, typer.Option(
    "--by", help="Split by channel, campaign, landing_page, industry, segment, region, "
                 "icp_tier, score_band, rep, month or rejection_reason.")]
KpiViewOpt = Annotated[str, typer.Option(
    "--view", help="actual: stage changes as people and the CRM recorded them (default); "
                   "derived: stages as the engine recomputes them under the contract "
                   "(needs `accord run`). (cohort/period here are the old spelling of "
                   "--basis.)")]
HandoffOpt = Annotated[float, typer.Option(
    "--handoff-days", help="Handoff rate: days after the first marketing touch within which a "
                           "sales activity counts as follow-up.", min=0.001)]

_STATUS_STYLE = {"ok": "green", "warn": "yellow", "off-target": "red", "no-target": "dim",
                 "no-data": "dim"}


def _value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    match unit:
        case "share":
            return f"{value:.1%}"
        case "business minutes":
            return f"{value:,.0f} min" if value < 120 else f"{value / 60:,.1f} h"
        case "days":
            return f"{value:,.1f} d"
        case "ratio":
            return f"{value:,.1f}×"
        case "currency" | "currency per day":
            return f"{value:,.0f}" + ("/day" if unit == "currency per day" else "")
        case _:
            return f"{value:,.2f}"


def _count(x: float | None) -> str:
    if x is None:
        return ""
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.2f}"


def _ratio_text(r: KpiRow) -> str:
    if r.numerator is None and r.denominator is None:
        return ""
    if r.numerator is None:
        return f"n={_count(r.denominator)}"
    if r.denominator is None:
        return ""
    return f"{_count(r.numerator)} / {_count(r.denominator)}"


def view_and_basis(view: str, basis: str | None, default_basis: Basis) -> tuple[View, Basis]:
    """The view and basis a command was given. `--view cohort|period` is the old spelling
    of `--basis` (before views named where stage moves come from): still accepted, with a
    one-line note on stderr."""
    if view in BASIS_CHOICES:
        err_console.print(f"note: --view {view} is deprecated; use --basis {view} (--view now "
                          f"means {' or '.join(VIEWS)})", highlight=False)
        basis, view = basis or view, "actual"
    chosen = basis or default_basis
    if chosen not in BASIS_CHOICES:
        raise UnknownNameError("basis", chosen, BASIS_CHOICES, where="--basis")
    return check_view(view), chosen


def kpi_tables(report: KpiReport) -> list[Table]:
    """The KPI rows (company-wide first, then groups) and the definitions."""
    title = (f"KPIs, {report.period.label} — {report.basis_label}; {report.view} view"
             + (f", by {report.by}" if report.by else ""))
    table = Table(title=title, title_justify="left")
    for col in ("kpi", "group", "value", "numerator / denominator", "target", "status"):
        table.add_column(col, justify="right" if col in ("value", "target") else "left",
                         no_wrap=col in ("kpi", "value"))
    names = [name for name, _ in report.definitions]
    for i, name in enumerate(names):
        rows = [r for r in report.rows if r.kpi == name]
        for j, r in enumerate(rows):
            style = _STATUS_STYLE[r.status]
            table.add_row(name if j == 0 else "", r.group, _value(r.value, r.unit),
                          _ratio_text(r), _value(r.target, r.unit) if r.target is not None
                          else "", f"[{style}]{r.status}[/{style}]",
                          end_section=report.by is not None and j == len(rows) - 1
                          and i < len(names) - 1)
    defs = Table(title="Definitions", title_justify="left", show_header=False)
    defs.add_column("kpi", style="bold", no_wrap=True)
    defs.add_column("definition")
    for name, text in report.definitions:
        defs.add_row(name, text)
    return [table, defs]


def effectiveness_table(eff: Effectiveness) -> Table:
    title = (f"Alignment effectiveness, {eff.period.label} — {eff.basis_label}; {eff.view} "
             "view" + (f", by {eff.by}" if eff.by else ""))
    caption = (f"handoff: sales activity within {eff.handoff_days:g} days of the first "
               f"marketing touch; effective at 35% (seed 000) · overlap: shared ÷ "
               f"sales-worked accounts; high at {eff.high_overlap_at:.0%}")
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    for col in ("group", "handoff", "followed / engaged", "mkt accounts", "sales accounts",
                "shared", "overlap", "bucket"):
        table.add_column(col, justify="left" if col in ("group", "bucket") else "right")
    for r in eff.rows:
        a = r.audience
        bucket = (f"{r.bucket} [dim]({BUCKETS[r.bucket][0]:.0%} of companies)[/dim]"
                  if r.bucket else "—")
        table.add_row(r.group, _value(r.handoff_rate, "share"),
                      f"{r.followed_up:,} / {r.engaged:,}", f"{a.marketing_accounts:,}",
                      f"{a.sales_accounts:,}", f"{a.shared_accounts:,}",
                      _value(a.overlap, "share"), bucket,
                      end_section=r.total and len(eff.rows) > 1)
    return table


@guarded
def kpis_command(
    period: PeriodOpt = None,
    by: ByOpt = None,
    basis: Annotated[str | None, typer.Option(
        help="cohort: leads created in the period, followed to today (default); period: "
             "events in the period.")] = None,
    view: KpiViewOpt = "actual",
    kpi: Annotated[list[str] | None, typer.Option(
        "--kpi", help="Only this KPI (repeat for more). Default: all.")] = None,
    handoff_days: HandoffOpt = DEFAULT_HANDOFF_DAYS,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The shared KPIs both teams own, each beside its contract target with a status.

    Every KPI's one-line definition is printed with it (docs/kpis.md has them all). The
    speed-to-lead KPIs read the speed-to-lead SLA clock, the same one `accord sla` reports.

    Examples:

      accord kpis --period 2026-Q1

      accord kpis --period 2026 --by channel --basis period

      accord kpis --by month --kpi mql_to_sal --kpi win_rate --json

      accord kpis --view derived --kpi speed_to_lead_within_sla --by rep
    """
    chosen_view, chosen_basis = view_and_basis(view, basis, "cohort")
    with open_session(ws_path, store) as s:
        report = compute_kpis(s.store, s.contract, period=period, by=by, basis=chosen_basis,
                              view=chosen_view, as_of=s.as_of(as_of).at, kpis=kpi or None,
                              handoff_days=handoff_days)
    if as_json:
        print_json(report.as_dict())
        return
    for table in kpi_tables(report):
        console.print(table)
    for note in report.notes:
        console.print(f"[dim]· {note}[/dim]", highlight=False)


@guarded
def effectiveness_command(
    period: PeriodOpt = None,
    by: ByOpt = None,
    basis: Annotated[str | None, typer.Option(
        help="period: engagement and sales work in the period (default); cohort: leads "
             "created in the period, followed to today.")] = None,
    view: KpiViewOpt = "actual",
    handoff_days: HandoffOpt = DEFAULT_HANDOFF_DAYS,
    high_overlap: Annotated[float, typer.Option(
        "--high-overlap", help="Overlap (shared ÷ sales-worked accounts) counted as high.",
        min=0.01, max=1.0)] = HIGH_OVERLAP,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Alignment effectiveness: handoff rate, audience overlap, seed 000's bucket, and the
    structural diagnostic.

    Examples:

      accord effectiveness --period 2026-Q1

      accord effectiveness --period 2026 --by segment --json
    """
    chosen_view, chosen_basis = view_and_basis(view, basis, "period")
    with open_session(ws_path, store) as s:
        eff = compute_effectiveness(s.store, s.contract, period=period, by=by,
                                    basis=chosen_basis, view=chosen_view,
                                    as_of=s.as_of(as_of).at, handoff_days=handoff_days,
                                    high_overlap_at=high_overlap)
    if as_json:
        print_json(eff.as_dict())
        return
    console.print(effectiveness_table(eff))
    diag = eff.structural
    if diag is not None:
        console.print(f"\n[bold]Structural diagnostic[/bold] {diag.start:%Y-%m-%d} .. "
                      f"{diag.end:%Y-%m-%d} (seed 000: all three signs → structure, not "
                      "coaching)")
        for sign in diag.signs:
            mark = "[red]✗[/red]" if sign.tripped else "[green]✓[/green]"
            stage = f" at {sign.stage}" if sign.stage else ""
            console.print(f"  {mark} {sign.name}{stage}: {sign.count:,} of {sign.total:,} "
                          f"({_value(sign.share, 'share')})", highlight=False)
        verdict = ("structure: fix how the teams connect, not the people" if diag.structural
                   else "not structural by seed 000's test")
        console.print(f"  → {verdict}")
    for note in eff.notes:
        console.print(f"[dim]· {note}[/dim]", highlight=False)
