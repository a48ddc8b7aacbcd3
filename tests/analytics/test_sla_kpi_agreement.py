"""One clock: `accord kpis`' speed-to-lead within-SLA share is `accord sla`'s met share for
the speed-to-lead SLA, exactly (==), overall and per responsible rep, in the actual view
and — after `accord run` — in the derived view.

Both are read from the command line on one simulated workspace (`accord demo`, 3,000
leads, seed 3), as a user would. The mapping of a clock without a responsible rep: `accord
sla` shows `rep_id: null`, `accord kpis --by rep` the group `(none)`. `accord sla` lists a
rep whose clocks are all open with `share_within: null`; `accord kpis` leaves such a group
out (nothing to measure).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.analytics.kpis import NONE_LABEL
from accord.cli import app

runner = CliRunner()
KPI = "speed_to_lead_within_sla"


def accord(*args: str) -> Any:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, f"$ accord {' '.join(args)}\n{r.output}"
    return json.loads(r.stdout)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agreement") / "demo"
    accord("demo", str(root), "--leads", "3000", "--seed", "3", "--json")
    accord("run", "-w", str(root), "--json")
    return root


def speed_sla(ws: Path, view: str) -> dict[str, Any]:
    data = accord("sla", "-w", str(ws), "--view", view, "--json")
    assert data["view"] == view
    (sla,) = [s for s in data["slas"] if s["sla"] == "speed_to_lead"]
    return sla


def kpi_rows(ws: Path, view: str, *extra: str) -> dict[str, dict[str, Any]]:
    data = accord("kpis", "-w", str(ws), "--view", view, "--kpi", KPI, "--json", *extra)
    assert data["view"] == view and data["basis"] == "cohort"
    return {("all" if r["total"] else r["group"]): r for r in data["rows"]}


@pytest.mark.parametrize("view", ["actual", "derived"])
def test_kpis_within_sla_is_the_sla_met_share_overall(workspace: Path, view: str) -> None:
    sla = speed_sla(workspace, view)
    row = kpi_rows(workspace, view)["all"]
    assert sla["met"] + sla["breached"] > 1000  # a real company, not an empty clock
    assert row["value"] == sla["share_within"]
    assert (row["numerator"], row["denominator"]) == (sla["met"], sla["met"] + sla["breached"])


@pytest.mark.parametrize("view", ["actual", "derived"])
def test_kpis_within_sla_by_rep_is_the_sla_met_share_per_rep(workspace: Path,
                                                             view: str) -> None:
    sla = speed_sla(workspace, view)
    rows = kpi_rows(workspace, view, "--by", "rep")
    expected = {(r["rep_id"] if r["rep_id"] is not None else NONE_LABEL): r
                for r in sla["by_rep"]}
    assert len(expected) > 3
    measured = {rep: r for rep, r in expected.items() if r["share_within"] is not None}
    assert set(rows) - {"all"} == set(measured)
    for rep, r in measured.items():
        got = rows[rep]
        assert got["value"] == r["share_within"], rep
        assert (got["numerator"], got["denominator"]) == (r["met"], r["met"] + r["breached"])
    assert rows["all"]["value"] == sla["share_within"]
