"""Alignment effectiveness (seed 000, Influ2's benchmark of 105 companies).

Two measures, and the bucket they put a company in:

- **Handoff rate**: the share of marketing-engaged contacts that sales followed up within
  N days — the `handoff_rate` KPI (`analytics/kpis`), one definition for both. Effective
  at 35% or more (seed 000).
- **Audience overlap**: do sales and marketing work the same accounts? Marketing-targeted
  accounts are the accounts of leads marketing engaged (a marketing touch) plus ABM
  targets (`accounts.abm_target`) among the accounts in view; sales-worked accounts are
  the accounts of leads sales worked (a sales activity) plus accounts of opportunities.
  Overlap = shared ÷ sales-worked accounts; the rest is the **cold sales audience**
  (sales working accounts marketing does not target). Leads without an account do not
  count. The seed names "high overlap" without a number: accord calls overlap high at
  `HIGH_OVERLAP` (50%) or more, settable.
- **Bucket** (seed 000, share of the 105 companies): `effective_aligned` (11%, effective
  handoff and high overlap — the goal), `effective_cold_sales_audience` (36%, effective
  handoff but a large cold sales audience: fix with shared account lists),
  `broken_handoff` (53%, handoff below 35%).

Bases as for KPIs: cohort (leads created in the period, followed to today) or period
(engagement, sales work and opportunities in the period; the default here). The
structural diagnostic (more than a third of reps missing quota, a third of pipeline
stalled at one stage, a third of leads never touched) comes from
`analytics/diagnostics.py` for the whole period, as of the one "now" (`store/as_of.py`),
reading the stage moves of the named view (`engine/views.py`, actual by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import ibis
import ibis.expr.types as ir

from accord.analytics.diagnostics import StructuralDiagnostic, structural_diagnostic
from accord.analytics.kpis import (
    BASIS_CHOICES,
    BASIS_LABELS,
    DEFAULT_HANDOFF_DAYS,
    EFFECTIVE_HANDOFF_RATE,
    KPIS,
    Basis,
    KpiContext,
    KpiError,
    Period,
    parse_period,
)
from accord.analytics.kpis.compute import data_span, kpi_contexts, measure_kpis
from accord.analytics.kpis.context import count_if
from accord.analytics.kpis.dimensions import ALL_LABEL, check_dimension
from accord.contract.compiled import CompiledContract
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view
from accord.errors import UnknownNameError
from accord.store import Store
from accord.store.as_of import resolve_as_of

HIGH_OVERLAP = 0.5
Bucket = Literal["effective_aligned", "effective_cold_sales_audience", "broken_handoff"]
BUCKETS: dict[Bucket, tuple[float, str]] = {
    "effective_aligned": (0.11, "effective handoff and high audience overlap: the goal"),
    "effective_cold_sales_audience": (
        0.36, "effective handoff, but sales works many accounts marketing does not target; "
              "fix with shared account lists"),
    "broken_handoff": (0.53, "fewer than 35% of marketing-engaged contacts get sales "
                             "follow-up"),
}


@dataclass(frozen=True)
class AudienceOverlap:
    marketing_accounts: int
    sales_accounts: int
    shared_accounts: int

    @property
    def overlap(self) -> float | None:
        """Shared ÷ sales-worked accounts (None without sales-worked accounts)."""
        return self.shared_accounts / self.sales_accounts if self.sales_accounts else None

    @property
    def cold_sales_share(self) -> float | None:
        o = self.overlap
        return None if o is None else 1.0 - o


@dataclass(frozen=True)
class EffectivenessRow:
    group: str
    total: bool
    handoff_rate: float | None
    engaged: int
    followed_up: int
    audience: AudienceOverlap
    high_overlap: bool | None
    bucket: Bucket | None

    @property
    def handoff_effective(self) -> bool | None:
        return None if self.handoff_rate is None else self.handoff_rate >= EFFECTIVE_HANDOFF_RATE

    def as_dict(self) -> dict[str, object]:
        a = self.audience
        return {
            "group": self.group, "total": self.total, "handoff_rate": self.handoff_rate,
            "engaged": self.engaged, "followed_up": self.followed_up,
            "handoff_effective": self.handoff_effective,
            "marketing_accounts": a.marketing_accounts, "sales_accounts": a.sales_accounts,
            "shared_accounts": a.shared_accounts, "overlap": a.overlap,
            "cold_sales_share": a.cold_sales_share, "high_overlap": self.high_overlap,
            "bucket": self.bucket,
            "bucket_share_of_companies": BUCKETS[self.bucket][0] if self.bucket else None,
            "bucket_meaning": BUCKETS[self.bucket][1] if self.bucket else None,
        }


@dataclass(frozen=True)
class Effectiveness:
    basis: Basis
    basis_label: str
    view: View
    as_of: datetime
    period: Period
    by: str | None
    handoff_days: float
    high_overlap_at: float
    rows: tuple[EffectivenessRow, ...]
    structural: StructuralDiagnostic | None
    notes: tuple[str, ...]

    @property
    def total(self) -> EffectivenessRow:
        return next(r for r in self.rows if r.total)

    def groups(self) -> dict[str, EffectivenessRow]:
        return {r.group: r for r in self.rows if not r.total}

    def as_dict(self) -> dict[str, object]:
        s = self.structural
        structural: dict[str, object] | None = None
        if s is not None:
            structural = {
                "start": s.start.isoformat(), "end": s.end.isoformat(),
                "structural": s.structural,
                "signs": [{"name": x.name, "count": x.count, "total": x.total,
                           "share": x.share, "tripped": x.tripped, "stage": x.stage}
                          for x in s.signs]}
        return {"view": self.view, "view_label": VIEW_LABELS[self.view],
                "basis": self.basis, "basis_label": self.basis_label,
                "as_of": self.as_of.isoformat(),
                "period": self.period.as_dict(), "by": self.by,
                "handoff_days": self.handoff_days,
                "effective_handoff_at": EFFECTIVE_HANDOFF_RATE,
                "high_overlap_at": self.high_overlap_at,
                "handoff_definition": KPIS["handoff_rate"].definition,
                "rows": [r.as_dict() for r in self.rows], "structural": structural,
                "notes": list(self.notes)}


def bucket_for(handoff_rate: float | None, overlap: float | None,
               high_overlap_at: float = HIGH_OVERLAP) -> Bucket | None:
    """Seed 000's bucket; None when a needed measure has no value."""
    if handoff_rate is None:
        return None
    if handoff_rate < EFFECTIVE_HANDOFF_RATE:
        return "broken_handoff"
    if overlap is None:
        return None
    return "effective_aligned" if overlap >= high_overlap_at else "effective_cold_sales_audience"


