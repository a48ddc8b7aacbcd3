"""`accord sync`: pull HubSpot or Salesforce records into export files; push accord's
decisions back to the CRM's contacts and leads."""

from __future__ import annotations

from datetime import datetime
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
    parse_instant,
    print_json,
)
from accord.errors import UsageError
from accord.ingest.sync import VENDORS
from accord.ingest.sync.credentials import load_credentials
from accord.ingest.sync.pull import SALESFORCE_API_VERSION, STATE_DIR, pull
from accord.ingest.sync.push import PROPERTY_NAMES, push

app = typer.Typer(
    help="Live connectors: pull HubSpot or Salesforce records into export files that "
         "`accord import --format hubspot|salesforce` reads, and push accord's decisions "
         "(owner, scores, tier, stage, SLA due time and breach) back to the CRM.",
    no_args_is_help=True)

VendorArg = Annotated[str, typer.Argument(help="The CRM: hubspot or salesforce.",
                                          metavar="hubspot|salesforce")]
BaseUrlOpt = Annotated[str | None, typer.Option(
    "--base-url", help="The API's address (default: https://api.hubapi.com for HubSpot, "
                       "$ACCORD_SALESFORCE_INSTANCE_URL for Salesforce); plain http only "
                       "for 127.0.0.1 or localhost.")]
CredentialsOpt = Annotated[Path | None, typer.Option(
    "--credentials", dir_okay=False,
    help="A NAME=value file with the token (and the Salesforce instance URL), outside any "
         "repository; default $ACCORD_SYNC_CREDENTIALS, else ~/.config/accord/credentials. "
         "The environment's variables come first.")]
ApiVersionOpt = Annotated[str, typer.Option(
    "--api-version", help="Salesforce REST API version.")]


def _vendor(name: str) -> str:
    if name not in VENDORS:
        raise UsageError(f"unknown CRM {name!r}; expected one of: {', '.join(VENDORS)}")
    return name


def _say(message: str) -> None:
    err_console.print(escape(message), highlight=False)


@app.command("pull")
@guarded
def pull_command(
    vendor: VendorArg,
    out: Annotated[Path, typer.Option("--out", file_okay=False,
                                      help="Folder of the export files (made if missing); "
                                           f"the cursors are kept in its {STATE_DIR}/.")],
    since: Annotated[datetime | None, typer.Option(
        "--since", parser=parse_instant, metavar="TIME",
        help="Where a first pull (or one with --reset) starts: records modified since this "
             "time (ISO, UTC unless it has an offset). Later pulls continue from the saved "
             "cursor; --since with a saved cursor and no --reset is refused.")] = None,
    objects: Annotated[str | None, typer.Option(
        "--objects", help="Comma-separated objects (default all): HubSpot contacts, "
                          "companies, deals; Salesforce Lead, Contact, Account, "
                          "Opportunity, OpportunityHistory, LeadHistory, User, Task, "
                          "Event, Campaign, CampaignMember.")] = None,
    reset: Annotated[bool, typer.Option(
        "--reset", help="Forget the saved cursors: pull everything again (merged over the "
                        "files).")] = False,
    base_url: BaseUrlOpt = None,
    credentials: CredentialsOpt = None,
    api_version: ApiVersionOpt = SALESFORCE_API_VERSION,
    as_json: JsonOpt = False,
) -> None:
    """Pull the records modified since the last pull into one CSV per object, by the CRM's
    own field names, merged over the previous pull (the latest version of each record
    wins).

    HubSpot: the CRM search API on hs_lastmodifieddate; Salesforce: a SOQL query on
    SystemModstamp. Paging, the saved cursor and retries after a 429 (Retry-After) are
    dlt's. The token comes from ACCORD_HUBSPOT_TOKEN, or ACCORD_SALESFORCE_TOKEN with
    ACCORD_SALESFORCE_INSTANCE_URL, else from --credentials; it is never printed.

    Examples:

      export ACCORD_HUBSPOT_TOKEN=...   # a private app's token

      accord sync pull hubspot --out crm/hubspot --since 2026-01-01

      accord import crm/hubspot --format hubspot

      accord sync pull salesforce --out crm/sf --objects Lead,Account,Opportunity --json
    """
    chosen = _vendor(vendor)
    creds = load_credentials(chosen, file=credentials, base_url=base_url)
    names = [o.strip() for o in objects.split(",") if o.strip()] if objects else None
    result = pull(chosen, out, creds, objects=names, since=since, reset=reset,
                  api_version=api_version, progress=None if as_json else _say)
    if as_json:
        print_json(result.as_dict())
        return
    table = Table(title=f"{chosen} pull into {result.out} (cursors in {result.state})",
                  title_justify="left")
    for col in ("object", "received", "rows in file", "cursor", "file"):
        table.add_column(col, justify="right" if col in ("received", "rows in file")
                         else "left")
    for o in result.objects:
        table.add_row(o.name, f"{o.received:,}", f"{o.rows:,}", o.cursor or "—", o.file or "—")
    console.print(table)
    console.print(f"Next: accord import {result.out} --format {chosen}", highlight=False)


