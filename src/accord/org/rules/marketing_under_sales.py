"""Rule `marketing-under-sales`: marketing reports into a sales manager.

Seed 001: marketing should report to the CEO; under sales it turns into sales support
and loses long-term brand work. Reporting into a CRO is a combined model, not this.
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="001", figure="FAQ: marketing reports to the CEO, not to sales")


def marketing_under_sales(chart: OrgChart) -> list[Finding]:
    findings = []
    for person in chart.people:
        boss = chart.manager(person)
        if person.in_function == "marketing" and boss and boss.in_function == "sales":
            findings.append(Finding(
                rule="marketing-under-sales", severity="error", nodes=(person.id, boss.id),
                message=f"{person.title} ({person.id}) reports to {boss.title} ({boss.id}) "
                        "in sales.",
                reason="Marketing under sales becomes a lead-gen service for the quarter and "
                       "drops long-term brand work; put it beside sales under the CEO (or a "
                       "CRO).",
                source=SOURCE,
            ))
    return findings
