"""The live engine: apply one event, get the lead's decision back (DESIGN principle 5).

`Engine.handle(event) -> Decision` takes one small frozen event — `LeadCreated`,
`Touch`, `Activity`, `StageDecision` (accept, reject with a reason code, recycle,
disqualify, or any other allowed move), `OpportunityCreated`, `OpportunityClosed` — and
returns the lead's fit, tier, best ICP, engagement (as of the event), stage, owner, SLA
deadlines and the stage events the event caused. Scores and stages follow exactly the
rules of `engine/scoring.py` and `engine/lifecycle.py`; the batch run over the same facts
gives the same answers (a property test holds the two together).

Every event is checked before anything changes; a refused event raises an `EngineError`
naming the record and leaves the engine as it was:

- an event for a lead the engine has not seen (`UnknownLeadError`), a second
  `LeadCreated` for one it has (`DuplicateLeadError`);
- a time later than the engine's clock (`FutureEventError`; the clock is injectable);
- a time before the lead's last event — more precisely, an order key
  `(time, kind, id)` not after the last one applied (`OutOfOrderEventError`); at the same
  instant, kinds go creation < touch < activity < stage decision < opportunity created <
  opportunity closed, and ids in code-point order. This is the order batch replays facts
  in, which is what makes the two agree; a replayed event is refused the same way;
- a signal the contract does not define, an unknown opportunity, a move by hand into a
  derived stage (roles `handoff`, `opportunity`, `won`: the criteria and the
  opportunities decide those), a move the contract's `next` does not allow
  (`IllegalTransitionError`, naming the stage, the lead and the allowed next stages) and
  a move into a send-back stage (roles `recycled`, `disqualified`, `lost`) without a
  valid reason code (`RejectionReasonError`).

Stages are asked of the compiled contract by role (`contract/roles.py`): `accept` moves a
lead to the accepted stage, `recycle` (and `reject`) to the recycled stage, `disqualify`
to the disqualified stage, whatever the contract calls them.

Stage events the engine emits carry the contract version; the ones it derives (entering
the handoff stage) have actor `accord` and id `<lead_id>:<handoff stage>:<touch_id>`
(`created` for creation). Write the event's fact and `events_emitted` to the store to
keep actual and derived equal.

The owner comes from `engine/routing.py` (given a `Router`; none otherwise): a lead is
routed when it first enters `routing.stage`, or when created if the contract sets none.
The SLA deadlines come from `engine/sla_clock.py` (due times of the per-lead SLAs whose
clock is running, by the batch clocks' rules, on the same calendar: for `calendar: owner`
the calendar of the rep who held the lead at the clock's start, see `owner_calendars`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, TypeAlias, assert_never

from accord.contract.compiled import CompiledContract, SlaClock
from accord.contract.instants import naive_utc, utc_now
from accord.contract.roles import StageRole
from accord.engine.lead_frame import profile_row
from accord.engine.lifecycle import (
    ENGINE_ACTOR,
    RANK_ACTIVITY,
    RANK_CREATED,
    RANK_OPPORTUNITY,
    RANK_STAGE_EVENT,
    RANK_TOUCH,
    RANK_WON,
    Lifecycle,
    StageEvent,
)
from accord.engine.matching import AccountIndex, build_account_index, match_lead
from accord.engine.routing import Assignment, Router
from accord.engine.scoring import (
    EngagementExplanation,
    FitScores,
    LeadScore,
    engagement_as_of,
    fit_column_name,
    fit_scores,
    signal_count,
    signal_flag,
)
from accord.engine.sla_clock import OwnerCalendars, clock_calendar, due_time, owner_calendars
from accord.engine.sla_schedule import LeadClock
from accord.errors import EngineError
from accord.store.base import Store

__all__ = [
    "Activity",
    "Decision",
    "DuplicateLeadError",
    "Engine",
    "Event",
    "FutureEventError",
    "LeadCreated",
    "OpportunityClosed",
    "OpportunityCreated",
    "OpportunityUpdated",
    "OutOfOrderEventError",
    "StageDecision",
    "Touch",
    "UnknownLeadError",
    "store_events",
]


class UnknownLeadError(EngineError):
    """An event for a lead the engine has not seen created."""


class DuplicateLeadError(EngineError):
    """A lead created twice."""


class OutOfOrderEventError(EngineError):
    """An event that does not come after the lead's last event."""


class FutureEventError(EngineError):
    """An event dated after the engine's clock."""


