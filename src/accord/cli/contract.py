"""`accord contract …`: validate the agreement, show what it resolved, print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    open_session,
    print_json,
)
from accord.cli.contract_diff import diff_command as contract_diff_command
from accord.cli.contract_render import render_command as contract_render_command
from accord.contract.compiled import load_compiled
from accord.contract.describe import ContractDescription, describe, validate_file
from accord.contract.loader import CONTRACT_FILE
from accord.contract.schema import Contract
from accord.errors import ContractError, UsageError
from accord.store.audit import write_audit
from accord.store.contract_versions import history
from accord.store.contract_versions import propose as propose_version
from accord.store.contract_versions import sign as sign_version

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


# --- signed versions (issue 13, item 5; seed 002) ----------------------------------------


@app.command("propose")
@guarded
def propose_command(
    file: Annotated[Path, typer.Argument(help="The proposed contract file.")],
    proposer: Annotated[str, typer.Option("--proposer", help="Who proposes it.")] = "cli",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Validate a new contract version, store it as a proposal and print what it changes
    against the version active now (the workspace contract when none was ever signed). It
    decides nothing until both the marketing and the sales owner have signed it, and then
    only from its `effective` date. The same version number with another text is refused.

    Examples:

      accord contract propose next/accord.yaml

      accord contract propose next/accord.yaml --json | jq '.changes[].key'
    """
    text = _read_text(file)
    with open_session(ws_path, store, contract=False) as s:
        st = s.store
        result = propose_version(
            st, text, proposed_by=proposer, file=str(file), workspace=s.contract,
            on_write=lambda cur: write_audit(st, cur, f"contract-proposal:{file.name}"))
    if as_json:
        print_json(result.as_dict())
        return
    v = result.version
    state = "stored" if result.stored else "already proposed with this text"
    console.print(f"contract version {v.version} (effective {v.effective}) {state}; "
                  f"changes against version {result.against}:", highlight=False)
    for change in result.changes:
        console.print(f"  {escape(str(change))}", highlight=False, soft_wrap=True)
    if not result.changes:
        console.print("  (no changes)", highlight=False)
    console.print(f"next: accord contract sign {v.version} --side marketing|sales --name NAME",
                  highlight=False)


def _read_text(file: Path) -> str:
    target = file / CONTRACT_FILE if file.is_dir() else file
    try:
        return target.read_text("utf-8")
    except OSError as exc:
        raise UsageError(f"{target}: cannot read the proposed contract: {exc.strerror}") \
            from None


@app.command("sign")
@guarded
def sign_command(
    version: Annotated[int, typer.Argument(help="The proposed version number.")],
    side: Annotated[str, typer.Option("--side", help="`marketing` or `sales`.")],
    name: Annotated[str, typer.Option("--name", help="Who signs, e.g. the VP's name.")],
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign a proposed version for one side (the contract's owners `marketing` and
    `sales`). Once both have signed, the version decides from its effective date. A side
    signs a version once.

    Examples:

      accord contract sign 2 --side marketing --name "Dana Lee"
    """
    with open_session(ws_path, store, contract=None) as s:
        st = s.store
        sig = sign_version(
            st, version, side=side, signer=name,
            on_write=lambda cur: write_audit(st, cur, f"contract-signature:{version}:{side}"))
        data = history(s.store)
    row = next(r for r in data["versions"] if r["version"] == version)
    if as_json:
        print_json({"version": version, "side": sig.side, "signer": sig.signer,
                    "signed_at": sig.signed_at.isoformat(), "signed": row["signed"],
                    "active": data["active"]})
        return
    console.print(f"contract version {version} signed for {sig.side} by {escape(sig.signer)}; "
                  + ("both sides signed: it decides from " + row["effective"]
                     if row["signed"] else "waiting for the other side"), highlight=False)


@app.command("history")
@guarded
def history_command(
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Every proposed version: effective date, who signed for marketing and sales and
    when, and which version decides now.

    Examples:

      accord contract history --json | jq '.active'
    """
    with open_session(ws_path, store, contract=None) as s:
        data = history(s.store)
    if as_json:
        print_json(data)
        return
    table = Table(title=f"Contract versions (active now: {data['active'] or 'workspace file'})",
                  title_justify="left")
    for col in ("version", "effective", "marketing", "sales", "signed", "active"):
        table.add_column(col)
    for r in data["versions"]:
        cells = [f"{escape(g['signer'])} {g['signed_at'][:16]}" if g else "—"
                 for g in (r["signatures"]["marketing"], r["signatures"]["sales"])]
        table.add_row(str(r["version"]), r["effective"], *cells,
                      "yes" if r["signed"] else "no", "✓" if r["active"] else "")
    console.print(table)


# The written agreement and the definition diff live in their own modules.
app.command("render")(contract_render_command)
app.command("diff")(contract_diff_command)
