"""SLA clocks (contract key `slas`): one clock per SLA, the one place each SLA is measured.

Every SLA is measured here, by `compute_sla_clocks` over the compiled contract's clock
specs (`contract.slas[name]`: `SlaClock` with its start stage resolved by role, what stops
it, `within` and its calendar); `accord sla`, `accord kpis` (speed to lead within SLA),
insights and org health read its result, so they cannot disagree.

Per-lead kinds (seed 004: "SLAs with teeth"), each started by the lead's **first** entry
into the clock's `start` stage (default: the handoff stage for `first_touch` and
`accept_or_reject`, the accepted stage for `min_touches`):
- `first_touch`: stopped by the first sales activity at or after the start.
- `min_touches`: stopped by the `min_touches`-th sales activity at or after the start.
- `accept_or_reject`: stopped by the first stage move out of `start` into an accept stage,
  or into a reject stage with a reason code. Accept stages are the `next` stages of
  `start` owned by another team (MQL → SAL); reject stages are the `next` stages kept by
  the start stage's owner (MQL → Nurture, Disqualified); see
  `contract.compiled.decision_stages`.

**Views.** Starts and accept/reject decisions are stage moves, read through
`views.stage_moves(store, view)`: `actual` (default; the `stage_events` facts) or `derived`
(the `stage_history` `accord run` writes). Sales activities are facts in both.

Status as of `now` (facts after `now` are ignored, so the clocks can be replayed):
`met` when stopped by the due time, `breached` when stopped after it or still running
past it, `open` while running and not yet due. The due time is `start + within` on the
clock's calendar (business durations count working time only, see
`contract/calendar.py`); a stop exactly at the due time is met.
`elapsed_minutes` runs from start to stop (or `now`) on the SLA's own clock: business
minutes when `within` is a business duration, wall-clock minutes otherwise;
`business_minutes` is always business time and `wall_minutes` always wall-clock time
(speed-to-lead bands read it). `overdue_minutes` is how far past `within` on the SLA's
clock (0 when not past).

**Calendars.** A clock runs on the contract calendar (`calendar: contract`, the default)
or on its owner's (`calendar: owner`): the time zone, `work_hours` and `holidays` of the
rep in the reps facts (`contract.owner_calendar`, each falling back to the contract's).
The owner is the rep the lead was routed to at or before the clock's start (the derived
`assignments`, a rep and not a queue): the rep who holds the lead when the clock starts,
known at that moment to the live engine too, so live and batch give the same due times. A
clock with no such owner (not routed yet, routed to a queue, no routing run) runs on the
contract calendar. Column `calendar_owner` says whose calendar ran each clock (empty: the
contract's). Batch groups the clocks by distinct calendar and evaluates each group in one
NumPy pass.

Responsible rep (`rep_id`): the rep of the first activity after the start, else the actor
of the next stage move after the start when that actor is a rep in `reps`, else none.

Escalation (`escalate` on a `first_touch` SLA): step k fires at `start + after_k` (same
calendar rule) when that moment has come by `now` and the lead was not touched before it.
Each firing is an event: lead, sla, step (1-based), at, action (`notify` or
`reassign`), notify (who: `rep`, `manager`, …) and recipient (the rep id for `rep`, the
rep's manager for `manager`, the name as written otherwise; none for a reassignment).

Volume (`kind: volume`, marketing's commitment): per month of the contract calendar's time
zone, leads entering `start` for the first time, and the acceptance share among those
already decided (accepted / (accepted + rejected)), against `per_month` and
`min_acceptance`. A month is `met` when both hold, `breached` when not, `open` while it is
still running.

Shares: `share_within` = met / (met + breached), overall (`summarise`) and per
responsible rep (`shares_by_rep`); open clocks count in neither.

Batch and live share one core: `clock_arrays` evaluates any number of leads with NumPy;
`read_sla` (one lead, live) calls it with arrays of length one, so both give the same
answers by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Literal, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.calendar import US_PER_MINUTE, BusinessCalendar
from accord.contract.compiled import CompiledContract, SlaClock
from accord.contract.durations import Duration
from accord.contract.instants import naive_utc
from accord.contract.schema import Escalation
from accord.engine.sla_facts import (
    OwnerCalendars,
    activities_from,
    clock_calendar,
    clock_starts,
    decisions_out_of,
    moves_by,
    next_rep_actor,
    owner_calendars,
    routed_owners,
)
from accord.engine.speed_to_lead import SpeedToLead, compute_speed_to_lead
from accord.engine.views import DEFAULT_VIEW, View, check_view
from accord.errors import UnknownNameError, UsageError
from accord.store.as_of import AsOf, AsOfSource, resolve_as_of
from accord.store.base import Store

__all__ = [
    "ESCALATION_SCHEMA", "STATE_SCHEMA", "STATUSES", "BreachedLead", "ClockArrays",
    "EscalationEvent", "OwnerCalendars", "RepBreaches", "RepShare", "SlaBreaches",
    "SlaClocks", "SlaOverview", "SlaReading", "SlaSummary", "VolumeMonth", "breached_leads",
    "clock_arrays", "clock_calendar", "compute_sla_clocks", "due_time", "escalation_times",
    "fetch_stage_facts", "owner_calendars", "rank_reps", "read_escalations", "read_sla",
    "shares_by_rep", "sla_breaches", "sla_overview", "sla_stops", "store_sla_clocks",
    "summarise",
]

Status = Literal["open", "met", "breached"]
STATUSES: tuple[Status, ...] = ("open", "met", "breached")
NowSource = AsOfSource
_NAT = np.datetime64("NaT", "us")

STATE_SCHEMA = pa.schema([
    pa.field("sla", pa.string(), nullable=False),
    pa.field("kind", pa.string(), nullable=False),
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("start_at", pa.timestamp("us"), nullable=False),
    pa.field("due_at", pa.timestamp("us"), nullable=False),
    pa.field("stopped_at", pa.timestamp("us")),
    pa.field("status", pa.string(), nullable=False),
    pa.field("elapsed_minutes", pa.float64(), nullable=False),
    pa.field("business_minutes", pa.float64(), nullable=False),
    pa.field("overdue_minutes", pa.float64(), nullable=False),
    pa.field("rep_id", pa.string()),
    pa.field("wall_minutes", pa.float64(), nullable=False),
    pa.field("calendar_owner", pa.string()),
])
ESCALATION_SCHEMA = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("sla", pa.string(), nullable=False),
    pa.field("step", pa.int64(), nullable=False),
    pa.field("at", pa.timestamp("us"), nullable=False),
    pa.field("action", pa.string(), nullable=False),
    pa.field("notify", pa.string()),
    pa.field("recipient", pa.string()),
    pa.field("rep_id", pa.string()),
])


# -- the core: arrays in, arrays out ---------------------------------------------------------
@dataclass(frozen=True)
class ClockArrays:
    """Clock readings for many leads (index-aligned with the inputs)."""

    due_at: npt.NDArray[np.datetime64]
    stopped_at: npt.NDArray[np.datetime64]  # NaT while running
    status: npt.NDArray[np.int8]  # index into STATUSES
    elapsed_minutes: npt.NDArray[np.float64]
    business_minutes: npt.NDArray[np.float64]
    overdue_minutes: npt.NDArray[np.float64]
    wall_minutes: npt.NDArray[np.float64]


def clock_arrays(within: Duration, cal: BusinessCalendar, start: npt.NDArray[np.datetime64],
                 stop: npt.NDArray[np.datetime64], now: datetime) -> ClockArrays:
    """Evaluate SLA clocks for many leads at once (naive UTC datetime64 arrays), all on
    the calendar `cal`.

    A stop after `now` has not happened yet (the clock is read as of `now`).
    """
    start = np.asarray(start, dtype="datetime64[us]")
    now64 = np.datetime64(naive_utc(now), "us")
    stop = np.asarray(stop, dtype="datetime64[us]")
    stop = np.where(np.isnat(stop) | (stop > now64), _NAT, stop)
    stopped = ~np.isnat(stop)
    due = cal.add_business_many(start, within)
    end = np.where(stopped, stop, np.maximum(now64, start))
    business = cal.business_minutes_between_many(start, end)
    wall = (end - start).astype(np.int64) / US_PER_MINUTE
    elapsed = business if within.business else wall
    status = np.where(stopped, np.where(stop <= due, 1, 2), np.where(now64 > due, 2, 0))
    overdue = np.maximum(elapsed - cal.length_minutes(within), 0.0)
    return ClockArrays(due, stop, status.astype(np.int8), elapsed, business, overdue, wall)


@dataclass(frozen=True)
class SlaReading:
    """One lead's clock for one SLA (the live answer)."""

    sla: str
    status: Status
    start_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    elapsed_minutes: float
    business_minutes: float
    overdue_minutes: float
    wall_minutes: float