# --- events -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeadCreated:
    """A new lead (fact table `leads`)."""

    lead_id: str
    at: datetime
    email: str = ""
    channel: str = ""
    title: str | None = None
    company: str | None = None
    country: str | None = None
    campaign_id: str | None = None
    landing_page: str | None = None
    account_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None

    rank: ClassVar[int] = RANK_CREATED

    @property
    def fact_id(self) -> str:
        return ""

    @property
    def record(self) -> str:
        return f"lead {self.lead_id}"

    def fact(self) -> dict[str, Any]:
        """The `leads` row."""
        return {"lead_id": self.lead_id, "email": self.email, "first_name": self.first_name,
                "last_name": self.last_name, "title": self.title, "company": self.company,
                "account_id": self.account_id, "country": self.country,
                "channel": self.channel, "campaign_id": self.campaign_id,
                "landing_page": self.landing_page, "created_at": self.at}


@dataclass(frozen=True)
class Touch:
    """A marketing touch: the lead showed a signal (fact table `touches`)."""

    touch_id: str
    lead_id: str
    signal: str
    at: datetime
    channel: str | None = None
    campaign_id: str | None = None

    rank: ClassVar[int] = RANK_TOUCH

    @property
    def fact_id(self) -> str:
        return self.touch_id

    @property
    def record(self) -> str:
        return f"touch {self.touch_id}"

    def fact(self) -> dict[str, Any]:
        return {"touch_id": self.touch_id, "lead_id": self.lead_id, "signal": self.signal,
                "channel": self.channel, "campaign_id": self.campaign_id,
                "occurred_at": self.at}


@dataclass(frozen=True)
class Activity:
    """A sales touch by a rep (fact table `activities`)."""

    activity_id: str
    lead_id: str
    rep_id: str
    kind: str
    at: datetime

    rank: ClassVar[int] = RANK_ACTIVITY

    @property
    def fact_id(self) -> str:
        return self.activity_id

    @property
    def record(self) -> str:
        return f"activity {self.activity_id}"

    def fact(self) -> dict[str, Any]:
        return {"activity_id": self.activity_id, "lead_id": self.lead_id,
                "rep_id": self.rep_id, "kind": self.kind, "occurred_at": self.at}


@dataclass(frozen=True)
class StageDecision:
    """A person (or system) moves a lead to a stage; its fact is the emitted stage event.

    Use the constructors for the usual decisions — each finds its stage in the contract
    by role: `accept` (to the accepted stage, SAL), `reject` (back to the recycled stage,
    Nurture, with a reason code; or to `to_stage`), `recycle` (to the recycled stage, with
    a reason code), `disqualify` (to the disqualified stage, with a reason code); any other
    allowed move with the plain class. A contract without the role raises
    `UnknownNameError` naming the roles it has.
    """

    event_id: str
    lead_id: str
    to_stage: str
    at: datetime
    actor: str
    reason: str | None = None

    rank: ClassVar[int] = RANK_STAGE_EVENT

    @property
    def fact_id(self) -> str:
        return self.event_id

    @property
    def record(self) -> str:
        return f"stage event {self.event_id}"

    @classmethod
    def accept(cls, contract: CompiledContract, event_id: str, lead_id: str, at: datetime,
               actor: str) -> StageDecision:
        return cls(event_id, lead_id,
                   contract.stages.require(StageRole.ACCEPTED, "accepting a lead"), at, actor)

    @classmethod
    def reject(cls, contract: CompiledContract, event_id: str, lead_id: str, at: datetime,
               actor: str, reason: str | None, to_stage: str | None = None) -> StageDecision:
        stage = contract.stages.stage(to_stage) if to_stage is not None else \
            contract.stages.require(StageRole.RECYCLED, "rejecting a lead")
        return cls(event_id, lead_id, stage, at, actor, reason)

    @classmethod
    def recycle(cls, contract: CompiledContract, event_id: str, lead_id: str, at: datetime,
                actor: str, reason: str | None) -> StageDecision:
        return cls(event_id, lead_id,
                   contract.stages.require(StageRole.RECYCLED, "recycling a lead"), at,
                   actor, reason)

    @classmethod
    def disqualify(cls, contract: CompiledContract, event_id: str, lead_id: str,
                   at: datetime, actor: str, reason: str | None) -> StageDecision:
        return cls(event_id, lead_id,
                   contract.stages.require(StageRole.DISQUALIFIED, "disqualifying a lead"),
                   at, actor, reason)


