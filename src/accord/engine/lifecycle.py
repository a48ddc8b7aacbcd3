"""The lifecycle state machine (contract key `stages`), derived from facts.

Stages, owners and allowed moves (`next`) come from the compiled contract; the engine
asks for stages by **role** (`contract/roles.py`), never by name, so a contract that calls
its stages "Marketing Qualified Lead" or "Closed Won" behaves like the starter (DOMAIN §1:
Lead → MQL → SAL → SQL → Opportunity → Customer, plus Nurture and Disqualified). A
contract without a stage for a role simply has no such step:

- the `lead` stage (the first stage listed unless another claims the role) is where a
  lead starts;
- the `handoff` stage (MQL) is entered by its `entry` criteria, never by hand;
- the `accepted` stage (SAL) is sales accepting the lead (the criteria name `accepted`);
- the send-back stages (roles `recycled`, `disqualified`, `lost`: Nurture, Disqualified,
  Closed Lost) are where sales sends a lead back: every move into them is a rejection and
  needs one of the contract's `rejection_reasons` (seed 004);
- the `opportunity` stage is entered when an opportunity is created for the lead, the
  `won` stage (Customer, Closed Won) when one is won. A lost opportunity moves no stage by
  itself: the lead stays in the opportunity stage until sales moves it on (to a `lost`
  stage with a reason code, or back to Nurture).

**Replay** (what the active contract says — the *derived* view, DESIGN principle 2). A
lead's timeline is its facts in order of `(time, kind, id)`, kinds ordered creation <
touch < sales activity < stage event < opportunity created < opportunity won. Then:

1. Stage events and opportunities are *decisions*: each sets the stage it names —
   except that stage events into the derived stages (roles `handoff`, `opportunity`,
   `won`) are not read: those stages are derived from the criteria and from the
   opportunities (below), and stage events into them are the *actual* view. Decisions are
   facts — a stage a person actually set — so they apply even when the contract does not
   allow the move; such a move is counted as `off_contract` (so is a move into a
   send-back stage without a valid reason code) for the audit. The live engine refuses
   them before they become facts.
2. The handoff is derived, not read: at the lead's creation and at each touch, the
   handoff stage's entry criteria are evaluated with the lead's scores *as of that
   moment* (engagement, signal flags and counts, `accepted`, `rejected` up to and
   including that touch). Between two decisions (a *segment*) the first moment the
   criteria hold moves the lead to the handoff stage, when that stage is an allowed next
   stage of the stage the segment started in (the first segment starts in the `lead`
   stage). So a lead recycled to Nurture comes back as an MQL at its next touch that meets
   the criteria; a bare `fit`-only rule is met at creation.
3. An opportunity created while the lead is already in the opportunity stage (or won
   while in the won stage) changes nothing and is not a transition. A stage event into
   the stage the lead is already in changes nothing either, but is kept in the history as
   a move the contract does not allow (`off_contract`): the live engine refuses it.
4. A lead's touches at the same instant are counted together: the criteria are
   evaluated once all of them are in. (Live applies them one at a time; for criteria
   that a further touch can make false, e.g. `not signal('x')`, the two agree only when
   a lead's touches have distinct times.)

`accepted` / `rejected` at a moment: the lead has a stage event into the accepted stage /
into a send-back stage earlier in its timeline (ever, not only the latest).

Batch (`derive_stages`) does this with window functions over the union of the lead's
facts — running decayed engagement per touch, the decision count as segment number, the
first qualifying touch per segment, then `lag` over the transitions for legality — and
never loops over leads in Python. Live (`engine/live.py`) applies the same rules one
event at a time; a property test checks both give the same stages.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import ibis
import ibis.expr.types as ir

from accord.contract.compiled import CompiledContract
from accord.contract.criteria import (
    And,
    Compare,
    NameRef,
    Node,
    Or,
    column_key,
    referenced_names,
    to_ibis,
)
from accord.contract.roles import StageRole
from accord.engine.scoring import ScoringModel, running_engagement
from accord.errors import EngineError
from accord.store.base import Store

__all__ = [
    "RANK_ACTIVITY",
    "RANK_CREATED",
    "RANK_OPPORTUNITY",
    "RANK_STAGE_EVENT",
    "RANK_TOUCH",
    "RANK_WON",
    "IllegalTransitionError",
    "Lifecycle",
    "RejectionReasonError",
    "StageEvent",
    "StageTables",
    "could_hold",
    "current_stages",
    "decision_rows",
    "derive_stages",
    "first_entries",
    "first_entries_in",
    "stage_history",
]

# Order of facts at the same instant (see the module docstring).
RANK_CREATED: Final = 0
RANK_TOUCH: Final = 1
RANK_ACTIVITY: Final = 2
RANK_STAGE_EVENT: Final = 3
RANK_OPPORTUNITY: Final = 4
RANK_WON: Final = 5

ENGINE_ACTOR: Final = "accord"


class IllegalTransitionError(EngineError):
    """A move the contract's `stages.<stage>.next` does not allow."""

    def __init__(self, lead_id: str, stage: str, to_stage: str, allowed: tuple[str, ...],
                 record: str | None = None) -> None:
        self.lead_id = lead_id
        self.stage = stage
        self.to_stage = to_stage
        self.allowed = allowed
        shown = ", ".join(allowed) if allowed else "none (it is a final stage)"
        what = f" ({record})" if record else ""
        super().__init__(
            f"lead {lead_id!r}{what} is in stage {stage!r} and cannot move to {to_stage!r}; "
            f"allowed next stages: {shown}")


