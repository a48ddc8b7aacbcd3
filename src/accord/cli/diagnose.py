"""`accord diagnose`: where the company stands on the alignment maturity ladders."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.prompt import Confirm, Prompt
from rich.table import Table

from accord.analytics.maturity import (
    CHECKLIST,
    QUESTIONS,
    Answer,
    Answers,
    Diagnosis,
    Placement,
    diagnose,
    load_answers,
)
from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    open_session,
    print_json,
)

_STATUS = {"pass": "[green]✓ pass[/green]", "fail": "[red]✗ fail[/red]",
           "unknown": "[dim]? unknown[/dim]"}
_ITEM = {"done": "[green]done[/green]", "partly": "[yellow]partly[/yellow]",
         "not yet": "[red]not yet[/red]"}
_PRESENT = {True: "[red]present[/red]", False: "[green]absent[/green]",
            None: "[dim]not checked[/dim]"}


def stdin_is_terminal() -> bool:
    """Whether a person can answer prompts (tests replace this)."""
    return sys.stdin.isatty()


def ask_questions() -> Answers:
    """Ask every question of the questionnaire on the terminal (prompts on stderr, so
    `--json` output stays clean)."""
    err_console.print(f"{len(QUESTIONS)} questions the store cannot answer (--no-input skips "
                      "them; --answers FILE answers them from a file):", highlight=False)
    values: dict[str, Answer] = {}
    for i, q in enumerate(QUESTIONS, 1):
        head = f"[bold]{i}/{len(QUESTIONS)}[/bold] {escape(q.text)}"
        if q.kind == "yes_no":
            values[q.id] = Confirm.ask(head, console=err_console)
            continue
        err_console.print(head, highlight=False)
        for value, meaning in q.choices:
            err_console.print(f"    {value}: {escape(meaning)}", highlight=False)
        values[q.id] = Prompt.ask("   answer", choices=[v for v, _ in q.choices],
                                  console=err_console)
    return Answers(values, "prompt")


def _ladder_table(p: Placement, d: Diagnosis) -> Table:
    t = Table(title=f"{p.title} ({escape(p.source)})", title_justify="left")
    for col in ("level", "check", "found", "result"):
        t.add_column(col, overflow="fold")
    for lv in p.levels:
        mark = "✓" if lv.holds else "✗"
        label = f"{lv.number} {lv.name} {mark}"
        if lv.number == p.level:
            label = f"[bold]{label} ◀[/bold]"
        if not lv.checks:
            t.add_row(label, "—", "[dim]the floor: asks nothing[/dim]", "")
        for j, c in enumerate(lv.checks):
            t.add_row(label if j == 0 else "", escape(c.title), escape(c.found),
                      _STATUS[c.status])
    return t


def _render(d: Diagnosis, skipped: str | None) -> None:
    s, o = d.staircase, d.oracle
    console.print(f"[bold]Where you stand[/bold] as of {d.as_of:%Y-%m-%d %H:%M} UTC "
                  f"({d.as_of_source}); {d.view} view; last quarter "
                  f"{d.window_start:%Y-%m-%d} to {d.as_of:%Y-%m-%d}; contract version "
                  f"{d.contract_version}", highlight=False)
    if d.answers is None:
        console.print(f"Questionnaire skipped ({skipped}): only the contract's and the "
                      "store's evidence counts; checks that need an answer are unknown.",
                      highlight=False)
    else:
        console.print(f"Questionnaire {d.questionnaire} ({escape(d.answers.source)}).",
                      highlight=False)
    console.print(f"\n[bold]Staircase rung {s.level} of 4: {s.name}[/bold] — "
                  f"{escape(s.current.feature)}", highlight=False)
    held = "" if o.holds else " (not yet held)"
    console.print(f"[bold]Oracle stage {o.level} of 4: {o.name}{held}[/bold] — "
                  f"{escape(o.current.feature)}", highlight=False)
    n = d.next_step
    target = f" → rung {n.rung} ({n.rung_name})" if n.rung is not None else ""
    console.print(f"\n[bold]Next step{target}: {escape(n.title)}[/bold]\n  do:    "
                  f"{escape(n.do)}\n  found: {escape(n.because)}\n", highlight=False,
                  soft_wrap=True)
    console.print(_ladder_table(s, d))
    console.print(_ladder_table(o, d))
    signs = Table(title=f"Warning signs ({len(d.warnings_present)} present)",
                  title_justify="left")
    for col in ("sign", "", "evidence", "source"):
        signs.add_column(col, overflow="fold")
    for w in d.warnings:
        signs.add_row(escape(w.title), _PRESENT[w.present], escape(w.evidence),
                      escape(w.source))
    console.print(signs)
    done = sum(i.status == "done" for i in d.checklist)
    items = Table(title=f"Six-month checklist ({done} of {len(CHECKLIST)} done; What is "
                        "Marketing-Sales Alignment: The Revenue Team Operating Model)",
                  title_justify="left")
    for col in ("item", "status", "evidence"):
        items.add_column(col, overflow="fold")
    for i in d.checklist:
        items.add_row(escape(i.title), _ITEM[i.status], escape(i.evidence))
    console.print(items)
    for note in d.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]", highlight=False)


@guarded
def diagnose_command(
    answers: Annotated[Path | None, typer.Option(
        "--answers", metavar="FILE", dir_okay=False,
        help="Answer the questionnaire from a YAML or JSON file (question id: answer); "
             "nothing is asked.")] = None,
    no_input: Annotated[bool, typer.Option(
        "--no-input", help="Ask nothing: skip the questionnaire and use only the "
                           "contract's and the store's evidence.")] = False,
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Where the company stands: Oracle's four stages of alignment maturity and the
    Verbal → Written → Instrumented → Operational staircase, each with the evidence behind
    it, the warning signs of misalignment present, the six-month checklist and the one
    next step.

    Evidence comes from the contract (definitions written, attribution chosen), the store
    (signed versions, SLA clocks, rejections and outcomes over the last quarter, the
    meeting packs `accord report` prepared) and ten questions the store cannot answer
    (shared target, joint planning, pay on shared KPIs, …). On a terminal the questions
    are asked; `--answers FILE` answers them from a file (every id is in docs/operations.md);
    with `--no-input`, or when input is not a terminal, they are skipped and say so. The
    placement rules are in docs/operations.md.

    Examples:

      accord diagnose

      accord diagnose --answers answers.yaml

      accord diagnose --no-input --json | jq '.rung_name, .next_step.do'

      accord diagnose --as-of 2026-03-31 --answers answers.json --json
    """
    given = load_answers(answers) if answers is not None else None
    skipped: str | None = None
    if given is None:
        if no_input:
            skipped = "--no-input"
        elif not stdin_is_terminal():
            skipped = "input is not a terminal"
        else:
            given = ask_questions()
    with open_session(ws_path, store) as s:
        result = diagnose(s.store, s.contract, answers=given, as_of=s.as_of(as_of))
    if as_json:
        print_json(result.to_dict())
        return
    _render(result, skipped)
