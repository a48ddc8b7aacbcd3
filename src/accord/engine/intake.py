"""The live intake: one event in, its decision out, stored exactly once (issue 13, items 2–3).

`EventIntake(store, contract)` warms the live engine (`engine/live.py`) by replaying the
store's facts (`store_events`), then takes events one at a time with `submit(event_id,
body, actor=...)`. The body is a mapping with `kind` — `lead_created`, `touch`,
`activity`, `accept`, `reject` (reason code required), `opportunity_created`,
`opportunity_closed` — and that kind's fields, validated strictly (an unknown field or a
wrong type is refused, the field named: `UsageError`).

Idempotency: the event id is the key. It is the PRIMARY KEY of the `received_events`
service table, so the store itself refuses a second row for an id. A repeated id whose
body has the same canonical JSON hash (keys sorted, no spaces) returns the first answer
unchanged and writes nothing; with a different body it raises `EventConflictError`
naming the id (HTTP 409).

One transaction per accepted event writes: the fact the event carries (into the fact
tables, through `Store.write_facts_in`; an opportunity's closing updates its `open` row,
since `opportunities` keeps each deal as last known), the stage events it caused (so the
actual view equals the derived one), the `received_events` row (id, body hash, answer
JSON, contract version, time, actor) and the decision log rows (`decisions`: kind
`score`, `stage`, `owner` or `sla_deadline`, with the lead, value, contract version,
event id and the event's time). A write that fails after the engine applied the event
rebuilds the engine from the store, so memory never runs ahead of the store. Submits are
serialised by a lock (DuckDB has one writer).

Contract versions (issue 13, item 5): each event is decided by the contract version active
at the event's time (`accord.contract.versions.active_version`: signed by both the
marketing and the sales owner, effective at or before the event), and by the workspace's
accord.yaml when no signed version is effective then (so a workspace that never proposed
a version decides as before). The answer's `contract_version` and each decision log row
name the version that decided. The versions are re-read when a proposal or signature is
added to the store; an engine is kept per deciding version and rebuilt from the store when
another version's events were stored since.

Event ids double as fact ids: a touch's `touch_id`, an activity's `activity_id` and a
stage decision's `event_id` are the event id; opportunities carry their own id.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import pyarrow as pa
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from accord.contract.compiled import CompiledContract
from accord.contract.instants import naive_utc, utc_now
from accord.engine.live import (
    Activity,
    Decision,
    Engine,
    Event,
    LeadCreated,
    OpportunityClosed,
    OpportunityCreated,
    StageDecision,
    Touch,
    store_events,
)
from accord.errors import EngineError, StoreError, UsageError
from accord.facts import FACT_TABLES
from accord.store.base import DuplicateKeyError, Store
from accord.store.contract_versions import VersionBook, load_book

__all__ = ["EVENT_KINDS", "EventConflictError", "EventIntake", "IntakeResult", "Notify",
           "body_hash"]

T = TypeVar("T")

#: `notify(event_id, lead_id, decision_rows, contract_version, at) -> outbox rows`: the
#: notifications (webhooks) an event's decision log rows owe, written to the `outbox` in the
#: same transaction as the decision (`api/webhooks.py` gives the server's).
Notify = Callable[[str, str, list[dict[str, Any]], int, datetime], list[dict[str, Any]]]


class EventConflictError(UsageError):
    """An event id already stored with a different body (HTTP 409)."""

    def __init__(self, event_id: str) -> None:
        super().__init__(f"event {event_id!r} was already received with a different body; "
                         "an event id names one event — give a new event a new id")
        self.event_id = event_id


# --- the event bodies -----------------------------------------------------------------------

Text = StrictStr
Amount = StrictFloat | StrictInt


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lead_id: Text = Field(min_length=1)
    at: datetime


class LeadCreatedBody(_Body):
    kind: Literal["lead_created"]
    email: Text = ""
    channel: Text = ""
    title: Text | None = None
    company: Text | None = None
    country: Text | None = None
    campaign_id: Text | None = None
    landing_page: Text | None = None
    account_id: Text | None = None
    first_name: Text | None = None
    last_name: Text | None = None


class TouchBody(_Body):
    kind: Literal["touch"]
    signal: Text
    channel: Text | None = None
    campaign_id: Text | None = None


class ActivityBody(_Body):
    kind: Literal["activity"]
    rep_id: Text
    type: Text = Field(description="`call`, `email`, `meeting` or `linkedin`")


class AcceptBody(_Body):
    kind: Literal["accept"]
    rep_id: Text | None = None


class RejectBody(_Body):
    kind: Literal["reject"]
    reason: Text = Field(min_length=1)
    to_stage: Text | None = None
    rep_id: Text | None = None


class OpportunityCreatedBody(_Body):
    kind: Literal["opportunity_created"]
    opportunity_id: Text
    amount: Amount = 0.0
    owner_rep_id: Text | None = None
    account_id: Text | None = None
    source: Text | None = None


class OpportunityClosedBody(_Body):
    kind: Literal["opportunity_closed"]
    opportunity_id: Text
    won: StrictBool
    close_reason: Text | None = None


EventBody = Annotated[
    LeadCreatedBody | TouchBody | ActivityBody | AcceptBody | RejectBody
    | OpportunityCreatedBody | OpportunityClosedBody, Field(discriminator="kind")]
_BODY: TypeAdapter[Any] = TypeAdapter(EventBody)

EVENT_KINDS: tuple[str, ...] = ("lead_created", "touch", "activity", "accept", "reject",
                                "opportunity_created", "opportunity_closed")


def _parse(event_id: str, body: Mapping[str, Any]) -> Any:
    """The body as its kind's model; a `UsageError` naming the first bad field."""
    kind = body.get("kind")
    if kind not in EVENT_KINDS:
        raise UsageError(f"event {event_id!r}: field 'kind' is {kind!r}; expected one of "
                         f"{', '.join(EVENT_KINDS)}")
    try:
        return _BODY.validate_python(dict(body))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        field = ".".join(loc[1:] if loc and loc[0] == kind else loc) or "body"
        raise UsageError(f"event {event_id!r} ({kind}): field {field!r}: {err['msg']}") \
            from None