class RejectionReasonError(EngineError):
    """A move into a send-back stage without one of the contract's reason codes."""

    def __init__(self, lead_id: str, to_stage: str, reason: str | None,
                 codes: tuple[str, ...], record: str | None = None) -> None:
        self.lead_id = lead_id
        self.reason = reason
        what = f" ({record})" if record else ""
        got = "no reason" if not reason else f"unknown reason {reason!r}"
        super().__init__(
            f"sending lead {lead_id!r}{what} to {to_stage!r} is a rejection and needs a "
            f"reason code from rejection_reasons ({', '.join(codes)}); got {got}")


@dataclass(frozen=True)
class StageEvent:
    """One stage transition as a `stage_events` fact row."""

    event_id: str
    lead_id: str
    from_stage: str | None
    to_stage: str
    occurred_at: datetime
    actor: str
    reason: str | None
    contract_version: int

    def as_row(self) -> dict[str, Any]:
        return {"event_id": self.event_id, "lead_id": self.lead_id,
                "from_stage": self.from_stage, "to_stage": self.to_stage,
                "occurred_at": self.occurred_at, "actor": self.actor, "reason": self.reason,
                "contract_version": self.contract_version}


#: How each derived role's stage is entered (for messages refusing a move by hand).
_DERIVED_HOW: Final[Mapping[StageRole, str]] = {
    StageRole.HANDOFF: "when its entry criteria hold",
    StageRole.OPPORTUNITY: "when an opportunity is created for the lead",
    StageRole.WON: "when one of the lead's opportunities is won",
}


