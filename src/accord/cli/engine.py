"""Engine commands: `accord run` (recompute everything) and `accord score` (scores and why)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    open_session,
    print_json,
)
from accord.engine.batch import (
    STEPS,
    RunSummary,
    StepSummary,
    explain_lead,
    run,
    top_scores,
)
from accord.engine.scoring import LeadScore
from accord.engine.views import check_view

ScoreOpt = Annotated[float | None, typer.Option(
    "--min-name-score", min=0, max=100,
    help="Least fuzzy company-name score that links a lead to an account, for this run "
         "(default: the contract's matching.min_name_score).")]
MarginOpt = Annotated[float | None, typer.Option(
    "--min-margin", min=0, max=100,
    help="Least lead over the next account, in score points, for this run (default: the "
         "contract's matching.min_margin).")]


@guarded
def run_command(
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    only: Annotated[str | None, typer.Option(
        "--only", help=f"Comma-separated steps to recompute ({', '.join(STEPS)}); "
                       "default: all.")] = None,
    min_name_score: ScoreOpt = None,
    min_margin: MarginOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Recompute scores, stages, matches, assignments and SLA states for the whole store.

    Examples:

      accord run

      accord run --as-of 2025-12-31T23:59:59 --json

      accord run --only scores,stages

      accord run --only match --min-name-score 85 --min-margin 5
    """
    steps = None if only is None else [s.strip() for s in only.split(",") if s.strip()]

    def show(step: StepSummary) -> None:
        if not as_json:
            what = ", ".join(f"{n:,} {t}" for t, n in step.rows.items())
            err_console.print(f"  {step.name:<7} {step.seconds:7.2f} s  {what}",
                              highlight=False)

    with open_session(ws_path, store) as s:
        thresholds = s.contract.matching.model_copy(update={
            k: v for k, v in (("min_name_score", min_name_score), ("min_margin", min_margin))
            if v is not None})
        summary = run(s.store, s.contract, s.as_of(as_of).at, steps=steps, progress=show,
                      matching=thresholds)
    if as_json:
        print_json(summary.as_dict())
        return
    _print_run(summary)


def _print_run(summary: RunSummary) -> None:
    console.print(f"[green]✓[/green] {summary.leads:,} leads as of "
                  f"{summary.as_of.isoformat(timespec='seconds')} under contract "
                  f"v{summary.contract_version} in {summary.seconds:.1f} s")
    table = Table(title="Leads by stage")
    table.add_column("stage")
    table.add_column("leads", justify="right")
    for stage, n in summary.stages.items():
        table.add_row(stage, f"{n:,}")
    console.print(table)
    tiers = ", ".join(f"{t}: {n:,}" for t, n in summary.tiers.items())
    console.print(f"tiers  {tiers}")
    if summary.match_reviews:
        console.print(f"{summary.match_reviews:,} company names scored close to an account "
                      "but were not linked: review them in the derived table match_reviews "
                      "(docs/matching.md)")


@guarded
def score_command(
    lead: Annotated[str | None, typer.Option("--lead", help="Explain this lead's score.")]
    = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many top leads.")] = 20,
    stage: Annotated[str | None, typer.Option(
        "--stage", help="Only leads in this stage of the contract (as named in accord.yaml), "
                        "in the --view.")] = None,
    view: ViewOpt = "actual",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the top leads by fit and engagement, or one lead's score and why.

    Examples:

      accord score --limit 10

      accord score --lead L0000042 --json

      accord score --stage MQL --limit 10 --view derived
    """
    with open_session(ws_path, store) as s:
        at = s.as_of(as_of).at
        if lead is not None:
            explained = explain_lead(s.store, s.contract, lead, at)
        else:
            rows = top_scores(s.store, s.contract, at, limit=limit, stage=stage,
                              view=check_view(view))
    if lead is not None:
        if as_json:
            print_json(explained.as_dict())
        else:
            _print_explanation(explained)
        return
    if as_json:
        print_json({"as_of": at.isoformat(), "leads": [r.as_dict() for r in rows]})
        return
    table = Table(title=f"Top {len(rows)} leads as of {at.isoformat(timespec='seconds')}")
    for name, justify in (("lead", "left"), ("fit", "right"), ("tier", "left"),
                          ("icp", "left"), ("engagement", "right")):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for r in rows:
        table.add_row(r.lead_id, str(r.fit), r.tier or "–", r.icp or "–", f"{r.engagement:.1f}")
    console.print(table)


def _print_explanation(score: LeadScore) -> None:
    console.print(f"[bold]{score.lead_id}[/bold] as of "
                  f"{score.as_of.isoformat(timespec='seconds')}: fit {score.fit} "
                  f"(tier {score.tier or '–'}, ICP {score.icp or '–'}), engagement "
                  f"{score.engagement:.2f}", highlight=False)
    for icp in score.fit_by_icp:
        table = Table(title=f"Fit for ICP {icp.icp}: {icp.fit} (tier {icp.tier or '–'})")
        table.add_column("criterion")
        table.add_column("value")
        table.add_column("points", justify="right")
        for c in icp.criteria:
            mark = "[green]✓[/green]" if c.met else "[dim]✗[/dim]"
            table.add_row(f"{mark} {c.condition}", "–" if c.value is None else str(c.value),
                          str(c.points))
        console.print(table)
    detail = score.engagement_detail
    table = Table(title=f"Engagement: {detail.engagement:.2f}")
    table.add_column("signal")
    table.add_column("touches", justify="right")
    table.add_column("points each", justify="right")
    table.add_column("half-life (days)", justify="right")
    table.add_column("contribution", justify="right")
    for s in detail.signals:
        counted = "" if s.counted == s.touches else f" (counted {s.counted})"
        table.add_row(s.signal, f"{s.touches}{counted}", str(s.points),
                      "–" if s.half_life_days is None else f"{s.half_life_days:g}",
                      f"{s.contribution:.2f}")
    console.print(table)
    if detail.unknown_signals:
        console.print(f"not in the contract (0 points): {', '.join(detail.unknown_signals)}")
