"""Write docs/cli.md from the commands themselves, so the reference cannot drift.

    python -m accord.cli.reference > docs/cli.md
"""

from __future__ import annotations

from typing import Any

import typer.main

from accord.cli import app


def _is_group(cmd: Any) -> bool:
    return hasattr(cmd, "list_commands")  # Typer ships its own click; duck-type the group


def _walk(cmd: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    out = [(path, cmd)] if not _is_group(cmd) else []
    if _is_group(cmd):
        ctx = type(cmd).context_class(cmd)
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                out.extend(_walk(sub, [*path, name]))
    return out


def commands() -> list[tuple[str, Any]]:
    root = typer.main.get_command(app)
    return [(" ".join(["accord", *p]), c) for p, c in _walk(root, [])]


def _options(cmd: Any) -> list[str]:
    rows = []
    for param in cmd.params:
        if getattr(param, "param_type_name", "") == "option":
            names = ", ".join(f"`{o}`" for o in param.opts)
            rows.append(f"| {names} | {(getattr(param, 'help', '') or '').replace('|', '/')} |")
        else:
            rows.append(f"| `{(param.name or '').upper()}` | argument |")
    return rows


#: How every command reads its common options (rendered into docs/cli.md).
CONVENTIONS = """\
## Options every command reads the same way

- `--workspace`, `-w` DIR: the workspace folder (holds `accord.yaml`); default: the current
  folder. `--store URL`: a DuckDB file or `postgresql://host/db?schema=s` instead of
  `<workspace>/.accord/accord.duckdb`.
- `--as-of TIME`: compute as of this time; facts after it are ignored. An ISO date-time
  (`2026-03-31`, `2026-03-31T17:00`, UTC unless it carries an offset such as `-05:00`).
  Default: **the latest fact time in the store** (leads created, touches, activities,
  stage events, opportunities created or closed), so historical or simulated data reads as
  of its own end; **the wall clock** when the store is empty. Every figure's JSON says
  which (`as_of`, and where it came from). One rule for every command
  (`accord.store.as_of`).
- `--view actual|derived` (default **actual**): which stage moves a KPI, funnel or SLA
  figure reads. `actual`: the stage changes people and the CRM recorded (the
  `stage_events` facts); `derived`: the stages the engine recomputes under the contract
  (`accord run` writes them; before that, `--view derived` says so and exits 2). The JSON
  of every such figure has `"view"`.
- `--json`: the result as JSON on stdout, for scripts; progress and messages go to
  stderr. It never holds a traceback or a secret (a store URL's password shows as `***`).
- Names given to a command (a stage, KPI, rep, lead, SLA, `--by` dimension, `--view`,
  attribution model, org model or role) are checked: an unknown one exits 2 with
  `unknown <kind> '<value>'; did you mean '<closest>'?; known: <every allowed name>`.

"""

#: (exit code, meaning, the error classes that end in it); docs/cli.md "Exit codes".
EXIT_CODES: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (0, "success", ()),
    (1, "accord refused something; the message says what (also `accord org lint` when a "
        "finding is an error)", ("AccordError", "EngineError", "NotComputedError",
                                 "ChartRenderError")),
    (2, "a wrong option value or an unknown name; the message names it and lists the "
        "allowed ones (Typer's own usage errors, such as an unknown option, exit 2 too)",
     ("UsageError", "UnknownNameError", "OrgInputError")),
    (3, "the contract has problems, each listed as FILE:LINE field: message (also `accord "
        "contract validate` on an invalid contract)", ("ContractError", "CriteriaSyntaxError")),
    (4, "an import was refused, naming the file, row and column; nothing was written",
     ("ImportFactsError",)),
    (5, "the store could not be opened, read or written", ("StoreError",)),
    (6, "no workspace or contract where one was expected", ("WorkspaceError",)),
    (70, "an internal error (a bug in accord): one line `accord: internal error: <type>: "
         "<message>`; rerun with `ACCORD_DEBUG=1` for the traceback", ()),
    (130, "interrupted (Ctrl-C)", ()),
)


def exit_codes_section() -> list[str]:
    rows = [f"| {code} | {meaning} | {', '.join(f'`{c}`' for c in classes)} |"
            for code, meaning, classes in EXIT_CODES]
    return ["## Exit codes", "", "| code | meaning | raised as |", "|---|---|---|", *rows, "",
            "A subclass exits with its family's code (`MappingError` is an `ImportFactsError`: "
            "4); any other exception is an internal error (70).", ""]


def render() -> str:
    lines = ["# Command reference", "",
             "Generated from the commands' own help (`python -m accord.cli.reference`); every",
             "command also answers `--help`, and takes `--json` where it prints a result.", "",
             CONVENTIONS.rstrip(), "", *exit_codes_section()]
    for name, cmd in commands():
        lines += [f"## `{name}`", "", (cmd.help or "").strip(), ""]
        opts = _options(cmd)
        if opts:
            lines += ["| option | meaning |", "|---|---|", *opts, ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(render(), end="")
