"""What a definition change would do (`analytics/whatif.py`), on a simulated company whose
SDRs accept higher-fit leads more often (checked first, from the facts).

Raising the handoff rule's fit threshold from 45 to 70 must hand off fewer leads and raise
acceptance. The counts are checked against SQL over the store itself: with fit fixed per
lead, a lead of fit ≥ 70 meets the new rule exactly when it meets the old one, so its
derived history is the same under both, and a lead of fit < 70 is never handed off —
so the new handoffs are the store's derived handoffs with fit ≥ 70. Expected pipeline,
SLA load per rep per week and the leads that change are recomputed independently too.

One simulated company (3,000 leads, seed 3), built once for the module.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from accord.analytics.kpis import ALL_TIME, compute_kpis
from accord.analytics.whatif import (
    WhatIf,
    contract_impact,
    lead_changes,
    sla_load,
    whatif,
)
from accord.contract.compiled import CompiledContract, compile_text, starter_contract
from accord.contract.roles import StageRole
from accord.engine.batch import run
from accord.engine.scenario import run_scenario
from accord.engine.sla_clock import SlaClocks
from accord.errors import NotComputedError
from accord.ingest.fact_folder import import_fact_folder
from accord.sim import simulate
from accord.store import Store, open_store
from accord.store.as_of import AsOf, resolve_as_of
from accord.workspace import starter_contract_text

OLD_FIT, NEW_FIT = 45, 70


@dataclass(frozen=True)
class Company:
    store: Store
    contract: CompiledContract
    strict: CompiledContract
    as_of: AsOf
    strict_result: WhatIf
    same_result: WhatIf

    def sql(self, query: str, *params: Any) -> list[tuple[Any, ...]]:
        return self.store.raw.execute(query, list(params)).fetchall()  # type: ignore[attr-defined]

    def names(self) -> dict[str, str]:
        st = self.contract.stages
        return {"handoff": st.require(StageRole.HANDOFF, "test"),
                "accepted": st.require(StageRole.ACCEPTED, "test")}


def strict_contract() -> CompiledContract:
    text = starter_contract_text()
    old = f"fit >= {OLD_FIT} and"
    assert text.count(old) == 1
    return compile_text(text.replace(old, f"fit >= {NEW_FIT} and").replace(
        "version: 1", "version: 2", 1))


def snapshot(store: Store) -> dict[str, pa.Table]:
    names = [r[0] for r in store.raw.execute(  # type: ignore[attr-defined]
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall()]
    out = {}
    for name in names:
        t = store.con.table(name).to_pyarrow()
        out[name] = t.sort_by([(c, "ascending") for c in t.column_names])
    return out


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Company]:
    root = tmp_path_factory.mktemp("whatif")
    simulate(root / "facts", leads=3000, seed=3)
    store = open_store(root / "store.duckdb")
    import_fact_folder(store, root / "facts")
    contract, strict = starter_contract(), strict_contract()
    at = resolve_as_of(store)
    run(store, contract, at.at)
    before = snapshot(store)
    strict_result = whatif(store, contract, strict, as_of=at)
    same_result = whatif(store, contract, contract, as_of=at)
    after = snapshot(store)
    assert list(after) == list(before)
    for name, table in before.items():  # a what-if only reads the store
        assert after[name].equals(table), name
    yield Company(store, contract, strict, at, strict_result, same_result)
    store.close()


# -- the company is what the test needs ---------------------------------------------------------
def test_simulated_sdrs_accept_higher_fit_handoffs_more_often(company: Company) -> None:
    """Actual stage events: of the leads marketing handed off, the share sales accepted,
    by fit band (fit from the scores `accord run` wrote)."""
    n = company.names()
    rows = company.sql(
        """WITH mql AS (SELECT DISTINCT lead_id FROM stage_events WHERE to_stage = ?),
                sal AS (SELECT DISTINCT lead_id FROM stage_events WHERE to_stage = ?)
           SELECT s.fit >= ? AS high, count(*), count(sal.lead_id)
           FROM mql JOIN derived_scores s USING (lead_id) LEFT JOIN sal USING (lead_id)
           WHERE s.fit >= ? GROUP BY 1 ORDER BY 1""",
        n["handoff"], n["accepted"], NEW_FIT, OLD_FIT)
    (low, low_n, low_acc), (high, high_n, high_acc) = rows
    assert (low, high) == (False, True)
    assert low_n > 300 and high_n > 300
    assert high_acc / high_n > low_acc / low_n + 0.05


# -- a stricter handoff rule --------------------------------------------------------------------
def _handoffs(company: Company, min_fit: int) -> set[str]:
    """Leads with a move into the handoff stage in the store's derived history, fit ≥."""
    rows = company.sql(
        """SELECT DISTINCT h.lead_id FROM derived_stage_history h
           JOIN derived_scores s USING (lead_id) WHERE h.to_stage = ? AND s.fit >= ?""",
        company.names()["handoff"], min_fit)
    return {r[0] for r in rows}


