"""The catalogue holds the seeds' models, stages and benchmarks as data."""

from __future__ import annotations

import pytest

from accord.org.catalogue import load_catalogue

CAT = load_catalogue()


def test_catalogue_lists_every_model_named_in_domain_section_5() -> None:
    assert set(CAT.sales_models) == {
        "founder_led", "functional", "geographic", "product", "segment", "assembly_line"}
    assert set(CAT.marketing_models) == {
        "functional", "product", "segment", "customer_stage", "matrix", "hybrid"}
    assert set(CAT.combined_models) == {"cro", "revops", "gtm_pods"}


def test_every_model_has_a_best_fit_a_watch_out_and_a_seed() -> None:
    models = [*CAT.sales_models.values(), *CAT.marketing_models.values()]
    for m in models:
        assert m.best_for and m.watch_out and m.source.seed in {"000", "003"}
    for c in CAT.combined_models.values():
        assert c.best_fit and c.skip_if and c.watch_out and c.source.seed == "000"


def test_combined_models_carry_seed_000_reporting_lines_and_metrics() -> None:
    # Seed 000's combined-models table.
    assert CAT.combined_models["cro"].reports_to == "CEO/Board"
    assert CAT.combined_models["revops"].reports_to == "CRO or COO"
    assert CAT.combined_models["revops"].key_metric == "Pipeline velocity"
    assert CAT.combined_models["gtm_pods"].key_metric == "Activation + expansion"


@pytest.mark.parametrize(("employees", "stage"), [
    (1, "startup"), (9, "startup"), (10, "startup"), (11, "growth"), (50, "growth"),
    (51, "mid_market"), (200, "mid_market"), (201, "enterprise"), (5000, "enterprise"),
])
def test_stage_bands_are_inclusive_1_10_11_50_51_200_and_201_up(employees: int,
                                                                 stage: str) -> None:
    assert CAT.stage_for(employees).key == stage


@pytest.mark.parametrize(("arr", "band"), [
    (0, "under_1m"), (999_999, "under_1m"), (1_000_000, "1m_to_5m"),
    (4_999_999, "1m_to_5m"), (5_000_000, "over_5m"), (10_000_000, "over_5m"),
])
def test_arr_bands_put_each_boundary_in_the_upper_band(arr: float, band: str) -> None:
    assert CAT.arr_band_for(arr).key == band


def test_benchmarks_match_the_seed_figures() -> None:
    b = CAT.benchmarks
    assert b.marketing_share_of_headcount.value == 0.05  # seed 000
    assert b.enterprise_sales_share_of_headcount.value == 0.19  # seed 000, McKinsey
    assert b.enterprise_marketing_share_of_headcount.value == 0.14  # seed 000, McKinsey
    assert b.marketing_share_of_budget.value == 0.087  # seed 000
    assert b.lead_gen_share_of_marketing_budget.value == 0.36  # seed 000
    assert (b.brand_share_of_marketing.low, b.brand_share_of_marketing.high) == (0.4, 0.6)  # 003
    assert (b.org_design_review_years.low, b.org_design_review_years.high) == (2, 3)  # seed 000
    assert b.cro_min_arr.value == 10_000_000  # seed 000
    assert (b.cro_employees.low, b.cro_employees.high) == (150, 400)  # seed 004
    assert (b.revops_roi_employees.low, b.revops_roi_employees.high) == (150, 250)  # seed 004
    assert (b.territory_routing_reps.low, b.territory_routing_reps.high) == (15, 30)  # seed 004
    assert b.max_approvers.value == 3  # seed 003


def test_arr_band_team_sizes_follow_seed_001() -> None:
    sizes = {b.key: (b.marketing_team.low, b.marketing_team.high) for b in CAT.arr_bands}
    assert sizes == {"under_1m": (1, 1), "1m_to_5m": (3, 5), "over_5m": (8, 15)}


def test_kpi_table_has_seed_001_rows_and_both_columns() -> None:
    demand = CAT.function_kpis["demand_generation"]
    assert demand.early == ("MQLs", "SQLs", "Cost per lead")
    assert demand.late == ("Pipeline value", "Pipeline velocity", "CAC", "LTV:CAC")
    assert len(CAT.function_kpis) == 5
