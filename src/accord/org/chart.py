"""An org chart as data: people (or roles), solid and dotted reporting lines, team sizes.

Each entry under `people` is one box: a named person or a role standing for a team
(`team_size: 6` for an SDR team). `reports_to` is the solid line, `dotted_to` the
dotted lines, `owns` the accountabilities the lint rules look for:

- `pipeline_number` — owns the company's one authoritative pipeline number;
- `pipeline` — accountable for their function's pipeline contribution;
- `handoff` — owns the marketing→sales handoff (its speed and quality).

`approvals` lists, per kind of work, the people who must approve it in order.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from accord.org.errors import InputIssue, OrgInputError
from accord.org.loading import dotted, read_yaml, validate
from accord.org.roles import ROLE_FUNCTION, Function, Role

Accountability = Literal["pipeline_number", "pipeline", "handoff"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Person(_Frozen):
    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")
    title: str
    name: str | None = None
    role: Role
    function: Function | None = Field(default=None, description="Overrides the role's.")
    reports_to: str | None = None
    dotted_to: tuple[str, ...] = ()
    team_size: int = Field(default=1, ge=1)
    owns: tuple[Accountability, ...] = ()

    @property
    def in_function(self) -> Function:
        return self.function or ROLE_FUNCTION[self.role]

    @property
    def label_lines(self) -> list[str]:
        """Box text: title, then name, then team size when it is a team."""
        parts = [self.title]
        if self.name:
            parts.append(self.name)
        if self.team_size > 1:
            parts.append(f"×{self.team_size}")
        return parts


class OrgChart(_Frozen):
    company: str | None = None
    people: tuple[Person, ...] = Field(min_length=1)
    approvals: dict[str, tuple[str, ...]] = {}

    @cached_property
    def by_id(self) -> dict[str, Person]:
        return {p.id: p for p in self.people}

    def manager(self, person: Person) -> Person | None:
        return self.by_id.get(person.reports_to) if person.reports_to else None

    def chain(self, person: Person) -> list[Person]:
        """Managers above `person`, nearest first (solid lines only)."""
        out: list[Person] = []
        current = self.manager(person)
        while current is not None and current not in out:
            out.append(current)
            current = self.manager(current)
        return out

    def reports(self, person: Person) -> list[Person]:
        return [p for p in self.people if p.reports_to == person.id]

    def below(self, person: Person) -> Iterator[Person]:
        """Everyone under `person` on solid lines, at any depth."""
        for child in self.reports(person):
            yield child
            yield from self.below(child)

    def with_role(self, *roles: Role) -> list[Person]:
        return [p for p in self.people if p.role in roles]

    def owners_of(self, what: Accountability) -> list[Person]:
        return [p for p in self.people if what in p.owns]


def structure_issues(chart: OrgChart) -> list[tuple[tuple[str | int, ...], str]]:
    """References that do not resolve, duplicate ids, and reporting cycles, by YAML path."""
    issues: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    ids = {p.id for p in chart.people}
    for i, p in enumerate(chart.people):
        if p.id in seen:
            issues.append((("people", i, "id"), f"duplicate id {p.id!r}"))
        seen.add(p.id)
        if p.reports_to is not None and p.reports_to not in ids:
            issues.append((("people", i, "reports_to"), f"unknown id {p.reports_to!r}"))
        if p.reports_to == p.id:
            issues.append((("people", i, "reports_to"), "a person cannot report to themselves"))
        for j, d in enumerate(p.dotted_to):
            if d not in ids:
                issues.append((("people", i, "dotted_to", j), f"unknown id {d!r}"))
    for name, approvers in chart.approvals.items():
        for j, a in enumerate(approvers):
            if a not in ids:
                issues.append((("approvals", name, j), f"unknown id {a!r}"))
    reported: set[str] = set()
    for i, p in enumerate(chart.people):
        loop = _cycle_from(chart, p)
        if loop and not reported & set(loop):
            reported |= set(loop)
            issues.append((("people", i, "reports_to"),
                           "reporting lines form a loop: " + " → ".join([*loop, loop[0]])))
    return issues


def _cycle_from(chart: OrgChart, start: Person) -> list[str]:
    path: list[str] = []
    current: Person | None = start
    while current is not None:
        if current.id in path:
            return path[path.index(current.id):]
        path.append(current.id)
        current = chart.manager(current)
    return []


def load_chart(path: Path) -> OrgChart:
    """Read and validate an org chart file; every problem names the file, line and field."""
    src = read_yaml(path)
    chart = validate(OrgChart, src.data, file=str(path), src=src)
    problems = structure_issues(chart)
    if problems:
        raise OrgInputError([
            InputIssue(str(path), dotted(loc), message, src.position(loc).line)
            for loc, message in problems
        ])
    return chart


def chart_from_data(data: dict[str, object], file: str = "chart") -> OrgChart:
    """Validate an already-parsed chart (used by tests and callers holding a dict)."""
    chart = validate(OrgChart, data, file=file)
    problems = structure_issues(chart)
    if problems:
        raise OrgInputError([InputIssue(file, dotted(loc), m) for loc, m in problems])
    return chart
