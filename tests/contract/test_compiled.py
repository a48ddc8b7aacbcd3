"""The compiled contract: stage roles, one clock per SLA, calendars, matching thresholds.

Expected roles and starts are read off the contract text each test writes (the role table
of contract/roles.py), never from the compiler's output.
"""

from __future__ import annotations

import dataclasses

import pytest

from accord.contract.compiled import compile_text, starter_contract
from accord.contract.loader import check_contract_text
from accord.contract.roles import StageRole
from accord.errors import UnknownNameError, UsageError
from accord.workspace import starter_contract_text

STARTER = starter_contract_text()
FILE = "acme/accord.yaml"

#: The starter's stages renamed as a real CRM names them (issue: "Every rule in one home").
CRM_NAMES = {"MQL": "Marketing Qualified Lead", "SAL": "Sales Accepted Lead",
             "SQL": "Sales Qualified Lead", "Customer": "Closed Won"}


def renamed(text: str = STARTER) -> str:
    """The starter with its stages renamed, everywhere they are referred to."""
    out = text
    for old, new in CRM_NAMES.items():
        out = (out.replace(f"  {old}:\n", f"  {new}:\n")
               .replace(f"start: {old}\n", f"start: {new}\n")
               .replace(f"stage: {old}\n", f"stage: {new}\n"))
        for sep in (", ", "]"):
            out = out.replace(f"[{old}{sep}", f"[{new}{sep}").replace(f", {old}{sep}",
                                                                     f", {new}{sep}")
    return out


def edit(old: str, new: str, text: str = STARTER) -> str:
    assert text.count(old) == 1, f"test setup: {old!r} must occur once"
    return text.replace(old, new)


def issues(text: str) -> list[str]:
    contract, found = check_contract_text(text, FILE)
    assert contract is None, "the edited contract must be refused"
    return [str(i) for i in found]


def test_starter_roles_come_from_its_stage_names() -> None:
    c = starter_contract()
    assert c.stages.by_role == {
        StageRole.LEAD: "Lead", StageRole.HANDOFF: "MQL", StageRole.ACCEPTED: "SAL",
        StageRole.QUALIFIED: "SQL", StageRole.OPPORTUNITY: "Opportunity",
        StageRole.WON: "Customer", StageRole.RECYCLED: "Nurture",
        StageRole.DISQUALIFIED: "Disqualified"}
    assert [name for _, name in c.stages.funnel] == ["Lead", "MQL", "SAL", "SQL",
                                                      "Opportunity", "Customer"]
    assert c.stages.send_back == ("Nurture", "Disqualified")


def test_crm_names_take_the_same_roles_and_every_sla_starts_at_the_same_role() -> None:
    text = renamed()
    starter, crm = starter_contract(), compile_text(text)
    for role, name in starter.stages.by_role.items():
        assert crm.stages.named(role) == CRM_NAMES.get(name, name)
    for name, clock in starter.slas.items():
        assert crm.slas[name].start == CRM_NAMES.get(clock.start, clock.start)
        assert crm.slas[name].accept == tuple(CRM_NAMES.get(s, s) for s in clock.accept)
    assert crm.routing_stage == "Marketing Qualified Lead"


def test_an_explicit_role_names_a_company_specific_stage() -> None:
    text = edit("  SQL:\n    owner: sdr\n", "  Discovery:\n    owner: sdr\n    role: qualified\n")
    text = text.replace("next: [SQL, Nurture, Disqualified]",
                        "next: [Discovery, Nurture, Disqualified]")
    c = compile_text(text)
    assert c.stages.named(StageRole.QUALIFIED) == "Discovery"
    assert c.stages.role_of["Discovery"] is StageRole.QUALIFIED


def test_omitted_sla_start_is_the_stage_of_its_role() -> None:
    # follow_up is min_touches: it starts at the accepted stage; speed_to_lead at handoff.
    text = edit("    start: Sales Accepted Lead\n    min_touches: 5", "    min_touches: 5",
                renamed())
    text = edit("    kind: first_touch\n    start: Marketing Qualified Lead\n",
                "    kind: first_touch\n", text)
    c = compile_text(text)
    assert c.slas["follow_up"].start == "Sales Accepted Lead"
    assert c.slas["speed_to_lead"].start == "Marketing Qualified Lead"


