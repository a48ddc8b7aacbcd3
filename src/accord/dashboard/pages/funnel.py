"""Funnel: how many leads reached each stage and the stage-to-stage conversion
(`analytics.funnel.compute_funnel`, the numbers of `accord funnel --json`), overall and
split by channel, segment or another lead column."""

from __future__ import annotations

from typing import Any

from accord.analytics.funnel import compute_funnel
from accord.analytics.kpis.period import parse_period
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, PageContent, Section, Table
from accord.dashboard.pages.common import (
    PageContext,
    by_picker,
    freshness,
    period_picker,
    view_picker,
)

BY_CHOICES = ("channel", "campaign_id", "landing_page", "country", "title")


def _rows(group: dict[str, Any], stages: list[str]) -> list[dict[str, Any]]:
    conv = list(group["conversion"].values())
    return [{"group": group["group"], "stage": s, "leads": group["counts"][s],
             "conversion": conv[i - 1] if i else None} for i, s in enumerate(stages)]


def build(ctx: PageContext) -> PageContent:
    period = parse_period(ctx.period)
    funnel = compute_funnel(ctx.store, ctx.contract, by=ctx.by, view=ctx.view,  # type: ignore[arg-type]
                            since=period.start, until=period.end)
    data: dict[str, Any] = funnel.as_dict()
    stages: list[str] = data["stages"]
    total = _rows(data["total"], stages)
    sections: list[Section] = [
        Chart("funnel-chart", "Leads reaching each stage (labels: leads)",
              charts.bars(total, category="stage", value="leads", category_title="stage",
                          value_title="leads", sort=stages), "funnel-total"),
        Table("funnel-total", "Funnel, all leads", (
            Column("stage", "Stage"), Column("leads", "Leads reached", "int"),
            Column("conversion", "From the stage before", "share")), tuple(total),
            note=f"{data['view_label']}; leads created in {period.label}.")]
    if data["groups"]:
        rows = [r for g in data["groups"] for r in _rows(g, stages)]
        sections.append(Table("funnel-groups", f"Funnel by {ctx.by}", (
            Column("group", str(ctx.by)), Column("stage", "Stage"),
            Column("leads", "Leads reached", "int"),
            Column("conversion", "From the stage before", "share")), tuple(rows)))
        last = stages[-1]
        won = [r for r in rows if r["stage"] == last]  # the funnel's last step, by position
        sections.insert(1, Chart("funnel-groups-chart",
                                 f"Leads reaching {last}, by {ctx.by} (labels: leads)",
                                 charts.bars(won, category="group", value="leads",
                                             category_title=str(ctx.by),
                                             value_title="leads"), "funnel-groups"))
    return PageContent(
        "Funnel", ctx.view,
        "Stage-to-stage conversion and volume through the contract's lifecycle: the same "
        "figures as accord funnel --json.",
        tuple(sections),
        (period_picker(ctx), by_picker(ctx, BY_CHOICES), view_picker(ctx)), freshness(ctx))