@dataclass(frozen=True)
class Lifecycle:
    """The contract's state machine as the engine replays it: the compiled contract's
    stages asked by role once (`from_contract`)."""

    version: int
    stages: tuple[str, ...]
    next: Mapping[str, tuple[str, ...]]
    owners: Mapping[str, str]
    initial: str
    handoff: str | None
    accepted: str | None
    opportunity: str | None
    won: str | None
    send_back: tuple[str, ...]
    rejection_reasons: tuple[str, ...]
    handoff_entry: Node | None
    handoff_predicate: Callable[[Mapping[str, Any]], bool] | None

    @classmethod
    def from_contract(cls, contract: CompiledContract) -> Lifecycle:
        stages = contract.stages
        if not stages.names:
            raise EngineError("the contract defines no stages")
        return cls(
            version=contract.version,
            stages=stages.names,
            next=stages.next,
            owners=stages.owners,
            initial=stages.initial,
            handoff=stages.named(StageRole.HANDOFF),
            accepted=stages.named(StageRole.ACCEPTED),
            opportunity=stages.named(StageRole.OPPORTUNITY),
            won=stages.named(StageRole.WON),
            send_back=stages.send_back,
            rejection_reasons=tuple(contract.source.rejection_reasons),
            handoff_entry=contract.handoff_entry,
            handoff_predicate=contract.handoff_predicate,
        )

    def derived(self) -> dict[str, str]:
        """Stages the engine derives from facts (never read from stage events, never set
        by hand), each with how it is entered."""
        how = {self.handoff: _DERIVED_HOW[StageRole.HANDOFF],
               self.opportunity: _DERIVED_HOW[StageRole.OPPORTUNITY],
               self.won: _DERIVED_HOW[StageRole.WON]}
        return {stage: text for stage, text in how.items() if stage is not None}

    def allows(self, from_stage: str | None, to_stage: str) -> bool:
        return from_stage is not None and to_stage in self.next.get(from_stage, ())

    def handoff_allowed_from(self) -> tuple[str, ...]:
        """Stages from which the criteria may move a lead into the handoff stage."""
        handoff = self.handoff
        if handoff is None or self.handoff_entry is None:
            return ()
        return tuple(s for s in self.stages if handoff in self.next.get(s, ()))

    def needs_reason(self, to_stage: str) -> bool:
        return to_stage in self.send_back

    def reason_ok(self, to_stage: str, reason: str | None) -> bool:
        return not self.needs_reason(to_stage) or reason in self.rejection_reasons

    def check_decision(self, lead_id: str, current: str, to_stage: str, reason: str | None,
                       record: str | None = None) -> None:
        """Raise unless moving `lead_id` from `current` to `to_stage` is legal."""
        if to_stage not in self.stages:
            raise EngineError(
                f"stage {to_stage!r} for lead {lead_id!r}"
                f"{f' ({record})' if record else ''} is not a stage of the contract; "
                f"stages: {', '.join(self.stages)}")
        if to_stage == current or not self.allows(current, to_stage):
            raise IllegalTransitionError(lead_id, current, to_stage,
                                         self.next.get(current, ()), record)
        if not self.reason_ok(to_stage, reason):
            raise RejectionReasonError(lead_id, to_stage, reason, self.rejection_reasons,
                                       record)

    def handoff_keys(self) -> frozenset[str]:
        """Lead-frame keys the handoff criteria read."""
        if self.handoff_entry is None:
            return frozenset()
        return frozenset(column_key(r) for r in referenced_names(self.handoff_entry))


# --- batch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageTables:
    """Derived lifecycle tables as Ibis expressions.

    `stages`: one row per lead — `lead_id`, `stage`, `stage_owner`, `entered_at` (when the
    lead entered its current stage), `handoff_at` (first entry into the handoff stage),
    `transitions`, `off_contract`.
    `history`: every transition — `lead_id`, `seq` (1 = creation), `from_stage`,
    `to_stage`, `occurred_at`, `source` (`created`, `criteria`, `stage_event`,
    `opportunity`, `opportunity_won`), `fact_id`, `actor`, `reason`, `legal`.
    """

    stages: ibis.Table
    history: ibis.Table


_TIMELINE_SCHEMA = {"lead_id": "string", "at": "timestamp(6)", "rank": "int8",
                    "fid": "string", "signal": "string", "is_decision": "int8",
                    "is_accept": "int8", "is_reject": "int8", "anchor": "timestamp(6)"}


def _timeline_cols(t: ibis.Table, **values: Any) -> ibis.Table:
    cols = {}
    for name, dtype in _TIMELINE_SCHEMA.items():
        value = values.get(name)
        if isinstance(value, ir.Value):
            cols[name] = value.cast(dtype)
        else:
            cols[name] = ibis.literal(value, type=dtype)
    return t.select(**cols)


