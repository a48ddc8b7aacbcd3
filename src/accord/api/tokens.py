"""API tokens and roles (issue 13, item 4).

A token is `acc_<token_id>_<secret>`: `token_id` (12 hex digits) is public and finds the
token's row in `api_tokens`; `secret` is `secrets.token_urlsafe(32)` (256 bits). Only a
salted scrypt hash of the secret is stored (n=2^14, r=8, p=1, a 16-byte salt per token);
the whole token is shown once, at creation, and never again (not in `list`, logs, errors
or `--json`).

Roles: viewer, marketing, sales, revops, admin. Every read needs a token of any role;
`WRITE_ROLES` says which roles may send each event kind (only sales, or admin, accept or
reject a lead).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from accord.contract.instants import naive_utc, utc_now
from accord.errors import UnknownNameError, UsageError
from accord.store.audit import write_audit
from accord.store.base import Store

ROLES: Final[tuple[str, ...]] = ("viewer", "marketing", "sales", "revops", "admin")

#: Which roles may send each event kind to `POST /v1/events`.
WRITE_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "lead_created": ("marketing", "revops", "admin"),
    "touch": ("marketing", "revops", "admin"),
    "activity": ("sales", "revops", "admin"),
    "opportunity_created": ("sales", "revops", "admin"),
    "opportunity_updated": ("sales", "revops", "admin"),
    "opportunity_closed": ("sales", "revops", "admin"),
    "accept": ("sales", "admin"),
    "reject": ("sales", "admin"),
    "move": ("sales", "admin"),
}

_PREFIX = "acc_"
_TOKEN = re.compile(r"^acc_(?P<id>[0-9a-f]{12})_(?P<secret>[A-Za-z0-9_-]{20,})$")
_SCRYPT: Final[dict[str, int]] = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


@dataclass(frozen=True)
class TokenInfo:
    """A token's public row (never the secret nor its hash)."""

    token_id: str
    name: str
    role: str
    created_at: datetime
    revoked_at: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {"token_id": self.token_id, "name": self.name, "role": self.role,
                "created_at": self.created_at.isoformat(),
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None}


def _hash(secret: str, salt: bytes) -> str:
    return hashlib.scrypt(secret.encode(), salt=salt, maxmem=64 * 1024 * 1024,
                          **_SCRYPT).hex()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise UnknownNameError("role", role, ROLES, where="--role")
    return role


def create_token(store: Store, name: str, role: str, *,
                 who: tuple[str, str] | None = None) -> tuple[str, TokenInfo]:
    """A new token for `role` named `name`: (the token, shown once; its public row).
    `who` (name, role) is audited as the writer (default: this machine's user)."""
    check_role(role)
    if not name.strip():
        raise UsageError("--name: a token needs a name (who or what uses it)")
    store.ensure_service_tables()
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    now = naive_utc(utc_now())
    with store.transaction() as cur:
        store.insert_rows(cur, "api_tokens", [{
            "token_id": token_id, "name": name, "role": role, "salt": salt.hex(),
            "hash": _hash(secret, salt), "created_at": now, "revoked_at": None}])
        write_audit(store, cur, f"token-create:{token_id}", who)
    return f"{_PREFIX}{token_id}_{secret}", TokenInfo(token_id, name, role, now, None)


def list_tokens(store: Store) -> list[TokenInfo]:
    """Every token's public row, oldest first."""
    store.ensure_service_tables()
    rows = store.service_table("api_tokens").to_pyarrow().to_pylist()
    rows.sort(key=lambda r: (r["created_at"], r["token_id"]))
    return [TokenInfo(r["token_id"], r["name"], r["role"], r["created_at"], r["revoked_at"])
            for r in rows]