def compute_effectiveness(store: Store, contract: CompiledContract, *,
                          period: str | Period | None = None, by: str | None = None,
                          basis: Basis = "period", view: View = DEFAULT_VIEW,
                          as_of: datetime | None = None,
                          handoff_days: float = DEFAULT_HANDOFF_DAYS,
                          high_overlap_at: float = HIGH_OVERLAP) -> Effectiveness:
    """Handoff rate, audience overlap and bucket, company-wide and split `by`; plus the
    structural diagnostic for the period, as of `as_of` (default: the latest fact)."""
    check_view(view)
    if basis not in BASIS_CHOICES:
        raise UnknownNameError("basis", basis, BASIS_CHOICES)
    if by == "rejection_reason":
        raise KpiError("effectiveness cannot be split by rejection_reason")
    check_dimension(by)
    if not 0 < high_overlap_at <= 1:
        raise KpiError(f"the high-overlap share must be in (0, 1], got {high_overlap_at}")
    per = period if isinstance(period, Period) else parse_period(period)
    rows: list[EffectivenessRow] = []
    at = resolve_as_of(store, as_of).at
    for ctx, label, total in kpi_contexts(store, contract, per, by, basis, view,
                                          handoff_days):
        handoff = {r.group: r for r in measure_kpis([KPIS["handoff_rate"]], ctx, total=total,
                                                    label=label)}
        audience = _overlap(store, ctx)
        for group in sorted(set(handoff) | set(audience)):
            h = handoff.get(group)
            a = audience.get(group, AudienceOverlap(0, 0, 0))
            rate = h.value if h else None
            rows.append(EffectivenessRow(
                group=label or group, total=total, handoff_rate=rate,
                engaged=int(h.denominator or 0) if h else 0,
                followed_up=int(h.numerator or 0) if h else 0, audience=a,
                high_overlap=None if a.overlap is None else a.overlap >= high_overlap_at,
                bucket=bucket_for(rate, a.overlap, high_overlap_at)))
    notes = [BASIS_LABELS[basis], VIEW_LABELS[view]]
    bounded = per if not per.is_all_time else data_span(store)
    structural = None
    if bounded is not None and bounded.start is not None and bounded.end is not None:
        structural = structural_diagnostic(store, contract, bounded.start, bounded.end,
                                           as_of=min(at, bounded.end), view=view)
        notes.extend(structural.notes)
    else:
        notes.append("no leads in the store: no structural diagnostic")
    totals = [r for r in rows if r.total]
    if not totals:
        rows.insert(0, EffectivenessRow(ALL_LABEL, True, None, 0, 0, AudienceOverlap(0, 0, 0),
                                        None, None))
    elif len(totals) > 1:  # the company-wide context yields one group only
        raise AssertionError("more than one company-wide row")
    rows.sort(key=lambda r: (not r.total, r.group))
    return Effectiveness(basis, BASIS_LABELS[basis], view, at, per, by, handoff_days,
                         high_overlap_at, tuple(rows), structural, tuple(notes))


