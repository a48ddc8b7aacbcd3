"""Lint an org chart: run every rule, collect the findings, then report.

Rules live one per module in `accord.org.rules`; each returns findings and never raises.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from accord.org.chart import OrgChart
from accord.org.findings import Finding
from accord.org.rules import ALL_RULES, Rule


class LintReport(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    findings: tuple[Finding, ...]

    @property
    def errors(self) -> int:
        return sum(f.severity == "error" for f in self.findings)

    @property
    def warnings(self) -> int:
        return sum(f.severity == "warning" for f in self.findings)


def lint_chart(chart: OrgChart, rules: tuple[Rule, ...] = ALL_RULES) -> LintReport:
    return LintReport(findings=tuple(f for rule in rules for f in rule(chart)))
