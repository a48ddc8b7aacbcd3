"""End to end: the advice for a 120-person, $8M ARR, two-product company reads sensibly.

Expected values, worked from the seeds:
- 120 employees is mid-market (51–200, seed 000); $8M is the $5M+ band (seed 001).
- Two products at mid-market → product-aligned sales (seed 000 sales table); watch-out:
  one customer, several reps — so existing customers route to their account owner.
- Marketing: 5% of 120 = 6 people (seed 000), $5M+ teams 8–15 (seed 001) → 6–15, inside
  the 10–15 a functional team handles (seed 003) → functional, PMM per product line.
- Combined: $8M ≥ $5M and 120 ≥ 50 → RevOps (seed 000); CRO not yet: $8M < $10M
  (seed 000) and 120 < 150 (seed 004).
- Hires: RevOps leader, then enablement (seed 000), then product marketing and marketing
  ops (seed 001, $5M+); the VP Marketing already exists.
- 16 reps, one region and one segment → still round-robin (15–30 band, seed 004).
- Budget on $14M: marketing 14M × 8.7% = $1.218M; lead gen × 36% = $438,480 (seed 000).
- Attribution: two-touch before 150 employees (seed 004).
- Next review 2026-11-23 + 3 months = 2027-02-23 (seed 000, quarterly).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from accord.org.advice import Advice
from accord.org.advisor import advise
from accord.org.profile import load_profile

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "org" / "profile.yaml"


@pytest.fixture(scope="module")
def advice() -> Advice:
    return advise(load_profile(EXAMPLE), date(2026, 11, 23))


def test_stage_is_mid_market_in_the_5m_plus_band(advice: Advice) -> None:
    assert (advice.stage.key, advice.stage.arr_band) == ("mid_market", "over_5m")


def test_sales_moves_from_functional_to_product_lines(advice: Advice) -> None:
    assert (advice.sales.model, advice.sales.current, advice.sales.changes_current) == (
        "product", "functional", True)
    assert "several reps" in advice.sales.watch_out.text


def test_marketing_stays_functional_with_product_marketing_per_line(advice: Advice) -> None:
    assert advice.marketing.model == "functional"
    assert not advice.marketing.changes_current
    assert any("product marketing per line" in c.text for c in advice.marketing.reasons)
    marketing = next(h for h in advice.headcount if h.function == "marketing")
    assert (marketing.low, marketing.high) == (6, 15)


def test_revops_now_and_cro_not_yet(advice: Advice) -> None:
    assert advice.combined.model == "revops"
    assert advice.revops.decision == "now"
    assert advice.cro.decision == "not_yet"
    assert advice.cro.trigger == "at $10M ARR or 150 employees"


def test_next_hires_in_order(advice: Advice) -> None:
    assert [h.role for h in advice.next_hires] == [
        "revops_leader", "enablement", "product_marketing", "marketing_ops"]


def test_routing_keeps_customers_with_their_owner_and_round_robins_new_leads(
    advice: Advice,
) -> None:
    assert [(r.applies_to, r.method) for r in advice.routing] == [
        ("Existing customers", "account_owner"),
        ("New leads, within each product team", "round_robin"),
    ]


def test_budget_in_dollars(advice: Advice) -> None:
    assert advice.budget.marketing_amount == pytest.approx(1_218_000)
    assert advice.budget.lead_gen_amount == pytest.approx(438_480)


def test_definitions_include_an_icp_per_product_and_two_touch_attribution(advice: Advice) -> None:
    texts = [c.text for c in advice.put_in_place_now]
    assert texts[0].startswith("One written ICP per product line")
    assert any(t.startswith("Two-touch attribution") for t in texts)
    assert any("named owner of the marketing→sales handoff" in t for t in texts)


def test_kpis_come_from_the_series_b_column(advice: Advice) -> None:
    demand = advice.kpis[0]
    assert (demand.function, demand.owner, demand.column) == (
        "Demand generation", "Demand generation marketer", "Series B+")
    assert demand.kpis == ("Pipeline value", "Pipeline velocity", "CAC", "LTV:CAC")


def test_next_review_in_three_months(advice: Advice) -> None:
    assert advice.review.next_review == date(2027, 2, 23)


def test_restructuring_checklist_is_filled_from_the_profile(advice: Advice) -> None:
    r = advice.restructuring
    assert r.needed
    assert [s.step for s in r.steps] == [
        "Define the measurable why", "Audit the team's skills", "Map people to the new roles",
        "Communicate once", "Set new cadences"]
    assert "functional to product" in r.steps[0].detail
    assert "pipeline velocity" in r.steps[0].detail  # RevOps' key metric (seed 000)
    assert "RevOps leader, Sales enablement" in r.steps[2].detail
