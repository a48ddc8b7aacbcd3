"""The compiled contract: one immutable object built once from a validated `accord.yaml`.

Engine, analytics, org health, the simulator and every edge receive a `CompiledContract`;
none re-reads YAML or re-parses criteria (DESIGN: "one contract, compiled everywhere").
It holds:

- `stages`: names in contract order, each stage's role (`contract/roles.py`), owner and
  allowed next stages; questions are asked by role (`stages.named(StageRole.WON)`);
- `criteria`: every stage's `entry`/`exit` criteria parsed once into trees, with the live
  predicate of the handoff stage's entry;
- `routing_rules`: routing rules with their `when` parsed;
- `slas`: each SLA with its one clock (`SlaClock`): the start stage resolved (default:
  the role of its kind), what stops it, `within`, and which calendar it runs on;
- `calendar`: the contract's business calendar;
- `scoring`: ICPs and signals (`contract/icp.py`);
- `kpi_targets`, `matching`, and `source` (the validated model, for plain settings such as
  `economics` and `attribution`).

Unknown names asked of it (a stage, an SLA, a role the contract lacks) raise
`UnknownNameError` naming what exists.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from accord.contract.calendar import BusinessCalendar
from accord.contract.criteria import Node, parse_criteria, to_predicate
from accord.contract.durations import Duration
from accord.contract.icp import ScoringModel
from accord.contract.roles import (
    DERIVED_ROLES,
    FUNNEL_ROLES,
    PIPELINE_ROLES,
    SEND_BACK_ROLES,
    StageRole,
    resolve_roles,
)
from accord.contract.rules import SLA_DEFAULT_START
from accord.contract.schema import (
    AcceptOrRejectSLA,
    Calendar,
    Contract,
    Escalation,
    FirstTouchSLA,
    KpiTarget,
    Matching,
    MinTouchesSLA,
    RoutingTarget,
    VolumeSLA,
)
from accord.errors import UnknownNameError, UsageError

SlaKind = Literal["first_touch", "min_touches", "accept_or_reject", "volume"]
LeadSlaKind = Literal["first_touch", "min_touches", "accept_or_reject"]
CalendarMode = Literal["contract", "owner"]
Predicate = Callable[[Mapping[str, Any]], bool]


# -- stages ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StageMap:
    """The lifecycle's stages: names in contract order, roles, owners, allowed moves."""

    names: tuple[str, ...]
    role_of: Mapping[str, StageRole | None]
    owners: Mapping[str, str]
    next: Mapping[str, tuple[str, ...]]

    @property
    def by_role(self) -> Mapping[StageRole, str]:
        return {r: n for n, r in self.role_of.items() if r is not None}

    def named(self, role: StageRole) -> str | None:
        """The stage playing `role`, or None when the contract has none."""
        return self.by_role.get(role)

    def require(self, role: StageRole, purpose: str) -> str:
        """The stage playing `role`; `UnknownNameError` saying `purpose` needs it."""
        name = self.named(role)
        if name is None:
            raise UnknownNameError("stage role", role.value,
                                   [r.value for r in self.by_role],
                                   where=f"the contract's stages ({purpose} needs a stage "
                                         f"with `role: {role.value}`)")
        return name

    def stage(self, name: str) -> str:
        """`name` itself when it is a stage; `UnknownNameError` listing the stages."""
        if name not in self.role_of:
            raise UnknownNameError("stage", name, self.names)
        return name

    @property
    def initial(self) -> str:
        return self.named(StageRole.LEAD) or self.names[0]

    @property
    def funnel(self) -> tuple[tuple[StageRole, str], ...]:
        """The funnel roles the contract has, in funnel order, with their stage names."""
        return tuple((r, n) for r in FUNNEL_ROLES if (n := self.named(r)) is not None)

    @property
    def send_back(self) -> tuple[str, ...]:
        """Stages a move into which is a rejection and needs a reason code."""
        return tuple(n for r in SEND_BACK_ROLES if (n := self.named(r)) is not None)

    @property
    def derived(self) -> tuple[str, ...]:
        """Stages the engine derives from facts (handoff, opportunity, won)."""
        return tuple(n for r in DERIVED_ROLES if (n := self.named(r)) is not None)

    @property
    def pipeline(self) -> tuple[str, ...]:
        """Stages holding open pipeline (handoff, accepted, qualified, opportunity)."""
        return tuple(n for r in PIPELINE_ROLES if (n := self.named(r)) is not None)

    def allows(self, from_stage: str | None, to_stage: str) -> bool:
        return from_stage is not None and to_stage in self.next.get(from_stage, ())

    def depth(self, name: str) -> int | None:
        """Position of `name` in the funnel (0 = lead), None off the funnel."""
        for i, (_, n) in enumerate(self.funnel):
            if n == name:
                return i
        return None


