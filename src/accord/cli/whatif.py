"""`accord whatif`: what a proposed contract would have said about the store's facts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow.csv as pacsv
import typer
from rich.markup import escape
from rich.table import Table

from accord.analytics.whatif import (
    CHANGE_KINDS,
    ContractRef,
    Figure,
    LeadChanges,
    Reading,
    WhatIf,
    whatif,
)
from accord.cells import CellKind, format_cell
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
from accord.contract.compiled import load_compiled
from accord.errors import UsageError

PeriodOpt = Annotated[str | None, typer.Option(
    "--period", help="2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14 (UTC). Default: all "
                     "time.")]
BasisOpt = Annotated[str, typer.Option(
    "--basis", help="KPIs on the cohort basis (leads created in the period, followed to "
                    "today; default) or the period basis (events in the period).")]

_KINDS: dict[str, CellKind] = {"share": "share", "currency": "money",
                               "business minutes": "minutes", "leads": "int"}
_MOVES_SHOWN = 5


# -- formatting shared with `accord contract diff` -----------------------------------------------
def value_text(value: float | None, unit: str) -> str:
    """A figure's value in its unit (`accord.cells`: 74.0 %, 7,765,496, 57 min)."""
    return format_cell(value, _KINDS.get(unit, "float"))


def reading_text(r: Reading, unit: str) -> str:
    """The value, with its numerator and denominator when it is a ratio."""
    text = value_text(r.value, unit)
    if r.numerator is not None and r.denominator is not None:
        text += f" ({r.numerator:,.0f} / {r.denominator:,.0f})"
    elif r.numerator is None and r.denominator is not None and r.value is not None:
        text += f" (n = {r.denominator:,.0f})"
    return text


def delta_text(f: Figure) -> str:
    """new − old in the figure's unit; a share's in points (pp)."""
    d = f.delta
    if d is None:
        return "—"
    match _KINDS.get(f.unit, "float"):
        case "share":
            return f"{100 * d:+.1f} pp"
        case "money" | "int":
            return f"{d:+,.0f}"
        case "minutes":
            return f"{d:+,.0f} min"
        case _:
            return f"{d:+,.2f}"


def load_value(x: float | int | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x:,.{digits}f}"


def move_text(old: str | None, new: str | None) -> str:
    return f"{old or '(none)'} → {new or '(none)'}"


def changes_line(c: LeadChanges) -> str:
    counts = " · ".join(f"{k} {c.changed[k]:,}" for k in CHANGE_KINDS)
    return f"{c.changed['any']:,} of {c.leads:,} leads ({counts})"


def write_leads(c: LeadChanges, path: Path) -> None:
    """The changed leads as CSV (one row per lead, by lead id)."""
    try:
        pacsv.write_csv(c.table, str(path))
    except OSError as exc:
        raise UsageError(f"--leads-out {path}: cannot write: {exc.strerror or exc}") from None


def contract_name(ref: ContractRef) -> str:
    """`path (v2)`, or `contract v2` when it came from no file."""
    return f"{ref.path} (v{ref.version})" if ref.path else f"contract v{ref.version}"


def headline(w: WhatIf, old_view: str, new_view: str) -> str:
    return (f"{new_view} under {contract_name(w.new.contract)} against {old_view} under "
            f"{contract_name(w.old.contract)}; {w.period.label}, as of "
            f"{w.as_of.at:%Y-%m-%d %H:%M} UTC ({w.as_of.source})")