def _within(clock: SlaClock) -> Duration:
    if clock.within is None:
        raise UsageError(f"SLA {clock.name!r} ({clock.kind}) has no per-lead clock")
    return clock.within


def read_sla(clock: SlaClock, cal: BusinessCalendar, start_at: datetime,
             stopped_at: datetime | None, now: datetime) -> SlaReading:
    """Live path for one lead: the same core as the batch, on arrays of length one.

    `cal` is the clock's calendar for this lead (`clock_calendar`); `stopped_at` is the
    event that stops this SLA (first touch, N-th touch, decision).
    """
    out = clock_arrays(_within(clock), cal,
                       np.array([naive_utc(start_at)], dtype="datetime64[us]"),
                       np.array([naive_utc(stopped_at) if stopped_at else _NAT],
                                dtype="datetime64[us]"), now)
    stop = out.stopped_at[0]
    return SlaReading(clock.name, STATUSES[int(out.status[0])], naive_utc(start_at),
                      _to_datetime(out.due_at[0]),
                      None if np.isnat(stop) else _to_datetime(stop),
                      float(out.elapsed_minutes[0]), float(out.business_minutes[0]),
                      float(out.overdue_minutes[0]), float(out.wall_minutes[0]))


def due_time(clock: SlaClock, cal: BusinessCalendar, start_at: datetime) -> datetime:
    """When a clock started at `start_at` is due on `cal` (the live deadline): the scalar
    twin of the batch clocks' `add_business_many`."""
    return cal.add_business(naive_utc(start_at), _within(clock))


