"""Overview: the shared KPIs against their contract targets (`analytics.kpis.compute_kpis`,
the numbers of `accord kpis --json`), with the status the contract's target gives each."""

from __future__ import annotations

from typing import Any

from accord.analytics.kpis import compute_kpis
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, Note, PageContent, Section, Table
from accord.dashboard.pages.common import (
    PageContext,
    by_picker,
    freshness,
    period_picker,
    view_picker,
)

#: How the page words each KPI status (the library's status names).
STATUS_WORDS = {"ok": "on track", "warn": "at risk", "off-target": "off",
                "no-target": "no target", "no-data": "no data"}


def build(ctx: PageContext) -> PageContent:
    report = compute_kpis(ctx.store, ctx.contract, period=ctx.period, by=ctx.by,
                          view=ctx.view)  # type: ignore[arg-type]
    data: dict[str, Any] = report.as_dict()
    rows = []
    for r in data["rows"]:
        rows.append({**r, "status_text": STATUS_WORDS.get(str(r["status"]), r["status"]),
                     "definition": report_definition(data, str(r["kpi"]))})
    company = [r for r in rows if r["group"] == "all"]
    table = Table("kpis", "Shared KPIs against the contract's targets", (
        Column("kpi", "KPI"), Column("group", "Group"), Column("value", "Value", "measure"),
        Column("unit", "Unit"), Column("target", "Target", "measure"),
        Column("direction", "Target is"), Column("status_text", "Status"),
        Column("numerator", "Numerator", "float"), Column("denominator", "Denominator",
                                                           "float")),
        tuple(rows), note=f"{data['view_label']}; {data['basis_label']}; period "
                          f"{data['period']['label']}.")
    share_rows = [{"kpi": r["kpi"], "value": r["value"], "status": r["status_text"]}
                  for r in company if r["unit"] == "share"
                  and r["value"] is not None]
    sections: list[Section] = []
    if share_rows:
        sections.append(Chart("kpi-shares", "Conversion KPIs (labels: value; table below)",
                              charts.bars(share_rows, category="kpi", value="value",
                                          category_title="KPI", value_title="share",
                                          value_format=".1%"), "kpis"))
    sections.append(table)
    sections += [Note(n) for n in data["notes"]]
    return PageContent(
        "Overview", ctx.view,
        "The KPIs both teams signed, each against its contract target: on track, at risk "
        "or off. The same figures as accord kpis --json for this period.",
        tuple(sections), (period_picker(ctx), by_picker(ctx), view_picker(ctx)),
        freshness(ctx))


def report_definition(data: dict[str, Any], kpi: str) -> str:
    return str(data["definitions"].get(kpi, ""))
