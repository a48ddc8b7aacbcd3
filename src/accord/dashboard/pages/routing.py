"""Routing: who got the leads, against each rep's daily capacity, and whether each rep got
its agreed share — `accord route --fairness` as the dashboard shows it.

The page reads the routing tables the last `accord run` (or `accord route`) stored —
`assignments`, `routing_skips`, `routing_pools` (`engine/routing.py`) — and never routes
itself (the dashboard only reads); the fairness figures are `engine.fairness`'s report
over them. A rep's load is counted per capacity day, the local day of the contract
calendar's timezone, as the router counts it."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import altair as alt
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.schema import PoolTarget, QueueTarget
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, Note, PageContent, Picker, Section, Table
from accord.dashboard.pages.common import PageContext, freshness
from accord.engine.fairness import Period, fairness_report
from accord.engine.routing import FALLBACK_RULE, QUEUE_PREFIX, RoutingResult, local_days
from accord.errors import NotComputedError

PERIODS: tuple[tuple[str, str], ...] = (("month", "month"), ("week", "ISO week"))


def period_choice(ctx: PageContext) -> Period:
    return "week" if ctx.get("per") == "week" else "month"


def stored_routing(ctx: PageContext) -> RoutingResult | None:
    """The routing tables as last stored; None before any routing ran."""
    try:
        tables = [ctx.store.derived(name).to_pyarrow()
                  for name in ("assignments", "routing_skips", "routing_pools")]
    except NotComputedError:
        return None
    return RoutingResult(*tables)


def rep_load(ctx: PageContext, result: RoutingResult) -> list[dict[str, Any]]:
    """Per rep (assigned a lead, or a pool member): leads assigned, share of the leads
    given to reps, capacity days with a lead, the busiest day's leads, the mean per such
    day, the rep's `capacity_per_day`, days that reached it, and the skips at capacity
    and out of office."""
    a = result.assignments
    to_rep = a.filter(pc.invert(pc.starts_with(a.column("owner"), QUEUE_PREFIX)))
    tz = ctx.contract.calendar.timezone
    micros = to_rep.column("assigned_at").cast(pa.int64()).to_numpy(zero_copy_only=False)
    days = local_days(np.asarray(micros, dtype=np.int64), None if tz == "UTC" else ZoneInfo(tz))
    per_day = (pd.DataFrame({"rep_id": to_rep.column("owner").to_pandas(), "day": days})
               .groupby(["rep_id", "day"]).size().rename("leads").reset_index())
    reps = (ctx.store.table("reps").select("rep_id", "name", "role", "capacity_per_day")
            .to_pyarrow().to_pandas())
    per_day = per_day.merge(reps[["rep_id", "capacity_per_day"]], on="rep_id", how="left")
    per_day["full"] = per_day["leads"] >= per_day["capacity_per_day"]
    load = per_day.groupby("rep_id").agg(leads=("leads", "sum"), days=("leads", "size"),
                                         peak_day=("leads", "max"),
                                         days_at_capacity=("full", "sum"))
    skips = result.skips.to_pandas()
    skipped = (skips.groupby(["rep_id", "reason"]).size().unstack("reason")
               .reindex(columns=["at_capacity", "out_of_office"], fill_value=0)
               .add_prefix("skipped_"))
    members = set(result.members.column("rep_id").to_pylist())
    shown = reps[reps["rep_id"].isin(set(load.index) | members)]
    table = (shown.set_index("rep_id").join([load, skipped])
             .fillna({"leads": 0, "days": 0, "days_at_capacity": 0,
                      "skipped_at_capacity": 0, "skipped_out_of_office": 0})
             .reset_index())
    total = int(table["leads"].sum())
    table["share"] = table["leads"] / total if total else np.nan
    table["mean_per_day"] = np.where(table["days"] > 0,
                                     table["leads"] / table["days"].clip(lower=1), np.nan)
    table = table.sort_values(["leads", "rep_id"], ascending=[False, True], kind="stable")
    ints = ("leads", "days", "peak_day", "days_at_capacity", "capacity_per_day",
            "skipped_at_capacity", "skipped_out_of_office")
    rows: list[dict[str, Any]] = []
    for r in table.to_dict("records"):
        row: dict[str, Any] = {str(k): (None if pd.isna(v) else v) for k, v in r.items()}
        rows.append({**row, **{k: _number(row[k], int) for k in ints},
                     "share": _number(row["share"], float),
                     "mean_per_day": _number(row["mean_per_day"], float)})
    return rows


def _number(value: Any, kind: type[int] | type[float]) -> Any:
    """A plain int or float for JSON (NumPy scalars are not), None kept."""
    return None if value is None else kind(value)


def load_chart(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Per rep a bar of its busiest day's leads and a tick at its daily capacity, labelled
    "peak N / capacity C" (readable without colour)."""
    data = [{**r, "label": f"peak {r['peak_day']} / capacity "
                           f"{'—' if r['capacity_per_day'] is None else r['capacity_per_day']}",
             "end": max(r["peak_day"] or 0, r["capacity_per_day"] or 0)}
            for r in rows if r["peak_day"] is not None]
    order = [r["rep_id"] for r in data]
    base = alt.Chart(alt.Data(values=data)).encode(  # type: ignore[no-untyped-call]
        y=alt.Y("rep_id:N", title="rep", sort=order))
    bar = base.mark_bar(color="#2f5d8a").encode(
        x=alt.X("peak_day:Q", title="leads on the busiest day (tick: capacity per day)"))
    tick = base.mark_tick(color="black", thickness=3).encode(x="capacity_per_day:Q")
    text = base.mark_text(align="left", dx=6, color="black").encode(x="end:Q",
                                                                    text="label:N")
    spec: dict[str, Any] = (bar + tick + text).properties(width=charts.WIDTH).to_dict()
    return spec