def escalation_times(steps: Sequence[Escalation], cal: BusinessCalendar,
                     start: npt.NDArray[np.datetime64], stop: npt.NDArray[np.datetime64],
                     now: datetime) -> list[tuple[npt.NDArray[np.intp],
                                                  npt.NDArray[np.datetime64]]]:
    """For each step: (indices of leads whose step fired, when). Fires when its time has
    come by `now` and the lead was not stopped before it."""
    now64 = np.datetime64(naive_utc(now), "us")
    stop = np.asarray(stop, dtype="datetime64[us]")
    out = []
    for step in steps:
        at = cal.add_business_many(start, step.after)
        fired = (at <= now64) & (np.isnat(stop) | (stop > at))
        idx = np.flatnonzero(fired)
        out.append((idx, at[idx]))
    return out


@dataclass(frozen=True)
class EscalationEvent:
    """One escalation step whose time has come (the live answer)."""

    sla: str
    step: int  # 1-based position in `escalate`
    at: datetime
    action: Literal["notify", "reassign"]
    notify: str | None


def read_escalations(clock: SlaClock, cal: BusinessCalendar, start_at: datetime,
                     stopped_at: datetime | None, now: datetime
                     ) -> tuple[EscalationEvent, ...]:
    """Live path: the steps of one lead's ladder that have fired by `now` (same core as
    the batch, on arrays of length one)."""
    stop = naive_utc(stopped_at) if stopped_at is not None \
        and naive_utc(stopped_at) <= naive_utc(now) else _NAT
    fired = escalation_times(clock.escalate, cal,
                             np.array([naive_utc(start_at)], dtype="datetime64[us]"),
                             np.array([stop], dtype="datetime64[us]"), now)
    return tuple(
        EscalationEvent(clock.name, k, _to_datetime(at[0]),
                        "reassign" if step.reassign else "notify", step.notify)
        for k, (step, (idx, at)) in enumerate(zip(clock.escalate, fired, strict=True),
                                              start=1)
        if len(idx))


# -- calendar groups ---------------------------------------------------------------------------
def _calendar_groups(contract: CompiledContract, clock: SlaClock, owners: pa.Array,
                     cals: OwnerCalendars | None
                     ) -> list[tuple[BusinessCalendar, npt.NDArray[np.intp] | None]]:
    """The clock's leads grouped by the calendar each runs on: (calendar, row indices;
    None = every row)."""
    if clock.calendar != "owner" or cals is None:
        return [(contract.calendar, None)]
    idx = cals.index(owners)
    return [(cals.calendars[int(k)], np.flatnonzero(idx == k)) for k in np.unique(idx)]


def _calendar_owner(clock: SlaClock, owners: pa.Array, cals: OwnerCalendars | None
                    ) -> pa.Array:
    """Per row: the rep whose calendar ran the clock, null for the contract calendar."""
    if clock.calendar != "owner" or cals is None or len(cals.rep_ids) == 0:
        return pa.nulls(len(owners), pa.string())
    known = pc.fill_null(pc.is_in(owners, value_set=cals.rep_ids), False)
    return pc.if_else(known, owners, pa.scalar(None, pa.string()))


def _evaluate(clock: SlaClock, groups: Sequence[tuple[BusinessCalendar,
                                                      npt.NDArray[np.intp] | None]],
              start: npt.NDArray[np.datetime64], stop: npt.NDArray[np.datetime64],
              now: datetime) -> ClockArrays:
    """`clock_arrays` once per calendar group, results put back in row order."""
    within = _within(clock)
    if len(groups) == 1 and groups[0][1] is None:
        return clock_arrays(within, groups[0][0], start, stop, now)
    n = len(start)
    due = np.full(n, _NAT)
    stopped = np.full(n, _NAT)
    status = np.zeros(n, dtype=np.int8)
    elapsed, business, overdue, wall = (np.zeros(n) for _ in range(4))
    for cal, idx in groups:
        assert idx is not None
        part = clock_arrays(within, cal, start[idx], stop[idx], now)
        due[idx], stopped[idx], status[idx] = part.due_at, part.stopped_at, part.status
        elapsed[idx], business[idx] = part.elapsed_minutes, part.business_minutes
        overdue[idx], wall[idx] = part.overdue_minutes, part.wall_minutes
    return ClockArrays(due, stopped, status, elapsed, business, overdue, wall)


# -- fetching facts with Ibis -----------------------------------------------------------------
def fetch_stage_facts(store: Store, moves: ibis.Table, stage: str, now: datetime, *,
                      touches: Sequence[int] = (1,),
                      decisions: tuple[Sequence[str], Sequence[str]] | None = None,
                      owners: bool = False) -> pa.Table:
    """Per lead whose first entry into `stage` (in `moves`, the view's stage moves up to
    `now`) is by `now`, one Ibis query on the store's backend: lead_id, start_at, rep_id
    (responsible rep), `touch_<n>_at` (the n-th sales activity at or after the start) for
    each n in `touches`, with `decisions` (accept, reject stages) accepted_at /
    rejected_at, and with `owners` owner_id (the rep routed the lead at or before the
    start). Every SLA with the same start stage reads the same rows, so they are fetched
    once."""
    starts = clock_starts(moves, stage)
    touched = activities_from(store, starts.rename(anchor_at="start_at"), now, touches)
    aggs = [c for c in touched.columns if c.startswith("touch_")]
    q = starts.left_join(touched, "lead_id").select(
        starts, *(touched[c] for c in ["first_rep", *aggs]))
    extra = list(aggs)
    if decisions is not None:
        d = decisions_out_of(moves, starts, stage, *decisions)
        q = q.left_join(d, "lead_id").select(q, d.accepted_at, d.rejected_at)
        extra += ["accepted_at", "rejected_at"]
    if owners:
        routed = routed_owners(store, starts.rename(anchor_at="start_at"), now)
        if routed is not None:
            q = q.left_join(routed, "lead_id").select(q, routed.owner_id)
        else:
            q = q.mutate(owner_id=ibis.null("string"))
        extra.append("owner_id")
    nxt = next_rep_actor(store, moves, starts)
    q = q.left_join(nxt, "lead_id").select(q, nxt.next_actor)
    q = q.select("lead_id", "start_at", *extra,
                 rep_id=ibis.coalesce(q.first_rep, q.next_actor)).order_by("lead_id")
    return q.to_pyarrow()