def _reached_later(company: Company) -> set[str]:
    """Leads that reached a funnel stage after the handoff one (derived history), or have an
    opportunity: the same under both rules (decisions and opportunities are facts)."""
    st = company.contract.stages
    later = [name for _, name in st.funnel][st.depth(company.names()["handoff"]) + 1:]
    marks = ", ".join("?" for _ in later)
    rows = company.sql(
        f"""SELECT lead_id FROM derived_stage_history WHERE to_stage IN ({marks})
            UNION SELECT lead_id FROM opportunities WHERE lead_id IS NOT NULL""", *later)
    return {r[0] for r in rows}


def _decided(company: Company, leads: set[str]) -> tuple[int, int]:
    """(accepted, rejected) of these handed-off leads: the first move out of the handoff
    stage into the accepted stage, or into a send-back stage with a reason code."""
    n = company.names()
    send_back = list(company.contract.stages.send_back)
    h = company.store.derived("stage_history").to_pandas()
    h = h[h.lead_id.isin(leads)]
    start = h[h.to_stage == n["handoff"]].groupby("lead_id").occurred_at.min()
    out = h[h.from_stage == n["handoff"]].join(start.rename("start_at"), on="lead_id")
    out = out[out.occurred_at >= out.start_at]
    acc = out[out.to_stage == n["accepted"]].groupby("lead_id").occurred_at.min()
    rej = out[out.to_stage.isin(send_back) & out.reason.notna() & (out.reason != "")] \
        .groupby("lead_id").occurred_at.min()
    both = pd.concat([acc.rename("acc"), rej.rename("rej")], axis=1)
    accepted = both.acc.notna() & (both.rej.isna() | (both.acc <= both.rej))
    rejected = both.rej.notna() & ~accepted
    return int(accepted.sum()), int(rejected.sum())


def test_a_stricter_fit_threshold_hands_off_exactly_the_higher_fit_leads(
        company: Company) -> None:
    w = company.strict_result
    old, new = _handoffs(company, OLD_FIT), _handoffs(company, NEW_FIT)
    assert len(new) < len(old) - 200
    entered = w.figure("sla.mql_volume.entered")
    assert (entered.old.value, entered.new.value) == (len(_handoffs(company, 0)), len(new))
    # the KPIs count a lead as handed off when it reached the handoff stage or a later one
    later = _reached_later(company)
    reached = w.figure("kpi.lead_to_mql")
    assert reached.old.numerator == len(_handoffs(company, 0) | later)
    assert reached.new.numerator == len(new | later)
    assert reached.new.numerator < reached.old.numerator
    mql_volume = w.figure("kpi.mql_volume")
    assert mql_volume.new.numerator == reached.new.numerator
    assert mql_volume.new.value == pytest.approx(reached.new.numerator / 12)  # 12 months


