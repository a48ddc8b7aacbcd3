"""`accord webhooks add|list|remove|log`: where `accord serve` sends its decisions (see
docs/api.md, "Receive a webhook").

An endpoint's signing secret is printed once, at creation; `list`, `log` and `--json`
never show it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from accord.api.webhooks import add_endpoint, delivery_log, list_endpoints, remove_endpoint
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

app = typer.Typer(help="Webhooks of `accord serve`: add (secret shown once), list, remove, "
                       "and the delivery log.", no_args_is_help=True)


def _when(t: datetime | None) -> str:
    return t.isoformat(timespec="seconds") if t is not None else ""


@app.command("add")
@guarded
def add_command(
    url: Annotated[str, typer.Argument(help="Where to POST each message (http or https).")],
    slack: Annotated[bool, typer.Option("--slack", help="Send a Slack-compatible body, "
                                        "{\"text\": ...}, instead of the message JSON.")]
    = False,
    name: Annotated[str | None, typer.Option(help="A name for it (default: the URL's "
                                             "host).")] = None,
    max_attempts: Annotated[int | None, typer.Option(
        "--max-attempts", help="Failed attempts before a message is parked (default: the "
                               "server's, 8 or ACCORD_WEBHOOK_ATTEMPTS).")] = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Register a URL and print its signing secret, once.

    The server POSTs the URL every assignment, SLA warning, breach, escalation and
    reassignment written from now on, signed with a new secret. The secret is printed
    once, alone on stdout (the endpoint's id and name go to stderr); with `--json`,
    stdout has the endpoint's JSON (never the secret) and the secret is printed once on
    stderr.

    Examples:

      accord webhooks add https://crm.example.com/hooks/accord --name crm

      accord webhooks add https://hooks.slack.com/services/T0/B0/XXXX --slack --name sales-alerts
    """
    st = workspace(ws_path, store).open_store()
    try:
        secret, ep = add_endpoint(st, url, name=name, slack=slack, max_attempts=max_attempts)
    finally:
        st.close()
    if as_json:
        print_json(ep.as_dict())
        err_console.print(f"signing secret of webhook {ep.endpoint_id}, shown once — keep "
                          f"it secret: {secret}", highlight=False, soft_wrap=True)
        return
    err_console.print(f"webhook {ep.endpoint_id} ({ep.name}, {ep.format}); its signing "
                      "secret, shown once — keep it secret:", highlight=False)
    typer.echo(secret)


@app.command("list")
@guarded
def list_command(
    removed: Annotated[bool, typer.Option("--removed", help="Include removed endpoints.")]
    = False,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The webhook endpoints; never a secret.

    Each with its id, name, URL without credentials, format, max attempts, when added.

    Examples:

      accord webhooks list

      accord webhooks list --removed --json
    """
    st = workspace(ws_path, store).open_store()
    try:
        endpoints = list_endpoints(st, removed=removed)
    finally:
        st.close()
    if as_json:
        print_json([e.as_dict() for e in endpoints])
        return
    table = Table(title="Webhook endpoints", title_justify="left")
    for col in ("id", "name", "url", "format", "max attempts", "added", "removed"):
        table.add_column(col)
    for e in endpoints:
        table.add_row(e.endpoint_id, e.name, e.shown_url, e.format,
                      str(e.max_attempts or "default"), _when(e.created_at),
                      _when(e.removed_at))
    console.print(table)


@app.command("remove")
@guarded
def remove_command(
    endpoint: Annotated[str, typer.Argument(help="The endpoint's id or name (from `accord "
                                            "webhooks list`).")],
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Remove an endpoint: nothing more is sent to it.

    Its delivery log stays (its undelivered messages show as dropped).

    Examples:

      accord webhooks remove crm

      accord webhooks remove wh_3f9a1c0b --json
    """
    st = workspace(ws_path, store).open_store()
    try:
        ep = remove_endpoint(st, endpoint)
    finally:
        st.close()
    if as_json:
        print_json(ep.as_dict())
    else:
        console.print(f"removed webhook {ep.endpoint_id} ({ep.name})", highlight=False)


@app.command("log")
@guarded
def log_command(
    parked: Annotated[bool, typer.Option("--parked", help="Only the parked messages.")]
    = False,
    limit: Annotated[int, typer.Option(help="At most this many rows, newest first.",
                                       min=1)] = 50,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delivery status per message and endpoint, newest first.

    Each is delivered, pending (with its next attempt), parked (gave up after its
    attempts) or dropped (the endpoint was removed first), with its attempts, the last
    HTTP status and error.

    Examples:

      accord webhooks log

      accord webhooks log --parked --json
    """
    st = workspace(ws_path, store).open_store()
    try:
        rows = delivery_log(st, parked_only=parked, limit=limit)
    finally:
        st.close()
    if as_json:
        print_json([d.as_dict() for d in rows])
        return
    table = Table(title="Webhook deliveries", title_justify="left")
    for col in ("delivery id", "kind", "lead", "endpoint", "status", "attempts",
                "last error", "next attempt", "delivered"):
        table.add_column(col)
    for d in rows:
        table.add_row(d.message_id, d.kind, d.lead_id, d.endpoint, d.status,
                      str(d.attempts), d.last_error or "", _when(d.next_attempt_at),
                      _when(d.delivered_at))
    console.print(table)