def test_an_explicit_role_wins_over_a_name_that_looks_like_it() -> None:
    text = edit("  SQL:\n    owner: sdr\n", "  SQL:\n    owner: sdr\n    role: accepted\n")
    c = compile_text(text)
    assert c.stages.named(StageRole.ACCEPTED) == "SQL"
    assert c.stages.role_of["SAL"] is None


def test_two_stages_with_one_role_are_refused_at_the_second() -> None:
    text = edit("  SAL:\n    owner: sdr\n", "  SAL:\n    owner: sdr\n    role: accepted\n")
    text = edit("  SQL:\n    owner: sdr\n", "  SQL:\n    owner: sdr\n    role: accepted\n",
                text)
    found = issues(text)
    line = text[:text.index("role: accepted", text.index("  SQL:"))].count("\n") + 1
    assert any(i.startswith(f"{FILE}:{line} stages.SQL.role: role 'accepted' is already "
                            "played by stage") for i in found), found


def test_an_unknown_role_is_refused_with_the_allowed_ones() -> None:
    text = edit("  SQL:\n    owner: sdr\n", "  SQL:\n    owner: sdr\n    role: qualifed\n")
    found = issues(text)
    assert any("stages.SQL.role" in i and "qualified" in i for i in found), found


def test_an_sla_without_start_needs_a_stage_of_its_role() -> None:
    # drop the handoff: rename MQL to a name with no default role, start left out
    text = STARTER.replace("  MQL:\n", "  Handed over:\n").replace(
        "[MQL, ", "['Handed over', ").replace("stage: MQL\n", "stage: Handed over\n")
    text = edit("    kind: first_touch\n    start: MQL\n", "    kind: first_touch\n", text)
    text = text.replace("start: MQL\n", "start: Handed over\n")
    found = issues(text)
    assert any("slas.speed_to_lead" in i and "no stage has role 'handoff'" in i
               for i in found), found


def test_matching_thresholds_are_contract_keys() -> None:
    text = STARTER + "\nmatching: {min_name_score: 85, min_margin: 5, review_score: 75}\n"
    m = compile_text(text).matching
    assert (m.min_name_score, m.min_margin, m.review_score) == (85, 5, 75)
    assert starter_contract().matching.min_name_score == 80  # the documented default
    bad = STARTER + "\nmatching: {min_name_score: 70, review_score: 75}\n"
    assert any("matching.review_score" in i for i in issues(bad))


def test_owner_calendar_takes_the_reps_zone_hours_and_holidays_else_the_contracts() -> None:
    c = starter_contract()
    assert c.owner_calendar(None) == c.calendar
    berlin = c.owner_calendar("Europe/Berlin", None, "DE")
    assert (berlin.timezone, berlin.holidays) == ("Europe/Berlin", "DE")
    assert (berlin.start_minute, berlin.end_minute) == (9 * 60, 18 * 60)  # contract hours
    early = c.owner_calendar("Europe/Berlin", "08:00-16:30")
    assert (early.start_minute, early.end_minute, early.holidays) == (480, 990, "US")
    with pytest.raises(UsageError, match="Mars/Olympus"):
        c.owner_calendar("Mars/Olympus")


def test_the_compiled_contract_cannot_be_changed() -> None:
    c = starter_contract()
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.version = 2  # type: ignore[misc]
    with pytest.raises(TypeError):
        c.slas["x"] = c.slas["speed_to_lead"]  # type: ignore[index]


def test_unknown_names_list_what_exists() -> None:
    c = starter_contract()
    with pytest.raises(UnknownNameError) as exc:
        c.sla("speed_to_led")
    assert "'speed_to_led'" in str(exc.value) and "did you mean 'speed_to_lead'" in str(exc.value)
    assert "follow_up" in str(exc.value)
    with pytest.raises(UnknownNameError, match="known: Lead, MQL, SAL"):
        c.stages.stage("Qualified")
    with pytest.raises(UnknownNameError, match="role: lost"):
        c.stages.require(StageRole.LOST, "win/loss reporting")