def test_a_stricter_fit_threshold_raises_acceptance(company: Company) -> None:
    w = company.strict_result
    acc_old, rej_old = _decided(company, _handoffs(company, 0))
    acc_new, rej_new = _decided(company, _handoffs(company, NEW_FIT))
    volume = w.figure("sla.mql_volume.acceptance")
    assert (volume.old.numerator, volume.old.denominator) == (acc_old, acc_old + rej_old)
    assert (volume.new.numerator, volume.new.denominator) == (acc_new, acc_new + rej_new)
    assert volume.new.value is not None and volume.old.value is not None
    assert volume.new.value > volume.old.value + 0.03
    kpi = w.figure("kpi.mql_to_sal")
    assert kpi.new.numerator == kpi.old.numerator  # acceptances are facts
    assert kpi.new.denominator == w.figure("kpi.lead_to_mql").new.numerator
    assert kpi.delta is not None and kpi.delta > 0


def test_expected_pipeline_is_mqls_times_the_historical_pipeline_per_mql(
        company: Company) -> None:
    """Actual view, all time: pipeline created (new business) ÷ leads that reached the
    handoff stage or a later one (stage events) or have an opportunity."""
    st = company.contract.stages
    reached = [name for _, name in st.funnel][st.depth(company.names()["handoff"]):]
    marks = ", ".join("?" for _ in reached)
    (mqls,), = company.sql(
        f"""SELECT count(*) FROM (SELECT lead_id FROM stage_events WHERE to_stage IN ({marks})
            UNION SELECT lead_id FROM opportunities WHERE lead_id IS NOT NULL)""", *reached)
    cols = {r[0] for r in company.sql("SELECT column_name FROM duckdb_columns() "
                                      "WHERE table_name = 'opportunities'")}
    # pipeline_created counts new business: an empty type or `new_business`
    new_business = "coalesce(type, '') IN ('', 'new_business')" if "type" in cols else "true"
    (pipeline,), = company.sql(f"SELECT sum(amount) FROM opportunities WHERE {new_business}")
    w = company.strict_result
    assert w.pipeline.handoff_leads == mqls and w.pipeline.pipeline == pytest.approx(pipeline)
    expected = w.figure("pipeline.expected")
    for side in ("old", "new"):
        count = getattr(w.figure("kpi.lead_to_mql"), side).numerator
        assert getattr(expected, side).value == pytest.approx(count * pipeline / mqls)
    assert expected.delta is not None and expected.delta < 0


def test_sla_load_counts_each_lead_once_in_the_week_its_first_clock_started(
        company: Company) -> None:
    """Derived side: the first entry into a per-lead SLA's start stage (handoff or
    accepted in the starter) per lead, by its routed owner and Monday-to-Sunday week."""
    starts = sorted({c.start for c in company.contract.slas.values() if c.per_lead})
    h = company.store.derived("stage_history").to_pandas()
    first = h[h.to_stage.isin(starts)].groupby("lead_id").occurred_at.min().rename("start")
    owners = company.store.derived("assignments").to_pandas().set_index("lead_id").owner
    df = first.to_frame().join(owners).fillna({"owner": "(none)"})
    df["week"] = (df.start.dt.normalize()
                  - pd.to_timedelta(df.start.dt.day_of_week, unit="D"))
    per_week = df.groupby(["owner", "week"]).size()
    load = company.strict_result.old.load
    # all time: the months with leads, 2025-01-01 (a Wednesday) .. the as-of time
    first_monday = datetime(2024, 12, 30)
    last_monday = company.as_of.at - timedelta(days=company.as_of.at.weekday())
    assert load.first_week == first_monday.date()
    assert load.weeks == (last_monday.date() - first_monday.date()).days // 7 + 1
    assert {r.owner for r in load.reps} == set(per_week.index.get_level_values(0))
    for r in load.reps:
        mine = per_week[r.owner]
        assert (r.leads, r.peak_week) == (int(mine.sum()), int(mine.max())), r.owner
        assert r.mean_per_week == pytest.approx(mine.sum() / load.weeks)
    sdr = next(r for r in load.reps if r.owner.startswith("sdr"))
    assert sdr.capacity_per_week == 10 * 5  # capacity_per_day 10 × Mon–Fri


