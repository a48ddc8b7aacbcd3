"""`accord insights`: closed-loop findings — who converts differently, and where leads stop."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.analytics.insights import (
    DIMENSIONS,
    find_insights,
    rejection_patterns,
    speed_to_lead_effect,
)
from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    guarded,
    print_json,
    workspace,
)


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
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Segments, channels, campaigns, landing pages and reps that convert differently.

    Each finding has its rate ratio against the rest, a 95% confidence interval, the
    sample size and a Benjamini–Hochberg q-value; campaigns and landing pages are compared
    within their channel, reps within their region. Also: qualification by speed to lead
    and rejection reasons by channel.

    Examples:

      accord insights

      accord insights --by channel,industry --period 2025-Q2 --json
    """
    dims = tuple(d.strip() for d in by.split(",")) if by else None
    ws = workspace(ws_path, store)
    st = ws.open_store()
    try:
        report = find_insights(st, fdr=fdr, min_ratio=min_ratio, min_n=min_n,
                               dimensions=dims, period=parse_period(period))
        speed = speed_to_lead_effect(st)
        rejections = rejection_patterns(st)
    except KeyError as exc:
        raise typer.BadParameter(str(exc.args[0]), param_hint="--by") from None
    finally:
        st.close()
    if as_json:
        print_json({
            "tests": report.tests, "fdr": report.fdr, "min_ratio": report.min_ratio,
            "min_n": report.min_n,
            "insights": [{**i.__dict__, "rate": i.rate, "rest_rate": i.rest_rate}
                         for i in report.insights],
            "speed_to_lead": [{**b.__dict__, "rate": b.rate} for b in speed],
            "rejections": [r.__dict__ for r in rejections],
        })
        return
    console.print(f"[bold]{len(report.insights)} insight(s)[/bold] from {report.tests:,} "
                  f"comparisons (FDR {report.fdr:.0%}, ratio ≥ {report.min_ratio}×, "
                  f"n ≥ {report.min_n}).")
    for i in report.insights:
        console.print(f"  • {i.sentence} [dim]q={i.q_value:.1e}[/dim]", highlight=False)
    table = Table(title="Qualification (reached SQL) by minutes to first touch",
                  title_justify="left")
    for col in ("band", "MQLs", "qualified", "rate", "vs 0–5 min"):
        table.add_column(col, justify="right")
    for b in speed:
        table.add_row(b.band, f"{b.mqls:,}", f"{b.qualified:,}",
                      "—" if b.rate is None else f"{b.rate:.0%}",
                      "—" if b.ratio_to_fastest is None else f"{b.ratio_to_fastest:.2f}×")
    console.print(table)
    top: dict[str, tuple[str, float, float]] = {}
    for r in rejections:
        if r.channel not in top or r.share > top[r.channel][1]:
            top[r.channel] = (r.reason, r.share, r.overall_share)
    rej = Table(title="Top rejection reason by channel", title_justify="left")
    for col in ("channel", "reason", "share", "overall"):
        rej.add_column(col)
    for channel, (reason, share, overall) in sorted(top.items()):
        rej.add_row(channel, reason, f"{share:.0%}", f"{overall:.0%}")
    console.print(rej)
