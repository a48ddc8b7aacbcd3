"""`accord contract diff`: what a new contract version changes, and with `--impact` what it
would do over the store's facts (both versions replayed, `analytics/whatif.py`)."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import typer
from rich.markup import escape

from accord.analytics.whatif import CHANGE_KINDS, WhatIf, contract_impact
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
from accord.cli.whatif import (
    BasisOpt,
    PeriodOpt,
    changes_line,
    delta_text,
    headline,
    load_value,
    move_text,
    reading_text,
    whatif_tables,
)
from accord.contract.compiled import CompiledContract, load_compiled
from accord.contract.versions import Change, diff_contracts
from accord.errors import UnknownNameError, UsageError
from accord.reports.render import cell

Format = Literal["text", "md", "json"]
FORMATS: tuple[Format, ...] = get_args(Format)
_MOVES_SHOWN = 10
_VIEWS = ("the store's facts replayed under each contract by the engine of `accord run` "
          "(scenario view of OLD and of NEW), in a private copy: the store itself is only read")


def _contract_json(c: CompiledContract) -> dict[str, Any]:
    return {"version": c.version, "effective": c.source.effective.isoformat(),
            "path": None if c.path is None else str(c.path), "sha256": c.sha256}


def _shown(value: Any) -> str:
    """A contract value as written in a list item: text as is, the rest as JSON."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False,
                                                             sort_keys=False)
    return " ".join(str(text).split())


