"""Rule `function-without-pipeline-owner`: marketing or sales with no one accountable for pipeline.

Seed 003: teams that are all busy with none clearly accountable for pipeline are a
structural problem; marketing answers for pipeline contribution and sales for pipeline
conversion. Someone in each function present must own `pipeline` (or the
`pipeline_number`).
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="003", figure="busy teams with no one accountable for pipeline")


def function_without_pipeline_owner(chart: OrgChart) -> list[Finding]:
    findings = []
    for function in ("marketing", "sales"):
        # Top of the function first (fewest managers), so renderers flag its head.
        members = sorted((p for p in chart.people if p.in_function == function),
                         key=lambda p: len(chart.chain(p)))
        if not members:
            continue
        if any({"pipeline", "pipeline_number"} & set(p.owns) for p in members):
            continue
        findings.append(Finding(
            rule="function-without-pipeline-owner", severity="error",
            nodes=tuple(p.id for p in members),
            message=f"No one in {function} is accountable for pipeline "
                    "(add `owns: [pipeline]` to the person who answers for it).",
            reason="Without a named pipeline owner the function optimises its own activity "
                   "metrics; marketing should answer for pipeline contribution, sales for "
                   "conversion.",
            source=SOURCE,
        ))
    return findings
