"""`accord diagnose`: three simulated companies built to differ land on three rungs.

- (a) *verbal*: the starter contract, never signed, and only leads and marketing touches
  in the store (no sales activity, no stage change): nothing to measure an SLA on.
- (b) *instrumented*: the starter contract without an `attribution` section, signed by
  both sides; four SDRs answer twenty times more slowly (`slow_rep`), so speed to lead and
  the five-touch follow-up SLA are far below 90% within.
- (c) *operational*: SLAs the company keeps (8 business hours to the first touch, one
  follow-up touch within 10 days, 3 business days to accept or reject), signed, a meeting
  pack recorded for every cadence over the last quarter, every answer yes.

1,500 leads each (seed 5, twelve months of 2025: the last fact, and so `as_of`, is
2025-12-31 23:59:59.999999). Figures the checks report are compared with plain SQL over
the simulated files, not with accord's own functions.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from accord.analytics import maturity
from accord.analytics.maturity import (
    QUESTIONS,
    Answers,
    AnswersError,
    Check,
    Diagnosis,
    check_answers,
    diagnose,
    load_answers,
    place,
)
from accord.cli import app
from accord.cli import diagnose as diagnose_cli
from accord.contract.compiled import compile_text
from accord.errors import UnknownNameError, UsageError
from accord.ingest import import_facts
from accord.sim import parse_effects, simulate
from accord.store import Store
from accord.store.audit import write_audit
from accord.store.contract_versions import propose, sign
from accord.workspace import Workspace, starter_contract_text

runner = CliRunner()
LEADS, SEED = 1500, 5
AS_OF = datetime(2025, 12, 31, 23, 59, 59, 999999)  # the simulated year's last fact
WINDOW_START = AS_OF - timedelta(days=91)
SIGNED_AT = datetime(2025, 1, 2, 9, 0)

STARTER = starter_contract_text()
ATTRIBUTION = "attribution:\n  model: w_shaped\n  lookback_days: 180\n  half_life_days: 7\n"
assert ATTRIBUTION in STARTER
NO_ATTRIBUTION = STARTER.replace(ATTRIBUTION, "")
KEPT = (STARTER.replace("within: 2 business_hours", "within: 8 business_hours")
        .replace("min_touches: 5\n    within: 10 days", "min_touches: 1\n    within: 10 days")
        .replace("within: 2 business_days", "within: 3 business_days")
        .replace("effective: 2026-01-01", "effective: 2025-01-01"))
assert KEPT.count("business_hours") == STARTER.count("business_hours") and KEPT != STARTER
SLOW = parse_effects("effects:\n" + "".join(
    f"  - {{kind: slow_rep, rep: {i}, delay_multiplier: 20}}\n" for i in range(4)))

YES_TO_ALL = {q.id: q.passing[0] for q in QUESTIONS}
B_ANSWERS = ("one_system: synced\nshared_revenue_target: no\njoint_planning: no\n"
             "shared_comp: neither\ncadences_held: none\nalignment_owner: no\n")


@dataclass(frozen=True)
class Company:
    root: Path
    data: Path  # the simulated files it was imported from

    @contextmanager
    def store(self) -> Iterator[Store]:
        st = Workspace(self.root).open_store()
        try:
            yield st
        finally:
            st.close()

    def sql(self, query: str) -> Any:
        con = duckdb.connect()
        for f in self.data.glob("*.parquet"):
            con.execute(f"create view {f.stem} as select * from read_parquet('{f}')")
        row = con.execute(query).fetchone()
        con.close()
        assert row is not None
        return row[0] if len(row) == 1 else row


def _company(root: Path, data: Path, text: str, *, signed: bool) -> Company:
    root.mkdir(parents=True)
    (root / "accord.yaml").write_text(text, encoding="utf-8")
    st = Workspace(root).open_store()
    try:
        import_facts(st, data)
        if signed:
            propose(st, text, proposed_by="revops", at=SIGNED_AT)
            sign(st, 1, side="marketing", signer="Dana Lee", at=SIGNED_AT)
            sign(st, 1, side="sales", signer="Sam Ortiz", at=SIGNED_AT + timedelta(hours=2))
    finally:
        st.close()
    return Company(root, data)


def _record_packs(company: Company, event_ids: list[str]) -> None:
    with company.store() as st:
        st.ensure_service_tables()
        with st.transaction() as cur:
            for eid in event_ids:
                write_audit(st, cur, eid)


def _mondays(first: date, last: date, step: int = 7) -> list[date]:
    out, d = [], first
    while d <= last:
        out.append(d)
        d += timedelta(days=step)
    return out


# Packs of company (c), by the rule: period starts from `as_of`'s day back 91 days plus one
# cadence period. Weekly: since 2025-09-24 → the 14 Mondays 09-29 … 12-29 (one older
# Monday, 09-15, and a repeat of 12-22 do not count). Biweekly: since 09-17 → 7 starts.
# Monthly: since 08-31 → Oct, Nov, Dec = 3. Quarterly: since 07-01 → 10-01 = 1.
WEEKLY = _mondays(date(2025, 9, 29), date(2025, 12, 29))
BIWEEKLY = _mondays(date(2025, 9, 29), date(2025, 12, 29), step=14)
C_PACKS = ([f"report:weekly:{d}" for d in [*WEEKLY, date(2025, 9, 15)]]
           + [f"report:biweekly:{d}" for d in BIWEEKLY]
           + ["report:monthly:2025-10-01", "report:monthly:2025-11-01",
              "report:monthly:2025-12-01T00:00:00", "report:quarterly:2025-10-01",
              "report:weekly:not-a-date", "report:weekly", "contract-signature:1:sales"])
assert len(WEEKLY) == 14 and len(BIWEEKLY) == 7


@pytest.fixture(scope="module")
def companies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Company]:
    base = tmp_path_factory.mktemp("maturity")
    clean, slow = base / "sim-clean", base / "sim-slow"
    simulate(clean, leads=LEADS, seed=SEED, effects=None)
    simulate(slow, leads=LEADS, seed=SEED, effects=SLOW)
    only = base / "sim-leads-touches"
    only.mkdir()
    for name in ("leads", "touches"):
        shutil.copy(clean / f"{name}.parquet", only / f"{name}.parquet")
    a = _company(base / "a", only, STARTER, signed=False)
    b = _company(base / "b", slow, NO_ATTRIBUTION, signed=True)
    c = _company(base / "c", clean, KEPT, signed=True)
    _record_packs(c, [*C_PACKS, "report:weekly:2025-12-22"])  # the repeat: once
    (base / "b-answers.yaml").write_text(B_ANSWERS, encoding="utf-8")
    return {"a": a, "b": b, "c": c}


@pytest.fixture(scope="module")
def diagnoses(companies: dict[str, Company]) -> dict[str, Diagnosis]:
    answers = {"a": None, "b": load_answers(companies["b"].root.parent / "b-answers.yaml"),
               "c": check_answers(YES_TO_ALL, "test")}
    out = {}
    for key, company in companies.items():
        with company.store() as st:
            text = (company.root / "accord.yaml").read_text()
            out[key] = diagnose(st, compile_text(text), answers=answers[key])
    return out


def check(d: Diagnosis, cid: str) -> Check:
    return d.checks[cid]


# -- the three companies ------------------------------------------------------------------------
def test_the_three_companies_land_on_three_different_rungs(
        diagnoses: dict[str, Diagnosis]) -> None:
    assert {k: (d.rung, d.staircase.name) for k, d in diagnoses.items()} == {
        "a": (1, "Verbal"), "b": (3, "Instrumented"), "c": (4, "Operational")}
    assert {k: d.stage for k, d in diagnoses.items()} == {"a": 1, "b": 2, "c": 4}
    assert all(d.as_of == AS_OF and d.as_of_source == "latest fact" and d.view == "actual"
               for d in diagnoses.values())


def test_a_never_signed_without_sla_data_is_verbal(diagnoses: dict[str, Diagnosis]) -> None:
    d = diagnoses["a"]
    assert check(d, "signed").status == "fail"
    assert check(d, "signed").found == "no contract version was ever proposed in the store"
    measured = check(d, "sla_measured")
    assert measured.status == "fail"
    assert measured.found.startswith("0 sales activities and 0 stage changes recorded")
    assert check(d, "sla_met").status == "fail"
    assert check(d, "rejections_coded").found == "no lead sent back in the last quarter"
    # Oracle's first stage needs the signature too: placed there, not yet held
    assert d.stage == 1 and not d.oracle.holds
    # the next step is the first unmet check of rung 2, in table order
    assert (d.next_step.rung, d.next_step.check) == (2, "signed")
    assert "accord contract sign" in d.next_step.do
    assert d.questionnaire == "skipped"
    assert check(d, "shared_comp").status == "unknown"
    signs = {w.id: w.present for w in d.warnings}
    assert signs["leads_untouched"] is None and signs["rejections_without_reason"] is None
    assert signs["disjointed_systems"] is None  # not answered, so not checked
    items = {i.id: i.status for i in d.checklist}
    assert items["response_under_two_hours"] == "not yet"
    assert items["icp_same_answer"] == "partly"  # written ICP, no answer


def test_b_signed_but_breaching_slas_is_instrumented(companies: dict[str, Company],
                                                     diagnoses: dict[str, Diagnosis]) -> None:
    d = diagnoses["b"]
    signed = check(d, "signed")
    assert signed.passed
    # the starter is effective from 2026-01-01: signed, but not yet deciding in 2025
    assert signed.found == ("version 1 signed by marketing (Dana Lee, 2025-01-02) and sales "
                            "(Sam Ortiz, 2025-01-02); effective 2026-01-01, not in force at "
                            "2025-12-31")
    for cid in ("icp_written", "stages_defined", "rejection_codes_written", "slas_written",
                "kpis_targeted", "sla_measured", "rejections_coded", "closed_loop"):
        assert check(d, cid).passed, cid
    met = check(d, "sla_met")
    assert met.status == "fail"
    follow = met.figures["slas"]["follow_up"]
    expected = _min_touches_clocks(companies["b"], touches=5, days=10)
    assert (follow["met"], follow["breached"]) == expected
    assert follow["share_within"] < 0.9
    assert "follow_up" in met.found.split("below 90%: ")[1]
    attribution = check(d, "attribution_chosen")
    assert attribution.status == "fail" and "default (first_touch)" in attribution.found
    # the next step is rung 4's first unmet check
    assert (d.next_step.rung, d.next_step.rung_name, d.next_step.check) == \
        (4, "Operational", "sla_met")
    # Oracle: written and signed, data together, systems in sync — but no cadence held
    assert d.stage == 2 and d.oracle.next_check is not None
    assert d.oracle.next_check.id == "cadences_held"
    assert d.questionnaire == "partly answered"
    signs = {w.id: w for w in d.warnings}
    assert signs["competing_kpis"].present is True
    assert signs["no_handoff_owner"].present is True
    assert signs["disjointed_systems"].present is False


def test_c_fully_operational_passes_every_check(diagnoses: dict[str, Diagnosis]) -> None:
    d = diagnoses["c"]
    failed = {c.id: c.found for c in d.checks.values() if not c.passed}
    assert failed == {}
    assert check(d, "signed").found.endswith("(Sam Ortiz, 2025-01-02); in force")
    assert d.rung == 4 and d.stage == 4 and d.questionnaire == "answered"
    assert d.staircase.next_check is None and d.next_step.rung is None
    cadences = {r["cadence"]: (r["kind"], r["prepared"], r["required"], r["held"])
                for r in check(d, "cadences_held").figures["cadences"]}
    assert cadences == {"weekly_pipeline_review": ("weekly", 14, 10, True),
                        "alignment_check": ("biweekly", 7, 5, True),
                        "sla_review": ("monthly", 3, 3, True),
                        "icp_review": ("quarterly", 1, 1, True)}
    assert check(d, "cadences_held").evidence == "store"  # the packs, not the answer
    # on the top rung the next step is the first checklist item not done, else the advice
    open_items = [i for i in d.checklist if i.status != "done"]
    if open_items:
        assert d.next_step.title == open_items[0].title
    else:
        assert d.next_step.do == maturity.STAIRCASE_TOP_ADVICE


def test_closed_loop_and_unified_data_figures_match_sql(
        companies: dict[str, Company], diagnoses: dict[str, Diagnosis]) -> None:
    b, d = companies["b"], diagnoses["b"]
    window = f"occurred_at >= TIMESTAMP '{WINDOW_START}' AND occurred_at <= TIMESTAMP '{AS_OF}'"
    sent_back, coded = b.sql(
        "select count(*), count(*) filter (where reason in ('bad_fit','no_budget','student',"
        "'competitor','duplicate','bad_data','timing','no_response')) from stage_events "
        f"where to_stage in ('Nurture','Disqualified') and {window}")
    got = check(d, "rejections_coded").figures
    assert (got["sent_back"], got["coded"]) == (sent_back, coded) and sent_back > 50
    # new business only: renewals and expansions come from customers, not leads
    typed = "type" in b.sql("select list(column_name) from (describe opportunities)")
    new_business = "and coalesce(type, 'new_business') = 'new_business'" if typed else ""
    closed, linked = b.sql(
        "select count(*), count(*) filter (where lead_id in (select lead_id from leads)) "
        f"from opportunities where status in ('won','lost') {new_business} and "
        f"closed_at >= TIMESTAMP '{WINDOW_START}' and closed_at <= TIMESTAMP '{AS_OF}'")
    loop = check(d, "closed_loop").figures
    assert (loop["closed"], loop["linked"]) == (closed, linked) and closed > 5
    worked, seen = b.sql(
        "with w as (select distinct lead_id from activities where " + window + ") "
        "select count(*), count(*) filter (where lead_id in (select lead_id from touches)) "
        "from w")
    unified = check(d, "unified_data").figures
    assert (unified["leads_worked"], unified["with_touches"]) == (worked, seen)


def _min_touches_clocks(company: Company, *, touches: int, days: int) -> tuple[int, int]:
    """(met, breached) of a wall-clock min-touches SLA from SAL, clocks started in the last
    quarter: stopped by the `touches`-th sales activity at or after the first entry into
    SAL; met when stopped within `days`, breached when stopped later or still running past
    the due time at `as_of`."""
    met, breached = company.sql(f"""
        with starts as (select lead_id, min(occurred_at) as start_at from stage_events
                        where to_stage = 'SAL' group by lead_id),
             win as (select * from starts where start_at >= TIMESTAMP '{WINDOW_START}'),
             acts as (select a.lead_id, a.occurred_at, row_number() over (
                        partition by a.lead_id order by a.occurred_at) as n
                      from activities a join win using (lead_id)
                      where a.occurred_at >= win.start_at),
             stops as (select lead_id, occurred_at as stop_at from acts where n = {touches})
        select count(*) filter (where stop_at <= start_at + interval {days} day),
               count(*) filter (where (stop_at is not null
                                       and stop_at > start_at + interval {days} day)
                                or (stop_at is null and TIMESTAMP '{AS_OF}'
                                    > start_at + interval {days} day))
        from win left join stops using (lead_id)""")
    return int(met), int(breached)


def test_the_kept_follow_up_sla_share_matches_sql(companies: dict[str, Company],
                                                  diagnoses: dict[str, Diagnosis]) -> None:
    follow = check(diagnoses["c"], "sla_met").figures["slas"]["follow_up"]
    met, breached = _min_touches_clocks(companies["c"], touches=1, days=10)
    assert (follow["met"], follow["breached"]) == (met, breached)
    assert follow["share_within"] == met / (met + breached) >= 0.9


# -- the placement rules ------------------------------------------------------------------------
def _checks(passing: set[str]) -> dict[str, Check]:
    return {cid: Check(cid, spec.title, spec.checked, "", "pass" if cid in passing else "fail",
                       spec.evidence) for cid, spec in maturity.CHECKS.items()}


def test_rungs_are_climbed_in_order() -> None:
    rung3 = set(maturity.STAIRCASE[2].requires)
    p = place("staircase", _checks(rung3))  # rung 3's checks pass, rung 2's do not
    assert p.level == 1 and p.next_check is not None and p.next_check.id == "icp_written"
    all_but_signed = {c for lv in maturity.STAIRCASE for c in lv.requires} - {"signed"}
    p = place("staircase", _checks(all_but_signed))
    assert p.level == 1 and p.next_check is not None and p.next_check.id == "signed"
    p = place("staircase", _checks(set(maturity.CHECKS)))
    assert p.level == 4 and p.next_check is None
    with pytest.raises(UnknownNameError, match="unknown ladder 'oracles'"):
        place("oracles", _checks(set()))


def test_every_ladder_requirement_is_a_known_check() -> None:
    known = set(maturity.CHECKS)
    for levels in (maturity.STAIRCASE, maturity.ORACLE_STAGES):
        assert [lv.number for lv in levels] == [1, 2, 3, 4]
        for lv in levels:
            assert set(lv.requires) <= known, lv.name
    assert {q.id for q in QUESTIONS} <= known and 6 <= len(QUESTIONS) <= 10


def test_cadences_held_by_packs_or_by_the_answer(store: Store) -> None:
    """On an empty store of each backend (the conftest's `store`): only the packs."""
    store.ensure_service_tables()
    # nine weekly packs: 9 of the 10 a weekly cadence needs (13 a quarter, 75% → 10)
    with store.transaction() as cur:
        for monday in _mondays(date(2025, 10, 27), date(2025, 12, 22)):
            write_audit(store, cur, f"report:weekly:{monday}")
    contract = compile_text(STARTER)
    d = diagnose(store, contract, as_of=AS_OF)
    c = check(d, "cadences_held")
    rows = {r["cadence"]: r["prepared"] for r in c.figures["cadences"]}
    assert rows == {"weekly_pipeline_review": 9, "alignment_check": 0, "sla_review": 0,
                    "icp_review": 0}
    assert c.status == "fail" and "9 weekly pack(s) of 13 (needs 10)" in c.found
    d = diagnose(store, contract, as_of=AS_OF, answers={"cadences_held": "all"})
    c = check(d, "cadences_held")
    assert c.passed and c.evidence == "store or answers" and "answered: all" in c.found
    d = diagnose(store, contract, as_of=AS_OF, answers={"cadences_held": "some"})
    assert check(d, "cadences_held").status == "fail"


# -- answers ------------------------------------------------------------------------------------
def test_answers_from_yaml_and_json_are_the_same(tmp_path: Path) -> None:
    y = tmp_path / "a.yaml"
    y.write_text("icp_same_answer: yes\nshared_comp: one_team\njoint_planning: false\n"
                 "one_system: ~\n")
    j = tmp_path / "a.json"
    j.write_text(json.dumps({"icp_same_answer": "Yes", "shared_comp": "one_team",
                             "joint_planning": False}))
    expected = {"icp_same_answer": True, "joint_planning": False, "shared_comp": "one_team"}
    assert dict(load_answers(y).values) == expected  # a null answer leaves it unanswered
    assert dict(load_answers(j).values) == expected
    assert load_answers(j).source == str(j)


@pytest.mark.parametrize("text,error,message", [
    ("icp_same_answer: yes\nshared_revnue_target: yes\n", UnknownNameError,
     "unknown question 'shared_revnue_target' in {f} (line 2); did you mean "
     "'shared_revenue_target'?"),
    ("joint_planning: maybe\n", AnswersError,
     "{f}: line 1: joint_planning: expected yes or no (true/false), got 'maybe'"),
    ("shared_comp: yes\n", AnswersError,
     "{f}: line 1: shared_comp: expected one of both, one_team, neither, got True"),
    ("one_system: cloud\n", AnswersError,
     "{f}: line 1: one_system: expected one of one_system, synced, separate, got 'cloud'"),
    ("shared_comp: both\nshared_comp: neither\n", AnswersError,
     "{f}: line 2: shared_comp: answered twice (first at line 1)"),
    ("- icp_same_answer\n", UsageError, "{f}: expected a mapping of question id to answer"),
    ("icp_same_answer: [yes\n", UsageError, "{f}: line 2: not valid YAML or JSON"),
])
def test_bad_answers_name_the_file_and_the_key(tmp_path: Path, text: str,
                                               error: type[Exception], message: str) -> None:
    f = tmp_path / "answers.yaml"
    f.write_text(text)
    with pytest.raises(error) as info:
        load_answers(f)
    assert str(info.value).startswith(message.format(f=f))


def test_a_missing_answers_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"nope\.yaml: cannot read the answers file"):
        load_answers(tmp_path / "nope.yaml")


