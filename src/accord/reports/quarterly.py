"""The quarterly ICP and structure review's sections: ICP fit against won and lost with the
scoring proposal (`accord scoring feedback --outcome won`), retention and expansion
(`accord kpis`), maturity (`accord diagnose`) and the documented-versus-actual gap
(`accord audit`), structure signals (`accord org health`), and the next review date."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from accord.analytics.diagnostics import structural_diagnostic
from accord.analytics.kpis import KPIS, Period, compute_kpis
from accord.analytics.scoring_feedback import ScoringFeedbackError, scoring_feedback
from accord.contract.compiled import CompiledContract
from accord.dashboard import charts
from accord.engine.views import View
from accord.org.health import structure_health
from accord.reports.pack import PACK_FOR_EVERY, Column, Figure, Para, Section, Table
from accord.reports.quarterly_maturity import maturity_blocks
from accord.store.base import Store

RETENTION_KPIS = ("renewal_revenue", "expansion_revenue", "gross_revenue_retention",
                  "net_revenue_retention")


def quarterly_sections(store: Store, contract: CompiledContract, period: Period,
                       at: datetime, view: View) -> list[tuple[Section, int]]:
    return [(_icp(store, contract, period, at, view), 3),
            (_retention(store, contract, period, at, view), 1),
            (_maturity(store, contract, period, at, view), 2),
            (_structure(store, contract, period, at, view), 1),
            (_next_review(contract, period), 0)]  # a date: no time box


def _icp(store: Store, contract: CompiledContract, period: Period, at: datetime,
         view: View) -> Section:
    cohort = Period(f"leads created before {period.end:%Y-%m-%d}" if period.end else "all",
                    None, period.end)
    try:
        fb = scoring_feedback(store, contract, "won", cohort, as_of=at, view=view)
    except ScoringFeedbackError as exc:
        return Section("ICP fit against won and lost", (Para(
            f"Scoring feedback cannot be measured yet: {exc}."),))
    d: dict[str, Any] = fb.as_dict()
    bands = tuple({"tier": b["label"], "leads": b["leads"], "won": b["outcomes"],
                   "not_won": b["leads"] - b["outcomes"], "won_rate": b["rate"]}
                  for b in d["calibration"]["fit_tier"])
    fig = None
    if any(b["won_rate"] is not None for b in bands):
        fig = Figure("icp-chart", "Won rate by ICP tier (labels: share)", charts.bars(
            [b for b in bands if b["won_rate"] is not None], category="tier",
            value="won_rate", category_title="ICP tier", value_title="won",
            value_format=".1%"), "icp-tiers")
    auc = next((a for a in d["auc"] if a["score"] == "fit + engagement"), None)
    changed = tuple(f for f in d["features"] if f["proposed_points"] != f["current_points"])
    blocks: list[Table | Figure | Para] = []
    if fig is not None:
        blocks.append(fig)
    blocks.append(Table("icp-tiers", "Leads by ICP tier: won and not won", (
        Column("tier", "Tier"), Column("leads", "Leads", "int"), Column("won", "Won", "int"),
        Column("not_won", "Not won", "int"), Column("won_rate", "Won rate", "share")), bands,
        note=f"Leads created before {_day(period.end)}, outcomes observed until "
             f"{_when(fb.observed_until)}: the same bands as `accord scoring feedback "
             "--outcome won`."))
    if auc is not None:
        blocks.append(Para(
            f"Fit + engagement ranks won leads with a held-out AUC of "
            f"{_num(auc['current_holdout'])} under the contract's points and "
            f"{_num(auc['proposed_holdout'])} under the proposed ones "
            f"({d['holdout']['leads']:,} held-out leads, {d['holdout']['outcomes']:,} won)."))
    blocks.append(Table("scoring-proposal", "Scoring proposal: points that would change", (
        Column("kind", "Kind"), Column("icp", "ICP"), Column("name", "Criterion or signal"),
        Column("current_points", "Points now", "int"),
        Column("proposed_points", "Proposed", "int"), Column("share", "Leads with it",
                                                             "share")), changed,
        empty="The evidence proposes no change of points."))
    return Section("ICP fit against won and lost", tuple(blocks))


def _day(t: datetime | None) -> str:
    return "now" if t is None else f"{t:%Y-%m-%d}"


def _when(t: datetime | None) -> str:
    return "now" if t is None else f"{t:%Y-%m-%d %H:%M} UTC"


def _num(v: float | None) -> str:
    return "—" if v is None else f"{v:.3f}"


def _retention(store: Store, contract: CompiledContract, period: Period, at: datetime,
               view: View) -> Section:
    names = [n for n in RETENTION_KPIS if n in KPIS]
    if not names:
        return Section("Retention and expansion", (Para(
            "accord has no retention KPIs in this version."),))
    report = compute_kpis(store, contract, period=period, basis="period", view=view,
                          as_of=at, kpis=names)
    rows = tuple({**r.as_dict(), "definition": dict(report.definitions).get(r.kpi, "")}
                 for r in report.rows if r.total)
    return Section("Retention and expansion", (Table(
        "retention-kpis", "Retention and expansion", (
            Column("kpi", "KPI"), Column("value", "Value", "measure"), Column("unit", "Unit"),
            Column("target", "Target", "measure"), Column("status", "Status"),
            Column("numerator", "Numerator", "float"),
            Column("denominator", "Denominator", "float"),
            Column("definition", "Definition")), rows,
        note=f"{report.basis_label}; period {period.label}: `accord kpis --basis period "
             f"--period {period.label}`."),))


def _maturity(store: Store, contract: CompiledContract, period: Period, at: datetime,
              view: View) -> Section:
    return Section("Maturity and the audit gap", maturity_blocks(store, contract, period, at,
                                                                 view))


def _structure(store: Store, contract: CompiledContract, period: Period, at: datetime,
               view: View) -> Section:
    assert period.start is not None and period.end is not None
    end = min(period.end, at)
    diagnostic = structural_diagnostic(store, contract, period.start, end, as_of=end,
                                       view=view)
    health = structure_health(store, contract, period.start, end, diagnostic=diagnostic,
                              as_of=end, view=view)
    signs = tuple({"sign": s.label, "count": s.count, "total": s.total, "share": s.share,
                   "tripped": s.tripped, "stage": s.stage or "—"} for s in health.signs)
    unowned = tuple({"work": u.label, "count": u.count,
                     "examples": ", ".join(u.examples[:3]) or "—"} for u in health.unowned)
    blocks: list[Table | Figure | Para] = [
        Para(f"Verdict: {health.verdict.text}"),
        Table("structure-signs", "Structure signals", (
            Column("sign", "Sign"), Column("count", "Count", "int"),
            Column("total", "Of", "int"), Column("share", "Share", "share"),
            Column("tripped", "Tripped"), Column("stage", "Stage")), signs,
            note=f"{period.start:%Y-%m-%d} to {end:%Y-%m-%d}: `accord org health`."),
        Table("unowned-work", "Work without an owner", (
            Column("work", "Work"), Column("count", "Count", "int"),
            Column("examples", "Examples")), unowned, empty="Every piece of work has an owner.")]
    if health.slowest is not None:
        s = health.slowest
        blocks.append(Para(f"Slowest forward step: {s.from_stage} → {s.to_stage}, median "
                           f"{s.median_hours:,.1f} h over {s.moves:,} moves."))
    return Section("Structure signals", tuple(blocks))


def next_review(contract: CompiledContract, after: date) -> date:
    """The first working day of the contract's calendar on or after `after`."""
    day = after
    for _ in range(40):  # no calendar has 40 days off in a row
        if contract.calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return after


def _next_review(contract: CompiledContract, period: Period) -> Section:
    assert period.end is not None
    day = next_review(contract, period.end.date())
    cadence = next((name for name, c in sorted(contract.source.cadences.items())
                    if PACK_FOR_EVERY.get(c.every) == "quarterly"), None)
    text = (f"Next quarterly review: {day:%A %d %B %Y}, the first working day of the next "
            f"quarter on the contract's calendar"
            + (f" (cadence `{cadence}`)." if cadence else ".")
            + " Bring `accord report quarterly --format pdf`.")
    return Section("Next review", (Para(text), Table("next-review", "Next review", (
        Column("review", "Review"), Column("date", "Date", "when")),
        ({"review": "quarterly ICP and structure review", "date": day},))))