def test_weeks_over_capacity_are_counted_against_the_rep_capacity() -> None:
    """Hand-built: rep r1 takes 1 lead a day (5 a week). Week of Mon 2025-03-03: 6 leads
    (over); week of 2025-03-10: 2 leads; lead x2's second clock (2025-03-12) is not its
    first and does not count; lead q1 went to a queue."""
    at = datetime(2025, 3, 20)
    starts = [("a1", "2025-03-03 09:00"), ("a2", "2025-03-04 10:00"),
              ("a3", "2025-03-05 11:00"), ("a4", "2025-03-06 12:00"),
              ("a5", "2025-03-07 13:00"), ("a6", "2025-03-09 23:00"),
              ("x1", "2025-03-10 09:00"), ("x2", "2025-03-11 09:00"),
              ("x2", "2025-03-12 09:00"), ("q1", "2025-03-11 09:00")]
    states = pa.table({"lead_id": [s[0] for s in starts],
                       "start_at": pa.array([datetime.fromisoformat(s[1]) for s in starts],
                                            pa.timestamp("us"))})
    clocks = SlaClocks(at, {}, states, pa.table({}), ())
    owners = pa.table({"lead_id": ["a1", "a2", "a3", "a4", "a5", "a6", "x1", "x2", "q1"],
                       "owner": ["r1"] * 8 + ["triage"]})
    reps = pa.table({"rep_id": ["r1", "r2"], "name": ["Rae", "Ray"],
                     "capacity_per_day": pa.array([1, None], pa.int64())})
    load = sla_load(clocks, owners, reps, working_days=5,
                    window=(datetime(2025, 3, 1), datetime(2025, 3, 16)))
    # 2025-03-01 is a Saturday: weeks of Mon 02-24, 03-03 and 03-10
    assert (load.weeks, load.first_week) == (3, datetime(2025, 2, 24).date())
    r1 = load.rep("r1")
    assert r1 is not None
    assert (r1.leads, r1.peak_week, r1.weeks_over, r1.capacity_per_week) == (8, 6, 1, 5.0)
    assert r1.mean_per_week == pytest.approx(8 / 3)
    queue = load.rep("triage")
    assert queue is not None and (queue.leads, queue.capacity_per_week, queue.weeks_over) \
        == (1, None, None)
    assert [r.owner for r in load.reps] == ["r1", "triage"]


def test_the_leads_that_change_are_an_independent_join_of_both_sides(
        company: Company) -> None:
    def states(store: Store) -> pd.DataFrame:
        st = store.derived("stages").to_pandas().set_index("lead_id")[["stage"]]
        sc = store.derived("scores").to_pandas().set_index("lead_id")[["tier"]]
        asg = store.derived("assignments").to_pandas().set_index("lead_id")[["owner"]]
        return st.join(sc).join(asg).astype(object).where(lambda d: d.notna(), "∅")

    with run_scenario(company.store, company.strict, company.as_of.at) as sc:
        found = lead_changes(company.store, sc.store, ALL_TIME)
        old, new = states(company.store), states(sc.store)
    both = old.add_suffix("_old").join(new.add_suffix("_new"))
    diff = {k: set(both.index[both[f"{k}_old"] != both[f"{k}_new"]])
            for k in ("stage", "tier", "owner")}
    changed = diff["stage"] | diff["tier"] | diff["owner"]
    assert found.leads == len(both) == 3000
    assert dict(found.changed) == {**{k: len(v) for k, v in diff.items()}, "any": len(changed)}
    assert set(found.table.column("lead_id").to_pylist()) == changed
    assert found.table.column("lead_id").to_pylist() == sorted(changed)
    assert diff["tier"] == set()  # the ICP did not change
    # only leads the new rule no longer hands off can change stage
    fit = company.store.derived("scores").to_pandas().set_index("lead_id").fit
    assert diff["stage"] and (fit[list(diff["stage"])] < NEW_FIT).all()
    row = next(r for r in found.table.to_pylist() if r["lead_id"] == sorted(diff["stage"])[0])
    lead = row["lead_id"]
    assert (row["old_stage"], row["new_stage"]) == (old.stage[lead], new.stage[lead])
    assert "stage" in row["changed"].split(",")
    stage_moves = sum(m.leads for m in found.moves["stage"])
    assert stage_moves == len(diff["stage"])


