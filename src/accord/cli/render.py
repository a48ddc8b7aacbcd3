"""Rich renderings of library results (no computation here)."""

from __future__ import annotations

from rich.table import Table

from accord.analytics.funnel import Funnel, FunnelRow


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def funnel_table(funnel: Funnel) -> Table:
    """Counts per stage; under each count, the conversion from the stage before."""
    title = "Funnel (lead cohort)" + (f" by {funnel.by}" if funnel.by else "")
    table = Table(title=title, title_justify="left",
                  caption="count reached · conversion from the previous stage",
                  caption_justify="left")
    table.add_column(funnel.by or "", style="bold", no_wrap=True)
    for stage in funnel.stages:
        table.add_column(stage, justify="right", no_wrap=True)
    rows: list[FunnelRow] = [*funnel.groups, funnel.total]
    for n, row in enumerate(rows):
        cells = [f"{row.counts[0]:,}"]
        for count, conv in zip(row.counts[1:], row.conversions, strict=True):
            cells.append(f"{count:,} [dim]{_pct(conv)}[/dim]")
        table.add_row(row.group, *cells, end_section=(n == len(rows) - 2))
    return table


def counts_table(counts: dict[str, int], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in counts.items():
        table.add_row(name, f"{n:,}")
    return table