def sla_stops(clock: SlaClock, stage_facts: pa.Table) -> pa.Table:
    """lead_id, start_at, stop_at, rep_id, owner_id for one SLA from its start stage's
    facts."""
    match clock.kind:
        case "first_touch":
            stop = stage_facts.column("touch_1_at")
        case "min_touches":
            stop = stage_facts.column(f"touch_{clock.min_touches}_at")
        case "accept_or_reject":
            acc = stage_facts.column("accepted_at")
            rej = stage_facts.column("rejected_at")
            stop = pc.min_element_wise(acc, rej, skip_nulls=True)
        case "volume":
            raise UsageError(f"SLA {clock.name!r} is a volume SLA: no per-lead clock")
        case _:
            assert_never(clock.kind)
    owners = stage_facts.column("owner_id") if "owner_id" in stage_facts.column_names \
        else pa.nulls(stage_facts.num_rows, pa.string())
    return pa.table({"lead_id": stage_facts.column("lead_id"),
                     "start_at": stage_facts.column("start_at"), "stop_at": stop,
                     "rep_id": stage_facts.column("rep_id"), "owner_id": owners})


# -- results -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class VolumeMonth:
    sla: str
    month: str  # YYYY-MM in the calendar's time zone
    entered: int
    accepted: int
    rejected: int
    acceptance: float | None  # accepted / (accepted + rejected); None when none decided
    per_month: int
    min_acceptance: float | None
    status: Status

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SlaClocks:
    """Everything the clocks say as of `now`, read in `view`."""

    now: datetime
    slas: Mapping[str, SlaClock]
    states: pa.Table  # STATE_SCHEMA: one row per (per-lead SLA, lead)
    escalations: pa.Table  # ESCALATION_SCHEMA
    volume: tuple[VolumeMonth, ...]
    rep_names: Mapping[str, str] = field(default_factory=dict)
    rep_timezones: Mapping[str, str | None] = field(default_factory=dict)
    calendar_timezone: str | None = None  # the contract calendar's
    view: View = DEFAULT_VIEW
    now_source: NowSource = "given"
    # the time zone of each rep's own calendar (`calendar: owner` clocks)
    owner_timezones: Mapping[str, str] = field(default_factory=dict)

    def only(self, sla: str | None = None, rep: str | None = None) -> SlaClocks:
        """These clocks narrowed to one SLA (`sla`, an SLA name of the contract) and/or one
        responsible rep (`rep`); volume months only for that SLA (none for a rep)."""
        states, escalations, volume = self.states, self.escalations, self.volume
        slas = self.slas
        if sla is not None:
            if sla not in self.slas:
                raise UnknownNameError("SLA", sla, self.slas)
            slas = {sla: self.slas[sla]}
            states = states.filter(pc.equal(states.column("sla"), sla))
            escalations = escalations.filter(pc.equal(escalations.column("sla"), sla))
            volume = tuple(m for m in volume if m.sla == sla)
        if rep is not None:
            states = states.filter(pc.fill_null(pc.equal(states.column("rep_id"), rep), False))
            escalations = escalations.filter(
                pc.fill_null(pc.equal(escalations.column("rep_id"), rep), False))
            volume = ()
        return replace(self, slas=slas, states=states, escalations=escalations, volume=volume)

    def started_between(self, since: datetime | None, until: datetime | None) -> SlaClocks:
        """Only the clocks that started in `[since, until)` (naive UTC; None leaves that side
        open), their escalations, and the volume months that overlap the window."""
        if since is None and until is None:
            return self
        states = self.states
        start = states.column("start_at")
        masks = []
        if since is not None:
            masks.append(pc.greater_equal(start, pa.scalar(naive_utc(since), pa.timestamp("us"))))
        if until is not None:
            masks.append(pc.less(start, pa.scalar(naive_utc(until), pa.timestamp("us"))))
        keep = masks[0] if len(masks) == 1 else pc.and_(masks[0], masks[1])
        states = states.filter(keep)
        kept = pc.binary_join_element_wise(states.column("lead_id"), states.column("sla"),
                                           "\x1f")
        esc = self.escalations
        esc_keys = pc.binary_join_element_wise(esc.column("lead_id"), esc.column("sla"),
                                               "\x1f")
        escalations = esc.filter(pc.is_in(esc_keys, value_set=kept.combine_chunks()))
        first = f"{since:%Y-%m}" if since is not None else ""
        last = f"{naive_utc(until) - timedelta(microseconds=1):%Y-%m}" \
            if until is not None else "9999-99"
        volume = tuple(m for m in self.volume if first <= m.month <= last)
        return replace(self, states=states, escalations=escalations, volume=volume)


