"""accord's command line: one command per user task. Thin: parse, call the library, render."""

from __future__ import annotations

import os
import sys

import typer

from accord.cli import cadence as cadence_cli
from accord.cli import contract as contract_cli
from accord.cli import org as org_cli
from accord.cli import scoring as scoring_cli
from accord.cli import sync as sync_cli
from accord.cli import token as token_cli
from accord.cli import webhooks as webhooks_cli
from accord.cli import workspace as workspace_cli
from accord.cli.attribution import attribution_command
from accord.cli.audit import audit_command
from accord.cli.common import report_error
from accord.cli.diagnose import diagnose_command
from accord.cli.engine import run_command, score_command
from accord.cli.insights import insights_command
from accord.cli.kpis import effectiveness_command, kpis_command
from accord.cli.report import report_command
from accord.cli.route import route_command
from accord.cli.serve import serve_command
from accord.cli.simulate import simulate_command
from accord.cli.sla import sla_command
from accord.cli.whatif import whatif_command
from accord.errors import AccordError

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
app.add_typer(sync_cli.app, name="sync")
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
app.command("report")(report_command)
app.add_typer(cadence_cli.app, name="cadence")
app.command("whatif")(whatif_command)
app.command("diagnose")(diagnose_command)
app.command("audit")(audit_command)
app.command("serve")(serve_command)
app.add_typer(token_cli.app, name="token")
app.add_typer(webhooks_cli.app, name="webhooks")


#: Exit code of an unexpected error (a bug in accord, not a user mistake): EX_SOFTWARE.
INTERNAL_ERROR = 70


def main(argv: list[str] | None = None) -> None:
    """The `accord` program. accord's own errors end in their class's exit code
    (`cli.common.guarded`); Typer's usage errors in 2. Anything else is a bug: one line
    on stderr and exit 70, the traceback only with `ACCORD_DEBUG=1`."""
    try:
        app(args=argv, prog_name="accord")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("accord: interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:
        if os.environ.get("ACCORD_DEBUG", "") not in ("", "0"):
            raise
        if isinstance(exc, AccordError):  # raised outside a guarded command
            raise SystemExit(report_error(exc)) from None
        message = " ".join(str(exc).split())
        sys.stderr.write(f"accord: internal error: {type(exc).__name__}: {message} — rerun "
                         "with ACCORD_DEBUG=1 for the traceback\n")
        raise SystemExit(INTERNAL_ERROR) from None
