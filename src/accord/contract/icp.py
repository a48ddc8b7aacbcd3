"""The scoring part of the contract, compiled (contract keys `icps` and `signals`).

ICP criteria and signals as small frozen models (`ScoringModel`), and the one meaning of
an ICP condition (`in`, `not_in`, `between`, `gte`, `lte`, `eq`, `contains_any`) with its
two compilers: `condition_holds` (one value, live) and `condition_to_ibis` (a column,
batch). The rules of each operator are in `engine/scoring.py`'s docstring; this module is
the only place they are interpreted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypeAlias, assert_never, cast

import ibis
import ibis.expr.types as ir

from accord.contract.criteria import ACCOUNT_FIELDS, LEAD_FIELDS
from accord.contract.schema import Contract

US_PER_DAY = 86_400_000_000

ConditionOp = Literal["in", "not_in", "between", "gte", "lte", "eq", "contains_any"]
_Kind = Literal["text", "number", "bool"]
Scalar: TypeAlias = str | int | float | bool


# --- the model, compiled once from the contract -----------------------------------------


@dataclass(frozen=True)
class FitCriterion:
    """One ICP criterion: `field` `op` `operand` earns `points`."""

    field: str
    conditions: tuple[tuple[ConditionOp, Any], ...]
    points: int

    def describe(self) -> str:
        """The condition as the contract writes it, e.g. `employees between [50, 1000]`."""
        parts = []
        for op, operand in self.conditions:
            shown = list(operand) if isinstance(operand, tuple) else operand
            parts.append(f"{self.field} {op.replace('_', ' ')} {shown}")
        return " and ".join(parts)


@dataclass(frozen=True)
class IcpModel:
    name: str
    criteria: tuple[FitCriterion, ...]
    tiers: tuple[tuple[str, float], ...]  # highest first

    def tier_for(self, fit: float) -> str | None:
        for name, minimum in self.tiers:
            if fit >= minimum:
                return name
        return None


@dataclass(frozen=True)
class SignalModel:
    name: str
    points: int
    half_life_days: float | None
    once: bool  # a hand-raise: counts once, from its first touch

    @property
    def half_life_us(self) -> float | None:
        return None if self.half_life_days is None else self.half_life_days * US_PER_DAY


@dataclass(frozen=True)
class ScoringModel:
    """The scoring part of a contract: ICPs in contract order and signals by name."""

    icps: tuple[IcpModel, ...]
    signals: tuple[SignalModel, ...]

    @classmethod
    def from_contract(cls, contract: Contract) -> ScoringModel:
        icps = []
        for name, icp in contract.icps.items():
            criteria = tuple(
                FitCriterion(field, tuple((cast(ConditionOp, op), _operand(value))
                                          for op, value in crit.conditions.items()),
                             crit.points)
                for field, crit in icp.criteria.items())
            icps.append(IcpModel(name, criteria, tuple(icp.tiers.items())))
        signals = tuple(
            SignalModel(name, s.points, s.half_life_days, s.intent == "hand_raise")
            for name, s in contract.signals.items())
        return cls(tuple(icps), signals)

    @property
    def signal_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.signals)

    def signal(self, name: str) -> SignalModel | None:
        for s in self.signals:
            if s.name == name:
                return s
        return None


def _operand(value: Any) -> Any:
    return tuple(value) if isinstance(value, list | tuple) else value


def field_keys(field: str) -> tuple[str, ...]:
    """The lead-frame keys an ICP field reads, first non-null wins: the account's field
    (`account_<field>`), then the lead's own (`<field>`)."""
    keys = []
    if field in ACCOUNT_FIELDS:
        keys.append(f"account_{field}")
    if field in LEAD_FIELDS:
        keys.append(field)
    if not keys:
        raise KeyError(f"ICP field {field!r} is neither a lead nor an account field")
    return tuple(keys)


# --- conditions: one meaning, two compilers ---------------------------------------------


def _kind(value: Any) -> _Kind | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "text"
    return None


def _ibis_kind(value: ir.Value) -> _Kind | None:
    dtype = value.type()
    if dtype.is_boolean():
        return "bool"
    if dtype.is_numeric():
        return "number"
    if dtype.is_string():
        return "text"
    return None


def unwrap_scalar(value: Any) -> Any:
    if getattr(value, "dtype", None) is not None and hasattr(value, "item"):
        return value.item()  # NumPy scalar
    return value


def condition_holds(op: ConditionOp, operand: Any, value: Any) -> bool:
    """Whether one condition holds on one value (live)."""
    value = unwrap_scalar(value)
    kind = _kind(value)
    if value is None or kind is None:
        return False
    match op:
        case "in" | "not_in":
            found = any(_kind(v) == kind and value == v for v in operand)
            return found if op == "in" else not found
        case "between":
            lo, hi = operand
            return kind == "number" and lo <= value <= hi
        case "gte":
            return kind == "number" and value >= operand
        case "lte":
            return kind == "number" and value <= operand
        case "eq":
            return _kind(operand) == kind and value == operand
        case "contains_any":
            if kind != "text":
                return False
            low = value.lower()
            return any(word.lower() in low for word in operand)
        case _:
            assert_never(op)


def condition_to_ibis(op: ConditionOp, operand: Any, column: ir.Value) -> ir.BooleanValue:
    """The same condition as an Ibis boolean over `column` (batch); never null."""
    kind = _ibis_kind(column)
    false = ibis.literal(False)
    if kind is None:
        return false
    result: ir.BooleanValue
    match op:
        case "in" | "not_in":
            items = [v for v in operand if _kind(v) == kind]
            found = column.isin(items) if items else false
            result = found if op == "in" else ~found
        case "between":
            lo, hi = operand
            result = (column >= lo) & (column <= hi) if kind == "number" else false
        case "gte":
            result = column >= operand if kind == "number" else false
        case "lte":
            result = column <= operand if kind == "number" else false
        case "eq":
            result = column == operand if _kind(operand) == kind else false
        case "contains_any":
            if kind != "text":
                return false
            low = column.lower()
            parts = [low.contains(word.lower()) for word in operand]
            result = parts[0]
            for part in parts[1:]:
                result = result | part
        case _:
            assert_never(op)
    return (column.notnull() & result).fill_null(False)
