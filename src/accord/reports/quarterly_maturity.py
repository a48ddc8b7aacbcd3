"""The quarterly pack's maturity and audit-gap blocks: `accord diagnose` on evidence alone
(the questionnaire is for the meeting itself) and `accord audit` for the quarter."""

from __future__ import annotations

from datetime import datetime

from accord.analytics.audit import TYPICAL_GAP, audit
from accord.analytics.kpis import Period
from accord.analytics.maturity import diagnose
from accord.contract.compiled import CompiledContract
from accord.engine.views import View
from accord.errors import UsageError
from accord.reports.pack import Block, Column, Para, Table
from accord.store.base import Store


def maturity_blocks(store: Store, contract: CompiledContract, period: Period, at: datetime,
                    view: View) -> tuple[Block, ...]:
    end = min(period.end, at) if period.end is not None else at
    d = diagnose(store, contract, as_of=end, view=view)
    checks = tuple({"check": c.title, "status": c.status, "found": c.found}
                   for c in d.checks.values())
    checklist = tuple({"item": i.title, "status": i.status, "evidence": i.evidence}
                      for i in d.checklist)
    warnings = tuple({"sign": w.title, "source": w.source, "evidence": w.evidence}
                     for w in d.warnings_present)
    step = d.next_step
    blocks: list[Block] = [
        Para(f"Staircase rung {d.rung} of 4, {d.staircase.name}; Oracle's stage {d.stage} "
             f"of 4, {d.oracle.name} (from evidence alone: `accord diagnose` asks the "
             "questionnaire the store cannot answer). Next step: "
             f"{step.title} — {step.do}"),
        Table("maturity-checks", "Evidence checked", (
            Column("check", "Check"), Column("status", "Status"), Column("found", "Found")),
            checks, note=f"The 91 days to {end:%Y-%m-%d}: `accord diagnose --no-input`."),
        Table("warning-signs", "Warning signs present", (
            Column("sign", "Sign"), Column("source", "Source"),
            Column("evidence", "Evidence")), warnings, empty="No warning sign is present."),
        Table("six-month-checklist", "The six-month checklist", (
            Column("item", "Item"), Column("status", "Status"),
            Column("evidence", "Evidence")), checklist),
    ]
    blocks += list(audit_blocks(store, contract, period, end, view))
    return tuple(blocks)


def audit_blocks(store: Store, contract: CompiledContract, period: Period, end: datetime,
                 view: View) -> tuple[Block, ...]:
    """The documented-versus-actual gap of the quarter (`accord audit --period P`); the
    audit always compares the actual view with the contract as the engine reads it."""
    try:
        report = audit(store, contract, since=period.start, until=period.end, as_of=end,
                       examples=3, period=period.label)
    except UsageError as exc:
        return (Para(f"The audit gap cannot be measured yet: {exc}."),)
    low, high = TYPICAL_GAP
    rows = tuple({"commitment": r.commitment, "owner": r.owner or "—", "agreed": r.agreed,
                  "actual": r.actual, "broken": r.count, "checked": r.base,
                  "gap": r.share, "examples": ", ".join(r.examples) or "—"}
                 for r in report.rows)
    overall = "—" if report.share is None else f"{report.share:.1%}"
    return (
        Para(f"Documented against actual: {overall} of {report.base:,} checks broken "
             f"({report.count:,}); companies auditing themselves first typically find "
             f"{low:.0%}–{high:.0%}."),
        Table("audit-gap", "The audit gap, one row per commitment", (
            Column("commitment", "Commitment"), Column("owner", "Owner"),
            Column("agreed", "Agreed"), Column("actual", "Actual"),
            Column("broken", "Broken", "int"), Column("checked", "Checked", "int"),
            Column("gap", "Gap", "share"), Column("examples", "Examples")), rows,
            note=f"Checks in {period.label}: `accord audit --period {period.label}`."),
    )