def decision_rows(store: Store, lifecycle: Lifecycle, leads: ibis.Table,
                  as_of: datetime) -> ibis.Table:
    """Every decision of the known leads up to `as_of`: stage events (except into the
    derived stages) and opportunities created / won. Columns lead_id, at, rank, fid,
    to_stage, source, actor, reason."""
    at_t = ibis.literal(as_of, type="timestamp(6)")
    ev = store.table("stage_events")
    ev = ev.filter(ev.occurred_at <= at_t)
    derived = list(lifecycle.derived())
    if derived:
        ev = ev.filter(~ev.to_stage.isin(derived))
    parts = [ev.select(lead_id=ev.lead_id, at=ev.occurred_at,
                       rank=ibis.literal(RANK_STAGE_EVENT, type="int8"), fid=ev.event_id,
                       to_stage=ev.to_stage, source=ibis.literal("stage_event"),
                       actor=ev.actor, reason=ev.reason)]
    opp = store.table("opportunities")
    opp = opp.filter(opp.lead_id.notnull() & (opp.created_at <= at_t))
    if lifecycle.opportunity is not None:
        parts.append(opp.select(lead_id=opp.lead_id, at=opp.created_at,
                                rank=ibis.literal(RANK_OPPORTUNITY, type="int8"),
                                fid=opp.opportunity_id,
                                to_stage=ibis.literal(lifecycle.opportunity),
                                source=ibis.literal("opportunity"),
                                actor=opp.owner_rep_id, reason=ibis.null("string")))
    if lifecycle.won is not None:
        won = opp.filter((opp.status == "won") & opp.closed_at.notnull()
                         & (opp.closed_at <= at_t))
        parts.append(won.select(lead_id=won.lead_id, at=won.closed_at,
                                rank=ibis.literal(RANK_WON, type="int8"),
                                fid=won.opportunity_id, to_stage=ibis.literal(lifecycle.won),
                                source=ibis.literal("opportunity_won"),
                                actor=won.owner_rep_id, reason=ibis.null("string")))
    decisions = parts[0]
    for part in parts[1:]:
        decisions = decisions.union(part, distinct=False)
    known = leads.select("lead_id")
    # an inner join on the (unique) lead ids: Ibis 12 renders semi joins for PostgreSQL as
    # `LEFT SEMI JOIN`, which PostgreSQL does not have
    return decisions.join(known, "lead_id")


def derive_stages(store: Store, lifecycle: Lifecycle, model: ScoringModel,
                  profile: ibis.Table, as_of: datetime) -> StageTables:
    """Replay the state machine over every lead's facts up to `as_of` (batch): the
    history and, from it, each lead's current stage. See `stage_history`."""
    history = stage_history(store, lifecycle, model, profile, as_of)
    return StageTables(current_stages(lifecycle, history), history)


def stage_history(store: Store, lifecycle: Lifecycle, model: ScoringModel,
                  profile: ibis.Table, as_of: datetime, *,
                  decisions: ibis.Table | None = None) -> ibis.Table:
    """Every lead's transitions up to `as_of` (batch; `StageTables.history` columns).

    `profile` is one row per lead with `lead_id`, `created_at` and every constant
    lead-frame key the handoff criteria read (lead and account fields, `fit`, `tier`, `icp`);
    see `lead_frame.lead_profile` and `lead_frame.with_fit`. `decisions`, when given, is
    `decision_rows(...)` for the same leads and time (e.g. materialized once).
    """
    at_t = ibis.literal(as_of, type="timestamp(6)")
    leads = profile.filter(profile.created_at <= at_t)
    if decisions is None:
        decisions = decision_rows(store, lifecycle, leads, as_of)
    handoff = _handoff_transitions(store, lifecycle, model, leads, decisions, as_of)

    created = leads.select(lead_id=leads.lead_id, at=leads.created_at,
                           rank=ibis.literal(RANK_CREATED, type="int8"),
                           fid=ibis.literal("", type="string"),
                           to_stage=ibis.literal(lifecycle.initial),
                           source=ibis.literal("created"),
                           actor=ibis.literal(ENGINE_ACTOR), reason=ibis.null("string"))
    moves = created.union(decisions, distinct=False)
    if handoff is not None:
        moves = moves.union(handoff, distinct=False)
    order = ibis.window(group_by="lead_id", order_by=["at", "rank", "fid"])
    moves = moves.mutate(from_stage=moves.to_stage.lag().over(order))
    # An opportunity while already in Opportunity changes nothing; a stage event into the
    # stage the lead is in is kept, as a move the contract does not allow (live refuses it).
    moves = moves.filter(moves.from_stage.isnull() | (moves.from_stage != moves.to_stage)
                         | (moves.source == "stage_event"))
    legal = _legal_pairs(lifecycle, moves.from_stage, moves.to_stage)
    reason_ok: ir.BooleanValue = ibis.literal(True)
    if lifecycle.send_back:
        codes = list(lifecycle.rejection_reasons)
        reason_ok = ~moves.to_stage.isin(list(lifecycle.send_back)) | (
            moves.reason.isin(codes).fill_null(False) if codes else ibis.literal(False))
    is_created = moves.rank == RANK_CREATED
    return moves.select(
        "lead_id",
        seq=(ibis.row_number().over(order) + 1).cast("int64"),
        from_stage=moves.from_stage, to_stage=moves.to_stage, occurred_at=moves.at,
        source=moves.source,
        fact_id=ibis.ifelse(is_created, ibis.null("string"), moves.fid),
        actor=moves.actor, reason=moves.reason,
        legal=(is_created | ((moves.from_stage != moves.to_stage) & legal & reason_ok))
        .fill_null(False))


