"""The four meeting packs of the operating rhythm, built from the library's own figures.

- weekly pipeline review (30 min, marketing + sales): MQL volume and quality against
  marketing's commitment, rejections by reason, speed-to-lead breaches by rep, pipeline
  from marketing-sourced leads, stalled deals by stage, insights new since last week;
- biweekly alignment check (60 min, leadership + RevOps): the shared KPIs against their
  targets, this fortnight beside the last, escalations, decisions needed;
- monthly SLA review: compliance per commitment and side, worst offenders, escalation log;
- quarterly ICP and structure review: ICP fit against won and lost with the scoring
  proposal, retention and expansion, maturity and the audit gap, structure signals, the
  next review date.

Every figure comes from the function behind a CLI command (`compute_kpis` for `accord
kpis`, `sla_overview` / `sla_breaches` for `accord sla`, …), with the period basis for KPIs
(events in the period), so a pack's numbers are `accord kpis --basis period --period P`'s.
Periods default from the data's as-of time: the 7 or 14 days ending on it, its calendar
month, its calendar quarter. Minutes and attendees come from the contract's cadence of the
pack's rhythm (`PACK_FOR_EVERY`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from accord.analytics.diagnostics import STALL_DAYS, pipeline_stalled_by_stage
from accord.analytics.insights import Insight, find_insights
from accord.analytics.kpis import KPIS, KpiReport, Period, compute_kpis, parse_period
from accord.analytics.kpis.compute import data_span
from accord.analytics.kpis.period import _add_months
from accord.contract.compiled import CompiledContract
from accord.dashboard import charts
from accord.engine.sla_clock import compute_sla_clocks, sla_breaches, sla_overview
from accord.engine.views import VIEW_LABELS, View, check_view
from accord.errors import UnknownNameError
from accord.reports.pack import (
    PACK_FOR_EVERY,
    PACK_KINDS,
    Column,
    Figure,
    Pack,
    Para,
    Section,
    Table,
    time_boxes,
)
from accord.reports.quarterly import quarterly_sections
from accord.store.as_of import resolve_as_of
from accord.store.audit import write_audit
from accord.store.base import Store
from accord.store.contract_versions import history

__all__ = ["PACK_KINDS", "build_pack", "default_period", "pack_cadence"]

#: The KPIs the weekly pack reads for MQL volume and quality.
MQL_KPIS = ("mql_volume", "lead_to_mql", "mql_to_sal", "mql_rejection_rate", "handoff_rate")
PIPELINE_KPIS = ("sql_to_opportunity", "pipeline_created", "marketing_sourced_pipeline_share",
                 "win_rate")
SPEED_KPIS = ("speed_to_lead_median_minutes", "speed_to_lead_within_sla")
#: Shown in the biweekly pack beside the contract's targeted KPIs.
ALIGNMENT_KPIS = ("mql_volume", "mql_to_sal", "sal_to_sql", "win_rate",
                  "speed_to_lead_median_minutes", "pipeline_created",
                  "marketing_sourced_pipeline_share")

_TITLES = {"weekly": "Weekly pipeline review", "biweekly": "Biweekly alignment check",
           "monthly": "Monthly SLA review", "quarterly": "Quarterly ICP and structure review"}
_PURPOSE = {
    "weekly": "Is marketing sending enough of the right leads, and is sales working them "
              "in time? Thirty minutes, marketing and sales together.",
    "biweekly": "Are the shared KPIs on track against the targets both teams signed, and "
                "what must leadership decide?",
    "monthly": "Did each side keep its service levels: marketing's volume and acceptance, "
               "sales' speed and touches?",
    "quarterly": "Is the ICP still the customer who buys and stays, is the agreement "
                 "working as written, and does the structure still fit?",
}
_DEFAULT_MINUTES = {"weekly": 30, "biweekly": 60, "monthly": 60, "quarterly": 90}

KPI_COLUMNS = (Column("kpi", "KPI"), Column("value", "Value", "measure"),
               Column("unit", "Unit"), Column("target", "Target", "measure"),
               Column("status", "Status"), Column("numerator", "Numerator", "float"),
               Column("denominator", "Denominator", "float"))


@dataclass(frozen=True)
class PackCadence:
    name: str | None
    minutes: int
    attendees: tuple[str, ...]


def pack_cadence(contract: CompiledContract, kind: str) -> PackCadence:
    """The contract's cadence whose rhythm brings this pack (minutes, attendees by owner
    title); the seeds' defaults when the contract has none of that rhythm."""
    owners = contract.source.owners
    for name, c in sorted(contract.source.cadences.items()):
        if PACK_FOR_EVERY.get(c.every) == kind:
            return PackCadence(name, c.minutes, tuple(f"{owners.get(k, k)} ({k})"
                                                  for k in c.with_))
    return PackCadence(None, _DEFAULT_MINUTES[kind], ())


