"""The generated part of `docs/kpis.md`: every KPI and dimension, from the registry.

`docs/kpis.md` holds the text between `BEGIN` and `END` verbatim; a test checks that it
equals `render_kpi_reference()`, so the page cannot drift from the code. Definitions are
shown under the starter contract's stage names (a report shows its contract's).
"""

from __future__ import annotations

from accord.analytics.kpis.definitions import KPIS
from accord.analytics.kpis.dimensions import DIMENSIONS
from accord.analytics.kpis.report import WARN_TOLERANCE
from accord.contract.compiled import starter_contract

BEGIN = "<!-- BEGIN generated from accord.analytics.kpis (render_kpi_reference) -->"
END = "<!-- END generated -->"


def render_kpi_reference() -> str:
    """Markdown tables of the KPIs and the dimensions, between the markers."""
    lines = [BEGIN, "", "### KPIs", "",
             "| KPI | definition | unit | a target is | split by |", "|---|---|---|---|---|"]
    every = set(DIMENSIONS) - {"rejection_reason"}
    starter = starter_contract()
    for d in KPIS.values():
        dims = ("every dimension" if d.dimensions == every
                else "every dimension and `rejection_reason`" if d.dimensions > every
                else ", ".join(f"`{x}`" for x in DIMENSIONS if x in d.dimensions))
        direction = "a floor (at least)" if d.direction == "at_least" else "a ceiling (at most)"
        lines.append(f"| `{d.name}` | {d.describe(starter)} | {d.unit} | {direction} | "
                     f"{dims} |")
    lines += ["", "### Dimensions", "", "| dimension | a row's group |", "|---|---|"]
    lines += [f"| `{x.name}` | {x.doc} |" for x in DIMENSIONS.values()]
    lines += ["", "### Status against a target", "",
              "| status | when |", "|---|---|",
              "| `ok` | the target is met |",
              f"| `warn` | missed by at most {WARN_TOLERANCE:.0%} of the target |",
              "| `off-target` | missed by more |",
              "| `no-target` | the contract sets no target for the KPI |",
              "| `no-data` | a target is set but there is nothing to measure |",
              "", END]
    return "\n".join(lines)
