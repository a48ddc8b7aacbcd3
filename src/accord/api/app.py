"""The HTTP API of `accord serve` (issue 13, first slice). Thin: parse, one library call, JSON.

`create_app(workspace_root, store_url=None)` opens the workspace's store and compiled
contract once (the app's lifespan) and serves:

- `POST /v1/events` — body `{"id": ..., "kind": ..., <the kind's fields>}`; the decision
  JSON from `engine.intake.EventIntake.submit` (with `contract_version`): 200 for a new
  event and for a replayed one (`"replayed": true` then), 409 when the id was received
  with another body, 422 naming the field for a bad body or a move the contract refuses,
  400 for a body that is not a JSON object.
- `GET /v1/leads/{lead_id}` — its decision log (404 naming an unknown lead).
- `GET /v1/kpis?view=&by=&period=&basis=` — `analytics.kpis.compute_kpis`, the JSON of
  `accord kpis --json`; `GET /v1/sla` (`accord sla --json`), `GET /v1/funnel`
  (`accord funnel --json`), `GET /v1/contract` (`contract.describe`).

Contract sign-off (issue 13, item 5; seed 002): `POST /v1/contract/proposals` (revops or
admin; body `{"text": <the contract YAML>}`) stores a proposed version and answers with
its changes against the active one (409 when its number was proposed with another text,
422 listing a contract's problems); `POST /v1/contract/versions/{version}/signatures`
(body `{"name": <signer>}`) signs the marketing side with a marketing token and the sales
side with a sales token (403 for any other role; 409 when that side already signed);
`GET /v1/contract/history` lists versions, signers, times, effective dates and the
version active now (`store.contract_versions.history`).

Every request needs `Authorization: Bearer <token>` (`api/tokens.py`): 401 without a token
or with a bad one, 403 naming the roles an event kind needs. Each accepted write leaves
an `audit_log` row (token name, role, time, event id) in the event's own transaction.
Store access is serialised by one lock (DuckDB has one writer; one process serves).
Errors are JSON `{"error": message}`; accord's own errors never become a 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from accord.analytics.attribution.report import compare_models, credit_model
from accord.analytics.funnel import compute_funnel
from accord.analytics.insights import closed_loop_insights
from accord.analytics.kpis import BASIS_CHOICES, compute_kpis
from accord.analytics.kpis.period import parse_period
from accord.api.batch_writer import BatchWriter
from accord.api.openapi import install_openapi
from accord.api.scheduler import SlaScheduler
from accord.api.security import install_security
from accord.api.tokens import (
    ROLES,
    WRITE_ROLES,
    TokenCheck,
    TokenInfo,
    create_token,
    list_tokens,
    revoke_token,
)
from accord.api.webhooks import (
    Dispatcher,
    add_endpoint,
    delivery_log,
    list_endpoints,
    outbox_rows,
    remove_endpoint,
)
from accord.contract.describe import describe
from accord.contract.instants import naive_utc, utc_now
from accord.dashboard.routes import install_dashboard
from accord.engine.intake import (
    EVENT_KINDS,
    EventConflictError,
    EventIntake,
    Submission,
)
from accord.engine.routing import check_rep
from accord.engine.sla_clock import sla_breaches, sla_overview
from accord.engine.views import check_view
from accord.errors import (
    AccordError,
    ContractError,
    EngineError,
    NotComputedError,
    StoreError,
    UnknownNameError,
    UsageError,
)
from accord.store.as_of import resolve_as_of
from accord.store.contract_versions import (
    SignatureConflictError,
    VersionConflictError,
    history,
)
from accord.store.contract_versions import propose as propose_version
from accord.store.contract_versions import sign as sign_version
from accord.workspace import Session, Workspace

T = TypeVar("T")

#: Largest request body accepted (bytes).
MAX_BODY = 64 * 1024


#: Roles that may propose a contract version (issue 13, item 4).
PROPOSE_ROLES: tuple[str, ...] = ("revops", "admin")
#: Who manages tokens and webhook endpoints through the API (revops may also read them).
ADMIN_ROLES: tuple[str, ...] = ("admin",)
WEBHOOK_READ_ROLES: tuple[str, ...] = ("revops", "admin")
#: The side of a version each role signs: only the marketing and the sales owner sign.
SIGN_SIDES: dict[str, str] = {"marketing": "marketing", "sales": "sales"}


def _version_of(text: str) -> str:
    """The `version:` a proposed text declares, for its audit id (`?` when unreadable)."""
    import re

    m = re.search(r"^version:\s*(\d+)", text, re.MULTILINE)
    return m.group(1) if m else "?"


class ApiError(Exception):
    """An HTTP answer other than 200, with its message."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None
                 ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = headers or {}