def default_period(kind: str, as_of: datetime) -> Period:
    """The period a pack covers by default, from the as-of time: weekly and biweekly the
    7 / 14 days ending on as-of's day, monthly its calendar month, quarterly its quarter."""
    day = as_of.date()
    if kind in ("weekly", "biweekly"):
        days = 7 if kind == "weekly" else 14
        first = day - timedelta(days=days - 1)
        return parse_period(f"{first}..{day}")
    if kind == "monthly":
        return parse_period(f"{day:%Y-%m}")
    if kind == "quarterly":
        return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")
    raise UnknownNameError("pack", kind, PACK_KINDS)


def previous_period(p: Period) -> Period:
    """The period of the same length just before `p` (a calendar month or quarter before a
    calendar one)."""
    assert p.start is not None and p.end is not None
    if p.start.day == 1 and p.end.day == 1:
        months = (p.end.year - p.start.year) * 12 + p.end.month - p.start.month
        start = _add_months(p.start, -months)
        if months == 3 and p.start.month % 3 == 1:
            return parse_period(f"{start.year}-Q{(start.month - 1) // 3 + 1}")
        if months == 1:
            return parse_period(f"{start:%Y-%m}")
        return parse_period(f"{start.date()}..{(p.start - timedelta(days=1)).date()}")
    length = p.end - p.start
    first = p.start - length
    return parse_period(f"{first.date()}..{(p.start - timedelta(days=1)).date()}")


# -- shared pieces ---------------------------------------------------------------------------
def _kpi_rows(report: KpiReport, names: Sequence[str]) -> tuple[dict[str, Any], ...]:
    out = []
    for name in names:
        if name not in KPIS:
            continue
        r = report.row(name).as_dict()
        out.append({**r, "definition": dict(report.definitions).get(name, "")})
    return tuple(out)


def _kpis(store: Store, contract: CompiledContract, period: Period, names: Sequence[str],
          view: View, at: datetime, by: str | None = None) -> KpiReport:
    known = [n for n in names if n in KPIS]
    return compute_kpis(store, contract, period=period, by=by, basis="period", view=view,
                        as_of=at, kpis=known)


def _kpi_table(id_: str, title: str, report: KpiReport, names: Sequence[str]) -> Table:
    return Table(id_, title, KPI_COLUMNS, _kpi_rows(report, names),
                 note=f"{report.basis_label}; period {report.period.label}. The same "
                      f"figures as `accord kpis --basis period --period "
                      f"{report.period.label}`.")


def _share_chart(id_: str, title: str, rows: Sequence[Mapping[str, Any]], table: str
                 ) -> Figure | None:
    shares = [{"kpi": r["kpi"], "value": r["value"]} for r in rows
              if r["unit"] == "share" and r["value"] is not None]
    if not shares:
        return None
    return Figure(id_, title, charts.bars(shares, category="kpi", value="value",
                                          category_title="KPI", value_title="share",
                                          value_format=".1%"), table)


def _blocks(*items: Table | Figure | Para | None) -> tuple[Table | Figure | Para, ...]:
    return tuple(i for i in items if i is not None)


def _escalation_log(store: Store, contract: CompiledContract, at: datetime, view: View,
                    period: Period, limit: int = 25) -> Table:
    clocks = compute_sla_clocks(store, contract, at, view=view).started_between(
        period.start, period.end)
    t = clocks.escalations.sort_by([("at", "descending"), ("lead_id", "ascending"),
                                    ("sla", "ascending"), ("step", "ascending")])
    total = t.num_rows
    rows = tuple({"at": r["at"], "sla": r["sla"], "step": r["step"], "lead_id": r["lead_id"],
                  "action": r["action"], "recipient": r["recipient"] or r["notify"] or "—",
                  "rep_id": r["rep_id"]}
                 for r in t.slice(0, limit).to_pylist())
    return Table("escalation-log", "Escalation log, latest first", (
        Column("at", "When", "when"), Column("sla", "SLA"), Column("step", "Step", "int"),
        Column("lead_id", "Lead"), Column("action", "Action"),
        Column("recipient", "Recipient"), Column("rep_id", "Rep")), rows,
        note=f"{total:,} escalations fired on clocks started in {period.label}; the "
             f"{len(rows):,} latest shown.", empty="No escalation fired.")


