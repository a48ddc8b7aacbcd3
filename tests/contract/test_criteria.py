"""Criteria language: parsing, errors, names, and batch (Ibis on DuckDB) = live (Python)."""

from __future__ import annotations

from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from accord.contract.criteria import (
    ACCOUNT_FIELDS,
    LEAD_FIELDS,
    SCORE_NAMES,
    And,
    Compare,
    InList,
    Literal,
    NameRef,
    Node,
    Not,
    Or,
    check_names,
    column_key,
    parse_criteria,
    referenced_names,
    render,
    to_ibis,
    to_predicate,
)
from accord.errors import CriteriaSyntaxError

FIT = NameRef("score", "fit")
ENGAGEMENT = NameRef("score", "engagement")
TIER = NameRef("score", "tier")
ACCEPTED = NameRef("score", "accepted")
CHANNEL = NameRef("lead", "channel")
EMPLOYEES = NameRef("account", "employees")
OWNER = NameRef("account", "owner_rep_id")
DEMO = NameRef("signal", "demo_request")
DEMO_COUNT = NameRef("signal_count", "demo_request")


def lead(name: str) -> NameRef:
    return NameRef("lead", name)


# --- parsing and rendering --------------------------------------------------------------


def test_starter_mql_entry_parses_to_the_expected_tree() -> None:
    node = parse_criteria("fit >= 45 and (engagement >= 40 or signal('demo_request'))")
    assert node == And(
        Compare(">=", FIT, Literal(45)),
        Or(Compare(">=", ENGAGEMENT, Literal(40)), DEMO),
    )


@pytest.mark.parametrize(("text", "tree"), [
    ("accepted", ACCEPTED),
    ("account.employees >= 1000", Compare(">=", EMPLOYEES, Literal(1000))),
    ("account.owner_rep_id != ''", Compare("!=", OWNER, Literal(""))),
    ("channel in ['webinar', 'event']",
     InList(CHANNEL, (Literal("webinar"), Literal("event")))),
    ("lead.channel not in [\"webinar\"]", InList(CHANNEL, (Literal("webinar"),), negated=True)),
    ("signal_count('demo_request') > 1", Compare(">", DEMO_COUNT, Literal(1))),
    ("fit >= -2.5", Compare(">=", FIT, Literal(-2.5))),
    ("tier == null", Compare("==", TIER, Literal(None))),
    ("45 <= fit", Compare("<=", Literal(45), FIT)),
    ("(fit) >= 3", Compare(">=", FIT, Literal(3))),
    ("not rejected", Not(NameRef("score", "rejected"))),
    ("true", Literal(True)),
])
def test_contract_examples_parse_to_their_trees(text: str, tree: Node) -> None:
    assert parse_criteria(text) == tree


def test_and_binds_tighter_than_or() -> None:
    a, b, c = lead("a"), lead("b"), lead("c")
    assert parse_criteria("a or b and c") == Or(a, And(b, c))
    assert parse_criteria("a and b or c") == Or(And(a, b), c)
    assert parse_criteria("(a or b) and c") == And(Or(a, b), c)


def test_not_binds_tighter_than_and_but_looser_than_comparison() -> None:
    assert parse_criteria("not fit > 3 and accepted") == And(
        Not(Compare(">", FIT, Literal(3))), ACCEPTED)


def test_chains_of_and_group_to_the_left() -> None:
    a, b, c = lead("a"), lead("b"), lead("c")
    assert parse_criteria("a and b and c") == And(And(a, b), c)


def test_integers_decimals_and_booleans_stay_distinct_literals() -> None:
    assert parse_criteria("1") != parse_criteria("1.0")
    assert parse_criteria("1") != parse_criteria("true")


