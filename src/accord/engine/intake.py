"""The live intake: one event in, its decision out, stored exactly once (issue 13, items 2–3).

`EventIntake(store, contract)` warms the live engine (`engine/live.py`) by replaying the
store's facts (`store_events`), then takes events one at a time with `submit(event_id,
body, actor=...)`. The body is a mapping with `kind` — `lead_created`, `touch`,
`activity`, `accept`, `reject` (reason code required), `move` (any other move the
lifecycle allows by hand, e.g. to the qualified stage), `opportunity_created`,
`opportunity_updated` (an open deal's amount, owner or source), `opportunity_closed` —
and that kind's fields, validated strictly (an unknown field or a wrong type is refused,
the field named: `UsageError`).

Idempotency: the event id is the key. It is the PRIMARY KEY of the `received_events`
service table, so the store itself refuses a second row for an id. A repeated id whose
body has the same canonical JSON hash (keys sorted, no spaces) returns the first answer
unchanged and writes nothing; with a different body it raises `EventConflictError`
naming the id (HTTP 409).

One transaction per accepted event writes: the fact the event carries (into the fact
tables, through `Store.write_facts_in`; an opportunity's update or closing updates its `open` row,
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
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

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
    field_validator,
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
    OpportunityUpdated,
    StageDecision,
    Touch,
    store_events,
)
from accord.errors import AccordError, EngineError, StoreError, UsageError
from accord.facts import FACT_TABLES, OPPORTUNITY_TYPES
from accord.store.base import Store
from accord.store.contract_versions import VersionBook, load_book, written_here

__all__ = ["EVENT_KINDS", "EventConflictError", "EventIntake", "IntakeResult", "Notify",
           "Submission", "VersionNotEffectiveError", "body_hash"]

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


class VersionNotEffectiveError(UsageError):
    """An event that names a contract version which does not decide at its time (422)."""

    def __init__(self, event_id: str, named: int, deciding: int, at: datetime) -> None:
        super().__init__(
            f"event {event_id!r}: field 'contract_version' is {named}, but version "
            f"{deciding} decides events at {naive_utc(at).isoformat()} (a version decides "
            "only once both owners signed it and from its effective date; see "
            "`accord contract history`)")


# --- the event bodies -----------------------------------------------------------------------

Text = StrictStr
#: A deal amount in the contract currency: a finite number, not negative, below 10^15.
Amount = Annotated[StrictFloat | StrictInt, Field(ge=0, lt=10**15, allow_inf_nan=False)]
#: The earliest event time accepted (the store and the analytics keep nanosecond times).
EARLIEST = datetime(1970, 1, 1)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lead_id: Text = Field(min_length=1)
    at: datetime
    contract_version: StrictInt | None = Field(
        default=None, description="The contract version the sender expects to decide; "
        "refused when another version decides events at `at`.")

    @field_validator("at")
    @classmethod
    def _since_1970(cls, at: datetime) -> datetime:
        if naive_utc(at) < EARLIEST:
            raise ValueError("an event time from 1970 on is expected")
        return at


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


class MoveBody(_Body):
    kind: Literal["move"]
    to_stage: Text = Field(min_length=1, description="A stage the contract names, e.g. the "
                           "qualified stage (`SQL` in the starter contract)")
    reason: Text | None = None
    rep_id: Text | None = None


class OpportunityCreatedBody(_Body):
    kind: Literal["opportunity_created"]
    opportunity_id: Text
    amount: Amount = 0.0
    owner_rep_id: Text | None = None
    account_id: Text | None = None
    source: Text | None = None
    type: Text | None = Field(default=None, description="`new_business` (the default), "
                              "`renewal` or `expansion` (docs/facts.md)")
    prior_amount: Amount | None = Field(default=None, description="A renewal's value up for "
                                        "renewal")

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and value not in OPPORTUNITY_TYPES:
            raise ValueError(f"expected one of {', '.join(OPPORTUNITY_TYPES)}")
        return value


class OpportunityUpdatedBody(_Body):
    kind: Literal["opportunity_updated"]
    opportunity_id: Text
    amount: Amount | None = None
    owner_rep_id: Text | None = None
    source: Text | None = None


class OpportunityClosedBody(_Body):
    kind: Literal["opportunity_closed"]
    opportunity_id: Text
    won: StrictBool
    close_reason: Text | None = None


EventBody = Annotated[
    LeadCreatedBody | TouchBody | ActivityBody | AcceptBody | RejectBody | MoveBody
    | OpportunityCreatedBody | OpportunityUpdatedBody | OpportunityClosedBody,
    Field(discriminator="kind")]
_BODY: TypeAdapter[Any] = TypeAdapter(EventBody)

EVENT_KINDS: tuple[str, ...] = ("lead_created", "touch", "activity", "accept", "reject",
                                "move", "opportunity_created", "opportunity_updated",
                                "opportunity_closed")


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
        # the location without the kind and the union member pydantic tried (`.float`)
        loc = [str(p) for p in err["loc"] if p not in _UNION_MEMBERS]
        field = ".".join(loc[1:] if loc and loc[0] == kind else loc) or "body"
        raise UsageError(f"event {event_id!r} ({kind}): field {field!r}: {err['msg']}") \
            from None


_UNION_MEMBERS = frozenset({"float", "int", "str", "bool", "function-after[_since_1970()]"})


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


@dataclass(frozen=True)
class Submission:
    """One event offered to `EventIntake.submit_many`: its id, body and sender (`actor`,
    the token's name); `role` is the sender's role for the audit log (no audit row when
    None)."""

    event_id: str
    body: Mapping[str, Any]
    actor: str
    role: str | None = None


@dataclass
class _Pending:
    """What one accepted event writes, gathered before the batch's one transaction."""

    rows: dict[str, list[dict[str, Any]]]
    updates: list[tuple[str, tuple[Any, ...]]]  # (SQL, parameters): deals as last known


#: How many recent answers are kept in memory for replays (older ones are read back).
ANSWER_CACHE = 50_000


class EventIntake:
    """Idempotent live intake over one store and one compiled contract (module docstring).

    `clock` is the engine's clock (events dated after it are refused); `notify` gives the
    outbox rows an event's decision owes (`Notify`)."""

    def __init__(self, store: Store, contract: CompiledContract, *,
                 clock: Callable[[], datetime] = utc_now, notify: Notify | None = None
                 ) -> None:
        self.store = store
        self.contract = contract
        self.clock = clock
        self.notify = notify
        self._lock = threading.RLock()
        store.ensure_service_tables()
        self.skipped_on_start = 0
        self._book_key: tuple[int, int] | None = None
        self._book_valid_until = float("-inf")
        self._written_seen = written_here()
        self.book = VersionBook((), ())
        # The idempotency index: every received id with its body hash, and the last
        # position (seq) applied; read before the engine is built, so a catch-up never
        # misses an event another worker stored meanwhile (module docstring).
        self._seen: dict[str, str] = {}
        self._answers: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._last_seq = 0
        with self.store.transaction() as cur:
            for event_id, digest, seq in self.store.query(
                    cur, "SELECT event_id, body_sha256, seq FROM received_events"):
                self._seen[event_id] = digest
                self._last_seq = max(self._last_seq, int(seq or 0))
            self._refresh_versions(cur)
        self.engine = self._build()
        self._engines: dict[str, Engine] = {"workspace": self.engine}
        self.caught_up = 0
        self._stale = False  # a failed batch could not rebuild from the store (outage)

    def versions_changed(self) -> None:
        """Say a proposal or signature was just stored (the API's sign-off endpoints), so
        the next event reads the versions again."""
        self._book_valid_until = float("-inf")

    def _refresh_versions(self, cur: Any) -> None:
        """Re-read the stored versions when a proposal or signature was added: on a store
        with one writing process only when `versions_changed` said so or this process
        stored one (`contract_versions.written_here`); where other
        processes write (PostgreSQL), also when the last look is over a second old (two
        counts, then the versions only if one moved)."""
        now = time.monotonic()
        if now < self._book_valid_until and written_here() == self._written_seen:
            return
        self._written_seen = written_here()
        self._book_valid_until = now + 1.0 if self.store.many_writers else float("inf")
        row = self.store.query(cur, "SELECT (SELECT COUNT(*) FROM contract_proposals), "
                                    "(SELECT COUNT(*) FROM contract_signatures)")[0]
        key = (int(row[0]), int(row[1]))
        if key != self._book_key:
            self.book = load_book(self.store, ensure=False)
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
    def read(self, work: Callable[[], T]) -> T:
        """Run `work()` serialised with the writer (the store has one connection)."""
        with self._lock:
            if self._stale:
                self._recover()
            return work()

    def received(self, event_id: str) -> tuple[str, dict[str, Any]] | None:
        """(body hash, answer) of a received event id, or None."""
        with self._lock, self.store.transaction() as cur:
            rows = self.store.query(cur, "SELECT body_sha256, answer FROM received_events "
                                         "WHERE event_id = %s", (event_id,))
        if not rows:
            return None
        return str(rows[0][0]), json.loads(rows[0][1])

    def lead_decisions(self, lead_id: str) -> list[dict[str, Any]]:
        """The decision log of one lead, oldest first (`UnknownNameError`-free: an empty
        list for a lead never decided about)."""
        t = self.store.service_table("decisions")
        rows = t.filter(t.lead_id == lead_id).to_pyarrow().to_pylist()
        rows.sort(key=lambda r: (r["decided_at"], r["recorded_at"],
                                 int(r["decision_id"].rsplit(":", 1)[1])
                                 if r["decision_id"].rsplit(":", 1)[-1].isdigit() else 0,
                                 r["event_id"]))
        return rows

    # -- writing ---------------------------------------------------------------------------
    def write(self, work: Callable[[Any, Engine], T]) -> T:
        """Run `work(cur, engine)` as the intake's writer: serialised with every event,
        inside one store transaction (rolled back if `work` raises), after the events
        other workers stored were applied. The SLA scheduler and the webhook dispatcher do
        their store work through this, so the store has one writer. `engine` is the live
        engine of the workspace contract's current state; `work` must not keep `cur`."""
        with self._lock:
            if self._stale:
                self._recover()
            with self.store.transaction() as cur:
                self.store.lock_writers(cur)
                self._catch_up(cur)
                return work(cur, self.engine)

    def submit(self, event_id: str, body: Mapping[str, Any], *, actor: str,
               role: str | None = None) -> IntakeResult:
        """Decide and store one event; see the module docstring for the rules. Raises the
        event's error (`UsageError`, `EngineError`, `EventConflictError`, `StoreError`)."""
        result = self.submit_many([Submission(event_id, body, actor, role)])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def submit_many(self, batch: Sequence[Submission]
                    ) -> list[IntakeResult | AccordError]:
        """Decide and store several events in one transaction (group commit): each gets
        its own answer or its own error, in order. An event refused by the rules refuses
        only itself; when the transaction itself fails, the engine is rebuilt from the
        store and the events are retried one per transaction, so one bad event never
        sinks the others and nothing is answered that was not stored."""
        with self._lock:
            if self._stale:  # the store was out when a batch failed: re-read it first
                self._recover()
            try:
                return self._submit_batch(batch)
            except Exception:
                self._recover()
            out: list[IntakeResult | AccordError] = []
            for item in batch:  # again, one per transaction, from the store's state
                try:
                    out += self._submit_batch([item])
                except Exception as exc:
                    self._recover()
                    out.append(self._store_error(item.event_id, exc))
            return out

    def _store_error(self, event_id: str, exc: Exception) -> AccordError:
        if isinstance(exc, AccordError):
            return exc
        return StoreError(f"event {event_id!r} could not be stored: "
                          f"{type(exc).__name__}: {exc}")

    def _recover(self) -> None:
        """After a failed transaction: forget what it would have stored and rebuild the
        engine from the store, so memory never runs ahead of the store. When the store
        cannot be read (an outage) the intake stays stale and the next read, write or
        event tries again before anything else."""
        self._stale = True
        with self.store.transaction() as cur:
            self._seen = {}
            self._last_seq = 0
            for event_id, digest, seq in self.store.query(
                    cur, "SELECT event_id, body_sha256, seq FROM received_events"):
                self._seen[event_id] = digest
                self._last_seq = max(self._last_seq, int(seq or 0))
        self._answers.clear()
        try:
            self.engine = self._build()
        except Exception as exc:  # the store went while it was read: 503, not 500
            if (down := self.store.unavailable(exc)) is None:
                raise
            raise down from exc
        self._engines = {"workspace": self.engine}
        self._stale = False

    def _submit_batch(self, batch: Sequence[Submission]
                      ) -> list[IntakeResult | AccordError]:
        results: list[IntakeResult | AccordError] = []
        pending = _Pending({}, [])
        fresh: dict[str, tuple[str, dict[str, Any]]] = {}  # accepted in this batch
        now = naive_utc(utc_now())
        with self.store.transaction() as cur:
            self.store.lock_writers(cur)
            self._catch_up(cur)
            self._refresh_versions(cur)
            for item in batch:
                try:
                    results.append(self._one(cur, item, pending, fresh, now))
                except AccordError as exc:
                    results.append(exc)
            for name in ("received_events", *FACT_TABLES, "decisions", "outbox",
                         "audit_log"):
                rows = pending.rows.get(name)
                if rows:
                    self.store.append_rows(cur, name, rows)
            for sql, params in pending.updates:
                self.store.execute(cur, sql, params)
        for event_id, (digest, answer) in fresh.items():  # committed: now they count
            self._seen[event_id] = digest
            self._remember(event_id, answer)
        self._last_seq += len(fresh)
        return results

    def _remember(self, event_id: str, answer: dict[str, Any]) -> None:
        self._answers[event_id] = answer
        if len(self._answers) > ANSWER_CACHE:
            self._answers.popitem(last=False)

    def _catch_up(self, cur: Any) -> None:
        """Apply the events other writers (server workers) stored since this one's last
        position, in their order, so every worker decides from the same state. A store
        with one writing process (DuckDB) has none to apply."""
        if not self.store.many_writers:
            return
        rows = self.store.query(
            cur, "SELECT seq, event_id, body_sha256, body, actor, answer FROM received_events "
                 "WHERE seq > %s ORDER BY seq", (self._last_seq,))
        for seq, event_id, digest, body, actor, answer in rows:
            self._last_seq = int(seq)
            if event_id in self._seen:
                continue
            self._seen[event_id] = str(digest)
            self._remember(str(event_id), json.loads(answer))
            try:
                parsed = _parse(event_id, json.loads(body))
                contract = self.contract_at(parsed.at)
                self._engine_for(contract).handle(
                    self._event(event_id, parsed, actor, contract))
            except (EngineError, UsageError):
                pass  # already applied from the facts this engine was built from
            self.caught_up += 1

    def _one(self, cur: Any, item: Submission, pending: _Pending,
             fresh: dict[str, tuple[str, dict[str, Any]]], now: datetime) -> IntakeResult:
        event_id, body = item.event_id, item.body
        if not isinstance(event_id, str) or not event_id:
            raise UsageError("field 'id': an event needs a non-empty string id")
        digest = body_hash(body)
        known = fresh.get(event_id)
        if known is not None or event_id in self._seen:
            stored = known[0] if known is not None else self._seen[event_id]
            if stored != digest:
                raise EventConflictError(event_id)
            answer = known[1] if known is not None else self._answer(cur, event_id)
            return IntakeResult(event_id, answer, replayed=True)
        parsed = _parse(event_id, body)
        contract = self.contract_at(parsed.at)
        if parsed.contract_version is not None and parsed.contract_version != contract.version:
            raise VersionNotEffectiveError(event_id, parsed.contract_version,
                                           contract.version, parsed.at)
        engine = self._engine_for(contract)
        event = self._event(event_id, parsed, item.actor, contract)
        previous = engine.decision(event.lead_id) if event.lead_id in engine.lead_ids \
            else None
        decision = engine.handle(event)  # refused: raises, nothing applied
        answer = _jsonable({"event_id": event_id, "kind": parsed.kind,
                            "contract_version": contract.version, **decision.as_dict()})
        self._gather(pending, event_id, parsed, event, decision, previous, answer, digest,
                     item, contract.version, body, now, engine.lifecycle.initial)
        fresh[event_id] = (digest, answer)
        return IntakeResult(event_id, answer, replayed=False)

    def _answer(self, cur: Any, event_id: str) -> dict[str, Any]:
        answer = self._answers.get(event_id)
        if answer is None:
            rows = self.store.query(cur, "SELECT answer FROM received_events "
                                         "WHERE event_id = %s", (event_id,))
            if not rows:  # pragma: no cover - the index and the store disagree
                raise StoreError(f"event {event_id!r}: received but its answer is missing")
            answer = json.loads(rows[0][0])
            self._remember(event_id, answer)
        return answer

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
            case MoveBody():
                return StageDecision(event_id, b.lead_id, c.stages.stage(b.to_stage), at,
                                     b.rep_id or actor, b.reason)
            case OpportunityCreatedBody():
                return OpportunityCreated(b.opportunity_id, b.lead_id, at, float(b.amount),
                                          b.owner_rep_id, b.account_id, b.source)
            case OpportunityUpdatedBody():
                if b.amount is None and b.owner_rep_id is None and b.source is None:
                    raise UsageError(f"event {event_id!r}: an opportunity_updated event "
                                     "needs at least one of 'amount', 'owner_rep_id', "
                                     "'source'")
                return OpportunityUpdated(event_id, b.opportunity_id, b.lead_id, at,
                                          None if b.amount is None else float(b.amount),
                                          b.owner_rep_id, b.source)
            case OpportunityClosedBody():
                return OpportunityClosed(b.opportunity_id, b.lead_id, at, b.won,
                                         b.close_reason)
        raise UsageError(f"event {event_id!r}: unknown kind")  # pragma: no cover

    def _gather(self, pending: _Pending, event_id: str, b: Any, event: Event,
                decision: Decision, previous: Decision | None, answer: Mapping[str, Any],
                digest: str, item: Submission, version: int, body: Mapping[str, Any],
                now: datetime, initial: str) -> None:
        """Add the rows one accepted event writes to the batch (module docstring)."""
        rows = pending.rows
        match event:
            case LeadCreated():
                rows.setdefault("leads", []).append(event.fact())
            case Touch():
                rows.setdefault("touches", []).append(event.fact())
            case Activity():
                rows.setdefault("activities", []).append(event.fact())
            case OpportunityCreated():
                rows.setdefault("opportunities", []).append({
                    "opportunity_id": event.opportunity_id, "lead_id": event.lead_id,
                    "account_id": event.account_id, "owner_rep_id": event.owner_rep_id,
                    "created_at": event.at, "amount": event.amount, "status": "open",
                    "closed_at": None, "close_reason": None, "source": event.source,
                    "type": b.type, "prior_amount": None if b.prior_amount is None
                    else float(b.prior_amount)})
            case OpportunityUpdated():
                changed = {k: v for k, v in (("amount", event.amount),
                                             ("owner_rep_id", event.owner_rep_id),
                                             ("source", event.source)) if v is not None}
                pending.updates.append((
                    "UPDATE opportunities SET "
                    + ", ".join(f"{k} = %s" for k in changed)
                    + " WHERE opportunity_id = %s AND status = 'open'",
                    (*changed.values(), event.opportunity_id)))
            case OpportunityClosed():
                pending.updates.append((
                    "UPDATE opportunities SET status = %s, closed_at = %s, close_reason = %s "
                    "WHERE opportunity_id = %s AND status = 'open'",
                    ("won" if event.won else "lost", naive_utc(event.at),
                     event.close_reason, event.opportunity_id)))
            case _:
                pass
        rows.setdefault("stage_events", []).extend(
            e.as_row() for e in decision.events_emitted)
        at = naive_utc(event.at)
        seq = self._last_seq + len(rows.get("received_events", ())) + 1
        rows.setdefault("received_events", []).append({
            "event_id": event_id, "kind": b.kind, "lead_id": event.lead_id,
            "body_sha256": digest, "answer": json.dumps(answer, sort_keys=True),
            "contract_version": version, "received_at": now, "actor": item.actor,
            "seq": seq, "body": canonical_json(body)})
        log = [{"decision_id": f"{event_id}:{n}", "event_id": event_id,
                "lead_id": event.lead_id, "kind": kind, "name": name, "value": value,
                "decided_at": at, "contract_version": version, "recorded_at": now}
               for n, (kind, name, value) in enumerate(_log_rows(decision, previous,
                                                                 initial))]
        rows.setdefault("decisions", []).extend(log)
        if self.notify is not None:
            rows.setdefault("outbox", []).extend(
                self.notify(event_id, event.lead_id, log, version, at))
        if item.role is not None:
            rows.setdefault("audit_log", []).append({
                "audit_id": event_id, "event_id": event_id, "token_name": item.actor,
                "role": item.role, "written_at": now})


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
