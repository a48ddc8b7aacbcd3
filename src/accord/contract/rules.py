"""Rules relating the contract's sections to each other.

Each rule is a small function over the raw YAML data that returns findings rather than
raising, so one validation run reports every problem at once. The rules read the data
defensively: a section with the wrong shape is the schema's finding, not a crash here.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from accord.contract.criteria import (
    ACCOUNT_FIELDS,
    LEAD_FIELDS,
    And,
    Compare,
    InList,
    NameRef,
    Node,
    Not,
    Or,
    check_names,
    parse_criteria,
)
from accord.contract.criteria import Literal as CLiteral
from accord.contract.issues import did_you_mean
from accord.contract.kpi_names import KPI_VOCABULARY
from accord.contract.roles import StageRole, resolve_roles
from accord.errors import CriteriaSyntaxError

YPath = tuple[str | int, ...]

#: Fields an ICP criterion may test: lead fields and account fields (account wins when both).
ICP_FIELDS = frozenset(
    {"industry", "employees", "annual_revenue", "country", "region", "segment", "title",
     "channel", "domain", "abm_target"}
)
#: Escalation targets understood without an owners entry.
ESCALATION_ROLES = frozenset({"rep", "manager", "owner"})


@dataclass(frozen=True)
class Finding:
    path: YPath
    message: str
    hint: str | None = None
    at_key: bool = False
    expr_column: int | None = None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _signals(data: dict[str, Any]) -> set[str]:
    return set(_mapping(data.get("signals")))


def _icps(data: dict[str, Any]) -> set[str]:
    return set(_mapping(data.get("icps")))


def _icp_literals(node: Node) -> Iterator[tuple[str, int]]:
    """ICP names written as literals compared with `icp` (`icp == 'core'`, `icp in [...]`)."""
    match node:
        case Compare(left=NameRef(kind="score", name="icp") as ref, right=CLiteral(value=str(v))):
            yield v, ref.column
        case Compare(left=CLiteral(value=str(v)), right=NameRef(kind="score", name="icp") as ref):
            yield v, ref.column
        case InList(operand=NameRef(kind="score", name="icp") as ref, values=values):
            yield from ((lit.value, ref.column) for lit in values if isinstance(lit.value, str))
        case Not(operand=inner):
            yield from _icp_literals(inner)
        case And(left=a, right=b) | Or(left=a, right=b):
            yield from _icp_literals(a)
            yield from _icp_literals(b)
        case _:
            return


def _check_expression(text: Any, path: YPath, signals: set[str],
                      icps: set[str] | None = None) -> Iterator[Finding]:
    if not isinstance(text, str):
        return
    try:
        node = parse_criteria(text)
    except CriteriaSyntaxError as exc:
        yield Finding(path, f"cannot parse criteria: {exc.message} at column {exc.column}",
                      expr_column=exc.column)
        return
    for problem in check_names(node, signals):
        hint = f"did you mean {problem.suggestion!r}?" if problem.suggestion else None
        yield Finding(path, problem.message, hint, expr_column=problem.column)
    for name, column in _icp_literals(node):
        if icps is not None and name not in icps:
            yield Finding(path, f"ICP {name!r} is not defined in icps", did_you_mean(name, icps),
                          expr_column=column)


def owners_defined(data: dict[str, Any]) -> Iterator[Finding]:
    owners = data.get("owners")
    if not isinstance(owners, dict):
        return
    for team in ("marketing", "sales"):
        if team not in owners:
            yield Finding(("owners",), f"no owner named for {team!r}",
                          "both teams' owners sign the contract (seed 000)", at_key=True)


def stage_references(data: dict[str, Any]) -> Iterator[Finding]:
    stages = _mapping(data.get("stages"))
    owners = set(_mapping(data.get("owners")))
    signals = _signals(data)
    for name, stage in stages.items():
        stage = _mapping(stage)
        owner = stage.get("owner")
        if isinstance(owner, str) and owners and owner not in owners:
            yield Finding(("stages", name, "owner"), f"owner {owner!r} is not defined in owners",
                          did_you_mean(owner, owners))
        for i, nxt in enumerate(_items(stage.get("next"))):
            if isinstance(nxt, str) and nxt not in stages:
                yield Finding(("stages", name, "next", i), f"stage {nxt!r} is not defined",
                              did_you_mean(nxt, stages))
        for key in ("entry", "exit"):
            yield from _check_expression(stage.get(key), ("stages", name, key), signals,
                                         _icps(data))


def _role(value: Any) -> StageRole | None:
    try:
        return StageRole(value) if isinstance(value, str) else None
    except ValueError:
        return None  # the schema reports an unknown role


def stage_roles_of(data: dict[str, Any]) -> dict[str, StageRole | None]:
    """Each stage's role as `contract/roles.py` resolves it, from the raw data."""
    stages = _mapping(data.get("stages"))
    roles, _ = resolve_roles([(str(n), _role(_mapping(s).get("role")))
                              for n, s in stages.items()])
    return roles


