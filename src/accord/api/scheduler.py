"""The SLA scheduler inside `accord serve`: fires each SLA warning, breach and escalation
step at its business-hours time, exactly once, and catches up after a restart.

Which firings a lead owes, and when, is `engine/sla_schedule.py` (over the live engine's
clocks, `Engine.sla_clocks`). Each round (`run_once`, every `interval` seconds on a thread)
takes the firings whose time has come by the server's now (`intake.clock`), leaves out
those already stored in `sla_firings`, and for each new one writes, in ONE transaction
through `intake.write` (serialised with every event):

- its `sla_firings` row (the firing id is the primary key: a firing is stored once, so a
  second round, a second worker or a restart adds nothing);
- its decision log rows (`decisions`, event id = the firing id, decision ids
  `<firing id>:<n>`): `sla_warning` or `sla_breach` (value: the due time) or
  `sla_escalation` (value: `step k: notify <who>` / `step k: reassign`), and for a
  `reassign: true` step a `reassignment` (value: the routing fallback queue the lead is
  handed back to), each decided at the firing's time under the current contract version;
- the outbox messages those rows owe (`intake.notify`, when the server sends webhooks).

Restart: the state is the store, so on `start` the scheduler fires, before the server
answers, every firing that fell due while it was down, and logs how many (and for how
many leads and SLAs). A clock stopped before a firing's time (first touch, …) never fires
it, even when the stop arrived while the server was down.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.contract.instants import naive_utc
from accord.engine.intake import EventIntake
from accord.engine.live import Engine
from accord.engine.sla_schedule import Firing, ScheduleCache, due_firings

__all__ = ["DEFAULT_INTERVAL", "INTERVAL_ENV", "SlaScheduler", "decision_rows"]

log = logging.getLogger("accord.api.scheduler")
DEFAULT_INTERVAL = 15.0
INTERVAL_ENV = "ACCORD_SLA_INTERVAL"


def _interval_from_env() -> float:
    raw = os.environ.get(INTERVAL_ENV)
    if not raw:
        return DEFAULT_INTERVAL
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{INTERVAL_ENV}: {raw!r} is not a number of seconds") from None
    if value <= 0:
        raise ValueError(f"{INTERVAL_ENV}: {raw!r} must be more than 0 seconds")
    return value


def decision_rows(firing: Firing, fallback_queue: str, version: int,
                  recorded_at: datetime) -> list[dict[str, Any]]:
    """The decision log rows one firing writes (module docstring)."""
    rows: list[tuple[str, str]] = []
    match firing.kind:
        case "warning":
            rows.append(("sla_warning", firing.due_at.isoformat()))
        case "breach":
            rows.append(("sla_breach", firing.due_at.isoformat()))
        case "escalation":
            what = "reassign" if firing.reassign and not firing.notify \
                else f"notify {firing.notify or 'owner'}"
            rows.append(("sla_escalation", f"step {firing.step}: {what}"))
            if firing.reassign:
                rows.append(("reassignment", fallback_queue))
    return [{"decision_id": f"{firing.firing_id}:{n}", "event_id": firing.firing_id,
             "lead_id": firing.lead_id, "kind": kind, "name": firing.sla, "value": value,
             "decided_at": firing.at, "contract_version": version,
             "recorded_at": recorded_at}
            for n, (kind, value) in enumerate(rows)]


class SlaScheduler:
    """Fires SLA warnings, breaches and escalations for the intake's leads (module
    docstring): `start` (catch up, then a thread every `interval` seconds; default the
    `ACCORD_SLA_INTERVAL` environment variable, else 15), `stop`, or `run_once(now)`."""

    def __init__(self, intake: EventIntake, *, interval: float | None = None) -> None:
        self.intake = intake
        self.interval = interval if interval is not None else _interval_from_env()
        if self.interval <= 0:
            raise ValueError("SLA scheduler interval must be more than 0 seconds")
        self.caught_up: list[Firing] = []  # what the start fired
        self._schedules: ScheduleCache = {}  # each clock's schedule, worked out once
        self._stored: set[str] = set()  # firing ids known to be committed
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- one round -------------------------------------------------------------------------
    def run_once(self, now: datetime | None = None) -> list[Firing]:
        """Fire every firing due by `now` (default: the server's clock) not fired yet, in
        one transaction; return those fired now (time order)."""
        at = naive_utc(now) if now is not None else naive_utc(self.intake.clock())
        fired = self.intake.write(lambda cur, engine: self._fire(cur, engine, at))
        self._stored.update(f.firing_id for f in fired)  # committed: now they count
        return fired

    def _fire(self, cur: Any, engine: Engine, now: datetime) -> list[Firing]:
        store = self.intake.store
        owed = [f for f in due_firings((lc for lead in engine.lead_ids
                                        for lc in engine.sla_clocks(lead)), now,
                                       cache=self._schedules)
                if f.firing_id not in self._stored]
        if not owed:
            return []
        ids = [f.firing_id for f in owed]
        for i in range(0, len(ids), 500):  # stored before (another worker, a past run)
            part = ids[i:i + 500]
            self._stored.update(str(r[0]) for r in store.query(
                cur, f"SELECT firing_id FROM sla_firings WHERE firing_id IN "
                     f"({', '.join(['%s'] * len(part))})", tuple(part)))
        new = [f for f in owed if f.firing_id not in self._stored]
        if not new:
            return []
        version = engine.contract.version
        queue = engine.contract.source.routing.fallback_queue
        firings, decisions, outbox = [], [], []
        for f in new:
            firings.append({"firing_id": f.firing_id, "lead_id": f.lead_id, "sla": f.sla,
                            "kind": f.kind, "step": f.step, "due_at": f.at,
                            "fired_at": now, "contract_version": version})
            rows = decision_rows(f, queue, version, now)
            decisions += rows
            if self.intake.notify is not None:
                outbox += self.intake.notify(f.firing_id, f.lead_id, rows, version, f.at)
        store.insert_rows(cur, "sla_firings", firings)
        store.insert_rows(cur, "decisions", decisions)
        if outbox:
            store.insert_rows(cur, "outbox", outbox)
        return new

    # -- the thread ------------------------------------------------------------------------
    def start(self) -> None:
        """Fire what fell due while the server was down (and say so), then run a round
        every `interval` seconds on a thread until `stop`."""
        if self._thread is not None:
            return
        try:
            self.caught_up = self.run_once()
            _say_caught_up(self.caught_up)
        except Exception as exc:  # the thread tries again
            log.warning("SLA scheduler: catching up failed (%s); retrying every %gs",
                        type(exc).__name__, self.interval)
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="accord-sla-scheduler",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the round in flight."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 30.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                fired = self.run_once()
            except Exception as exc:  # a store outage: the next round tries again
                log.warning("SLA scheduler: a round failed (%s); next in %gs",
                            type(exc).__name__, self.interval)
                continue
            if fired:
                log.info("fired %d SLA firings", len(fired))


def _say_caught_up(fired: Sequence[Firing]) -> None:
    leads = {f.lead_id for f in fired}
    slas = {f.sla for f in fired}
    log.log(logging.WARNING if fired else logging.INFO,
            "fired %d SLA firings that fell due while the server was down "
            "(%d leads, %d SLAs)", len(fired), len(leads), len(slas))
