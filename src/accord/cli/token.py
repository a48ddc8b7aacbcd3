"""`accord token create|list|revoke`: API tokens for `accord serve` (see docs/api.md).

A token is printed once, at creation; the store keeps only its salted scrypt hash."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.api.tokens import ROLES, create_token, list_tokens, revoke_token
from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    print_json,
    workspace,
)

app = typer.Typer(help="API tokens for `accord serve`: create (shown once), list, revoke.",
                  no_args_is_help=True)


@app.command("create")
@guarded
def create_command(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="Who or what uses the token, e.g. crm-sync.")],
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
) -> None:
    """Create a token and print it once, alone on stdout (only its hash is stored; its id,
    name and role go to stderr). No `--json`: a token never appears in JSON output.

    Examples:

      accord token create --role sales --name crm-sync
    """
    st = workspace(ws_path, store).open_store()
    try:
        token, info = create_token(st, name, role)
    finally:
        st.close()
    err_console.print(f"token {info.token_id} ({info.name}, role {info.role}); shown once, "
                      "keep it secret:", highlight=False)
    typer.echo(token)


@app.command("list")
@guarded
def list_command(
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The tokens (id, name, role, created, revoked); never the tokens themselves.

    Examples:

      accord token list --json
    """
    st = workspace(ws_path, store).open_store()
    try:
        tokens = list_tokens(st)
    finally:
        st.close()
    if as_json:
        print_json([t.as_dict() for t in tokens])
        return
    table = Table(title="API tokens", title_justify="left")
    for col in ("id", "name", "role", "created", "revoked"):
        table.add_column(col)
    for t in tokens:
        table.add_row(t.token_id, t.name, t.role, t.created_at.isoformat(timespec="seconds"),
                      t.revoked_at.isoformat(timespec="seconds") if t.revoked_at else "")
    console.print(table)


@app.command("revoke")
@guarded
def revoke_command(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `accord token list`).")],
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Revoke a token: requests with it get 401 from then on.

    Examples:

      accord token revoke 3f9a1c0b7d2e
    """
    st = workspace(ws_path, store).open_store()
    try:
        info = revoke_token(st, token_id)
    finally:
        st.close()
    if as_json:
        print_json(info.as_dict())
    else:
        console.print(f"revoked token {info.token_id} ({info.name})", highlight=False)