@dataclass(frozen=True)
class OpportunityCreated:
    opportunity_id: str
    lead_id: str
    at: datetime
    amount: float = 0.0
    owner_rep_id: str | None = None
    account_id: str | None = None
    source: str | None = None

    rank: ClassVar[int] = RANK_OPPORTUNITY

    @property
    def fact_id(self) -> str:
        return self.opportunity_id

    @property
    def record(self) -> str:
        return f"opportunity {self.opportunity_id}"


@dataclass(frozen=True)
class OpportunityClosed:
    opportunity_id: str
    lead_id: str
    at: datetime
    won: bool
    close_reason: str | None = None

    rank: ClassVar[int] = RANK_WON

    @property
    def fact_id(self) -> str:
        return self.opportunity_id

    @property
    def record(self) -> str:
        return f"opportunity {self.opportunity_id} closing"


@dataclass(frozen=True)
class OpportunityUpdated:
    """An open deal's amount, owner or source changed. It moves no stage (the lifecycle
    reads opportunities only for their creation and closing), so it does not take part in
    the lead's event order: it must only be dated at or after the deal's creation."""

    event_id: str
    opportunity_id: str
    lead_id: str
    at: datetime
    amount: float | None = None
    owner_rep_id: str | None = None
    source: str | None = None

    rank: ClassVar[int] = RANK_OPPORTUNITY

    @property
    def fact_id(self) -> str:
        return self.event_id

    @property
    def record(self) -> str:
        return f"opportunity {self.opportunity_id} update {self.event_id}"


Event: TypeAlias = (LeadCreated | Touch | Activity | StageDecision | OpportunityCreated
                    | OpportunityUpdated | OpportunityClosed)


# --- the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class Decision:
    """A lead's state after an event: scores as of `as_of`, stage, owner, SLA deadlines
    (SLA name -> due time, for clocks still running) and the stage events emitted."""

    lead_id: str
    as_of: datetime
    fit: int
    tier: str | None
    icp: str | None
    engagement: float
    stage: str
    stage_owner: str | None
    owner: str | None
    sla_deadlines: Mapping[str, datetime]
    events_emitted: tuple[StageEvent, ...] = ()
    fit_detail: FitScores | None = None
    engagement_detail: EngagementExplanation | None = None
    routing: Assignment | None = None  # how the current owner was chosen

    def why(self) -> dict[str, Any]:
        """The scores explained: the best ICP's criteria (each with its value, whether it
        was met and the points earned) and each signal's part of the engagement."""
        best = next((f for f in self.fit_detail.by_icp if f.icp == self.icp), None) \
            if self.fit_detail is not None else None
        return {
            "fit": [c.as_dict() for c in best.criteria] if best is not None else [],
            "engagement": [
                {"signal": g.signal, "touches": g.touches, "counted": g.counted,
                 "points": g.points, "contribution": g.contribution}
                for g in (self.engagement_detail.signals
                          if self.engagement_detail is not None else ())]}

    def routed(self) -> dict[str, Any] | None:
        """The routing that chose the owner: its rule, pool, step and reason."""
        a = self.routing
        if a is None:
            return None
        return {"rule": a.rule, "pool": a.pool, "step": a.step, "reason": a.reason,
                "assigned_at": a.assigned_at.isoformat()}

    def as_dict(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "as_of": self.as_of.isoformat(), "fit": self.fit,
                "tier": self.tier, "icp": self.icp, "engagement": self.engagement,
                "stage": self.stage, "stage_owner": self.stage_owner, "owner": self.owner,
                "routing": self.routed(), "why": self.why(),
                "sla_deadlines": {k: v.isoformat() for k, v in self.sla_deadlines.items()},
                "events_emitted": [e.as_row() for e in self.events_emitted]}


@dataclass
class _Opportunity:
    status: str  # open, won, lost
    created_at: datetime