@app.command("push")
@guarded
def push_command(
    vendor: VendorArg,
    dry_run: Annotated[bool, typer.Option(
        "--dry-run", help="Print the planned changes; send and record nothing.")] = False,
    limit: Annotated[int, typer.Option(
        "--limit", min=0, help="Planned records to list (0 = all).")] = 20,
    base_url: BaseUrlOpt = None,
    credentials: CredentialsOpt = None,
    api_version: ApiVersionOpt = SALESFORCE_API_VERSION,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Write accord's decisions (derived view: the tables `accord run` writes) to the
    CRM's records: owner, fit and engagement score, tier, lifecycle stage, SLA due time
    and breach flag.

    Only records whose values differ from what was last pushed are sent (kept in the
    store's accord_sync_pushed table), so a second push with nothing changed sends
    nothing. A lead's id is the CRM record's id (leads imported from a CRM export keep
    it). Batches of 100 (HubSpot contacts batch update) or 200 (Salesforce composite
    sobjects; ids starting 003 are Contacts, 00Q Leads); a lead whose id is not the
    CRM's (digits for HubSpot) is not sent. Every push is in the audit log. The
    properties (HubSpot) or custom fields (Salesforce) must exist in the CRM:
    accord_owner, accord_fit_score, … (HubSpot) and Accord_Owner__c, … (Salesforce).

    Examples:

      accord run

      accord sync push hubspot --dry-run

      accord sync push hubspot

      accord sync push salesforce --json
    """
    chosen = _vendor(vendor)
    with open_session(ws_path, store, contract=None) as s:
        creds = (None if dry_run else
                 load_credentials(chosen, file=credentials, base_url=base_url,
                                  workspace=s.workspace.root))
        result = push(s.store, chosen, creds, dry_run=dry_run, api_version=api_version,
                      progress=None if as_json else _say)
    if as_json:
        print_json(result.as_dict())
        return
    plan = result.plan
    names = PROPERTY_NAMES[chosen]
    other = (f"; {plan.other_ids:,} lead(s) without a {chosen} record id not sent"
             if plan.other_ids else "")
    if not plan.records:
        console.print(f"{chosen}: nothing to send — all {plan.unchanged:,} record(s) as last "
                      f"pushed (derived view){other}.", highlight=False)
        return
    table = Table(title=f"{chosen}: {len(plan.records):,} record(s) to send, "
                        f"{plan.unchanged:,} as last pushed (derived view){other}"
                        + (" — dry run, nothing sent" if dry_run else ""),
                  title_justify="left")
    for col in ("record", "property", "was", "now"):
        table.add_column(col)
    shown = plan.records if limit == 0 else plan.records[:limit]
    for record, change in zip(shown, plan.changes, strict=False):
        for i, (key, (was, now)) in enumerate(change.items()):
            table.add_row(record["lead_id"] if i == 0 else "", names[key],
                          "—" if was is None else (was or "(empty)"), now or "(empty)")
    console.print(table)
    if len(shown) < len(plan.records):
        console.print(f"… and {len(plan.records) - len(shown):,} more (--limit 0 lists "
                      "all)", highlight=False)
    if not dry_run:
        console.print(f"Sent {result.sent:,} record(s) in {result.batches:,} batch(es); "
                      f"{len(result.failed):,} refused by {chosen}.", highlight=False)
        for f in result.failed[:limit or None]:
            console.print(f"  ✗ {escape(f['id'])}: {escape(f['error'])}", highlight=False)
