"""Webhooks through an outbox (issue 13, item 6): who is told about a decision, and how.

A decision the service acts on — an owner assignment, an SLA warning, breach or
escalation, a reassignment — owes a message. `outbox_rows` (the live intake's `Notify`)
turns an event's decision log rows into `outbox` rows, which the intake writes in the
same transaction as the decision: a decision committed is a message owed, and a message
owed is a decision committed.

The `Dispatcher` (a thread of `accord serve`) drains the outbox: each message goes to
every webhook endpoint registered when it was written (`webhook_endpoints`; `accord
webhooks add|list|remove`), one POST per (message, endpoint), its state kept in
`webhook_deliveries` (`pending`, `delivered`, `parked`; attempts, the last error, the next
attempt). A POST is signed: `X-Accord-Timestamp` (Unix seconds) and `X-Accord-Signature:
sha256=<hex HMAC-SHA256 of "<timestamp>.<body>" keyed with the endpoint's secret>`;
`X-Accord-Delivery` is the message's delivery id. A 2xx answer delivers it; anything else
(another status, a refused connection, a timeout) is retried after an exponential backoff
with jitter (`backoff × 2^(attempts−1)`, capped, times a random factor in [0.75, 1]),
and parked after the endpoint's (or the dispatcher's) maximum of attempts.

At least once: the delivery state is in the store and changes only after the POST's
answer, so a crash between the decision's commit and the POST, or during a POST, loses
nothing — the message is sent when a dispatcher next runs (a claimed POST whose answer
was never recorded is sent again after its lease). A receiver can therefore see a
delivery id twice and should drop the repeat. Messages delivered are never sent again.

Store work goes through the intake's writer (`EventIntake.write`): one connection, one
writer (and on PostgreSQL the workers' writer lock, so two workers never claim the same
delivery); the POSTs happen outside it. Secrets sign requests and are never logged,
printed after creation or put in an error.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import random
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from accord.contract.instants import naive_utc, utc_now
from accord.engine.intake import EventIntake
from accord.errors import UnknownNameError, UsageError
from accord.store.audit import write_audit
from accord.store.base import Store

__all__ = ["DELIVERY_HEADER", "FORMATS", "MESSAGE_KINDS", "SIGNATURE_HEADER",
           "TIMESTAMP_HEADER", "Delivery", "DispatchSettings", "Dispatcher", "Endpoint",
           "add_endpoint", "delivery_log", "list_endpoints", "message_body", "outbox_rows",
           "remove_endpoint", "sign", "slack_text", "verify_signature"]

log = logging.getLogger("accord.webhooks")

#: The decision log kinds that owe a message, and the message's kind.
MESSAGE_KINDS: Final[dict[str, str]] = {
    "owner": "assignment",
    "sla_warning": "sla_warning",
    "sla_breach": "sla_breach",
    "sla_escalation": "sla_escalation",
    "reassignment": "reassignment",
}
#: Body formats an endpoint may take: the message itself, or Slack's `{"text": ...}`.
FORMATS: Final[tuple[str, ...]] = ("json", "slack")

DELIVERY_HEADER: Final = "X-Accord-Delivery"
TIMESTAMP_HEADER: Final = "X-Accord-Timestamp"
SIGNATURE_HEADER: Final = "X-Accord-Signature"
KIND_HEADER: Final = "X-Accord-Kind"

_LABELS: Final[dict[str, str]] = {
    "assignment": "assigned",
    "sla_warning": "SLA warning",
    "sla_breach": "SLA breached",
    "sla_escalation": "SLA escalation",
    "reassignment": "reassigned",
}


def _now() -> datetime:
    return naive_utc(utc_now())


# --- messages -------------------------------------------------------------------------------


def message_id(row: Mapping[str, Any], kind: str) -> str:
    """The delivery id of the message a decision row owes: `<event_id>:<kind>:<n>` for
    decision `<event_id>:<n>` (deterministic: the same decision, the same id)."""
    event_id, decision_id = str(row["event_id"]), str(row["decision_id"])
    n = decision_id[len(event_id) + 1:] if decision_id.startswith(f"{event_id}:") \
        else decision_id
    return f"{event_id}:{kind}:{n}"


def outbox_rows(event_id: str, lead_id: str, decision_rows: list[dict[str, Any]],
                contract_version: int, at: datetime) -> list[dict[str, Any]]:
    """The outbox rows an event's (or a scheduler firing's) decision log rows owe: one
    message per assignment (`owner`), SLA warning, breach, escalation and reassignment
    (the live intake's `Notify`). The payload is fixed here, so every retry sends the same
    bytes."""
    created = _now()
    out: list[dict[str, Any]] = []
    for row in decision_rows:
        kind = MESSAGE_KINDS.get(str(row["kind"]))
        if kind is None:
            continue
        mid = message_id(row, kind)
        decided = naive_utc(row.get("decided_at") or at)
        payload = {
            "delivery_id": mid, "kind": kind, "lead_id": lead_id,
            "event_id": str(row.get("event_id") or event_id),
            "decision": {"decision_id": row["decision_id"], "kind": row["kind"],
                         "name": row.get("name"), "value": row.get("value")},
            "contract_version": contract_version,
            "decided_at": decided.isoformat(),
        }
        out.append({"message_id": mid, "kind": kind, "lead_id": lead_id,
                    "event_id": payload["event_id"],
                    "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
                    "contract_version": contract_version, "created_at": created})
    return out


def slack_text(payload: Mapping[str, Any]) -> str:
    """One line for a person (the Slack-compatible body's `text`)."""
    d = payload.get("decision") or {}
    kind = str(payload.get("kind"))
    what = _LABELS.get(kind, kind)
    if kind in ("assignment", "reassignment"):
        head = f"lead {payload.get('lead_id')} {what} to {d.get('value')}"
    else:
        detail = " ".join(str(v) for v in (d.get("name"), d.get("value")) if v)
        head = f"{what} for lead {payload.get('lead_id')}" + (f": {detail}" if detail else "")
    return (f"accord: {head} (event {payload.get('event_id')}, contract version "
            f"{payload.get('contract_version')}, {payload.get('decided_at')})")


def message_body(payload: str, fmt: str) -> bytes:
    """The bytes POSTed for a stored payload in an endpoint's format."""
    if fmt == "slack":
        return json.dumps({"text": slack_text(json.loads(payload))}).encode()
    return payload.encode()


# --- signatures -----------------------------------------------------------------------------


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 of `<timestamp>.<body>` keyed with the secret (UTF-8)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(secret: str, timestamp: str, body: bytes | str, header: str, *,
                     tolerance: float | None = 300, now: float | None = None) -> bool:
    """Whether `header` (`X-Accord-Signature`) signs `body` at `timestamp`
    (`X-Accord-Timestamp`) with `secret`, and the timestamp is within `tolerance`
    seconds of `now` (None: any age). For receivers; compares in constant time."""
    raw = body.encode() if isinstance(body, str) else body
    if tolerance is not None:
        try:
            age = abs((time.time() if now is None else now) - int(timestamp))
        except ValueError:
            return False
        if age > tolerance:
            return False
    return hmac.compare_digest(sign(secret, timestamp, raw), header.strip())


# --- the endpoint registry ------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """A registered webhook URL (never its secret)."""

    endpoint_id: str
    name: str
    url: str
    format: str
    max_attempts: int | None
    created_at: datetime
    removed_at: datetime | None

    @property
    def shown_url(self) -> str:
        """The URL without credentials: no user, password or query; a Slack URL's path
        (itself a credential) as `…`."""
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
        path = "/…" if self.format == "slack" else parts.path
        return f"{parts.scheme}://{host}{path}"

    def as_dict(self) -> dict[str, Any]:
        return {"endpoint_id": self.endpoint_id, "name": self.name, "url": self.shown_url,
                "format": self.format, "max_attempts": self.max_attempts,
                "created_at": self.created_at.isoformat(),
                "removed_at": self.removed_at.isoformat() if self.removed_at else None}


_ENDPOINT_COLS = ("endpoint_id", "name", "url", "format", "max_attempts", "created_at",
                  "removed_at")


def _check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError("URL: a webhook needs an http:// or https:// URL with a host, e.g. "
                         "https://crm.example.com/hooks/accord")
    return url.strip()


def list_endpoints(store: Store, *, removed: bool = False) -> list[Endpoint]:
    """The registered endpoints, oldest first (with `removed`, the removed ones too)."""
    store.ensure_service_tables()
    with store.transaction() as cur:
        rows = store.query(cur, f"SELECT {', '.join(_ENDPOINT_COLS)} FROM webhook_endpoints "
                                "ORDER BY created_at, endpoint_id")
    out = [Endpoint(*r) for r in rows]
    return out if removed else [e for e in out if e.removed_at is None]


def add_endpoint(store: Store, url: str, *, name: str | None = None, slack: bool = False,
                 max_attempts: int | None = None,
                 who: tuple[str, str] | None = None) -> tuple[str, Endpoint]:
    """Register `url`: (its signing secret, shown once; the endpoint). It receives the
    messages written from now on. `name` defaults to the URL's host and must be unused."""
    url = _check_url(url)
    name = (name if name is not None else urlsplit(url).hostname or "").strip()
    if not name:
        raise UsageError("--name: a webhook endpoint needs a name")
    if max_attempts is not None and max_attempts < 1:
        raise UsageError(f"--max-attempts: {max_attempts} is not a positive number")
    taken = {e.name for e in list_endpoints(store)}
    if name in taken:
        raise UsageError(f"--name: a webhook endpoint named {name!r} exists; give another "
                         "name or remove it first")
    secret = f"whsec_{secrets.token_urlsafe(32)}"
    ep = Endpoint(f"wh_{secrets.token_hex(4)}", name, url, "slack" if slack else "json",
                  max_attempts, _now(), None)
    with store.transaction() as cur:
        store.insert_rows(cur, "webhook_endpoints", [{
            "endpoint_id": ep.endpoint_id, "name": ep.name, "url": ep.url,
            "format": ep.format, "secret": secret, "max_attempts": max_attempts,
            "created_at": ep.created_at, "removed_at": None}])
        write_audit(store, cur, f"webhook-add:{ep.endpoint_id}", who)
    return secret, ep


def remove_endpoint(store: Store, ref: str, *,
                    who: tuple[str, str] | None = None) -> Endpoint:
    """Remove an endpoint by id or name: nothing more is sent to it (its delivery log
    stays)."""
    active = list_endpoints(store)
    found = [e for e in active if ref in (e.endpoint_id, e.name)]
    if not found:
        raise UnknownNameError("webhook endpoint", ref,
                               [e.endpoint_id for e in active] + [e.name for e in active])
    ep = found[0]
    now = _now()
    with store.transaction() as cur:
        store.execute(cur, "UPDATE webhook_endpoints SET removed_at = %s WHERE endpoint_id = "
                           "%s AND removed_at IS NULL", (now, ep.endpoint_id))
        write_audit(store, cur, f"webhook-remove:{ep.endpoint_id}", who)
    return Endpoint(ep.endpoint_id, ep.name, ep.url, ep.format, ep.max_attempts,
                    ep.created_at, now)


# --- the delivery log -----------------------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One message's delivery to one endpoint: `pending` (due at `next_attempt_at`),
    `delivered`, `parked` (gave up after `attempts`), or `dropped` (the endpoint was
    removed before it was delivered)."""

    message_id: str
    kind: str
    lead_id: str
    endpoint_id: str
    endpoint: str
    status: str
    attempts: int
    last_status: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    def as_dict(self) -> dict[str, Any]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t is not None else None
        return {"message_id": self.message_id, "kind": self.kind, "lead_id": self.lead_id,
                "endpoint_id": self.endpoint_id, "endpoint": self.endpoint,
                "status": self.status, "attempts": self.attempts,
                "last_status": self.last_status, "last_error": self.last_error,
                "next_attempt_at": iso(self.next_attempt_at),
                "delivered_at": iso(self.delivered_at), "created_at": iso(self.created_at)}


def delivery_log(store: Store, *, parked_only: bool = False, limit: int | None = None
                 ) -> list[Delivery]:
    """Every message owed to every endpoint (registered when the message was written),
    newest first: a message no dispatcher has picked up yet shows as `pending`, due now."""
    store.ensure_service_tables()
    sql = (
        "SELECT o.message_id, o.kind, o.lead_id, e.endpoint_id, e.name, "
        "COALESCE(d.status, 'pending'), COALESCE(d.attempts, 0), d.last_status, "
        "d.last_error, CASE WHEN d.delivery_key IS NULL THEN o.created_at "
        "ELSE d.next_attempt_at END, d.delivered_at, o.created_at, e.removed_at "
        "FROM outbox o JOIN webhook_endpoints e ON e.created_at <= o.created_at "
        "AND (e.removed_at IS NULL OR o.created_at < e.removed_at) "
        "LEFT JOIN webhook_deliveries d ON d.message_id = o.message_id "
        "AND d.endpoint_id = e.endpoint_id "
        + ("WHERE d.status = 'parked' " if parked_only else "")
        + "ORDER BY o.created_at DESC, o.message_id DESC, e.endpoint_id")
    params: tuple[Any, ...] = ()
    if limit is not None:
        sql += " LIMIT %s"
        params = (limit,)
    with store.transaction() as cur:
        rows = store.query(cur, sql, params)
    out = []
    for r in rows:
        status, removed = r[5], r[12]
        if removed is not None and status == "pending":
            status = "dropped"
        out.append(Delivery(r[0], r[1], r[2], r[3], r[4], status, int(r[6]),
                            None if r[7] is None else int(r[7]), r[8],
                            r[9] if status == "pending" else None, r[10], r[11]))
    return out


# --- the dispatcher -------------------------------------------------------------------------


def _env_number(environ: Mapping[str, str], name: str, default: float, *,
                minimum: float) -> float:
    raw = environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw)
    except ValueError:
        raise UsageError(f"{name}: {raw!r} is not a number") from None
    if value < minimum:
        raise UsageError(f"{name}: {raw!r} is below {minimum:g}")
    return value


@dataclass(frozen=True)
class DispatchSettings:
    """How the dispatcher works: `poll` (seconds between looks at the outbox),
    `backoff` (seconds before the first retry; doubled each failure, up to
    `max_backoff`), `max_attempts` (failures before parking, unless the endpoint says),
    `timeout` (seconds per POST) and `batch` (deliveries claimed at once)."""

    poll: float = 1.0
    backoff: float = 10.0
    max_backoff: float = 3600.0
    max_attempts: int = 8
    timeout: float = 5.0
    batch: int = 50
    jitter: float = 0.25

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DispatchSettings:
        """The settings from `ACCORD_WEBHOOK_POLL`, `ACCORD_WEBHOOK_BACKOFF`,
        `ACCORD_WEBHOOK_MAX_BACKOFF`, `ACCORD_WEBHOOK_ATTEMPTS` and
        `ACCORD_WEBHOOK_TIMEOUT` (seconds; defaults otherwise)."""
        env = os.environ if environ is None else environ
        d = cls()
        return cls(
            poll=_env_number(env, "ACCORD_WEBHOOK_POLL", d.poll, minimum=0.001),
            backoff=_env_number(env, "ACCORD_WEBHOOK_BACKOFF", d.backoff, minimum=0.001),
            max_backoff=_env_number(env, "ACCORD_WEBHOOK_MAX_BACKOFF", d.max_backoff,
                                    minimum=0.001),
            max_attempts=int(_env_number(env, "ACCORD_WEBHOOK_ATTEMPTS", d.max_attempts,
                                         minimum=1)),
            timeout=_env_number(env, "ACCORD_WEBHOOK_TIMEOUT", d.timeout, minimum=0.001))

    @property
    def lease(self) -> float:
        """How long a claimed delivery waits for its answer to be recorded before another
        dispatcher may send it again (a crash mid-POST)."""
        return self.timeout + 30.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds before the next attempt after `attempts` failures: exponential,
        capped, with jitter (a factor in [1 − jitter, 1])."""
        base = min(self.max_backoff, self.backoff * 2.0 ** (attempts - 1))
        return float(base * (1.0 - self.jitter * rng.random()))


@dataclass(frozen=True)
class _Claim:
    key: str
    message_id: str
    endpoint_id: str
    attempts: int
    url: str
    format: str
    secret: str
    max_attempts: int | None
    payload: str
    kind: str


#: How far back each round looks for messages not yet fanned out to the endpoints.
_MARGIN = timedelta(seconds=60)
#: The dispatcher's scans, indexed on PostgreSQL.
_PG_INDEXES = (
    "CREATE INDEX IF NOT EXISTS outbox_created_at ON outbox (created_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries "
    "(status, next_attempt_at)",
    "CREATE INDEX IF NOT EXISTS webhook_deliveries_message ON webhook_deliveries "
    "(message_id, endpoint_id)",
)

_DELIVERY_COLS = ("delivery_key", "message_id", "endpoint_id", "status", "attempts",
                  "last_status", "last_error", "next_attempt_at", "delivered_at",
                  "updated_at")


class Dispatcher:
    """Drains the outbox to the registered endpoints in a thread (`start`, `stop`), or
    one round at a time (`run_once`); see the module docstring. Store work goes through
    `intake.write`; POSTs go through `client` (an `httpx.Client`; one is made)."""

    def __init__(self, intake: EventIntake, settings: DispatchSettings | None = None, *,
                 client: httpx.Client | None = None, rng: random.Random | None = None
                 ) -> None:
        self.intake = intake
        self.store = intake.store
        self.settings = settings or DispatchSettings.from_env()
        self._client = client
        self._rng = rng or random.Random()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # Messages written before this were fanned out to the endpoints already (the
        # first round looks at the whole outbox; later ones at the recent part).
        self._fanned_out: datetime | None = None

    # -- the thread ------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="accord-webhooks",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the POST in flight (at most one timeout)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.settings.timeout + 5.0)
            self._thread = None
        if self._client is not None:
            self._client.close()
            self._client = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.run_once()
            except Exception as exc:  # the store is down: try again next poll
                log.warning("webhook dispatcher: %s", type(exc).__name__)
                wait = self.settings.poll
            if wait > 0:
                self._stop.wait(wait)

    # -- one round -------------------------------------------------------------------------
    def run_once(self) -> float:
        """Claim the deliveries due, POST each, record each answer; the seconds until
        the next look (0 when there may be more due now)."""
        started = _now()
        claims, next_due = self.intake.write(lambda cur, _engine: self._claim(cur))
        # Writers hold the writer lock while they write the outbox, so every message
        # written before that round is committed and was fanned out (the margin is for
        # clocks).
        self._fanned_out = started
        for claim in claims:
            if self._stop.is_set():
                break  # its lease runs out; the next dispatcher sends it
            status, error = self._post(claim)
            self._save(claim, status, error)
        if claims:
            return 0.0
        if next_due is None:
            return self.settings.poll
        until = (next_due - _now()).total_seconds()
        return max(0.005, min(self.settings.poll, until))

    def _save(self, claim: _Claim, status: int | None, error: str | None) -> None:
        def work(cur: Any, _engine: Any) -> None:
            self._record(cur, claim, status, error)
        self.intake.write(work)

    def _claim(self, cur: Any) -> tuple[list[_Claim], datetime | None]:
        st = self.store
        now = _now()
        if self._fanned_out is None and st.backend_name == "postgresql":
            for sql in _PG_INDEXES:  # DuckDB's zone maps serve these scans already
                st.execute(cur, sql)
        since = datetime.min if self._fanned_out is None else self._fanned_out - _MARGIN
        st.execute(cur, (
            f"INSERT INTO webhook_deliveries ({', '.join(_DELIVERY_COLS)}) "
            "SELECT o.message_id || '@' || e.endpoint_id, o.message_id, e.endpoint_id, "
            "'pending', 0, NULL, NULL, CAST(%s AS TIMESTAMP), NULL, CAST(%s AS TIMESTAMP) "
            "FROM outbox o JOIN webhook_endpoints e ON e.created_at <= o.created_at "
            "WHERE e.removed_at IS NULL AND o.created_at >= %s AND NOT EXISTS (SELECT 1 "
            "FROM webhook_deliveries d WHERE d.message_id = o.message_id AND "
            "d.endpoint_id = e.endpoint_id) ON CONFLICT DO NOTHING"), (now, now, since))
        rows = st.query(cur, (
            "SELECT d.delivery_key, d.message_id, d.endpoint_id, d.attempts, e.url, "
            "e.format, e.secret, e.max_attempts, o.payload, o.kind "
            "FROM webhook_deliveries d "
            "JOIN webhook_endpoints e ON e.endpoint_id = d.endpoint_id "
            "JOIN outbox o ON o.message_id = d.message_id "
            "WHERE d.status = 'pending' AND e.removed_at IS NULL AND d.next_attempt_at <= %s "
            "ORDER BY o.created_at, d.message_id, d.endpoint_id LIMIT %s"),
            (now, self.settings.batch))
        claims = [_Claim(r[0], r[1], r[2], int(r[3]), r[4], r[5], r[6],
                         None if r[7] is None else int(r[7]), r[8], r[9]) for r in rows]
        lease = now + timedelta(seconds=self.settings.lease)
        for c in claims:
            st.execute(cur, "UPDATE webhook_deliveries SET next_attempt_at = %s, "
                            "updated_at = %s WHERE delivery_key = %s", (lease, now, c.key))
        due = st.query(cur, "SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN "
                            "webhook_endpoints e ON e.endpoint_id = d.endpoint_id WHERE "
                            "d.status = 'pending' AND e.removed_at IS NULL")
        return claims, due[0][0] if due else None

    def _post(self, c: _Claim) -> tuple[int | None, str | None]:
        """(HTTP status or None, the error or None) of one POST."""
        if self._client is None:
            self._client = httpx.Client(timeout=self.settings.timeout,
                                        follow_redirects=False)
        body = message_body(c.payload, c.format)
        stamp = str(int(time.time()))
        headers = {"Content-Type": "application/json", "User-Agent": "accord-webhooks/1",
                   DELIVERY_HEADER: c.message_id, TIMESTAMP_HEADER: stamp,
                   KIND_HEADER: c.kind, SIGNATURE_HEADER: sign(c.secret, stamp, body)}
        try:
            r = self._client.post(c.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            text = " ".join(str(exc).replace(c.url, "<url>").split())
            return None, f"{type(exc).__name__}: {text}"[:300]
        if 200 <= r.status_code < 300:
            return r.status_code, None
        return r.status_code, f"HTTP {r.status_code}"

    def _record(self, cur: Any, c: _Claim, status: int | None, error: str | None) -> None:
        now = _now()
        attempts = c.attempts + 1
        if error is None:
            self.store.execute(cur, (
                "UPDATE webhook_deliveries SET status = 'delivered', attempts = %s, "
                "last_status = %s, last_error = NULL, next_attempt_at = NULL, "
                "delivered_at = %s, updated_at = %s WHERE delivery_key = %s"),
                (attempts, status, now, now, c.key))
            log.info("webhook %s delivered to %s (attempt %d)", c.message_id,
                     c.endpoint_id, attempts)
            return
        limit = c.max_attempts or self.settings.max_attempts
        parked = attempts >= limit
        due = None if parked else \
            now + timedelta(seconds=self.settings.delay(attempts, self._rng))
        self.store.execute(cur, (
            "UPDATE webhook_deliveries SET status = %s, attempts = %s, last_status = %s, "
            "last_error = %s, next_attempt_at = %s, updated_at = %s WHERE delivery_key = %s"),
            ("parked" if parked else "pending", attempts, status, error, due, now, c.key))
        log.warning("webhook %s to %s failed (attempt %d): %s%s", c.message_id,
                    c.endpoint_id, attempts, error, "; parked" if parked else "")

