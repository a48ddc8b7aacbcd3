"""Bad names: every command that takes the name of a stage, KPI, rep, lead, SLA, dimension
(`--by`), view (`--view`), attribution model, org model or role, given an unknown one,
exits 2 with a message naming the unknown value and the allowed ones, and no traceback.

Run through Typer's CliRunner on one small simulated workspace (init, simulate, import,
run: 300 leads).
`test_every_name_option_has_a_case` walks every command's options, so a new option that
takes a name cannot go untested, and every case names an option its command has.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer.main
from typer.testing import CliRunner

from accord.cli import app
from accord.store import open_store

runner = CliRunner()
ENV = {"COLUMNS": "400", "TERMINAL_WIDTH": "400", "NO_COLOR": "1"}
UNKNOWN = "zz_unknown"

#: Options whose value is a name of something accord knows (checked by `test_every_…`).
NAME_OPTIONS = frozenset({
    "--lead", "--rep", "--sla", "--stage", "--kpi", "--by", "--dimension", "--view", "--basis",
    "--model", "--measure", "--outcome", "--only", "--period-kind", "--funding",
    "--current-sales", "--current-marketing", "--has", "--motion", "--format", "--role",
    "--pool", "--rule", "--step", "--channel", "--segment", "--icp", "--tier", "--side",
})

LEAD, REP = "<a lead id>", "<a rep id>"  # allowed names read from the store


@dataclass(frozen=True)
class Case:
    command: str  # "kpis", "scoring feedback", "org advise"
    option: str
    allowed: tuple[str, ...]  # every one must be named in the message
    value: str = UNKNOWN
    extra: tuple[str, ...] = ()
    workspace: bool = True

    @property
    def id(self) -> str:
        return f"{self.command} {self.option}".replace(" ", "_")


CASES: tuple[Case, ...] = (
    # engine
    Case("score", "--lead", (LEAD,)),
    Case("score", "--stage", ("MQL", "SAL", "Customer")),
    Case("score", "--view", ("actual", "derived")),
    Case("run", "--only", ("scores", "stages")),
    Case("route", "--rep", (REP,)),
    Case("route", "--period", ("month", "week")),
    Case("route", "--view", ("actual", "derived")),
    Case("sla", "--sla", ("speed_to_lead", "follow_up")),
    Case("sla", "--rep", (REP,)),
    Case("sla", "--view", ("actual", "derived")),
    # analytics
    Case("funnel", "--by", ("channel", "campaign")),
    Case("funnel", "--view", ("actual", "derived")),
    Case("kpis", "--kpi", ("win_rate", "mql_to_sal")),
    Case("kpis", "--by", ("channel", "rep")),
    Case("kpis", "--view", ("actual", "derived")),
    Case("kpis", "--basis", ("cohort", "period")),
    Case("effectiveness", "--by", ("channel", "segment")),
    Case("effectiveness", "--view", ("actual", "derived")),
    Case("effectiveness", "--basis", ("cohort", "period")),
    Case("insights", "--by", ("channel", "industry")),
    Case("insights", "--view", ("actual", "derived")),
    Case("attribution", "--model", ("first_touch", "w_shaped")),
    Case("attribution", "--by", ("channel", "campaign")),
    Case("attribution", "--measure", ("conversions", "revenue"), extra=("--compare",)),
    Case("scoring feedback", "--outcome", ("opportunity", "won")),
    Case("scoring feedback", "--by", ("channel", "industry")),
    Case("scoring feedback", "--view", ("actual", "derived")),
    Case("org health", "--view", ("actual", "derived")),
    Case("token create", "--role", ("viewer", "sales", "admin"), extra=("--name", "bot")),
    Case("contract sign", "--side", ("marketing", "sales"), extra=("1", "--name", "Dana")),
    # the simulator and the org advisor take no workspace
    Case("simulate", "--format", ("parquet", "csv"), extra=("--out", "{tmp}/sim"),
         workspace=False),
    Case("org advise", "--funding", ("series_a", "seed"), extra=("--employees", "40"),
         workspace=False),
    Case("org advise", "--current-sales", ("functional", "segment"),
         extra=("--employees", "40"), workspace=False),
    Case("org advise", "--current-marketing", ("customer_stage", "matrix"),
         extra=("--employees", "40"),
         workspace=False),
    Case("org advise", "--has", ("revops_leader", "sdr"), extra=("--employees", "40"),
         workspace=False),
    Case("org advise", "--motion", ("inbound", "outbound"), extra=("--employees", "40"),
         workspace=False),
    Case("org chart", "--format", ("svg", "mermaid", "dot"),
         extra=("examples/org/chart.yaml",), workspace=False),
    Case("contract render", "--format", ("md", "html", "pdf"),
         extra=("src/accord/contract/starter.yaml",), workspace=False),
    # what-if: a proposed contract replayed over the store
    Case("whatif", "--basis", ("cohort", "period"),
         extra=("--contract", "src/accord/contract/starter.yaml")),
    Case("contract diff", "--basis", ("cohort", "period"),
         extra=("src/accord/contract/starter.yaml", "src/accord/contract/starter.yaml",
                "--impact")),
    Case("contract diff", "--format", ("text", "md", "json"),
         extra=("src/accord/contract/starter.yaml", "src/accord/contract/starter.yaml"),
         workspace=False),
    # the meeting packs
    Case("report", "--format", ("md", "html", "pdf"), extra=("weekly",)),
    Case("import", "--format", ("facts", "mapped", "hubspot", "salesforce"), extra=("{tmp}",)),
    Case("report", "--view", ("actual", "derived"), extra=("weekly",)),
)


@dataclass(frozen=True)
class Demo:
    root: Path
    lead_ids: tuple[str, ...]
    rep_ids: tuple[str, ...]


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A workspace as a new user makes one: init, simulate, import, run."""
    root = tmp_path_factory.mktemp("bad-names")
    data = root / "facts"
    for args in (["init", str(root)],
                 ["simulate", "--out", str(data), "--leads", "300", "--seed", "3"],
                 ["import", str(data), "-w", str(root)],
                 ["run", "-w", str(root)]):
        r = runner.invoke(app, args, env=ENV)
        assert r.exit_code == 0, f"$ accord {' '.join(args)}\n{r.output}\n{r.exception!r}"
    store = open_store(root / ".accord" / "accord.duckdb")
    try:
        leads = store.table("leads").select("lead_id").to_pyarrow().column(0).to_pylist()
        reps = store.table("reps").select("rep_id").to_pyarrow().column(0).to_pylist()
    finally:
        store.close()
    yield Demo(root, tuple(leads), tuple(reps))