@pytest.mark.parametrize(("text", "canonical"), [
    ("fit>=45 and(engagement>=40 or signal(\"demo_request\"))",
     "fit >= 45 and (engagement >= 40 or signal('demo_request'))"),
    ("lead.channel in [\"webinar\",'event',]", "channel in ['webinar', 'event']"),
    ("not (fit > 3)", "not fit > 3"),
    ("not (a and b)", "not (a and b)"),
    ("a and (b and c)", "a and (b and c)"),
    ("(a and b) and c", "a and b and c"),
    ("a or (b or c)", "a or (b or c)"),
    ("((a))", "a"),
    ("title == \"o'brien\"", "title == \"o'brien\""),
    ("title == 'say \"hi\" it\\'s'", "title == 'say \"hi\" it\\'s'"),
    ("lead.fit == 1", "lead.fit == 1"),
    ("x not in [1, 2.50, -3, null]", "x not in [1, 2.5, -3, null]"),
])
def test_render_gives_canonical_text_that_parses_back(text: str, canonical: str) -> None:
    node = parse_criteria(text)
    assert render(node) == canonical
    assert parse_criteria(canonical) == node


def test_render_writes_large_and_small_decimals_without_exponents() -> None:
    assert render(Literal(1e20)) == "100000000000000000000.0"
    assert render(Literal(1e-05)) == "0.00001"
    assert parse_criteria("100000000000000000000.0") == Literal(1e20)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.integers(), st.booleans(), st.none(),
                 st.floats(allow_nan=False, allow_infinity=False)))
def test_any_literal_renders_to_text_that_parses_back(value: Any) -> None:
    assert parse_criteria(render(Literal(value))) == Literal(value)


def test_literals_refuse_infinity_and_nan() -> None:
    with pytest.raises(ValueError):
        Literal(float("inf"))
    with pytest.raises(ValueError):
        Literal(float("nan"))


# --- syntax errors ----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "message", "column"), [
    ("fit >=", "expected a value after '>='", 7),
    ("fit >= and accepted", "expected a value after '>=', found 'and'", 8),
    ("fit and (engagement > 3", "unclosed '('", 9),
    ("fit => 3", "unknown operator '=>'; did you mean '>='?", 5),
    ("fit = 3", "unknown operator '='; did you mean '=='?", 5),
    ("fit <> 3", "unknown operator '<>'; did you mean '!='?", 5),
    ("fit > 3 && accepted", "unknown operator '&&'; did you mean 'and'?", 9),
    ("!accepted", "unknown operator '!'; did you mean 'not'?", 1),
    ("fit > 3 AND accepted", "'AND' is not a keyword; did you mean 'and'?", 9),
    ("accepted == True", "'True' is not a keyword; did you mean 'true'?", 13),
    ("tier == None", "'None' is not a keyword; did you mean 'null'?", 9),
    ("", "the criteria are empty; write a condition such as 'fit >= 45'", 1),
    ("   ", "the criteria are empty; write a condition such as 'fit >= 45'", 1),
    ("fit > 3)", "unmatched ')'", 8),
    ("fit > 3 engagement", "expected 'and' or 'or' before 'engagement'", 9),
    ("(fit > 3 engagement)", "expected 'and', 'or' or ')' before 'engagement'", 10),
    ("1 < fit < 5", "comparisons can't be chained; join them with 'and'", 9),
    ("channel in 'webinar'",
     "expected a list in square brackets after 'in', e.g. ['webinar', 'event']", 12),
    ("channel in []", "the list is empty; add at least one value", 12),
    ("channel in ['a', 1]", "a list can't mix text and numbers", 18),
    ("channel in ['a'", "unclosed '['", 12),
    ("channel in ['a' 'b']", "expected ',' or ']' after \"'a'\", found \"'b'\"", 17),
    ("channel in [fit]",
     "lists hold only values (numbers, text in quotes, true, false, null), found 'fit'", 13),
    ("title == 'vp", "unclosed string; end it with '", 10),
    ("title == 'a\\b'", "unknown escape in text; only \\\\, \\' and \\\" are allowed", 12),
    ("fit > null", "null can only be compared with '==' or '!=', not '>'", 5),
    ("signal(demo_request)", "put the signal name in quotes: signal('demo_request')", 8),
    ("signal()", "signal() needs a signal name in quotes, e.g. signal('demo_request')", 8),
    ("signal('a', 'b')", "signal() takes one signal name", 11),
    ("signal('demo request')", "signal names use letters, digits and '_', not 'demo request'", 8),
    ("signal('a'", "unclosed '('", 7),
    ("signal", "signal needs a signal name in brackets, e.g. signal('demo_request')", 1),
    ("signals('demo_request')", "unknown function 'signals'; did you mean 'signal'?", 1),
    ("acount.employees > 5", "unknown prefix 'acount'; did you mean 'account'?", 1),
    ("foo.bar", "unknown prefix 'foo'; fields are written lead.<field> or account.<field>", 1),
    ("account > 5", "expected '.' and a field name after 'account', e.g. account.employees", 1),
    ("account.", "expected a field name after 'account.'", 9),
    ("account.employees.x", "unexpected '.'; a field has one name, e.g. account.employees", 18),
    ("fit + 3 > 5", "arithmetic isn't supported in criteria, found '+'", 5),
    ("fit > 3 $", "unexpected character '$'", 9),
    ("fit >= 45.", "expected digits after '45.'", 10),
    ("fit >= 45abc", "'45abc' is neither a number nor a name", 8),
    ("fit >= -", "expected a number after '-'", 9),
    ("not", "expected a condition after 'not'", 4),
    ("fit >= 45 and", "expected a condition after 'and'", 14),
    ("accepted or", "expected a condition after 'or'", 12),
    ("()", "expected a condition after '(', found ')'", 2),
    ("(fit > 3) >= 2",
     "a condition in brackets can't be compared with '>='; compare a name or a value", 11),
])
def test_syntax_error_names_the_problem_and_its_column(text: str, message: str,
                                                       column: int) -> None:
    with pytest.raises(CriteriaSyntaxError) as caught:
        parse_criteria(text)
    assert (caught.value.message, caught.value.column, caught.value.text) == (
        message, column, text)


