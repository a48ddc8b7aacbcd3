"""The pipeline velocity and routing pages: each draws its charts, and its tables hold the
numbers `accord kpis --json`, `accord org health --json` and `accord route --fairness
--json` print for the same store, or a second, plain pandas computation over it. The CLI
runs on a copy after the server stopped (while it runs it is the store's one writer)."""

from __future__ import annotations

import json
import re
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from conftest import Company, _dash, accord, table_rows

from accord.analytics.diagnostics import STALL_DAYS
from accord.cli.common import open_session
from accord.engine.routing import QUEUE_PREFIX

PAGES = (("pipeline", "/dashboard/pipeline", {}),
         ("pipeline-derived", "/dashboard/pipeline", {"view": "derived", "period": "2025-Q2"}),
         ("routing", "/dashboard/routing", {}),
         ("routing-week", "/dashboard/routing", {"per": "week"}))
CHARTS = {"pipeline": ("stage-days", "stage-stalled"), "routing": ("rep-load", "rep-leads")}
VELOCITY = ("pipeline_velocity", "sales_cycle_days", "win_rate", "pipeline_created")


@pytest.fixture(scope="module")
def served(company: Company, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A copy of the company, the four pages read from it, and the server stopped."""
    root = tmp_path_factory.mktemp("ops") / "ws"
    shutil.copytree(company.root, root)
    pages: dict[str, str] = {}
    for dash in _dash(root, company):
        for name, path, params in PAGES:
            r = dash.get(path, **params)
            assert r.status_code == 200, r.text
            pages[name] = r.text
    return root, pages


def cli(root: Path, *args: str) -> Any:
    return json.loads(accord(*args, "--json", "-w", str(root), cwd=root))


def figure(html: str, chart_id: str) -> str:
    m = re.search(rf'<figure class="chart" id="{chart_id}".*?</figure>', html, re.S)
    assert m, f"no chart {chart_id!r}"
    return m.group(0)


def test_the_pages_draw_labelled_charts_with_table_twins(served: tuple[Path, dict]) -> None:
    _, pages = served
    for name, html in pages.items():
        for chart_id in CHARTS[name.split("-")[0]]:
            drawn = figure(html, chart_id)
            assert "<svg" in drawn and ("<path" in drawn or "<rect" in drawn), chart_id
            twin = re.search(r'aria-describedby="([^"]+)"', drawn)
            assert twin and table_rows(html, twin.group(1)), chart_id
    assert "stalled of" in figure(pages["pipeline"], "stage-stalled")
    assert "/ capacity" in figure(pages["routing"], "rep-load")
    assert 'href="/dashboard/leads/' in pages["pipeline-derived"]


def _stays(moves: pd.DataFrame, as_of: datetime) -> pd.DataFrame:
    """Time in stage, the plain way: sort each lead's moves, the next move ends a stay."""
    m = moves[moves["occurred_at"] < as_of].sort_values(["lead_id", "occurred_at", "move_id"])
    m = m.assign(left=m.groupby("lead_id")["occurred_at"].shift(-1))
    m["days"] = (m["left"].fillna(pd.Timestamp(as_of)) - m["occurred_at"]) \
        / pd.Timedelta(days=1)
    return m


def test_the_pipeline_page_equals_the_cli_and_a_second_count(
        served: tuple[Path, dict]) -> None:
    root, pages = served
    for name, view, args in (("pipeline", "actual", ()),
                             ("pipeline-derived", "derived", ("--period", "2025-Q2"))):
        want = {r["kpi"]: r for r in cli(root, "kpis", "--view", view, *args,
                                          *(a for k in VELOCITY for a in ("--kpi", k)))["rows"]}
        shown = table_rows(pages[name], "velocity-kpis")
        assert sorted(r["kpi"] for r in shown) == sorted(VELOCITY)
        for got in shown:
            for key in ("value", "numerator", "denominator", "target", "unit", "status"):
                assert got[key] == want[got["kpi"]][key], (name, got["kpi"], key)

        stages = table_rows(pages[name], "stages")
        sign = next(s for s in cli(root, "org", "health", "--view", view)["signs"]
                    if s["name"] == "pipeline_stalled")
        assert sum(r["open"] for r in stages) == sign["total"]
        assert max(r["stalled"] for r in stages) == sign["count"]
        assert sign["stage"] in {r["stage"] for r in stages
                                 if r["stalled"] == sign["count"]}

    as_of = datetime.fromisoformat(cli(root, "kpis", "--kpi", "win_rate")["as_of"])
    with open_session(root, None) as s:
        pipeline = list(s.contract.stages.pipeline)
        ev = s.store.table("stage_events").to_pyarrow().to_pandas()
    moves = _stays(ev.rename(columns={"event_id": "move_id"}), as_of)
    stages = table_rows(pages["pipeline"], "stages")
    assert [r["stage"] for r in stages] == pipeline
    for row in stages:
        mine = moves[moves["to_stage"] == row["stage"]]
        now_there = mine[mine["left"].isna()]
        assert row["stays"] == len(mine)
        assert row["open"] == len(now_there)
        assert row["stalled"] == int((now_there["occurred_at"]
                                      < as_of - timedelta(days=STALL_DAYS)).sum())
        assert row["median_days"] == pytest.approx(mine["days"].median(), rel=1e-6)
        assert row["mean_days"] == pytest.approx(mine["days"].mean(), rel=1e-6)
    assert any(r["stalled"] for r in stages)

    latest = moves[moves["left"].isna() & moves["to_stage"].isin(pipeline)]
    stalled = latest[latest["occurred_at"] < as_of - timedelta(days=STALL_DAYS)] \
        .sort_values(["occurred_at", "lead_id"]).head(50)
    shown = table_rows(pages["pipeline"], "stalled")
    assert [(r["lead_id"], r["stage"]) for r in shown] == \
        list(zip(stalled["lead_id"], stalled["to_stage"], strict=True))
    assert [r["days_in_stage"] for r in shown] == pytest.approx(list(stalled["days"]),
                                                                 rel=1e-6)


def test_the_routing_page_equals_accord_route(served: tuple[Path, dict]) -> None:
    root, pages = served
    month = cli(root, "route", "--fairness")
    week = cli(root, "route", "--fairness", "--period", "week")
    for name, report in (("routing", month), ("routing-week", week)):
        assert table_rows(pages[name], "fairness") == report["fairness"]["shares"]
        assert table_rows(pages[name], "skip-flows") == report["fairness"]["skips"]
    html = pages["routing"]
    per_rule: dict[str, int] = {}
    for r in month["by_rule"]:
        per_rule[r["rule"]] = per_rule.get(r["rule"], 0) + r["leads"]
    rules = table_rows(html, "rules")
    assert {r["rule"]: r["leads"] for r in rules if r["leads"]} == per_rule
    assert sum(r["leads"] for r in rules) == month["leads"] > 100
    assert table_rows(html, "skips") == month["skips"]

    # each rep's load, counted again from the assignments `accord route` just stored
    with open_session(root, None) as s:
        tz = s.contract.calendar.timezone
        a = s.store.derived("assignments").to_pyarrow().to_pandas()
        caps = {r["rep_id"]: r["capacity_per_day"]
                for r in s.store.table("reps").to_pyarrow().to_pylist()}
    a = a[~a["owner"].str.startswith(QUEUE_PREFIX)]
    day = a["assigned_at"].dt.tz_localize("UTC").dt.tz_convert(tz).dt.date
    daily = a.assign(day=day).groupby(["owner", "day"]).size()
    reps = {r["rep_id"]: r for r in table_rows(html, "reps")}
    assert {k for k, r in reps.items() if r["leads"]} == set(a["owner"])
    for rep, n in daily.groupby(level="owner"):
        row = reps[str(rep)]
        assert (row["leads"], row["days"], row["peak_day"]) == \
            (int(n.sum()), len(n), int(n.max())), rep
        assert row["capacity_per_day"] == caps[str(rep)]
        assert row["days_at_capacity"] == int((n >= caps[str(rep)]).sum())
        assert row["share"] == pytest.approx(int(n.sum()) / len(a))
