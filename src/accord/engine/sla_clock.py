"""SLA clocks (contract key `slas`): per-lead status, due time, elapsed time, escalations.

Per-lead kinds (seed 004: "SLAs with teeth"), each started by the lead's **first** stage
event into the SLA's `start` stage:
- `first_touch`: stopped by the first sales activity at or after the start.
- `min_touches`: stopped by the `min_touches`-th sales activity at or after the start.
- `accept_or_reject`: stopped by the first stage event out of `start` into an accept stage,
  or into a reject stage with a reason code. Accept stages are the `next` stages of
  `start` owned by another team (MQL → SAL); reject stages are the `next` stages kept by
  the start stage's owner (MQL → Nurture, Disqualified). See `decision_stages`.

Status as of `now` (facts after `now` are ignored, so the clocks can be replayed):
`met` when stopped by the due time, `breached` when stopped after it or still running
past it, `open` while running and not yet due. The due time is `start + within` on the
contract calendar (business durations count working time only, see
`engine/calendar.py`); a stop exactly at the due time is met.
`elapsed_minutes` runs from start to stop (or `now`) on the SLA's own clock: business
minutes when `within` is a business duration, wall-clock minutes otherwise;
`business_minutes` is always business time. `overdue_minutes` is how far past `within`
on the SLA's clock (0 when not past).

Responsible rep: the rep of the first activity after the start, else the actor of the
next stage event after the start when that actor is a rep in `reps`, else none.

Escalation (`escalate` on a `first_touch` SLA): step k fires at `start + after_k` (same
calendar rule) when that moment has come by `now` and the lead was not touched before it.
Each firing is an event: lead, sla, step (1-based), at, action (`notify` or
`reassign`), notify (who: `rep`, `manager`, …) and recipient (the rep id for `rep`, the
rep's manager for `manager`, the name as written otherwise; none for a reassignment).

Volume (`kind: volume`, marketing's commitment): per month of the calendar's time zone,
leads entering `stage` for the first time, and the acceptance share among those already
decided (accepted / (accepted + rejected)), against `per_month` and `min_acceptance`.
A month is `met` when both hold, `breached` when not, `open` while it is still running.

Batch and live share one core: `clock_arrays` evaluates any number of leads with NumPy;
`read_sla` (one lead, live) calls it with arrays of length one, so both give the same
answers by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.calendar import US_PER_MINUTE, BusinessCalendar
from accord.contract.durations import Duration
from accord.contract.schema import (
    SLA,
    AcceptOrRejectSLA,
    Contract,
    Escalation,
    FirstTouchSLA,
    MinTouchesSLA,
    VolumeSLA,
)
from accord.engine.speed_to_lead import SpeedToLead, compute_speed_to_lead
from accord.store import Store

Status = Literal["open", "met", "breached"]
STATUSES: tuple[Status, ...] = ("open", "met", "breached")
LeadSLA = FirstTouchSLA | MinTouchesSLA | AcceptOrRejectSLA
FALLBACK_ACCEPT = ("SAL",)
FALLBACK_REJECT = ("Nurture", "Disqualified")
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


def clock_arrays(within: Duration, cal: BusinessCalendar, start: npt.NDArray[np.datetime64],
                 stop: npt.NDArray[np.datetime64], now: datetime) -> ClockArrays:
    """Evaluate SLA clocks for many leads at once (naive UTC datetime64 arrays).

    A stop after `now` has not happened yet (the clock is read as of `now`).
    """
    start = np.asarray(start, dtype="datetime64[us]")
    now64 = np.datetime64(_naive(now), "us")
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
    return ClockArrays(due, stop, status.astype(np.int8), elapsed, business, overdue)


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


def read_sla(name: str, sla: LeadSLA, cal: BusinessCalendar, start_at: datetime,
             stopped_at: datetime | None, now: datetime) -> SlaReading:
    """Live path for one lead: the same core as the batch, on arrays of length one.

    `stopped_at` is the event that stops this SLA (first touch, N-th touch, decision).
    """
    out = clock_arrays(sla.within, cal, np.array([_naive(start_at)], dtype="datetime64[us]"),
                       np.array([_naive(stopped_at) if stopped_at else _NAT],
                                dtype="datetime64[us]"), now)
    stop = out.stopped_at[0]
    return SlaReading(name, STATUSES[int(out.status[0])], _naive(start_at),
                      _to_datetime(out.due_at[0]),
                      None if np.isnat(stop) else _to_datetime(stop),
                      float(out.elapsed_minutes[0]), float(out.business_minutes[0]),
                      float(out.overdue_minutes[0]))


def escalation_times(steps: Sequence[Escalation], cal: BusinessCalendar,
                     start: npt.NDArray[np.datetime64], stop: npt.NDArray[np.datetime64],
                     now: datetime) -> list[tuple[npt.NDArray[np.intp],
                                                  npt.NDArray[np.datetime64]]]:
    """For each step: (indices of leads whose step fired, when). Fires when its time has
    come by `now` and the lead was not stopped before it."""
    now64 = np.datetime64(_naive(now), "us")
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


def read_escalations(name: str, sla: FirstTouchSLA, cal: BusinessCalendar,
                     start_at: datetime, stopped_at: datetime | None, now: datetime
                     ) -> tuple[EscalationEvent, ...]:
    """Live path: the steps of one lead's ladder that have fired by `now` (same core as
    the batch, on arrays of length one)."""
    stop = _naive(stopped_at) if stopped_at is not None and _naive(stopped_at) <= _naive(now) \
        else _NAT
    fired = escalation_times(sla.escalate, cal,
                             np.array([_naive(start_at)], dtype="datetime64[us]"),
                             np.array([stop], dtype="datetime64[us]"), now)
    return tuple(
        EscalationEvent(name, k, _to_datetime(at[0]),
                        "reassign" if step.reassign else "notify", step.notify)
        for k, (step, (idx, at)) in enumerate(zip(sla.escalate, fired, strict=True), start=1)
        if len(idx))

# -- which stage events decide -----------------------------------------------------------------
@dataclass(frozen=True)
class DecisionStages:
    accept: tuple[str, ...]
    reject: tuple[str, ...]


def decision_stages(contract: Contract, start: str) -> DecisionStages:
    """Accept = next stages of `start` owned by another team; reject = next stages its
    own owner keeps (a rejection needs a reason code). Falls back to SAL vs
    Nurture/Disqualified when `start` has no `next` in the contract."""
    stage = contract.stages.get(start)
    if stage is None or not stage.next:
        return DecisionStages(FALLBACK_ACCEPT, FALLBACK_REJECT)
    owner = stage.owner
    accept = tuple(s for s in stage.next
                   if s in contract.stages and contract.stages[s].owner != owner)
    reject = tuple(s for s in stage.next if s not in accept)
    return DecisionStages(accept, reject)


# -- fetching facts with Ibis -----------------------------------------------------------------
def _starts(store: Store, stage: str, now: datetime) -> ibis.Table:
    ev = store.table("stage_events")
    ev = ev.filter((ev.to_stage == stage) & (ev.occurred_at <= now))
    return ev.group_by("lead_id").aggregate(start_at=ev.occurred_at.min())


def _activity_ranks(store: Store, starts: ibis.Table, now: datetime) -> ibis.Table:
    act = store.table("activities")
    j = act.join(starts, "lead_id")
    j = j.filter((j.occurred_at >= j.start_at) & (j.occurred_at <= now))
    rn = ibis.row_number().over(group_by=j.lead_id, order_by=[j.occurred_at, j.activity_id])
    return j.select("lead_id", "rep_id", "occurred_at", rn=rn + 1)


def _next_actor(store: Store, starts: ibis.Table, now: datetime) -> ibis.Table:
    ev = store.table("stage_events")
    reps = store.table("reps")
    j = ev.join(starts, "lead_id")
    j = j.filter((j.occurred_at > j.start_at) & (j.occurred_at <= now)
                 & j.actor.isin(reps.rep_id))
    rn = ibis.row_number().over(group_by=j.lead_id, order_by=[j.occurred_at, j.event_id])
    j = j.select("lead_id", "actor", rn=rn)
    return j.filter(j.rn == 0).select("lead_id", next_actor=j.actor)


def _decisions(store: Store, starts: ibis.Table, stage: str, stages: DecisionStages,
               now: datetime) -> ibis.Table:
    """Per lead: first acceptance and first reasoned rejection out of `stage`."""
    ev = store.table("stage_events")
    j = ev.join(starts, "lead_id")
    j = j.filter((j.from_stage == stage) & (j.occurred_at >= j.start_at)
                 & (j.occurred_at <= now))
    reasoned = j.reason.notnull() & (j.reason != "")
    is_accept = j.to_stage.isin(list(stages.accept)) if stages.accept else ibis.literal(False)
    is_reject = (j.to_stage.isin(list(stages.reject)) & reasoned) if stages.reject \
        else ibis.literal(False)
    return j.group_by("lead_id").aggregate(
        accepted_at=ibis.cases((is_accept, j.occurred_at), else_=ibis.null()).min(),
        rejected_at=ibis.cases((is_reject, j.occurred_at), else_=ibis.null()).min(),
    )


def fetch_stage_facts(store: Store, contract: Contract, stage: str, now: datetime, *,
                      touches: Sequence[int] = (1,), decisions: bool = False) -> pa.Table:
    """Per lead whose first entry into `stage` is by `now`, one Ibis query on the store's
    backend: lead_id, start_at, rep_id (responsible rep), `touch_<n>_at` (the n-th sales
    activity at or after the start) for each n in `touches`, and with `decisions`
    accepted_at / rejected_at (first acceptance, first reasoned rejection out of `stage`).
    Every SLA with the same start stage reads the same rows, so they are fetched once."""
    starts = _starts(store, stage, now)
    ranks = _activity_ranks(store, starts, now)
    wanted = sorted({1, *touches})
    r = ranks.filter(ranks.rn.isin(wanted))
    aggs = {f"touch_{n}_at": ibis.cases((r.rn == n, r.occurred_at), else_=ibis.null()).max()
            for n in wanted}
    touched = r.group_by("lead_id").aggregate(
        first_rep=ibis.cases((r.rn == 1, r.rep_id), else_=ibis.null()).max(), **aggs)
    q = starts.left_join(touched, "lead_id").select(
        starts, *(touched[c] for c in ["first_rep", *aggs]))
    extra = list(aggs)
    if decisions:
        d = _decisions(store, starts, stage, decision_stages(contract, stage), now)
        q = q.left_join(d, "lead_id").select(q, d.accepted_at, d.rejected_at)
        extra += ["accepted_at", "rejected_at"]
    nxt = _next_actor(store, starts, now)
    q = q.left_join(nxt, "lead_id").select(q, nxt.next_actor)
    q = q.select("lead_id", "start_at", *extra,
                 rep_id=ibis.coalesce(q.first_rep, q.next_actor)).order_by("lead_id")
    return q.to_pyarrow()


def sla_stops(sla: LeadSLA, stage_facts: pa.Table) -> pa.Table:
    """lead_id, start_at, stop_at, rep_id for one SLA from its start stage's facts."""
    match sla:
        case FirstTouchSLA():
            stop = stage_facts.column("touch_1_at")
        case MinTouchesSLA():
            stop = stage_facts.column(f"touch_{sla.min_touches}_at")
        case AcceptOrRejectSLA():
            stop = pc.min_element_wise(stage_facts.column("accepted_at"),
                                       stage_facts.column("rejected_at"), skip_nulls=True)
        case _:
            assert_never(sla)
    return pa.table({"lead_id": stage_facts.column("lead_id"),
                     "start_at": stage_facts.column("start_at"), "stop_at": stop,
                     "rep_id": stage_facts.column("rep_id")})