def canonical_json(body: Mapping[str, Any]) -> str:
    """The body's canonical JSON: keys sorted, compact separators."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str,
                      ensure_ascii=False)


def body_hash(body: Mapping[str, Any]) -> str:
    """SHA-256 of the body's canonical JSON (keys sorted, compact separators)."""
    return hashlib.sha256(canonical_json(body).encode()).hexdigest()


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IntakeResult:
    """The answer to one event: `answer` is the decision JSON (with `event_id`, `kind`
    and `contract_version`); `replayed` is true when the id had already been received."""

    event_id: str
    answer: Mapping[str, Any]
    replayed: bool


class EventIntake:
    """Idempotent live intake over one store and one compiled contract (module docstring).

    `clock` is the engine's clock (events dated after it are refused); `on_write(cur,
    event_id)` runs inside each accepted event's transaction (the API's audit row)."""

    def __init__(self, store: Store, contract: CompiledContract, *,
                 clock: Callable[[], datetime] = utc_now, notify: Notify | None = None
                 ) -> None:
        self.store = store
        self.contract = contract
        self.clock = clock
        self.notify = notify
        self._lock = threading.Lock()
        store.ensure_service_tables()
        self.skipped_on_start = 0
        self._book_key: tuple[int, int] | None = None
        self.book = VersionBook((), ())
        self._refresh_versions()
        self.engine = self._build()
        self._engines: dict[str, Engine] = {"workspace": self.engine}

    def _refresh_versions(self) -> None:
        """Re-read the stored versions when a proposal or signature was added."""
        with self.store.transaction() as cur:  # one small query per event (2 counts)
            row = self.store.query(cur, "SELECT (SELECT COUNT(*) FROM contract_proposals), "
                                        "(SELECT COUNT(*) FROM contract_signatures)")[0]
        key = (int(row[0]), int(row[1]))
        if key != self._book_key:
            self.book = load_book(self.store)
            self._book_key = key

    def contract_at(self, at: datetime) -> CompiledContract:
        """The contract that decides an event at `at`: the signed version effective then,
        else the workspace contract (module docstring)."""
        active = self.book.active(naive_utc(at))
        return active.contract if active is not None else self.contract

    def _key(self, contract: CompiledContract) -> str:
        if contract is self.contract:
            return "workspace"
        v = self.book.version(contract.version)
        return f"{v.version}:{v.sha256}"

    def _engine_for(self, contract: CompiledContract) -> Engine:
        key = self._key(contract)
        engine = self._engines.get(key)
        if engine is None:
            engine = self._build(contract)
            self._engines = {key: engine}  # others are stale once it writes
        self.engine = engine
        return engine

    def _build(self, contract: CompiledContract | None = None) -> Engine:
        """An engine that has applied every stored fact it accepts (facts the contract
        refuses, e.g. off-contract imported moves, are counted in `skipped_on_start`)."""
        contract = contract or self.contract
        engine = Engine.from_store(self.store, contract, clock=self.clock)
        skipped = 0
        for event in store_events(self.store, contract):
            try:
                engine.handle(event)
            except EngineError:
                skipped += 1
        self.skipped_on_start = skipped
        return engine

    # -- reading ---------------------------------------------------------------------------
    def received(self, event_id: str) -> tuple[str, dict[str, Any]] | None:
        """(body hash, answer) of a received event id, or None."""
        t = self.store.service_table("received_events")
        rows = t.filter(t.event_id == event_id).select("body_sha256", "answer") \
            .to_pyarrow().to_pylist()
        if not rows:
            return None
        return rows[0]["body_sha256"], json.loads(rows[0]["answer"])

    def lead_decisions(self, lead_id: str) -> list[dict[str, Any]]:
        """The decision log of one lead, oldest first (`UnknownNameError`-free: an empty
        list for a lead never decided about)."""
        t = self.store.service_table("decisions")
        rows = t.filter(t.lead_id == lead_id).to_pyarrow().to_pylist()
        rows.sort(key=lambda r: (r["decided_at"], r["recorded_at"],
                                 int(r["decision_id"].rsplit(":", 1)[1]), r["event_id"]))
        return rows

    # -- writing ---------------------------------------------------------------------------
    def write(self, work: Callable[[Any, Engine], T]) -> T:
        """Run `work(cur, engine)` as the intake's writer: serialised with every event,
        inside one store transaction (rolled back if `work` raises). The SLA scheduler and
        the webhook dispatcher do their store work through this, so the store has one
        writer. `engine` is the live engine of the workspace contract's current state;
        `work` must not keep `cur`."""
        with self._lock, self.store.transaction() as cur:
            return work(cur, self.engine)

    def submit(self, event_id: str, body: Mapping[str, Any], *, actor: str,
               on_write: Callable[[Any, str], None] | None = None) -> IntakeResult:
        """Decide and store one event; see the module docstring for the rules."""
        if not isinstance(event_id, str) or not event_id:
            raise UsageError("field 'id': an event needs a non-empty string id")
        digest = body_hash(body)
        with self._lock:
            seen = self._replay(event_id, digest)
            if seen is not None:
                return seen
            parsed = _parse(event_id, body)
            self._refresh_versions()
            contract = self.contract_at(parsed.at)
            engine = self._engine_for(contract)
            event = self._event(event_id, parsed, actor, contract)
            previous = self._previous(event.lead_id)
            decision = engine.handle(event)  # refused: raises, nothing applied
            answer = _jsonable({"event_id": event_id, "kind": parsed.kind,
                                "contract_version": contract.version,
                                **decision.as_dict()})
            try:
                self._store(event_id, parsed, event, decision, previous, answer, digest,
                            actor, on_write, contract.version, body)
            except BaseException as exc:
                self.engine = self._build(contract)  # memory never runs ahead of the store
                self._engines = {self._key(contract): self.engine}
                if isinstance(exc, DuplicateKeyError):  # another writer stored the id
                    seen = self._replay(event_id, digest)
                    if seen is not None:
                        return seen
                if isinstance(exc, Exception) and not isinstance(exc, StoreError | UsageError):
                    raise StoreError(f"event {event_id!r} could not be stored: "
                                     f"{type(exc).__name__}: {exc}") from exc
                raise
            return IntakeResult(event_id, answer, replayed=False)

    def _replay(self, event_id: str, digest: str) -> IntakeResult | None:
        seen = self.received(event_id)
        if seen is None:
            return None
        if seen[0] != digest:
            raise EventConflictError(event_id)
        return IntakeResult(event_id, seen[1], replayed=True)

    def _previous(self, lead_id: str) -> Decision | None:
        if lead_id not in self.engine.lead_ids:
            return None
        return self.engine.decision(lead_id)

    def _event(self, event_id: str, b: Any, actor: str,
               contract: CompiledContract | None = None) -> Event:
        at = naive_utc(b.at)
        c = contract or self.contract
        match b:
            case LeadCreatedBody():
                return LeadCreated(b.lead_id, at, email=b.email, channel=b.channel,
                                   title=b.title, company=b.company, country=b.country,
                                   campaign_id=b.campaign_id, landing_page=b.landing_page,
                                   account_id=b.account_id, first_name=b.first_name,
                                   last_name=b.last_name)
            case TouchBody():
                return Touch(event_id, b.lead_id, b.signal, at, b.channel, b.campaign_id)
            case ActivityBody():
                return Activity(event_id, b.lead_id, b.rep_id, b.type, at)
            case AcceptBody():
                return StageDecision.accept(c, event_id, b.lead_id, at, b.rep_id or actor)
            case RejectBody():
                return StageDecision.reject(c, event_id, b.lead_id, at, b.rep_id or actor,
                                            b.reason, b.to_stage)
            case OpportunityCreatedBody():
                return OpportunityCreated(b.opportunity_id, b.lead_id, at, float(b.amount),
                                          b.owner_rep_id, b.account_id, b.source)
            case OpportunityClosedBody():
                return OpportunityClosed(b.opportunity_id, b.lead_id, at, b.won,
                                         b.close_reason)
        raise UsageError(f"event {event_id!r}: unknown kind")  # pragma: no cover

    def _next_seq(self, cur: Any) -> int:
        row = self.store.query(cur, "SELECT COALESCE(MAX(seq), 0) FROM received_events")
        return int(row[0][0]) + 1

    def _store(self, event_id: str, b: Any, event: Event, decision: Decision,
               previous: Decision | None, answer: Mapping[str, Any], digest: str,
               actor: str, on_write: Callable[[Any, str], None] | None,
               version: int | None = None, body: Mapping[str, Any] | None = None) -> None:
        now = naive_utc(utc_now())
        version = self.contract.version if version is None else version
        facts: dict[str, list[dict[str, Any]]] = {}
        match event:
            case LeadCreated():
                facts["leads"] = [event.fact()]
            case Touch():
                facts["touches"] = [event.fact()]
            case Activity():
                facts["activities"] = [event.fact()]
            case OpportunityCreated():
                facts["opportunities"] = [{
                    "opportunity_id": event.opportunity_id, "lead_id": event.lead_id,
                    "account_id": event.account_id, "owner_rep_id": event.owner_rep_id,
                    "created_at": event.at, "amount": event.amount, "status": "open",
                    "closed_at": None, "close_reason": None, "source": event.source}]
            case _:
                pass
        moves = [e.as_row() for e in decision.events_emitted]
        if moves:
            facts["stage_events"] = moves
        batch = {name: pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())
                 for name, rows in facts.items()}
        at = naive_utc(event.at)
        with self.store.transaction() as cur:
            self.store.insert_rows(cur, "received_events", [{
                "event_id": event_id, "kind": b.kind, "lead_id": event.lead_id,
                "body_sha256": digest, "answer": json.dumps(answer, sort_keys=True),
                "contract_version": version, "received_at": now, "actor": actor,
                "seq": self._next_seq(cur), "body": canonical_json(body or {})}])
            if batch:
                self.store.write_facts_in(cur, batch)
            if isinstance(event, OpportunityClosed):
                self.store.execute(
                    cur, "UPDATE opportunities SET status = %s, closed_at = %s, "
                         "close_reason = %s WHERE opportunity_id = %s AND status = 'open'",
                    ("won" if event.won else "lost", at, event.close_reason,
                     event.opportunity_id))
            log = [{"decision_id": f"{event_id}:{n}", "event_id": event_id,
                    "lead_id": event.lead_id, "kind": kind, "name": name, "value": value,
                    "decided_at": at, "contract_version": version, "recorded_at": now}
                   for n, (kind, name, value) in enumerate(
                       _log_rows(decision, previous, self.engine.lifecycle.initial))]
            self.store.insert_rows(cur, "decisions", log)
            if self.notify is not None:
                self.store.insert_rows(cur, "outbox", self.notify(
                    event_id, event.lead_id, log, version, at))
            if on_write is not None:
                on_write(cur, event_id)


def _jsonable(value: dict[str, Any]) -> dict[str, Any]:
    """`value` as plain JSON types (times as ISO text), exactly as a replay returns it."""
    out: dict[str, Any] = json.loads(json.dumps(
        value, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))
    return out


def _log_rows(decision: Decision, previous: Decision | None, initial: str
              ) -> list[tuple[str, str | None, str | None]]:
    """The decision log rows of one decision: its score (always), the initial stage of a
    new lead, each stage move it made, the owner when it changed, and each SLA deadline
    that is new or moved."""
    rows: list[tuple[str, str | None, str | None]] = [(
        "score", None, json.dumps({"fit": decision.fit, "tier": decision.tier,
                                   "icp": decision.icp, "engagement": decision.engagement},
                                  sort_keys=True))]
    if previous is None:
        rows.append(("stage", None, initial))
    rows += [("stage", None, move.to_stage) for move in decision.events_emitted]
    if decision.owner is not None and (previous is None or previous.owner != decision.owner):
        rows.append(("owner", None, decision.owner))
    before = previous.sla_deadlines if previous is not None else {}
    for name, due in sorted(decision.sla_deadlines.items()):
        if before.get(name) != due:
            rows.append(("sla_deadline", name, due.isoformat()))
    return rows
