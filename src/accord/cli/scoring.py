"""`accord scoring …`: how well the contract's scores rank leads, and the points outcomes
suggest (`analytics/scoring_feedback.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.analytics.kpis.period import parse_period
from accord.analytics.scoring_feedback import OUTCOMES, ScoringFeedback, scoring_feedback
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
from accord.engine.views import check_view

app = typer.Typer(
    help="Measure the contract's fit and engagement scores against outcomes.",
    no_args_is_help=True,
)


def _auc(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _tables(r: ScoringFeedback) -> list[Table]:
    auc = Table(title=f"AUC for reaching {r.outcome} ({r.train_leads:,} training leads, "
                      f"{r.holdout_leads:,} held out)", title_justify="left")
    for col in ("score", "current, all", "current, held out", "proposed, training",
                "proposed, held out"):
        auc.add_column(col, justify="left" if col == "score" else "right")
    for s in r.scores:
        auc.add_row(s.score, _auc(s.current_all), _auc(s.current_holdout),
                    _auc(s.proposed_train), _auc(s.proposed_holdout))
    points = Table(title=f"Points (L2 penalty {r.l2:g})", title_justify="left")
    for col in ("rule", "current", "proposed", "log-odds per unit", "training leads with it"):
        points.add_column(col, justify="left" if col == "rule" else "right")
    for f in r.features:
        points.add_row(f.key, str(f.current_points), str(f.proposed_points),
                       f"{f.coefficient:+.3f}" if f.varied else "no evidence", _pct(f.share))
    tiers = Table(title="Outcome rate by current fit tier", title_justify="left")
    for col in ("tier", "leads", "reached", "rate"):
        tiers.add_column(col, justify="left" if col == "tier" else "right")
    for b in r.tier_bands:
        tiers.add_row(b.label, f"{b.leads:,}", f"{b.outcomes:,}", _pct(b.rate))
    bands = Table(title="Outcome rate by decile of fit + engagement: current (all leads) | "
                        "proposed (held out)", title_justify="left")
    for col in ("band", "current scores", "leads", "rate", "proposed scores", "leads ",
                "rate ", "predicted"):
        bands.add_column(col, justify="right")
    for k in range(max(len(r.score_bands), len(r.proposed_bands))):
        cur = r.score_bands[k] if k < len(r.score_bands) else None
        new = r.proposed_bands[k] if k < len(r.proposed_bands) else None
        bands.add_row(
            str(k + 1),
            f"{cur.low:.0f}–{cur.high:.0f}" if cur else "", f"{cur.leads:,}" if cur else "",
            _pct(cur.rate) if cur else "",
            f"{new.low:.0f}–{new.high:.0f}" if new else "", f"{new.leads:,}" if new else "",
            _pct(new.rate) if new else "", _pct(new.predicted) if new else "")
    tables = [auc, points, tiers, bands]
    if r.by is not None:
        groups = Table(title=f"Held-out AUC of fit + engagement by {r.by}", title_justify="left")
        for col in (r.by, "leads", "reached", "current", "proposed"):
            groups.add_column(col, justify="left" if col == r.by else "right")
        for g in r.groups:
            groups.add_row(g.value, f"{g.leads:,}", f"{g.outcomes:,}", _auc(g.current),
                           _auc(g.proposed))
        tables.append(groups)
    return tables


@app.command("feedback")
@guarded
def feedback_command(
    outcome: Annotated[str, typer.Option(
        help=f"Outcome a good score predicts: {' or '.join(OUTCOMES)}.")] = "opportunity",
    period: Annotated[str | None, typer.Option(
        help="Cohort of leads created in: 2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14.")
    ] = None,
    by: Annotated[str | None, typer.Option(
        help="Also report held-out AUC per value of a lead dimension, e.g. channel, "
             "country, industry, segment, tier.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the training / held-out split.")] = 0,
    horizon_days: Annotated[int, typer.Option(
        help="Score each lead this many days after it was created.", min=0)] = 30,
    holdout: Annotated[float, typer.Option(
        help="Share of leads held out to compare current and proposed points.",
        min=0.05, max=0.95)] = 0.3,
    l2: Annotated[float | None, typer.Option(
        help="L2 penalty of the logistic fit (default: chosen by 5-fold cross-validation).",
        min=0.0)] = None,
    snippet: Annotated[bool, typer.Option(
        "--snippet", help="Print only the proposed icps/signals YAML, e.g. to a file.")
    ] = False,
    view: ViewOpt = "actual",
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """How well fit and engagement rank leads by outcome (AUC, outcome rate by band), and
    proposed points per ICP criterion and signal from a regularised logistic regression,
    compared on held-out leads. Prints a contract snippet to review; changes nothing.

    Examples:

      accord scoring feedback

      accord scoring feedback --outcome won --period 2025 --by channel --json

      accord scoring feedback --snippet > proposed-points.yaml
    """
    with open_session(ws_path, store) as s:
        result = scoring_feedback(s.store, s.contract, outcome, parse_period(period), seed,
                                  by=by, horizon_days=horizon_days, holdout=holdout, l2=l2,
                                  as_of=s.as_of(as_of).at, view=check_view(view))
    if as_json:
        print_json(result.as_dict())
        return
    if snippet:
        typer.echo(result.snippet, nl=False)
        return
    console.print(f"[bold]Scoring feedback[/bold]: {result.leads:,} {result.cohort}, "
                  f"scored {result.horizon_days} days after creation; "
                  f"{result.outcomes:,} reached {result.outcome}. Left out: "
                  f"{result.excluded_recent:,} too recent, {result.excluded_undecided:,} "
                  "undecided.", highlight=False)
    for table in _tables(result):
        console.print(table)
    console.print(result.snippet, markup=False, highlight=False, soft_wrap=True)