def _escalation_counts(overview: dict[str, Any]) -> Table:
    rows = tuple({"sla": sla, "step": int(step), "fired": n}
                 for sla, steps in overview["escalations"].items()
                 for step, n in steps.items())
    return Table("escalations", "Escalations fired per SLA and step", (
        Column("sla", "SLA"), Column("step", "Step", "int"), Column("fired", "Fired", "int")),
        rows, empty="No escalation fired.")


def _rep_breaches(b: dict[str, Any], id_: str, title: str, limit: int = 10) -> Table:
    rows = tuple({**r, "by_sla": ", ".join(f"{k} {v}" for k, v in sorted(r["by_sla"].items()))}
                 for r in b["reps"][:limit])
    return Table(id_, title, (
        Column("rep_id", "Rep"), Column("name", "Name"), Column("decided", "Decided", "int"),
        Column("breached", "Breached", "int"), Column("breach_rate", "Breach rate", "share"),
        Column("by_sla", "Breaches by SLA")), rows,
        note=f"{b['breached_total']:,} breached clocks, {b['unassigned_breaches']:,} "
             "without a responsible rep; reps with most breaches first.",
        empty="No rep breached an SLA.")


def _stalled(store: Store, contract: CompiledContract, at: datetime, view: View) -> Table:
    counts = {r["stage"]: r for r in pipeline_stalled_by_stage(store, contract, at, view=view)
              .to_pyarrow().to_pylist()}
    rows = []
    for name in contract.stages.pipeline:
        c = counts.get(name, {})
        open_, stalled = int(c.get("open") or 0), int(c.get("stalled") or 0)
        rows.append({"stage": name, "open": open_, "stalled": stalled,
                     "stalled_share": stalled / open_ if open_ else None})
    return Table("stalled", f"Stalled deals by stage (no move for {STALL_DAYS} days)", (
        Column("stage", "Stage"), Column("open", "Leads there", "int"),
        Column("stalled", "Stalled", "int"), Column("stalled_share", "Stalled share", "share")),
        tuple(rows), note=f"As of {at:%Y-%m-%d %H:%M} UTC, the same count as `accord org "
                          "health` and the dashboard's pipeline page.")


def _insight_key(i: Insight) -> tuple[str, str, str | None, str, str]:
    return (i.dimension, i.value, i.stratum, i.from_stage, i.to_stage)


def _new_insights(store: Store, contract: CompiledContract, period: Period,
                  view: View) -> Table:
    now = find_insights(store, contract, period=Period("to date", None, period.end),
                        view=view)
    before = find_insights(store, contract, period=Period("before", None, period.start),
                           view=view)
    known = {_insight_key(i) for i in before.insights}
    rows = tuple({**asdict(i), "rate": i.rate, "rest_rate": i.rest_rate,
                  "finding": i.sentence} for i in now.insights if _insight_key(i) not in known)
    return Table("new-insights", "Insights new since the last review", (
        Column("finding", "Finding"), Column("n", "Leads", "int"),
        Column("rate", "Rate", "share"), Column("rest_rate", "Rest", "share"),
        Column("ratio", "Ratio", "float"), Column("ci_low", "CI low", "float"),
        Column("ci_high", "CI high", "float")), rows,
        note=f"Findings of `accord insights` over the leads created before "
             f"{_day(period.end)} that were not found over those created before "
             f"{_day(period.start)} ({now.tests} comparisons, false discovery rate "
             f"{now.fdr}).", empty="No new finding since the last review.")


def _day(t: datetime | None) -> str:
    return "now" if t is None else f"{t:%Y-%m-%d}"