def compute_sla_clocks(store: Store, contract: CompiledContract,
                       now: datetime | AsOf | None = None, *,
                       view: View = DEFAULT_VIEW,
                       slas: Sequence[str] | None = None,
                       escalations: bool = True) -> SlaClocks:
    """Batch: every per-lead SLA clock, escalation event and volume month as of `now` (an
    `AsOf` keeps its source; a datetime is "given"; default: `store.as_of.resolve_as_of`,
    the latest fact time, else the current time), with stage moves read in `view`. The
    one measurement of every SLA. `slas`: only these SLAs (each SLA's clock is computed
    on its own, so asking for one gives exactly its rows of the full run);
    `escalations=False`: the clock states without the escalation ladders (for readers
    such as the KPIs that need no escalation events)."""
    view = check_view(view)
    chosen = {name: contract.sla(name) for name in slas} if slas is not None \
        else dict(contract.slas)
    as_of = now if isinstance(now, AsOf) else resolve_as_of(store, now)
    now = as_of.at
    moves = moves_by(store, view, now)
    reps = store.table("reps").to_pyarrow()
    rep_ids = reps.column("rep_id").to_pylist()
    managers = dict(zip(rep_ids, reps.column("manager_id").to_pylist(), strict=True))
    on_owner = any(c.calendar == "owner" for c in chosen.values() if c.per_lead)
    cals = owner_calendars(contract, reps) if on_owner else None
    by_stage: dict[str, list[SlaClock]] = {}
    for clock in chosen.values():
        by_stage.setdefault(clock.start, []).append(clock)
    stage_facts: dict[str, pa.Table] = {}
    for stage, clocks in by_stage.items():
        deciding = next((c for c in clocks if c.kind in ("accept_or_reject", "volume")), None)
        stage_facts[stage] = fetch_stage_facts(
            store, moves, stage, now,
            touches=[c.min_touches for c in clocks if c.min_touches is not None],
            decisions=(deciding.accept, deciding.reject) if deciding is not None else None,
            owners=any(c.calendar == "owner" for c in clocks))
    states: list[pa.Table] = []
    ladders: list[pa.Table] = []
    volume: list[VolumeMonth] = []
    for clock in chosen.values():
        if not clock.per_lead:
            volume.extend(_volume_months(clock, contract.calendar, stage_facts[clock.start],
                                         now))
            continue
        facts = sla_stops(clock, stage_facts[clock.start])
        owners = facts.column("owner_id").combine_chunks()
        groups = _calendar_groups(contract, clock, owners, cals)
        states.append(_state_table(clock, groups, facts, now,
                                   _calendar_owner(clock, owners, cals)))
        if clock.escalate and escalations:
            ladders.append(_escalation_table(clock, groups, facts, now, managers))
    return SlaClocks(
        now, chosen,
        pa.concat_tables(states) if states else STATE_SCHEMA.empty_table(),
        pa.concat_tables(ladders) if ladders else ESCALATION_SCHEMA.empty_table(),
        tuple(volume),
        dict(zip(rep_ids, reps.column("name").to_pylist(), strict=True)),
        dict(zip(rep_ids, reps.column("timezone").to_pylist(), strict=True)),
        contract.calendar.timezone, view, as_of.source,
        {r: c.timezone for r, c in cals.by_rep.items()} if cals is not None else {},
    )


def store_sla_clocks(store: Store, clocks: SlaClocks) -> None:
    """Replace the derived tables `sla_states` (STATE_SCHEMA) and `sla_escalations`
    (ESCALATION_SCHEMA) with these clocks; both are reproducible from facts + contract."""
    store.write_derived("sla_states", clocks.states)
    store.write_derived("sla_escalations", clocks.escalations)


def _state_table(clock: SlaClock, groups: Sequence[tuple[BusinessCalendar,
                                                         npt.NDArray[np.intp] | None]],
                 facts: pa.Table, now: datetime, calendar_owner: pa.Array) -> pa.Table:
    start = _ts(facts.column("start_at"))
    out = _evaluate(clock, groups, start, _ts(facts.column("stop_at")), now)
    n = facts.num_rows
    status = pa.DictionaryArray.from_arrays(pa.array(out.status, pa.int8()),
                                            pa.array(STATUSES)).cast(pa.string())
    return pa.table({
        "sla": pa.array([clock.name] * n, pa.string()),
        "kind": pa.array([clock.kind] * n, pa.string()),
        "lead_id": facts.column("lead_id"),
        "start_at": pa.array(start, pa.timestamp("us")),
        "due_at": pa.array(out.due_at, pa.timestamp("us")),
        "stopped_at": pa.array(out.stopped_at, pa.timestamp("us"),
                               mask=np.isnat(out.stopped_at)),
        "status": status,
        "elapsed_minutes": pa.array(out.elapsed_minutes),
        "business_minutes": pa.array(out.business_minutes),
        "overdue_minutes": pa.array(out.overdue_minutes),
        "rep_id": facts.column("rep_id"),
        "wall_minutes": pa.array(out.wall_minutes),
        "calendar_owner": calendar_owner,
    }, schema=STATE_SCHEMA)


