"""Structure health from the store's facts: is the org design itself getting in the way?

Three readings, each over the fact store through Ibis:
- the structural diagnostic (seed 000): reps missing quota, pipeline stalled at one
  stage, leads never touched. It is measured by `accord.analytics.diagnostics`; this
  module takes its figures (`StructuralReading`: anything with `signs` and `structural`)
  and never imports analytics (org and analytics are siblings on the ladder), so the
  edge — `accord org health` — measures it and hands it in;
- handoff momentum (seed 003: work loses momentum at every handoff): for each kind of
  stage change, how long leads sat in the stage they left — moves, median and p90
  hours, total days. With the contract's stage owners (`stage_owners`: each stage's
  `owner`, terminal when it has no `next`), a change between two owners into a
  non-terminal stage is a *handoff*; without them every move counts. The slowest
  forward one — into a pipeline stage (roles handoff, accepted, qualified, opportunity:
  MQL, SAL, SQL, Opportunity in the starter) — is named; recycles and exits are listed
  but not named;
- work without an owner (seed 003: briefs waiting more than two weeks without a clear
  owner): open opportunities whose owner is missing or inactive, leads in a pipeline
  stage with no sales activity for two weeks, ABM accounts with no active owner
  (account-owner routing needs one, seed 004).
With a company profile, the restructuring checklist (seed 001) is filled in and its
first step carries the measured baselines. "Now" is the one `as_of` (`store/as_of.py`);
stage moves come from a named view (`engine/views.py`; actual by default).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import ibis
import ibis.expr.types as ir
from pydantic import BaseModel, ConfigDict

from accord.contract.compiled import CompiledContract
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, stage_moves, stages_as_of
from accord.org.advice import Cited, Restructuring
from accord.org.advisor import advise, pct
from accord.org.catalogue import Source, load_catalogue
from accord.org.profile import CompanyProfile
from accord.store import Store

DIAGNOSTIC = Source(seed="000", figure="structural diagnostic: a third of reps, pipeline, leads")
MOMENTUM = Source(seed="003", figure="work loses momentum at every handoff")
EXAMPLES = 5


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SignReading(Protocol):
    """One sign of the structural diagnostic, as measured (`analytics.diagnostics.Sign`)."""

    @property
    def name(self) -> str: ...
    @property
    def count(self) -> int: ...
    @property
    def total(self) -> int: ...
    @property
    def tripped(self) -> bool: ...
    @property
    def stage(self) -> str | None: ...
    @property
    def share(self) -> float | None: ...


class StructuralReading(Protocol):
    """The structural diagnostic's figures (`analytics.diagnostics.StructuralDiagnostic`)."""

    @property
    def signs(self) -> Sequence[SignReading]: ...
    @property
    def structural(self) -> bool: ...


class StageOwner(_Frozen):
    """A lifecycle stage's owner (`marketing`, `sdr`, `ae`) and whether leads end there."""

    owner: str
    terminal: bool = False


class HealthSign(_Frozen):
    name: str
    label: str
    count: int
    total: int
    share: float | None
    tripped: bool
    stage: str | None
    source: Source


class HandoffStep(_Frozen):
    """Moves from one stage to another; `handoff` is None when stage owners are unknown."""

    from_stage: str
    to_stage: str
    handoff: bool | None
    moves: int
    median_hours: float
    p90_hours: float
    total_days: float


class UnownedWork(_Frozen):
    kind: str
    label: str
    count: int
    examples: tuple[str, ...]
    why: Cited


class StructureHealth(_Frozen):
    as_of: datetime
    start: datetime
    end: datetime
    view: View
    view_label: str
    signs: tuple[HealthSign, ...]
    structural: bool
    verdict: Cited
    handoffs: tuple[HandoffStep, ...]
    slowest: HandoffStep | None
    unowned: tuple[UnownedWork, ...]
    restructuring: Restructuring | None


_LABELS = {
    "reps_missing_quota": "reps below prorated quota",
    "pipeline_stalled": "pipeline stalled at one stage",
    "leads_untouched": "handed-off leads never touched",
}


def stage_owners(contract: CompiledContract) -> dict[str, StageOwner]:
    """Each stage's owner from the contract, terminal when it allows no `next` stage."""
    return {name: StageOwner(owner=contract.stages.owners[name],
                             terminal=not contract.stages.next.get(name))
            for name in contract.stages.names}