def revoke_token(store: Store, token_id: str, *,
                 who: tuple[str, str] | None = None) -> TokenInfo:
    """Revoke a token by its public id (a full token is accepted too); `who` as in
    `create_token`."""
    m = _TOKEN.match(token_id)
    wanted = m["id"] if m else token_id
    known = {t.token_id: t for t in list_tokens(store)}
    if wanted not in known:
        raise UnknownNameError("token", wanted, sorted(known))
    now = naive_utc(utc_now())
    with store.transaction() as cur:
        store.execute(cur, "UPDATE api_tokens SET revoked_at = %s WHERE token_id = %s AND "
                           "revoked_at IS NULL", (now, wanted))
        write_audit(store, cur, f"token-revoke:{wanted}", who)
    t = known[wanted]
    return TokenInfo(t.token_id, t.name, t.role, t.created_at, t.revoked_at or now)


class TokenCheck:
    """Verifies bearer tokens against `api_tokens`. A verified secret is remembered (by
    its SHA-256) so scrypt runs once per token per process; the token's row (and so its
    revocation) is re-read from the store when it is more than `ttl` seconds old, so a
    revoked token stops working within `ttl` seconds (default 2) on every server
    worker. `read(work)` runs the store read (the server serialises it with its writer)."""

    def __init__(self, store: Store, *, ttl: float = 2.0,
                 read: Callable[[Callable[[], Any]], Any] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.ttl = ttl
        self._read = read or (lambda work: work())
        self._clock = clock
        self._verified: dict[str, str] = {}  # sha256(token) -> token_id
        self._rows: dict[str, tuple[float, dict[str, Any] | None]] = {}  # id -> (read at, row)

    def _row(self, token_id: str) -> dict[str, Any] | None:
        now = self._clock()
        cached = self._rows.get(token_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]

        def read() -> list[tuple[Any, ...]]:
            with self.store.transaction() as cur:
                return self.store.query(
                    cur, "SELECT token_id, name, role, salt, hash, created_at, revoked_at "
                         "FROM api_tokens WHERE token_id = %s", (token_id,))
        rows = self._read(read)
        keys = ("token_id", "name", "role", "salt", "hash", "created_at", "revoked_at")
        row = dict(zip(keys, rows[0], strict=True)) if rows else None
        if len(self._rows) > 10_000:
            self._rows.clear()
        self._rows[token_id] = (now, row)
        return row

    def fresh(self, token: str) -> bool:
        """Whether `identify(token)` can answer from memory (no store read)."""
        m = _TOKEN.match(token)
        if m is None:
            return True  # refused without reading anything
        cached = self._rows.get(m["id"])
        return cached is not None and self._clock() - cached[0] < self.ttl

    def identify(self, token: str | None) -> TokenInfo | None:
        """The token's row when `token` is a valid, unrevoked token; None otherwise."""
        if not token:
            return None
        m = _TOKEN.match(token)
        if m is None:
            return None
        row = self._row(m["id"])
        if row is None or row["revoked_at"] is not None:
            return None
        key = hashlib.sha256(token.encode()).hexdigest()
        if self._verified.get(key) != row["token_id"]:
            if not hmac.compare_digest(_hash(m["secret"], bytes.fromhex(row["salt"])),
                                       row["hash"]):
                return None
            self._verified[key] = row["token_id"]
        return TokenInfo(row["token_id"], row["name"], row["role"], row["created_at"], None)

    def by_id(self, token_id: str) -> tuple[TokenInfo, bytes] | None:
        """A dashboard session's token (`dashboard/auth.py`): its public row and the key its
        session cookies are signed with (derived from the stored hash, which only the store
        holds), when the token exists and is not revoked; None otherwise. Read like
        `identify`: a revocation shows within `ttl` seconds."""
        row = self._row(token_id)
        if row is None or row["revoked_at"] is not None:
            return None
        key = hashlib.sha256(b"accord-dashboard-session:" + row["hash"].encode()).digest()
        return (TokenInfo(row["token_id"], row["name"], row["role"], row["created_at"], None),
                key)
