"""The facts SLA clocks read, and the calendars they run on — shared by the clocks
(`engine/sla_clock.py`) and speed to lead (`engine/speed_to_lead.py`), so that "the first
entry into a stage", "the n-th sales activity at or after a moment", "the responsible rep"
and "the owner's calendar" each have one definition.

- Stage moves come through `views.stage_moves(store, view)` (actual: `stage_events`;
  derived: `stage_history`), facts after `now` ignored; a clock starts at the lead's
  first move into its start stage (`lifecycle.first_entries_in`).
- Sales activities are the `activities` facts; the n-th at or after an anchor is counted
  in `(occurred_at, activity_id)` order.
- The owner whose calendar a `calendar: owner` clock runs on is the rep the lead was
  routed to at or before the clock's start (derived `assignments`; a queue is no rep).
  The live engine knows the same rep at the same moment (it routes before it reads the
  clocks), which is what keeps live and batch due times equal.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfoNotFoundError

import ibis
import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.calendar import BusinessCalendar
from accord.contract.compiled import CompiledContract, SlaClock
from accord.engine.lifecycle import first_entries_in
from accord.engine.views import View, stage_moves
from accord.errors import UsageError
from accord.store.base import Store

__all__ = [
    "OwnerCalendars",
    "activities_from",
    "assignments_by",
    "clock_calendar",
    "clock_starts",
    "decisions_out_of",
    "moves_by",
    "next_rep_actor",
    "owner_calendars",
    "routed_owners",
]


# -- stage moves and activities ----------------------------------------------------------------
def moves_by(store: Store, view: View, now: datetime) -> ibis.Table:
    """The view's stage moves up to `now` (`views.stage_moves`)."""
    moves = stage_moves(store, view)
    return moves.filter(moves.occurred_at <= ibis.literal(now, type="timestamp(6)"))


def clock_starts(moves: ibis.Table, stage: str) -> ibis.Table:
    """lead_id, start_at: each lead's first move into `stage` (the clock's start)."""
    return first_entries_in(moves, stage).rename(start_at="entered_at")


def activities_from(store: Store, anchors: ibis.Table, now: datetime,
                    touches: Sequence[int] = (1,)) -> ibis.Table:
    """Per lead of `anchors` (lead_id, anchor_at) touched at or after its anchor by `now`:
    lead_id, first_rep (the rep of the first such activity) and `touch_<n>_at` for each n
    in `touches` (null when fewer). Activities count in `(occurred_at, activity_id)`
    order."""
    act = store.table("activities")
    j = act.join(anchors, "lead_id")
    j = j.filter((j.occurred_at >= j.anchor_at)
                 & (j.occurred_at <= ibis.literal(now, type="timestamp(6)")))
    rn = ibis.row_number().over(group_by=j.lead_id, order_by=[j.occurred_at, j.activity_id])
    ranks = j.select("lead_id", "rep_id", "occurred_at", rn=rn + 1)
    wanted = sorted({1, *touches})
    r = ranks.filter(ranks.rn.isin(wanted))
    aggs = {f"touch_{n}_at": ibis.cases((r.rn == n, r.occurred_at), else_=ibis.null()).max()
            for n in wanted}
    return r.group_by("lead_id").aggregate(
        first_rep=ibis.cases((r.rn == 1, r.rep_id), else_=ibis.null()).max(), **aggs)


def next_rep_actor(store: Store, moves: ibis.Table, starts: ibis.Table) -> ibis.Table:
    """lead_id, next_actor: the actor of the first stage move after the start whose actor
    is a rep in `reps` (moves in `(occurred_at, move_id)` order)."""
    reps = store.table("reps")
    j = moves.join(starts, "lead_id")
    j = j.filter((j.occurred_at > j.start_at) & j.actor.isin(reps.rep_id))
    rn = ibis.row_number().over(group_by=j.lead_id, order_by=[j.occurred_at, j.move_id])
    j = j.select("lead_id", "actor", rn=rn)
    return j.filter(j.rn == 0).select("lead_id", next_actor=j.actor)


def decisions_out_of(moves: ibis.Table, starts: ibis.Table, stage: str,
                     accept: Sequence[str], reject: Sequence[str]) -> ibis.Table:
    """Per lead: accepted_at (first move out of `stage` into an accept stage) and
    rejected_at (first move out of it into a reject stage with a reason code), at or after
    the start."""
    j = moves.join(starts, "lead_id")
    j = j.filter((j.from_stage == stage) & (j.occurred_at >= j.start_at))
    reasoned = j.reason.notnull() & (j.reason != "")
    is_accept = j.to_stage.isin(list(accept)) if accept else ibis.literal(False)
    is_reject = (j.to_stage.isin(list(reject)) & reasoned) if reject else ibis.literal(False)
    return j.group_by("lead_id").aggregate(
        accepted_at=ibis.cases((is_accept, j.occurred_at), else_=ibis.null()).min(),
        rejected_at=ibis.cases((is_reject, j.occurred_at), else_=ibis.null()).min(),
    )


