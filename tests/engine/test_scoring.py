"""Fit and engagement scores: hand-worked values, live and on every store backend.

Contract used throughout (a cut-down starter contract):

    icps.core:  industry in [software, fintech] 30 · employees between [50, 1000] 30 ·
                country in [US, CA, GB] 20 · title contains_any [vp, head] 20
                tiers A 70, B 45, C 25
    icps.smb:   employees between [1, 49] 40 · industry in [software] 40   tiers A 60
    signals:    demo_request hand_raise 50 (no decay) · pricing_page 15, half-life 14 d ·
                whitepaper 5, half-life 30 d
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.schema import Contract
from accord.engine.lead_frame import lead_frame, profile_row
from accord.engine.lifecycle import Lifecycle
from accord.engine.scoring import (
    condition_holds,
    engagement_as_of,
    fit_scores,
)
from accord.facts import FACT_TABLES
from accord.store import Store

T = datetime(2025, 3, 1, 12, 0, 0)
DAY = timedelta(days=1)


def make_contract(**overrides: Any) -> CompiledContract:
    data: dict[str, Any] = {
        "version": 3,
        "effective": "2025-01-01",
        "owners": {"marketing": "VP Marketing", "sales": "VP Sales"},
        "icps": {
            "core": {
                "criteria": {
                    "industry": {"in": ["software", "fintech"], "points": 30},
                    "employees": {"between": [50, 1000], "points": 30},
                    "country": {"in": ["US", "CA", "GB"], "points": 20},
                    "title": {"contains_any": ["vp", "head"], "points": 20},
                },
                "tiers": {"A": 70, "B": 45, "C": 25},
            },
            "smb": {
                "criteria": {
                    "employees": {"between": [1, 49], "points": 40},
                    "industry": {"in": ["software"], "points": 40},
                },
                "tiers": {"A": 60},
            },
        },
        "signals": {
            "demo_request": {"intent": "hand_raise", "points": 50},
            "pricing_page": {"intent": "high", "points": 15, "half_life_days": 14},
            "whitepaper": {"intent": "low", "points": 5, "half_life_days": 30},
        },
        "stages": {
            "Lead": {"owner": "marketing", "next": ["MQL"]},
            "MQL": {"owner": "marketing", "entry": "fit >= 45 and engagement >= 40"},
        },
        "rejection_reasons": ["bad_fit"],
    }
    data.update(overrides)
    return compile_contract(Contract.model_validate(data))


CONTRACT = make_contract()
MODEL = CONTRACT.scoring


def lead(lead_id: str, *, account: Mapping[str, Any] | None = None,
         **fields: Any) -> dict[str, Any]:
    """A profile row (live) for a lead with the given fields and account."""
    base = {"lead_id": lead_id, "created_at": T - 30 * DAY, "channel": "web",
            "email": f"{lead_id}@example.com"}
    base.update(fields)
    return profile_row(base, account)


# --- conditions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("op", "operand", "value", "expected"), [
    ("in", ("software", "fintech"), "software", True),
    ("in", ("software",), "Software", False),  # `in` is exact
    ("in", (50, 100), 50, True),
    ("in", ("50",), 50, False),  # text never equals a number
    ("not_in", ("student",), "buyer", True),
    ("not_in", ("student",), None, False),  # a missing value meets nothing
    ("between", (50, 1000), 50, True),  # both ends included
    ("between", (50, 1000), 1000, True),
    ("between", (50, 1000), 49, False),
    ("between", (50, 1000), 1001, False),
    ("between", (50, 1000), "500", False),  # numeric condition on text
    ("gte", 10.0, 10, True),
    ("lte", 10.0, 10.5, False),
    ("eq", True, True, True),
    ("eq", True, 1, False),  # booleans compare with booleans only
    ("contains_any", ("vp", "head"), "Head of Growth", True),  # case-insensitive
    ("contains_any", ("vp",), "Marketing Manager", False),
    ("contains_any", ("vp",), 7, False),
])
def test_condition_holds(op: Any, operand: Any, value: Any, expected: bool) -> None:
    assert condition_holds(op, operand, value) is expected


# --- fit (live) -----------------------------------------------------------------------------


def test_fit_sums_points_of_met_criteria_and_picks_tier() -> None:
    # software 30 + 200 employees 30 + US 20 + "VP Marketing" 20 = 100 -> A (>= 70)
    row = lead("L1", title="VP Marketing", country="US",
               account={"industry": "software", "employees": 200})
    scores = fit_scores(MODEL, row)
    assert (scores.fit, scores.tier, scores.icp) == (100, "A", "core")
    core = scores.by_icp[0]
    assert [(c.field, c.met, c.points) for c in core.criteria] == [
        ("industry", True, 30), ("employees", True, 30), ("country", True, 20),
        ("title", True, 20)]


def test_account_field_wins_over_lead_field() -> None:
    # lead says US (20) but the account says BR: the account wins -> country 0.
    # fintech 30 + 5000 employees 0 + BR 0 + "Director" 0 = 30 -> C (>= 25)
    row = lead("L2", title="Director", country="US",
               account={"industry": "fintech", "employees": 5000, "country": "BR"})
    scores = fit_scores(MODEL, row)
    assert (scores.fit, scores.tier) == (30, "C")
    country = scores.by_icp[0].criteria[2]
    assert (country.value, country.met) == ("BR", False)


def test_lead_field_used_when_account_has_none() -> None:
    # no account: industry/employees missing (0 + 0), lead country GB 20, title None 0
    # = 20 -> below C (25): no tier
    row = lead("L3", country="GB")
    scores = fit_scores(MODEL, row)
    assert (scores.fit, scores.tier) == (20, None)


def test_best_icp_is_the_highest_fit() -> None:
    # core: software 30 + 20 employees 0 + US 20 + no title 0 = 50 (B)
    # smb:  20 employees 40 + software 40 = 80 (A)  -> best smb, tier A
    row = lead("L4", country="US", account={"industry": "software", "employees": 20})
    scores = fit_scores(MODEL, row)
    assert (scores.fit, scores.tier, scores.icp) == (80, "A", "smb")
    assert [(f.icp, f.fit, f.tier) for f in scores.by_icp] == [("core", 50, "B"),
                                                                ("smb", 80, "A")]


def test_ties_go_to_the_icp_listed_first() -> None:
    contract = make_contract(icps={
        "first": {"criteria": {"country": {"in": ["US"], "points": 10}}, "tiers": {"A": 10}},
        "second": {"criteria": {"country": {"in": ["US"], "points": 10}},
                   "tiers": {"X": 5}},
    })
    scores = fit_scores(contract.scoring, lead("L5", country="US"))
    # both ICPs score US 10: the first listed wins, with its own tier
    assert (scores.fit, scores.icp, scores.tier) == (10, "first", "A")


def test_tier_thresholds_are_minimums() -> None:
    contract = make_contract(icps={"core": {
        "criteria": {"country": {"in": ["US"], "points": 45}},
        "tiers": {"A": 70, "B": 45}}})
    model = contract.scoring
    assert fit_scores(model, lead("L6", country="US")).tier == "B"  # 45 >= 45
    assert fit_scores(model, lead("L7", country="FR")).tier is None  # 0 < 45


def test_no_icps_scores_zero_fit() -> None:
    model = make_contract(icps={}).scoring
    scores = fit_scores(model, lead("L8", country="US"))
    assert (scores.fit, scores.tier, scores.icp, scores.by_icp) == (0, None, None, ())


# --- engagement (live) ----------------------------------------------------------------------


def test_engagement_halves_every_half_life() -> None:
    # pricing_page 15 at T-14d -> 7.5; at T-28d -> 3.75; whitepaper 5 at T -> 5
    # total 7.5 + 3.75 + 5 = 16.25
    touches = [(T - 14 * DAY, "pricing_page"), (T - 28 * DAY, "pricing_page"),
               (T, "whitepaper")]
    result = engagement_as_of(MODEL, touches, T)
    assert result.engagement == pytest.approx(16.25, abs=1e-9)
    pricing = result.signals[0]  # signals shown only, in contract order
    assert (pricing.signal, pricing.touches, pricing.counted, pricing.contribution) == (
        "pricing_page", 2, 2, 11.25)


def test_hand_raise_counts_once_and_does_not_decay() -> None:
    # two demo requests, 100 days apart: 50 once, no decay -> 50
    touches = [(T - 100 * DAY, "demo_request"), (T - DAY, "demo_request")]
    result = engagement_as_of(MODEL, touches, T)
    assert result.engagement == 50.0
    assert (result.signals[0].touches, result.signals[0].counted) == (2, 1)


def test_hand_raise_with_half_life_decays_from_its_first_touch() -> None:
    contract = make_contract(signals={
        "demo_request": {"intent": "hand_raise", "points": 50, "half_life_days": 10}})
    model = contract.scoring
    # first at T-10d (50 * 0.5 = 25); the second at T-5d is not counted again -> 25
    touches = [(T - 10 * DAY, "demo_request"), (T - 5 * DAY, "demo_request")]
    assert engagement_as_of(model, touches, T).engagement == 25.0


def test_touches_after_as_of_and_unknown_signals_do_not_count() -> None:
    # whitepaper at T+1d is in the future of T; `podcast` is not a contract signal
    touches = [(T + DAY, "whitepaper"), (T, "podcast")]
    result = engagement_as_of(MODEL, touches, T)
    assert result.engagement == 0.0
    assert result.unknown_signals == ("podcast",)


# --- batch, on every backend ----------------------------------------------------------------


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    full = [{c: r.get(c) for c in schema.names} for r in rows]
    return pa.Table.from_pylist(full, schema=schema)


def lead_fact(lead_id: str, **fields: Any) -> dict[str, Any]:
    row = {"lead_id": lead_id, "email": f"{lead_id.lower()}@example.com", "channel": "web",
           "created_at": T - 60 * DAY}
    row.update(fields)
    return row


@pytest.fixture
def scored_store(store: Store) -> Store:
    store.write_facts({
        "accounts": facts("accounts", [
            {"account_id": "A1", "name": "Acme", "industry": "software", "employees": 200},
            {"account_id": "A2", "name": "Beta", "industry": "fintech", "employees": 5000,
             "country": "BR"},
            {"account_id": "A3", "name": "Tiny", "industry": "software", "employees": 20},
        ]),
        "leads": facts("leads", [
            lead_fact("L1", title="VP Marketing", country="US", account_id="A1"),
            lead_fact("L2", title="Director", country="US", account_id="A2"),
            lead_fact("L3", country="GB"),
            lead_fact("L4", country="US", account_id="A3"),
            lead_fact("L9", country="US", created_at=T + DAY),  # created after T
        ]),
        "touches": facts("touches", [
            {"touch_id": "T1", "lead_id": "L1", "signal": "pricing_page",
             "occurred_at": T - 14 * DAY},
            {"touch_id": "T2", "lead_id": "L1", "signal": "pricing_page",
             "occurred_at": T - 28 * DAY},
            {"touch_id": "T3", "lead_id": "L1", "signal": "whitepaper", "occurred_at": T},
            {"touch_id": "T4", "lead_id": "L2", "signal": "demo_request",
             "occurred_at": T - 100 * DAY},
            {"touch_id": "T5", "lead_id": "L2", "signal": "demo_request",
             "occurred_at": T - DAY},
            {"touch_id": "T6", "lead_id": "L3", "signal": "whitepaper",
             "occurred_at": T + DAY},
            {"touch_id": "T7", "lead_id": "L3", "signal": "podcast", "occurred_at": T},
        ]),
    })
    return store


def test_batch_scores_match_the_hand_worked_values(scored_store: Store) -> None:
    frame = lead_frame(scored_store, MODEL, Lifecycle.from_contract(CONTRACT), T,
                       accounts="known")
    rows = {r["lead_id"]: r for r in frame.to_pyarrow().to_pylist()}
    assert sorted(rows) == ["L1", "L2", "L3", "L4"]  # L9 is created after T
    expected = {
        # lead: (fit_core, fit_smb, fit, tier, icp, engagement)
        "L1": (100, 40, 100, "A", "core", 16.25),  # smb: software 40; 7.5 + 3.75 + 5
        "L2": (30, 0, 30, "C", "core", 50.0),  # account country BR wins; demo once
        "L3": (20, 0, 20, None, "core", 0.0),  # whitepaper after T; podcast unknown
        "L4": (50, 80, 80, "A", "smb", 0.0),
    }
    got = {k: (r["fit_core"], r["fit_smb"], r["fit"], r["tier"], r["icp"],
               r["engagement"]) for k, r in rows.items()}
    for lead_id, want in expected.items():
        assert got[lead_id][:5] == want[:5], lead_id
        assert got[lead_id][5] == pytest.approx(want[5], abs=1e-9), lead_id
    # signal flags and counts as of T
    assert (rows["L2"]["signal_demo_request"], rows["L2"]["signal_count_demo_request"]) \
        == (True, 2)
    assert (rows["L3"]["signal_whitepaper"], rows["L3"]["signal_count_whitepaper"]) \
        == (False, 0)
    assert rows["L1"]["account_industry"] == "software"
    assert rows["L1"]["industry"] == "software"  # lead `industry` reads the account


def test_batch_fit_agrees_with_live_fit(scored_store: Store) -> None:
    frame = lead_frame(scored_store, MODEL, Lifecycle.from_contract(CONTRACT), T,
                       accounts="known")
    for row in frame.to_pyarrow().to_pylist():
        live = fit_scores(MODEL, row)
        assert (live.fit, live.tier, live.icp) == (row["fit"], row["tier"], row["icp"])
