"""`accord route`: assign every lead in the store by the contract's routing rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

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
from accord.engine.batch import route_all
from accord.engine.fairness import FairnessReport, Period, fairness_report
from accord.engine.routing import RoutingResult, check_rep
from accord.engine.views import check_view
from accord.errors import UnknownNameError

PeriodOpt = Annotated[
    str, typer.Option("--period", help="Fairness period: month or week (UTC).",
                      case_sensitive=False)]
PERIODS: tuple[Period, ...] = ("month", "week")


@guarded
def route_command(
    fairness: Annotated[bool, typer.Option(
        "--fairness", help="Report each rep's share per pool and period against the weights, "
                           "and the leads skipped for capacity or leave.")] = False,
    period: PeriodOpt = "month",
    rep: Annotated[str | None, typer.Option(
        "--rep", help="Show only this rep's leads, skips and shares.")] = None,
    view: ViewOpt = "derived",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Route the store's leads (rules in contract order) and store the assignments.

    With `routing.stage` in the contract (the starter: its handoff stage, MQL) a lead is
    routed when it first enters that stage — in the derived view (default) the stage
    history is recomputed first (as of `--as-of`, default the latest fact), as the live
    engine routes; `--view actual` reads the recorded stage events instead. Without a
    routing stage every lead is routed when created. Writes the derived tables
    `assignments`, `routing_skips` and `routing_pools`. Capacity days follow the
    contract's `calendar.timezone`.

    Examples:

      accord route

      accord route --as-of 2025-12-31T23:59:59 --fairness --period week

      accord route --fairness --json | jq '.fairness.skips[:5]'
    """
    period_kind = period.lower()
    if period_kind not in PERIODS:
        raise UnknownNameError("fairness period", period, PERIODS)
    with open_session(ws_path, store) as s:
        if rep is not None:
            check_rep(s.store, rep)
        result = route_all(s.store, s.contract, s.as_of(as_of).at, view=check_view(view))
        location, version = s.workspace.store_label, s.contract.version
    report = (fairness_report(result.assignments, result.skips, result.members,
                              period=_period(period_kind)) if fairness else None)
    if rep is not None:
        result = result.for_rep(rep)
        if report is not None:
            report = report.for_rep(rep)
    if as_json:
        print_json(_as_dict(location, view, result, report))
        return
    console.print(f"Routed {result.assignments.num_rows:,} leads "
                  f"{f'to {rep} ' if rep else ''}(contract version {version}, {view} view) "
                  f"into {location}")
    console.print(_rules_table(result))
    if result.skips.num_rows:
        console.print(_skips_table(result))
    if report is not None:
        for pool in report.pools():
            console.print(_shares_table(report, pool))
        if report.skips:
            console.print(_flows_table(report))


def _period(text: str) -> Period:
    return "week" if text == "week" else "month"


def _as_dict(location: str, view: str, result: RoutingResult,
             report: FairnessReport | None) -> dict[str, Any]:
    data: dict[str, Any] = {"store": location, "view": view,
                            "leads": result.assignments.num_rows,
                            "by_rule": result.by_rule(), "skips": result.skips_by_reason()}
    if report is not None:
        data["fairness"] = report.to_dict()
    return data


def _rules_table(result: RoutingResult) -> Table:
    table = Table(title="Assignments by rule", title_justify="left")
    for name in ("rule", "step"):
        table.add_column(name)
    table.add_column("leads", justify="right")
    for row in result.by_rule():
        table.add_row(row["rule"], row["step"], f"{row['leads']:,}")
    return table


def _skips_table(result: RoutingResult) -> Table:
    table = Table(title="Reps skipped", title_justify="left")
    for name in ("rule", "pool", "reason"):
        table.add_column(name)
    table.add_column("leads", justify="right")
    for row in result.skips_by_reason():
        table.add_row(row["rule"], row["pool"] or "—", row["reason"].replace("_", " "),
                      f"{row['leads']:,}")
    return table


def _shares_table(report: FairnessReport, pool: str) -> Table:
    table = Table(title=f"Pool {pool}: share per {report.period}", title_justify="left",
                  caption="expected = share by weight and availability; deviation in leads",
                  caption_justify="left")
    table.add_column(report.period)
    table.add_column("rep")
    for name in ("weight", "intended", "assigned", "share", "out of office", "at capacity",
                 "expected", "deviation"):
        table.add_column(name, justify="right")
    for s in (s for s in report.shares if s.pool == pool):
        table.add_row(s.period.isoformat(), s.rep_id, f"{s.weight:g}",
                      f"{s.intended_share:.1%}", f"{s.assigned:,}", f"{s.share:.1%}",
                      f"{s.skipped_out_of_office:,}", f"{s.skipped_at_capacity:,}",
                      f"{s.expected:,.1f}", f"{s.deviation:+.1f}")
    return table


def _flows_table(report: FairnessReport) -> Table:
    table = Table(title="Skipped leads and where they went", title_justify="left")
    for name in (report.period, "rule", "pool", "rep", "reason", "went to"):
        table.add_column(name)
    table.add_column("leads", justify="right")
    for f in report.skips:
        table.add_row(f.period.isoformat(), f.rule, f.pool or "—", f.rep_id,
                      f.reason.replace("_", " "), f.went_to, f"{f.leads:,}")
    return table
