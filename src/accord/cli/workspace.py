"""Workspace commands: init, import, status, funnel, demo."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from accord.analytics.funnel import compute_funnel
from accord.analytics.kpis.period import parse_period
from accord.cli.common import (
    JsonOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    console,
    err_console,
    guarded,
    open_session,
    print_json,
    workspace,
)
from accord.cli.render import counts_table, funnel_table
from accord.engine.outcome import EngineOutcome, run_with_outcome
from accord.engine.views import check_view
from accord.errors import UsageError, WorkspaceError
from accord.ingest import import_facts
from accord.ingest.fact_folder import import_fact_folder
from accord.ingest.vendors import VENDOR_FORMATS, detect_format, import_vendor
from accord.workspace import init_workspace, workspace_status


@guarded
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder for the new workspace.")] = Path("."),
    force: Annotated[bool, typer.Option(help="Overwrite an existing accord.yaml.")] = False,
) -> None:
    """Start a workspace: a commented starter accord.yaml and an empty store.

    Examples:

      accord init                # in the current folder

      accord init acme-revenue   # in a new folder
    """
    ws = init_workspace(directory.resolve(), force=force)
    console.print(f"[green]✓[/green] wrote {ws.contract_path}")
    console.print(f"[green]✓[/green] created the store at {ws.default_store_path}")
    console.print("Next: edit accord.yaml with both teams, then `accord contract validate`.")


@guarded
def import_command(
    path: Annotated[Path, typer.Argument(help="Folder of files to import: fact files "
                                              "(<table>.csv or .parquet) or a CRM export.")],
    fmt: Annotated[str | None, typer.Option(
        "--format", help="facts | mapped | hubspot | salesforce (default: detected from the "
                         "files; the summary names what was detected and why).")] = None,
    mapping: Annotated[Path | None, typer.Option(
        help="A column-mapping YAML for files not in the canonical format (see docs/kpis.md)."
    )] = None,
    stage_map: Annotated[Path | None, typer.Option(
        help="HubSpot or Salesforce: a YAML file changing which stage role a CRM stage value "
             "plays (see docs/import.md).")] = None,
    timezone: Annotated[str, typer.Option(
        help="HubSpot or Salesforce: the IANA zone of times written without an offset "
             "(HubSpot's export writes the account's zone), e.g. Europe/Berlin.")] = "UTC",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a folder of fact files (format: docs/facts.md) or a HubSpot or Salesforce
    export (docs/import.md) in one transaction.

    Every file is checked before anything is written; any problem names the file, row and
    column and leaves the store as it was (exit code 4). Importing the same facts again
    changes nothing. For fact files and mappings the contract is not read: facts can be
    imported while accord.yaml is being edited. A HubSpot or Salesforce export needs the
    contract: its stage values become the contract's stage names through their roles.

    Examples:

      accord import exports/2026-11/

      accord import data/ --store postgresql://127.0.0.1/test?schema=acme --json

      accord import olist-export/ --mapping mappings/olist.yaml

      accord import hubspot-export/ --format hubspot

      accord import salesforce-export/ --stage-map stage-map.yaml

      accord import hubspot-export/ --timezone Europe/Berlin
    """
    detection = detect_format(path, fmt, mapping)
    if detection.format in VENDOR_FORMATS:
        if not workspace(ws_path, store).has_contract():
            raise WorkspaceError(
                f"a {detection.format} import needs the contract (its stage names): no "
                f"accord.yaml in {ws_path.resolve()}; run `accord init` or pass --workspace")
        with open_session(ws_path, store) as s, console.status("importing…"):
            done = import_vendor(s.store, s.contract, path, detection.format, stage_map,
                                 detection, timezone)
            location = s.workspace.store_label
        result, summary = done.result, done.as_dict()
    else:
        if stage_map is not None or timezone != "UTC":
            raise UsageError("--stage-map and --timezone are for --format hubspot or "
                             "salesforce")
        with open_session(ws_path, store, contract=None) as s, console.status("importing…"):
            result = import_facts(s.store, path, mapping)
            location = s.workspace.store_label
        summary = {**detection.as_dict(), **result.as_dict()}
        done = None
    if as_json:
        print_json({"store": location, **summary})
        return
    how = "detected" if detection.detected else "given"
    console.print(f"format    {detection.format} ({how}: {escape(detection.reason)})",
                  highlight=False)
    console.print(counts_table(dict(result.write.added), f"Imported into {location}"))
    console.print(f"{result.write.total_added:,} new facts; {result.already_stored:,} already "
                  "stored.")
    for note in done.notes if done is not None else ():
        console.print(f"[yellow]note[/yellow] {escape(note)}", highlight=False)