# -- the packs -------------------------------------------------------------------------------
def _weekly(store: Store, contract: CompiledContract, period: Period, at: datetime,
            view: View) -> list[tuple[Section, int]]:
    report = _kpis(store, contract, period, MQL_KPIS + PIPELINE_KPIS + SPEED_KPIS, view, at)
    volume = next((c for c in contract.slas.values() if c.kind == "volume"), None)
    commitment = []
    if volume is not None and volume.per_month is not None:
        mv = report.row("mql_volume")
        commitment.append({"commitment": f"{volume.name}: at least {volume.per_month:,} "
                                         f"MQLs a month", "agreed": float(volume.per_month),
                           "actual": mv.value, "unit": "per month",
                           "met": None if mv.value is None else mv.value >= volume.per_month})
        if volume.min_acceptance is not None:
            acc = report.row("mql_to_sal")
            commitment.append({"commitment": f"{volume.name}: sales accepts at least "
                                             f"{volume.min_acceptance:.0%} of MQLs",
                               "agreed": volume.min_acceptance, "actual": acc.value,
                               "unit": "share",
                               "met": None if acc.value is None
                               else acc.value >= volume.min_acceptance})
    mql_rows = _kpi_rows(report, MQL_KPIS)
    volume_section = Section("MQL volume and quality", _blocks(
        Table("commitment", "Marketing's commitment", (
            Column("commitment", "Commitment"), Column("agreed", "Agreed", "measure"),
            Column("actual", "Actual", "measure"), Column("met", "Met")),
            tuple(commitment), empty="The contract has no volume SLA."),
        _share_chart("mql-chart", "MQL conversion and rejection (labels: share)", mql_rows,
                     "mql-kpis"),
        _kpi_table("mql-kpis", "MQL volume and quality", report, MQL_KPIS)))

    by_reason = compute_kpis(store, contract, period=period, by="rejection_reason",
                             basis="period", view=view, as_of=at, kpis=["mql_rejection_rate"])
    reasons = tuple({"reason": g, "rejected": r.numerator, "share_of_mqls": r.value}
                    for g, r in sorted(by_reason.groups("mql_rejection_rate").items(),
                                       key=lambda kv: (-(kv[1].numerator or 0), kv[0])))
    reason_fig = None
    if any(r["rejected"] for r in reasons):
        reason_fig = Figure("rejections-chart", "Rejections by reason (labels: leads)",
                            charts.bars([r for r in reasons if r["rejected"]],
                                        category="reason", value="rejected",
                                        category_title="reason", value_title="rejected MQLs"),
                            "rejections")
    rejections = Section("Rejections by reason", _blocks(reason_fig, Table(
        "rejections", "Rejections by reason code", (
            Column("reason", "Reason"), Column("rejected", "Rejected", "int"),
            Column("share_of_mqls", "Share of MQLs", "share")), reasons,
        note="`accord kpis --kpi mql_rejection_rate --by rejection_reason --basis period`.",
        empty="No MQL was rejected in the period.")))

    speed: list[Table | Figure | Para] = [_kpi_table("speed-kpis", "Speed to lead", report,
                                                     SPEED_KPIS)]
    stl = contract.speed_to_lead
    if stl is None:
        speed.append(Para("The contract has no first-touch SLA, so no breach is counted."))
    else:
        b: dict[str, Any] = sla_breaches(store, contract, at, 10, view=view, sla=stl.name,
                                         since=period.start, until=period.end).as_dict()
        speed.append(_rep_breaches(b, "speed-breaches", f"{stl.name} breaches by rep"))
    speed_section = Section("Speed-to-lead breaches by rep", tuple(speed))

    pipeline = Section("Pipeline from marketing-sourced leads", (
        _kpi_table("pipeline-kpis", "Pipeline", report, PIPELINE_KPIS),
        _stalled(store, contract, at, view)))
    insights = Section("Insights new since last week", (
        _new_insights(store, contract, period, view),))
    return [(volume_section, 3), (rejections, 1), (speed_section, 2), (pipeline, 2),
            (insights, 1)]