def first_entries_in(moves: ibis.Table, stage: str, *, until: datetime | None = None
                     ) -> ibis.Table:
    """lead_id, entered_at: each lead's first move into `stage` in `moves` (any table with
    lead_id, to_stage, occurred_at: the `stage_events` facts, the derived `stage_history`,
    or `views.stage_moves`), by `until` when given. The one definition of "a lead's first
    entry into a stage": SLA clocks start at it, routing routes at it."""
    wanted = moves.to_stage == stage
    if until is not None:
        wanted = wanted & (moves.occurred_at <= ibis.literal(until, type="timestamp(6)"))
    moves = moves.filter(wanted)
    return moves.group_by("lead_id").aggregate(entered_at=moves.occurred_at.min())


def first_entries(store: Store, stage: str, *, until: datetime | None = None,
                  facts_if_missing: bool = False) -> ibis.Table:
    """`first_entries_in` the derived `stage_history` (`accord run` writes it). Without
    one, the `stage_events` facts are read when `facts_if_missing`; otherwise
    `EngineError` says to run the stages step first."""
    try:
        moves = store.derived("stage_history")
    except KeyError:
        if not facts_if_missing:
            raise EngineError(
                f"leads entering {stage!r} are read from the stage history, and there is "
                "none yet; run `accord run` (or `accord run --only stages`) first") from None
        moves = store.table("stage_events")
    return first_entries_in(moves, stage, until=until)


def current_stages(lifecycle: Lifecycle, history: ibis.Table) -> ibis.Table:
    """Each lead's current stage from its history (`StageTables.stages` columns): the
    stage of its last transition, with counts of transitions and off-contract moves."""
    handoff = lifecycle.handoff
    metrics: dict[str, ir.Value] = {
        "last_seq": history.seq.max(),
        "off_contract": ibis.ifelse(history.legal, 0, 1).cast("int64").sum(),
    }
    if handoff:
        metrics["handoff_at"] = ibis.cases((history.to_stage == handoff,
                                            history.occurred_at)).min()
    per_lead = history.group_by("lead_id").aggregate(**metrics)
    if not handoff:
        per_lead = per_lead.mutate(handoff_at=ibis.null("timestamp(6)"))
    last = history.select(lead_id_last="lead_id", last_seq_last="seq", stage="to_stage",
                          entered_at="occurred_at")
    stages = per_lead.join(last, (per_lead.lead_id == last.lead_id_last)
                           & (per_lead.last_seq == last.last_seq_last))
    owner = stages.stage.cases(*lifecycle.owners.items(), else_=ibis.null("string")) \
        if lifecycle.owners else ibis.null("string")
    return stages.select(
        "lead_id", "stage", stage_owner=owner.cast("string"), entered_at="entered_at",
        handoff_at=stages.handoff_at.cast("timestamp(6)"),
        transitions=(stages.last_seq - 1).cast("int64"),
        off_contract=stages.off_contract.cast("int64"))


