"""`accord org …`: organisation-design advice, org chart lint and rendering.

Thin edge: each command parses its input, calls one library function in `accord.org`
and renders the result (rich text, or `--json` with the same data).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from accord.analytics.diagnostics import structural_diagnostic
from accord.cli.common import (
    AsOfOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    guarded,
    open_session,
    workspace,
)
from accord.engine.views import check_view
from accord.errors import UsageError, WorkspaceError
from accord.org.advice import Advice, Cited, Recommendation, Timing
from accord.org.advisor import advise as advise_profile
from accord.org.advisor import money, pct
from accord.org.chart import load_chart
from accord.org.health import StructureHealth, structure_health
from accord.org.lint import LintReport, lint_chart
from accord.org.profile import load_profile
from accord.org.render import Format, flagged_nodes, render

app = typer.Typer(
    help="Organisation design: advise on structure from a company profile, lint an org "
         "chart against the seeds' rules, and draw it.",
    no_args_is_help=True,
    rich_markup_mode="rich",
)

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Profile field → the flag that can set it (so errors name the flag).
PROFILE_FLAGS = {
    "employees": "--employees", "arr": "--arr", "funding_stage": "--funding",
    "products": "--products", "segments": "--segments", "regions": "--regions",
    "motions": "--motion", "reps": "--reps", "crm_users": "--crm-users",
    "total_budget": "--budget", "current.sales_model": "--current-sales",
    "current.marketing_model": "--current-marketing", "current.roles": "--has",
}


def _fail(exc: Exception, code: int = 2) -> typer.Exit:
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    return typer.Exit(code)


@app.command()
@guarded
def advise(
    profile: Path | None = typer.Option(None, "--profile", "-p", help="Company profile YAML."),
    employees: int | None = typer.Option(None, help="Number of employees."),
    arr: str | None = typer.Option(None, help="ARR, e.g. 8M, 750k or 8000000."),
    funding: str | None = typer.Option(
        None, help="bootstrapped, pre_seed, seed, series_a, series_b, series_c, "
                   "series_d_plus or public."),
    products: str | None = typer.Option(None, help="Product names (comma-separated) or a count."),
    segments: str | None = typer.Option(None, help="Segments, comma-separated."),
    regions: str | None = typer.Option(None, help="Regions, comma-separated."),
    motion: list[str] | None = typer.Option(
        None, "--motion", help="inbound, outbound, abm or plg; repeat for several."),
    reps: int | None = typer.Option(None, help="Sales reps who take leads."),
    crm_users: int | None = typer.Option(None, help="People who work in the CRM."),
    budget: str | None = typer.Option(None, help="Total annual budget, e.g. 14M."),
    current_sales: str | None = typer.Option(None, help="Current sales model."),
    current_marketing: str | None = typer.Option(None, help="Current marketing model."),
    has: list[str] | None = typer.Option(
        None, "--has", help="A role already filled (e.g. revops_leader); repeat for several."),
    today: str | None = typer.Option(None, help="Date to plan from (YYYY-MM-DD); default today."),
    as_json: bool = typer.Option(False, "--json", help="Print the advice as JSON."),
) -> None:
    """Recommend sales, marketing and combined structures, hires, routing and reviews.

    Every line cites the seed figure it comes from. Flags override the profile file.
    An invalid profile or flag value exits 2 naming the file and line, or the flag.

    Example: [bold]accord org advise --profile examples/org/profile.yaml --today 2026-11-23[/bold]

    Without a file: [bold]accord org advise --employees 120 --arr 8M --products 2[/bold]
    """
    if profile is None and employees is None:
        raise typer.BadParameter("give --profile FILE or at least --employees")
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        raise UsageError(f"--today: {today!r} is not a date; write YYYY-MM-DD") from None
    current = {"sales_model": current_sales, "marketing_model": current_marketing,
               "roles": has or None}
    overrides: dict[str, Any] = {
        "employees": employees, "arr": arr, "funding_stage": funding, "products": products,
        "segments": segments, "regions": regions, "motions": motion or None, "reps": reps,
        "crm_users": crm_users, "total_budget": budget,
        "current": {k: v for k, v in current.items() if v is not None} or None,
    }
    company = load_profile(profile, overrides, PROFILE_FLAGS)
    advice = advise_profile(company, day)
    if as_json:
        out.print_json(advice.model_dump_json())
        return
    _print_advice(advice)


@app.command()
@guarded
def lint(
    chart: Path = typer.Argument(..., help="Org chart YAML."),
    as_json: bool = typer.Option(False, "--json", help="Print findings as JSON."),
) -> None:
    """Check an org chart against the structural rules from the seeds.

    Exits 1 when any finding is an error, 0 otherwise (warnings only or clean); an
    invalid chart file exits 2 naming the file, line and field.

    Example: [bold]accord org lint examples/org/chart-needs-work.yaml[/bold]
    """
    report = lint_chart(load_chart(chart))
    if as_json:
        out.print_json(report.model_dump_json())
    else:
        _print_lint(report, chart)
    if report.errors:
        raise typer.Exit(1)


@app.command("chart")
@guarded
def chart_cmd(
    chart: Path = typer.Argument(..., help="Org chart YAML."),
    fmt: Format = typer.Option("mermaid", "--format", "-f", help="svg, mermaid or dot."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write here, not stdout."),
    show_lint: bool = typer.Option(False, "--lint", help="Outline boxes that lint flags."),
) -> None:
    """Draw an org chart: solid reporting lines, dashed dotted lines, team sizes.

    SVG needs Graphviz `dot` (Debian/Ubuntu: apt-get install graphviz).

    Example: [bold]accord org chart examples/org/chart.yaml --format svg -o org.svg[/bold]
    """
    parsed = load_chart(chart)
    flagged = flagged_nodes(lint_chart(parsed)) if show_lint else None
    text = render(parsed, fmt, flagged)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {escape(str(output))}")


@app.command()
@guarded
def health(
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    profile: Path | None = typer.Option(None, "--profile", "-p",
                                        help="Company profile, to fill in the restructuring "
                                             "checklist."),
    as_of: AsOfOpt = None,
    days: int = typer.Option(30, "--days", min=1, help="Window length in days (seed 000 "
                                                         "measures monthly)."),
    view: ViewOpt = "actual",
    as_json: bool = typer.Option(False, "--json", help="Print the readings as JSON."),
) -> None:
    """Structure health from the store: structural diagnostic, handoffs, unowned work.

    Reads the workspace's store (or --store) over the `--days` before `--as-of` (default:
    the latest fact in the store); stage roles and owners come from its accord.yaml.

    Example: [bold]accord org health -w demo --days 90 --profile examples/org/profile.yaml[/bold]
    """
    location = workspace(ws_path, store).store_location
    if "://" not in location and not Path(location).exists():
        raise WorkspaceError(f"no store at {location}; import facts first (`accord import`) "
                             "or pass --store")
    company = load_profile(profile) if profile is not None else None
    chosen = check_view(view)
    with open_session(ws_path, store) as s:
        end = s.as_of(as_of).at
        start = end - timedelta(days=days)
        diagnostic = structural_diagnostic(s.store, s.contract, start, end, as_of=end,
                                           view=chosen)
        report = structure_health(s.store, s.contract, start, end, diagnostic=diagnostic,
                                  as_of=end, profile=company, view=chosen)
    if as_json:
        out.print_json(report.model_dump_json())
        return
    _print_health(report)


# ---------------------------------------------------------------- rendering


def _line(c: Cited, bullet: str = "•") -> str:
    src = "; ".join(str(s) for s in c.sources)
    return f"  {bullet} {escape(c.text)} [dim]({escape(src)})[/dim]"


def _print_model(r: Recommendation) -> None:
    change = ""
    if r.changes_current:
        change = f" [yellow](today: {escape(r.current or 'none')})[/yellow]"
    out.print(f"[bold]{r.area.title()}:[/bold] {escape(r.name)}{change} — {escape(r.how)}")
    for c in r.reasons:
        out.print(_line(c))
    out.print(_line(r.watch_out, bullet="[yellow]watch out:[/yellow]"))


def _print_timing(label: str, t: Timing) -> None:
    words = {"in_place": "in place", "now": "now", "plan": "plan for it", "not_yet": "not yet"}
    trigger = f" — {escape(t.trigger)}" if t.trigger else ""
    out.print(f"[bold]{label}:[/bold] {words[t.decision]}{trigger}")
    for c in t.reasons:
        out.print(_line(c))


def _print_advice(a: Advice) -> None:
    p = a.profile
    name = escape(p.name or "Company")
    arr = f", {money(p.arr)} ARR" if p.arr is not None else ""
    out.print(f"[bold underline]{name}[/bold underline]: {p.employees} employees{arr} — "
              f"stage [bold]{escape(a.stage.label)}[/bold] (as of {a.today.isoformat()})")
    for c in a.stage.points:
        out.print(_line(c))
    out.rule("Structure")
    for r in (a.sales, a.marketing, a.combined):
        _print_model(r)
    _print_timing("RevOps", a.revops)
    _print_timing("CRO", a.cro)
    out.rule("Headcount and budget")
    for h in a.headcount:
        span = "no seed figure" if h.low is None else (
            str(h.low) if h.low == h.high else f"{h.low}–{h.high}")
        out.print(f"[bold]{h.function}:[/bold] {span}")
        for c in h.basis:
            out.print(_line(c))
    out.print(f"[bold]budget:[/bold] marketing {pct(a.budget.marketing_share_of_budget)}, "
              f"lead generation {pct(a.budget.lead_gen_share_of_budget, 2)} of total")
    for c in a.budget.points:
        out.print(_line(c))
    out.rule("Next hires, in order")
    for hire in a.next_hires:
        out.print(_line(hire.why, bullet=f"{hire.order}. [bold]{escape(hire.title)}[/bold] —"))
    out.rule("Routing")
    for rule in a.routing:
        out.print(_line(rule.why, bullet=f"[bold]{escape(rule.applies_to)}[/bold] → "
                                         f"{rule.method.replace('_', '-')}:"))
    out.rule("Put in place now")
    for c in a.put_in_place_now:
        out.print(_line(c))
    out.rule("KPIs to own now")
    table = Table(show_edge=False, pad_edge=False)
    for col in ("function", "owner", "KPIs"):
        table.add_column(col)
    for k in a.kpis:
        table.add_row(escape(k.function), escape(k.owner), escape(", ".join(k.kpis)))
    out.print(table)
    if a.kpis:
        out.print(f"  [dim](seed {a.kpis[0].source.seed}: {escape(a.kpis[0].source.figure)}, "
                  f"{a.kpis[0].column} column)[/dim]")
    out.print(_line(a.shared_kpis))
    out.rule("Review")
    out.print(f"[bold]next review:[/bold] {a.review.next_review.isoformat()}; yearly "
              f"{a.review.annual_review.isoformat()}; redesign between "
              f"{a.review.redesign_from.isoformat()} and {a.review.redesign_by.isoformat()}")
    for c in a.review.points:
        out.print(_line(c))
    title = "Restructuring checklist" + ("" if a.restructuring.needed else " (no change needed)")
    out.rule(title)
    for i, s in enumerate(a.restructuring.steps, start=1):
        out.print(f"  {i}. [bold]{escape(s.step)}[/bold]: {escape(s.detail)}")
    out.print(f"  [dim](seed {a.restructuring.steps[0].source.seed}: "
              f"{escape(a.restructuring.steps[0].source.figure)})[/dim]")
    out.print(_line(a.restructuring.note))


def _print_lint(report: LintReport, chart: Path) -> None:
    if not report.findings:
        out.print(f"[green]{escape(str(chart))}: no findings[/green]")
        return
    for f in report.findings:
        colour = "red" if f.severity == "error" else "yellow"
        nodes = f" [{', '.join(f.nodes)}]" if f.nodes else ""
        out.print(f"[{colour}]{f.severity}[/{colour}] [bold]{f.rule}[/bold]{escape(nodes)}: "
                  f"{escape(f.message)}")
        out.print(f"    why: {escape(f.reason)} [dim](seed {f.source.seed}: "
                  f"{escape(f.source.figure)})[/dim]")
    out.print(f"{escape(str(chart))}: {report.errors} error(s), {report.warnings} warning(s)")


def _print_health(h: StructureHealth) -> None:
    out.print(f"[bold underline]Structure health[/bold underline] "
              f"{h.start:%Y-%m-%d} → {h.end:%Y-%m-%d}")
    out.rule("Structural diagnostic")
    for s in h.signs:
        mark = "[red]past a third[/red]" if s.tripped else "[green]ok[/green]"
        share = "n/a" if s.share is None else pct(s.share)
        stage = f" at {escape(s.stage)}" if s.stage else ""
        out.print(f"  {escape(s.label)}{stage}: {s.count} of {s.total} ({share}) — {mark}")
    out.print(_line(h.verdict))
    out.rule("Handoff momentum (time in the stage left)")
    for step in h.handoffs:
        tag = " [bold](handoff)[/bold]" if step.handoff else ""
        out.print(f"  {escape(step.from_stage)} → {escape(step.to_stage)}{tag}: "
                  f"{step.moves} moves, median {step.median_hours:g} h, p90 {step.p90_hours:g} h, "
                  f"{step.total_days:g} days in all")
    if h.slowest is not None:
        out.print(f"  slowest: {escape(h.slowest.from_stage)} → {escape(h.slowest.to_stage)} "
                  "[dim](seed 003: work loses momentum at every handoff)[/dim]")
    out.rule("Work without an owner")
    for u in h.unowned:
        examples = f" e.g. {', '.join(u.examples)}" if u.examples else ""
        out.print(f"  {escape(u.label)}: {u.count}{escape(examples)}")
        out.print(_line(u.why, bullet="   "))
    if h.restructuring is not None:
        out.rule("Restructuring checklist")
        for i, item in enumerate(h.restructuring.steps, start=1):
            out.print(f"  {i}. [bold]{escape(item.step)}[/bold]: {escape(item.detail)}")
