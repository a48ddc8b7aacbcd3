"""accord's command line: one command per user task. Thin: parse, call the library, render."""

from __future__ import annotations

import typer

from accord.cli import contract as contract_cli
from accord.cli import org as org_cli
from accord.cli import scoring as scoring_cli
from accord.cli import workspace as workspace_cli
from accord.cli.attribution import attribution_command
from accord.cli.engine import run_command, score_command
from accord.cli.insights import insights_command
from accord.cli.kpis import effectiveness_command, kpis_command
from accord.cli.route import route_command
from accord.cli.simulate import simulate_command
from accord.cli.sla import sla_command

app = typer.Typer(
    name="accord",
    help="Revenue alignment as code: the marketing–sales agreement as one versioned contract.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)

app.command("demo")(workspace_cli.demo_command)
app.command("init")(workspace_cli.init_command)
app.add_typer(contract_cli.app, name="contract")
app.command("simulate")(simulate_command)
app.command("import")(workspace_cli.import_command)
app.command("status")(workspace_cli.status_command)
app.command("funnel")(workspace_cli.funnel_command)
app.command("run")(run_command)
app.command("score")(score_command)
app.command("route")(route_command)
app.command("sla")(sla_command)
app.command("kpis")(kpis_command)
app.command("attribution")(attribution_command)
app.command("insights")(insights_command)
app.command("effectiveness")(effectiveness_command)
app.add_typer(scoring_cli.app, name="scoring")
app.add_typer(org_cli.app, name="org")


def main() -> None:
    app()