def _escalation_table(clock: SlaClock, groups: Sequence[tuple[BusinessCalendar,
                                                              npt.NDArray[np.intp] | None]],
                      facts: pa.Table, now: datetime, managers: Mapping[str, str | None]
                      ) -> pa.Table:
    start = _ts(facts.column("start_at"))
    stop = _ts(facts.column("stop_at"))
    lead_ids = facts.column("lead_id").combine_chunks()
    reps = facts.column("rep_id").combine_chunks()
    fired: list[list[tuple[npt.NDArray[np.intp], npt.NDArray[np.datetime64]]]] = []
    for cal, idx in groups:
        rows = np.arange(len(start)) if idx is None else idx
        part = escalation_times(clock.escalate, cal, start[rows], stop[rows], now)
        fired.append([(rows[i], at) for i, at in part])
    parts: list[pa.Table] = []
    for k, step in enumerate(clock.escalate, start=1):
        idx = np.concatenate([f[k - 1][0] for f in fired]).astype(np.int64)
        at = np.concatenate([f[k - 1][1] for f in fired])
        take = pa.array(idx, pa.int64())
        rep = reps.take(take)
        n = len(idx)
        if step.reassign:
            action, recipient = "reassign", pa.nulls(n, pa.string())
        else:
            action = "notify"
            recipient = _recipients(step.notify, rep, managers)
        parts.append(pa.table({
            "lead_id": lead_ids.take(take),
            "sla": pa.array([clock.name] * n, pa.string()),
            "step": pa.array(np.full(n, k, dtype=np.int64)),
            "at": pa.array(at, pa.timestamp("us")),
            "action": pa.array([action] * n, pa.string()),
            "notify": pa.array([step.notify] * n, pa.string()),
            "recipient": recipient,
            "rep_id": rep,
        }, schema=ESCALATION_SCHEMA))
    table = pa.concat_tables(parts) if parts else ESCALATION_SCHEMA.empty_table()
    return table.sort_by([("at", "ascending"), ("lead_id", "ascending"),
                          ("step", "ascending")])


def _recipients(notify: str | None, rep: pa.Array, managers: Mapping[str, str | None]
                ) -> pa.Array:
    if notify == "rep":
        return rep
    if notify == "manager":
        keys = pa.array(list(managers), pa.string())
        values = pa.array(list(managers.values()), pa.string())
        return values.take(pc.index_in(rep, value_set=keys))
    return pa.array([notify] * len(rep), pa.string())


def _volume_months(clock: SlaClock, cal: BusinessCalendar, t: pa.Table,
                   now: datetime) -> list[VolumeMonth]:
    if t.num_rows == 0:
        return []
    assert clock.per_month is not None
    start = _ts(t.column("start_at"))
    acc, rej = _ts(t.column("accepted_at")), _ts(t.column("rejected_at"))
    accepted = ~np.isnat(acc) & (np.isnat(rej) | (acc <= rej))
    rejected = ~np.isnat(rej) & ~accepted
    month = _local_months(cal, start)
    now_month = _local_months(cal, np.array([now], dtype="datetime64[us]"))[0]
    months = np.arange(month.min(), now_month + 1)
    pos = (month - months[0]).astype(np.int64)
    entered = np.bincount(pos, minlength=len(months))
    n_acc = np.bincount(pos, weights=accepted, minlength=len(months)).astype(np.int64)
    n_rej = np.bincount(pos, weights=rejected, minlength=len(months)).astype(np.int64)
    out: list[VolumeMonth] = []
    for i, m in enumerate(months):
        decided = int(n_acc[i] + n_rej[i])
        share = n_acc[i] / decided if decided else None
        ok = entered[i] >= clock.per_month and (
            clock.min_acceptance is None
            or (share is not None and share >= clock.min_acceptance))
        status: Status = "open" if m == now_month else ("met" if ok else "breached")
        out.append(VolumeMonth(clock.name, str(m), int(entered[i]), int(n_acc[i]),
                               int(n_rej[i]), None if share is None else float(share),
                               clock.per_month, clock.min_acceptance, status))
    return out


def _local_months(cal: BusinessCalendar, utc: npt.NDArray[np.datetime64]
                  ) -> npt.NDArray[np.datetime64]:
    local = cal.local_us_many(utc)
    return local.astype("datetime64[us]").astype("datetime64[M]")


# -- summaries for reports and the CLI ---------------------------------------------------------
@dataclass(frozen=True)
class SlaSummary:
    sla: str
    kind: str
    within: str
    leads: int
    met: int
    breached: int
    open: int
    share_within: float | None  # met / (met + breached)

    def as_dict(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class RepShare:
    """One responsible rep's clocks of one SLA (`rep_id` None: clocks without a rep)."""

    rep_id: str | None
    met: int
    breached: int
    open: int
    share_within: float | None  # met / (met + breached); None when both are 0

    def as_dict(self) -> dict[str, object]:
        return {"rep_id": self.rep_id, "met": self.met, "breached": self.breached,
                "open": self.open, "share_within": self.share_within}


@dataclass(frozen=True)
class RepBreaches:
    rep_id: str
    name: str | None
    decided: int  # lead-SLA clocks of this rep that are met or breached
    breached: int
    breach_rate: float
    by_sla: Mapping[str, int]
    timezone: str | None = None  # the rep's own (`reps.timezone`)
    # True when the rep works in another time zone than a calendar its clocks ran on (the
    # contract's, for SLAs on `calendar: contract`): its working day sits elsewhere in
    # that calendar's, so leads arriving in the calendar's hours may wait for its day to
    # start — a coverage question as much as the rep's speed.
    off_calendar: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"rep_id": self.rep_id, "name": self.name, "decided": self.decided,
                "breached": self.breached, "breach_rate": self.breach_rate,
                "by_sla": dict(self.by_sla), "timezone": self.timezone,
                "off_calendar": self.off_calendar}