def stage_roles(data: dict[str, Any]) -> Iterator[Finding]:
    """Each role is played by one stage at most."""
    stages = _mapping(data.get("stages"))
    _, problems = resolve_roles([(str(n), _role(_mapping(s).get("role")))
                                 for n, s in stages.items()])
    for name, message in problems:
        yield Finding(("stages", name, "role"), message,
                      "give the other stage another role, or none")


#: The role whose stage starts each SLA kind's clock when `start` (or `stage`) is omitted.
SLA_DEFAULT_START: dict[str, StageRole] = {
    "first_touch": StageRole.HANDOFF, "accept_or_reject": StageRole.HANDOFF,
    "min_touches": StageRole.ACCEPTED, "volume": StageRole.HANDOFF,
}


def sla_default_starts(data: dict[str, Any]) -> Iterator[Finding]:
    """An SLA without `start` starts at its kind's role; that stage must exist."""
    if not _mapping(data.get("stages")):
        return
    played = {r for r in stage_roles_of(data).values() if r is not None}
    for name, sla in _mapping(data.get("slas")).items():
        sla = _mapping(sla)
        kind = sla.get("kind")
        key = "stage" if kind == "volume" else "start"
        role = SLA_DEFAULT_START.get(kind) if isinstance(kind, str) else None
        if role is None or sla.get(key) is not None or role in played:
            continue
        yield Finding(("slas", name), f"no `{key}` given and no stage has role "
                                      f"{role.value!r} to start the clock",
                      f"set slas.{name}.{key} to a stage, or give a stage `role: "
                      f"{role.value}`", at_key=True)


def matching_thresholds(data: dict[str, Any]) -> Iterator[Finding]:
    m = _mapping(data.get("matching"))
    link, review = m.get("min_name_score", 80.0), m.get("review_score", 70.0)
    if isinstance(link, int | float) and isinstance(review, int | float) and review > link:
        yield Finding(("matching", "review_score"),
                      f"review_score {review} is above min_name_score {link}",
                      "names scoring between the two are listed for review; keep "
                      "review_score at or below min_name_score")


def icp_shapes(data: dict[str, Any]) -> Iterator[Finding]:
    for name, icp in _mapping(data.get("icps")).items():
        icp = _mapping(icp)
        for field in _mapping(icp.get("criteria")):
            if field not in ICP_FIELDS:
                yield Finding(("icps", name, "criteria", field),
                              f"unknown ICP criterion field {field!r}",
                              did_you_mean(field, ICP_FIELDS), at_key=True)
        for field, crit in _mapping(icp.get("criteria")).items():
            crit = _mapping(crit)
            conditions = [k for k in crit if k != "points"]
            if len(conditions) > 1:
                yield Finding(("icps", name, "criteria", field),
                              f"one condition per criterion, found {', '.join(conditions)}",
                              "split it into two criteria or use `between`")
            if not conditions and crit:
                yield Finding(("icps", name, "criteria", field), "criterion has no condition",
                              "add one of in, not_in, between, gte, lte, eq, contains_any")
            between = crit.get("between")
            if (isinstance(between, list) and len(between) == 2
                    and all(isinstance(b, int | float) for b in between)
                    and between[0] > between[1]):
                yield Finding(("icps", name, "criteria", field, "between"),
                              f"between bounds are reversed: {between}", "write [low, high]")
        tiers = _mapping(icp.get("tiers"))
        values = [(t, v) for t, v in tiers.items() if isinstance(v, int | float)]
        for (prev_tier, prev), (tier, value) in itertools.pairwise(values):
            if value >= prev:
                yield Finding(("icps", name, "tiers", tier),
                              f"tier thresholds out of order: {tier} ({value}) must be below "
                              f"{prev_tier} ({prev})", "list tiers from the highest score down")


