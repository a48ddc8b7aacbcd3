"""Rule `sdrs-outside-pipeline-line`: SDRs do not report (up the line) to the owner of the
pipeline number.

Seed 000 (FAQ): SDRs report to whoever owns the pipeline number they feed, usually
sales. Under marketing it can work in ABM-heavy or inbound-led orgs only with a strict,
weekly-measured handoff SLA to AEs — hence a warning, not an error. Charts with no
owner of the pipeline number are left to `function-without-pipeline-owner`.
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="000", figure="FAQ: SDRs report to the owner of the pipeline number")


def sdrs_outside_pipeline_line(chart: OrgChart) -> list[Finding]:
    owners = chart.owners_of("pipeline_number")
    if not owners:
        return []
    findings = []
    for sdr in chart.with_role("sdr"):
        line = [sdr, *chart.chain(sdr)]
        if any(o in line for o in owners):
            continue
        boss = chart.manager(sdr)
        findings.append(Finding(
            rule="sdrs-outside-pipeline-line", severity="warning",
            nodes=(sdr.id, *(o.id for o in owners)),
            message=f"{sdr.title} ({sdr.id}) reports to "
                    f"{boss.title + f' ({boss.id})' if boss else 'no one'}, outside the line of "
                    + ", ".join(f"{o.title} ({o.id})" for o in owners)
                    + ", who owns the pipeline number.",
            reason="SDRs should answer to whoever owns the number they feed; outside that "
                   "line it only works with a strict handoff SLA to AEs measured weekly.",
            source=SOURCE,
        ))
    return findings