def structure_health(
    store: Store, contract: CompiledContract, start: datetime, end: datetime, *,
    diagnostic: StructuralReading, as_of: datetime | None = None,
    profile: CompanyProfile | None = None, view: View = DEFAULT_VIEW,
) -> StructureHealth:
    """All readings for the window [start, end), pipeline and ownership as of `as_of`
    (default `end`); `diagnostic` is the structural diagnostic measured for the same
    window (see the module docstring). Stage owners come from `contract`."""
    as_of = as_of or end
    signs = tuple(_health_sign(s) for s in diagnostic.signs)
    steps = handoff_momentum(store, start, end, stage_owners(contract), view=view)
    pipeline = contract.stages.pipeline
    forward = [s for s in steps if s.to_stage in pipeline and s.handoff is not False]
    slowest = max(forward, key=lambda s: s.median_hours, default=None)
    unowned = work_without_owner(store, contract, as_of, view=view)
    restructuring = None
    if profile is not None:
        restructuring = _with_baselines(advise(profile, as_of.date()).restructuring, signs)
    return StructureHealth(
        as_of=as_of, start=start, end=end, view=view, view_label=VIEW_LABELS[view], signs=signs,
        structural=diagnostic.structural, verdict=_verdict(signs), handoffs=steps,
        slowest=slowest, unowned=unowned, restructuring=restructuring,
    )


def _health_sign(s: SignReading) -> HealthSign:
    return HealthSign(name=s.name, label=_LABELS[s.name], count=s.count, total=s.total,
                      share=s.share, tripped=s.tripped, stage=s.stage, source=DIAGNOSTIC)


def _verdict(signs: tuple[HealthSign, ...]) -> Cited:
    tripped = sum(s.tripped for s in signs)
    if tripped == len(signs):
        return Cited(text="All three signs are past a third: the problem is the structure, not "
                          "coaching. Fix the structure, then hire into it.",
                     sources=(DIAGNOSTIC, Source(seed="003", figure="fix the structure, then "
                                                                    "hire into it")))
    if tripped:
        return Cited(text=f"{tripped} of 3 signs past 1/3: not yet a structural verdict; "
                          "measure again next month.", sources=(DIAGNOSTIC,))
    return Cited(text="No sign past 1/3 this period; measure again next month.",
                 sources=(DIAGNOSTIC,))


# ---------------------------------------------------------------- handoff momentum


def timed_moves(store: Store, start: datetime, end: datetime, *,
                view: View = DEFAULT_VIEW) -> ir.Table:
    """One row per stage change in [start, end): the stage left, the stage entered, and the
    hours the lead spent in the stage it left (since its previous stage move)."""
    ev = stage_moves(store, view)
    w = ibis.window(group_by=ev.lead_id, order_by=[ev.occurred_at, ev.move_id])
    with_prev = ev.mutate(prev_stage=ev.to_stage.lag().over(w),
                          prev_at=ev.occurred_at.lag().over(w))
    moves = with_prev.filter(with_prev.prev_stage.notnull() & (with_prev.occurred_at >= start)
                             & (with_prev.occurred_at < end))
    hours = (moves.occurred_at.epoch_seconds() - moves.prev_at.epoch_seconds()) / 3600.0
    return moves.select(from_stage=moves.prev_stage, to_stage=moves.to_stage, hours=hours)


def handoff_momentum(
    store: Store, start: datetime, end: datetime,
    stages: Mapping[str, StageOwner] | None = None, *, view: View = DEFAULT_VIEW,
) -> tuple[HandoffStep, ...]:
    """Time spent before each kind of stage change, slowest (by median) first."""
    m = timed_moves(store, start, end, view=view)
    rows = (
        m.group_by(["from_stage", "to_stage"])
        .aggregate(moves=m.count(), median_hours=m.hours.quantile(0.5),
                   p90_hours=m.hours.quantile(0.9), total_hours=m.hours.sum())
        .order_by([ibis.desc("median_hours"), "from_stage", "to_stage"])
        .to_pyarrow().to_pylist()
    )
    return tuple(
        HandoffStep(from_stage=r["from_stage"], to_stage=r["to_stage"],
                    handoff=_is_handoff(r["from_stage"], r["to_stage"], stages),
                    moves=int(r["moves"]),
                    median_hours=round(float(r["median_hours"]), 2),
                    p90_hours=round(float(r["p90_hours"]), 2),
                    total_days=round(float(r["total_hours"]) / 24, 2))
        for r in rows
    )


