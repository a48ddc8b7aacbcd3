"""Every contract mistake is reported at its exact line and YAML path, all at once.

Each case edits the starter contract, finds the line of the edit in the edited text (the
expected location comes from the test's own text, not from the validator), and checks
the issue `FILE:LINE field.path: message`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.contract.loader import check_contract_text, load_contract
from accord.errors import ContractError
from accord.workspace import starter_contract_text

STARTER = starter_contract_text()
FILE = "acme/accord.yaml"


def edit(old: str, new: str, text: str = STARTER) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur once"
    return text.replace(old, new)


def line_of(text: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth occurrence of `needle` in `text`."""
    pos = -1
    for _ in range(nth):
        pos = text.index(needle, pos + 1)
    return text[:pos].count("\n") + 1


def issues_for(text: str) -> list[str]:
    contract, issues = check_contract_text(text, FILE)
    assert contract is None, "the edited contract must be refused"
    return [str(i) for i in issues]


def assert_issue(text: str, line: int, path: str, *fragments: str) -> None:
    found = issues_for(text)
    prefix = f"{FILE}:{line} {path}: "
    matching = [i for i in found if i.startswith(prefix)]
    assert matching, f"no issue starting {prefix!r}; got:\n" + "\n".join(found)
    for fragment in fragments:
        assert any(fragment in i for i in matching), (fragment, matching)


def test_starter_contract_is_valid() -> None:
    contract, issues = check_contract_text(STARTER, FILE)
    assert issues == [] and contract is not None
    assert contract.stages["SAL"].owner == "sdr"
    assert contract.slas["speed_to_lead"].within.amount == 2


def test_unknown_field_points_at_its_key_with_suggestion() -> None:
    text = edit("pricing_page:     {intent: high, points: 15, half_life_days: 14}",
                "pricing_page:     {intent: high, points: 15, half_life_day: 14}")
    assert_issue(text, line_of(text, "pricing_page:"), "signals.pricing_page.half_life_day",
                 "unknown field 'half_life_day'", "did you mean 'half_life_days'?")


def test_unknown_top_level_section() -> None:
    text = STARTER + "\nslsa:\n  x: 1\n"
    assert_issue(text, line_of(text, "slsa:"), "slsa", "unknown field 'slsa'",
                 "did you mean 'slas'?")


def test_wrong_type_names_the_value() -> None:
    text = edit("whitepaper:       {intent: low, points: 5, half_life_days: 30}",
                "whitepaper:       {intent: low, points: lots, half_life_days: 30}")
    assert_issue(text, line_of(text, "whitepaper:"), "signals.whitepaper.points",
                 "valid integer", "'lots'")


def test_unparsable_criteria_expression() -> None:
    text = edit('entry: "fit >= 45 and (engagement', 'entry: "fit >= and (engagement')
    assert_issue(text, line_of(text, 'entry: "fit >= and'), "stages.MQL.entry",
                 "cannot parse criteria")


def test_unknown_name_in_expression_suggests_the_right_one() -> None:
    text = edit('entry: "fit >= 45 and', 'entry: "fitt >= 45 and')
    assert_issue(text, line_of(text, 'entry: "fitt'), "stages.MQL.entry",
                 "fitt", "did you mean 'fit'?")


def test_unknown_signal_in_expression() -> None:
    text = edit("signal('contact_sales'))", "signal('contact_sale'))")
    assert_issue(text, line_of(text, "signal('contact_sale')"), "stages.MQL.entry",
                 "contact_sale", "did you mean 'contact_sales'?")


def test_stage_referenced_but_not_defined() -> None:
    text = edit("    next: [Opportunity, Nurture, Disqualified]",
                "    next: [Oportunity, Nurture, Disqualified]")
    assert_issue(text, line_of(text, "next: [Oportunity"), "stages.SQL.next[0]",
                 "stage 'Oportunity' is not defined", "did you mean 'Opportunity'?")


def test_sla_start_stage_not_defined() -> None:
    text = edit("    start: SAL\n", "    start: SAL2\n")
    assert_issue(text, line_of(text, "start: SAL2"), "slas.follow_up.start",
                 "stage 'SAL2' is not defined")


def test_pool_referenced_but_not_defined() -> None:
    text = edit("to: {pool: enterprise_ae}", "to: {pool: enterprise_aes}")
    assert_issue(text, line_of(text, "enterprise_aes"), "routing.rules[1].to.pool",
                 "pool 'enterprise_aes' is not defined", "did you mean 'enterprise_ae'?")


def test_icp_referenced_but_not_defined() -> None:
    text = edit("entry: accepted", "entry: \"accepted and icp == 'cor'\"")
    assert_issue(text, line_of(text, "icp == 'cor'"), "stages.SAL.entry",
                 "ICP 'cor' is not defined", "did you mean 'core'?")