def _share(met: int, breached: int) -> float | None:
    return met / (met + breached) if met + breached else None


def summarise(clocks: SlaClocks) -> tuple[SlaSummary, ...]:
    """Per per-lead SLA: met, breached, open and the share within SLA."""
    out: list[SlaSummary] = []
    sla_col = clocks.states.column("sla").to_numpy(zero_copy_only=False)
    status = clocks.states.column("status").to_numpy(zero_copy_only=False)
    for name, clock in clocks.slas.items():
        if not clock.per_lead:
            continue
        mine = status[sla_col == name]
        met, breached = int((mine == "met").sum()), int((mine == "breached").sum())
        out.append(SlaSummary(name, clock.kind, str(clock.within), len(mine), met, breached,
                              int((mine == "open").sum()), _share(met, breached)))
    return tuple(out)


def shares_by_rep(clocks: SlaClocks) -> dict[str, tuple[RepShare, ...]]:
    """Per per-lead SLA: each responsible rep's met / breached / open clocks and share
    within (met / (met + breached)), by rep id with clocks without a rep last. The
    per-rep figures `accord sla` and `accord kpis` both report."""
    t = clocks.states.select(["sla", "rep_id", "status"])
    counts: dict[tuple[str, str | None], dict[str, int]] = {}
    for status in STATUSES:
        flag = pc.equal(t.column("status"), status).cast(pa.int64())
        per = (t.append_column(status, flag).group_by(["sla", "rep_id"])
               .aggregate([(status, "sum")]))
        for row in per.to_pylist():
            counts.setdefault((row["sla"], row["rep_id"]), {})[status] = row[f"{status}_sum"]
    out: dict[str, tuple[RepShare, ...]] = {}
    for name, clock in clocks.slas.items():
        if not clock.per_lead:
            continue
        rows = [RepShare(rep, c.get("met", 0), c.get("breached", 0), c.get("open", 0),
                         _share(c.get("met", 0), c.get("breached", 0)))
                for (sla, rep), c in counts.items() if sla == name]
        rows.sort(key=lambda r: (r.rep_id is None, r.rep_id or ""))
        out[name] = tuple(rows)
    return out


def rank_reps(clocks: SlaClocks) -> tuple[RepBreaches, ...]:
    """Reps by breached lead-SLA clocks, worst first: most breaches, then highest breach
    rate (breached / (met + breached)), then rep id. Clocks without a rep are left out."""
    t = clocks.states.filter(pc.and_(
        pc.is_valid(clocks.states.column("rep_id")),
        pc.not_equal(clocks.states.column("status"), "open")))
    t = t.append_column("is_breached", pc.equal(t.column("status"), "breached")
                        .cast(pa.int64()))
    per = t.group_by(["rep_id", "sla"]).aggregate([("is_breached", "sum"),
                                                    ("is_breached", "count")])
    by_rep: dict[str, dict[str, tuple[int, int]]] = {}
    for row in per.to_pylist():
        by_rep.setdefault(row["rep_id"], {})[row["sla"]] = (row["is_breached_sum"],
                                                             row["is_breached_count"])
    ran_on = t.group_by(["rep_id", "calendar_owner"]).aggregate([]).to_pylist()
    zones: dict[str, set[str | None]] = {}
    for row in ran_on:
        owner = row["calendar_owner"]
        zone = clocks.calendar_timezone if owner is None else clocks.owner_timezones.get(owner)
        zones.setdefault(row["rep_id"], set()).add(zone)
    out = []
    for rep, slas in by_rep.items():
        breached = sum(b for b, _ in slas.values())
        decided = sum(n for _, n in slas.values())
        zone = clocks.rep_timezones.get(rep)
        off = zone is not None and any(
            z is not None and not _same_zone(zone, z) for z in zones.get(rep, ()))
        out.append(RepBreaches(rep, clocks.rep_names.get(rep), decided, breached,
                               breached / decided, {s: b for s, (b, _) in sorted(slas.items())},
                               zone, off))
    out.sort(key=lambda r: (-r.breached, -r.breach_rate, r.rep_id))
    return tuple(out)


def _same_zone(a: str, b: str) -> bool:
    """Whether two IANA zones keep the same clock all year (`US/Eastern` is
    `America/New_York`): same UTC offset on the first of every month of a year."""
    if a == b:
        return True
    try:
        za, zb = ZoneInfo(a), ZoneInfo(b)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return all(datetime(2025, m, 1, 12, tzinfo=za).utcoffset()
               == datetime(2025, m, 1, 12, tzinfo=zb).utcoffset() for m in range(1, 13))


def breached_leads(clocks: SlaClocks, limit: int | None = None) -> pa.Table:
    """Breached clocks, most overdue first (then by due time and lead)."""
    t = clocks.states.filter(pc.equal(clocks.states.column("status"), "breached"))
    t = t.sort_by([("overdue_minutes", "descending"), ("due_at", "ascending"),
                   ("lead_id", "ascending")])
    return t.slice(0, limit) if limit else t