def test_syntax_error_is_a_value_error_that_shows_the_column() -> None:
    with pytest.raises(ValueError, match=r"expected a value after '>=' at column 7"):
        parse_criteria("fit >=")


def test_deep_nesting_is_refused_at_the_bracket_past_the_limit() -> None:
    # 40 brackets, the limit is 32: the 33rd bracket (column 33) is refused.
    with pytest.raises(CriteriaSyntaxError) as caught:
        parse_criteria("(" * 40 + "fit" + ")" * 40)
    assert (caught.value.message, caught.value.column) == ("the criteria nest too deeply", 33)


@pytest.mark.parametrize("text", [
    "__import__('os')",
    "__import__('os').system('rm -rf /')",
    "open('/etc/passwd')",
    "fit.__class__",
    "().__class__",
    "eval('1')",
    "[x for x in fit]",
    "lambda: 1",
    "fit if accepted else 0",
])
def test_python_code_is_never_run_only_refused(text: str) -> None:
    with pytest.raises(CriteriaSyntaxError):
        parse_criteria(text)


# --- names ------------------------------------------------------------------------------


def test_name_sets_match_the_contract_vocabulary() -> None:
    assert sorted(SCORE_NAMES) == ["accepted", "engagement", "fit", "icp", "rejected", "tier"]
    assert {"channel", "employees", "created_at"} <= LEAD_FIELDS
    assert {"owner_rep_id", "employees", "abm_target"} <= ACCOUNT_FIELDS


def test_referenced_names_come_in_written_order_with_columns() -> None:
    text = "fit >= 45 and (lead.channel in ['x'] or signal('demo_request')) and account.region"
    refs = referenced_names(parse_criteria(text))
    assert [(r.kind, r.name, r.column, r.text) for r in refs] == [
        ("score", "fit", 1, "fit"),
        ("lead", "channel", 16, "lead.channel"),
        ("signal", "demo_request", 41, "signal('demo_request')"),
        ("account", "region", 69, "account.region"),
    ]


