"""What a compiled contract resolved: each stage's role and where it came from, each SLA's
clock (the stage that starts it, what it runs on). `accord contract validate` and
`accord contract show` print it, so a team sees the defaults accord applied
(`contract/roles.py`: a well-known name takes its role; `rules.SLA_DEFAULT_START`: an SLA
without `start` starts at its kind's role) instead of discovering them in the figures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.issues import ContractIssue
from accord.contract.loader import check_contract_text, contract_file
from accord.contract.roles import default_role
from accord.contract.schema import VolumeSLA

#: Where a stage's role came from: written in the contract (`role:`), taken from the
#: stage's well-known name, or the first stage listed taking `lead`.
RoleSource = Literal["contract", "name", "first stage"]
#: Where an SLA's start stage came from: written (`start:` / `stage:`) or its kind's role.
StartSource = Literal["contract", "role"]


@dataclass(frozen=True)
class StageDescription:
    name: str
    role: str | None
    role_from: RoleSource | None  # None: the stage plays no role
    owner: str
    next: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "role_from": self.role_from,
                "owner": self.owner, "next": list(self.next)}


@dataclass(frozen=True)
class SlaDescription:
    name: str
    kind: str
    start: str
    start_role: str | None  # the role of the start stage
    start_from: StartSource
    owner: str
    within: str | None  # None for volume commitments
    calendar: str  # "contract" | "owner"
    calendar_detail: str  # the calendar in words

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "start": self.start,
                "start_role": self.start_role, "start_from": self.start_from,
                "owner": self.owner, "within": self.within, "calendar": self.calendar,
                "calendar_detail": self.calendar_detail}


@dataclass(frozen=True)
class ContractDescription:
    version: int
    effective: str
    stages: tuple[StageDescription, ...]
    slas: tuple[SlaDescription, ...]
    routing_stage: str | None
    calendar: str

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "effective": self.effective,
                "calendar": self.calendar, "routing_stage": self.routing_stage,
                "stages": [s.as_dict() for s in self.stages],
                "slas": [s.as_dict() for s in self.slas]}


@dataclass(frozen=True)
class Validation:
    """`accord contract validate`'s result: every issue, and the description when valid."""

    path: Path
    issues: tuple[ContractIssue, ...]
    description: ContractDescription | None

    @property
    def valid(self) -> bool:
        return self.description is not None

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"file": str(self.path), "valid": self.valid,
                                "version": self.description.version if self.description
                                else None,
                                "issues": [i.as_dict() for i in self.issues]}
        if self.description is not None:
            data.update({k: v for k, v in self.description.as_dict().items()
                         if k in ("stages", "slas", "routing_stage", "calendar")})
        return data


def calendar_text(contract: CompiledContract) -> str:
    """The contract calendar in words: `America/New_York, mon-fri 09:00-17:00, US holidays`."""
    cal = contract.source.calendar
    days = ",".join(str(d) for d in cal.days)
    holidays = f", {cal.holidays} holidays" if cal.holidays else ", no holidays"
    return f"{cal.timezone}, {days} {cal.hours}{holidays}"


def describe(contract: CompiledContract) -> ContractDescription:
    """Each stage's role and its source, each SLA's resolved start and calendar."""
    stages = []
    for name in contract.stages.names:
        spec = contract.source.stages[name]
        role = contract.stages.role_of.get(name)
        source: RoleSource | None = None
        if role is not None:
            if spec.role is not None:
                source = "contract"
            elif default_role(name) == role:
                source = "name"
            else:
                source = "first stage"
        stages.append(StageDescription(name, role.value if role else None, source, spec.owner,
                                       contract.stages.next.get(name, ())))
    base = calendar_text(contract)
    slas = []
    for name, clock in contract.slas.items():
        sla = contract.source.slas[name]
        given = sla.stage if isinstance(sla, VolumeSLA) else sla.start
        start_role = contract.stages.role_of.get(clock.start)
        detail = (base if clock.calendar == "contract" else
                  f"the owning rep's time zone, hours and holidays (reps facts), else {base}")
        slas.append(SlaDescription(
            name=name, kind=clock.kind, start=clock.start,
            start_role=start_role.value if start_role else None,
            start_from="contract" if given is not None else "role", owner=clock.owner,
            within=str(clock.within) if clock.within is not None else None,
            calendar=clock.calendar, calendar_detail=detail))
    return ContractDescription(contract.version, str(contract.source.effective), tuple(stages),
                               tuple(slas), contract.routing_stage, base)


def validate_file(file: str | Path) -> Validation:
    """Check a contract file (or a workspace folder's `accord.yaml`): every issue at once
    (`loader.check_contract_text`) and, when it is valid, what it resolved (`describe`).
    `WorkspaceError` when there is no file."""
    path = contract_file(file)
    text = path.read_text(encoding="utf-8")
    contract, issues = check_contract_text(text, str(path))
    description = None
    if contract is not None:
        compiled = compile_contract(contract, sha256=hashlib.sha256(text.encode()).hexdigest(),
                                    path=path)
        description = describe(compiled)
    return Validation(path, tuple(issues), description)


__all__ = ["ContractDescription", "SlaDescription", "StageDescription", "Validation",
           "calendar_text", "describe", "validate_file"]