def _overlap(store: Store, ctx: KpiContext) -> dict[str, AudienceOverlap]:
    """Marketing-targeted, sales-worked and shared accounts per group (see module doc)."""
    t = ctx.leads
    with_account = t.filter(t.account_id.notnull())
    if ctx.basis == "cohort":
        worked: ir.BooleanValue = with_account.activities > 0
        lead_rows = with_account.select(
            "group", "account_id", m=ctx.happened(with_account.engaged_at), s=worked)
    else:
        a = ctx.activities
        acted = a.filter(ctx.in_period(a.occurred_at)).select(worked_lead=a.lead_id).distinct()
        j = with_account.left_join(acted, with_account.lead_id == acted.worked_lead)
        lead_rows = j.select(group=j.group, account_id=j.account_id,
                             m=ctx.happened(j.engaged_at), s=j.worked_lead.notnull())
    o = ctx.opportunities
    opp_rows = o.filter(o.account_id.notnull() & ctx.happened(o.created_at)).select(
        "group", "account_id", m=ibis.literal(False), s=ibis.literal(True))
    u = lead_rows.union(opp_rows)
    per_account = u.group_by(["group", "account_id"]).aggregate(
        m=u.m.ifelse(1, 0).max(), s=u.s.ifelse(1, 0).max())
    accounts = store.table("accounts")
    acc = accounts.select(abm_account_id=accounts.account_id, abm_target=accounts.abm_target)
    k = per_account.left_join(acc, per_account.account_id == acc.abm_account_id)
    flagged = k.select(group=k.group,
                       m=(k.m == 1) | k.abm_target.fill_null(False), s=k.s == 1)
    agg = flagged.group_by("group").aggregate(
        marketing=count_if(flagged.m), sales=count_if(flagged.s),
        shared=count_if(flagged.m & flagged.s))
    return {r["group"]: AudienceOverlap(int(r["marketing"]), int(r["sales"]), int(r["shared"]))
            for r in agg.to_pyarrow().to_pylist()}

