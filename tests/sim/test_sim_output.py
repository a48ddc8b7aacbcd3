"""The simulated facts: deterministic, in the canonical format, consistent with the contract."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
import yaml
from simulated_run import Run

from accord.contract.compiled import starter_contract
from accord.facts import FACT_TABLES
from accord.sim import simulate

STARTER = starter_contract()


def _digests(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_same_seed_and_arguments_give_byte_identical_files(tmp_path: Path, fmt: str) -> None:
    simulate(tmp_path / "a", leads=2000, seed=5, fmt=fmt)  # type: ignore[arg-type]
    simulate(tmp_path / "b", leads=2000, seed=5, fmt=fmt)  # type: ignore[arg-type]
    a, b = _digests(tmp_path / "a"), _digests(tmp_path / "b")
    assert len(a) == len(FACT_TABLES) + 1 + 3  # tables, effects_applied.yaml, _truth/*
    assert a == b


def test_another_seed_gives_other_leads(tmp_path: Path) -> None:
    simulate(tmp_path / "a", leads=500, seed=1)
    simulate(tmp_path / "b", leads=500, seed=2)
    assert _digests(tmp_path / "a")["leads.parquet"] != _digests(tmp_path / "b")["leads.parquet"]


def test_parquet_schemas_equal_the_fact_format(small_run: Run) -> None:
    for name, spec in FACT_TABLES.items():
        schema = pq.read_schema(small_run.path / f"{name}.parquet")
        assert schema.equals(spec.arrow_schema(), check_metadata=False), name


def test_csv_headers_follow_the_fact_format(tmp_path: Path) -> None:
    simulate(tmp_path, leads=300, seed=1, fmt="csv", effects=None)
    for name, spec in FACT_TABLES.items():
        table = pacsv.read_csv(tmp_path / f"{name}.csv")
        assert table.column_names == spec.column_names, name


def test_every_reference_points_at_an_existing_row(small_run: Run) -> None:
    orphans = {
        "touches": "select count(*) from touches where lead_id not in (select lead_id from leads)",
        "activities": "select count(*) from activities "
                      "where lead_id not in (select lead_id from leads) "
                      "or rep_id not in (select rep_id from reps)",
        "stage_events": "select count(*) from stage_events "
                        "where lead_id not in (select lead_id from leads)",
        "opportunities": "select count(*) from opportunities "
                         "where lead_id not in (select lead_id from leads) "
                         "or account_id not in (select account_id from accounts) "
                         "or owner_rep_id not in (select rep_id from reps where role = 'ae')",
        "event actors": "select count(*) from stage_events where actor <> "
                        "'marketing_automation' and actor not in (select rep_id from reps)",
        "lead accounts": "select count(*) from leads where account_id is not null "
                         "and account_id not in (select account_id from accounts)",
        "account owners": "select count(*) from accounts where owner_rep_id is not null "
                          "and owner_rep_id not in (select rep_id from reps)",
        "managers": "select count(*) from reps where manager_id is not null "
                    "and manager_id not in (select rep_id from reps where role = 'manager')",
        "campaigns": "select count(*) from leads where campaign_id is not null "
                     "and campaign_id not in (select campaign_id from campaigns)",
        "absences": "select count(*) from rep_availability "
                    "where rep_id not in (select rep_id from reps)",
    }
    assert {k: small_run.one(q) for k, q in orphans.items()} == dict.fromkeys(orphans, 0)


def test_ids_are_unique(small_run: Run) -> None:
    for name, spec in FACT_TABLES.items():
        dupes = small_run.one(
            f"select count(*) - count(distinct {spec.id_column}) from {name}")
        assert dupes == 0, name


def test_stage_events_follow_the_contracts_next_transitions(small_run: Run) -> None:
    rows = small_run.rows(
        "select lead_id, from_stage, to_stage, contract_version from stage_events "
        "order by lead_id, occurred_at, event_id")
    assert rows
    previous: dict[str, str] = {}
    for lead, frm, to, version in rows:
        assert version == 1
        assert frm == previous.get(lead, "Lead"), (lead, frm, to)
        assert STARTER.stages.allows(frm, to), (frm, to)
        previous[lead] = to


def test_every_stage_of_the_funnel_occurs(planted_run: Run) -> None:
    seen = {r[0] for r in planted_run.rows("select distinct to_stage from stage_events")}
    assert seen == {"MQL", "SAL", "SQL", "Opportunity", "Customer", "Nurture", "Disqualified"}
    recycled = planted_run.one(
        "select count(*) from stage_events where from_stage = 'Nurture' and to_stage = 'MQL'")
    assert recycled > 0


def test_rejections_carry_valid_reason_codes_and_other_moves_none(small_run: Run) -> None:
    rows = small_run.rows("select to_stage, reason from stage_events")
    for to, reason in rows:
        if to in ("Nurture", "Disqualified"):
            assert reason in STARTER.source.rejection_reasons
        else:
            assert reason is None


def test_actors_match_who_owns_each_move(small_run: Run) -> None:
    by_move = dict(small_run.rows(
        "select to_stage || '<-' || from_stage, list(distinct case "
        "when actor = 'marketing_automation' then actor else split_part(actor, '_', 1) end "
        "order by 1) from stage_events group by 1"))
    assert by_move["MQL<-Lead"] == ["marketing_automation"]
    assert by_move["SAL<-MQL"] == ["sdr"]
    assert by_move["SQL<-SAL"] == ["sdr"]
    assert by_move["Opportunity<-SQL"] == ["ae"]
    assert by_move["Customer<-Opportunity"] == ["ae"]


def test_touch_signals_are_the_contracts_signals(planted_run: Run) -> None:
    seen = {r[0] for r in planted_run.rows("select distinct signal from touches")}
    assert seen == set(STARTER.scoring.signal_names)


def test_touches_average_near_twenty_per_lead_and_are_skewed(planted_run: Run) -> None:
    mean, median = planted_run.rows(
        "select avg(n), median(n) from (select count(*) n from touches group by lead_id)")[0]
    assert 15 <= mean <= 25
    assert median < mean  # many leads with few touches, a long tail with many


def test_leads_come_from_at_least_six_channels_with_seasonality(planted_run: Run) -> None:
    assert planted_run.one("select count(distinct channel) from leads") >= 6
    by_month = dict(planted_run.rows(
        "select month(created_at), count(*) from leads group by 1"))
    assert by_month[10] > 1.3 * by_month[8]  # October's peak over August's lull


def test_mql_only_for_leads_fitting_the_icp(planted_run: Run) -> None:
    low_fit_mqls = planted_run.one(
        "select count(*) from stage_events e join truth_lead_latent t using (lead_id) "
        "where e.to_stage = 'MQL' and t.fit < 45")
    assert low_fit_mqls == 0


def test_opportunities_are_sized_and_paced_by_segment(planted_run: Run) -> None:
    rows = dict((seg, (amount, days)) for seg, amount, days in planted_run.rows(
        "select a.segment, median(o.amount), "
        "median(date_diff('day', o.created_at, o.closed_at)) "
        "from opportunities o join accounts a using (account_id) "
        "where o.status <> 'open' group by 1"))
    assert rows["smb"][0] < rows["mid_market"][0] < rows["enterprise"][0]
    assert rows["smb"][1] < rows["mid_market"][1] < rows["enterprise"][1]


def test_ground_truth_file_names_seed_arguments_and_effects(small_run: Run) -> None:
    meta = yaml.safe_load((small_run.path / "effects_applied.yaml").read_text())
    assert (meta["seed"], meta["leads"], meta["format"], meta["effects_mode"]) == (
        3, 2000, "parquet", "default")
    assert [e["kind"] for e in meta["effects"]] == [
        "segment_conversion", "channel_ceiling", "slow_rep", "campaign_conversion"]
    delays = meta["base_model"]["sdr_median_delay_business_minutes"]
    assert set(delays) == {f"sdr_{i:03d}" for i in range(1, len(delays) + 1)}


def test_progress_hook_reports_every_step(tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    simulate(tmp_path, leads=200, seed=1, progress=lambda s, d, t: calls.append((s, d, t)))
    assert [c[1] for c in calls] == list(range(1, len(calls) + 1))
    assert calls[-1][1] == calls[-1][2]


def test_nothing_happens_before_the_lead_arrives_or_after_the_period(small_run: Run) -> None:
    early = {
        table: small_run.one(
            f"select count(*) from {table} x join leads l using (lead_id) "
            f"where x.{column} < l.created_at")
        for table, column in (("touches", "occurred_at"), ("activities", "occurred_at"),
                              ("stage_events", "occurred_at"), ("opportunities", "created_at"))
    }
    assert early == dict.fromkeys(early, 0)
    outside = small_run.one(
        "select count(*) from (select occurred_at t from touches union all "
        "select occurred_at from activities union all select occurred_at from stage_events "
        "union all select created_at from leads) "
        "where t < timestamp '2025-01-01' or t >= timestamp '2026-01-01'")
    assert outside == 0
    assert small_run.one(
        "select count(*) from opportunities where closed_at <= created_at") == 0


def test_first_touch_of_each_lead_is_its_creation(small_run: Run) -> None:
    mismatched = small_run.one("""
        select count(*) from leads l join (
            select lead_id, min(occurred_at) first_at from touches group by 1) t using (lead_id)
        where t.first_at <> l.created_at""")
    assert mismatched == 0
