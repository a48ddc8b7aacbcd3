"""`accord attribution`: who gets credit for won deals, under one model or side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from accord.analytics.attribution import MODELS
from accord.analytics.attribution.report import compare_models, credit_model
from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    guarded,
    open_session,
    print_json,
)

_MODEL_LINES = "\n\n".join(f"• [bold]{spec.name}[/bold]: {spec.weights}"
                            for spec in MODELS.values())


@guarded
def attribution_command(
    model: Annotated[str | None, typer.Option(
        help="Model name (default: the contract's attribution.model).")] = None,
    compare_all: Annotated[bool, typer.Option(
        "--compare", help="Every model side by side.")] = False,
    by: Annotated[Literal["channel", "campaign"], typer.Option(
        help="Credit channels or campaigns.")] = "channel",
    measure: Annotated[Literal["conversions", "revenue"], typer.Option(
        help="With --compare: compare credited conversions or revenue.")] = "conversions",
    period: Annotated[str | None, typer.Option(
        help="Wins in: 2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14.")] = None,
    lookback_days: Annotated[float | None, typer.Option(
        help="Ignore touches older than this before the win (default: the contract's).")
    ] = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Credit won deals (and their revenue) to channels or campaigns.

    A journey is a lead's marketing touches up to its first win; every model's credits add
    up to the wins (and booked revenue) in the period. Vendors use the same names for
    different weights, so here is exactly what each model gives:

{models}

    Examples:

      accord attribution                       # the contract's model, by channel

      accord attribution --model two_touch --by campaign --period 2025-Q4

      accord attribution --compare --measure revenue --json
    """
    with open_session(ws_path, store, contract=False) as s:
        contract = s.contract if s.has_contract else None
        if compare_all:
            comparison = compare_models(s.store, contract, by=by, measure=measure,
                                        period=parse_period(period),
                                        lookback_days=lookback_days)
        else:
            one = credit_model(s.store, contract, model=model, by=by,
                               period=parse_period(period), lookback_days=lookback_days)
    if compare_all:
        if as_json:
            print_json(comparison.as_dict())
            return
        table = comparison.table
        out = Table(title=f"Credited {measure} by {by}, every model", title_justify="left")
        out.add_column(by)
        for name in table.columns:
            out.add_column(name, justify="right")
        for idx, row in table.iterrows():
            out.add_row(str(idx), *(f"{v:,.1f}" for v in row.to_numpy()))
        console.print(out)
        return
    if as_json:
        print_json(one.as_dict())
        return
    credits, chosen = one.credits, one.settings.model
    out = Table(title=f"{chosen}: {MODELS[chosen].weights}", title_justify="left")
    for col in (by, "conversions", "revenue"):
        out.add_column(col, justify="left" if col == by else "right")
    order = sorted(range(len(credits.names)), key=lambda i: -credits.conversions[i])
    for i in order:
        out.add_row(credits.names[i], f"{credits.conversions[i]:,.1f}",
                    f"{credits.revenue[i]:,.0f}")
    out.add_row("total", f"{credits.total_conversions:,.1f}", f"{credits.total_revenue:,.0f}",
                end_section=True)
    console.print(out)


attribution_command.__doc__ = (attribution_command.__doc__ or "").replace("{models}",
                                                                          _MODEL_LINES)
