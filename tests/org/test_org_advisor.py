"""The advisor's decisions, one behaviour per test, expected values worked from the seeds."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from accord.org.advisor import (
    add_months,
    advise,
    budget_guidance,
    classify_stage,
    cro_timing,
    kpi_column,
    plan_headcount,
    plan_hires,
    recommend_combined_model,
    recommend_marketing_model,
    recommend_routing,
    recommend_sales_model,
    revops_timing,
)
from accord.org.catalogue import load_catalogue
from accord.org.profile import CompanyProfile

CAT = load_catalogue()
TODAY = date(2026, 11, 23)


def profile(**kw: Any) -> CompanyProfile:
    return CompanyProfile.model_validate(kw)


def headcount(p: CompanyProfile, function: str) -> tuple[int | None, int | None]:
    h = next(h for h in plan_headcount(p, CAT) if h.function == function)
    return h.low, h.high


# ---------------------------------------------------------------- stage boundaries


@pytest.mark.parametrize(("employees", "stage", "sales", "marketing_team"), [
    (9, "startup", "founder_led", (1, 1)),      # 5% of 9 = 0.45 → 0, floor 1; startup team 1
    (10, "startup", "founder_led", (1, 1)),     # 5% of 10 = 0.5 → 1
    (11, "growth", "functional", (1, 5)),       # 5% of 11 = 0.55 → 1; growth team 2–5
    (50, "growth", "functional", (2, 5)),       # 5% of 50 = 2.5 → 3; team 2–5
    (51, "mid_market", "functional", (3, 3)),   # 5% of 51 = 2.55 → 3; no stage team figure
    (200, "mid_market", "functional", (10, 10)),  # 5% of 200 = 10
    (201, "enterprise", "functional", (10, 28)),  # 5% → 10.05 → 10; 14% → 28.14 → 28
])
def test_each_stage_boundary_gets_its_stage_model_and_team(
    employees: int, stage: str, sales: str, marketing_team: tuple[int, int]
) -> None:
    p = profile(employees=employees)
    assert classify_stage(p, CAT).key == stage
    assert recommend_sales_model(p, CAT).model == sales
    assert headcount(p, "marketing") == marketing_team


@pytest.mark.parametrize(("arr", "band", "team"), [
    # 80 employees: 5% = 4; the ARR band's team size widens the range.
    (999_999, "under_1m", (1, 4)),
    (1_000_000, "1m_to_5m", (3, 5)),
    (4_999_999, "1m_to_5m", (3, 5)),
    (5_000_000, "over_5m", (4, 15)),
    (10_000_000, "over_5m", (4, 15)),
])
def test_arr_boundaries_pick_the_band_and_its_marketing_team(
    arr: float, band: str, team: tuple[int, int]
) -> None:
    p = profile(employees=80, arr=arr)
    assert classify_stage(p, CAT).arr_band == band
    assert headcount(p, "marketing") == team


def test_enterprise_profiles_still_report_their_arr_band() -> None:
    assert classify_stage(profile(employees=201, arr=10e6), CAT).arr_band == "over_5m"


# ---------------------------------------------------------------- models


def test_mid_market_sales_model_follows_what_varies_most() -> None:
    base = {"employees": 120}
    assert recommend_sales_model(profile(**base, products=["a", "b"]), CAT).model == "product"
    assert recommend_sales_model(profile(**base, segments=["smb", "ent"]), CAT).model == "segment"
    assert recommend_sales_model(
        profile(**base, regions=["na", "emea"], reps=15), CAT).model == "geographic"
    assert recommend_sales_model(
        profile(**base, regions=["na", "emea"], reps=14), CAT).model == "functional"
    assert recommend_sales_model(profile(**base, motions=["outbound"]), CAT).model == \
        "assembly_line"
    assert recommend_sales_model(profile(**base, motions=["inbound"]), CAT).model == "functional"


def test_recommendation_flags_a_change_from_the_current_model() -> None:
    p = profile(employees=120, products=2, current={"sales_model": "functional"})
    r = recommend_sales_model(p, CAT)
    assert (r.model, r.current, r.changes_current) == ("product", "functional", True)
    assert r.watch_out.sources[0].seed == "000"


def test_marketing_stays_functional_through_mid_market_and_turns_hybrid_at_enterprise() -> None:
    assert recommend_marketing_model(profile(employees=180, arr=20e6), CAT).model == "functional"
    assert recommend_marketing_model(profile(employees=450), CAT).model == "hybrid"


def test_abm_across_segments_gets_segment_marketing() -> None:
    p = profile(employees=150, motions=["abm"], segments=["mid", "ent"])
    assert recommend_marketing_model(p, CAT).model == "segment"


def test_enterprise_portfolio_in_several_regions_gets_a_matrix() -> None:
    p = profile(employees=600, products=3, regions=["na", "emea"])
    assert recommend_marketing_model(p, CAT).model == "matrix"


def test_no_combined_model_under_5m_arr_even_at_mid_market_size() -> None:
    p = profile(employees=120, arr=4_900_000)
    r = recommend_combined_model(p, CAT, revops_timing(p, CAT), cro_timing(p, CAT))
    assert r.model == "none"
    assert r.reasons[0].sources[0].seed == "000"


def test_enterprise_gets_a_cro_with_pods_when_it_has_several_products() -> None:
    p = profile(employees=300, arr=30e6, funding_stage="series_c", products=2)
    r = recommend_combined_model(p, CAT, revops_timing(p, CAT), cro_timing(p, CAT))
    assert r.model == "cro"
    assert any("GTM pods" in c.text for c in r.reasons)


def test_enterprise_before_series_b_gets_revops_not_a_cro() -> None:
    p = profile(employees=300, arr=30e6, funding_stage="series_a")
    r = recommend_combined_model(p, CAT, revops_timing(p, CAT), cro_timing(p, CAT))
    assert r.model == "revops"


def test_mid_market_inside_the_cro_window_plans_a_cro_but_runs_revops() -> None:
    p = profile(employees=160, arr=8e6)
    assert cro_timing(p, CAT).decision == "plan"
    r = recommend_combined_model(p, CAT, revops_timing(p, CAT), cro_timing(p, CAT))
    assert r.model == "revops"


# ---------------------------------------------------------------- RevOps and CRO


@pytest.mark.parametrize(("kw", "decision"), [
    ({"employees": 49}, "not_yet"),                      # under 50 (seed 000)
    ({"employees": 50}, "now"),                          # 50+ (seed 000)
    ({"employees": 120, "crm_users": 2}, "not_yet"),     # fewer than 3 CRM users (seed 000)
    ({"employees": 120, "current": {"roles": ["revops_leader"]}}, "in_place"),
])
def test_revops_timing(kw: dict[str, Any], decision: str) -> None:
    assert revops_timing(profile(**kw), CAT).decision == decision


def test_revops_below_150_offers_fractional_unless_abm_runs() -> None:
    inbound = revops_timing(profile(employees=120), CAT)
    assert inbound.trigger == "full-time by 150 employees"
    assert any(s.seed == "004" and "80%" in s.figure for c in inbound.reasons for s in c.sources)
    abm = revops_timing(profile(employees=120, motions=["abm"]), CAT)
    assert any("ABM" in c.text for c in abm.reasons)


@pytest.mark.parametrize(("kw", "decision"), [
    ({"employees": 120, "arr": 9_999_999}, "not_yet"),
    ({"employees": 120, "arr": 10_000_000}, "now"),       # $10M+ (seed 000)
    ({"employees": 149, "arr": 8e6}, "not_yet"),
    ({"employees": 150, "arr": 8e6}, "plan"),              # 150–400 window (seed 004)
    ({"employees": 400}, "now"),
    ({"employees": 300, "arr": 20e6, "funding_stage": "series_a"}, "not_yet"),  # pre-Series B
])
def test_cro_timing(kw: dict[str, Any], decision: str) -> None:
    assert cro_timing(profile(**kw), CAT).decision == decision


def test_cro_due_without_revops_says_to_put_revops_underneath_first() -> None:
    t = cro_timing(profile(employees=120, arr=12e6), CAT)
    assert any("RevOps in place first" in c.text for c in t.reasons)


# ---------------------------------------------------------------- headcount and budget


def test_headcount_rounds_half_up() -> None:
    # 5% of 130 = 6.5 → 7
    assert headcount(profile(employees=130), "marketing") == (7, 7)


def test_enterprise_headcount_uses_the_mckinsey_shares() -> None:
    p = profile(employees=450)
    assert headcount(p, "marketing") == (23, 63)  # 22.5 → 23; 63.0
    assert headcount(p, "sales") == (86, 86)      # 19% of 450 = 85.5 → 86
    assert headcount(p, "revops") == (1, 5)       # leader + 4 specialist areas (seed 000)


def test_sales_headcount_has_no_figure_below_enterprise() -> None:
    assert headcount(profile(employees=120), "sales") == (None, None)


def test_budget_amounts_from_the_seed_shares() -> None:
    g = budget_guidance(profile(employees=120, total_budget="14M"), CAT)
    assert g.marketing_amount == pytest.approx(1_218_000)   # 14M × 8.7%
    assert g.lead_gen_amount == pytest.approx(438_480)      # 1.218M × 36%
    assert g.lead_gen_share_of_budget == pytest.approx(0.03132)  # 8.7% × 36%
    assert (g.brand_share_low, g.brand_share_high) == (0.4, 0.6)


# ---------------------------------------------------------------- hires and routing


def test_growth_hires_follow_seed_000_then_seed_001_past_1m() -> None:
    small = plan_hires(profile(employees=30, arr=600_000), CAT, cro_timing(
        profile(employees=30), CAT))
    assert [h.role for h in small] == ["demand_gen", "sdr"]
    bigger = plan_hires(profile(employees=30, arr=2e6), CAT, cro_timing(
        profile(employees=30), CAT))
    assert [h.role for h in bigger] == ["demand_gen", "sdr", "marketing_leader", "content"]


def test_hires_skip_roles_already_filled_and_renumber() -> None:
    p = profile(employees=120, arr=8e6, current={"roles": ["revops_leader", "marketing_leader"]})
    hires = plan_hires(p, CAT, cro_timing(p, CAT))
    assert [(h.order, h.role) for h in hires] == [
        (1, "enablement"), (2, "product_marketing"), (3, "marketing_ops")]


@pytest.mark.parametrize(("kw", "methods"), [
    ({"reps": 14}, ["round_robin"]),
    ({"reps": 15}, ["round_robin"]),                                 # one region and segment
    ({"reps": 15, "regions": ["na", "emea"]}, ["territory"]),
    ({"reps": 30, "segments": ["smb", "ent"]}, ["territory"]),
    ({"reps": 31}, ["territory"]),
    ({"reps": 4, "motions": ["abm"]}, ["account_owner", "round_robin"]),  # ABM at any size
])
def test_routing_thresholds_from_seed_004(kw: dict[str, Any], methods: list[str]) -> None:
    rules = recommend_routing(profile(employees=60, **kw), CAT, "functional")
    assert [r.method for r in rules] == methods


# ---------------------------------------------------------------- KPIs and review


@pytest.mark.parametrize(("kw", "column"), [
    ({"employees": 40, "arr": 4_999_999}, "Seed/Series A"),
    ({"employees": 40, "arr": 5_000_000}, "Series B+"),
    ({"employees": 40, "funding_stage": "series_b"}, "Series B+"),
    ({"employees": 40}, "Seed/Series A"),
    ({"employees": 120}, "Series B+"),
])
def test_kpi_column_follows_arr_then_funding_then_size(kw: dict[str, Any], column: str) -> None:
    assert kpi_column(profile(**kw), CAT) == column


def test_startup_kpis_are_held_by_the_generalist() -> None:
    a = advise(profile(employees=6, arr=300_000), TODAY)
    assert [(k.function, k.owner, k.kpis) for k in a.kpis] == [
        ("Demand generation", "Revenue generalist", ("MQLs", "SQLs", "Cost per lead")),
        ("Content marketing", "Revenue generalist",
         ("Organic traffic", "Blog subscribers", "Social engagement")),
    ]


def test_review_dates_are_quarterly_yearly_and_two_to_three_years() -> None:
    r = advise(profile(employees=30), date(2026, 11, 30)).review
    assert r.next_review == date(2027, 2, 28)    # Nov 30 + 3 months, clamped to Feb's end
    assert r.annual_review == date(2027, 11, 30)
    assert (r.redesign_from, r.redesign_by) == (date(2028, 11, 30), date(2029, 11, 30))
    assert any("51 employees" in c.text for c in r.points)


def test_add_months_clamps_to_the_end_of_the_month() -> None:
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)
    assert add_months(date(2028, 1, 31), 1) == date(2028, 2, 29)
    assert add_months(date(2026, 10, 15), 3) == date(2027, 1, 15)


def test_every_line_of_advice_cites_a_seed() -> None:
    a = advise(profile(employees=450, arr=60e6, products=2, regions=["na", "emea"],
                       motions=["abm"], reps=80), TODAY)
    data = a.model_dump()
    cited: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "text" in node and "sources" in node:
                cited.append(node)
            for v in node.values():
                walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    walk(data)
    assert len(cited) > 30
    assert all(c["sources"] and all(s["seed"] in {"000", "001", "002", "003", "004"}
                                    for s in c["sources"]) for c in cited)
