"""`accord attribution`: who gets credit for won deals, under one model or side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.table import Table

from accord.analytics.attribution import MODELS, attribute, compare
from accord.analytics.attribution.store_journeys import journeys_from_store
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
    ws = workspace(ws_path, store)
    contract = ws.load_contract().contract if ws.has_contract() else None
    lookback = lookback_days if lookback_days is not None else (
        contract.attribution.lookback_days if contract else None)
    half_life = contract.attribution.half_life_days if contract else 7.0
    chosen = model or (contract.attribution.model if contract else "first_touch")
    if chosen not in MODELS:
        raise typer.BadParameter(f"unknown model {chosen!r}; one of {', '.join(MODELS)}",
                                 param_hint="--model")
    st = ws.open_store()
    try:
        journeys = journeys_from_store(st, lookback_days=lookback, period=parse_period(period))
    finally:
        st.close()
    if by == "campaign":
        journeys = journeys.by_campaign()
    if compare_all:
        table = compare(journeys, measure=measure, half_life_days=half_life)
        if as_json:
            print_json({"measure": measure, "by": by, "lookback_days": lookback,
                        "models": list(table.columns),
                        "rows": [{by: str(idx), **{k: float(v) for k, v in row.items()}}
                                 for idx, row in table.iterrows()]})
            return
        out = Table(title=f"Credited {measure} by {by}, every model", title_justify="left")
        out.add_column(by)
        for name in table.columns:
            out.add_column(name, justify="right")
        for idx, row in table.iterrows():
            out.add_row(str(idx), *(f"{v:,.1f}" for v in row.to_numpy()))
        console.print(out)
        return
    params = {"half_life_days": half_life} if "half_life_days" in MODELS[chosen].parameters else {}
    credits = attribute(journeys, chosen, **params)
    if as_json:
        print_json({**credits.to_dict(), "weights": MODELS[chosen].weights,
                    "lookback_days": lookback})
        return
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
