"""`accord score --stage NAME`: the top leads among those in one stage of the contract."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
from typer.testing import CliRunner

from accord.cli import app


def test_score_by_stage_lists_exactly_the_leads_whose_latest_move_is_into_it(
        tmp_path: Path) -> None:
    runner = CliRunner()
    ws = tmp_path / "demo"
    assert runner.invoke(app, ["demo", str(ws), "--leads", "400", "--seed", "5",
                               "--json"]).exit_code == 0
    r = runner.invoke(app, ["score", "-w", str(ws), "--stage", "Nurture", "--limit", "100000",
                            "--json"])
    assert r.exit_code == 0, r.output
    shown = {row["lead_id"] for row in json.loads(r.stdout)["leads"]}
    # independently: each lead's latest recorded stage event (the actual view), as of the
    # store's latest fact; ties broken by the later event id
    con = duckdb.connect(str(ws / ".accord" / "accord.duckdb"), read_only=True)
    expected = {row[0] for row in con.execute("""
        with latest as (
          select lead_id, to_stage, row_number() over (
              partition by lead_id order by occurred_at desc, event_id desc) as rn
          from stage_events)
        select lead_id from latest where rn = 1 and to_stage = 'Nurture'""").fetchall()}
    con.close()
    assert expected, "the simulated company has leads sitting in Nurture"
    assert shown == expected
