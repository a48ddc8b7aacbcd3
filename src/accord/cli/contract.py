"""`accord contract …`: validate the agreement, show what it resolved, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import JsonOpt, console, err_console, guarded, print_json
from accord.contract.compiled import load_compiled
from accord.contract.describe import ContractDescription, describe, validate_file
from accord.contract.loader import CONTRACT_FILE
from accord.contract.schema import Contract
from accord.errors import ContractError

app = typer.Typer(help="Check and describe the contract (accord.yaml).", no_args_is_help=True)

FileArg = Annotated[Path, typer.Argument(help="Contract file or workspace folder.")]

_ROLE_FROM = {"contract": "role:", "name": "from the name", "first stage": "first stage"}


@app.command("validate")
@guarded
def validate(file: FileArg = Path(CONTRACT_FILE), as_json: JsonOpt = False) -> None:
    """Report every problem in the contract at once, as FILE:LINE field.path: message; when
    it is valid, each stage's role (and whether it was taken from the stage's name) and
    each SLA's start stage and calendar.

    Exit code 0 when the contract is valid, 3 when it has problems, 6 when there is no
    contract file.

    Examples:

      accord contract validate

      accord contract validate path/to/accord.yaml --json
    """
    result = validate_file(file)
    if as_json:
        print_json(result.as_dict())
    else:
        for issue in result.issues:
            colour = "red" if issue.level == "error" else "yellow"
            err_console.print(f"[{colour}]✗[/{colour}] {escape(str(issue))}", highlight=False,
                              soft_wrap=True)
        if result.description is not None:
            d = result.description
            console.print(f"[green]✓[/green] {escape(str(result.path))}: contract version "
                          f"{d.version}, effective {d.effective}, is valid.", highlight=False)
            console.print(_roles_line(d), highlight=False, soft_wrap=True)
            for sla in d.slas:
                console.print(f"  SLA {escape(sla.name)}: starts at {escape(sla.start)}"
                              f"{'' if sla.start_from == 'contract' else ' (by role)'}, "
                              f"{sla.calendar} calendar", highlight=False, soft_wrap=True)
        else:
            err_console.print(f"{len(result.issues)} problem(s) in {escape(str(result.path))}.",
                              highlight=False)
    if not result.valid:
        raise typer.Exit(ContractError.exit_code)


@app.command("show")
@guarded
def show(file: FileArg = Path(CONTRACT_FILE), as_json: JsonOpt = False) -> None:
    """What the contract resolved: each stage's role, owner and next stages, with where the
    role came from (`role:` in the contract, the stage's well-known name, or the first
    stage taking `lead`); each SLA's kind, start stage (written, or its kind's role),
    duration, owner and calendar. A contract with problems exits 3 listing them.

    Examples:

      accord contract show

      accord contract show path/to/accord.yaml --json | jq '.slas[] | {name, start}'
    """
    d = describe(load_compiled(file))
    if as_json:
        print_json(d.as_dict())
        return
    for table in _tables(d):
        console.print(table)


def _roles_line(d: ContractDescription) -> str:
    parts = []
    for s in d.stages:
        role = "no role" if s.role is None else (
            s.role + ("" if s.role_from == "contract" else f", {_ROLE_FROM[s.role_from or '']}"))
        parts.append(f"{escape(s.name)} ({role})")
    return "  stages: " + " · ".join(parts)


def _tables(d: ContractDescription) -> list[Table]:
    stages = Table(title=f"Stages (contract version {d.version}, effective {d.effective})",
                   title_justify="left")
    for col in ("stage", "role", "role from", "owner", "next"):
        stages.add_column(col)
    for s in d.stages:
        stages.add_row(escape(s.name), s.role or "—",
                       _ROLE_FROM[s.role_from] if s.role_from else "—", escape(s.owner),
                       escape(", ".join(s.next)) or "—")
    routed = f"at {escape(d.routing_stage)}" if d.routing_stage else "when created"
    slas = Table(title=f"SLAs (contract calendar: {escape(d.calendar)})", title_justify="left",
                 caption=f"routing: leads are routed {routed}", caption_justify="left")
    for col in ("sla", "kind", "starts at", "start from", "within", "owner", "calendar"):
        slas.add_column(col)
    for c in d.slas:
        slas.add_row(escape(c.name), c.kind, escape(c.start),
                     "start:" if c.start_from == "contract" else f"role {c.start_role}",
                     c.within or "—", escape(c.owner), c.calendar)
    return [stages, slas]


@app.command("schema")
def schema() -> None:
    """Print the contract's JSON Schema, for editor autocompletion.

    Example (VS Code with the YAML extension):

      accord contract schema > accord.schema.json

      # then in accord.yaml's first line:  # yaml-language-server: $schema=accord.schema.json
    """
    data = Contract.model_json_schema(by_alias=True)
    data["title"] = "accord contract (accord.yaml)"
    print(json.dumps(data, indent=2))