@pytest.mark.parametrize(("ref", "key"), [
    (FIT, "fit"),
    (CHANNEL, "channel"),
    (EMPLOYEES, "account_employees"),
    (DEMO, "signal_demo_request"),
    (DEMO_COUNT, "signal_count_demo_request"),
])
def test_column_key_names_the_column_a_name_reads(ref: NameRef, key: str) -> None:
    assert column_key(ref) == key


def test_bare_and_prefixed_lead_fields_read_the_same_column() -> None:
    bare, prefixed = parse_criteria("channel"), parse_criteria("lead.channel")
    assert bare == prefixed
    assert column_key(referenced_names(bare)[0]) == "channel"


SIGNALS = ["demo_request", "contact_sales", "pricing_page"]


def test_misspelt_score_is_unknown_with_a_suggestion_at_its_column() -> None:
    [problem] = check_names(parse_criteria("fitt >= 3"), SIGNALS)
    assert (problem.name, problem.column, problem.message, problem.suggestion) == (
        "fitt", 1, "unknown name 'fitt'", "fit")


def test_misspelt_signal_is_unknown_with_a_suggestion() -> None:
    [problem] = check_names(parse_criteria("fit > 3 or signal('demo_requets')"), SIGNALS)
    assert (problem.name, problem.column, problem.message, problem.suggestion) == (
        "demo_requets", 12, "unknown signal 'demo_requets'", "demo_request")


def test_misspelt_account_field_suggests_the_prefixed_name() -> None:
    [problem] = check_names(parse_criteria("account.employes >= 1000"), SIGNALS)
    assert (problem.name, problem.column, problem.message, problem.suggestion) == (
        "account.employes", 1, "unknown name 'account.employes'", "account.employees")


def test_account_field_written_bare_suggests_its_account_prefix() -> None:
    [problem] = check_names(parse_criteria("owner_rep_id != ''"), SIGNALS)
    assert problem.suggestion == "account.owner_rep_id"


def test_unknown_signal_count_far_from_any_signal_has_no_suggestion() -> None:
    [problem] = check_names(parse_criteria("signal_count('zzz') > 1"), SIGNALS)
    assert (problem.message, problem.suggestion) == ("unknown signal 'zzz'", None)


def test_starter_contract_criteria_have_no_name_problems() -> None:
    for text in ["fit >= 45 and (engagement >= 40 or signal('demo_request') "
                 "or signal('contact_sales'))",
                 "accepted", "account.owner_rep_id != ''", "account.employees >= 1000",
                 "lead.channel in ['webinar', 'event'] and tier == 'A' and icp != ''"]:
        assert check_names(parse_criteria(text), SIGNALS) == []


# --- meaning: hand-worked cases, live and on DuckDB --------------------------------------

SCHEMA = pa.schema([
    ("row_id", pa.int64()),
    ("fit", pa.int64()),
    ("engagement", pa.float64()),
    ("tier", pa.string()),
    ("accepted", pa.bool_()),
    ("channel", pa.string()),
    ("account_employees", pa.int64()),
    ("account_owner_rep_id", pa.string()),
    ("signal_demo_request", pa.bool_()),
    ("signal_count_demo_request", pa.int64()),
])
COLUMNS = [f.name for f in SCHEMA if f.name != "row_id"]


@pytest.fixture(scope="module")
def con() -> Any:
    return ibis.duckdb.connect()


def batch_truth(con: Any, node: Node, rows: list[dict[str, Any]]) -> list[bool]:
    full = [{"row_id": i, **{c: row.get(c) for c in COLUMNS}} for i, row in enumerate(rows)]
    table = ibis.memtable(pa.Table.from_pylist(full, schema=SCHEMA))
    expr = table.select("row_id", ok=to_ibis(parse_criteria(render(node)), table))
    return con.to_pyarrow(expr.order_by("row_id"))["ok"].to_pylist()