def _biweekly(store: Store, contract: CompiledContract, period: Period, at: datetime,
              view: View) -> list[tuple[Section, int]]:
    names = list(dict.fromkeys([*contract.kpi_targets, *ALIGNMENT_KPIS]))
    names = [n for n in names if n in KPIS]
    before = previous_period(period)
    now_r = _kpis(store, contract, period, names, view, at)
    prev_r = _kpis(store, contract, before, names, view, at)
    rows = []
    for name in names:
        cur, prev = now_r.row(name), prev_r.row(name)
        change = (None if cur.value is None or prev.value is None else cur.value - prev.value)
        rows.append({"kpi": name, "unit": cur.unit, "previous": prev.value,
                     "value": cur.value, "change": change, "target": cur.target,
                     "status": cur.status})
    trend = Table("kpi-trend", f"Shared KPIs: {period.label} against {before.label}", (
        Column("kpi", "KPI"), Column("previous", before.label, "measure"),
        Column("value", period.label, "measure"), Column("change", "Change", "measure"),
        Column("unit", "Unit"), Column("target", "Target", "measure"),
        Column("status", "Status")), tuple(rows),
        note=f"{now_r.basis_label}. Each column is `accord kpis --basis period --period` of "
             "its period; the status compares this period with the contract's target.")
    chart_rows = [{"kpi": r["kpi"], "period": label, "value": r[key]}
                  for r in rows if r["unit"] == "share"
                  for key, label in (("previous", before.label), ("value", period.label))
                  if r[key] is not None]
    fig = None
    if chart_rows:
        fig = Figure("kpi-trend-chart", "Conversion KPIs, previous period beside this one "
                                        "(labels: share)",
                     charts.bars(chart_rows, category="kpi", value="value",
                                 category_title="KPI", value_title="share",
                                 value_format=".1%", color="period"), "kpi-trend")
    targets = Section("Shared KPIs against targets", _blocks(fig, trend))

    overview: dict[str, Any] = sla_overview(store, contract, at, view=view, since=period.start,
                            until=period.end).as_dict()
    escalations = Section("Escalations", (
        _escalation_counts(overview), _escalation_log(store, contract, at, view, period, 15)))
    decisions = Section("Decisions needed", (
        _decisions(store, rows, overview, at),))
    return [(targets, 3), (escalations, 1), (decisions, 2)]


def _decisions(store: Store, kpi_rows: Sequence[Mapping[str, Any]],
               overview: Mapping[str, Any], at: datetime) -> Table:
    """What the meeting must decide: KPIs off or at risk against their targets, SLAs under
    their commitment, contract versions waiting for a signature."""
    items: list[dict[str, Any]] = []
    for r in kpi_rows:
        if r["status"] in ("off-target", "warn"):
            word = "off target" if r["status"] == "off-target" else "at risk"
            items.append({"topic": r["kpi"], "why": f"{word} against its target",
                          "ask": "agree the cause and one owner for the fix"})
    for m in overview["volume"]:
        if m["status"] == "breached":
            items.append({"topic": f"{m['sla']} {m['month']}",
                          "why": f"{m['entered']:,} MQLs against {m['per_month']:,} agreed, "
                                 f"acceptance {_pct(m['acceptance'])}",
                          "ask": "keep the commitment or change it in the contract"})
    for v in history(store, at)["versions"]:
        if not v["signed"]:
            missing = [s for s, g in v["signatures"].items() if g is None]
            items.append({"topic": f"contract version {v['version']}",
                          "why": f"proposed, effective {v['effective']}, not yet signed by "
                                 + " and ".join(missing),
                          "ask": "sign it or send it back"})
    return Table("decisions", "Decisions needed", (
        Column("topic", "Topic"), Column("why", "Why"), Column("ask", "To decide")),
        tuple(items), empty="Nothing needs a decision: every KPI with a target is on track.")


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.0%}"


