"""`accord sla` wiring (a local Typer app + CliRunner), and the planted slow rep found."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
import typer
import yaml
from typer.testing import CliRunner

from accord.cli.sla import sla_command
from accord.facts import FACT_TABLES
from accord.ingest.fact_folder import import_fact_folder
from accord.store import open_store
from accord.workspace import init_workspace

app = typer.Typer()
app.command("sla")(sla_command)


@app.callback()
def _root() -> None:
    """Local app: `sla` as a subcommand, as in the real CLI."""


runner = CliRunner()


def ny(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    local = datetime(year, month, day, hour, minute, tzinfo=ZoneInfo("America/New_York"))
    return local.astimezone(UTC).replace(tzinfo=None)


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())


def small_company(store_url: str) -> None:
    """Two MQLs on Fri 2025-01-10 17:30: r1 touches Mon 10:15 (met), r2 Mon 10:45 (breached)."""
    st = open_store(store_url)
    try:
        st.write_facts({
            "reps": table("reps", [{"rep_id": r, "name": r.upper(), "role": "sdr",
                                    "timezone": zone}
                                   for r, zone in (("r1", "America/New_York"),
                                                   ("r2", "Europe/London"))]),
            "leads": table("leads", [{"lead_id": lead, "email": f"{lead}@x.com",
                                      "channel": "webinar",
                                      "created_at": ny(2025, 1, 10, 17, 0)}
                                     for lead in ("A", "B")]),
            "stage_events": table("stage_events", [
                {"event_id": f"E{lead}", "lead_id": lead, "from_stage": "Lead",
                 "to_stage": "MQL", "occurred_at": ny(2025, 1, 10, 17, 30),
                 "actor": "marketing_automation"} for lead in ("A", "B")]),
            "activities": table("activities", [
                {"activity_id": "X1", "lead_id": "A", "rep_id": "r1", "kind": "call",
                 "occurred_at": ny(2025, 1, 13, 10, 15)},
                {"activity_id": "X2", "lead_id": "B", "rep_id": "r2", "kind": "call",
                 "occurred_at": ny(2025, 1, 13, 10, 45)}]),
        })
    finally:
        st.close()


@pytest.fixture(params=["duckdb", "postgresql"])
def ws(request: pytest.FixtureRequest, tmp_path: Path, store_url_factory: Any
       ) -> tuple[Path, str]:
    root = tmp_path / "ws"
    init_workspace(root)
    url = store_url_factory(request.param)
    small_company(url)
    return root, url


def invoke(*args: str) -> Any:
    result = runner.invoke(app, ["sla", *args])
    assert result.exit_code == 0, result.output
    return result


def test_overview_json(ws: tuple[Path, str]) -> None:
    root, url = ws
    out = json.loads(invoke("-w", str(root), "--store", url, "--json").output)
    # default now = latest fact (B's touch, Mon 2025-01-13 10:45 New York = 15:45 UTC)
    assert (out["now"], out["now_source"]) == ("2025-01-13T15:45:00", "latest fact")
    stl = next(s for s in out["slas"] if s["sla"] == "speed_to_lead")
    assert (stl["met"], stl["breached"], stl["open"], stl["share_within"]) == (1, 1, 0, 0.5)
    # B: untouched at its 2-business-hour mark (Mon 10:30) → step 1 fired
    assert out["escalations"] == {"speed_to_lead": {"1": 1}}
    # human delay: A 30 + 75 = 105, B 30 + 105 = 135 business minutes
    human = out["speed_to_lead"]["human_delay"]
    assert (human["measured"], human["p50"], human["bands"]["60+"]["count"]) == (2, 120, 2)
    assert out["volume"][0]["month"] == "2025-01"
    # the view read, and each SLA per responsible rep (r1 met A, r2 breached B)
    assert out["view"] == "actual"
    assert stl["by_rep"] == [
        {"rep_id": "r1", "met": 1, "breached": 0, "open": 0, "share_within": 1.0},
        {"rep_id": "r2", "met": 0, "breached": 1, "open": 0, "share_within": 0.0}]


def test_one_sla_one_rep_and_unknown_names(ws: tuple[Path, str]) -> None:
    root, url = ws
    out = json.loads(invoke("-w", str(root), "--store", url, "--sla", "speed_to_lead",
                            "--rep", "r2", "--json").output)
    assert [(s["sla"], s["met"], s["breached"]) for s in out["slas"]] == [
        ("speed_to_lead", 0, 1)]
    for args, named in ((["--sla", "speed"], "speed_to_lead"), (["--rep", "r9"], "r1"),
                        (["--view", "planned"], "derived")):
        bad = runner.invoke(app, ["sla", "-w", str(root), "--store", url, *args])
        assert bad.exit_code == 2, bad.output
        assert args[1] in bad.output and named in bad.output
    # the derived view needs `accord run`'s stage history
    bad = runner.invoke(app, ["sla", "-w", str(root), "--store", url, "--view", "derived"])
    assert bad.exit_code == 2 and "accord run" in bad.output


def test_breaches_json_ranks_reps_and_lists_leads(ws: tuple[Path, str]) -> None:
    root, url = ws
    out = json.loads(invoke("-w", str(root), "--store", url, "--breaches", "--json").output)
    assert [(r["rep_id"], r["breached"]) for r in out["reps"]] == [("r2", 1), ("r1", 0)]
    assert out["breached_total"] == 1
    lead = out["breached_leads"][0]
    assert (lead["sla"], lead["lead_id"], lead["rep_id"], lead["overdue_minutes"]) == (
        "speed_to_lead", "B", "r2", 15)


def test_now_option_reads_the_clocks_earlier(ws: tuple[Path, str]) -> None:
    root, url = ws
    # Mon 10:00 New York given with its offset: nobody touched yet, both 90 min in → open
    out = json.loads(invoke("-w", str(root), "--store", url, "--now",
                            "2025-01-13T10:00:00-05:00", "--json").output)
    assert (out["now"], out["now_source"]) == ("2025-01-13T15:00:00", "given")
    stl = next(s for s in out["slas"] if s["sla"] == "speed_to_lead")
    assert (stl["met"], stl["breached"], stl["open"]) == (0, 0, 2)


def test_text_output_and_bad_now(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    init_workspace(root)
    small_company(str(root / ".accord" / "accord.duckdb"))
    text = invoke("-w", str(root)).output
    assert "SLAs as of 2025-01-13 15:45 UTC" in text and "Speed to lead" in text
    text = invoke("-w", str(root), "--breaches").output
    assert "Reps by SLA breaches" in text and "R2" in text
    # r2 works London hours while the clocks run on New York's: marked, and said why
    assert "Europe/London *" in text and "America/New_York *" not in text
    flat = " ".join(text.split())  # the caption wraps
    assert "works outside the time zone of a calendar its clocks ran on" in flat
    assert "(the contract's is America/New_York" in flat
    bad = runner.invoke(app, ["sla", "-w", str(root), "--now", "last tuesday"])
    assert bad.exit_code == 2
    assert "not an ISO date" in bad.output


@pytest.mark.slow
def test_planted_slow_rep_tops_the_breach_ranking(tmp_path: Path) -> None:
    from accord.sim import simulate

    effects = tmp_path / "effects.yaml"
    effects.write_text("effects:\n  - {kind: slow_rep, rep: 2, delay_multiplier: 8}\n")
    data = tmp_path / "company"
    simulate(data, leads=3000, seed=4, effects=effects)
    truth = yaml.safe_load((data / "effects_applied.yaml").read_text())
    slow = next(e["rep_id"] for e in truth["effects"] if e["kind"] == "slow_rep")
    root = tmp_path / "ws"
    ws = init_workspace(root)
    st = ws.open_store()
    try:
        import_fact_folder(st, data)
    finally:
        st.close()
    out = json.loads(invoke("-w", str(root), "--breaches", "--json").output)
    reps = out["reps"]
    assert reps[0]["rep_id"] == slow
    # and it is the speed-to-lead clock that sets it apart, by a wide margin
    first_touch = sorted((r["by_sla"].get("speed_to_lead", 0) for r in reps), reverse=True)
    assert reps[0]["by_sla"]["speed_to_lead"] == first_touch[0] >= 1.5 * first_touch[1]


def test_period_keeps_the_clocks_that_started_in_it(tmp_path: Path) -> None:
    """A and B (January, one met, one breached) plus C, an MQL on Mon 2025-02-03 10:00 New
    York touched at 10:30 (met): each month shows only its own clocks, and the months add
    up to all time."""
    root = tmp_path / "ws"
    init_workspace(root)
    url = str(root / ".accord" / "accord.duckdb")
    small_company(url)
    st = open_store(url)
    try:
        st.write_facts({
            "leads": table("leads", [{"lead_id": "C", "email": "c@x.com", "channel": "webinar",
                                      "created_at": ny(2025, 2, 3, 9, 50)}]),
            "stage_events": table("stage_events", [
                {"event_id": "EC", "lead_id": "C", "from_stage": "Lead", "to_stage": "MQL",
                 "occurred_at": ny(2025, 2, 3, 10, 0), "actor": "marketing_automation"}]),
            "activities": table("activities", [
                {"activity_id": "X3", "lead_id": "C", "rep_id": "r1", "kind": "call",
                 "occurred_at": ny(2025, 2, 3, 10, 30)}]),
        })
    finally:
        st.close()

    def stl(*args: str) -> tuple[dict[str, Any], dict[str, Any]]:
        out = json.loads(invoke("-w", str(root), *args, "--json").output)
        return next(s for s in out["slas"] if s["sla"] == "speed_to_lead"), out

    everything, _ = stl()
    january, jan = stl("--period", "2025-01")
    february, feb = stl("--period", "2025-02")
    assert (everything["met"], everything["breached"], everything["open"]) == (2, 1, 0)
    assert (january["met"], january["breached"]) == (1, 1)
    assert (february["met"], february["breached"], february["share_within"]) == (1, 0, 1.0)
    assert jan["escalations"] == {"speed_to_lead": {"1": 1}} and feb["escalations"] == {}
    assert [v["month"] for v in feb["volume"]] == ["2025-02"]
    assert feb["speed_to_lead"]["human_delay"]["measured"] == 1  # C only: 30 minutes
    assert feb["speed_to_lead"]["human_delay"]["p50"] == 30
    breaches = json.loads(invoke("-w", str(root), "--breaches", "--period", "2025-02",
                                 "--json").output)
    assert breaches["breached_total"] == 0
    bad = runner.invoke(app, ["sla", "-w", str(root), "--period", "2025-13"])
    assert bad.exit_code == 1 and "2025-13" in bad.output  # as accord kpis --period