def fetch_sla_facts(store: Store, contract: Contract, sla: LeadSLA, now: datetime
                    ) -> pa.Table:
    """Per lead with a start by `now`: lead_id, start_at, stop_at (null while running) and
    rep_id (responsible rep)."""
    facts = fetch_stage_facts(
        store, contract, sla.start, now,
        touches=(sla.min_touches,) if isinstance(sla, MinTouchesSLA) else (1,),
        decisions=isinstance(sla, AcceptOrRejectSLA))
    return sla_stops(sla, facts)


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
    """Everything the clocks say as of `now`."""

    now: datetime
    slas: Mapping[str, SLA]
    states: pa.Table  # STATE_SCHEMA: one row per (per-lead SLA, lead)
    escalations: pa.Table  # ESCALATION_SCHEMA
    volume: tuple[VolumeMonth, ...]
    rep_names: Mapping[str, str] = field(default_factory=dict)
    rep_timezones: Mapping[str, str | None] = field(default_factory=dict)
    calendar_timezone: str | None = None  # the contract calendar's, which the clocks use


def latest_fact_time(store: Store) -> datetime | None:
    """The latest timestamp among leads, touches, activities, stage events and
    opportunities: a sensible `now` for replaying a store of historical or simulated facts.
    """
    found: list[datetime] = []
    for table, col in (("leads", "created_at"), ("touches", "occurred_at"),
                       ("activities", "occurred_at"), ("stage_events", "occurred_at"),
                       ("opportunities", "created_at"), ("opportunities", "closed_at")):
        value = store.table(table)[col].max().execute()
        if value is not None and value == value:  # skip None and NaT
            found.append(_naive(_to_datetime(np.datetime64(value, "us"))))
    return max(found) if found else None


