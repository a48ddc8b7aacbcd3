"""Leads: the newest leads and a lookup (`/dashboard/leads`), and one lead's page
(`/dashboard/leads/<id>`): its timeline of recorded facts, its scores with their
explanation, its owner and the routing rule that chose it, its SLA clocks, and the
decision log (the actual view: what the server decided, with the contract version).
Sales (and admin) get accept and reject buttons."""

from __future__ import annotations

from typing import Any

import ibis

from accord.dashboard.page import Column, Facts, Field, Form, Note, PageContent, Section, Table
from accord.dashboard.pages.common import PageContext, freshness
from accord.errors import UnknownNameError

DECIDE_ROLES = ("sales", "admin")
NEWEST = 50


def build(ctx: PageContext) -> PageContent:
    wanted = ctx.get("lead")
    if wanted:
        return build_one(ctx, wanted.strip())
    t = ctx.store.table("leads")
    newest = (t.select("lead_id", "created_at", "channel", "title", "country", "account_id")
              .order_by([ibis.desc("created_at"), "lead_id"]).limit(NEWEST)
              .to_pyarrow().to_pylist())
    return PageContent(
        "Leads", "actual", "Open a lead to see its timeline, scores, owner and SLA clocks.",
        (Note("Pick a lead below, or open /dashboard/leads?lead=<id>."),
         Table("newest", f"The {NEWEST} newest leads", (
             Column("lead_id", "Lead", link="/dashboard/leads/"),
             Column("created_at", "Created", "when"), Column("channel", "Channel"),
             Column("title", "Title"), Column("country", "Country"),
             Column("account_id", "Account")), tuple(newest))),
        (), freshness(ctx))


def _timeline(ctx: PageContext, lead_id: str) -> tuple[dict[str, Any], ...]:
    rows: list[dict[str, Any]] = []
    store = ctx.store
    t = store.table("touches")
    for r in t.filter(t.lead_id == lead_id).to_pyarrow().to_pylist():
        rows.append({"at": r["occurred_at"], "what": "touch", "detail": r["signal"],
                     "by": r.get("channel")})
    a = store.table("activities")
    for r in a.filter(a.lead_id == lead_id).to_pyarrow().to_pylist():
        rows.append({"at": r["occurred_at"], "what": "sales activity", "detail": r["kind"],
                     "by": r["rep_id"]})
    s = store.table("stage_events")
    for r in s.filter(s.lead_id == lead_id).to_pyarrow().to_pylist():
        detail = f"{r['from_stage'] or '—'} → {r['to_stage']}"
        if r.get("reason"):
            detail += f" ({r['reason']})"
        rows.append({"at": r["occurred_at"], "what": "stage move", "detail": detail,
                     "by": r["actor"]})
    rows.sort(key=lambda r: (r["at"], r["what"]))
    return tuple(rows)


def build_one(ctx: PageContext, lead_id: str) -> PageContent:
    intake = ctx.svc.intake
    known = lead_id in intake.engine.lead_ids
    decisions = intake.lead_decisions(lead_id)
    if not known and not decisions:
        raise UnknownNameError("lead", lead_id, [], where="lead")
    clock = intake.engine.clock()
    now = intake.engine.decision(lead_id, clock).as_dict() if known else None
    sections: list[Section] = []
    if now is not None:
        routing = now["routing"] or {}
        sections.append(Facts("lead-now", (
            ("Stage", str(now["stage"])), ("Owner", str(now["owner"] or "—")),
            ("Routing rule", str(routing.get("rule") or "—")),
            ("Pool", str(routing.get("pool") or "—")),
            ("Why this owner", str(routing.get("reason") or "—")),
            ("Fit", f"{now['fit']} (tier {now['tier']}, ICP {now['icp'] or '—'})"),
            (f"Engagement at {clock:%Y-%m-%d %H:%M} UTC (signals decay)",
             f"{float(now['engagement']):,.2f}"))))
        why = now["why"]
        sections.append(Table("fit", "Fit score explained (the best ICP's criteria)", (
            Column("criterion", "Criterion"), Column("value", "Lead's value"),
            Column("met", "Met"), Column("points", "Points", "float")),
            tuple({"criterion": c.get("criterion") or c.get("name") or c.get("field"),
                   "value": c.get("value"), "met": c.get("met"), "points": c.get("points")}
                  for c in why["fit"])))
        sections.append(Table("engagement", "Engagement explained", (
            Column("signal", "Signal"), Column("touches", "Touches", "int"),
            Column("counted", "Counted", "int"), Column("points", "Points each", "float"),
            Column("contribution", "Contribution", "float")), tuple(why["engagement"])))
        sections.append(Table("clocks", "SLA clocks", (
            Column("sla", "SLA"), Column("due", "Due", "when")),
            tuple({"sla": k, "due": v} for k, v in sorted(now["sla_deadlines"].items())),
            empty="No SLA clock running for this lead."))
        if ctx.role in DECIDE_ROLES:
            reasons = tuple(ctx.contract.source.rejection_reasons)
            sections.append(Form("accept", f"/dashboard/leads/{lead_id}/decide", "Accept", (
                Field("decision", "", "hidden", "accept"),
                Field("rep_id", "", "hidden", str(now["owner"] or ""))),
                title="Sales: accept or reject this lead"))
            sections.append(Form("reject", f"/dashboard/leads/{lead_id}/decide", "Reject", (
                Field("decision", "", "hidden", "reject"),
                Field("reason", "Reason code", "select", reasons[0] if reasons else "",
                      reasons))))
    sections.append(Table("timeline", "Timeline (recorded facts)", (
        Column("at", "When", "when"), Column("what", "What"), Column("detail", "Detail"),
        Column("by", "By / channel")), _timeline(ctx, lead_id)))
    sections.append(Table("decisions", "Decision log (what the server decided)", (
        Column("decided_at", "Decided", "when"), Column("kind", "Decision"),
        Column("name", "Name"), Column("value", "Value"), Column("event_id", "Event"),
        Column("contract_version", "Contract version", "int")),
        tuple(decisions), empty="The server has decided nothing about this lead yet "
                                "(its history came from an import)."))
    return PageContent(f"Lead {lead_id}", "actual",
                       "One lead: what was recorded, how it scores and why, who owns it "
                       "and which rule chose them, and its SLA clocks.",
                       tuple(sections), (), freshness(ctx))
