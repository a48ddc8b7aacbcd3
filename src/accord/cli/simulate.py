"""`accord simulate`: write a synthetic B2B company's year of facts with planted effects."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from accord.cli.common import JsonOpt, console, err_console, guarded, print_json
from accord.contract.compiled import load_compiled, starter_contract
from accord.sim import SimulationSummary, simulate
from accord.sim.simulate import EffectsArg


class OutputFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"


def _summary_table(summary: SimulationSummary) -> Table:
    table = Table(title=f"Simulated company → {summary.out}", title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, n in summary.rows.items():
        table.add_row(name, f"{n:,}")
    return table


def _effects_table(summary: SimulationSummary) -> Table:
    table = Table(title="Planted effects (ground truth in effects_applied.yaml)",
                  title_justify="left")
    table.add_column("kind")
    table.add_column("parameters")
    table.add_column("leads", justify="right")
    for e in summary.effects:
        params = ", ".join(f"{k}={v}" for k, v in e.items() if k not in ("kind", "leads_affected"))
        table.add_row(str(e["kind"]), params, f"{e.get('leads_affected', 0):,}")
    return table


@guarded
def simulate_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the fact files to.",
                                      file_okay=False)],
    leads: Annotated[int, typer.Option(help="Leads to simulate.", min=1)] = 20_000,
    seed: Annotated[int, typer.Option(help="Random seed: same seed and arguments, "
                                            "byte-identical files.")] = 7,
    effects: Annotated[str | None, typer.Option(
        help="Effects YAML file to plant, `none`, or `default` (the shipped default set, "
             "used when omitted; docs/simulator.md).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", help="File format.")] = (
        OutputFormat.parquet),
    start: Annotated[datetime, typer.Option(help="First day of the period.",
                                            formats=["%Y-%m-%d"])] = datetime(2025, 1, 1),
    months: Annotated[int, typer.Option(help="Months to simulate.", min=1, max=60)] = 12,
    contract: Annotated[Path | None, typer.Option(
        "--contract", help="Contract file (accord.yaml) whose stage names, signals, reason "
                           "codes, ICP and work day the facts use. Default: the starter "
                           "contract.", dir_okay=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Simulate a B2B company's year of leads, touches, sales work and deals, with planted
    effects an analysis should find.

    Writes one file per fact table (docs/facts.md), effects_applied.yaml
    (seed, arguments, planted effects) and _truth/ (true accounts, duplicates).
    Stage events carry the contract's name for each stage role (--contract).

    Examples:

      accord simulate --out data/ --leads 20000 --seed 7

      accord simulate --out clean/ --effects none --format csv

      accord simulate --out mine/ --effects my_effects.yaml --json

      accord simulate --out ours/ --contract accord.yaml
    """
    chosen: EffectsArg
    if effects is None or effects.strip().lower() == "default":
        chosen = "default"
    elif effects.strip().lower() == "none":
        chosen = None
    else:
        chosen = Path(effects)
    first_day: date = start.date()
    compiled = load_compiled(contract) if contract is not None else starter_contract()
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TimeElapsedColumn(), console=err_console, disable=as_json,
                  transient=True) as bar:
        task = bar.add_task(f"simulating {leads:,} leads", total=None)

        def on_step(step: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=step)

        summary = simulate(out, leads=leads, seed=seed, effects=chosen, fmt=fmt.value,
                           start=first_day, months=months, progress=on_step,
                           contract=compiled)
    if as_json:
        print_json(summary.to_dict())
        return
    console.print(_summary_table(summary))
    if summary.effects:
        console.print(_effects_table(summary))
    else:
        console.print("No effects planted (--effects none).")