def _legal_pairs(lifecycle: Lifecycle, from_stage: ir.StringValue,
                 to_stage: ir.StringValue) -> ir.BooleanValue:
    branches = [(from_stage == s, to_stage.isin(list(nxt)))
                for s, nxt in lifecycle.next.items() if nxt]
    if not branches:
        return ibis.literal(False)
    return ibis.cases(*branches, else_=False)


_RUNNING_KEYS: Final = frozenset({"engagement", "accepted", "rejected"})


def _is_running(key: str) -> bool:
    """Keys whose value changes along a lead's timeline (the rest are constant)."""
    return key in _RUNNING_KEYS or key.startswith("signal_")


def could_hold(node: Node, table: ibis.Table) -> ir.BooleanValue:
    """A sound over-approximation of the criteria from constant keys only: false means
    the criteria can never hold for that lead, whatever its engagement, signals and
    decisions. Parts that read running keys count as "maybe" (true); `and` / `or` combine
    the parts, so `fit >= 45 and (engagement >= 40 or ...)` prunes leads with fit < 45."""
    if not any(_is_running(column_key(r)) for r in referenced_names(node)):
        return to_ibis(node, table)
    match node:
        case And(left, right):
            return could_hold(left, table) & could_hold(right, table)
        case Or(left, right):
            return could_hold(left, table) | could_hold(right, table)
        case _:
            return ibis.literal(True)


def _monotone(node: Node) -> bool:
    """Whether the criteria can only turn from false to true as running keys grow
    (engagement, counts, flags, `accepted`, `rejected` — all non-negative): running keys
    appear only bare, or as `key >= x` / `key > x` / `x <= key` / `x < key` with `x` a
    constant, under `and` / `or`."""
    names = referenced_names(node)
    if not any(_is_running(column_key(r)) for r in names):
        return True
    match node:
        case And(left, right) | Or(left, right):
            return _monotone(left) and _monotone(right)
        case NameRef():
            return True
        case Compare(op, left, right):
            left_runs = isinstance(left, NameRef) and _is_running(column_key(left))
            right_runs = isinstance(right, NameRef) and _is_running(column_key(right))
            if left_runs and not right_runs:
                return op in (">=", ">")
            if right_runs and not left_runs:
                return op in ("<=", "<")
            return False
        case _:
            return False