def compute_sla_clocks(store: Store, contract: Contract, now: datetime | None = None
                       ) -> SlaClocks:
    """Batch: every per-lead SLA clock, escalation event and volume month as of `now`
    (default: the latest fact time, else the current time)."""
    if now is None:
        now = latest_fact_time(store) or datetime.now(UTC).replace(tzinfo=None)
    now = _naive(now)
    cal = BusinessCalendar.from_contract(contract.calendar)
    reps = store.table("reps").select("rep_id", "name", "manager_id", "timezone").to_pyarrow()
    rep_ids = reps.column("rep_id").to_pylist()
    managers = dict(zip(rep_ids, reps.column("manager_id").to_pylist(), strict=True))
    by_stage: dict[str, list[SLA]] = {}
    for sla in contract.slas.values():
        by_stage.setdefault(sla.stage if isinstance(sla, VolumeSLA) else sla.start,
                            []).append(sla)
    stage_facts = {
        stage: fetch_stage_facts(
            store, contract, stage, now,
            touches=[s.min_touches for s in slas if isinstance(s, MinTouchesSLA)],
            decisions=any(isinstance(s, AcceptOrRejectSLA | VolumeSLA) for s in slas))
        for stage, slas in by_stage.items()}
    states: list[pa.Table] = []
    escalations: list[pa.Table] = []
    volume: list[VolumeMonth] = []
    for name, sla in contract.slas.items():
        if isinstance(sla, VolumeSLA):
            volume.extend(_volume_months(name, sla, cal, stage_facts[sla.stage], now))
            continue
        facts = sla_stops(sla, stage_facts[sla.start])
        states.append(_state_table(name, sla, cal, facts, now))
        if isinstance(sla, FirstTouchSLA) and sla.escalate:
            escalations.append(_escalation_table(name, sla, cal, facts, now, managers))
    return SlaClocks(
        now, dict(contract.slas),
        pa.concat_tables(states) if states else STATE_SCHEMA.empty_table(),
        pa.concat_tables(escalations) if escalations else ESCALATION_SCHEMA.empty_table(),
        tuple(volume),
        dict(zip(rep_ids, reps.column("name").to_pylist(), strict=True)),
        dict(zip(rep_ids, reps.column("timezone").to_pylist(), strict=True)),
        contract.calendar.timezone,
    )