def test_answers_given_in_code_are_checked_too() -> None:
    with pytest.raises(UnknownNameError, match="unknown question 'comp' in answers"):
        check_answers({"comp": "both"})
    assert check_answers({"alignment_owner": "no"}).values == {"alignment_owner": False}


# -- the command line ---------------------------------------------------------------------------
def accord(*args: str, code: int = 0, stdin: str | None = None) -> Any:
    r = runner.invoke(app, list(args), input=stdin)
    assert r.exit_code == code, f"$ accord {' '.join(args)}\n{r.output}"
    return r


def test_cli_json_is_the_diagnosis(companies: dict[str, Company],
                                   diagnoses: dict[str, Diagnosis]) -> None:
    b = companies["b"]
    r = accord("diagnose", "-w", str(b.root), "--answers",
               str(b.root.parent / "b-answers.yaml"), "--json")
    data = json.loads(r.stdout)
    expected = json.loads(json.dumps(diagnoses["b"].to_dict(), default=str))
    assert data == expected
    assert (data["rung"], data["rung_name"], data["stage"]) == (3, "Instrumented", 2)
    assert data["next_step"]["check"] == "sla_met"
    assert data["questionnaire"]["source"] == str(b.root.parent / "b-answers.yaml")


def test_cli_without_a_terminal_skips_the_questionnaire_and_says_so(
        companies: dict[str, Company]) -> None:
    a = companies["a"]
    out = accord("diagnose", "-w", str(a.root)).stdout
    assert "Questionnaire skipped (input is not a terminal)" in out
    assert "Staircase rung 1 of 4: Verbal" in out
    assert "Next step → rung 2 (Written): Signed by both owners" in out
    out = accord("diagnose", "-w", str(a.root), "--no-input").stdout
    assert "Questionnaire skipped (--no-input)" in out
    data = json.loads(accord("diagnose", "-w", str(a.root), "--no-input", "--json").stdout)
    assert data["questionnaire"]["status"] == "skipped"
    assert len(data["questionnaire"]["unanswered"]) == len(QUESTIONS)