def _touch_cutoffs(lifecycle: Lifecycle, candidates: ibis.Table, numbered: ibis.Table,
                   touches: ibis.Table) -> ibis.Table:
    """Per candidate lead that has a segment the handoff may follow: `anchor` (its creation) and
    `cutoff`, the time after which its touches cannot matter (null: none).

    Let m be the lead's last open segment. Touches after segment m lie in segments the handoff
    cannot enter and come after every candidate moment, so they change nothing. Within m,
    when the criteria are monotone (`_monotone`), the first touch at which they hold with
    *lower bounds* of the running keys (engagement 0; signal flags and `accepted` /
    `rejected` exact from first times; counts 1 once seen) bounds the handoff moment from
    above, and touches after it change nothing either. Leads without an open segment are
    left out: they never reach the handoff.
    """
    allowed = list(lifecycle.handoff_allowed_from())
    entry = lifecycle.handoff_entry
    assert entry is not None
    opened = numbered.filter(numbered.to_stage.isin(allowed))
    last_open = opened.group_by("lead_id").aggregate(m=opened.seg.max())
    base = candidates.select("lead_id", "created_at", *[
        c for c in candidates.columns if c not in ("lead_id", "created_at")])
    leads = base.left_join(last_open, "lead_id").drop("lead_id_right")
    initial_open = lifecycle.initial in allowed
    m = ibis.coalesce(leads.m, 0) if initial_open else leads.m
    leads = leads.mutate(m=m.cast("int64")).filter(ibis._.m.notnull())
    ends = numbered.select(end_lead="lead_id", end_seg="seg", end_at="at")
    leads = leads.left_join(ends, (leads.lead_id == ends.end_lead)
                            & (leads.m + 1 == ends.end_seg))
    starts = numbered.select(start_lead="lead_id", start_seg="seg", start_at="at")
    leads = leads.left_join(starts, (leads.lead_id == starts.start_lead)
                            & (leads.m == starts.start_seg))
    leads = leads.select(*base.columns, "end_at", "start_at")
    if not _monotone(entry):
        return leads.select("lead_id", anchor="created_at", cutoff="end_at")

    keys = lifecycle.handoff_keys()
    signals = sorted({k.removeprefix("signal_count_") if k.startswith("signal_count_")
                      else k.removeprefix("signal_") for k in keys
                      if k.startswith("signal_")})
    if signals:
        shown = touches.filter(touches.signal.isin(signals))
        first = shown.group_by("lead_id").aggregate(**{
            f"first_{x}": ibis.cases((shown.signal == x, shown.occurred_at)).min()
            for x in signals})
        leads = leads.left_join(first, "lead_id").drop("lead_id_right")
    decided_keys = keys & {"accepted", "rejected"}
    if decided_keys:
        is_accept = numbered.to_stage == lifecycle.accepted if lifecycle.accepted \
            else numbered.to_stage != numbered.to_stage
        is_reject = numbered.to_stage.isin(list(lifecycle.send_back)) if lifecycle.send_back \
            else numbered.to_stage != numbered.to_stage
        flags = numbered.group_by("lead_id").aggregate(
            first_accepted=ibis.cases((is_accept, numbered.at)).min(),
            first_rejected=ibis.cases((is_reject, numbered.at)).min())
        leads = leads.left_join(flags, "lead_id").drop("lead_id_right")
    seg_touches = touches.select(t_lead="lead_id", t_at="occurred_at")
    seg_touches = seg_touches.join(leads, seg_touches.t_lead == leads.lead_id)
    seg_touches = seg_touches.filter(
        (seg_touches.start_at.isnull() | (seg_touches.t_at > seg_touches.start_at))
        & (seg_touches.end_at.isnull() | (seg_touches.t_at <= seg_touches.end_at)))
    at = seg_touches.t_at
    bounds: dict[str, ir.Value] = {"engagement": ibis.literal(0.0)}
    for x in signals:
        seen = seg_touches[f"first_{x}"].notnull() & (seg_touches[f"first_{x}"] <= at)
        bounds[f"signal_{x}"] = seen
        bounds[f"signal_count_{x}"] = ibis.ifelse(seen, 1, 0).cast("int64")
    if decided_keys:
        bounds["accepted"] = (seg_touches.first_accepted < at).fill_null(False)
        bounds["rejected"] = (seg_touches.first_rejected < at).fill_null(False)
    lower = seg_touches.mutate(**{k: v for k, v in bounds.items() if k in keys})
    holding = lower.filter(to_ibis(entry, lower))
    bound = holding.group_by(b_lead="lead_id").aggregate(bound=holding.t_at.min())
    leads = leads.left_join(bound, leads.lead_id == bound.b_lead)
    cutoff = ibis.cases((leads.bound.isnull(), leads.end_at),
                        (leads.end_at.isnull(), leads.bound),
                        else_=ibis.least(leads.bound, leads.end_at))
    return leads.select("lead_id", anchor="created_at", cutoff=cutoff)