def live_truth(node: Node, rows: list[dict[str, Any]]) -> list[bool]:
    predicate = to_predicate(parse_criteria(render(node)))
    return [predicate(row) for row in rows]


MEANING_CASES = [
    # MQL entry: fit 50 >= 45 and (engagement 10 >= 40 false or demo true) -> true
    ("fit >= 45 and (engagement >= 40 or signal('demo_request'))",
     {"fit": 50, "engagement": 10.0, "signal_demo_request": True}, True),
    # fit unknown; unknown and true = unknown -> false
    ("fit >= 45 and signal('demo_request')", {"signal_demo_request": True}, False),
    # unknown or true = true
    ("fit >= 45 or accepted", {"accepted": True}, True),
    # not unknown = unknown -> false
    ("not fit >= 45", {}, False),
    # false and unknown = false, so not(...) = true
    ("not (fit >= 45 and engagement > 1)", {"fit": 10}, True),
    # bare boolean: null is not true, so `not accepted` holds
    ("not accepted", {}, True),
    ("accepted", {"accepted": False}, False),
    # bare text: empty and null are false, anything else true
    ("account.owner_rep_id", {"account_owner_rep_id": ""}, False),
    ("account.owner_rep_id", {"account_owner_rep_id": "rep-7"}, True),
    ("account.owner_rep_id", {}, False),
    # bare number: zero and null are false
    ("signal_count('demo_request')", {"signal_count_demo_request": 0}, False),
    ("signal_count('demo_request')", {"signal_count_demo_request": 2}, True),
    ("engagement", {"engagement": -0.5}, True),
    # the starter routing rule: '' != '' false; null != '' unknown
    ("account.owner_rep_id != ''", {"account_owner_rep_id": ""}, False),
    ("account.owner_rep_id != ''", {}, False),
    # == null and != null test for null and are never unknown
    ("tier == null", {}, True),
    ("tier != null", {"tier": ""}, True),
    ("not tier == null", {}, False),
    # lists: null operand unknown unless the list holds null
    ("channel in ['webinar', 'event']", {"channel": "event"}, True),
    ("channel in ['webinar', 'event']", {}, False),
    ("channel not in ['webinar', 'event']", {}, False),
    ("channel not in ['webinar']", {"channel": "ads"}, True),
    ("channel in ['webinar', null]", {}, True),
    ("channel not in ['webinar', null]", {}, False),
    # int column against decimals: 1000 >= 999.5
    ("account.employees >= 999.5", {"account_employees": 1000}, True),
    ("account.employees in [1000.0, 5]", {"account_employees": 1000}, True),
    # constants
    ("1 < 2", {}, True),
    ("null == null", {}, True),
    ("null", {}, False),
    ("not null", {}, True),
    ("'a' in ['b', null]", {}, False),
    # text orders by code point: 'B' (66) < 'a' (97)
    ("tier < 'a'", {"tier": "B"}, True),
]


@pytest.mark.parametrize(("text", "row", "expected"), MEANING_CASES)
def test_live_predicate_gives_the_hand_worked_answer(text: str, row: dict[str, Any],
                                                      expected: bool) -> None:
    assert to_predicate(parse_criteria(text))(row) is expected


@pytest.mark.parametrize(("text", "row", "expected"), MEANING_CASES)
def test_duckdb_expression_gives_the_hand_worked_answer(con: Any, text: str,
                                                        row: dict[str, Any],
                                                        expected: bool) -> None:
    assert batch_truth(con, parse_criteria(text), [row]) == [expected]


def test_batch_needs_every_column_the_criteria_read() -> None:
    table = ibis.table({"fit": "int64"}, name="leads")
    with pytest.raises(KeyError, match="account_employees"):
        to_ibis(parse_criteria("fit > 3 and account.employees > 3"), table)


def test_live_ordering_text_against_a_number_raises_a_type_error() -> None:
    predicate = to_predicate(parse_criteria("tier > 3"))
    with pytest.raises(TypeError, match="tier > 3"):
        predicate({"tier": "A"})