def rule_rows(ctx: PageContext, result: RoutingResult) -> list[dict[str, Any]]:
    """The contract's rules in order (then the fallback queue) and the leads each
    assigned."""
    leads: dict[str, int] = {}
    for r in result.by_rule():
        leads[r["rule"]] = leads.get(r["rule"], 0) + int(r["leads"])
    rows = []
    for spec in ctx.contract.routing_rules:
        to = spec.to
        target = (f"pool {to.pool}" if isinstance(to, PoolTarget) else
                  f"queue {to.queue}" if isinstance(to, QueueTarget) else str(to))
        rows.append({"order": spec.index + 1, "rule": spec.label, "when": spec.when or "always",
                     "to": target, "leads": leads.get(spec.label, 0)})
    rows.append({"order": len(rows) + 1, "rule": FALLBACK_RULE, "when": "no rule assigned",
                 "to": f"queue {ctx.contract.source.routing.fallback_queue}",
                 "leads": leads.get(FALLBACK_RULE, 0)})
    return rows


def build(ctx: PageContext) -> PageContent:
    per = period_choice(ctx)
    pickers = (Picker("per", "Shares per", per, PERIODS),)
    result = stored_routing(ctx)
    intro = ("Who got each lead and by which rule, each rep's load against its daily "
             "capacity, and each rep's share of its pool against the agreed weights: the "
             "same figures as accord route --fairness --json, read from the routing the "
             "last accord run (or accord route) stored.")
    if result is None:
        return PageContent("Routing", "derived", intro, (Note(
            "No routing has been stored yet: run `accord run` or `accord route`.",
            "warning"),), pickers, freshness(ctx))
    sections: list[Section] = []
    reps = rep_load(ctx, result)
    if any(r["peak_day"] is not None for r in reps):
        sections.append(Chart("rep-load", "Busiest day per rep against its daily capacity "
                                          "(labels: leads, capacity)",
                              load_chart(reps), "reps"))
    sections.append(Chart("rep-leads", "Leads assigned per rep (labels: leads)",
                          charts.bars(reps, category="rep_id", value="leads",
                                      category_title="rep", value_title="leads assigned",
                                      sort=[r["rep_id"] for r in reps]), "reps"))
    sections.append(Table("reps", "Assignments per rep against capacity", (
        Column("rep_id", "Rep"), Column("name", "Name"), Column("role", "Role"),
        Column("leads", "Leads", "int"), Column("share", "Share of rep leads", "share"),
        Column("days", "Days with leads", "int"), Column("peak_day", "Busiest day", "int"),
        Column("mean_per_day", "Mean per day with leads", "float"),
        Column("capacity_per_day", "Capacity per day", "int"),
        Column("days_at_capacity", "Days at capacity", "int"),
        Column("skipped_at_capacity", "Skipped: at capacity", "int"),
        Column("skipped_out_of_office", "Skipped: out of office", "int")), tuple(reps),
        note=f"Days are capacity days in {ctx.contract.calendar.timezone}; a pool's own "
             "capacity per day (below) lowers a rep's for that pool's turns."))

    sections.append(Table("rules", "Routing rules in contract order", (
        Column("order", "#", "int"), Column("rule", "Rule"), Column("when", "When"),
        Column("to", "To"), Column("leads", "Leads assigned", "int")),
        tuple(rule_rows(ctx, result)),
        note=f"{result.assignments.num_rows:,} leads routed; the first rule that applies "
             "and can assign decides."))
    sections.append(Table("skips", "Reps passed over, per rule and reason", (
        Column("rule", "Rule"), Column("pool", "Pool"), Column("reason", "Reason"),
        Column("leads", "Leads", "int")), tuple(result.skips_by_reason()),
        empty="No rep was passed over."))
    pools = ctx.contract.source.routing.pools
    members = result.members.to_pylist()
    sections.append(Table("pools", "Pools", (
        Column("pool", "Pool"), Column("members", "Active members", "int"),
        Column("capacity_per_day", "Pool capacity per day", "int"),
        Column("catch_up_after_leave", "Catch up after leave")),
        tuple({"pool": name, "members": sum(m["pool"] == name for m in members),
               "capacity_per_day": pool.capacity_per_day,
               "catch_up_after_leave": "yes" if pool.catch_up_after_leave else "no"}
              for name, pool in pools.items())))

    report = fairness_report(result.assignments, result.skips, result.members, period=per)
    data = report.to_dict()
    sections.append(Table("fairness", f"Share per pool and {per} against the weights", (
        Column("pool", "Pool"), Column("period", per.capitalize(), "when"),
        Column("rep_id", "Rep"), Column("weight", "Weight", "float"),
        Column("intended_share", "Intended", "share"), Column("assigned", "Assigned", "int"),
        Column("share", "Share", "share"), Column("turns", "Turns", "int"),
        Column("skipped_out_of_office", "Out of office", "int"),
        Column("skipped_at_capacity", "At capacity", "int"),
        Column("available_share", "Available", "share"),
        Column("expected", "Expected", "float"), Column("deviation", "Deviation", "float")),
        tuple(data["shares"]),
        note="Expected: the rep's share of the pool's leads by weight and availability; "
             "deviation = assigned − expected, in leads."))
    sections.append(Table("skip-flows", "Skipped leads and where they went", (
        Column("period", per.capitalize(), "when"), Column("rule", "Rule"),
        Column("pool", "Pool"), Column("rep_id", "Rep"), Column("reason", "Reason"),
        Column("went_to", "Went to"), Column("leads", "Leads", "int")),
        tuple(data["skips"]), empty="No lead skipped a rep."))
    return PageContent("Routing", "derived", intro, tuple(sections), pickers,
                       freshness(ctx))