def _handoff_transitions(store: Store, lifecycle: Lifecycle, model: ScoringModel,
                     leads: ibis.Table, decisions: ibis.Table,
                     as_of: datetime) -> ibis.Table | None:
    """The derived handoff moves: per segment whose stage allows the handoff, the first creation or
    touch at which the entry criteria hold.

    One window pass over the union of the candidate leads' creation, touches and
    decisions, ordered like the live engine applies them: running engagement, signal
    flags and counts, `accepted` / `rejected`, and the segment number (decisions so far).
    Leads whose constant keys already rule the criteria out (`could_hold`) are skipped.
    """
    allowed_from = lifecycle.handoff_allowed_from()
    entry = lifecycle.handoff_entry
    if lifecycle.handoff is None or entry is None or not allowed_from:
        return None
    at_t = ibis.literal(as_of, type="timestamp(6)")
    keys = lifecycle.handoff_keys()
    constant = sorted(k for k in keys if not _is_running(k))
    missing = [k for k in constant if k not in leads.columns]
    if missing:
        raise KeyError(f"the handoff criteria need lead-frame column(s) {', '.join(missing)}")
    needs_touch_state = any(k == "engagement" or k.startswith("signal_") for k in keys)
    needs_decision_state = bool(keys & {"accepted", "rejected"})

    candidates = leads.filter(could_hold(entry, leads)).select(
        "lead_id", "created_at", *constant)
    decided = decisions.join(candidates.select("lead_id"), "lead_id")
    seg_order = ibis.window(group_by="lead_id", order_by=["at", "rank", "fid"])
    numbered = decided.mutate(seg=(ibis.row_number().over(seg_order) + 1).cast("int64"))
    all_touches = store.table("touches")
    all_touches = all_touches.filter(all_touches.occurred_at <= at_t)
    cutoffs = _touch_cutoffs(lifecycle, candidates, numbered, all_touches)
    touches = all_touches.join(cutoffs, "lead_id")
    touches = touches.filter(touches.cutoff.isnull()
                             | (touches.occurred_at <= touches.cutoff))
    send_back = list(lifecycle.send_back)
    accepted = [lifecycle.accepted] if lifecycle.accepted else []
    parts = [
        _timeline_cols(cutoffs, lead_id=cutoffs.lead_id, at=cutoffs.anchor,
                       rank=RANK_CREATED, fid="", is_decision=0, is_accept=0, is_reject=0,
                       anchor=cutoffs.anchor),
        _timeline_cols(touches, lead_id=touches.lead_id, at=touches.occurred_at,
                       rank=RANK_TOUCH, fid=touches.touch_id,
                       signal=touches.signal if needs_touch_state else None,
                       is_decision=0, is_accept=0, is_reject=0, anchor=touches.anchor),
        _timeline_cols(decided, lead_id=decided.lead_id, at=decided.at,
                       rank=decided.rank, fid=decided.fid, is_decision=1,
                       is_accept=ibis.ifelse(decided.to_stage.isin(accepted), 1, 0)
                       if accepted else 0,
                       is_reject=ibis.ifelse(decided.to_stage.isin(send_back), 1, 0)
                       if send_back else 0),
    ]
    timeline = parts[0].union(parts[1], distinct=False).union(parts[2], distinct=False)
    # A lead's facts at the same instant and of the same kind are peers (RANGE frame):
    # touches at one instant are counted together, and no id breaks the tie — sorting
    # 20M touches by id as well costs more than the rest of the window.
    window = ibis.window(group_by="lead_id", order_by=["at", "rank"], range=(None, 0))
    running: dict[str, ir.Value] = {
        "seg": timeline.is_decision.cast("int64").sum().over(window)}
    if needs_touch_state:
        running.update(running_engagement(model, timeline, window, timeline.anchor,
                                          needed=keys))
    if needs_decision_state:
        running["accepted"] = timeline.is_accept.max().over(window) > 0
        running["rejected"] = timeline.is_reject.max().over(window) > 0
    timeline = timeline.select("lead_id", "at", "rank", **running)
    points = timeline.filter(timeline.rank <= RANK_TOUCH)
    if constant:
        points = points.join(candidates.select("lead_id", *constant), "lead_id")
    qualifying = points.filter(to_ibis(entry, points))
    first = qualifying.group_by(["lead_id", "seg"]).aggregate(at=qualifying.at.min())

    segments = numbered.select("lead_id", "to_stage", "seg").union(
        candidates.select(lead_id="lead_id", to_stage=ibis.literal(lifecycle.initial),
                          seg=ibis.literal(0, type="int64")), distinct=False)
    open_segments = segments.filter(segments.to_stage.isin(list(allowed_from)))
    moves = first.join(open_segments, ["lead_id", "seg"])
    return moves.select(lead_id=moves.lead_id, at=moves.at,
                        rank=ibis.literal(RANK_TOUCH, type="int8"),
                        fid=ibis.literal("", type="string"),
                        to_stage=ibis.literal(lifecycle.handoff),
                        source=ibis.literal("criteria"), actor=ibis.literal(ENGINE_ACTOR),
                        reason=ibis.null("string"))
