"""KPIs on a simulated company against plain pandas on the simulator's fact files.

The simulated company has what the tiny hand-built set lacks at scale: recycled leads
(Nurture → MQL again), rejections with reasons, several activities and touches per lead,
opportunities with and without a lead. Each expected value is computed here with pandas
from the definitions in docs/kpis.md, not with accord.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_kpis import starter_contract

from accord.analytics.kpis import compute_kpis
from accord.ingest.fact_folder import import_fact_folder
from accord.sim import simulate
from accord.store import Store, open_store

Q2_START, Q2_END = pd.Timestamp("2025-04-01"), pd.Timestamp("2025-07-01")
DEPTH = {"MQL": 1, "SAL": 2, "SQL": 3, "Opportunity": 4, "Customer": 5}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Store]:
    folder = tmp_path_factory.mktemp("sim")
    simulate(folder, leads=3000, seed=11)
    st = open_store(folder / "store.duckdb")
    import_fact_folder(st, folder)
    return folder, st


def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    return {n: pd.read_parquet(folder / f"{n}.parquet") for n in
            ("leads", "stage_events", "activities", "touches", "opportunities")}


def _expected_by_channel(f: dict[str, pd.DataFrame]) -> dict[str, dict[str, tuple[int, int]]]:
    leads, ev, act, tch, opp = (f[k] for k in ("leads", "stage_events", "activities",
                                                "touches", "opportunities"))
    cohort = leads[(leads.created_at >= Q2_START) & (leads.created_at < Q2_END)]
    depth = ev.assign(d=ev.to_stage.map(DEPTH).fillna(0)).groupby("lead_id").d.max()
    linked = opp[opp.lead_id.notna()]
    depth = pd.concat([depth, linked.groupby("lead_id").status.agg(
        lambda s: 5 if (s == "won").any() else 4)]).groupby(level=0).max()
    c = cohort.set_index("lead_id")
    c["depth"] = depth.reindex(c.index).fillna(0)
    forward = {"MQL", "SAL", "SQL", "Opportunity", "Customer"}
    rejected = set(ev[(ev.from_stage == "MQL") & ~ev.to_stage.isin(forward)].lead_id)
    c["rejected"] = c.index.isin(rejected) & (c.depth >= 1)
    c["activities"] = act.groupby("lead_id").size().reindex(c.index).fillna(0)
    first_touch = tch.groupby("lead_id").occurred_at.min()
    j = act.merge(first_touch.rename("engaged_at"), left_on="lead_id", right_index=True)
    follow = j[j.occurred_at >= j.engaged_at].groupby("lead_id").occurred_at.min()
    lag = (follow - first_touch).reindex(c.index)
    c["engaged"] = first_touch.reindex(c.index).notna()
    c["followed"] = c.engaged & (lag <= pd.Timedelta(days=14))
    out: dict[str, dict[str, tuple[int, int]]] = {}
    for ch, g in c.groupby("channel"):
        out[str(ch)] = {
            "lead_to_mql": (int((g.depth >= 1).sum()), len(g)),
            "mql_to_sal": (int((g.depth >= 2).sum()), int((g.depth >= 1).sum())),
            "mql_to_won": (int((g.depth >= 5).sum()), int((g.depth >= 1).sum())),
            "mql_rejection_rate": (int(g.rejected.sum()), int((g.depth >= 1).sum())),
            "touches_per_lead": (int(g.activities.sum()), int((g.activities > 0).sum())),
            "handoff_rate": (int(g.followed.sum()), int(g.engaged.sum())),
        }
    # Opportunities of the cohort's leads, by the lead's channel; closed = won or lost.
    o = linked[linked.lead_id.isin(c.index)].assign(channel=lambda d: d.lead_id.map(c.channel))
    for ch, g in o.groupby("channel"):
        closed = g.status.isin(["won", "lost"])
        out[str(ch)]["win_rate"] = (int((g.status == "won").sum()), int(closed.sum()))
    return out


def test_cohort_kpis_by_channel_equal_pandas(company: tuple[Path, Store]) -> None:
    folder, st = company
    expected = _expected_by_channel(_frames(folder))
    kpis = ["lead_to_mql", "mql_to_sal", "mql_to_won", "mql_rejection_rate",
            "touches_per_lead", "handoff_rate", "win_rate"]
    report = compute_kpis(st, starter_contract(), period="2025-Q2", by="channel", kpis=kpis)
    checked = 0
    for channel, per_kpi in expected.items():
        for kpi, (num, den) in per_kpi.items():
            if den == 0:
                continue
            row = report.groups(kpi)[channel]
            assert (row.numerator, row.denominator) == (num, den), (channel, kpi)
            assert row.value == pytest.approx(num / den), (channel, kpi)
            checked += 1
    assert checked >= 40


def test_speed_to_lead_median_equals_numpy_business_minutes(
        company: tuple[Path, Store]) -> None:
    """The speed-to-lead SLA clock (docs/kpis.md): for leads created in Q2 whose clock
    started (a first stage event into MQL), business minutes from that event to the first
    activity at or after it, counted minute by minute on the starter calendar's hours (UTC
    contract calendar); the median over stopped clocks."""
    folder, st = company
    f = _frames(folder)
    ev, act, leads = f["stage_events"], f["activities"], f["leads"]
    cohort = leads[(leads.created_at >= Q2_START) & (leads.created_at < Q2_END)].lead_id
    start = ev[ev.to_stage == "MQL"].groupby("lead_id").occurred_at.min()
    start = start[start.index.isin(cohort)]
    j = act.merge(start.rename("start"), left_on="lead_id", right_index=True)
    touch = j[j.occurred_at >= j.start].groupby("lead_id").occurred_at.min()
    pairs = pd.concat([start.rename("start"), touch.rename("touch")], axis=1).dropna()
    minutes = [_business_minutes(a, b) for a, b in zip(pairs.start, pairs.touch, strict=True)]
    report = compute_kpis(st, starter_contract(), period="2025-Q2",
                          kpis=["speed_to_lead_median_minutes"])
    row = report.row("speed_to_lead_median_minutes")
    assert row.denominator == len(minutes)
    assert row.value == pytest.approx(float(np.median(minutes)), abs=1e-6)


def _business_minutes(a: pd.Timestamp, b: pd.Timestamp) -> float:
    """09:00-18:00 UTC, Monday to Friday, by whole days plus the partial ends."""
    total = 0.0
    day = a.normalize()
    while day <= b.normalize():
        if day.weekday() < 5:
            lo = max(a, day + pd.Timedelta(hours=9))
            hi = min(b, day + pd.Timedelta(hours=18))
            total += max((hi - lo).total_seconds() / 60, 0.0)
        day += pd.Timedelta(days=1)
    return total