def _code(value: Any) -> str:
    """`value` as a Markdown code span (fenced with more backticks than it holds)."""
    text = _shown(value)
    runs = re.findall(r"`+", text)
    fence = "`" * (max((len(r) for r in runs), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _change_item(c: Change) -> str:
    match c.change:
        case "added":
            return f"- added {_code(c.key)}: {_code(c.new)}"
        case "removed":
            return f"- removed {_code(c.key)} (was {_code(c.old)})"
        case _:
            return f"- changed {_code(c.key)}: {_code(c.old)} → {_code(c.new)}"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def diff_markdown(old: CompiledContract, new: CompiledContract, changes: list[Change],
                  impact: WhatIf | None) -> str:
    """The diff (and impact) as Markdown for a pull-request comment: a heading, the
    changes as a list, the impact tables with OLD, NEW and Δ, the period and views named."""
    out = [f"## Contract diff: version {old.version} → version {new.version}", "",
           f"OLD: {_code(str(old.path or 'contract'))} (version {old.version}, effective "
           f"{old.source.effective}) · NEW: {_code(str(new.path or 'contract'))} (version "
           f"{new.version}, effective {new.source.effective})", "",
           f"### Definitions that change ({len(changes)})", ""]
    out += [_change_item(c) for c in changes] or ["No definition changes."]
    if impact is None:
        return "\n".join(out) + "\n"
    w = impact
    out += ["", "### Impact over the store", "",
            f"**Period:** {cell(w.period.label)} · **as of** {w.as_of.at:%Y-%m-%d %H:%M} UTC "
            f"({cell(w.as_of.source)}) · **views:** {_VIEWS}.", "",
            _row("figure", "OLD", "NEW", "Δ"), _row("---", "---:", "---:", "---:")]
    for f in w.figures:
        out.append(_row(cell(f.label), cell(reading_text(f.old, f.unit)),
                        cell(reading_text(f.new, f.unit)), cell(delta_text(f))))
    out += ["", f"#### SLA load per rep per week ({w.new.load.weeks} weeks)", "",
            "Leads whose first SLA clock started in the week, by the owner each contract "
            "routes them to ((none): not routed), against `reps.capacity_per_day` × "
            f"{w.new.load.working_days} working days.", "",
            _row("owner", "capacity / week", "OLD mean", "NEW mean", "OLD peak", "NEW peak",
                 "OLD weeks over", "NEW weeks over"),
            _row("---", *(["---:"] * 7))]
    for x in w.load:
        a, b = x.old, x.new
        who = x.owner + (f" ({x.name})" if x.name else "")
        out.append(_row(cell(who), load_value(x.capacity_per_week, 0),
                        load_value(a.mean_per_week if a else 0.0),
                        load_value(b.mean_per_week if b else 0.0),
                        str(a.peak_week if a else 0), str(b.peak_week if b else 0),
                        load_value(a.weeks_over if a else None, 0),
                        load_value(b.weeks_over if b else None, 0)))
    c = w.changes
    out += ["", "#### Leads that change", "",
            f"Leads created in the period that change: {cell(changes_line(c))}.", ""]
    if c.changed["any"]:
        out += [_row("kind", "OLD → NEW", "leads"), _row("---", "---", "---:")]
        for k in CHANGE_KINDS:
            for m in c.moves[k][:_MOVES_SHOWN]:
                out.append(_row(k, cell(move_text(m.old, m.new)), f"{m.leads:,}"))
            rest = len(c.moves[k]) - _MOVES_SHOWN
            if rest > 0:
                out.append(_row(k, f"… and {rest} more", ""))
    out += ["", "#### Notes", ""]
    out += [f"- {cell(n)}" for n in w.notes]
    return "\n".join(out) + "\n"


def contract_name_of(c: CompiledContract) -> str:
    return f"{c.path or 'contract'} (v{c.version})"


def _print_text(old: CompiledContract, new: CompiledContract, changes: list[Change],
                impact: WhatIf | None) -> None:
    console.print(f"[bold]{escape(contract_name_of(old))} → {escape(contract_name_of(new))}"
                  f"[/bold]: {len(changes)} definition(s) change", highlight=False)
    for change in changes:
        console.print(f"  {escape(str(change))}", highlight=False, soft_wrap=True)
    if impact is None:
        return
    console.print(f"\n[bold]Impact over the store:[/bold] "
                  f"{escape(headline(impact, 'OLD', 'NEW'))}", highlight=False, soft_wrap=True)
    for table in whatif_tables(impact, "OLD", "NEW"):
        console.print(table, highlight=False)
    for note in impact.notes:
        console.print(f"[dim]· {escape(note)}[/dim]", highlight=False)


@guarded
def diff_command(
    old: Annotated[Path, typer.Argument(help="The current contract file (or its folder).",
                                        show_default=False)],
    new: Annotated[Path, typer.Argument(help="The proposed contract file (or its folder).",
                                        show_default=False)],
    impact: Annotated[bool, typer.Option(
        "--impact", help="Also replay the store's facts under OLD and NEW and compare what "
                         "they would do (the workspace's store; it is only read).")] = False,
    period: PeriodOpt = None,
    basis: BasisOpt = "cohort",
    fmt: Annotated[str, typer.Option(
        "--format", help="text (terminal), md (a pull-request comment) or json.")] = "text",
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What NEW changes against OLD, definition by definition (stages with their roles,
    criteria, SLAs, KPI targets, …), and with --impact what it would do over the store.

    --impact runs both contracts through the engine of `accord run` over the store's facts
    (two scenario views; the store is only read) and shows, for the period, MQL volume and
    acceptance, each SLA's share within, SLA load per rep per week against capacity,
    expected pipeline and the leads whose stage, tier or owner changes — the figures of
    `accord whatif`, with OLD, NEW and Δ. --format md is ready to paste into a pull
    request. --json is --format json.

    Examples:

      accord contract diff accord.yaml next/accord.yaml

      accord contract diff accord.yaml next/accord.yaml --impact --period 2025-Q1

      accord contract diff accord.yaml next/accord.yaml --impact --format md > comment.md
    """
    chosen = "json" if as_json else fmt
    if chosen not in FORMATS:
        raise UnknownNameError("format", chosen, FORMATS, where="--format")
    if not impact and (period is not None or as_of is not None):
        raise UsageError("--period and --as-of choose what --impact replays; add --impact")
    before, after = load_compiled(old), load_compiled(new)
    changes = diff_contracts(before, after)
    result: WhatIf | None = None
    if impact:
        with open_session(ws_path, store, contract=None) as s:
            at: datetime | None = as_of
            result = contract_impact(s.store, before, after, period=period, basis=basis,
                                     as_of=s.as_of(at))
    if chosen == "json":
        print_json({"old": _contract_json(before), "new": _contract_json(after),
                    "changes": [c.as_dict() for c in changes],
                    "impact": None if result is None else result.as_dict(leads=False)})
    elif chosen == "md":
        typer.echo(diff_markdown(before, after, changes, result), nl=False)
    else:
        _print_text(before, after, changes, result)


__all__ = ["FORMATS", "diff_command", "diff_markdown"]
