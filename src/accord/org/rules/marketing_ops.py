"""Rule `marketing-ops-buried`: marketing ops two or more levels below the marketing leader.

Seed 003: marketing ops should have a direct line to the CMO; buried under demand gen or
a director it turns reactive. Marketing ops inside RevOps (not under the marketing
leader at all) is a different, accepted design (seed 000) and is not flagged.
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="003", figure="marketing ops reports directly to the CMO")


def marketing_ops_buried(chart: OrgChart) -> list[Finding]:
    findings = []
    for ops in chart.with_role("marketing_ops"):
        chain = chart.chain(ops)
        leaders = [i for i, p in enumerate(chain) if p.role == "marketing_leader"]
        if not leaders or leaders[0] == 0:
            continue
        depth = leaders[0] + 1
        leader = chain[leaders[0]]
        findings.append(Finding(
            rule="marketing-ops-buried", severity="warning",
            nodes=(ops.id, chain[0].id, leader.id),
            message=f"{ops.title} ({ops.id}) sits {depth} levels below {leader.title} "
                    f"({leader.id}), under {chain[0].title}.",
            reason="Buried marketing ops becomes a reactive service desk; with a direct line "
                   "to the marketing leader it runs the stack, data and attribution that tie "
                   "marketing to revenue.",
            source=SOURCE,
        ))
    return findings
