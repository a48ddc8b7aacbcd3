"""Speed to lead and SLAs: the one SLA clock (`engine.sla_clock`) as `accord sla --json`
reports it — compliance per SLA and per rep, the breach list worst first, escalations —
and the distribution of business minutes to first touch."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow.compute as pc

from accord.analytics.kpis.period import Period, parse_period
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, PageContent, Section, Table
from accord.dashboard.pages.common import PageContext, freshness, period_picker, view_picker
from accord.engine.sla_clock import compute_sla_clocks, sla_breaches, sla_overview
from accord.store.as_of import resolve_as_of

#: Bins of business minutes to first touch (upper bounds; the last is open).
MINUTE_BINS: tuple[tuple[float, str], ...] = (
    (5, "≤ 5 min"), (15, "5–15 min"), (30, "15–30 min"), (60, "30–60 min"),
    (120, "1–2 h"), (240, "2–4 h"), (480, "4–8 h"), (float("inf"), "> 8 h"))


def first_touch_distribution(ctx: PageContext, at: Any,
                             window: Period) -> list[dict[str, Any]]:
    """Per first-touch SLA, clocks started in `window` that stopped (the lead was touched)
    by business minutes to that touch, in `MINUTE_BINS`."""
    clocks = compute_sla_clocks(ctx.store, ctx.contract, at, view=ctx.view,  # type: ignore[arg-type]
                                escalations=False).started_between(window.start, window.end)
    states = clocks.states
    touched = states.filter(pc.and_(pc.equal(states["kind"], "first_touch"),
                                    pc.is_valid(states["stopped_at"])))
    out: list[dict[str, Any]] = []
    for sla in sorted(set(touched.column("sla").to_pylist())):
        minutes = touched.filter(pc.equal(touched["sla"], sla)) \
            .column("business_minutes").to_numpy(zero_copy_only=False)
        edges = [-np.inf, *(b for b, _ in MINUTE_BINS)]
        counts, _ = np.histogram(minutes, bins=np.array(edges, dtype=float))
        out += [{"sla": sla, "bin": label, "leads": int(n)}
                for (_, label), n in zip(MINUTE_BINS, counts, strict=True)]
    return out


def build(ctx: PageContext) -> PageContent:
    at = resolve_as_of(ctx.store, None)
    window = parse_period(ctx.period)
    overview = sla_overview(ctx.store, ctx.contract, at, view=ctx.view,  # type: ignore[arg-type]
                            since=window.start, until=window.end)
    worst = sla_breaches(ctx.store, ctx.contract, at, 25, view=ctx.view,  # type: ignore[arg-type]
                         since=window.start, until=window.end)
    o: dict[str, Any] = overview.as_dict()
    b: dict[str, Any] = worst.as_dict()
    sections: list[Section] = []

    slas = tuple(o["slas"])
    sections.append(Chart("sla-compliance", "Share of clocks within SLA (labels: share)",
                          charts.bars([s for s in slas if s["share_within"] is not None],
                                      category="sla", value="share_within",
                                      category_title="SLA", value_title="within SLA",
                                      value_format=".1%"), "slas"))
    sections.append(Table("slas", "Compliance per SLA", (
        Column("sla", "SLA"), Column("kind", "Kind"), Column("within", "Within"),
        Column("leads", "Leads", "int"), Column("met", "Met", "int"),
        Column("breached", "Breached", "int"), Column("open", "Open", "int"),
        Column("share_within", "Within SLA", "share")), slas,
        note=f"Clocks started in {window.label}, read as of {at.at:%Y-%m-%d %H:%M} UTC."))

    dist = first_touch_distribution(ctx, at, window)
    if dist:
        order = [label for _, label in MINUTE_BINS]
        sections.append(Chart("first-touch", "Business minutes to first touch (labels: leads)",
                              charts.histogram(dist, bin_label="bin", count="leads",
                                               bin_title="business minutes to first touch",
                                               count_title="leads", order=order),
                              "first-touch-table"))
        sections.append(Table("first-touch-table", "Time to first touch", (
            Column("sla", "SLA"), Column("bin", "Business time to first touch"),
            Column("leads", "Leads", "int")), tuple(dist)))

    per_rep = [{"sla": s["sla"], **r} for s in slas for r in s["by_rep"]]
    sections.append(Table("sla-by-rep", "Compliance per rep", (
        Column("sla", "SLA"), Column("rep_id", "Rep"), Column("met", "Met", "int"),
        Column("breached", "Breached", "int"), Column("open", "Open", "int"),
        Column("share_within", "Within SLA", "share")), tuple(per_rep)))

    sections.append(Table("breaches", "Breaches, most overdue first", (
        Column("sla", "SLA"), Column("lead_id", "Lead", link="/dashboard/leads/"),
        Column("rep_id", "Rep"), Column("due_at", "Due", "when"),
        Column("stopped_at", "Stopped", "when"),
        Column("overdue_minutes", "Overdue (business min)", "minutes")),
        tuple(b["breached_leads"]), note=f"{b['breached_total']} breached clocks, "
                                f"{b['unassigned_breaches']} without a rep; the "
                                f"{len(b['breached_leads'])} most overdue shown."))
    sections.append(Table("reps-worst", "Reps by breach rate, worst first", (
        Column("rep_id", "Rep"), Column("name", "Name"), Column("decided", "Decided", "int"),
        Column("breached", "Breached", "int"), Column("breach_rate", "Breach rate", "share")),
        tuple(b["reps"])))
    escalations = [{"sla": sla, "step": step, "fired": n}
                   for sla, steps in o["escalations"].items() for step, n in steps.items()]
    sections.append(Table("escalations", "Escalations fired", (
        Column("sla", "SLA"), Column("step", "Step"), Column("fired", "Fired", "int")),
        tuple(escalations)))
    return PageContent(
        "Speed to lead and SLAs", ctx.view,
        "Every SLA measured by the one clock the contract defines (business hours on its "
        "calendar, or the owner's): the same figures as accord sla --json.",
        tuple(sections), (period_picker(ctx), view_picker(ctx)), freshness(ctx))
