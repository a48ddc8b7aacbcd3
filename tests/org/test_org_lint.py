"""Each lint rule: a chart that breaks it and one that does not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from accord.org.chart import OrgChart, chart_from_data, load_chart
from accord.org.lint import lint_chart
from accord.org.rules import ALL_RULES
from accord.org.rules.approvers import too_many_approvers
from accord.org.rules.cro_ops import cro_without_ops
from accord.org.rules.handoff_owner import no_handoff_owner
from accord.org.rules.marketing_ops import marketing_ops_buried
from accord.org.rules.marketing_under_sales import marketing_under_sales
from accord.org.rules.pipeline_owner import function_without_pipeline_owner
from accord.org.rules.product_marketing import product_marketing_cut_off
from accord.org.rules.sdr_line import sdrs_outside_pipeline_line

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "org"


def person(pid: str, role: str, boss: str | None = None, **kw: Any) -> dict[str, Any]:
    return {"id": pid, "title": pid.replace("_", " ").title(), "role": role,
            "reports_to": boss, **kw}


def chart(*people: dict[str, Any], approvals: dict[str, list[str]] | None = None) -> OrgChart:
    return chart_from_data({"people": list(people), "approvals": approvals or {}})


CEO = person("ceo", "ceo")


# marketing-under-sales (seed 001)

def test_marketing_leader_under_the_vp_sales_is_an_error() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo"),
              person("cmo", "marketing_leader", "vp_sales"),
              person("content", "content", "cmo"))
    [f] = marketing_under_sales(c)
    assert (f.rule, f.severity, f.nodes, f.source.seed) == (
        "marketing-under-sales", "error", ("cmo", "vp_sales"), "001")


def test_marketing_beside_sales_under_the_ceo_or_a_cro_passes() -> None:
    assert marketing_under_sales(chart(CEO, person("vp_sales", "sales_leader", "ceo"),
                                       person("cmo", "marketing_leader", "ceo"))) == []
    assert marketing_under_sales(chart(CEO, person("cro", "cro", "ceo"),
                                       person("cmo", "marketing_leader", "cro"))) == []


# marketing-ops-buried (seed 003)

def test_marketing_ops_two_levels_below_the_marketing_leader_is_flagged() -> None:
    c = chart(CEO, person("cmo", "marketing_leader", "ceo"),
              person("dg", "demand_gen", "cmo"), person("mops", "marketing_ops", "dg"))
    [f] = marketing_ops_buried(c)
    assert (f.severity, f.nodes, f.source.seed) == ("warning", ("mops", "dg", "cmo"), "003")
    assert "2 levels below" in f.message


def test_marketing_ops_reporting_directly_or_inside_revops_passes() -> None:
    direct = chart(CEO, person("cmo", "marketing_leader", "ceo"),
                   person("mops", "marketing_ops", "cmo"))
    in_revops = chart(CEO, person("cmo", "marketing_leader", "ceo"),
                      person("revops", "revops_leader", "ceo"),
                      person("mops", "marketing_ops", "revops"))
    assert marketing_ops_buried(direct) == marketing_ops_buried(in_revops) == []


# no-handoff-owner (seed 000; shared ownership, seed 004)

def test_no_one_owning_the_handoff_is_an_error() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo"),
              person("cmo", "marketing_leader", "ceo"))
    [f] = no_handoff_owner(c)
    assert (f.severity, f.nodes, f.source.seed) == ("error", (), "000")


def test_two_handoff_owners_is_a_warning_and_one_passes() -> None:
    shared = chart(CEO, person("vp_sales", "sales_leader", "ceo", owns=["handoff"]),
                   person("cmo", "marketing_leader", "ceo", owns=["handoff"]))
    [f] = no_handoff_owner(shared)
    assert (f.severity, f.nodes, f.source.seed) == ("warning", ("vp_sales", "cmo"), "004")
    one = chart(CEO, person("vp_sales", "sales_leader", "ceo"),
                person("revops", "revops_leader", "ceo", owns=["handoff"]))
    assert no_handoff_owner(one) == []


# sdrs-outside-pipeline-line (seed 000)

def test_sdrs_under_marketing_when_sales_owns_the_number_are_flagged() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo", owns=["pipeline_number"]),
              person("cmo", "marketing_leader", "ceo"), person("sdrs", "sdr", "cmo"))
    [f] = sdrs_outside_pipeline_line(c)
    assert (f.severity, f.nodes, f.source.seed) == ("warning", ("sdrs", "vp_sales"), "000")


def test_sdrs_anywhere_in_the_pipeline_owners_line_pass() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo", owns=["pipeline_number"]),
              person("sdr_mgr", "sdr_manager", "vp_sales"), person("sdrs", "sdr", "sdr_mgr"))
    assert sdrs_outside_pipeline_line(c) == []


# product-marketing-cut-off (seed 003)

def test_product_marketing_inside_product_without_a_line_to_marketing_is_flagged() -> None:
    c = chart(CEO, person("cpo", "product_leader", "ceo"),
              person("cmo", "marketing_leader", "ceo"), person("pmm", "product_marketing", "cpo"))
    [f] = product_marketing_cut_off(c)
    assert (f.severity, f.nodes, f.source.seed) == ("warning", ("pmm", "cpo"), "003")


def test_product_marketing_with_a_dotted_line_to_marketing_or_under_it_passes() -> None:
    dotted = chart(CEO, person("cpo", "product_leader", "ceo"),
                   person("cmo", "marketing_leader", "ceo"),
                   person("pmm", "product_marketing", "cpo", dotted_to=["cmo"]))
    under = chart(CEO, person("cpo", "product_leader", "ceo"),
                  person("cmo", "marketing_leader", "ceo"),
                  person("pmm", "product_marketing", "cmo", dotted_to=["cpo"]))
    assert product_marketing_cut_off(dotted) == product_marketing_cut_off(under) == []


# cro-without-ops (seed 000)

def test_cro_with_no_ops_underneath_is_an_error() -> None:
    c = chart(CEO, person("cro", "cro", "ceo"), person("vp_sales", "sales_leader", "cro"))
    [f] = cro_without_ops(c)
    assert (f.severity, f.nodes, f.source.seed) == ("error", ("cro",), "000")


def test_cro_with_revops_below_or_dotted_from_the_coo_passes() -> None:
    below = chart(CEO, person("cro", "cro", "ceo"), person("vp_sales", "sales_leader", "cro"),
                  person("ops", "sales_ops", "vp_sales"))
    dotted = chart(CEO, person("cro", "cro", "ceo"), person("coo", "coo", "ceo"),
                   person("revops", "revops_leader", "coo", dotted_to=["cro"]))
    assert cro_without_ops(below) == cro_without_ops(dotted) == []


# too-many-approvers (seed 003)

def test_four_approvers_on_a_path_is_flagged_and_three_passes() -> None:
    people = [CEO, person("cmo", "marketing_leader", "ceo"), person("dg", "demand_gen", "cmo"),
              person("vp_sales", "sales_leader", "ceo")]
    [f] = too_many_approvers(chart(*people, approvals={"brief": ["dg", "cmo", "vp_sales",
                                                                 "ceo"]}))
    assert (f.severity, f.nodes, f.source.seed) == (
        "warning", ("dg", "cmo", "vp_sales", "ceo"), "003")
    assert too_many_approvers(chart(*people, approvals={"brief": ["dg", "cmo", "ceo"]})) == []


def test_the_same_approver_twice_counts_once() -> None:
    people = [CEO, person("cmo", "marketing_leader", "ceo"), person("dg", "demand_gen", "cmo")]
    c = chart(*people, approvals={"brief": ["dg", "cmo", "dg", "ceo"]})
    assert too_many_approvers(c) == []


# function-without-pipeline-owner (seed 003)

def test_marketing_with_no_pipeline_owner_is_an_error_naming_its_head_first() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo", owns=["pipeline_number"]),
              person("cmo", "marketing_leader", "ceo"), person("dg", "demand_gen", "cmo"))
    [f] = function_without_pipeline_owner(c)
    assert (f.severity, f.nodes, f.source.seed) == ("error", ("cmo", "dg"), "003")
    assert "marketing" in f.message


def test_each_function_with_its_own_pipeline_owner_passes() -> None:
    c = chart(CEO, person("vp_sales", "sales_leader", "ceo", owns=["pipeline_number"]),
              person("cmo", "marketing_leader", "ceo"),
              person("dg", "demand_gen", "cmo", owns=["pipeline"]))
    assert function_without_pipeline_owner(c) == []


# the whole linter

def test_every_rule_fires_on_the_needs_work_example_and_none_on_the_clean_one() -> None:
    bad = lint_chart(load_chart(EXAMPLES / "chart-needs-work.yaml"))
    assert {f.rule for f in bad.findings} == {
        "marketing-under-sales", "marketing-ops-buried", "no-handoff-owner",
        "sdrs-outside-pipeline-line", "product-marketing-cut-off", "cro-without-ops",
        "too-many-approvers", "function-without-pipeline-owner"}
    assert (bad.errors, bad.warnings) == (5, 4)
    assert lint_chart(load_chart(EXAMPLES / "chart.yaml")).findings == ()
    assert len(ALL_RULES) == 8