def store_sla_clocks(store: Store, clocks: SlaClocks) -> None:
    """Replace the derived tables `sla_states` (STATE_SCHEMA) and `sla_escalations`
    (ESCALATION_SCHEMA) with these clocks; both are reproducible from facts + contract."""
    store.write_derived("sla_states", clocks.states)
    store.write_derived("sla_escalations", clocks.escalations)

def _state_table(name: str, sla: LeadSLA, cal: BusinessCalendar, facts: pa.Table,
                 now: datetime) -> pa.Table:
    start = _ts(facts.column("start_at"))
    out = clock_arrays(sla.within, cal, start, _ts(facts.column("stop_at")), now)
    n = facts.num_rows
    status = pa.DictionaryArray.from_arrays(pa.array(out.status, pa.int8()),
                                            pa.array(STATUSES)).cast(pa.string())
    return pa.table({
        "sla": pa.array([name] * n, pa.string()),
        "kind": pa.array([sla.kind] * n, pa.string()),
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
    }, schema=STATE_SCHEMA)


def _escalation_table(name: str, sla: FirstTouchSLA, cal: BusinessCalendar, facts: pa.Table,
                      now: datetime, managers: Mapping[str, str | None]) -> pa.Table:
    start = _ts(facts.column("start_at"))
    stop = _ts(facts.column("stop_at"))
    lead_ids = facts.column("lead_id").combine_chunks()
    reps = facts.column("rep_id").combine_chunks()
    parts: list[pa.Table] = []
    fired = escalation_times(sla.escalate, cal, start, stop, now)
    for k, (step, (idx, at)) in enumerate(zip(sla.escalate, fired, strict=True), start=1):
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
            "sla": pa.array([name] * n, pa.string()),
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


