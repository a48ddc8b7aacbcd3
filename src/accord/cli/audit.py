"""`accord audit`: the agreement as written against what the company actually did."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.analytics.audit import DEFAULT_EXAMPLES, TYPICAL_GAP, AuditReport, audit
from accord.analytics.kpis.period import EXAMPLES as PERIOD_EXAMPLES
from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    guarded,
    open_session,
    print_json,
)

#: The article the typical gap comes from, named where the figure is shown.
GAP_SOURCE = ("\"Marketing-Sales Alignment for SMB vs Enterprise: One Framework, Two "
              "Operating Modes\"")


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def audit_table(report: AuditReport) -> Table:
    """The audit as one table: a row per commitment."""
    table = Table(
        title=f"Audit, {report.period}, as of {report.as_of:%Y-%m-%d %H:%M} UTC "
              f"({report.as_of_source}; contract v{report.contract_version}; {report.view})",
        title_justify="left", show_lines=True)
    for col in ("commitment", "agreed", "actual", "gap", "share", "examples"):
        table.add_column(col, justify="right" if col in ("gap", "share") else "left",
                         overflow="fold")
    for r in report.rows:
        owner = f"\n[dim]owner: {escape(r.owner)}[/dim]" if r.owner else ""
        pooled = "" if r.in_overall else "\n[dim](not in the overall)[/dim]"
        table.add_row(f"{escape(r.commitment)}{owner}", escape(r.agreed),
                      f"{escape(r.actual)}\n[dim]{escape(r.reads)}[/dim]",
                      f"{r.count:,} / {r.base:,} {r.unit}{pooled}", _share(r.share),
                      escape(", ".join(r.examples)) or "—")
    return table


def overall_line(report: AuditReport) -> str:
    low, high = TYPICAL_GAP
    return (f"Overall gap: {_share(report.share)} — {report.count:,} of {report.base:,} "
            f"audited lead-commitments broken in the actual view. A first audit typically "
            f"finds {low:.0%}–{high:.0%} between the documented process and what the systems "
            f"do ({GAP_SOURCE}).")


@guarded
def audit_command(
    period: Annotated[str | None, typer.Option(
        "--period", help=f"Only the checks that fall in: {PERIOD_EXAMPLES} (UTC; a handoff, "
                         "SLA clock, rejection, routing or move by when it happened). "
                         "Default: all time.")] = None,
    examples: Annotated[int, typer.Option(
        "--examples", min=0, help="Example lead ids per row, sorted (0 = none).")]
        = DEFAULT_EXAMPLES,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Documented vs actual: each commitment of the contract against what the facts show.

    One row per commitment — the handoff criteria, every SLA, rejection reason codes,
    routing, the stage graph — with what was agreed, what the actual view shows, the gap
    (broken / checked) and example leads, then the overall gap: the share of audited
    lead-commitments the actual view breaks. Leads handed off and owners are compared with
    the derived view of the last `accord run` (run it after importing); SLAs are read
    from the one SLA clock, as `accord sla` does. docs/operations.md has every rule.

    Examples:

      accord audit

      accord audit --period 2026-Q1

      accord audit --period 2026-03 --examples 10

      accord audit --as-of 2026-06-30 --json
    """
    window = parse_period(period)
    with open_session(ws_path, store) as s:
        report = audit(s.store, s.contract, since=window.start, until=window.end,
                       as_of=s.as_of(as_of), examples=examples, period=window.label)
    if as_json:
        print_json(report.to_dict())
        return
    console.print(audit_table(report))
    console.print(overall_line(report), highlight=False)