# -- SLAs ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SlaClock:
    """One SLA and its clock. `start`: the stage whose first entry starts it. Stopped by:
    `first_touch` the first sales activity, `min_touches` the `min_touches`-th,
    `accept_or_reject` the first move out of `start` into an `accept` stage or, with a
    reason code, a `reject` stage. `volume` has no per-lead clock: it counts first entries
    into `start` per month."""

    name: str
    kind: SlaKind
    start: str
    owner: str
    within: Duration | None
    calendar: CalendarMode
    min_touches: int | None
    escalate: tuple[Escalation, ...]
    accept: tuple[str, ...]
    reject: tuple[str, ...]
    per_month: int | None
    min_acceptance: float | None
    warn_before: Duration | None = None  # warn this long before the due time (per lead)

    @property
    def per_lead(self) -> bool:
        return self.kind != "volume"


def decision_stages(stages: StageMap, start: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(accept, reject) stages of a decision out of `start`: the next stages owned by
    another team accept (MQL → SAL); those its own owner keeps reject (MQL → Nurture).
    When `start` allows no move, the accepted stage accepts and send-back stages reject."""
    nxt = stages.next.get(start, ())
    if not nxt:
        accepted = stages.named(StageRole.ACCEPTED)
        return ((accepted,) if accepted else ()), stages.send_back
    owner = stages.owners.get(start)
    accept = tuple(s for s in nxt if s in stages.owners and stages.owners[s] != owner)
    return accept, tuple(s for s in nxt if s not in accept)


# -- routing ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RoutingRuleSpec:
    """A routing rule in contract order with its `when` parsed (None: always matches)."""

    index: int
    label: str
    when: str | None
    node: Node | None
    predicate: Predicate | None
    to: RoutingTarget


# -- the whole contract ----------------------------------------------------------------------
@dataclass(frozen=True)
class CompiledContract:
    source: Contract
    version: int
    sha256: str | None
    path: Path | None
    stages: StageMap
    criteria: Mapping[tuple[str, str], Node]  # (stage, "entry" | "exit") -> tree
    handoff_entry: Node | None
    handoff_predicate: Predicate | None
    routing_rules: tuple[RoutingRuleSpec, ...]
    slas: Mapping[str, SlaClock]
    calendar: BusinessCalendar
    scoring: ScoringModel
    kpi_targets: Mapping[str, KpiTarget]
    matching: Matching

    # -- asking by name -----------------------------------------------------------------
    def sla(self, name: str) -> SlaClock:
        if name not in self.slas:
            raise UnknownNameError("SLA", name, self.slas)
        return self.slas[name]

    @property
    def lead_slas(self) -> tuple[SlaClock, ...]:
        return tuple(s for s in self.slas.values() if s.per_lead)

    @property
    def speed_to_lead(self) -> SlaClock | None:
        """The speed-to-lead SLA: the first `first_touch` SLA in contract order."""
        return next((s for s in self.slas.values() if s.kind == "first_touch"), None)

    def owner_calendar(self, timezone: str | None, hours: str | None = None,
                       holidays: str | None = None) -> BusinessCalendar:
        """The calendar of an SLA that runs on its owner's calendar (`calendar: owner`): the
        rep's time zone, hours (`HH:MM-HH:MM`) and holiday country from the reps facts,
        each falling back to the contract calendar's when unset; working days are the
        contract's. Cached: reps share calendars."""
        base = self.source.calendar
        return _owner_calendar((base.timezone, base.hours, tuple(base.days), base.holidays),
                               timezone, hours, holidays)

    @property
    def routing_stage(self) -> str | None:
        """Where leads are routed (`routing.stage`); None: when they are created."""
        return self.source.routing.stage


@functools.lru_cache(maxsize=256)
def _owner_calendar(base_fields: tuple[str, str, tuple[str, ...], str | None],
                    timezone: str | None, hours: str | None,
                    holidays: str | None) -> BusinessCalendar:
    zone, base_hours, days, base_holidays = base_fields
    base = Calendar.model_validate({"timezone": zone, "hours": base_hours, "days": list(days),
                                    "holidays": base_holidays})
    if not (timezone or hours or holidays):
        return BusinessCalendar.from_contract(base)
    update: dict[str, Any] = {}
    if timezone:
        update["timezone"] = timezone
    if hours:
        update["hours"] = hours
    if holidays:
        update["holidays"] = holidays
    try:
        cal = Calendar.model_validate({**base.model_dump(), **update})
    except ValueError as exc:
        raise UsageError(f"a rep's calendar ({timezone=}, {hours=}, {holidays=}) is not "
                         f"valid: {exc}") from None
    return BusinessCalendar.from_contract(cal)


def _sla_clock(name: str, sla: Any, stages: StageMap) -> SlaClock:
    kind: SlaKind = sla.kind
    given = sla.stage if isinstance(sla, VolumeSLA) else sla.start
    start = given if given is not None else stages.require(
        SLA_DEFAULT_START[kind], f"slas.{name}")
    accept, reject = decision_stages(stages, start)
    return SlaClock(
        name=name, kind=kind, start=start, owner=sla.owner,
        within=None if isinstance(sla, VolumeSLA) else sla.within,
        calendar="contract" if isinstance(sla, VolumeSLA) else sla.calendar,
        min_touches=sla.min_touches if isinstance(sla, MinTouchesSLA) else None,
        escalate=tuple(sla.escalate) if isinstance(sla, FirstTouchSLA) else (),
        accept=accept if isinstance(sla, AcceptOrRejectSLA | VolumeSLA) else (),
        reject=reject if isinstance(sla, AcceptOrRejectSLA | VolumeSLA) else (),
        per_month=sla.per_month if isinstance(sla, VolumeSLA) else None,
        min_acceptance=sla.min_acceptance if isinstance(sla, VolumeSLA) else None,
        warn_before=None if isinstance(sla, VolumeSLA) else sla.warn_before,
    )


def compile_contract(contract: Contract, *, sha256: str | None = None,
                     path: Path | None = None) -> CompiledContract:
    """Compile a validated contract once (see the module docstring)."""
    roles, _ = resolve_roles([(n, s.role) for n, s in contract.stages.items()])
    stages = StageMap(
        names=tuple(contract.stages),
        role_of=MappingProxyType(roles),
        owners=MappingProxyType({n: s.owner for n, s in contract.stages.items()}),
        next=MappingProxyType({n: tuple(s.next) for n, s in contract.stages.items()}),
    )
    criteria: dict[tuple[str, str], Node] = {}
    for name, stage in contract.stages.items():
        for key in ("entry", "exit"):
            text = getattr(stage, key)
            if text:
                criteria[(name, key)] = parse_criteria(text)
    handoff = stages.named(StageRole.HANDOFF)
    entry = criteria.get((handoff, "entry")) if handoff else None
    rules = []
    for i, spec in enumerate(contract.routing.rules):
        node = parse_criteria(spec.when) if spec.when is not None else None
        rules.append(RoutingRuleSpec(i, spec.name or f"rules[{i}]", spec.when, node,
                                     to_predicate(node) if node is not None else None,
                                     spec.to))
    return CompiledContract(
        source=contract, version=contract.version, sha256=sha256, path=path, stages=stages,
        criteria=MappingProxyType(criteria), handoff_entry=entry,
        handoff_predicate=to_predicate(entry) if entry is not None else None,
        routing_rules=tuple(rules),
        slas=MappingProxyType({n: _sla_clock(n, s, stages) for n, s in contract.slas.items()}),
        calendar=BusinessCalendar.from_contract(contract.calendar),
        scoring=ScoringModel.from_contract(contract),
        kpi_targets=MappingProxyType(dict(contract.kpis)),
        matching=contract.matching,
    )


def compile_text(text: str, file: str = "accord.yaml") -> CompiledContract:
    """Validate and compile contract text (tests, the simulator's starter contract)."""
    from accord.contract.loader import load_contract_text

    return compile_contract(load_contract_text(text, file))


def load_compiled(path: str | Path) -> CompiledContract:
    """Read, validate and compile a contract file (`ContractError` lists every problem)."""
    from accord.contract.loader import load_contract

    loaded = load_contract(path)
    return compile_contract(loaded.contract, sha256=loaded.sha256, path=loaded.path)


def starter_contract() -> CompiledContract:
    """The starter contract shipped with accord, compiled."""
    from importlib import resources

    text = resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")
    return compile_text(text, "accord/contract/starter.yaml")


__all__ = [
    "CompiledContract",
    "RoutingRuleSpec",
    "SlaClock",
    "StageMap",
    "compile_contract",
    "compile_text",
    "decision_stages",
    "load_compiled",
    "starter_contract",
]