# -- the active contract against itself -------------------------------------------------------
def test_the_active_contract_against_itself_changes_nothing(company: Company) -> None:
    w = company.same_result
    assert dict(w.changes.changed) == {"stage": 0, "tier": 0, "owner": 0, "any": 0}
    assert w.changes.table.num_rows == 0
    for f in w.figures:
        assert f.old == f.new, f.key
    assert all(x.old == x.new for x in w.load)
    assert w.old.view == "derived" and w.new.view == "scenario"


def test_the_derived_side_reads_the_same_kpis_as_accord_kpis(company: Company) -> None:
    w = company.strict_result
    report = compute_kpis(company.store, company.contract, view="derived",
                          as_of=company.as_of.at)
    for f in w.figures:
        if f.kind == "kpi":
            row = report.row(f.key.removeprefix("kpi."))
            assert (f.old.value, f.old.numerator, f.old.denominator) == \
                (row.value, row.numerator, row.denominator), f.key


def test_a_period_narrows_every_figure_to_it(company: Company) -> None:
    w = whatif(company.store, company.contract, company.strict, period="2025-Q2",
               as_of=company.as_of)
    (created,), = company.sql("SELECT count(*) FROM leads WHERE created_at >= '2025-04-01' "
                              "AND created_at < '2025-07-01'")
    assert w.changes.leads == created and w.period.label == "2025-Q2"
    assert w.old.load.weeks == 14  # Mon 2025-03-31 .. Sun 2025-07-06
    q2 = w.figure("kpi.lead_to_mql").new.numerator
    assert q2 is not None and 0 < q2 < company.strict_result.figure("kpi.lead_to_mql").new.numerator


def test_contract_impact_with_the_active_contract_as_old_equals_whatif(
        company: Company) -> None:
    """OLD replayed as a scenario is the derived view: the same figures as `whatif`."""
    w = contract_impact(company.store, company.contract, company.strict, as_of=company.as_of)
    for f, g in zip(w.figures, company.strict_result.figures, strict=True):
        assert (f.key, f.old, f.new) == (g.key, g.old, g.new)
    assert w.old.view == w.new.view == "scenario"
    assert dict(w.changes.changed) == dict(company.strict_result.changes.changed)


def test_as_dict_carries_both_sides_and_the_changes(company: Company) -> None:
    d = company.strict_result.as_dict()
    assert d["old"]["view"] == "derived" and d["new"]["view"] == "scenario"
    assert d["old"]["contract"]["version"] == 1 and d["new"]["contract"]["version"] == 2
    assert len(d["changes"]["changed_leads"]) == company.strict_result.changes.changed["any"]
    assert "changed_leads" not in company.strict_result.as_dict(leads=False)["changes"]


def test_a_derived_view_of_other_facts_is_named_in_a_note(company: Company) -> None:
    """Replayed as of mid-year, the scenario sees the leads created by then; the derived
    view (run as of the newest fact) holds all 3,000: the note says to rerun."""
    mid = datetime(2025, 6, 30, 23, 59)
    (created,), = company.sql("SELECT count(*) FROM leads WHERE created_at <= ?", mid)
    w = whatif(company.store, company.contract, company.contract, as_of=mid)
    (note,) = [n for n in w.notes if "run `accord run`" in n]
    assert f"holds 3,000 leads but {created:,} were created by 2025-06-30 23:59" in note


def test_no_derived_view_is_refused_naming_accord_run(tmp_path: Path) -> None:
    store = open_store(tmp_path / "empty.duckdb")
    try:
        with pytest.raises(NotComputedError, match="accord run"):
            whatif(store, starter_contract(), strict_contract())
    finally:
        store.close()