def _volume_months(name: str, sla: VolumeSLA, cal: BusinessCalendar, t: pa.Table,
                   now: datetime) -> list[VolumeMonth]:
    if t.num_rows == 0:
        return []
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
        ok = entered[i] >= sla.per_month and (
            sla.min_acceptance is None or (share is not None and share >= sla.min_acceptance))
        status: Status = "open" if m == now_month else ("met" if ok else "breached")
        out.append(VolumeMonth(name, str(m), int(entered[i]), int(n_acc[i]), int(n_rej[i]),
                               None if share is None else float(share), sla.per_month,
                               sla.min_acceptance, status))
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
class RepBreaches:
    rep_id: str
    name: str | None
    decided: int  # lead-SLA clocks of this rep that are met or breached
    breached: int
    breach_rate: float
    by_sla: Mapping[str, int]
    timezone: str | None = None  # the rep's own (`reps.timezone`)
    # True when the rep works in another time zone than the contract calendar the clocks
    # run on: its working day sits elsewhere in the calendar's, so leads arriving in the
    # calendar's hours may wait for its day to start — a coverage question as much as the
    # rep's speed.
    off_calendar: bool = False

    def as_dict(self) -> dict[str, object]:
        return {"rep_id": self.rep_id, "name": self.name, "decided": self.decided,
                "breached": self.breached, "breach_rate": self.breach_rate,
                "by_sla": dict(self.by_sla), "timezone": self.timezone,
                "off_calendar": self.off_calendar}


def summarise(clocks: SlaClocks) -> tuple[SlaSummary, ...]:
    """Per per-lead SLA: met, breached, open and the share within SLA."""
    out: list[SlaSummary] = []
    sla_col = clocks.states.column("sla").to_numpy(zero_copy_only=False)
    status = clocks.states.column("status").to_numpy(zero_copy_only=False)
    for name, sla in clocks.slas.items():
        if isinstance(sla, VolumeSLA):
            continue
        mine = status[sla_col == name]
        met, breached = int((mine == "met").sum()), int((mine == "breached").sum())
        out.append(SlaSummary(name, sla.kind, str(sla.within), len(mine), met, breached,
                              int((mine == "open").sum()),
                              met / (met + breached) if met + breached else None))
    return tuple(out)


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
    out = []
    for rep, slas in by_rep.items():
        breached = sum(b for b, _ in slas.values())
        decided = sum(n for _, n in slas.values())
        zone = clocks.rep_timezones.get(rep)
        off = (zone is not None and clocks.calendar_timezone is not None
               and not _same_zone(zone, clocks.calendar_timezone))
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