def assignments_by(store: Store, now: datetime) -> ibis.Table | None:
    """The derived routing assignments made by `now` (lead_id, owner, assigned_at); None
    when routing has not run."""
    try:
        a = store.derived("assignments")
    except KeyError:
        return None
    if "assigned_at" not in a.columns:
        return None
    return a.filter(a.assigned_at <= ibis.literal(now, type="timestamp(6)")).select(
        "lead_id", "owner", "assigned_at")


def routed_owners(store: Store, anchors: ibis.Table, now: datetime) -> ibis.Table | None:
    """lead_id, owner_id: the owner the lead was routed to at or before its anchor
    (anchors: lead_id, anchor_at); None when routing has not run. Queues are owners too
    here; `OwnerCalendars` knows only reps, so a queue runs on the contract calendar."""
    a = assignments_by(store, now)
    if a is None:
        return None
    j = a.join(anchors, "lead_id")
    j = j.filter(j.assigned_at <= j.anchor_at)
    rn = ibis.row_number().over(group_by=j.lead_id, order_by=[ibis.desc(j.assigned_at)])
    j = j.select("lead_id", "owner", rn=rn)
    return j.filter(j.rn == 0).select("lead_id", owner_id=j.owner)


# -- calendars: the contract's, or each owner's -------------------------------------------------
@dataclass(frozen=True)
class OwnerCalendars:
    """Each rep's calendar for clocks on `calendar: owner`: `calendars[0]` is the contract
    calendar; rep `rep_ids[i]` runs on `calendars[rep_calendar[i]]`. Built once from the
    reps facts (`owner_calendars`), shared by batch and live."""

    calendars: tuple[BusinessCalendar, ...]
    rep_ids: pa.Array
    rep_calendar: npt.NDArray[np.int64]
    by_rep: Mapping[str, BusinessCalendar]

    def of(self, rep_id: str | None) -> BusinessCalendar | None:
        """The calendar of rep `rep_id`; None for an unknown rep, a queue, or none."""
        return None if rep_id is None else self.by_rep.get(rep_id)

    def index(self, owners: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
        """Per owner id: the position of its calendar in `calendars` (0, the contract's,
        for an unknown or missing owner). One hash look-up, no loop over leads."""
        if len(self.rep_ids) == 0 or len(owners) == 0:
            return np.zeros(len(owners), dtype=np.int64)
        pos = np.asarray(pc.fill_null(pc.index_in(owners, value_set=self.rep_ids), -1)
                         .to_numpy(zero_copy_only=False), dtype=np.int64)
        return np.where(pos >= 0, self.rep_calendar[np.maximum(pos, 0)], 0)


def owner_calendars(contract: CompiledContract, reps: pa.Table) -> OwnerCalendars:
    """Every rep's own calendar (`contract.owner_calendar` over the rep's `timezone`,
    `work_hours` and `holidays`, each falling back to the contract calendar's),
    deduplicated; a loop over reps, never over leads."""
    base = contract.calendar
    calendars: list[BusinessCalendar] = [base]
    position: dict[BusinessCalendar, int] = {base: 0}
    ids: list[str] = []
    index: list[int] = []
    by_rep: dict[str, BusinessCalendar] = {}
    cols = set(reps.column_names)

    def column(name: str) -> list[str | None]:
        if name not in cols:
            return [None] * reps.num_rows
        return [None if v is None else str(v) for v in reps.column(name).to_pylist()]

    for rep_id, zone, hours, holidays in zip(column("rep_id"), column("timezone"),
                                             column("work_hours"), column("holidays"),
                                             strict=True):
        if rep_id is None:
            continue
        try:
            cal = contract.owner_calendar(zone or None, hours or None, holidays or None)
        except UsageError as exc:
            raise UsageError(f"rep {rep_id!r}: {exc}") from None
        except (ValueError, KeyError, ZoneInfoNotFoundError) as exc:
            raise UsageError(f"rep {rep_id!r} has a calendar accord cannot use "
                             f"(timezone {zone!r}, work_hours {hours!r}, holidays "
                             f"{holidays!r}): {exc}") from None
        k = position.setdefault(cal, len(calendars))
        if k == len(calendars):
            calendars.append(cal)
        ids.append(rep_id)
        index.append(k)
        by_rep[rep_id] = cal
    return OwnerCalendars(tuple(calendars), pa.array(ids, pa.string()),
                          np.asarray(index, dtype=np.int64), by_rep)


def clock_calendar(contract: CompiledContract, clock: SlaClock,
                   owner: BusinessCalendar | None) -> BusinessCalendar:
    """The calendar one lead's clock runs on: its owner's (`owner`: the calendar of the rep
    who held the lead at the clock's start; None when no rep did) for `calendar: owner`,
    else the contract's. Batch and live both decide it here."""
    if clock.calendar == "owner" and owner is not None:
        return owner
    return contract.calendar