# -- the two reports the CLI shows --------------------------------------------------------------
@dataclass(frozen=True)
class SlaOverview:
    """Per SLA: met / breached / open and share within, overall and per responsible rep;
    volume months; escalations fired per SLA and step; speed to lead split into systems
    and human delay. `view` says which stage moves the clocks read."""

    now: datetime
    now_source: NowSource
    slas: tuple[SlaSummary, ...]
    volume: tuple[VolumeMonth, ...]
    escalations: Mapping[str, Mapping[int, int]]
    speed_to_lead: SpeedToLead
    view: View = DEFAULT_VIEW
    by_rep: Mapping[str, tuple[RepShare, ...]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "now_source": self.now_source,
                "view": self.view,
                "slas": [{**s.as_dict(),
                          "by_rep": [r.as_dict() for r in self.by_rep.get(s.sla, ())]}
                         for s in self.slas],
                "volume": [m.as_dict() for m in self.volume],
                "escalations": {k: {str(step): n for step, n in v.items()}
                                for k, v in self.escalations.items()},
                "speed_to_lead": self.speed_to_lead.as_dict()}


@dataclass(frozen=True)
class BreachedLead:
    sla: str
    lead_id: str
    rep_id: str | None
    start_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    elapsed_minutes: float
    overdue_minutes: float

    def as_dict(self) -> dict[str, object]:
        d: dict[str, object] = {k: getattr(self, k) for k in self.__dataclass_fields__}
        for k in ("start_at", "due_at", "stopped_at"):
            v = d[k]
            d[k] = v.isoformat() if isinstance(v, datetime) else v
        return d


@dataclass(frozen=True)
class SlaBreaches:
    """Reps ranked worst first (see `rank_reps`) and the most overdue breached clocks."""

    now: datetime
    now_source: NowSource
    reps: tuple[RepBreaches, ...]
    breached_total: int
    unassigned_breaches: int  # breached clocks without a responsible rep
    leads: tuple[BreachedLead, ...]
    calendar_timezone: str | None = None
    view: View = DEFAULT_VIEW

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "now_source": self.now_source,
                "view": self.view,
                "reps": [r.as_dict() for r in self.reps],
                "breached_total": self.breached_total,
                "unassigned_breaches": self.unassigned_breaches,
                "calendar_timezone": self.calendar_timezone,
                "breached_leads": [b.as_dict() for b in self.leads]}


def sla_overview(store: Store, contract: CompiledContract,
                 now: datetime | AsOf | None = None, *,
                 view: View = DEFAULT_VIEW, sla: str | None = None,
                 rep: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> SlaOverview:
    """The default `accord sla` report as of `now` (default: `store.as_of`), stage moves
    read in `view`; `sla` / `rep` narrow it to one SLA / one responsible rep (speed to lead
    then counts that rep's first touches); `since` / `until` to the clocks that started in
    that window (speed to lead: the leads handed off in it)."""
    if sla is not None:
        contract.sla(sla)
    clocks = compute_sla_clocks(store, contract, now, view=view).only(sla, rep) \
        .started_between(since, until)
    esc = clocks.escalations.group_by(["sla", "step"]).aggregate([("lead_id", "count")])
    escalations: dict[str, dict[int, int]] = {}
    for row in esc.sort_by([("sla", "ascending"), ("step", "ascending")]).to_pylist():
        escalations.setdefault(row["sla"], {})[row["step"]] = row["lead_id_count"]
    return SlaOverview(clocks.now, clocks.now_source, summarise(clocks), clocks.volume,
                       escalations,
                       compute_speed_to_lead(store, contract, clocks.now, view=clocks.view,
                                             rep=rep, since=since, until=until),
                       clocks.view, shares_by_rep(clocks))


def sla_breaches(store: Store, contract: CompiledContract,
                 now: datetime | AsOf | None = None, limit: int | None = 20, *,
                 view: View = DEFAULT_VIEW, sla: str | None = None,
                 rep: str | None = None, since: datetime | None = None,
                 until: datetime | None = None) -> SlaBreaches:
    """The `accord sla --breaches` report: reps worst first and the `limit` most overdue
    breached clocks (all when `limit` is None or 0); `sla` / `rep` / `since`-`until`
    narrow it (as in `sla_overview`)."""
    if sla is not None:
        contract.sla(sla)
    clocks = compute_sla_clocks(store, contract, now, view=view).only(sla, rep) \
        .started_between(since, until)
    breached = breached_leads(clocks)
    unassigned = breached.column("rep_id").null_count
    rows = breached.slice(0, limit).to_pylist() if limit else breached.to_pylist()
    leads = tuple(BreachedLead(r["sla"], r["lead_id"], r["rep_id"], r["start_at"], r["due_at"],
                               r["stopped_at"], r["elapsed_minutes"], r["overdue_minutes"])
                  for r in rows)
    return SlaBreaches(clocks.now, clocks.now_source, rank_reps(clocks), breached.num_rows,
                       unassigned, leads, clocks.calendar_timezone, clocks.view)


# -- small helpers ----------------------------------------------------------------------------
def _to_datetime(value: np.datetime64) -> datetime:
    us = int(value.astype("datetime64[us]").astype(np.int64))
    return datetime(1970, 1, 1) + np.timedelta64(us, "us").item()


def _ts(col: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.datetime64]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_null(arr.type):
        return np.full(len(arr), _NAT)
    return np.asarray(arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False),
                      dtype="datetime64[us]")