# -- the two views the CLI shows ----------------------------------------------------------------
NowSource = Literal["given", "latest fact", "current time"]


def resolve_now(store: Store, now: datetime | None) -> tuple[datetime, NowSource]:
    """`now` as naive UTC and where it came from: given, else the latest fact time (so a
    store of historical or simulated facts reads as of its own end), else the clock."""
    if now is not None:
        return _naive(now), "given"
    latest = latest_fact_time(store)
    if latest is not None:
        return latest, "latest fact"
    return datetime.now(UTC).replace(tzinfo=None), "current time"


@dataclass(frozen=True)
class SlaOverview:
    """Per SLA: met / breached / open and share within; volume months; escalations fired
    per SLA and step; speed to lead split into systems and human delay."""

    now: datetime
    now_source: NowSource
    slas: tuple[SlaSummary, ...]
    volume: tuple[VolumeMonth, ...]
    escalations: Mapping[str, Mapping[int, int]]
    speed_to_lead: SpeedToLead

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "now_source": self.now_source,
                "slas": [s.as_dict() for s in self.slas],
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

    def as_dict(self) -> dict[str, object]:
        return {"now": self.now.isoformat(), "now_source": self.now_source,
                "reps": [r.as_dict() for r in self.reps],
                "breached_total": self.breached_total,
                "unassigned_breaches": self.unassigned_breaches,
                "calendar_timezone": self.calendar_timezone,
                "breached_leads": [b.as_dict() for b in self.leads]}


def sla_overview(store: Store, contract: Contract, now: datetime | None = None) -> SlaOverview:
    """The default `accord sla` view as of `now` (see `resolve_now`)."""
    at, source = resolve_now(store, now)
    clocks = compute_sla_clocks(store, contract, at)
    esc = clocks.escalations.group_by(["sla", "step"]).aggregate([("lead_id", "count")])
    escalations: dict[str, dict[int, int]] = {}
    for row in esc.sort_by([("sla", "ascending"), ("step", "ascending")]).to_pylist():
        escalations.setdefault(row["sla"], {})[row["step"]] = row["lead_id_count"]
    return SlaOverview(at, source, summarise(clocks), clocks.volume, escalations,
                       compute_speed_to_lead(store, contract, at))


def sla_breaches(store: Store, contract: Contract, now: datetime | None = None,
                 limit: int | None = 20) -> SlaBreaches:
    """The `accord sla --breaches` view: reps worst first and the `limit` most overdue
    breached clocks (all when `limit` is None or 0)."""
    at, source = resolve_now(store, now)
    clocks = compute_sla_clocks(store, contract, at)
    breached = breached_leads(clocks)
    unassigned = breached.column("rep_id").null_count
    rows = breached.slice(0, limit).to_pylist() if limit else breached.to_pylist()
    leads = tuple(BreachedLead(r["sla"], r["lead_id"], r["rep_id"], r["start_at"], r["due_at"],
                               r["stopped_at"], r["elapsed_minutes"], r["overdue_minutes"])
                  for r in rows)
    return SlaBreaches(at, source, rank_reps(clocks), breached.num_rows, unassigned, leads,
                       clocks.calendar_timezone)


# -- small helpers ----------------------------------------------------------------------------
def _naive(t: datetime) -> datetime:
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def _to_datetime(value: np.datetime64) -> datetime:
    us = int(value.astype("datetime64[us]").astype(np.int64))
    return datetime(1970, 1, 1) + np.timedelta64(us, "us").item()


def _ts(col: pa.ChunkedArray | pa.Array) -> npt.NDArray[np.datetime64]:
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_null(arr.type):
        return np.full(len(arr), _NAT)
    return np.asarray(arr.cast(pa.timestamp("us")).to_numpy(zero_copy_only=False),
                      dtype="datetime64[us]")