# -- the terminal view --------------------------------------------------------------------------
def whatif_tables(w: WhatIf, old_col: str, new_col: str) -> list[Table | str]:
    """Figures, SLA load per rep and the leads that change (a line, then the moves by
    kind, most leads first), for a terminal."""
    figures = Table(title="Figures", title_justify="left")
    for col in ("figure", old_col, new_col, "Δ"):
        figures.add_column(col, justify="left" if col == "figure" else "right")
    for i, f in enumerate(w.figures):
        last_of_kind = i + 1 < len(w.figures) and w.figures[i + 1].kind != f.kind
        figures.add_row(escape(f.label), reading_text(f.old, f.unit),
                        reading_text(f.new, f.unit), delta_text(f), end_section=last_of_kind)
    load = Table(title=f"SLA load per rep per week ({w.new.load.weeks} weeks)",
                 title_justify="left",
                 caption="leads whose first SLA clock started in the week, by the owner they "
                         "were routed to ((none): not routed); capacity = capacity_per_day × "
                         f"{w.new.load.working_days} working days",
                 caption_justify="left")
    for col in ("owner", "name", "capacity / week", f"{old_col} mean", f"{new_col} mean",
                f"{old_col} peak", f"{new_col} peak", f"{old_col} weeks over",
                f"{new_col} weeks over"):
        load.add_column(col, justify="left" if col in ("owner", "name") else "right")
    for x in w.load:
        a, b = x.old, x.new
        load.add_row(escape(x.owner), escape(x.name or ""), load_value(x.capacity_per_week, 0),
                     load_value(a.mean_per_week if a else 0.0),
                     load_value(b.mean_per_week if b else 0.0),
                     str(a.peak_week if a else 0), str(b.peak_week if b else 0),
                     load_value(a.weeks_over if a else None, 0),
                     load_value(b.weeks_over if b else None, 0))
    moves = Table(title="Moves", title_justify="left")
    for col in ("kind", "old → new", "leads"):
        moves.add_column(col, justify="right" if col == "leads" else "left")
    for k in CHANGE_KINDS:
        shown = w.changes.moves[k][:_MOVES_SHOWN]
        for i, m in enumerate(shown):
            moves.add_row(k if i == 0 else "", escape(move_text(m.old, m.new)), f"{m.leads:,}",
                          end_section=i == len(shown) - 1)
        rest = len(w.changes.moves[k]) - len(shown)
        if rest > 0:
            moves.add_row("", f"… and {rest} more moves", "")
    return [figures, load, f"[bold]Leads that change:[/bold] {changes_line(w.changes)}",
            moves]


@guarded
def whatif_command(
    contract: Annotated[Path, typer.Option(
        "--contract", help="The proposed contract file (or a folder holding accord.yaml).",
        show_default=False)],
    period: PeriodOpt = None,
    basis: BasisOpt = "cohort",
    leads_out: Annotated[Path | None, typer.Option(
        "--leads-out", help="Write the leads whose stage, tier or owner changes to this CSV "
                            "file.", dir_okay=False)] = None,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What a proposed contract would do: the store's facts replayed under it, beside the
    active contract's derived view.

    The proposed contract runs through the same engine as `accord run` in a private
    in-memory copy of the facts; the store, its derived tables included, is only read.
    Shown for the period: MQL volume and acceptance, each SLA's share within, SLA load per
    rep per week against capacity, expected pipeline (MQLs × the historical pipeline per
    MQL, actual view) and the leads whose stage, tier or owner changes. Figures are read
    with the functions `accord kpis` and `accord sla` use. Run `accord run` first (as of
    the same time) so the derived view is current. docs/operations.md explains every figure.

    Examples:

      accord whatif --contract next/accord.yaml

      accord whatif --contract next/accord.yaml --period 2025-Q1

      accord whatif --contract next/accord.yaml --leads-out changed.csv --json
    """
    proposed = load_compiled(contract)
    with open_session(ws_path, store) as s:
        result = whatif(s.store, s.contract, proposed, period=period, basis=basis,
                        as_of=s.as_of(as_of))
    if leads_out is not None:
        write_leads(result.changes, leads_out)
    if as_json:
        print_json(result.as_dict())
        return
    console.print(f"[bold]What if:[/bold] {escape(headline(result, 'derived', 'scenario'))}",
                  highlight=False, soft_wrap=True)
    for table in whatif_tables(result, "derived", "scenario"):
        console.print(table, highlight=False)
    for note in result.notes:
        console.print(f"[dim]· {escape(note)}[/dim]", highlight=False)
    if leads_out is not None:
        console.print(f"{result.changes.changed['any']:,} changed leads written to "
                      f"{escape(str(leads_out))}", highlight=False)