def _monthly(store: Store, contract: CompiledContract, period: Period, at: datetime,
             view: View) -> list[tuple[Section, int]]:
    overview: dict[str, Any] = sla_overview(store, contract, at, view=view, since=period.start,
                            until=period.end).as_dict()
    rows = []
    for s in overview["slas"]:
        owner = contract.slas[s["sla"]].owner
        rows.append({"sla": s["sla"], "side": owner or "—",
                     "kind": s["kind"], "within": s["within"], "leads": s["leads"],
                     "met": s["met"], "breached": s["breached"], "open": s["open"],
                     "share_within": s["share_within"]})
    rows.sort(key=lambda r: (r["side"], r["sla"]))
    volume = tuple({"sla": m["sla"], "side": contract.slas[m["sla"]].owner or "—",
        "month": m["month"], "entered": m["entered"],
        "per_month": m["per_month"], "accepted": m["accepted"], "rejected": m["rejected"],
        "acceptance": m["acceptance"], "min_acceptance": m["min_acceptance"],
        "status": m["status"]} for m in overview["volume"])
    fig = None
    shown = [r for r in rows if r["share_within"] is not None]
    if shown:
        fig = Figure("sla-chart", "Share of clocks within SLA (labels: share)",
                     charts.bars(shown, category="sla", value="share_within",
                                 category_title="SLA", value_title="within SLA",
                                 value_format=".1%"), "sla-compliance")
    compliance = Section("Compliance per commitment and side", _blocks(
        fig,
        Table("sla-compliance", "Per-lead SLAs", (
            Column("sla", "SLA"), Column("side", "Side"), Column("kind", "Kind"),
            Column("within", "Within"), Column("leads", "Clocks", "int"),
            Column("met", "Met", "int"), Column("breached", "Breached", "int"),
            Column("open", "Open", "int"), Column("share_within", "Within SLA", "share")),
            tuple(rows), note=f"Clocks started in {period.label}, read as of "
                              f"{at:%Y-%m-%d %H:%M} UTC: `accord sla --period {period.label}`."),
        Table("sla-volume", "Volume commitments by month", (
            Column("sla", "SLA"), Column("side", "Side"), Column("month", "Month"),
            Column("entered", "MQLs", "int"), Column("per_month", "Agreed", "int"),
            Column("accepted", "Accepted", "int"), Column("rejected", "Rejected", "int"),
            Column("acceptance", "Acceptance", "share"),
            Column("min_acceptance", "Agreed acceptance", "share"),
            Column("status", "Status")), volume,
            empty="The contract has no volume SLA.")))
    b: dict[str, Any] = sla_breaches(store, contract, at, 10, view=view, since=period.start,
                                     until=period.end).as_dict()
    worst = Section("Worst offenders", (
        _rep_breaches(b, "worst-reps", "Reps with most breaches"),
        Table("overdue", "Most overdue clocks", (
            Column("sla", "SLA"), Column("lead_id", "Lead"), Column("rep_id", "Rep"),
            Column("due_at", "Due", "when"), Column("stopped_at", "Stopped", "when"),
            Column("overdue_minutes", "Overdue (business min)", "minutes")),
            tuple(b["breached_leads"]), empty="No clock breached.")))
    log = Section("Escalation log", (_escalation_counts(overview),
                                     _escalation_log(store, contract, at, view, period)))
    return [(compliance, 3), (worst, 2), (log, 1)]


_BUILDERS: dict[str, Callable[[Store, CompiledContract, Period, datetime, View],
                              list[tuple[Section, int]]]] = {
    "weekly": _weekly, "biweekly": _biweekly, "monthly": _monthly, "quarterly": quarterly_sections}


def build_pack(store: Store, contract: CompiledContract, kind: str, *,
               period: str | Period | None = None, view: str = "actual",
               as_of: datetime | None = None) -> Pack:
    """The pack `kind` for `period` (default: `default_period`), figures read in `view`
    as of `as_of` (default: the latest fact, as `accord kpis` reads them)."""
    if kind not in PACK_KINDS:
        raise UnknownNameError("pack", kind, PACK_KINDS)
    chosen = check_view(view)
    resolved = resolve_as_of(store, as_of)
    at = resolved.at
    per = period if isinstance(period, Period) else (
        parse_period(period) if period else default_period(kind, at))
    if per.is_all_time:
        span = data_span(store)
        per = span if span is not None else default_period(kind, at)
    cadence = pack_cadence(contract, kind)
    parts = _BUILDERS[kind](store, contract, per, at, chosen)
    boxes = time_boxes(max(cadence.minutes - 5, len(parts)), [w for _, w in parts])
    sections = tuple(Section(s.title, s.blocks, m) for (s, _), m in zip(parts, boxes,
                                                                           strict=True))
    notes = [f"Figures read the {VIEW_LABELS[chosen]}."]
    if cadence.name is None:
        notes.append(f"The contract has no cadence for this pack; {cadence.minutes} minutes "
                     "assumed.")
    else:
        notes.append(f"Cadence `{cadence.name}` of the contract: {cadence.minutes} minutes, "
                     "five of them kept for actions and owners.")
    return Pack(kind=kind, title=_TITLES[kind], purpose=_PURPOSE[kind],
                period_label=per.label, period_start=per.start, period_end=per.end,
                contract_version=contract.version, view=chosen,
                view_label=VIEW_LABELS[chosen], as_of=at, minutes=cadence.minutes,
                attendees=cadence.attendees, sections=sections, notes=tuple(notes))


__all__ += ["previous_period"]


def record_pack(store: Store, pack: Pack) -> str:
    """Note in the audit log that `pack` was prepared (`report:<kind>:<period start>`), the
    evidence `accord diagnose` reads that a cadence is held. Returns the write id."""
    start = pack.period_start.date().isoformat() if pack.period_start else "all"
    write_id = f"report:{pack.kind}:{start}"
    store.ensure_service_tables()
    with store.transaction() as cur:
        write_audit(store, cur, write_id)
    return write_id


__all__ += ["record_pack"]
