"""Insights: the closed-loop findings (`analytics.insights.closed_loop_insights`, as
`accord insights --json`): groups that convert differently from the rest, each with its
95 % confidence interval and its false-discovery-rate q-value."""

from __future__ import annotations

from typing import Any

import altair as alt

from accord.analytics.insights import closed_loop_insights
from accord.analytics.kpis.period import parse_period
from accord.dashboard.page import CellKind, Chart, Column, Note, PageContent, Section, Table
from accord.dashboard.pages.common import PageContext, freshness, period_picker, view_picker

REJECTION_KINDS: dict[str, CellKind] = {"count": "int", "share": "share",
                                        "overall_share": "share"}


def _ratio_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    data = alt.Data(values=rows)  # type: ignore[no-untyped-call]
    base = alt.Chart(data).encode(y=alt.Y("finding:N", title=None, sort=None))
    ci = base.mark_rule().encode(x=alt.X("ci_low:Q", title="conversion ratio vs the rest "
                                                         "(95 % CI)"), x2="ci_high:Q")
    point = base.mark_point(filled=True, color="black").encode(x="ratio:Q")
    label = base.mark_text(align="left", dx=6, dy=-8, color="black").encode(
        x="ratio:Q", text=alt.Text("ratio:Q", format=".2f"))
    one = alt.Chart(alt.Data(values=[{"x": 1}])).mark_rule(  # type: ignore[no-untyped-call]
        strokeDash=[4, 4]).encode(x="x:Q")
    spec: dict[str, Any] = (ci + point + label + one).properties(width=480).to_dict()
    return spec


def build(ctx: PageContext) -> PageContent:
    found = closed_loop_insights(ctx.store, ctx.contract, period=parse_period(ctx.period),
                                 view=ctx.view)  # type: ignore[arg-type]
    data: dict[str, Any] = found.as_dict()
    rows = [{**i, "finding": f"{i['dimension']}={i['value']} {i['from_stage']}→"
                             f"{i['to_stage']}"} for i in data["insights"]]
    sections: list[Section] = []
    if rows:
        sections.append(Chart("insights-chart", "Conversion ratio against the rest, with "
                                                "its 95 % CI (labels: ratio)",
                              _ratio_chart(rows), "insights"))
    sections.append(Table("insights", "Findings", (
        Column("sentence", "Finding"), Column("dimension", "Dimension"),
        Column("value", "Value"), Column("from_stage", "From"), Column("to_stage", "To"),
        Column("n", "Leads", "int"), Column("rate", "Rate", "share"),
        Column("rest_rate", "Rest", "share"), Column("ratio", "Ratio", "float"),
        Column("ci_low", "CI low", "float"), Column("ci_high", "CI high", "float"),
        Column("q_value", "q-value", "float")), tuple(rows),
        note=f"{data['tests']} comparisons tested; false discovery rate {data['fdr']}, "
             f"ratio at least {data['min_ratio']}, at least {data['min_n']} leads.",
        empty="No group converts differently enough to report."))
    sections.append(Table("rejections", "Top rejection reasons", tuple(
        Column(k, k.replace("_", " "), REJECTION_KINDS.get(k, "text"))
        for k in (data["top_rejection_reasons"][0] if data["top_rejection_reasons"] else {})),
        tuple(data["top_rejection_reasons"]), empty="No rejections recorded."))
    sections += [Note(n) for n in data["notes"]]
    return PageContent(
        "Insights", ctx.view,
        "What the closed loop found: who converts differently, each with a confidence "
        "interval and false-discovery control. The same findings as accord insights --json.",
        tuple(sections), (period_picker(ctx), view_picker(ctx)), freshness(ctx))
