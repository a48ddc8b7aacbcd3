"""Rule `product-marketing-cut-off`: product marketing inside product with no line to marketing.

Seed 003: product marketing under product produces accurate but commercially inert work;
it belongs with a line to the CMO and close ties to product. A dotted line between the
product marketer and anyone in marketing satisfies the rule.
"""

from __future__ import annotations

from accord.org.catalogue import Source
from accord.org.chart import OrgChart
from accord.org.findings import Finding

SOURCE = Source(seed="003", figure="where product marketing sits")


def product_marketing_cut_off(chart: OrgChart) -> list[Finding]:
    findings = []
    for pmm in chart.with_role("product_marketing"):
        home = next((p for p in chart.chain(pmm)
                     if p.in_function in ("product", "marketing")), None)
        if home is None or home.in_function != "product":
            continue
        marketing = {p.id for p in chart.people if p.in_function == "marketing"} - {pmm.id}
        dotted_out = marketing & set(pmm.dotted_to)
        dotted_in = {p.id for p in chart.people if p.id in marketing and pmm.id in p.dotted_to}
        if dotted_out or dotted_in:
            continue
        findings.append(Finding(
            rule="product-marketing-cut-off", severity="warning", nodes=(pmm.id, home.id),
            message=f"{pmm.title} ({pmm.id}) sits under {home.title} ({home.id}) with no "
                    "line to marketing.",
            reason="Inside product, product marketing drifts to technically accurate but "
                   "commercially flat work; give it a line (at least dotted) to the marketing "
                   "leader.",
            source=SOURCE,
        ))
    return findings
