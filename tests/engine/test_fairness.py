"""Fairness report: shares per pool and period against weights and availability."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest
import yaml

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.schema import Contract
from accord.engine.fairness import RepShare, SkipFlow, fairness_report
from accord.engine.routing import Absence, Rep, Router, RoutingResult, route_leads
from accord.errors import EngineError
from accord.workspace import starter_contract_text

T0 = datetime(2026, 1, 5, 9, 0)


def with_routing(spec: dict[str, Any]) -> CompiledContract:
    """The starter contract with this routing (at creation) and a UTC calendar."""
    data = yaml.safe_load(starter_contract_text())
    data["routing"] = spec
    data["calendar"]["timezone"] = "UTC"
    return compile_contract(Contract.model_validate(data))


POOL = with_routing({"pools": {"sdr": {"role": "sdr"}},
                     "rules": [{"name": "inbound", "to": {"pool": "sdr"}}]})
REPS = [Rep("a", role="sdr"), Rep("b", role="sdr"), Rep("c", role="sdr")]
LEAVE = Absence("b", T0 + timedelta(hours=3), T0 + timedelta(hours=9), "b-leave")


def _route(leads: int, absences: list[Absence], start: datetime = T0,
           routing: CompiledContract = POOL) -> RoutingResult:
    table = pa.table({
        "lead_id": [f"l{i + 1:02d}" for i in range(leads)],
        "created_at": pa.array([start + timedelta(hours=i) for i in range(leads)],
                               pa.timestamp("us")),
    })
    router = Router(routing, REPS, absences)
    return router.route_batch(router.prepare(table))


def test_leave_shows_as_skips_and_the_expected_share_allows_for_it() -> None:
    # 15 leads, b away for l04-l09 (see test_routing): a gets l01 l04 l06 l08 l10 l13 = 6,
    # b gets l02 l11 l14 = 3, c gets l03 l05 l07 l09 l12 l15 = 6; b's turn passed 3 times,
    # each time to c. Turns: a 6, b 3 + 3 = 6, c 6 (18 turns, 6 each).
    # Available share: a 1, b 3/6, c 1 → weights x availability 1 : 0.5 : 1 (sum 2.5)
    # → expected a 15/2.5 = 6, b 3, c 6; deviation 0 for all.
    result = _route(15, [LEAVE])
    report = fairness_report(result.assignments, result.skips, result.members)
    jan = date(2026, 1, 1)
    third = round(1 / 3, 6)
    assert report.shares == (
        RepShare("sdr", jan, "a", 1.0, third, 6, 0.4, 6, 0, 0, 1.0, 6.0, 0.0),
        RepShare("sdr", jan, "b", 1.0, third, 3, 0.2, 6, 3, 0, 0.5, 3.0, 0.0),
        RepShare("sdr", jan, "c", 1.0, third, 6, 0.4, 6, 0, 0, 1.0, 6.0, 0.0),
    )
    assert report.skips == (SkipFlow("inbound", "sdr", jan, "b", "out_of_office", "c", 3),)


def test_catch_up_shows_as_assigned_above_the_availability_share() -> None:
    # With catch_up_after_leave b takes l10 l11 l12 as catch-up, then turns a b c:
    # a l01 l04 l06 l08 l13 = 5, b l02 l10 l11 l12 l14 = 5, c l03 l05 l07 l09 l15 = 5.
    # On-turn leads: a 5, b 2, c 5; b passed 3 → turns a 5, b 5, c 5; availability
    # 1 : 2/5 : 1 (sum 2.4) → expected b = 15 x 0.4 / 2.4 = 2.5, deviation +2.5 (catch-up).
    catch_up = with_routing({
        "pools": {"sdr": {"role": "sdr", "catch_up_after_leave": True}},
        "rules": [{"name": "inbound", "to": {"pool": "sdr"}}]})
    result = _route(15, [LEAVE], routing=catch_up)
    report = fairness_report(result.assignments, result.skips, result.members)
    b = next(s for s in report.shares if s.rep_id == "b")
    assert (b.assigned, b.turns, b.available_share, b.expected, b.deviation) == (
        5, 5, 0.4, 2.5, 2.5)


def test_periods_split_by_month_or_iso_week() -> None:
    # leads every hour from Sat 2026-01-31 22:00: l01 l02 on Jan 31 (a, b), l03-l06 in
    # February (c a b c). ISO weeks: Jan 31 is in the week of Mon Jan 26; Feb 1 (Sunday)
    # too; l03-l06 fall on Feb 1 00:00-03:00 → all six in the week of Jan 26.
    result = _route(6, [], start=datetime(2026, 1, 31, 22, 0))
    monthly = fairness_report(result.assignments, result.skips, result.members)
    assert [(s.period, s.rep_id, s.assigned) for s in monthly.shares] == [
        (date(2026, 1, 1), "a", 1), (date(2026, 1, 1), "b", 1), (date(2026, 1, 1), "c", 0),
        (date(2026, 2, 1), "a", 1), (date(2026, 2, 1), "b", 1), (date(2026, 2, 1), "c", 2)]
    weekly = fairness_report(result.assignments, result.skips, result.members, period="week")
    assert [(s.period, s.rep_id, s.assigned) for s in weekly.shares] == [
        (date(2026, 1, 26), "a", 2), (date(2026, 1, 26), "b", 2), (date(2026, 1, 26), "c", 2)]
    assert weekly.to_dict()["period"] == "week"


def test_account_owner_skips_are_reported_with_where_the_leads_went() -> None:
    # the owner is away, so the owned lead falls through to the SDR pool and takes turn a
    routing = with_routing({
        "pools": {"sdr": {"role": "sdr"}},
        "rules": [{"name": "abm", "when": "account.owner_rep_id != ''", "to": "account_owner"},
                  {"name": "inbound", "to": {"pool": "sdr"}}]})
    leads = pa.table({"lead_id": ["x1"], "account_id": ["k1"],
                      "created_at": pa.array([T0], pa.timestamp("us"))})
    accounts = pa.table({"account_id": ["k1"], "owner_rep_id": ["own"]})
    reps = pa.table({"rep_id": ["a", "b", "c", "own"], "role": ["sdr"] * 3 + ["ae"]})
    away = pa.table({"absence_id": ["o1"], "rep_id": ["own"],
                     "starts_at": pa.array([T0 - timedelta(days=1)], pa.timestamp("us")),
                     "ends_at": pa.array([T0 + timedelta(days=1)], pa.timestamp("us"))})
    result = route_leads(leads, accounts, reps, away, routing)
    report = fairness_report(result.assignments, result.skips, result.members)
    assert report.skips == (SkipFlow("abm", None, date(2026, 1, 1), "own", "out_of_office",
                                     "a", 1),)


def test_unknown_period_is_refused() -> None:
    result = _route(1, [])
    with pytest.raises(EngineError, match="period must be month or week"):
        fairness_report(result.assignments, result.skips, result.members,
                        period="year")  # type: ignore[arg-type]


def test_batch_and_report_agree_on_totals() -> None:
    leads = pa.table({"lead_id": [f"l{i:03d}" for i in range(90)],
                      "created_at": pa.array([T0 + timedelta(minutes=7 * i) for i in range(90)],
                                             pa.timestamp("us"))})
    reps = pa.table({"rep_id": ["a", "b", "c"], "role": ["sdr"] * 3,
                     "capacity_per_day": pa.array([10, None, None], pa.int64())})
    result = route_leads(leads, None, reps, None, POOL)
    report = fairness_report(result.assignments, result.skips, result.members)
    assert sum(s.assigned for s in report.shares) == 90
    a = next(s for s in report.shares if s.rep_id == "a")
    # a is full after 10 leads; its remaining turns pass to b: 90 leads → a 10
    assert a.assigned == 10 and a.skipped_at_capacity == a.turns - 10
