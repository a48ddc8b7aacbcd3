"""Durations written in the contract: `2 business_hours`, `10 days`, `4h`, `30 minutes`.

A duration is an amount and a unit; `business_` units count only the calendar's working
time (contract key `calendar`), plain units count wall-clock time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Unit = Literal["minutes", "hours", "days", "weeks"]

_UNITS: dict[str, tuple[Unit, bool]] = {}
for _names, _unit in (
    (("m", "min", "mins", "minute", "minutes"), "minutes"),
    (("h", "hr", "hrs", "hour", "hours"), "hours"),
    (("d", "day", "days"), "days"),
    (("w", "week", "weeks"), "weeks"),
):
    for _n in _names:
        _UNITS[_n] = (_unit, False)  # type: ignore[assignment]
        if len(_n) > 1:
            _UNITS[f"business_{_n}"] = (_unit, True)  # type: ignore[assignment]

_PATTERN = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*([a-z_]+)\s*$")

EXAMPLE = "2 business_hours"


@dataclass(frozen=True)
class Duration:
    amount: float
    unit: Unit
    business: bool

    @property
    def minutes(self) -> float:
        """Length in minutes of the unit's own kind (business or wall-clock).

        A business day is one working day of the calendar, so its minute length depends on
        the calendar's hours; callers with a calendar use `amount`/`unit` instead.
        """
        factor = {"minutes": 1, "hours": 60, "days": 1440, "weeks": 10080}[self.unit]
        return self.amount * factor

    def __str__(self) -> str:
        amount = int(self.amount) if float(self.amount).is_integer() else self.amount
        return f"{amount} {'business_' if self.business else ''}{self.unit}"


def parse_duration(value: object) -> Duration:
    """Parse `2 business_hours`, `4h`, `10 days`. Raises ValueError with an example."""
    if isinstance(value, Duration):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(
            f"a duration needs a number and a unit, e.g. `{EXAMPLE}` or `10 days`, got {value!r}"
        )
    m = _PATTERN.match(value.strip().lower())
    if not m:
        raise ValueError(
            f"a duration needs a number and a unit, e.g. `{EXAMPLE}` or `10 days`, got {value!r}"
        )
    amount, unit_text = float(m.group(1)), m.group(2)
    if unit_text not in _UNITS:
        raise ValueError(
            f"unknown unit {unit_text!r}; use minutes, hours, days or weeks, optionally "
            f"prefixed with business_ (e.g. `{EXAMPLE}`)"
        )
    if amount <= 0:
        raise ValueError(f"a duration must be positive, got {value!r}")
    unit, business = _UNITS[unit_text]
    return Duration(amount, unit, business)
