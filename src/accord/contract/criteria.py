"""Criteria expressions (contract keys `stages.<stage>.entry` and `routing.rules[].when`).

The contract writes stage entry criteria and routing conditions as short expressions:

    fit >= 45 and (engagement >= 40 or signal('demo_request'))
    accepted
    account.employees >= 1000
    channel in ['webinar', 'event']

`parse_criteria` turns the text into a small tree of frozen nodes with a hand-written
tokenizer and recursive-descent parser; user text is never evaluated. The same tree then
compiles two ways, which must agree row for row:

- `to_ibis`: an Ibis boolean expression over a table (batch, any Ibis backend);
- `to_predicate`: a Python function over one mapping (live, one event at a time).

Grammar (keywords are lowercase and case-sensitive)::

    criteria   := or_expr
    or_expr    := and_expr ('or' and_expr)*
    and_expr   := not_expr ('and' not_expr)*
    not_expr   := 'not' not_expr | predicate
    predicate  := '(' or_expr ')' | value [tail]
    tail       := cmp_op value | 'in' list | 'not' 'in' list
    cmp_op     := '==' | '!=' | '<' | '<=' | '>' | '>='
    list       := '[' literal (',' literal)* [','] ']'
    value      := literal | name | call
    literal    := integer | decimal | '-' number | 'text' | "text" | true | false | null
    name       := score | lead_field | 'lead.' field | 'account.' field
    call       := signal('name') | signal_count('name')

Names and the columns they read (see `column_key`): the scores `fit`, `engagement`, `tier`,
`icp`, `accepted`, `rejected`; lead fields bare or as `lead.<field>`; account fields as
`account.<field>` (column `account_<field>`); `signal('x')` (column `signal_x`, a flag: the
lead showed that signal) and `signal_count('x')` (column `signal_count_x`, how many times).
The parser accepts any field name so that `check_names` can report every unknown one with
a suggestion; a contract is valid only when `check_names` finds nothing.

Meaning — SQL's three-valued logic, the same in both compilers:

- A comparison with a null operand is unknown; `and`, `or` and `not` follow Kleene logic
  (false and unknown = false, true or unknown = true, not unknown = unknown). The overall
  result unknown counts as false.
- Comparing with the literal `null` tests for null: `x == null` is "x is null" and
  `x != null` is "x is not null"; neither is ever unknown. Ordering (`<` …) with `null` is
  a syntax error. A list is a chain of `==`: `x in ['a', null]` is
  `x == 'a' or x == null`; `x not in [...]` is `not (x in [...])`, so a null `x` is
  unknown against a list without `null`.
- Truthiness: a bare value where a condition is needed (`accepted`, `signal('x')`,
  `account.owner_rep_id`, `not rejected`) is true when it is not null and not "empty":
  a boolean must be true, a number must be non-zero, text must be non-empty; any other
  value (dates, timestamps) counts when it is not null. Truthiness is never unknown, so
  `not rejected` holds for a lead whose `rejected` is null. In Ibis the rule follows the
  column's type; in Python, the value's type.
- Comparisons compile as written. Compare numbers with numbers, text with text and
  booleans with booleans: other mixes (e.g. `channel == 5`) are not rejected, but the
  backends may answer differently or raise (Python raises `TypeError` for ordering text
  against numbers; DuckDB tries to cast). Text orders by code point in both.
- Python rows: `None` is null and a key missing from the mapping reads as null (an
  unmatched account). NumPy scalars are unwrapped first. Float NaN is not supported.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
import typing as t
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final, TypeAlias, assert_never

import ibis
import ibis.expr.types as ir
from rapidfuzz import fuzz, process

from accord.errors import CriteriaSyntaxError

__all__ = [
    "ACCOUNT_FIELDS",
    "LEAD_FIELDS",
    "SCORE_NAMES",
    "And",
    "Compare",
    "InList",
    "Literal",
    "NameProblem",
    "NameRef",
    "Node",
    "Not",
    "Or",
    "Value",
    "check_names",
    "column_key",
    "lower_bounds",
    "parse_criteria",
    "referenced_names",
    "render",
    "to_ibis",
    "to_predicate",
]

LEAD_FIELDS: Final[frozenset[str]] = frozenset({
    "title", "company", "country", "channel", "campaign_id", "landing_page", "email",
    "created_at", "industry", "employees",
})
ACCOUNT_FIELDS: Final[frozenset[str]] = frozenset({
    "name", "domain", "industry", "employees", "annual_revenue", "country", "region",
    "segment", "abm_target", "owner_rep_id", "created_at",
})
SCORE_NAMES: Final[frozenset[str]] = frozenset({
    "fit", "engagement", "tier", "icp", "accepted", "rejected",
})

NameKind = t.Literal["score", "lead", "account", "signal", "signal_count"]
CompareOp = t.Literal["==", "!=", "<", "<=", ">", ">="]
Scalar: TypeAlias = bool | int | float | str | None

_KEYWORDS: Final = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_CALLS: Final = ("signal", "signal_count")
_PREFIXES: Final = ("lead", "account")
_NAME_KINDS: Final = frozenset(t.get_args(NameKind))
_COMPARE_OPS: Final = frozenset(t.get_args(CompareOp))
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_OPERATOR_RUN = re.compile(r"[=!<>&|]+")
_WORD_RUN = re.compile(r"[\w.]+")
_OPERATOR_FIXES: Final = {
    "=": "==", "===": "==", "=>": ">=", "=<": "<=", "<>": "!=", "!==": "!=",
    "!": "not", "&": "and", "&&": "and", "|": "or", "||": "or",
}
_MAX_TOKENS: Final = 500
_MAX_NESTING: Final = 32


def _keyword_fix(word: str) -> str | None:
    """The keyword meant by a wrongly cased or Python-style word (`AND`, `True`, `None`)."""
    lowered = word.lower()
    if word in _KEYWORDS:
        return None
    if lowered in _KEYWORDS:
        return lowered
    return "null" if lowered == "none" else None


# --- the tree ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NameRef:
    """A name in criteria: a score, lead field, account field, signal flag or signal count.

    `column` (1-based, 0 when built in code) and `text` (as written, e.g. `lead.channel`)
    locate the name for messages; they take no part in equality, so a tree parsed from
    differently spaced text equals the original.
    """

    kind: NameKind
    name: str
    column: int = field(default=0, compare=False)
    text: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if self.kind not in _NAME_KINDS:
            raise ValueError(f"unknown name kind {self.kind!r}")
        if not _IDENTIFIER.fullmatch(self.name):
            raise ValueError(f"names use letters, digits and '_', not {self.name!r}")
        if self.kind == "score" and self.name not in SCORE_NAMES:
            raise ValueError(f"{self.name!r} is not a score; scores are {sorted(SCORE_NAMES)}")
        if self.kind in _PREFIXES and (self.name in _KEYWORDS or _keyword_fix(self.name)):
            raise ValueError(f"a field can't be named like the keyword {self.name!r}")


@dataclass(frozen=True, slots=True, eq=False)
class Literal:
    """A constant: integer, decimal (a finite float), text, `true`, `false` or `null`.

    Equal only to a literal of the same type, so `1`, `1.0` and `true` stay distinct.
    """

    value: Scalar

    def __post_init__(self) -> None:
        if self.value is not None and not isinstance(self.value, bool | int | float | str):
            raise TypeError(f"a criteria literal can't be {type(self.value).__name__}")
        if isinstance(self.value, float) and not math.isfinite(self.value):
            raise ValueError(f"decimals in criteria are finite, not {self.value!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Literal):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value), self.value))


Value: TypeAlias = Literal | NameRef


@dataclass(frozen=True, slots=True)
class Compare:
    """`left op right`; see the module docstring for nulls and mixed types."""

    op: CompareOp
    left: Value
    right: Value


@dataclass(frozen=True, slots=True)
class InList:
    """`operand in [values]`, or `operand not in [values]` when `negated`."""

    operand: Value
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node


@dataclass(frozen=True, slots=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Or:
    left: Node
    right: Node


Node: TypeAlias = Literal | NameRef | Compare | InList | Not | And | Or


@dataclass(frozen=True, slots=True)
class NameProblem:
    """A name criteria use that the contract does not know, with the closest known name."""

    name: str
    column: int
    message: str
    suggestion: str | None = None

    def __str__(self) -> str:
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        return f"column {self.column}: {self.message}{hint}"


# --- tokenizer --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: t.Literal["name", "keyword", "number", "string", "op", "punct", "end"]
    text: str
    column: int
    value: Scalar = None


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)

    def fail(message: str, index: int) -> CriteriaSyntaxError:
        return CriteriaSyntaxError(message, text, index + 1)

    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "_" or (ch.isascii() and ch.isalpha()):
            word = _match(_IDENTIFIER, text, i)
            fix = _keyword_fix(word)
            if fix:
                raise fail(f"{word!r} is not a keyword; did you mean {fix!r}?", i)
            tokens.append(_Token("keyword" if word in _KEYWORDS else "name", word, i + 1))
            i += len(word)
        elif ch in "0123456789":
            digits = _match(_NUMBER, text, i)
            end = i + len(digits)
            if end < n and text[end] == ".":
                raise fail(f"expected digits after '{digits}.'", end)
            if end < n and (text[end] == "_" or text[end].isalnum()):
                run = _match(_WORD_RUN, text, i)
                raise fail(f"{run!r} is neither a number nor a name", i)
            value = float(digits) if "." in digits else int(digits)
            tokens.append(_Token("number", digits, i + 1, value))
            i = end
        elif ch in "'\"":
            i = _read_string(text, i, tokens)
        elif ch in "=!<>&|":
            run = _match(_OPERATOR_RUN, text, i)
            if run not in _COMPARE_OPS:
                fix = _OPERATOR_FIXES.get(run)
                hint = f"; did you mean {fix!r}?" if fix else ""
                raise fail(f"unknown operator {run!r}{hint}", i)
            tokens.append(_Token("op", run, i + 1))
            i += len(run)
        elif ch in "()[],.-":
            tokens.append(_Token("punct", ch, i + 1))
            i += 1
        elif ch in "+*/%":
            raise fail(f"arithmetic isn't supported in criteria, found {ch!r}", i)
        else:
            raise fail(f"unexpected character {ch!r}", i)
        if len(tokens) > _MAX_TOKENS:
            raise fail(f"criteria are too long (over {_MAX_TOKENS} parts); split them", i)
    tokens.append(_Token("end", "", n + 1))
    return tokens


def _match(pattern: re.Pattern[str], text: str, start: int) -> str:
    found = pattern.match(text, start)
    assert found is not None, "the caller checked the first character"
    return found.group()


def _read_string(text: str, start: int, tokens: list[_Token]) -> int:
    """Read a quoted string at `start`; `\\\\`, `\\'` and `\\"` are the only escapes."""
    quote = text[start]
    chars: list[str] = []
    j = start + 1
    while True:
        if j >= len(text):
            raise CriteriaSyntaxError(f"unclosed string; end it with {quote}", text, start + 1)
        c = text[j]
        if c == quote:
            break
        if c == "\\":
            nxt = text[j + 1] if j + 1 < len(text) else ""
            if nxt not in ("\\", "'", '"') or not nxt:
                raise CriteriaSyntaxError(
                    "unknown escape in text; only \\\\, \\' and \\\" are allowed", text, j + 1)
            chars.append(nxt)
            j += 2
            continue
        chars.append(c)
        j += 1
    tokens.append(_Token("string", text[start:j + 1], start + 1, "".join(chars)))
    return j + 1


# --- parser -----------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.pos = 0
        self.nesting = 0

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def advance(self) -> _Token:
        token = self.peek()
        if token.kind != "end":
            self.pos += 1
        return token

    def fail(self, message: str, column: int) -> CriteriaSyntaxError:
        return CriteriaSyntaxError(message, self.text, column)

    @staticmethod
    def is_punct(token: _Token, text: str) -> bool:
        return token.kind == "punct" and token.text == text

    @staticmethod
    def is_keyword(token: _Token, text: str) -> bool:
        return token.kind == "keyword" and token.text == text

    def expected(self, what: str, after: str | None) -> CriteriaSyntaxError:
        token = self.peek()
        message = f"expected {what} after {after!r}" if after else f"expected {what}"
        if token.kind != "end":
            message += f", found {token.text!r}"
        return self.fail(message, token.column)

    def enter(self, token: _Token) -> None:
        self.nesting += 1
        if self.nesting > _MAX_NESTING:
            raise self.fail("the criteria nest too deeply", token.column)

    def parse(self) -> Node:
        if self.peek().kind == "end":
            raise self.fail("the criteria are empty; write a condition such as 'fit >= 45'", 1)
        node = self.parse_or(None)
        token = self.peek()
        if token.kind != "end":
            if self.is_punct(token, ")"):
                raise self.fail("unmatched ')'", token.column)
            raise self.fail(f"expected 'and' or 'or' before {token.text!r}", token.column)
        return node

    def parse_or(self, after: str | None) -> Node:
        node = self.parse_and(after)
        while self.is_keyword(self.peek(), "or"):
            self.advance()
            node = Or(node, self.parse_and("or"))
        return node

    def parse_and(self, after: str | None) -> Node:
        node = self.parse_not(after)
        while self.is_keyword(self.peek(), "and"):
            self.advance()
            node = And(node, self.parse_not("and"))
        return node

    def parse_not(self, after: str | None) -> Node:
        token = self.peek()
        if self.is_keyword(token, "not"):
            self.advance()
            self.enter(token)
            node = Not(self.parse_not("not"))
            self.nesting -= 1
            return node
        return self.parse_predicate(after)

    def parse_predicate(self, after: str | None) -> Node:
        token = self.peek()
        if not self.is_punct(token, "("):
            return self.parse_tail(self.parse_value("a condition", after))
        self.advance()
        self.enter(token)
        inner = self.parse_or("(")
        close = self.peek()
        if not self.is_punct(close, ")"):
            if close.kind == "end":
                raise self.fail("unclosed '('", token.column)
            raise self.fail(f"expected 'and', 'or' or ')' before {close.text!r}", close.column)
        self.advance()
        self.nesting -= 1
        if isinstance(inner, Literal | NameRef):
            return self.parse_tail(inner)
        nxt = self.peek()
        if nxt.kind == "op" or self.is_keyword(nxt, "in") or (
            self.is_keyword(nxt, "not") and self.is_keyword(self.peek(1), "in")
        ):
            raise self.fail(
                f"a condition in brackets can't be compared with {nxt.text!r}; "
                "compare a name or a value", nxt.column)
        return inner

    def parse_tail(self, left: Value) -> Node:
        token = self.peek()
        if token.kind == "op":
            self.advance()
            op = t.cast(CompareOp, token.text)
            right = self.parse_value("a value", op)
            if op not in ("==", "!=") and Literal(None) in (left, right):
                raise self.fail(f"null can only be compared with '==' or '!=', not {op!r}",
                                token.column)
            nxt = self.peek()
            if nxt.kind == "op" or self.is_keyword(nxt, "in"):
                raise self.fail("comparisons can't be chained; join them with 'and'",
                                nxt.column)
            return Compare(op, left, right)
        if self.is_keyword(token, "in"):
            self.advance()
            return InList(left, self.parse_list("in"))
        if self.is_keyword(token, "not") and self.is_keyword(self.peek(1), "in"):
            self.advance()
            self.advance()
            return InList(left, self.parse_list("not in"), negated=True)
        return left

    def parse_value(self, what: str, after: str | None) -> Value:
        token = self.peek()
        literal = self.parse_literal()
        if literal is not None:
            return literal
        if token.kind == "name":
            return self.parse_name()
        raise self.expected(what, after)

    def parse_literal(self) -> Literal | None:
        token = self.peek()
        if token.kind in ("number", "string"):
            self.advance()
            return Literal(token.value)
        if token.kind == "keyword" and token.text in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[token.text])
        if self.is_punct(token, "-"):
            self.advance()
            number = self.peek()
            if number.kind != "number":
                raise self.expected("a number", "-")
            self.advance()
            return Literal(-t.cast(int | float, number.value))
        return None

    def parse_name(self) -> NameRef:
        token = self.advance()
        word = token.text
        nxt = self.peek()
        if self.is_punct(nxt, "("):
            return self.parse_call(token)
        if word in _CALLS:
            raise self.fail(f"{word} needs a signal name in brackets, e.g. "
                            f"{word}('demo_request')", token.column)
        if word in _PREFIXES:
            example = "account.employees" if word == "account" else "lead.title"
            if not self.is_punct(nxt, "."):
                raise self.fail(f"expected '.' and a field name after {word!r}, e.g. {example}",
                                token.column)
            self.advance()
            name = self.peek()
            if name.kind != "name":
                raise self.expected("a field name", f"{word}.")
            self.advance()
            if self.is_punct(self.peek(), "."):
                raise self.fail(f"unexpected '.'; a field has one name, e.g. {example}",
                                self.peek().column)
            kind: NameKind = "account" if word == "account" else "lead"
            return NameRef(kind, name.text, token.column, f"{word}.{name.text}")
        if self.is_punct(nxt, "."):
            guess = _closest(word, _PREFIXES)
            hint = (f"did you mean {guess!r}?" if guess
                    else "fields are written lead.<field> or account.<field>")
            raise self.fail(f"unknown prefix {word!r}; {hint}", token.column)
        return NameRef("score" if word in SCORE_NAMES else "lead", word, token.column, word)

    def parse_call(self, function: _Token) -> NameRef:
        word = function.text
        if word not in _CALLS:
            guess = _closest(word, _CALLS)
            hint = (f"did you mean {guess!r}?" if guess
                    else "criteria can call signal('name') and signal_count('name')")
            raise self.fail(f"unknown function {word!r}; {hint}", function.column)
        opening = self.advance()
        arg = self.peek()
        if arg.kind == "end":
            raise self.fail("unclosed '('", opening.column)
        if arg.kind == "name":
            raise self.fail(f"put the signal name in quotes: {word}('{arg.text}')", arg.column)
        if arg.kind != "string":
            raise self.fail(f"{word}() needs a signal name in quotes, e.g. "
                            f"{word}('demo_request')", arg.column)
        self.advance()
        name = t.cast(str, arg.value)
        if not _IDENTIFIER.fullmatch(name):
            raise self.fail(f"signal names use letters, digits and '_', not {name!r}",
                            arg.column)
        close = self.peek()
        if close.kind == "end":
            raise self.fail("unclosed '('", opening.column)
        if self.is_punct(close, ","):
            raise self.fail(f"{word}() takes one signal name", close.column)
        if not self.is_punct(close, ")"):
            raise self.fail(f"expected ')' after the signal name, found {close.text!r}",
                            close.column)
        self.advance()
        kind: NameKind = "signal" if word == "signal" else "signal_count"
        return NameRef(kind, name, function.column, f"{word}({_quote(name)})")

    def parse_list(self, after: str) -> tuple[Literal, ...]:
        opening = self.peek()
        if not self.is_punct(opening, "["):
            raise self.fail(f"expected a list in square brackets after {after!r}, "
                            "e.g. ['webinar', 'event']", opening.column)
        self.advance()
        values: list[Literal] = []
        first_type: str | None = None
        while True:
            token = self.peek()
            if self.is_punct(token, "]"):
                if not values:
                    raise self.fail("the list is empty; add at least one value",
                                    opening.column)
                self.advance()
                return tuple(values)
            if token.kind == "end":
                raise self.fail("unclosed '['", opening.column)
            literal = self.parse_literal()
            if literal is None:
                raise self.fail("lists hold only values (numbers, text in quotes, true, "
                                f"false, null), found {token.text!r}", token.column)
            value_type = _type_word(literal.value)
            if value_type is not None:
                if first_type is not None and value_type != first_type:
                    raise self.fail(f"a list can't mix {first_type} and {value_type}",
                                    token.column)
                first_type = value_type
            values.append(literal)
            sep = self.peek()
            if self.is_punct(sep, ","):
                self.advance()
            elif sep.kind == "end":
                raise self.fail("unclosed '['", opening.column)
            elif not self.is_punct(sep, "]"):
                raise self.fail(f"expected ',' or ']' after {token.text!r}, found {sep.text!r}",
                                sep.column)


def _type_word(value: Scalar) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "booleans"
    return "text" if isinstance(value, str) else "numbers"


def parse_criteria(text: str) -> Node:
    """Parse criteria text into a tree; raise `CriteriaSyntaxError` with a 1-based column.

    Errors point at the offending token (or one past the end when text is missing), e.g.
    "expected a value after '>='" for `fit >=` at column 7, "unclosed '('" at the bracket,
    "unknown operator '=>'; did you mean '>='?". Names are not checked here; see
    `check_names`.
    """
    if not isinstance(text, str):
        raise TypeError(f"criteria must be text, not {type(text).__name__}")
    return _Parser(text).parse()


# --- names ------------------------------------------------------------------------------


def referenced_names(node: Node) -> list[NameRef]:
    """Every name the criteria read, in the order they are written (repeats included)."""
    return list(_walk_names(node))


def _walk_names(node: Node) -> Iterator[NameRef]:
    match node:
        case NameRef():
            yield node
        case Literal():
            return
        case Compare(_, left, right):
            yield from _walk_names(left)
            yield from _walk_names(right)
        case InList(operand, _, _):
            yield from _walk_names(operand)
        case Not(operand):
            yield from _walk_names(operand)
        case And(left, right) | Or(left, right):
            yield from _walk_names(left)
            yield from _walk_names(right)
        case _:
            assert_never(node)


def column_key(ref: NameRef) -> str:
    """The column (batch) or mapping key (live) a name reads.

    `fit` -> `fit`; `channel` and `lead.channel` -> `channel`; `account.employees` ->
    `account_employees`; `signal('x')` -> `signal_x`; `signal_count('x')` ->
    `signal_count_x`.
    """
    match ref.kind:
        case "score" | "lead":
            return ref.name
        case "account":
            return f"account_{ref.name}"
        case "signal":
            return f"signal_{ref.name}"
        case "signal_count":
            return f"signal_count_{ref.name}"
        case _:
            assert_never(ref.kind)


_AT_LEAST: Final = frozenset({">=", ">"})
_AT_MOST: Final = frozenset({"<=", "<"})


def lower_bounds(node: Node, key: str) -> tuple[float, ...]:
    """The numbers criteria require the name read as `key` (see `column_key`: `fit`,
    `engagement`, `account_employees`, …) to reach, in the order written: `x` of every
    `key >= x` or `key > x` (also written `x <= key`, `x < key`) with a number `x`,
    inside `and` and `or` but not under `not` (which would turn it into an upper bound).

    For `fit >= 45 and (engagement >= 40 or signal('demo_request'))`: `fit` -> (45.0,),
    `engagement` -> (40.0,), `tier` -> (). A reader of thresholds (the simulator's idea
    of the handoff) asks this instead of reading criteria text."""
    found: list[float] = []

    def walk(n: Node) -> None:
        match n:
            case And(left, right) | Or(left, right):
                walk(left)
                walk(right)
            case Compare(op, NameRef() as ref, Literal(value)) if op in _AT_LEAST:
                if column_key(ref) == key and _is_number(value):
                    found.append(float(t.cast(float, value)))
            case Compare(op, Literal(value), NameRef() as ref) if op in _AT_MOST:
                if column_key(ref) == key and _is_number(value):
                    found.append(float(t.cast(float, value)))
            case _:
                return

    walk(node)
    return tuple(found)


def _is_number(value: Scalar) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _written(ref: NameRef) -> str:
    return ref.text or render(ref)


_BARE_NAMES: Final = sorted(
    SCORE_NAMES | LEAD_FIELDS | {f"account.{f}" for f in ACCOUNT_FIELDS})
_PREFIXED_NAMES: Final = sorted(
    {f"lead.{f}" for f in LEAD_FIELDS} | {f"account.{f}" for f in ACCOUNT_FIELDS})


def check_names(node: Node, signals: Collection[str]) -> list[NameProblem]:
    """Report every unknown field or signal, with the closest known name as a suggestion.

    Scores are always known; lead and account fields are `LEAD_FIELDS` and
    `ACCOUNT_FIELDS`; `signal('x')` and `signal_count('x')` need `x` among `signals` (the
    contract's `signals` keys). Problems come in the order the names are written.
    """
    known_signals = sorted(set(signals))
    problems: list[NameProblem] = []
    for ref in referenced_names(node):
        match ref.kind:
            case "score":
                continue
            case "lead" | "account":
                fields = LEAD_FIELDS if ref.kind == "lead" else ACCOUNT_FIELDS
                if ref.name in fields:
                    continue
                written = _written(ref)
                choices = _BARE_NAMES if ref.kind == "lead" and "." not in written \
                    else _PREFIXED_NAMES
                problems.append(NameProblem(written, ref.column, f"unknown name {written!r}",
                                            _closest(written, choices)))
            case "signal" | "signal_count":
                if ref.name in known_signals:
                    continue
                problems.append(NameProblem(ref.name, ref.column,
                                            f"unknown signal {ref.name!r}",
                                            _closest(ref.name, known_signals)))
            case _:
                assert_never(ref.kind)
    return problems


def _closest(word: str, choices: Collection[str]) -> str | None:
    found = process.extractOne(word, list(choices), scorer=fuzz.ratio, score_cutoff=60)
    return None if found is None else str(found[0])


# --- render -----------------------------------------------------------------------------

_OR, _AND, _NOT, _ATOM = 1, 2, 3, 4


def _precedence(node: Node) -> int:
    match node:
        case Or():
            return _OR
        case And():
            return _AND
        case Not():
            return _NOT
        case _:
            return _ATOM


def render(node: Node) -> str:
    """Canonical text for a tree: single spaces, minimal brackets, single quotes where
    possible, lead fields bare; `parse_criteria(render(n)) == n`."""
    match node:
        case Literal(value):
            return _render_scalar(value)
        case NameRef():
            return _render_name(node)
        case Compare(op, left, right):
            return f"{render(left)} {op} {render(right)}"
        case InList(operand, values, negated):
            items = ", ".join(render(v) for v in values)
            return f"{render(operand)} {'not in' if negated else 'in'} [{items}]"
        case Not(operand):
            return f"not {_wrap(operand, _NOT, right=False)}"
        case And(left, right):
            return f"{_wrap(left, _AND, right=False)} and {_wrap(right, _AND, right=True)}"
        case Or(left, right):
            return f"{_wrap(left, _OR, right=False)} or {_wrap(right, _OR, right=True)}"
        case _:
            assert_never(node)


def _wrap(node: Node, parent: int, *, right: bool) -> str:
    text = render(node)
    own = _precedence(node)
    return f"({text})" if own < parent or (right and own == parent) else text


def _render_name(ref: NameRef) -> str:
    match ref.kind:
        case "score":
            return ref.name
        case "lead":
            reserved = ref.name in SCORE_NAMES or ref.name in _PREFIXES or ref.name in _CALLS
            return f"lead.{ref.name}" if reserved else ref.name
        case "account":
            return f"account.{ref.name}"
        case "signal" | "signal_count":
            return f"{ref.kind}({_quote(ref.name)})"
        case _:
            assert_never(ref.kind)


def _render_scalar(value: Scalar) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = format(Decimal(repr(value)), "f")
        return text if "." in text else f"{text}.0"
    return _quote(value)


def _quote(text: str) -> str:
    quote = '"' if "'" in text and '"' not in text else "'"
    escaped = text.replace("\\", "\\\\").replace(quote, "\\" + quote)
    return f"{quote}{escaped}{quote}"


# --- shared meaning ---------------------------------------------------------------------

_OPERATORS: Final[dict[str, Callable[[Any, Any], Any]]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt,
    "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


def _truthy(value: Any) -> bool:
    """Truthiness of one Python value (module docstring): never unknown."""
    if value is None:
        return False
    if getattr(value, "dtype", None) is not None and hasattr(value, "item"):
        value = value.item()  # NumPy scalar
    if isinstance(value, str):
        return value != ""
    if isinstance(value, bool | numbers.Number):
        return bool(value)
    return True


def _constant(node: Node) -> bool | None:
    """The truth value of a condition that reads no names, or None if it reads some."""
    if referenced_names(node):
        return None
    return _python_condition(node)({})


# --- batch: Ibis ------------------------------------------------------------------------


def to_ibis(node: Node, table: ibis.Table) -> ir.BooleanValue:
    """The criteria as an Ibis boolean over `table`, null filled as false.

    Every name reads the column `column_key(name)`; a missing column raises `KeyError`.
    Comparisons and `and`/`or`/`not` are SQL's, which is Kleene logic already.
    """
    missing = sorted({column_key(r) for r in referenced_names(node)} - set(table.columns))
    if missing:
        raise KeyError(f"criteria {render(node)!r} need column(s) {', '.join(missing)}")
    return _ibis_condition(node, table).fill_null(False)


def _ibis_value(node: Value, table: ibis.Table) -> ir.Value:
    match node:
        case NameRef():
            return table[column_key(node)]
        case Literal(value):
            return ibis.literal(value)
        case _:
            assert_never(node)


def _ibis_truthy(value: ir.Value) -> ir.BooleanValue:
    dtype = value.type()
    if dtype.is_boolean():
        return value.fill_null(False)
    if dtype.is_numeric():
        return (value != 0).fill_null(False)
    if dtype.is_string():
        return (value != "").fill_null(False)
    return value.notnull()


def _ibis_condition(node: Node, table: ibis.Table) -> ir.BooleanValue:
    folded = _constant(node)
    if folded is not None:
        return ibis.literal(folded)
    match node:
        case Literal(value):
            return ibis.literal(_truthy(value))
        case NameRef():
            return _ibis_truthy(_ibis_value(node, table))
        case Compare(op, left, right):
            if Literal(None) in (left, right):
                column = _ibis_value(right if left == Literal(None) else left, table)
                return column.isnull() if op == "==" else column.notnull()
            return _OPERATORS[op](_ibis_value(left, table), _ibis_value(right, table))
        case InList(operand, values, negated):
            column = _ibis_value(operand, table)
            present = [v.value for v in values if v.value is not None]
            parts = [column.isin(present)] if present else []
            if len(present) < len(values):
                parts.append(column.isnull())
            found = parts[0] if len(parts) == 1 else parts[0] | parts[1]
            return ~found if negated else found
        case Not(operand):
            return ~_ibis_condition(operand, table)
        case And(left, right):
            return _ibis_condition(left, table) & _ibis_condition(right, table)
        case Or(left, right):
            return _ibis_condition(left, table) | _ibis_condition(right, table)
        case _:
            assert_never(node)


# --- live: Python -----------------------------------------------------------------------

_Row: TypeAlias = Mapping[str, Any]
_Test: TypeAlias = Callable[[_Row], bool | None]


def to_predicate(node: Node) -> Callable[[Mapping[str, Any]], bool]:
    """The criteria as a function of one row (keys by `column_key`); unknown is false.

    Compiled once into closures, so a call costs a few dict lookups and comparisons.
    Ordering text against a number raises `TypeError` naming the criteria.
    """
    test = _python_condition(node)

    def predicate(row: Mapping[str, Any]) -> bool:
        return test(row) is True

    return predicate


def _python_value(node: Value) -> Callable[[_Row], Any]:
    match node:
        case NameRef():
            key = column_key(node)
            return lambda row: row.get(key)
        case Literal(value):
            return lambda row: value
        case _:
            assert_never(node)


def _python_condition(node: Node) -> _Test:
    match node:
        case Literal(value):
            constant = _truthy(value)
            return lambda row: constant
        case NameRef():
            key = column_key(node)
            return lambda row: _truthy(row.get(key))
        case Compare(op, left, right):
            return _python_compare(node, op, left, right)
        case InList(operand, values, negated):
            return _python_in(_python_value(operand), values, negated)
        case Not(operand):
            inner = _python_condition(operand)

            def negate(row: _Row) -> bool | None:
                result = inner(row)
                return None if result is None else not result

            return negate
        case And(left, right):
            first, second = _python_condition(left), _python_condition(right)

            def both(row: _Row) -> bool | None:
                a = first(row)
                if a is False:
                    return False
                b = second(row)
                if b is False:
                    return False
                return None if a is None or b is None else True

            return both
        case Or(left, right):
            first, second = _python_condition(left), _python_condition(right)

            def either(row: _Row) -> bool | None:
                a = first(row)
                if a is True:
                    return True
                b = second(row)
                if b is True:
                    return True
                return None if a is None or b is None else False

            return either
        case _:
            assert_never(node)


def _python_compare(node: Compare, op: CompareOp, left: Value, right: Value) -> _Test:
    if Literal(None) in (left, right):
        other = _python_value(right if left == Literal(None) else left)
        if op == "==":
            return lambda row: other(row) is None
        return lambda row: other(row) is not None
    read_left, read_right = _python_value(left), _python_value(right)
    compare = _OPERATORS[op]

    def test(row: _Row) -> bool | None:
        a, b = read_left(row), read_right(row)
        if a is None or b is None:
            return None
        try:
            return bool(compare(a, b))
        except TypeError:
            raise TypeError(
                f"criteria {render(node)!r} compare {a!r} with {b!r}, which can't be ordered"
            ) from None

    return test


def _python_in(read: Callable[[_Row], Any], values: tuple[Literal, ...],
               negated: bool) -> _Test:
    present = [v.value for v in values if v.value is not None]
    has_null = len(present) < len(values)

    def found(row: _Row) -> bool | None:
        value = read(row)
        if value is None:
            return True if has_null else None
        return any(value == v for v in present)

    if not negated:
        return found

    def not_found(row: _Row) -> bool | None:
        result = found(row)
        return None if result is None else not result

    return not_found
