"""Rule `cro-without-ops`: a CRO with no RevOps or ops function underneath.

Seed 000: RevOps is the operating system under the CRO; without that infrastructure the
CRO is a renamed VP of Sales. Ops counts if it reports (at any depth) to the CRO or has
a dotted line to the CRO (RevOps may report to the COO, seed 000).
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding
from accord.org.roles import OPS_ROLES

SOURCE = Source(seed="000", figure="combined models: CRO skip-if, RevOps under the CRO")


def cro_without_ops(chart: OrgChart) -> list[Finding]:
    findings = []
    for cro in chart.with_role("cro"):
        under = [*chart.below(cro), *(p for p in chart.people if cro.id in p.dotted_to)]
        if any(p.role in OPS_ROLES for p in under):
            continue
        findings.append(Finding(
            rule="cro-without-ops", severity="error", nodes=(cro.id,),
            message=f"{cro.title} ({cro.id}) has no RevOps or ops role underneath.",
            reason="A CRO unifies definitions, data and SLAs through RevOps; without ops "
                   "underneath the role is a VP of Sales with a new title.",
            source=SOURCE,
        ))
    return findings
