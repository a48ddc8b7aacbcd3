"""Rule `too-many-approvers`: more than three approvers on one approval path.

Seed 003: work needing more than three people's approval before it moves is one of the
signals that the structure, not the team size, is the problem.
"""

from __future__ import annotations

from accord.org.catalogue import load_catalogue
from accord.org.chart import OrgChart
from accord.org.findings import Finding


def too_many_approvers(chart: OrgChart) -> list[Finding]:
    limit = load_catalogue().benchmarks.max_approvers
    findings = []
    for path, approvers in chart.approvals.items():
        distinct = tuple(dict.fromkeys(approvers))
        if len(distinct) > limit.value:
            findings.append(Finding(
                rule="too-many-approvers", severity="warning", nodes=distinct,
                message=f"`{path}` needs {len(distinct)} approvers "
                        f"({' → '.join(distinct)}); the limit is {int(limit.value)}.",
                reason="Long approval chains stall work; cut the path to the people who own "
                       "the outcome.",
                source=limit.source,
            ))
    return findings
