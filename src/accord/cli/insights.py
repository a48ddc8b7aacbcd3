"""`accord insights`: closed-loop findings — who converts differently, and where leads stop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.analytics.insights import DIMENSIONS, ClosedLoopInsights, closed_loop_insights
from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    console,
    guarded,
    open_session,
    print_json,
)
from accord.engine.views import VIEW_LABELS, check_view


@guarded
def insights_command(
    by: Annotated[str | None, typer.Option(
        help=f"Comma-separated dimensions to test (default all: {', '.join(DIMENSIONS)}).")] = None,
    period: Annotated[str | None, typer.Option(
        help="Cohort of leads created in: 2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14.")
    ] = None,
    fdr: Annotated[float, typer.Option(help="False discovery rate (Benjamini–Hochberg).",
                                       min=0.0001, max=0.5)] = 0.01,
    min_ratio: Annotated[float, typer.Option(help="Smallest rate ratio worth reporting.",
                                             min=1.0)] = 1.25,
    min_n: Annotated[int, typer.Option(help="Fewest leads at the stage, per side.",
                                       min=5)] = 40,
    view: ViewOpt = "actual",
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Segments, channels, campaigns, landing pages and reps that convert differently.

    Each finding has its rate ratio against the rest, a 95% confidence interval, the
    sample size and a Benjamini–Hochberg q-value; campaigns and landing pages are compared
    within their channel, reps within their region. Also: qualification by speed to lead
    (the speed-to-lead SLA clock, as `accord sla` reads it) and rejection reasons by
    channel.

    Examples:

      accord insights

      accord insights --by channel,industry --period 2025-Q2 --json
    """
    dims = tuple(d.strip() for d in by.split(",")) if by else None
    with open_session(ws_path, store) as s:
        found = closed_loop_insights(
            s.store, s.contract, fdr=fdr, min_ratio=min_ratio, min_n=min_n, dimensions=dims,
            period=parse_period(period), as_of=s.as_of(as_of).at, view=check_view(view))
    if as_json:
        print_json(found.as_dict())
        return
    _print(found)


def _print(found: ClosedLoopInsights) -> None:
    report = found.report
    console.print(f"[bold]{len(report.insights)} insight(s)[/bold] from {report.tests:,} "
                  f"comparisons (FDR {report.fdr:.0%}, ratio ≥ {report.min_ratio}×, "
                  f"n ≥ {report.min_n}); {VIEW_LABELS[found.view]}.", highlight=False)
    for i in report.insights:
        console.print(f"  • {i.sentence} [dim]q={i.q_value:.1e}[/dim]", highlight=False)
    table = Table(title="Qualified by minutes to first touch (speed-to-lead SLA clock, "
                        "wall clock)", title_justify="left")
    for col in ("band", "handed off", "qualified", "rate", "vs 0–5 min"):
        table.add_column(col, justify="right")
    for b in found.speed_to_lead:
        table.add_row(b.band, f"{b.mqls:,}", f"{b.qualified:,}",
                      "—" if b.rate is None else f"{b.rate:.0%}",
                      "—" if b.ratio_to_fastest is None else f"{b.ratio_to_fastest:.2f}×")
    console.print(table)
    rej = Table(title="Top rejection reason by channel", title_justify="left")
    for col in ("channel", "reason", "share", "overall"):
        rej.add_column(col)
    for p in found.top_reasons:
        rej.add_row(p.channel, p.reason, f"{p.share:.0%}", f"{p.overall_share:.0%}")
    console.print(rej)
    for note in found.notes:
        console.print(f"[dim]· {note}[/dim]", highlight=False)
