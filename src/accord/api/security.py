"""The security basics of `accord serve` a buyer's review asks for (issue 13, item 9).

One pure ASGI middleware (`SecurityMiddleware`, installed by `install_security`) sits in
front of every route and does three things, with no store access and no per-request
allocation beyond a few small tuples:

- **Per-token rate limits.** A token bucket per token id (the public `acc_<id>_…` part of
  the bearer token — never the secret): `rate` requests per second, bursts of `burst`. A
  request over it is answered `429` with `Retry-After` (whole seconds, at least 1) and
  `{"error": ...}` naming the token id and the limit, before any route runs. Requests
  without a well-formed token share a bucket per client address. The limit holds per
  server process (`--workers N` gives each worker its own buckets). Default: 50 requests/s,
  bursts of 100; `ACCORD_RATE_LIMIT` overrides it (`RATE/BURST`, e.g. `500/1000`, or
  `off`). A token id is not a secret, so someone who knows one can spend its bucket; they
  still get nothing but `401`s and `429`s.
- **Request size.** A body over `max_body` bytes is refused with `413`: by its
  `Content-Length` before a byte is read, and, for a body sent without one (chunked), as
  soon as the bytes read pass the limit.
- **Security headers** on every response, errors included: `X-Content-Type-Options:
  nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
  `Content-Security-Policy: default-src 'self'; frame-ancestors 'none'` (the interactive
  API pages `/docs` and `/redoc` load their scripts from FastAPI's CDN and get a CSP that
  allows exactly that; the dashboard's pages under `/dashboard` get `default-src 'none'`
  with only the app's own scripts, styles and images), `Cache-Control: no-store` on JSON
  answers, and no `Server` header
  from the app (uvicorn's own is turned off where `accord serve` starts it).

An exception no handler answered becomes a `500` `{"error": "internal error"}` with the
same headers (the traceback goes to the server's log, never to the client).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Final

from accord.errors import UsageError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Environment variable overriding the per-token rate limit: `RATE/BURST` or `off`.
ENV_RATE_LIMIT: Final = "ACCORD_RATE_LIMIT"
DEFAULT_RATE: Final = 50.0
DEFAULT_BURST: Final = 100
#: Largest request body accepted by default (bytes).
DEFAULT_MAX_BODY: Final = 64 * 1024

log = logging.getLogger("accord.api")

_TOKEN_ID = re.compile(rb"^\s*bearer\s+acc_([0-9a-f]{12})_", re.IGNORECASE)
_MAX_BUCKETS: Final = 50_000

_CSP_API: Final = "default-src 'self'; frame-ancestors 'none'"
#: The dashboard's pages (`dashboard/`): only the app's own scripts, styles and images,
#: forms posting back to the app only.
_CSP_PAGES: Final = ("default-src 'none'; script-src 'self'; style-src 'self'; "
                     "img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; "
                     "base-uri 'none'")
# FastAPI's /docs (Swagger UI) and /redoc pages: their bundle and an inline start script.
_CSP_DOCS: Final = ("default-src 'self'; script-src 'self' 'unsafe-inline' "
                    "https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' "
                    "https://cdn.jsdelivr.net https://fonts.googleapis.com; "
                    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: "
                    "https://fastapi.tiangolo.com https://cdn.redoc.ly; worker-src 'self' "
                    "blob:; frame-ancestors 'none'")
_COMMON: Final[tuple[tuple[bytes, bytes], ...]] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
#: Headers the middleware sets itself; the app's own values for them are dropped.
_OWNED: Final = frozenset({b"x-content-type-options", b"x-frame-options", b"referrer-policy",
                           b"content-security-policy", b"server"})


@dataclass(frozen=True)
class RateLimit:
    """A per-token limit: `rate` requests per second on average, bursts of `burst`."""

    rate: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.rate > 0 and math.isfinite(self.rate)) or self.burst < 1:
            raise UsageError(f"rate limit: {self.rate:g} requests/s with bursts of "
                             f"{self.burst}: both must be positive")

    @classmethod
    def parse(cls, text: str, where: str = ENV_RATE_LIMIT) -> RateLimit | None:
        """`RATE/BURST` (`50/100`), `RATE` (bursts of twice the rate) or `off` (None)."""
        value = text.strip().lower()
        if value in ("off", "none", "0"):
            return None
        rate_text, _, burst_text = value.partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if burst_text else max(1, math.ceil(2 * rate))
        except ValueError:
            raise UsageError(f"{where}: {text!r} is not RATE/BURST (e.g. 50/100) or "
                             "'off'") from None
        return cls(rate, burst)

    @classmethod
    def from_environment(cls) -> RateLimit | None:
        """`ACCORD_RATE_LIMIT` when set, else the default (50 requests/s, bursts of 100)."""
        text = os.environ.get(ENV_RATE_LIMIT)
        return cls.parse(text) if text else cls(DEFAULT_RATE, DEFAULT_BURST)

    def describe(self) -> str:
        return f"{self.rate:g} requests/s with bursts of {self.burst}"


class TokenBuckets:
    """One token bucket per key: full (`burst`) at first, refilled at `rate` per second;
    each request takes one. `take(key)` is 0.0 when the request may pass, else the seconds
    until the bucket holds one again."""

    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self._clock = clock
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill time]

    def take(self, key: str) -> float:
        now = self._clock()
        rate, burst = self.limit.rate, float(self.limit.burst)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_full(now)
            self._buckets[key] = [burst - 1.0, now]
            return 0.0
        tokens = min(burst, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    def _forget_full(self, now: float) -> None:
        """Drop the buckets that have refilled completely (a new one starts full anyway)."""
        full_after = self.limit.burst / self.limit.rate
        for key in [k for k, (_, last) in self._buckets.items() if now - last >= full_after]:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_BUCKETS:
            self._buckets.clear()


class _BodyTooLarge(Exception):
    pass


def _json_answer(status: int, message: str, extra: tuple[tuple[bytes, bytes], ...] = ()
                 ) -> tuple[Message, Message]:
    body = json.dumps({"error": message}).encode()
    start: Message = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
        *extra]}
    return start, {"type": "http.response.body", "body": body}


class SecurityMiddleware:
    """Rate limit, size limit and security headers in front of `app` (module docstring)."""

    def __init__(self, app: ASGIApp, *, rate_limit: RateLimit | None,
                 max_body: int = DEFAULT_MAX_BODY,
                 docs_paths: frozenset[str] = frozenset(),
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.max_body = max_body
        self.buckets = TokenBuckets(rate_limit, clock) if rate_limit else None
        self.docs_paths = docs_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token_id: bytes | None = None
        length: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"authorization":
                m = _TOKEN_ID.match(value)
                token_id = m.group(1) if m else None
            elif name == b"content-length":
                length = value
        path = scope["path"]
        csp = _CSP_DOCS if path in self.docs_paths else \
            _CSP_PAGES if path.startswith("/dashboard") else _CSP_API
        secured = (*_COMMON, (b"content-security-policy", csp.encode()))
        started = False

        async def send_secured(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = [(k, v) for k, v in message.get("headers", ())
                           if k.lower() not in _OWNED]
                is_json = any(k.lower() == b"content-type" and v.startswith(b"application/json")
                              for k, v in headers)
                if is_json and not any(k.lower() == b"cache-control" for k, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                headers.extend(secured)
                message["headers"] = headers
            await send(message)

        async def answer(status: int, text: str,
                         extra: tuple[tuple[bytes, bytes], ...] = ()) -> None:
            start, body = _json_answer(status, text, extra)
            await send_secured(start)
            await send_secured(body)

        if self.buckets is not None:
            key = ("token:" + token_id.decode()) if token_id else \
                f"client:{(scope.get('client') or ('?',))[0]}"
            wait = self.buckets.take(key)
            if wait > 0.0:
                retry = max(1, math.ceil(wait))
                who = f"token {token_id.decode()!r}" if token_id else "this client (no token)"
                await answer(429, f"rate limit: {who} is over "
                                  f"{self.buckets.limit.describe()}; retry after {retry} s",
                             ((b"retry-after", str(retry).encode()),))
                return

        if length is not None:
            try:
                declared = int(length)
            except ValueError:
                await answer(400, "header 'Content-Length' is not a number")
                return
            if declared > self.max_body:
                await answer(413, f"request body over {self.max_body} bytes "
                                  f"(Content-Length {declared})")
                return
            receive_limited = receive
        else:
            seen = 0

            async def receive_limited() -> Message:
                nonlocal seen
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > self.max_body:
                        raise _BodyTooLarge
                return message

        try:
            await self.app(scope, receive_limited, send_secured)
        except _BodyTooLarge:
            if not started:
                await answer(413, f"request body over {self.max_body} bytes")
        except Exception:
            log.exception("internal error answering %s %s", scope.get("method"),
                          scope.get("path"))
            if not started:
                await answer(500, "internal error")
            raise


def install_security(app: Any, *, max_body: int = DEFAULT_MAX_BODY,
                     rate_limit: RateLimit | str | None = None,
                     clock: Callable[[], float] = time.monotonic) -> None:
    """Put `SecurityMiddleware` in front of the FastAPI `app`'s routes. `rate_limit`: a
    `RateLimit`, its text (`"50/100"`, `"off"`), or None for `ACCORD_RATE_LIMIT` when set
    and the default (50 requests/s, bursts of 100) otherwise."""
    if rate_limit is None:
        limit = RateLimit.from_environment()
    elif isinstance(rate_limit, str):
        limit = RateLimit.parse(rate_limit, where="rate_limit")
    else:
        limit = rate_limit
    docs = frozenset(p for p in (getattr(app, "docs_url", None),
                                 getattr(app, "redoc_url", None),
                                 getattr(app, "swagger_ui_oauth2_redirect_url", None)) if p)
    app.add_middleware(SecurityMiddleware, rate_limit=limit, max_body=max_body,
                       docs_paths=docs, clock=clock)
