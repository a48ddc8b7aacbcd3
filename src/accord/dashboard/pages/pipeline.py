"""Pipeline velocity: per pipeline stage (the stages playing the pipeline roles), how many
leads sit there and how many are stalled (`analytics.diagnostics.pipeline_stalled_by_stage`,
the figures of seed 000's "pipeline stalled at one stage" in `accord org health`), how long
leads stay in each stage (`analytics.velocity.time_in_stage`), the stalled leads oldest
first, and the velocity KPIs of `accord kpis` (`pipeline_velocity`, `sales_cycle_days`)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import altair as alt
import ibis

from accord.analytics.diagnostics import STALL_DAYS, pipeline_stalled_by_stage
from accord.analytics.kpis import compute_kpis
from accord.analytics.velocity import SECONDS_PER_DAY, time_in_stage
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, Note, PageContent, Section, Table
from accord.dashboard.pages.common import PageContext, freshness, period_picker, view_picker
from accord.engine.views import stages_as_of
from accord.store.as_of import resolve_as_of

#: The KPIs of `compute_kpis` this page shows (the velocity and cycle-time figures).
VELOCITY_KPIS: tuple[str, ...] = ("pipeline_velocity", "sales_cycle_days", "win_rate",
                                  "pipeline_created")
#: Stalled leads listed, oldest first.
STALLED_SHOWN = 50


def stalled_chart(rows: list[dict[str, Any]], order: list[str]) -> dict[str, Any]:
    """Per stage a bar of open leads with its stalled part drawn over it, labelled
    "stalled of open" (readable without colour)."""
    data = [{**r, "label": f"{r['stalled']:,} stalled of {r['open']:,}"} for r in rows]
    base = alt.Chart(alt.Data(values=data)).encode(  # type: ignore[no-untyped-call]
        y=alt.Y("stage:N", title="stage", sort=order))
    open_bar = base.mark_bar(color="#c6d4e1").encode(
        x=alt.X("open:Q", title="leads in the stage (dark: stalled)"))
    stalled_bar = base.mark_bar(color="#2f5d8a").encode(x="stalled:Q")
    text = base.mark_text(align="left", dx=3, color="black").encode(x="open:Q", text="label:N")
    spec: dict[str, Any] = (open_bar + stalled_bar + text).properties(
        width=charts.WIDTH).to_dict()
    return spec


def build(ctx: PageContext) -> PageContent:
    at = resolve_as_of(ctx.store, None).at
    view: Any = ctx.view
    pipeline = list(ctx.contract.stages.pipeline)
    role_of = ctx.contract.stages.role_of
    counts = {r["stage"]: r for r in pipeline_stalled_by_stage(
        ctx.store, ctx.contract, at, view=view).to_pyarrow().to_pylist()}
    timing = {r["stage"]: r for r in time_in_stage(ctx.store, at, view=view)
              .to_pyarrow().to_pylist()}
    stages = []
    for name in pipeline:
        c, t = counts.get(name, {}), timing.get(name, {})
        open_, stalled = int(c.get("open") or 0), int(c.get("stalled") or 0)
        stages.append({"stage": name, "role": str(role_of.get(name) or ""), "open": open_,
                       "stalled": stalled,
                       "stalled_share": stalled / open_ if open_ else None,
                       "stays": int(t.get("stays") or 0), "median_days": t.get("median_days"),
                       "mean_days": t.get("mean_days")})

    sections: list[Section] = []
    sections.append(Chart("stage-days", "Median days in each stage (labels: days; table "
                                        "below)",
                          charts.bars([s for s in stages if s["median_days"] is not None],
                                      category="stage", value="median_days",
                                      category_title="stage", value_title="median days",
                                      value_format=",.1f", sort=pipeline), "stages"))
    sections.append(Chart("stage-stalled", f"Leads in each stage and those stalled over "
                                           f"{STALL_DAYS} days (labels: counts)",
                          stalled_chart(stages, pipeline), "stages"))
    sections.append(Table("stages", "Pipeline stages: leads there, stalled, time in stage", (
        Column("stage", "Stage"), Column("role", "Role"), Column("open", "Leads there", "int"),
        Column("stalled", f"Stalled (> {STALL_DAYS} d)", "int"),
        Column("stalled_share", "Stalled share", "share"),
        Column("stays", "Stays", "int"), Column("median_days", "Median in stage", "days"),
        Column("mean_days", "Mean in stage", "days")), tuple(stages),
        note=f"As of {at:%Y-%m-%d %H:%M} UTC. A lead is stalled when its latest stage move, "
             f"into this stage, is more than {STALL_DAYS} days old (seed 000's measure). A "
             "stay runs from entering the stage to the lead's next move; stays not yet "
             "left are measured to the as-of time."))

    cur = stages_as_of(ctx.store, view, at)
    cur = cur.filter(cur.stage.isin(pipeline) & (cur.since < at - timedelta(days=STALL_DAYS)))
    days = (ibis.literal(at, type="timestamp").epoch_seconds().cast("float64")
            - cur.since.epoch_seconds().cast("float64")) / SECONDS_PER_DAY
    total = int(cur.count().to_pyarrow().as_py())
    oldest = (cur.select("lead_id", "stage", "since", days_in_stage=days)
              .order_by(["since", "lead_id"]).limit(STALLED_SHOWN).to_pyarrow().to_pylist())
    sections.append(Table("stalled", "Stalled leads, oldest first", (
        Column("lead_id", "Lead", link="/dashboard/leads/"), Column("stage", "Stage"),
        Column("since", "In the stage since", "when"),
        Column("days_in_stage", "Days in stage", "days")), tuple(oldest),
        note=f"{total:,} stalled leads; the {len(oldest):,} oldest shown.",
        empty="No lead has sat in a pipeline stage that long."))

    report: dict[str, Any] = compute_kpis(ctx.store, ctx.contract, period=ctx.period,
                                          view=view, kpis=VELOCITY_KPIS).as_dict()
    definitions = report["definitions"]
    kpis = tuple({**r, "definition": definitions.get(r["kpi"], "")} for r in report["rows"])
    sections.append(Table("velocity-kpis", "Velocity KPIs", (
        Column("kpi", "KPI"), Column("value", "Value", "measure"), Column("unit", "Unit"),
        Column("numerator", "Numerator", "float"),
        Column("denominator", "Denominator", "float"), Column("target", "Target", "measure"),
        Column("status", "Status"), Column("definition", "Definition")), kpis,
        note=f"{report['basis_label']}; period {report['period']['label']} (the period "
             "picks these KPIs' leads; the stages above are as of now). "
             "pipeline_velocity's denominator is the median sales cycle in days."))
    sections += [Note(n) for n in report["notes"]]
    return PageContent(
        "Pipeline velocity", ctx.view,
        "How long leads sit in each pipeline stage, which are stalled, and the velocity KPIs "
        "both teams signed (the same figures as accord kpis --json and accord org health).",
        tuple(sections), (period_picker(ctx), view_picker(ctx)), freshness(ctx))