def _status(exc: AccordError) -> int:
    if isinstance(exc, EventConflictError | VersionConflictError | SignatureConflictError):
        return 409
    if isinstance(exc, ContractError):
        return 422
    if isinstance(exc, UsageError | EngineError | NotComputedError):
        return 422
    if isinstance(exc, StoreError):
        return 503
    return 400


def _plain(data: Any) -> Any:
    """JSON types exactly as `accord … --json` prints them (`default=str`)."""
    return json.loads(json.dumps(data, default=str))


class _Service:
    """What the app holds for its lifetime: the session, the intake, the token check."""

    def __init__(self, session: Session, clock: Callable[[], datetime] = utc_now) -> None:
        self.session = session
        self.store = session.store
        self.contract = session.contract
        self.clock = clock
        self.intake = EventIntake(self.store, self.contract, clock=clock,
                                  notify=outbox_rows)
        self.writer = BatchWriter(self.intake)
        self.tokens = TokenCheck(self.store, read=self.call)  # an outage: 503

    def call(self, work: Callable[[], T]) -> T:
        """Run store work serialised with the writer (the store has one connection); a
        store that cannot be reached now is a `StoreError` (503 with `Retry-After`)."""
        try:
            return self.intake.read(work)
        except Exception as exc:
            down = self.store.unavailable(exc)
            if down is None:
                raise
            raise down from exc

    def who(self, request: Request) -> TokenInfo:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if not header:
            raise ApiError(401, "authentication required: send Authorization: Bearer <token>",
                           {"WWW-Authenticate": "Bearer"})
        info = self.tokens.identify(token.strip()) if scheme.lower() == "bearer" else None
        if info is None:
            raise ApiError(401, "invalid or revoked token", {"WWW-Authenticate": "Bearer"})
        return info

    async def who_async(self, request: Request) -> TokenInfo:
        """`who` without blocking the event loop when the token's row must be read."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if header and scheme.lower() == "bearer" and self.tokens.fresh(token.strip()):
            return self.who(request)
        return await asyncio.to_thread(self.who, request)

    def audit_row(self, who: TokenInfo, write_id: str) -> Callable[[Any], None]:
        """The audit row of a write by `who`, written in the write's own transaction."""
        def write(cur: Any) -> None:
            self.store.insert_rows(cur, "audit_log", [{
                "audit_id": write_id, "event_id": write_id, "token_name": who.name,
                "role": who.role, "written_at": naive_utc(utc_now())}])
        return write

    def propose(self, who: TokenInfo, text: str) -> Any:
        """Store a proposed contract version (the caller checked `who` may propose)."""
        result = self.call(lambda: propose_version(
            self.store, text, proposed_by=who.name, file="proposal", workspace=self.contract,
            on_write=self.audit_row(who, f"contract-proposal:{_version_of(text)}")))
        self.intake.versions_changed()
        return result

    def sign(self, who: TokenInfo, version: int, signer: str) -> dict[str, Any]:
        """Sign `version` on `who`'s side (the caller checked `who.role` signs a side)."""
        side = SIGN_SIDES[who.role]
        sig = self.call(lambda: sign_version(
            self.store, version, side=side, signer=signer,
            on_write=self.audit_row(who, f"contract-signature:{version}:{side}")))
        self.intake.versions_changed()
        data = self.call(lambda: history(self.store))
        row = next(r for r in data["versions"] if r["version"] == version)
        return {"version": version, "side": sig.side, "signer": sig.signer,
                "signed_at": sig.signed_at.isoformat(), "signed": row["signed"],
                "effective": row["effective"], "active": data["active"]}

    def as_of(self, given: str | None) -> datetime:
        if given is None:
            return resolve_as_of(self.store, None).at
        try:
            return naive_utc(datetime.fromisoformat(given.strip()))
        except ValueError:
            raise UsageError(f"as_of: {given!r} is not an ISO date or date-time") from None


