"""The contract terms the simulator speaks: signals, stages, rejection codes and the ICP.

The simulator writes facts that a real company running the starter contract would produce,
so every signal name, stage name and rejection reason code it emits is read from
`accord/contract/starter.yaml` (or another contract file with the same shape). It reads the
YAML directly with PyYAML: the simulator needs a handful of names and numbers, not the
contract compiler.

What it takes from the file:
- `signals`: name, `intent` level (hand_raise, high, medium, low) and `points`.
- `stages`: the names and each stage's `next` list (the allowed transitions).
- `rejection_reasons`: the codes a rejection may carry.
- `icps.<first>.criteria`: the fit criteria (`in`, `between`, `contains_any`, each with
  `points`) used to score firmographic fit of simulated leads.
- `stages.MQL.entry`: the fit and engagement thresholds (`fit >= 45`, `engagement >= 40`);
  when the text cannot be read the documented defaults 45 and 40 apply.
- `calendar.hours` and `calendar.days`: the working day reps answer in (in their own time
  zone; the simulator ignores holidays). Default 09:00-18:00, Monday to Friday.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from accord.errors import AccordError

STARTER_CONTRACT = "starter.yaml"

# The funnel the simulator drives; every name must be a stage of the contract.
FUNNEL_STAGES: tuple[str, ...] = (
    "Lead", "MQL", "SAL", "SQL", "Opportunity", "Customer", "Nurture", "Disqualified",
)


@dataclass(frozen=True)
class Signal:
    name: str
    intent: str
    points: float


@dataclass(frozen=True)
class FitCriterion:
    """One ICP criterion: `field` op `values` earns `points`."""

    field: str
    op: str  # "in", "between" or "contains_any"
    values: tuple[Any, ...]
    points: float


@dataclass(frozen=True)
class ContractTerms:
    version: int
    signals: tuple[Signal, ...]
    stages: tuple[str, ...]
    next_stages: dict[str, tuple[str, ...]]
    rejection_reasons: tuple[str, ...]
    fit_criteria: tuple[FitCriterion, ...]
    mql_min_fit: float
    mql_min_engagement: float
    work_start_minute: int = 9 * 60
    work_end_minute: int = 18 * 60
    weekmask: str = "1111100"

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def allows(self, from_stage: str, to_stage: str) -> bool:
        return to_stage in self.next_stages.get(from_stage, ())


class ContractTermsError(AccordError, ValueError):
    """The contract file lacks something the simulator needs; the message names it."""


def load_contract_terms(path: Path | None = None) -> ContractTerms:
    """Read the simulator's terms from a contract YAML (the starter contract by default)."""
    if path is None:
        text = resources.files("accord.contract").joinpath(STARTER_CONTRACT).read_text("utf-8")
        where = f"accord/contract/{STARTER_CONTRACT}"
    else:
        text = Path(path).read_text("utf-8")
        where = str(path)
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ContractTermsError(f"{where}: expected a mapping at the top level")
    return _terms_from(data, where)


def _terms_from(data: dict[str, Any], where: str) -> ContractTerms:
    signals_raw = data.get("signals") or {}
    signals = tuple(
        Signal(str(name), str(spec.get("intent", "low")), float(spec.get("points", 0)))
        for name, spec in signals_raw.items()
    )
    if not signals:
        raise ContractTermsError(f"{where}: `signals` is empty; the simulator needs signals")
    stages_raw = data.get("stages") or {}
    missing = [s for s in FUNNEL_STAGES if s not in stages_raw]
    if missing:
        raise ContractTermsError(
            f"{where}: `stages` lacks {', '.join(missing)}; the simulator drives "
            f"{' → '.join(FUNNEL_STAGES)}"
        )
    next_stages = {
        str(name): tuple(str(n) for n in (spec or {}).get("next", []) or [])
        for name, spec in stages_raw.items()
    }
    reasons = tuple(str(r) for r in data.get("rejection_reasons") or [])
    if not reasons:
        raise ContractTermsError(f"{where}: `rejection_reasons` is empty")
    icps = data.get("icps") or {}
    criteria: list[FitCriterion] = []
    if icps:
        first = next(iter(icps.values())) or {}
        for field, spec in (first.get("criteria") or {}).items():
            criteria.append(_criterion(str(field), spec, where))
    entry = str((stages_raw.get("MQL") or {}).get("entry", ""))
    start, end, weekmask = _calendar(data.get("calendar") or {}, where)
    return ContractTerms(
        version=int(data.get("version", 1)),
        signals=signals,
        stages=tuple(str(s) for s in stages_raw),
        next_stages=next_stages,
        rejection_reasons=reasons,
        fit_criteria=tuple(criteria),
        mql_min_fit=_threshold(entry, "fit", 45.0),
        mql_min_engagement=_threshold(entry, "engagement", 40.0),
        work_start_minute=start,
        work_end_minute=end,
        weekmask=weekmask,
    )


_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _calendar(cal: dict[str, Any], where: str) -> tuple[int, int, str]:
    hours = str(cal.get("hours", "09:00-18:00"))
    m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", hours)
    if not m:
        raise ContractTermsError(f"{where}: calendar.hours {hours!r} is not like 09:00-18:00")
    start = int(m.group(1)) * 60 + int(m.group(2))
    end = int(m.group(3)) * 60 + int(m.group(4))
    if not 0 <= start < end <= 24 * 60:
        raise ContractTermsError(f"{where}: calendar.hours {hours!r} must start before it ends")
    days = [str(d).lower()[:3] for d in cal.get("days", _DAYS[:5])]
    weekmask = "".join("1" if d in days else "0" for d in _DAYS)
    if "1" not in weekmask:
        raise ContractTermsError(f"{where}: calendar.days has no working day")
    return start, end, weekmask


def _criterion(field: str, spec: Any, where: str) -> FitCriterion:
    if not isinstance(spec, dict):
        raise ContractTermsError(f"{where}: icps criterion `{field}` must be a mapping")
    points = float(spec.get("points", 0))
    for op in ("in", "between", "contains_any"):
        if op in spec:
            return FitCriterion(field, op, tuple(spec[op]), points)
    raise ContractTermsError(
        f"{where}: icps criterion `{field}` uses an operator the simulator cannot score; "
        "it knows `in`, `between` and `contains_any`"
    )


def _threshold(entry: str, name: str, default: float) -> float:
    m = re.search(rf"\b{name}\s*>=\s*([0-9.]+)", entry)
    return float(m.group(1)) if m else default