def _commands() -> dict[str, Any]:
    """`"kpis"`, `"scoring feedback"`, … -> the Click command, from the app itself."""
    out: dict[str, Any] = {}

    def walk(cmd: Any, path: list[str]) -> None:
        if hasattr(cmd, "list_commands"):
            ctx = type(cmd).context_class(cmd)
            for name in cmd.list_commands(ctx):
                sub = cmd.get_command(ctx, name)
                if sub is not None and not sub.hidden:
                    walk(sub, [*path, name])
        else:
            out[" ".join(path)] = cmd

    walk(typer.main.get_command(app), [])
    return out


def _options(cmd: Any) -> set[str]:
    return {o for p in cmd.params for o in getattr(p, "opts", ())
            if getattr(p, "param_type_name", "") == "option"}


def _flat(text: str) -> str:
    """The output as one line: Rich's panel borders and line wrapping removed."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


def test_every_name_option_has_a_case() -> None:
    covered = {(c.command, c.option) for c in CASES}
    missing = sorted((name, opt) for name, cmd in _commands().items()
                     for opt in _options(cmd) & NAME_OPTIONS
                     if (name, opt) not in covered)
    assert missing == [], f"options that take a name but have no bad-name case: {missing}"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_unknown_name_exits_2_naming_it_and_the_allowed_ones(
        case: Case, request: pytest.FixtureRequest, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    commands = _commands()
    assert case.command in commands, f"no command `accord {case.command}`"
    assert case.option in _options(commands[case.command]), (
        f"`accord {case.command}` has no {case.option} option")
    monkeypatch.chdir(Path(__file__).resolve().parents[2])  # examples/ for `org chart`
    extra = [a.replace("{tmp}", str(tmp_path)) for a in case.extra]
    args = [*case.command.split(), *extra, case.option, case.value]
    demo: Demo | None = request.getfixturevalue("demo") if case.workspace else None
    if demo is not None:
        args += ["--workspace", str(demo.root)]
    r = runner.invoke(app, args, env=ENV)
    shown = f"$ accord {' '.join(args)}\n{r.output}"
    assert "Traceback" not in r.output, shown
    assert r.exception is None or isinstance(r.exception, SystemExit), (
        f"{shown}\nraised {type(r.exception).__name__}: {r.exception}")
    assert r.exit_code == 2, shown
    text = _flat(r.output)
    assert case.value in text, f"the unknown value is not named:\n{shown}"
    for name in case.allowed:
        from_store = {LEAD: demo.lead_ids, REP: demo.rep_ids} if demo is not None else {}
        known = from_store.get(name, (name,))
        assert any(k in text for k in known), f"allowed name {name} not listed:\n{shown}"