def test_live_predicate_unwraps_numpy_scalars() -> None:
    np = pytest.importorskip("numpy")
    predicate = to_predicate(parse_criteria("accepted and fit"))
    assert predicate({"accepted": np.bool_(True), "fit": np.int64(3)}) is True
    assert predicate({"accepted": np.bool_(False), "fit": np.int64(3)}) is False


# --- property tests ---------------------------------------------------------------------

NUMBER_REFS = [FIT, EMPLOYEES, DEMO_COUNT, ENGAGEMENT]
TEXT_REFS = [TIER, CHANNEL, OWNER]
BOOL_REFS = [ACCEPTED, DEMO]

small_ints = st.integers(-3, 3)
floats = st.one_of(st.sampled_from([-1.5, 0.0, 0.5, 2.25]),
                   st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False))
texts = st.text(alphabet="aBé'", max_size=2)
number_literals = st.one_of(small_ints, floats).map(Literal)
text_literals = texts.map(Literal)
bool_literals = st.booleans().map(Literal)
LITERALS = {"number": number_literals, "text": text_literals, "bool": bool_literals}
REFS = {"number": NUMBER_REFS, "text": TEXT_REFS, "bool": BOOL_REFS}
ALL_REFS = NUMBER_REFS + TEXT_REFS + BOOL_REFS
OPS = ["==", "!=", "<", "<=", ">", ">="]


def operands(kind: str) -> st.SearchStrategy[Any]:
    return st.one_of(st.sampled_from(REFS[kind]), LITERALS[kind])


@st.composite
def comparisons(draw: st.DrawFn) -> Node:
    kind = draw(st.sampled_from(sorted(REFS)))
    return Compare(draw(st.sampled_from(OPS)), draw(operands(kind)), draw(operands(kind)))


@st.composite
def null_tests(draw: st.DrawFn) -> Node:
    other = draw(st.one_of(st.sampled_from(ALL_REFS), number_literals, text_literals))
    pair = (other, Literal(None)) if draw(st.booleans()) else (Literal(None), other)
    return Compare(draw(st.sampled_from(["==", "!="])), *pair)


@st.composite
def in_lists(draw: st.DrawFn) -> Node:
    kind = draw(st.sampled_from(sorted(REFS)))
    values = draw(st.lists(LITERALS[kind], min_size=1, max_size=3))
    if draw(st.booleans()):
        values.insert(draw(st.integers(0, len(values))), Literal(None))
    return InList(draw(operands(kind)), tuple(values), draw(st.booleans()))


leaves = st.one_of(
    st.sampled_from(ALL_REFS),
    st.one_of(number_literals, text_literals, bool_literals, st.just(Literal(None))),
    comparisons(),
    null_tests(),
    in_lists(),
)
conditions = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(Not, inner), st.builds(And, inner, inner), st.builds(Or, inner, inner)),
    max_leaves=8,
)

rows = st.fixed_dictionaries({
    "fit": st.none() | small_ints,
    "engagement": st.none() | floats,
    "tier": st.none() | texts,
    "accepted": st.none() | st.booleans(),
    "channel": st.none() | texts,
    "account_employees": st.none() | small_ints,
    "account_owner_rep_id": st.none() | texts,
    "signal_demo_request": st.booleans(),
    "signal_count_demo_request": st.integers(0, 3),
})


@settings(max_examples=300, deadline=None)
@given(conditions)
def test_render_then_parse_gives_back_the_same_tree(node: Node) -> None:
    assert parse_criteria(render(node)) == node


@settings(max_examples=200, deadline=None)
@given(conditions, st.lists(rows, min_size=1, max_size=4))
def test_duckdb_and_live_predicate_agree_on_every_row(con: Any, node: Node,
                                                      sample: list[dict[str, Any]]) -> None:
    assert batch_truth(con, node, sample) == live_truth(node, sample)
