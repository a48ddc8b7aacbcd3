"""`accord contract …`: validate the agreement and print its JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import JsonOpt, console, err_console, print_json
from accord.contract.loader import CONTRACT_FILE, check_contract_text
from accord.contract.schema import Contract

app = typer.Typer(help="Check and describe the contract (accord.yaml).", no_args_is_help=True)


@app.command("validate")
def validate(
    file: Annotated[Path, typer.Argument(help="Contract file or workspace folder.")] = Path(
        CONTRACT_FILE),
    as_json: JsonOpt = False,
) -> None:
    """Report every problem in the contract at once, as FILE:LINE field.path: message.

    Exit code 0 when the contract is valid, 1 when it has problems.

    Examples:

      accord contract validate

      accord contract validate path/to/accord.yaml --json
    """
    path = file / CONTRACT_FILE if file.is_dir() else file
    if not path.exists():
        err_console.print(f"[red]✗[/red] no contract at {path}; `accord init` writes one")
        raise typer.Exit(1)
    contract, issues = check_contract_text(path.read_text(encoding="utf-8"), str(path))
    if as_json:
        print_json({"file": str(path), "valid": contract is not None,
                    "version": contract.version if contract else None,
                    "issues": [i.as_dict() for i in issues]})
    else:
        for issue in issues:
            colour = "red" if issue.level == "error" else "yellow"
            err_console.print(f"[{colour}]✗[/{colour}] {issue}", highlight=False, soft_wrap=True)
        if contract is not None:
            console.print(f"[green]✓[/green] {path}: contract version {contract.version}, "
                          f"effective {contract.effective}, is valid.")
        else:
            err_console.print(f"{len(issues)} problem(s) in {path}.")
    if contract is None:
        raise typer.Exit(1)


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