def test_cli_asks_the_questions_on_a_terminal(companies: dict[str, Company],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagnose_cli, "stdin_is_terminal", lambda: True)
    replies = []
    for q in QUESTIONS:
        replies.append("y" if q.kind == "yes_no" else str(q.passing[0]))
    c = companies["c"]
    r = accord("diagnose", "-w", str(c.root), "--json", stdin="\n".join(replies) + "\n")
    data = json.loads(r.stdout)  # the prompts went to stderr: stdout is the JSON alone
    assert data["questionnaire"] == {"status": "answered", "source": "prompt",
                                     "answers": YES_TO_ALL, "unanswered": []}
    assert data["rung"] == 4 and data["stage"] == 4


def test_cli_bad_answers_exit_2_naming_file_and_key(companies: dict[str, Company],
                                                    tmp_path: Path) -> None:
    f = tmp_path / "answers.yaml"
    f.write_text("shared_comp: most\n")
    r = accord("diagnose", "-w", str(companies["a"].root), "--answers", str(f), code=2)
    text = " ".join(r.output.split())
    assert f"{f}: line 1: shared_comp: expected one of both, one_team, neither, got 'most'" \
        in text


def test_cli_help_teaches_with_examples() -> None:
    out = accord("diagnose", "--help").stdout
    for needle in ("--answers", "--no-input", "--json", "Examples", "accord diagnose "
                   "--answers answers.yaml"):
        assert needle in out