def routing_references(data: dict[str, Any]) -> Iterator[Finding]:
    routing = _mapping(data.get("routing"))
    pools = _mapping(routing.get("pools"))
    signals = _signals(data)
    stages = _mapping(data.get("stages"))
    stage = routing.get("stage")
    if isinstance(stage, str) and stages and stage not in stages:
        yield Finding(("routing", "stage"), f"stage {stage!r} is not defined",
                      did_you_mean(stage, stages))
    for i, rule in enumerate(_items(routing.get("rules"))):
        rule = _mapping(rule)
        yield from _check_expression(rule.get("when"), ("routing", "rules", i, "when"), signals,
                                     _icps(data))
        target = _mapping(rule.get("to"))
        pool = target.get("pool")
        if isinstance(pool, str) and pool not in pools:
            yield Finding(("routing", "rules", i, "to", "pool"),
                          f"pool {pool!r} is not defined in routing.pools",
                          did_you_mean(pool, pools))
    for name, pool in pools.items():
        pool = _mapping(pool)
        for rep, weight in _mapping(pool.get("weights")).items():
            if isinstance(weight, int | float) and weight <= 0:
                yield Finding(("routing", "pools", name, "weights", rep),
                              f"weight must be positive, got {weight}")


def sla_references(data: dict[str, Any]) -> Iterator[Finding]:
    stages = _mapping(data.get("stages"))
    owners = set(_mapping(data.get("owners")))
    for name, sla in _mapping(data.get("slas")).items():
        sla = _mapping(sla)
        for key in ("start", "stage"):
            value = sla.get(key)
            if isinstance(value, str) and stages and value not in stages:
                yield Finding(("slas", name, key), f"stage {value!r} is not defined",
                              did_you_mean(value, stages))
        owner = sla.get("owner")
        if isinstance(owner, str) and owners and owner not in owners:
            yield Finding(("slas", name, "owner"), f"owner {owner!r} is not defined in owners",
                          did_you_mean(owner, owners))
        for i, step in enumerate(_items(sla.get("escalate"))):
            notify = _mapping(step).get("notify")
            if isinstance(notify, str) and notify not in owners | ESCALATION_ROLES:
                yield Finding(("slas", name, "escalate", i, "notify"),
                              f"{notify!r} is neither an owner nor one of rep, manager, owner",
                              did_you_mean(notify, owners | ESCALATION_ROLES))


def rejection_reasons(data: dict[str, Any]) -> Iterator[Finding]:
    reasons = data.get("rejection_reasons")
    if isinstance(reasons, list) and not reasons:
        yield Finding(("rejection_reasons",), "rejection reason list is empty",
                      "sales must give a reason code when it sends a lead back (seed 004)")
    seen: dict[str, int] = {}
    for i, code in enumerate(_items(reasons)):
        if isinstance(code, str):
            if code in seen:
                yield Finding(("rejection_reasons", i), f"duplicate id {code!r}",
                              f"already listed at position {seen[code] + 1}")
            seen.setdefault(code, i)


def kpi_names(data: dict[str, Any]) -> Iterator[Finding]:
    for name in _mapping(data.get("kpis")):
        if name not in KPI_VOCABULARY:
            yield Finding(("kpis", name), f"unknown KPI {name!r}",
                          did_you_mean(name, KPI_VOCABULARY), at_key=True)


def cadence_attendees(data: dict[str, Any]) -> Iterator[Finding]:
    owners = set(_mapping(data.get("owners")))
    for name, cadence in _mapping(data.get("cadences")).items():
        for i, who in enumerate(_items(_mapping(cadence).get("with"))):
            if isinstance(who, str) and owners and who not in owners:
                yield Finding(("cadences", name, "with", i), f"{who!r} is not defined in owners",
                              did_you_mean(who, owners))


RULES: tuple[Callable[[dict[str, Any]], Iterator[Finding]], ...] = (
    owners_defined, stage_references, stage_roles, icp_shapes, routing_references,
    sla_references, sla_default_starts, matching_thresholds, rejection_reasons, kpi_names,
    cadence_attendees,
)

__all__ = ["ACCOUNT_FIELDS", "ICP_FIELDS", "LEAD_FIELDS", "RULES", "Finding"]
