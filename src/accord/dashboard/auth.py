"""Dashboard login: a session cookie signed per token, and CSRF tokens for its forms.

Someone logs in by pasting an API token (`accord token create`); the page never keeps the
token. The session cookie is `<token_id>.<expires>.<signature>`:

- `signature` is HMAC-SHA256 over `<token_id>.<expires>` with a key derived from the
  token's stored hash (`TokenCheck.by_id`), which only the store holds: every server
  worker can check it, and revoking the token ends its sessions (within the token
  check's few seconds), as does its expiry (`SESSION_HOURS`).
- The cookie is HttpOnly, SameSite=Lax, Path=/, and Secure when the request came over
  HTTPS.
- Each form carries a CSRF token: HMAC of the session cookie under the same key, so it
  is bound to the session and needs no storage. The login form, before any session,
  uses a double-submit token: a random value in a short-lived cookie and in the form.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from accord.api.tokens import TokenCheck, TokenInfo

SESSION_COOKIE = "accord_session"
LOGIN_CSRF_COOKIE = "accord_login_csrf"
#: How long a dashboard session lasts.
SESSION_HOURS = 8


@dataclass(frozen=True)
class DashboardSession:
    """A checked session: who, and the CSRF token its forms must send back."""

    who: TokenInfo
    cookie: str
    csrf: str


def _sign(key: bytes, payload: str) -> str:
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


def issue_cookie(tokens: TokenCheck, who: TokenInfo,
                 clock: Callable[[], float] = time.time) -> str:
    """A new session cookie value for the (already verified) token `who`."""
    found = tokens.by_id(who.token_id)
    if found is None:
        raise ValueError("the token was revoked while logging in")
    expires = int(clock()) + SESSION_HOURS * 3600
    payload = f"{who.token_id}.{expires}"
    return f"{payload}.{_sign(found[1], payload)}"


def check_cookie(tokens: TokenCheck, cookie: str | None,
                 clock: Callable[[], float] = time.time) -> DashboardSession | None:
    """The session a cookie stands for, or None when it is missing, forged, expired or
    its token revoked."""
    if not cookie:
        return None
    parts = cookie.split(".")
    if len(parts) != 3 or not parts[1].isdigit():
        return None
    token_id, expires, signature = parts
    if int(expires) < clock():
        return None
    found = tokens.by_id(token_id)
    if found is None:
        return None
    who, key = found
    if not hmac.compare_digest(_sign(key, f"{token_id}.{expires}"), signature):
        return None
    return DashboardSession(who, cookie, _sign(key, "csrf:" + cookie))


def csrf_matches(session: DashboardSession, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(session.csrf, sent or "")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)