# -- docs ---------------------------------------------------------------------------------------
def _docs_section() -> str:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    return doc.split("## Where you stand: `accord diagnose`")[1].split("\n## ")[0]


def test_the_docs_answers_example_is_valid_and_answers_every_question(tmp_path: Path) -> None:
    section = _docs_section()
    block = section.split("```yaml\n")[1].split("```")[0]
    f = tmp_path / "answers.yaml"
    f.write_text(block)
    got = load_answers(f)
    assert isinstance(got, Answers) and set(got.values) == {q.id for q in QUESTIONS}
    words = " ".join(section.split())
    for title in (maturity.SIZES_ARTICLE, maturity.STRUCTURE_ARTICLE):
        assert title in words
    assert math.isclose(maturity.SLA_MET_SHARE, 0.9) and "at least 90% within" in words


def test_the_docs_example_output_is_what_company_b_prints(
        companies: dict[str, Company], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    example = _docs_section().split("```\nWhere you stand")[1].split("```")[0]
    expected = ("Where you stand" + example).strip().splitlines()
    (tmp_path / "answers.yaml").write_text(B_ANSWERS)
    monkeypatch.chdir(tmp_path)
    out = accord("diagnose", "-w", str(companies["b"].root), "--answers", "answers.yaml")
    assert out.stdout.splitlines()[:len(expected)] == expected


def test_packs_accord_report_prepares_count_for_their_cadence(
        companies: dict[str, Company], tmp_path: Path) -> None:
    root = tmp_path / "b-copy"
    shutil.copytree(companies["b"].root, root)
    accord("report", "weekly", "-w", str(root), "--out", str(tmp_path / "weekly.md"))
    data = json.loads(accord("diagnose", "-w", str(root), "--no-input", "--json").stdout)
    (cadences,) = [c["figures"]["cadences"] for c in data["checks"]
                   if c["id"] == "cadences_held"]
    prepared = {r["cadence"]: r["prepared"] for r in cadences}
    assert prepared == {"weekly_pipeline_review": 1, "alignment_check": 0, "sla_review": 0,
                        "icp_review": 0}