def create_app(workspace_root: str | Path, store_url: str | None = None, *,
               clock: Callable[[], datetime] = utc_now) -> FastAPI:
    """The API over the workspace at `workspace_root` (its accord.yaml and store, or
    `store_url`); see the module docstring. `clock` is the server's "now" (tests inject
    one; events dated after it are refused, the SLA scheduler fires by it)."""
    workspace = Workspace(Path(workspace_root).resolve(), store_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        with workspace.session() as session:
            svc = _Service(session, clock)
            app.state.service = svc
            svc.writer.start()
            # -- background work (webhook dispatcher, SLA scheduler): start here, stop
            #    after the yield; each does its store work through svc.intake.write(...)
            dispatcher = Dispatcher(svc.intake)
            dispatcher.start()
            scheduler = SlaScheduler(svc.intake)  # interval: env ACCORD_SLA_INTERVAL
            app.state.sla_scheduler = scheduler
            scheduler.start()
            try:
                yield
            finally:
                scheduler.stop()
                dispatcher.stop()
                svc.writer.stop()

    app = FastAPI(title="accord", version="1",
                  summary="The marketing–sales agreement, served live.", lifespan=lifespan)

    def service(request: Request) -> _Service:
        svc: _Service = request.app.state.service
        return svc

    # -- security and OpenAPI (api/security.py, api/openapi.py): install here
    install_security(app, max_body=MAX_BODY)
    install_openapi(app)
    install_dashboard(app)

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def bad_parameter(request: Request, exc: RequestValidationError) -> JSONResponse:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
        return JSONResponse({"error": f"parameter {where!r}: {err.get('msg', 'invalid')}"},
                            status_code=422)

    @app.exception_handler(AccordError)
    async def accord_error(request: Request, exc: AccordError) -> JSONResponse:
        status = _status(exc)
        return JSONResponse({"error": " ".join(str(exc).split())}, status_code=status,
                            headers={"Retry-After": "5"} if status == 503 else None)

    @contextmanager
    def reading(request: Request) -> Iterator[_Service]:
        svc = service(request)
        svc.who(request)
        yield svc

    @app.post("/v1/events")
    async def post_event(request: Request) -> JSONResponse:
        svc = service(request)
        who = await svc.who_async(request)
        body = await read_object(request, "'id' and 'kind'")
        event_id = body.pop("id", None)
        if not isinstance(event_id, str) or not event_id:
            raise ApiError(422, "field 'id': an event needs a non-empty string id")
        kind = body.get("kind")
        if kind not in EVENT_KINDS:
            raise ApiError(422, f"field 'kind' is {kind!r}; expected one of "
                                f"{', '.join(EVENT_KINDS)}")
        allowed = WRITE_ROLES[kind]
        if who.role not in allowed:
            raise ApiError(403, f"role {who.role!r} may not send {kind!r} events; needs "
                                f"role {' or '.join(allowed)}")

        result = await svc.writer.submit(Submission(event_id, body, who.name, who.role))
        if isinstance(result, AccordError):
            raise result
        return JSONResponse({**result.answer, "replayed": result.replayed})

    @app.get("/v1/leads/{lead_id}")
    def get_lead(lead_id: str, request: Request) -> JSONResponse:
        with reading(request) as svc:
            def work() -> dict[str, Any]:
                decisions = svc.intake.lead_decisions(lead_id)
                known = lead_id in svc.intake.engine.lead_ids
                if not decisions and not known:
                    raise ApiError(404, f"unknown lead {lead_id!r}")
                current = svc.intake.engine.decision(lead_id).as_dict() if known else None
                return {"lead_id": lead_id, "current": current, "decisions": [
                    {"event_id": d["event_id"], "kind": d["kind"], "name": d["name"],
                     "value": d["value"], "decided_at": d["decided_at"],
                     "contract_version": d["contract_version"]} for d in decisions]}
            return JSONResponse(_plain(svc.call(work)))

    @app.get("/v1/kpis")
    def get_kpis(request: Request, view: str = "actual", by: str | None = None,
                 period: str | None = None, basis: str = "cohort",
                 as_of: str | None = None) -> JSONResponse:
        with reading(request) as svc:
            if basis not in BASIS_CHOICES:
                raise UnknownNameError("basis", basis, BASIS_CHOICES, where="basis")
            report = svc.call(lambda: compute_kpis(
                svc.store, svc.contract, period=period, by=by, basis=basis,
                view=check_view(view), as_of=svc.as_of(as_of)))
            return JSONResponse(_plain(report.as_dict()))

    @app.get("/v1/sla")
    def get_sla(request: Request, view: str = "actual", sla: str | None = None,
                rep: str | None = None, breaches: bool = False, limit: int = 20,
                period: str | None = None, as_of: str | None = None) -> JSONResponse:
        with reading(request) as svc:
            def work() -> Any:
                at = resolve_as_of(svc.store, svc.as_of(as_of) if as_of else None)
                chosen = check_view(view)
                window = parse_period(period)
                if rep is not None:
                    check_rep(svc.store, rep)
                if breaches:
                    return sla_breaches(svc.store, svc.contract, at, limit, view=chosen,
                                        sla=sla, rep=rep, since=window.start,
                                        until=window.end).as_dict()
                return sla_overview(svc.store, svc.contract, at, view=chosen, sla=sla,
                                    rep=rep, since=window.start, until=window.end).as_dict()
            return JSONResponse(_plain(svc.call(work)))

    @app.get("/v1/funnel")
    def get_funnel(request: Request, view: str = "actual", by: str | None = None,
                   period: str | None = None) -> JSONResponse:
        with reading(request) as svc:
            def work() -> Any:
                cohort = parse_period(period)
                return compute_funnel(svc.store, svc.contract, by=by, view=check_view(view),
                                      since=cohort.start, until=cohort.end)
            funnel = svc.call(work)
            return JSONResponse(_plain(funnel.as_dict()))

    @app.get("/v1/insights")
    def get_insights(request: Request, view: str = "actual", by: str | None = None,
                     period: str | None = None, fdr: float = Query(0.01, gt=0, le=0.5),
                     min_ratio: float = Query(1.25, ge=1.0),
                     min_n: int = Query(40, ge=5),
                     as_of: str | None = None) -> JSONResponse:
        with reading(request) as svc:
            dims = tuple(d.strip() for d in by.split(",")) if by else None
            found = svc.call(lambda: closed_loop_insights(
                svc.store, svc.contract, fdr=fdr, min_ratio=min_ratio, min_n=min_n,
                dimensions=dims, period=parse_period(period),
                as_of=svc.as_of(as_of) if as_of else None, view=check_view(view)))
            return JSONResponse(_plain(found.as_dict()))

    @app.get("/v1/attribution")
    def get_attribution(request: Request, model: str | None = None,
                        compare: bool = False,
                        by: Literal["channel", "campaign"] = "channel",
                        measure: Literal["conversions", "revenue"] = "conversions",
                        period: str | None = None,
                        lookback_days: float | None = Query(None, gt=0)) -> JSONResponse:
        with reading(request) as svc:
            def work() -> dict[str, Any]:
                if compare:
                    return compare_models(svc.store, svc.contract, by=by, measure=measure,
                                          period=parse_period(period),
                                          lookback_days=lookback_days).as_dict()
                return credit_model(svc.store, svc.contract, model=model, by=by,
                                    period=parse_period(period),
                                    lookback_days=lookback_days).as_dict()
            return JSONResponse(_plain(svc.call(work)))

    @app.get("/v1/contract")
    def get_contract(request: Request) -> JSONResponse:
        with reading(request) as svc:
            return JSONResponse(_plain(describe(svc.contract).as_dict()))

    async def read_object(request: Request, expected: str) -> dict[str, Any]:
        """The request body as a JSON object: 413 over MAX_BODY, 400 when it is not JSON
        or not an object (`expected` names the fields it should hold)."""
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, f"request body over {MAX_BODY} bytes")
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ApiError(400, f"body is not valid JSON: {exc}") from None
        if not isinstance(body, dict):
            raise ApiError(400, f"body must be a JSON object with {expected}")
        return body

    async def json_object(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
        body = await read_object(request, ", ".join(fields))
        for key in body:
            if key not in fields:
                raise ApiError(422, f"field {key!r}: unknown field; expected "
                                    f"{', '.join(fields)}")
        for key in fields:
            if not isinstance(body.get(key), str) or not body[key].strip():
                raise ApiError(422, f"field {key!r}: a non-empty string is required")
        return body

    @app.post("/v1/contract/proposals")
    async def post_proposal(request: Request) -> JSONResponse:
        svc = service(request)
        who = svc.who(request)
        if who.role not in PROPOSE_ROLES:
            raise ApiError(403, f"role {who.role!r} may not propose a contract version; "
                                f"needs role {' or '.join(PROPOSE_ROLES)}")
        body = await json_object(request, ("text",))
        return JSONResponse(_plain(svc.propose(who, body["text"]).as_dict()))

    @app.post("/v1/contract/versions/{version}/signatures")
    async def post_signature(version: int, request: Request) -> JSONResponse:
        svc = service(request)
        who = svc.who(request)
        if who.role not in SIGN_SIDES:
            raise ApiError(403, f"role {who.role!r} may not sign a contract version; needs "
                                "role marketing (the marketing side) or sales (the sales "
                                "side)")
        body = await json_object(request, ("name",))
        return JSONResponse(_plain(svc.sign(who, version, body["name"])))

    @app.get("/v1/contract/history")
    def get_history(request: Request) -> JSONResponse:
        with reading(request) as svc:
            return JSONResponse(_plain(svc.call(lambda: history(svc.store))))

    # -- tokens and webhook endpoints: what `accord token` and `accord webhooks` do, for a
    #    running server (on DuckDB it is the store's one writer); admin only, audited
    def admin(request: Request, roles: tuple[str, ...] = ADMIN_ROLES) -> TokenInfo:
        who = service(request).who(request)
        if who.role not in roles:
            raise ApiError(403, f"role {who.role!r} may not manage tokens or webhooks; "
                                f"needs role {' or '.join(roles)}")
        return who

    @app.post("/v1/tokens")
    async def post_token(request: Request) -> JSONResponse:
        svc, who = service(request), admin(request)
        body = await json_object(request, ("name", "role"))
        if body["role"] not in ROLES:
            raise ApiError(422, f"field 'role': {body['role']!r} is not a role; expected one "
                                f"of {', '.join(ROLES)}")
        token, info = svc.call(lambda: create_token(svc.store, body["name"], body["role"],
                                                    who=(who.name, who.role)))
        return JSONResponse({**_plain(info.as_dict()), "token": token})

    @app.get("/v1/tokens")
    def get_tokens(request: Request) -> JSONResponse:
        svc = service(request)
        admin(request)
        return JSONResponse(_plain([t.as_dict() for t in svc.call(
            lambda: list_tokens(svc.store))]))

    @app.delete("/v1/tokens/{token_id}")
    def delete_token(token_id: str, request: Request) -> JSONResponse:
        svc, who = service(request), admin(request)
        info = svc.call(lambda: revoke_token(svc.store, token_id, who=(who.name, who.role)))
        return JSONResponse(_plain(info.as_dict()))

    @app.post("/v1/webhooks")
    async def post_webhook(request: Request) -> JSONResponse:
        svc, who = service(request), admin(request)
        body = await read_object(request, "url and optionally name, slack, max_attempts")
        fields = {"url": str, "name": str, "slack": bool, "max_attempts": int}
        for key, value in body.items():
            kind = fields.get(key)
            if kind is None:
                raise ApiError(422, f"field {key!r}: unknown field; expected "
                                    f"{', '.join(fields)}")
            if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                raise ApiError(422, f"field {key!r}: expected a {kind.__name__}")
        if "url" not in body:
            raise ApiError(422, "field 'url': required")
        secret, ep = svc.call(lambda: add_endpoint(
            svc.store, body["url"], name=body.get("name"), slack=body.get("slack", False),
            max_attempts=body.get("max_attempts"), who=(who.name, who.role)))
        return JSONResponse({**_plain(ep.as_dict()), "secret": secret})

    @app.get("/v1/webhooks")
    def get_webhooks(request: Request) -> JSONResponse:
        svc = service(request)
        admin(request, WEBHOOK_READ_ROLES)
        return JSONResponse(_plain([e.as_dict() for e in svc.call(
            lambda: list_endpoints(svc.store))]))

    @app.delete("/v1/webhooks/{ref}")
    def delete_webhook(ref: str, request: Request) -> JSONResponse:
        svc, who = service(request), admin(request)
        ep = svc.call(lambda: remove_endpoint(svc.store, ref, who=(who.name, who.role)))
        return JSONResponse(_plain(ep.as_dict()))

    @app.get("/v1/webhooks/log")
    def get_webhook_log(request: Request, parked: bool = False,
                        limit: int = Query(100, ge=1, le=10_000)) -> JSONResponse:
        svc = service(request)
        admin(request, WEBHOOK_READ_ROLES)
        return JSONResponse(_plain([d.as_dict() for d in svc.call(
            lambda: delivery_log(svc.store, parked_only=parked, limit=limit))]))

    return app


def app_from_environment() -> FastAPI:
    """The app of one worker process of `accord serve --workers N` (the workspace and
    store come from the environment `accord serve` set)."""
    import os

    return create_app(os.environ["ACCORD_SERVE_WORKSPACE"],
                      os.environ.get("ACCORD_SERVE_STORE") or None)