@dataclass
class _Lead:
    """Mutable per-lead state; replaced field by field only after an event is accepted."""

    lead_id: str
    created_at: datetime
    profile: dict[str, Any]
    fit: FitScores
    stage: str
    entered_at: datetime
    last_key: tuple[datetime, int, str]
    touches: list[tuple[datetime, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    accepted: bool = False
    rejected: bool = False
    history: list[StageEvent] = field(default_factory=list)
    activities: list[datetime] = field(default_factory=list)
    opportunities: dict[str, _Opportunity] = field(default_factory=dict)
    owner: str | None = None
    owner_at: datetime | None = None  # when the lead was routed to `owner`
    routing: Assignment | None = None  # the assignment that chose `owner`
    # a cache, see _SlaReader: SLA name -> (owner whose calendar ran it, due time)
    sla_due: dict[str, tuple[str | None, datetime]] = field(default_factory=dict)


class Engine:
    """Live decisions for one contract, one event at a time.

    `accounts` maps account id -> `accounts` fields for the leads' accounts; `clock`
    returns the current UTC time (naive), for the future-time check; `router` (an
    `engine.routing.Router`) assigns an owner when the lead first enters `routing.stage`
    (when created, without one); `account_index`
    (`engine.matching.build_account_index`) matches a new lead to its account by the
    batch's rules (its own account id, email domain, company name) — without it the
    lead's own `account_id` is used, with the contract's `matching` thresholds;
    `owner_calendars` (`engine.sla_clock.owner_calendars` over the reps facts) gives each
    rep's calendar for SLAs on `calendar: owner` — without it those clocks run on the
    contract calendar. `Engine.from_store` builds all four from a store.
    """

    def __init__(self, contract: CompiledContract, *,
                 accounts: Mapping[str, Mapping[str, Any]] | None = None,
                 clock: Callable[[], datetime] = utc_now,
                 router: Router | None = None,
                 account_index: AccountIndex | None = None,
                 owner_calendars: OwnerCalendars | None = None) -> None:
        self.contract = contract
        self.model = contract.scoring
        self.lifecycle = Lifecycle.from_contract(contract)
        self.accounts: dict[str, Mapping[str, Any]] = dict(accounts or {})
        self.clock = clock
        self.router = router
        self.account_index = account_index
        self._leads: dict[str, _Lead] = {}
        self._signals = {s.name for s in self.model.signals}
        self._sla = _SlaReader(contract, contract.lead_slas, owner_calendars)

    @classmethod
    def from_store(cls, store: Store, contract: CompiledContract, *,
                   clock: Callable[[], datetime] = utc_now, match: bool = True,
                   route: bool = True) -> Engine:
        """An engine with the store's accounts, their matching index, a router over
        the store's reps (a fresh rotation) and the reps' calendars. Leads are not loaded:
        replay them with `store_events` when the engine should know them."""
        accounts_t = store.table("accounts").to_pyarrow()
        accounts = {r["account_id"]: r for r in accounts_t.to_pylist()}
        index = build_account_index(accounts_t) if match else None
        router = Router.from_tables(contract, store.table("reps"),
                                    store.table("rep_availability")) if route else None
        cals = (owner_calendars(contract, store.table("reps").to_pyarrow())
                if any(c.calendar == "owner" for c in contract.lead_slas) else None)
        return cls(contract, accounts=accounts, clock=clock, router=router,
                   account_index=index, owner_calendars=cals)

    # -- reading -----------------------------------------------------------------------------
    @property
    def lead_ids(self) -> tuple[str, ...]:
        return tuple(self._leads)

    def stage(self, lead_id: str) -> str:
        return self._lead(lead_id, None).stage

    def history(self, lead_id: str) -> tuple[StageEvent, ...]:
        return tuple(self._lead(lead_id, None).history)

    def score(self, lead_id: str, as_of: datetime | None = None) -> LeadScore:
        """The lead's scores as of `as_of` (default: the clock) with their explanation."""
        lead = self._lead(lead_id, None)
        at = naive_utc(as_of) if as_of is not None else self.clock()
        detail = engagement_as_of(self.model, lead.touches, at)
        return LeadScore(lead_id, at, lead.fit.fit, lead.fit.tier, lead.fit.icp,
                         detail.engagement, lead.fit.by_icp, detail)

    def decision(self, lead_id: str, as_of: datetime | None = None) -> Decision:
        """The lead's current decision, engagement as of `as_of` (default: the clock)."""
        lead = self._lead(lead_id, None)
        at = naive_utc(as_of) if as_of is not None else self.clock()
        return self._decision(lead, at, ())

    def sla_clocks(self, lead_id: str) -> tuple[LeadClock, ...]:
        """The lead's started per-lead SLA clocks: each with its start, its stop (None
        while running), its calendar and the lead's owner — what the SLA scheduler
        (`engine/sla_schedule.py`) reads to know which firings a lead owes."""
        return self._sla.clocks(self._lead(lead_id, None))

    # -- applying ----------------------------------------------------------------------------
    def handle(self, event: Event) -> Decision:
        """Validate and apply one event; raise `EngineError` (nothing applied) if refused."""
        at = naive_utc(event.at)
        now = self.clock()
        if at > now:
            raise FutureEventError(
                f"{event.record} (lead {event.lead_id!r}) is dated {at.isoformat()}, after "
                f"the current time {now.isoformat()}")
        match event:
            case LeadCreated():
                return self._create(event, at)
            case Touch():
                return self._touch(event, at)
            case Activity():
                lead = self._lead(event.lead_id, event.record)
                key = self._check_order(lead, event, at)
                lead.activities.append(at)
                lead.last_key = key
                return self._decision(lead, at, ())
            case StageDecision():
                return self._stage_decision(event, at)
            case OpportunityCreated():
                return self._opportunity_created(event, at)
            case OpportunityUpdated():
                return self._opportunity_updated(event, at)
            case OpportunityClosed():
                return self._opportunity_closed(event, at)
            case _:
                raise TypeError(f"not an engine event: {event!r}")

    def replay(self, events: Iterable[Event]) -> list[Decision]:
        """Handle events in order, stopping at the first refused one."""
        return [self.handle(e) for e in events]

    # -- one kind each -----------------------------------------------------------------------
    def _create(self, event: LeadCreated, at: datetime) -> Decision:
        if event.lead_id in self._leads:
            raise DuplicateLeadError(f"lead {event.lead_id!r} already exists")
        fields = event.fact()
        if self.account_index is not None:
            thresholds = self.contract.matching
            fields["account_id"] = match_lead(
                fields, self.account_index, min_name_score=thresholds.min_name_score,
                min_margin=thresholds.min_margin).account_id
        account_id = fields["account_id"]
        account = self.accounts.get(account_id) if account_id else None
        profile = profile_row(fields, account)
        fit = fit_scores(self.model, profile)
        profile.update({fit_column_name(f.icp): f.fit for f in fit.by_icp})
        profile.update(fit=fit.fit, tier=fit.tier, icp=fit.icp)
        initial = self.lifecycle.initial
        lead = _Lead(event.lead_id, at, profile, fit, initial, at,
                     (at, RANK_CREATED, ""))
        lead.history.append(StageEvent(f"{event.lead_id}:created", event.lead_id, None,
                                       initial, at, ENGINE_ACTOR, None,
                                       self.lifecycle.version))
        emitted = self._maybe_handoff(lead, at, "created")
        # nothing above raised: commit
        self._leads[event.lead_id] = lead
        if self.contract.routing_stage is None:
            self._assign(lead, at)
        self._apply(lead, emitted)
        return self._decision(lead, at, tuple(emitted))

    def _touch(self, event: Touch, at: datetime) -> Decision:
        lead = self._lead(event.lead_id, event.record)
        key = self._check_order(lead, event, at)
        if event.signal not in self._signals:
            raise EngineError(
                f"touch {event.touch_id!r} (lead {event.lead_id!r}) has signal "
                f"{event.signal!r}, which the contract's signals do not define; known: "
                f"{', '.join(sorted(self._signals))}")
        touches = [*lead.touches, (at, event.signal)]
        counts = {**lead.counts, event.signal: lead.counts.get(event.signal, 0) + 1}
        detail = engagement_as_of(self.model, touches, at)
        emitted = self._maybe_handoff(lead, at, event.touch_id, touches, counts,
                                      detail.engagement)
        # nothing above raised: commit
        lead.touches = touches
        lead.counts = counts
        lead.last_key = key
        self._apply(lead, emitted)
        return self._decision(lead, at, tuple(emitted), detail)

    def _stage_decision(self, event: StageDecision, at: datetime) -> Decision:
        lead = self._lead(event.lead_id, event.record)
        key = self._check_order(lead, event, at)
        lc = self.lifecycle
        how = lc.derived().get(event.to_stage)
        if how is not None:
            raise EngineError(
                f"stage event {event.event_id!r} moves lead {event.lead_id!r} to "
                f"{event.to_stage!r} by hand; {event.to_stage} is entered {how}")
        self.lifecycle.check_decision(event.lead_id, lead.stage, event.to_stage,
                                      event.reason, event.record)
        moved = StageEvent(event.event_id, event.lead_id, lead.stage, event.to_stage, at,
                           event.actor, event.reason, self.lifecycle.version)
        lead.last_key = key
        if event.to_stage == lc.accepted:
            lead.accepted = True
        if event.to_stage in lc.send_back:
            lead.rejected = True
        self._apply(lead, [moved])
        return self._decision(lead, at, (moved,))

    def _opportunity_created(self, event: OpportunityCreated, at: datetime) -> Decision:
        lead = self._lead(event.lead_id, event.record)
        key = self._check_order(lead, event, at)
        if event.opportunity_id in lead.opportunities:
            raise EngineError(f"opportunity {event.opportunity_id!r} of lead "
                              f"{event.lead_id!r} already exists")
        emitted = self._fact_move(lead, self.lifecycle.opportunity, at,
                                  f"{event.opportunity_id}:created",
                                  event.owner_rep_id or ENGINE_ACTOR, event.record)
        lead.opportunities[event.opportunity_id] = _Opportunity("open", at)
        lead.last_key = key
        self._apply(lead, emitted)
        return self._decision(lead, at, tuple(emitted))

    def _opportunity_updated(self, event: OpportunityUpdated, at: datetime) -> Decision:
        lead = self._lead(event.lead_id, event.record)
        opp = lead.opportunities.get(event.opportunity_id)
        if opp is None:
            raise EngineError(f"{event.record}: lead {event.lead_id!r} has no opportunity "
                              f"{event.opportunity_id!r}")
        if opp.status != "open":
            raise EngineError(f"{event.record}: opportunity {event.opportunity_id!r} of lead "
                              f"{event.lead_id!r} is already {opp.status}; a closed deal "
                              "is not updated")
        if at < opp.created_at:
            raise OutOfOrderEventError(
                f"{event.record}: dated {at.isoformat()}, before the opportunity was "
                f"created at {opp.created_at.isoformat()}")
        return self._decision(lead, at, ())

    def _opportunity_closed(self, event: OpportunityClosed, at: datetime) -> Decision:
        lead = self._lead(event.lead_id, event.record)
        opp = lead.opportunities.get(event.opportunity_id)
        if opp is None:
            raise EngineError(f"{event.record}: lead {event.lead_id!r} has no opportunity "
                              f"{event.opportunity_id!r}")
        if opp.status != "open":
            raise EngineError(f"{event.record}: opportunity {event.opportunity_id!r} of lead "
                              f"{event.lead_id!r} is already {opp.status}")
        key = self._check_order(lead, event, at)
        emitted: list[StageEvent] = []
        if event.won:
            emitted = self._fact_move(lead, self.lifecycle.won, at,
                                      f"{event.opportunity_id}:won", ENGINE_ACTOR,
                                      event.record)
        opp.status = "won" if event.won else "lost"
        lead.last_key = key
        self._apply(lead, emitted)
        return self._decision(lead, at, tuple(emitted))

    # -- shared steps ------------------------------------------------------------------------
    def _lead(self, lead_id: str, record: str | None) -> _Lead:
        lead = self._leads.get(lead_id)
        if lead is None:
            what = f"{record}: " if record else ""
            raise UnknownLeadError(f"{what}unknown lead {lead_id!r}; create it first")
        return lead

    def _check_order(self, lead: _Lead, event: Event,
                     at: datetime) -> tuple[datetime, int, str]:
        key = (at, event.rank, event.fact_id)
        if key <= lead.last_key:
            last_at = lead.last_key[0]
            if at < last_at:
                why = f"dated {at.isoformat()}, before the lead's last event at " \
                      f"{last_at.isoformat()}"
            else:
                why = (f"at the same instant as the lead's last event ({at.isoformat()}) but "
                       "not after it in (kind, id) order — or a repeat")
            raise OutOfOrderEventError(
                f"{event.record} (lead {lead.lead_id!r}) is out of order: {why}")
        return key

    def _fact_move(self, lead: _Lead, to_stage: str | None, at: datetime, event_id: str,
                   actor: str, record: str) -> list[StageEvent]:
        """The move an opportunity fact makes (none when the lead is already there)."""
        if to_stage is None or to_stage == lead.stage:
            return []
        self.lifecycle.check_decision(lead.lead_id, lead.stage, to_stage, None, record)
        return [StageEvent(event_id, lead.lead_id, lead.stage, to_stage, at, actor, None,
                           self.lifecycle.version)]

    def _row(self, lead: _Lead, at: datetime, touches: list[tuple[datetime, str]],
             counts: Mapping[str, int], engagement: float | None) -> dict[str, Any]:
        row = dict(lead.profile)
        row["engagement"] = engagement if engagement is not None else \
            engagement_as_of(self.model, touches, at).engagement
        for name in self.model.signal_names:
            count = counts.get(name, 0)
            row[signal_count(name)] = count
            row[signal_flag(name)] = count > 0
        row["accepted"] = lead.accepted
        row["rejected"] = lead.rejected
        return row

    def _maybe_handoff(self, lead: _Lead, at: datetime, trigger: str,
                       touches: list[tuple[datetime, str]] | None = None,
                       counts: Mapping[str, int] | None = None,
                       engagement: float | None = None) -> list[StageEvent]:
        """Enter the handoff stage when its criteria hold now and it may follow the
        current stage."""
        lc = self.lifecycle
        handoff = lc.handoff
        if handoff is None or lc.handoff_predicate is None or lead.stage == handoff \
                or not lc.allows(lead.stage, handoff):
            return []
        row = self._row(lead, at, lead.touches if touches is None else touches,
                        lead.counts if counts is None else counts, engagement)
        if not lc.handoff_predicate(row):
            return []
        return [StageEvent(f"{lead.lead_id}:{handoff}:{trigger}", lead.lead_id, lead.stage,
                           handoff, at, ENGINE_ACTOR, None, lc.version)]

    def _apply(self, lead: _Lead, moves: Iterable[StageEvent]) -> None:
        """Commit stage moves; the first entry into `routing.stage` routes the lead."""
        routing_stage = self.contract.routing_stage
        for move in moves:
            lead.history.append(move)
            lead.stage = move.to_stage
            lead.entered_at = move.occurred_at
            if move.to_stage == routing_stage and lead.owner is None:
                self._assign(lead, move.occurred_at)

    def _assign(self, lead: _Lead, at: datetime) -> None:
        """Route the lead now: its owner, when, and the assignment that chose it."""
        lead.owner_at = at
        if self.router is None:
            lead.owner, lead.routing = None, None
            return
        assignment = self.router.route({**lead.profile, "routed_at": at})
        lead.owner, lead.routing = assignment.owner, assignment

    def _decision(self, lead: _Lead, at: datetime, emitted: tuple[StageEvent, ...],
                  detail: EngagementExplanation | None = None) -> Decision:
        if detail is None:
            detail = engagement_as_of(self.model, lead.touches, at)
        return Decision(lead.lead_id, at, lead.fit.fit, lead.fit.tier, lead.fit.icp,
                        detail.engagement, lead.stage, self.lifecycle.owners.get(lead.stage),
                        lead.owner, self._sla.deadlines(lead, at), emitted, lead.fit,
                        detail, lead.routing)


@dataclass(frozen=True)
class _SlaReader:
    """Due times of the per-lead SLAs whose clock is running (`engine/sla_clock.py`).

    The same rules as the batch clocks: a clock starts when the lead first entered the
    SLA's `start` stage; `first_touch` stops at the first sales activity at or after the
    start, `min_touches` at the n-th, `accept_or_reject` at the first move out of `start`
    into an accept stage or, with a reason code, a reject stage. A running clock's due time
    is `start + within` on the clock's calendar (`sla_clock.clock_calendar`): the contract
    calendar, or for `calendar: owner` the calendar of the rep the lead was routed to at or
    before the start (`sla_clock.due_time`, the scalar twin of the batch arithmetic).
    """

    contract: CompiledContract
    slas: tuple[SlaClock, ...]
    owner_calendars: OwnerCalendars | None

    def _owner(self, lead: _Lead, clock: SlaClock, start: datetime) -> str | None:
        """The rep whose calendar runs this clock for `lead` (None: the contract's)."""
        if clock.calendar != "owner" or self.owner_calendars is None:
            return None
        if lead.owner is None or lead.owner_at is None or lead.owner_at > start:
            return None
        return lead.owner if self.owner_calendars.of(lead.owner) is not None else None

    def deadlines(self, lead: _Lead, at: datetime) -> dict[str, datetime]:
        out: dict[str, datetime] = {}
        for clock in self.slas:
            start = next((e.occurred_at for e in lead.history if e.to_stage == clock.start),
                         None)
            if start is None or self._stopped(lead, clock, start, at):
                continue
            owner = self._owner(lead, clock, start)
            cached = lead.sla_due.get(clock.name)
            if cached is None or cached[0] != owner:  # the start never moves, nor the due
                cal = clock_calendar(self.contract, clock, self.owner_calendars.of(owner)
                                     if self.owner_calendars is not None else None)
                cached = (owner, due_time(clock, cal, start))
                lead.sla_due[clock.name] = cached
            out[clock.name] = cached[1]
        return out

    def clocks(self, lead: _Lead) -> tuple[LeadClock, ...]:
        """The lead's started per-lead clocks with their stops and calendars."""
        out = []
        for clock in self.slas:
            start = next((e.occurred_at for e in lead.history if e.to_stage == clock.start),
                         None)
            if start is None or clock.within is None:
                continue
            owner = self._owner(lead, clock, start)
            cal = clock_calendar(self.contract, clock, self.owner_calendars.of(owner)
                                 if self.owner_calendars is not None else None)
            out.append(LeadClock(lead.lead_id, clock, start, self.stop_time(lead, clock, start),
                                 cal, lead.owner))
        return tuple(out)

    def _stopped(self, lead: _Lead, clock: SlaClock, start: datetime, at: datetime) -> bool:
        stop = self.stop_time(lead, clock, start)
        return stop is not None and stop <= at

    def stop_time(self, lead: _Lead, clock: SlaClock, start: datetime) -> datetime | None:
        """When the clock started at `start` stopped, by the events the engine knows
        (None: still running; a volume SLA has no per-lead clock and counts as stopped)."""
        match clock.kind:
            case "first_touch" | "min_touches":
                needed = clock.min_touches if clock.kind == "min_touches" else 1
                assert needed is not None
                after = sorted(t for t in lead.activities if t >= start)
                return after[needed - 1] if len(after) >= needed else None
            case "accept_or_reject":
                return min((e.occurred_at for e in lead.history
                            if e.from_stage == clock.start and e.occurred_at >= start
                            and (e.to_stage in clock.accept
                                 or (e.to_stage in clock.reject and bool(e.reason)))),
                           default=None)
            case "volume":
                return start
            case _:
                assert_never(clock.kind)


def store_events(store: Store, contract: CompiledContract, *, as_of: datetime | None = None,
                 lead_ids: Iterable[str] | None = None) -> list[Event]:
    """The store's facts as live events, in the order the engine applies them
    (`(time, kind, id)`; see the module docstring) — to warm an engine or replay a store.

    Stage events into the contract's derived stages (roles `handoff`, `opportunity`,
    `won`) are left out (the engine derives those stages); an opportunity becomes
    `OpportunityCreated` and, once closed,
    `OpportunityClosed`. Facts after `as_of` and
    facts of leads not in `lead_ids` (when given) are left out.
    """
    wanted = None if lead_ids is None else sorted(set(lead_ids))
    derived = set(contract.stages.derived)

    def rows(name: str, time_column: str) -> list[dict[str, Any]]:
        t = store.table(name)
        if as_of is not None:
            t = t.filter(t[time_column] <= as_of)
        if wanted is not None:
            t = t.filter(t.lead_id.isin(wanted))
        return t.to_pyarrow().to_pylist()

    events: list[Event] = []
    for r in rows("leads", "created_at"):
        events.append(LeadCreated(
            r["lead_id"], r["created_at"], email=r["email"], channel=r["channel"],
            title=r["title"], company=r["company"], country=r["country"],
            campaign_id=r["campaign_id"], landing_page=r["landing_page"],
            account_id=r["account_id"], first_name=r["first_name"],
            last_name=r["last_name"]))
    for r in rows("touches", "occurred_at"):
        events.append(Touch(r["touch_id"], r["lead_id"], r["signal"], r["occurred_at"],
                            r["channel"], r["campaign_id"]))
    for r in rows("activities", "occurred_at"):
        events.append(Activity(r["activity_id"], r["lead_id"], r["rep_id"], r["kind"],
                               r["occurred_at"]))
    for r in rows("stage_events", "occurred_at"):
        if r["to_stage"] in derived:
            continue
        events.append(StageDecision(r["event_id"], r["lead_id"], r["to_stage"],
                                    r["occurred_at"], r["actor"], r["reason"]))
    for r in rows("opportunities", "created_at"):
        if r["lead_id"] is None:
            continue
        events.append(OpportunityCreated(r["opportunity_id"], r["lead_id"], r["created_at"],
                                         r["amount"], r["owner_rep_id"], r["account_id"],
                                         r["source"]))
        closed = r["closed_at"]
        if r["status"] in ("won", "lost") and closed is not None and (
                as_of is None or closed <= as_of):
            events.append(OpportunityClosed(r["opportunity_id"], r["lead_id"], closed,
                                            r["status"] == "won", r["close_reason"]))
    events.sort(key=lambda e: (e.at, e.rank, e.fact_id))
    return events