def _is_handoff(a: str, b: str, stages: Mapping[str, StageOwner] | None) -> bool | None:
    """Owner changes into a stage that is not terminal (exits are not handoffs)."""
    if not stages:
        return None
    left, entered = stages.get(a), stages.get(b)
    if left is None or entered is None:
        return None
    return left.owner != entered.owner and not entered.terminal


# ---------------------------------------------------------------- work without an owner


def work_without_owner(store: Store, contract: CompiledContract, as_of: datetime, *,
                       view: View = DEFAULT_VIEW) -> tuple[UnownedWork, ...]:
    weeks = load_catalogue().benchmarks.unowned_brief_weeks
    quiet = timedelta(weeks=weeks.value)
    out = []
    for kind, label, expr, id_col, why in (
        ("opportunities", "open opportunities with no active owner",
         _unowned_opportunities(store, as_of), "opportunity_id",
         Cited(text="An open deal without an active owner has no one to move it.",
               sources=(Source(seed="000", figure="mistake 5: no one owns the handoff"),))),
        ("waiting_leads", f"leads in an active stage with no sales activity for "
                          f"{int(weeks.value)} weeks",
         _waiting_leads(store, contract, as_of, quiet, view), "lead_id",
         Cited(text="Work waiting more than two weeks without a clear owner is a structural "
                    "signal.", sources=(weeks.source,))),
        ("abm_accounts", "ABM target accounts with no active owner",
         _ownerless_abm_accounts(store), "account_id",
         Cited(text="ABM needs account-owner routing; an account without an owner gets a cold "
                    "rep.", sources=(Source(seed="004", figure="ABM requires account-owner "
                                                               "routing"),))),
    ):
        count = int(expr.count().execute())
        examples = expr.order_by(id_col).limit(EXAMPLES)[id_col].to_pyarrow().to_pylist()
        out.append(UnownedWork(kind=kind, label=label, count=count,
                               examples=tuple(str(x) for x in examples), why=why))
    return tuple(out)


def _active_reps(store: Store) -> ir.Table:
    reps = store.table("reps")
    return reps.filter(reps.active.fill_null(True)).select(active_rep=reps.rep_id)


def _unowned_opportunities(store: Store, as_of: datetime) -> ir.Table:
    opps = store.table("opportunities")
    opps = opps.filter((opps.status == "open") & (opps.created_at < as_of))
    active = _active_reps(store)
    joined = opps.left_join(active, opps.owner_rep_id == active.active_rep)
    return joined.filter(joined.active_rep.isnull()).select("opportunity_id")


def _waiting_leads(store: Store, contract: CompiledContract, as_of: datetime,
                   quiet: timedelta, view: View) -> ir.Table:
    cur = stages_as_of(store, view, as_of)
    cur = cur.filter(cur.stage.isin(contract.stages.pipeline) & (cur.since < as_of - quiet))
    act = store.table("activities")
    recent = act.filter((act.occurred_at >= as_of - quiet) & (act.occurred_at < as_of))
    recent = recent.select(recent_lead=recent.lead_id).distinct()
    joined = cur.left_join(recent, cur.lead_id == recent.recent_lead)
    return joined.filter(joined.recent_lead.isnull()).select("lead_id")


def _ownerless_abm_accounts(store: Store) -> ir.Table:
    acc = store.table("accounts")
    acc = acc.filter(acc.abm_target.fill_null(False))
    active = _active_reps(store)
    joined = acc.left_join(active, acc.owner_rep_id == active.active_rep)
    return joined.filter(joined.active_rep.isnull()).select("account_id")


# ---------------------------------------------------------------- restructuring


def _with_baselines(r: Restructuring, signs: tuple[HealthSign, ...]) -> Restructuring:
    """Seed 001's first step asks for a measurable why: add today's measured baselines."""
    measured = [f"{pct(s.share)} {s.label}" + (f" ({s.stage})" if s.stage else "")
                for s in signs if s.share is not None]
    if not measured:
        return r
    first = r.steps[0]
    detail = f"{first.detail} Baseline from the store: {'; '.join(measured)}."
    steps = (first.model_copy(update={"detail": detail}), *r.steps[1:])
    return r.model_copy(update={"steps": steps})
