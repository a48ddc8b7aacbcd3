"""Rule `no-handoff-owner`: nobody (or more than one person) owns the marketing→sales handoff.

Seed 000 (mistake 5): the gap between "marketing qualified" and "sales working" needs one
accountable owner — RevOps, a shared ops role or a pod lead. Seed 004: an alignment
owner shared between people amounts to no owner.
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="000", figure="mistake 5: no one owns the handoff")
SHARED = Source(seed="004", figure="what scales: shared ownership leads to none")


def no_handoff_owner(chart: OrgChart) -> list[Finding]:
    revenue = [p for p in chart.people if p.in_function in ("marketing", "sales", "revenue")]
    if not revenue:
        return []
    owners = chart.owners_of("handoff")
    if not owners:
        return [Finding(
            rule="no-handoff-owner", severity="error", nodes=(),
            message="No one on the chart owns the marketing→sales handoff "
                    "(add `owns: [handoff]` to one person).",
            reason="Leads stall between marketing-qualified and sales-working when nobody is "
                   "accountable for handoff speed and quality.",
            source=SOURCE,
        )]
    if len(owners) > 1:
        return [Finding(
            rule="no-handoff-owner", severity="warning", nodes=tuple(p.id for p in owners),
            message=f"{len(owners)} people share the handoff: "
                    + ", ".join(f"{p.title} ({p.id})" for p in owners) + ".",
            reason="Shared ownership of the handoff tends to mean nobody owns it; name one.",
            source=SHARED,
        )]
    return []