def test_stage_without_owner() -> None:
    text = edit("  SAL:\n    owner: sdr\n", "  SAL:\n    description: accepted by sales\n")
    assert_issue(text, line_of(text, "  SAL:"), "stages.SAL.owner", "stage 'SAL' has no owner")


def test_stage_owner_not_defined() -> None:
    text = edit("  SAL:\n    owner: sdr\n", "  SAL:\n    owner: sdrs\n")
    assert_issue(text, line_of(text, "owner: sdrs"), "stages.SAL.owner",
                 "owner 'sdrs' is not defined", "did you mean 'sdr'?")


@pytest.mark.parametrize("bad", ["0 business_hours", "-2 business_hours"])
def test_zero_or_negative_sla_duration(bad: str) -> None:
    text = edit("    within: 2 business_hours\n", f"    within: {bad}\n")
    assert_issue(text, line_of(text, f"within: {bad}"), "slas.speed_to_lead.within",
                 "must be positive")


def test_duration_without_unit_teaches_the_format() -> None:
    text = edit("    within: 10 days\n", "    within: 10\n")
    assert_issue(text, line_of(text, "within: 10\n"), "slas.follow_up.within",
                 "e.g. `2 business_hours`")


def test_duplicate_signal_id() -> None:
    text = edit("  email_click:", "  whitepaper:       {intent: low, points: 1}\n  email_click:")
    first = line_of(text, "whitepaper:")
    assert_issue(text, line_of(text, "  whitepaper:", 2), "signals.whitepaper",
                 "duplicate id 'whitepaper'", f"first defined at line {first}")


def test_duplicate_rejection_reason() -> None:
    text = edit("rejection_reasons: [bad_fit, no_budget,", "rejection_reasons: [bad_fit, bad_fit,")
    assert_issue(text, line_of(text, "rejection_reasons:"), "rejection_reasons[1]",
                 "duplicate id 'bad_fit'")


def test_icp_tiers_out_of_order() -> None:
    text = edit("tiers: {A: 70, B: 45, C: 25}", "tiers: {A: 45, B: 70, C: 25}")
    assert_issue(text, line_of(text, "tiers: {A: 45"), "icps.core.tiers.B",
                 "tier thresholds out of order")


def test_unknown_timezone() -> None:
    text = edit("timezone: America/New_York", "timezone: America/New_Yrok")
    assert_issue(text, line_of(text, "America/New_Yrok"), "calendar.timezone",
                 "unknown timezone 'America/New_Yrok'")


def test_empty_rejection_reason_list() -> None:
    text = edit("rejection_reasons: [bad_fit, no_budget, student, competitor, duplicate, "
                "bad_data, timing, no_response]", "rejection_reasons: []")
    assert_issue(text, line_of(text, "rejection_reasons: []"), "rejection_reasons",
                 "rejection reason list is empty")


def test_every_problem_is_reported_at_once() -> None:
    text = edit("timezone: America/New_York", "timezone: Mars/Olympus")
    text = edit('entry: "fit >= 45 and', 'entry: "fitt >= 45 and', text)
    text = edit("tiers: {A: 70, B: 45, C: 25}", "tiers: {A: 45, B: 70, C: 25}", text)
    text = edit("  SAL:\n    owner: sdr\n", "  SAL:\n    owner: nobody\n", text)
    text = edit("    within: 10 days\n", "    within: -1 days\n", text)
    found = issues_for(text)
    paths = [i.split(" ")[1].rstrip(":") for i in found]
    assert set(paths) >= {"calendar.timezone", "stages.MQL.entry", "icps.core.tiers.B",
                          "stages.SAL.owner", "slas.follow_up.within"}
    assert [int(i.split(":")[1].split(" ")[0]) for i in found] == sorted(
        int(i.split(":")[1].split(" ")[0]) for i in found), "issues come in file order"


def test_yaml_syntax_error_has_a_line() -> None:
    text = edit("  marketing: VP Marketing\n", "  marketing: [VP Marketing\n")
    found = issues_for(text)
    assert len(found) == 1 and "not valid YAML" in found[0]
    assert found[0].startswith(f"{FILE}:")


def test_load_contract_raises_with_all_issues(tmp_path: Path) -> None:
    path = tmp_path / "accord.yaml"
    path.write_text(edit("timezone: America/New_York", "timezone: Nowhere/Land"))
    with pytest.raises(ContractError) as info:
        load_contract(path)
    assert len(info.value.issues) == 1
    assert str(info.value).startswith(f"{path}:{line_of(path.read_text(), 'Nowhere')} ")