@guarded
def status_command(
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show the store location, the contract version and row counts per table.

    A contract with problems is reported (its first problem), not refused; a store URL's
    password is never shown.

    Examples:

      accord status

      accord status --json | jq .counts.leads
    """
    with open_session(ws_path, store, contract=None) as s:
        status = workspace_status(s)
    if as_json:
        print_json(status.as_dict())
        return
    console.print(f"store     {status.store} ({status.backend})", highlight=False)
    if status.contract_version is not None:
        console.print(f"contract  {status.contract} (version {status.contract_version})",
                      highlight=False)
    else:
        console.print(f"contract  [yellow]{escape(status.contract_problem or '')}[/yellow]",
                      highlight=False)
    console.print(counts_table(status.counts, "Facts"))


@guarded
def funnel_command(
    by: Annotated[str | None, typer.Option(help="Lead column to split by, e.g. channel.")] = None,
    period: Annotated[str | None, typer.Option(
        help="Cohort of leads created in: 2026, 2026-Q1, 2026-03 or 2026-01-15..2026-02-14.")
    ] = None,
    view: ViewOpt = "actual",
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Leads reaching each funnel stage, under the contract's names (starter: Lead → MQL →
    SAL → SQL → Opportunity → Customer).

    Examples:

      accord funnel --by channel

      accord funnel --period 2025-Q2 --view derived --json
    """
    cohort = parse_period(period)
    with open_session(ws_path, store) as s:
        funnel = compute_funnel(s.store, s.contract, by=by, view=check_view(view),
                                since=cohort.start, until=cohort.end)
    if as_json:
        print_json(funnel.as_dict())
    else:
        console.print(funnel_table(funnel))


@guarded
def demo_command(
    directory: Annotated[Path, typer.Argument(help="Workspace folder for the demo.")] = Path("."),
    leads: Annotated[int, typer.Option(help="Leads to simulate.", min=100)] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same company).")] = 7,
    as_json: JsonOpt = False,
) -> None:
    """See accord end to end: a simulated company's funnel, and the contract at work.

    Initialises a workspace (keeping an existing accord.yaml), simulates 12 months of a
    B2B company under the workspace's contract (its stage names, signals and reason
    codes), imports the facts, prints the funnel by channel, then runs the engine
    (`accord run`, as of the last simulated fact) and prints what it decided: leads by
    tier, MQLs routed by rule, each SLA's share met, and the reps with the most breaches.

    Examples:

      mkdir try-accord && cd try-accord && accord demo

      accord demo --leads 100000 --seed 3 --json
    """
    from accord.sim import simulate

    root = directory.resolve()
    quiet = as_json
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=err_console, disable=quiet,
                  transient=False) as progress:
        step = progress.add_task("workspace", total=5)
        if not workspace(root, None).has_contract():
            init_workspace(root)
        with open_session(root, None) as s:
            ws = s.workspace
            progress.update(step, advance=1, description=f"simulating {leads:,} leads")
            data_dir = root / ".accord" / "demo-data"
            if data_dir.exists():
                shutil.rmtree(data_dir)
            simulate(data_dir, leads=leads, seed=seed, contract=s.contract)
            progress.update(step, advance=1, description="importing facts")
            result = import_fact_folder(s.store, data_dir)
            progress.update(step, advance=1, description="computing the funnel")
            funnel = compute_funnel(s.store, s.contract, by="channel")
            counts = s.store.counts()
            progress.update(step, advance=1, description="running the engine (accord run)")
            outcome = run_with_outcome(s.store, s.contract, s.as_of().at)
        progress.update(step, advance=1, description="done")
    if as_json:
        print_json({"workspace": str(root), "store": ws.store_label, "data": str(data_dir),
                    "added": dict(result.write.added), "counts": counts,
                    "funnel": funnel.as_dict(), "engine": outcome.as_dict()})
        return
    console.print(funnel_table(funnel))
    console.print(_outcome_text(outcome))
    console.print(
        f"\n[bold]Workspace[/bold] {root}\n"
        f"  contract  {ws.contract_path}\n  store     {ws.store_label}\n"
        f"  facts     {data_dir} ({sum(counts.values()):,} rows)\n\n"
        "[bold]Next[/bold]\n"
        "  accord status                 what is in the store\n"
        "  accord contract validate      check the agreement after you edit accord.yaml\n"
        "  accord funnel --by channel    this table again, any lead column\n"
        "  accord sla --breaches         every breach, reps worst first\n"
        "  accord route --fairness       each rep's share of the rotation against its weight\n"
        "  accord kpis                   the shared KPIs against their targets\n"
        "  accord insights               what differs, with confidence intervals\n"
        "  accord simulate --help        make other companies, with planted effects\n"
    )


def _outcome_text(outcome: EngineOutcome) -> str:
    s = outcome.summary
    tiers = " · ".join(f"{t} {n:,}" for t, n in s.tiers.items())
    rules = " · ".join(f"{r} {n:,}" for r, n in outcome.routed_by_rule.items())
    slas = " · ".join(f"{x.sla} {x.share_within:.0%} met" for x in outcome.slas
                      if x.share_within is not None)
    lines = [f"\n[bold]The contract at work[/bold] (accord run as of "
             f"{s.as_of.isoformat(sep=' ', timespec='minutes')} UTC, contract v"
             f"{s.contract_version}, {s.seconds:.1f} s)",
             f"  scored    {s.leads:,} leads: tier {tiers}",
             f"  routed    {outcome.routed:,} leads "
             f"{'at ' + outcome.routing_stage if outcome.routing_stage else 'at creation'}: "
             f"{rules}",
             f"  SLAs      {slas}"]
    for i, rep in enumerate(outcome.worst_reps):
        label = "breaches" if i == 0 else ""
        lines.append(f"  {label:<9} {rep.name or rep.rep_id} ({rep.rep_id}): "
                     f"{rep.breached:,} of {rep.decided:,} clocks ({rep.breach_rate:.0%})")
    return "\n".join(lines)
