"""The dashboard's routes on `accord serve` (`install_dashboard`): login, pages, and the few
writes a page offers (sign or propose a contract version, accept or reject a lead).

Thin like the API: each page is one builder in `dashboard/pages/` calling the library
(the same functions the CLI's `--json` and the API's reads call); the writes call the
service's own sign, propose and event paths, audited like the API's. A page needs a
session (`dashboard/auth.py`); without one it redirects to the login page. A write needs
the form's CSRF token and a role that may do it: 403 otherwise, and nothing changes.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from accord.contract.instants import naive_utc, utc_now
from accord.dashboard import charts
from accord.dashboard.auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_HOURS,
    DashboardSession,
    check_cookie,
    csrf_matches,
    issue_cookie,
    new_login_csrf,
)
from accord.dashboard.page import PageContent, data_value, format_cell, kind_of
from accord.dashboard.pages import NAV, PageContext, build_lead, find_page
from accord.engine.intake import Submission
from accord.errors import AccordError

_HERE = Path(str(resources.files("accord.dashboard")))
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_HERE / "templates")),
                          autoescape=True, undefined=jinja2.StrictUndefined)
_ENV.globals.update(cell=format_cell, data_value=data_value, kind_of=kind_of,
                    draw=lambda spec: Markup(charts.svg(spec)))
_CSS = (_HERE / "static" / "accord.css").read_bytes()
_ICON = (_HERE / "static" / "icon.svg").read_bytes()

#: Who may do each dashboard write.
SIGN_ROLES = ("marketing", "sales")
PROPOSE_ROLES = ("revops", "admin")
DECIDE_ROLES = ("sales", "admin")


def _html(template: str, status: int = 200, **values: Any) -> HTMLResponse:
    text = _ENV.get_template(template).render(nav=NAV, **values)
    return HTMLResponse(text, status_code=status, headers={"Cache-Control": "no-store"})


def _form(raw: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace"),
                                         keep_blank_values=True).items()}


def _safe_next(target: str | None) -> str:
    """Only a path on the dashboard itself (no open redirect)."""
    if target and target.startswith("/dashboard") and "//" not in target and "\\" not in target:
        return target
    return "/dashboard/"


def install_dashboard(app: FastAPI) -> None:
    """Add the dashboard's routes to `app` (create_app's `app.state.service`)."""

    def service(request: Request) -> Any:
        return request.app.state.service

    def session_of(request: Request) -> DashboardSession | None:
        svc = service(request)
        return check_cookie(svc.tokens, request.cookies.get(SESSION_COOKIE))

    def to_login(request: Request) -> RedirectResponse:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/dashboard/login?next={quote(target)}", status_code=303)

    def refused(session: DashboardSession | None, status: int, text: str) -> HTMLResponse:
        page = PageContent("Not allowed" if status == 403 else "Not done", "actual", text, ())
        return _html("page.html", status, title=page.title, page=page, session=session,
                     current=None, message=None)

    @app.get("/dashboard/static/accord.css", include_in_schema=False)
    def css() -> Response:
        return Response(_CSS, media_type="text/css",
                        headers={"Cache-Control": "public, max-age=3600"})

    @app.get("/dashboard/static/icon.svg", include_in_schema=False)
    def icon() -> Response:
        return Response(_ICON, media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    @app.get("/dashboard/login", include_in_schema=False)
    def login_page(request: Request, next: str | None = None) -> HTMLResponse:
        token = new_login_csrf()
        response = _html("login.html", title="Log in", session=None, csrf=token,
                         next=_safe_next(next), error=None, hours=SESSION_HOURS, current=None)
        response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=600, httponly=True,
                            samesite="lax", path="/dashboard",
                            secure=request.url.scheme == "https")
        return response

    @app.post("/dashboard/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        svc = service(request)
        form = _form(await request.body())
        expected = request.cookies.get(LOGIN_CSRF_COOKIE)
        if not expected or not secrets.compare_digest(expected, form.get("csrf", "")):
            return refused(None, 403, "The login form expired or did not come from this "
                                      "server (missing CSRF token): open the login page "
                                      "again.")
        who = await asyncio.to_thread(svc.tokens.identify, form.get("token", "").strip())
        if who is None:
            token = new_login_csrf()
            response = _html("login.html", 401, title="Log in", session=None, csrf=token,
                             next=_safe_next(form.get("next")), hours=SESSION_HOURS,
                             error="That token is not valid (or was revoked).", current=None)
            response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=600, httponly=True,
                                samesite="lax", path="/dashboard",
                                secure=request.url.scheme == "https")
            return response
        redirect = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        redirect.set_cookie(SESSION_COOKIE, issue_cookie(svc.tokens, who),
                            max_age=SESSION_HOURS * 3600, httponly=True, samesite="lax",
                            path="/dashboard", secure=request.url.scheme == "https")
        redirect.delete_cookie(LOGIN_CSRF_COOKIE, path="/dashboard")
        return redirect

    async def checked_write(request: Request, roles: tuple[str, ...], what: str
                            ) -> tuple[DashboardSession | None, dict[str, str], Response | None]:
        session = session_of(request)
        if session is None:
            return None, {}, to_login(request)
        form = _form(await request.body())
        if not csrf_matches(session, form.get("csrf")):
            return session, form, refused(session, 403, "Refused: the form's CSRF token is "
                                                        "missing or wrong; reload the page.")
        if roles and session.who.role not in roles:
            return session, form, refused(
                session, 403, f"Role {session.who.role!r} may not {what}; needs role "
                              f"{' or '.join(roles)}.")
        return session, form, None

    @app.post("/dashboard/logout", include_in_schema=False)
    async def logout(request: Request) -> Response:
        _, _, stop = await checked_write(request, (), "log out")
        if stop is not None:
            return stop
        redirect = RedirectResponse("/dashboard/login", status_code=303)
        redirect.delete_cookie(SESSION_COOKIE, path="/dashboard")
        return redirect

    def done(path: str, message: str) -> RedirectResponse:
        return RedirectResponse(f"{path}?message={quote(message)}", status_code=303)

    @app.post("/dashboard/contract/sign", include_in_schema=False)
    async def sign(request: Request) -> Response:
        session, form, stop = await checked_write(request, SIGN_ROLES,
                                                  "sign a contract version")
        if stop is not None or session is None:
            return stop or to_login(request)
        try:
            version = int(form.get("version", ""))
            signer = form.get("name", "").strip() or session.who.name
            result = await asyncio.to_thread(service(request).sign, session.who, version,
                                              signer)
        except ValueError:
            return refused(session, 422, "field 'version': a version number is required")
        except AccordError as exc:
            return refused(session, 409, " ".join(str(exc).split()))
        return done("/dashboard/contract", f"Signed version {version} for the "
                                           f"{result['side']} side as {result['signer']}.")

    @app.post("/dashboard/contract/propose", include_in_schema=False)
    async def propose(request: Request) -> Response:
        session, form, stop = await checked_write(request, PROPOSE_ROLES,
                                                  "propose a contract version")
        if stop is not None or session is None:
            return stop or to_login(request)
        try:
            result = await asyncio.to_thread(service(request).propose, session.who,
                                              form.get("text", ""))
        except AccordError as exc:
            return refused(session, 422, " ".join(str(exc).split()))
        version = result.as_dict().get("version")
        return done("/dashboard/contract", f"Proposed version {version}; it decides nothing "
                                           "until both owners sign it.")

    @app.post("/dashboard/leads/{lead_id}/decide", include_in_schema=False)
    async def decide(lead_id: str, request: Request) -> Response:
        session, form, stop = await checked_write(request, DECIDE_ROLES,
                                                  "accept or reject a lead")
        if stop is not None or session is None:
            return stop or to_login(request)
        kind = form.get("decision")
        if kind not in ("accept", "reject"):
            return refused(session, 422, "field 'decision': accept or reject")
        svc = service(request)
        body: dict[str, Any] = {"kind": kind, "lead_id": lead_id,
                                "at": naive_utc(utc_now()).isoformat() + "Z"}
        if kind == "accept" and form.get("rep_id"):
            body["rep_id"] = form["rep_id"]
        if kind == "reject":
            body["reason"] = form.get("reason", "")
        event_id = f"dashboard-{secrets.token_hex(8)}"
        result = await svc.writer.submit(Submission(event_id, body, session.who.name,
                                                    session.who.role))
        if isinstance(result, AccordError):
            return refused(session, 422, " ".join(str(result).split()))
        path = f"/dashboard/leads/{quote(lead_id)}"
        return done(path, f"{'Accepted' if kind == 'accept' else 'Rejected'}: now in stage "
                          f"{result.answer.get('stage')} (event {event_id}).")

    def render(request: Request, slug: str,
               build: Callable[[PageContext], PageContent]) -> Response:
        session = session_of(request)
        if session is None:
            return to_login(request)
        svc = service(request)
        params = dict(request.query_params)
        message = params.pop("message", None)
        ctx = PageContext(svc, session, params)
        try:
            page = svc.call(lambda: build(ctx))
        except AccordError as exc:
            return refused(session, 400, " ".join(str(exc).split()))
        return _html("page.html", title=page.title, page=page, session=session,
                     current=slug, message=message)

    @app.get("/dashboard/leads/{lead_id}", include_in_schema=False)
    def lead_page(lead_id: str, request: Request) -> Response:
        return render(request, "leads", lambda ctx: build_lead(ctx, lead_id))

    @app.get("/dashboard", include_in_schema=False)
    def home(request: Request) -> Response:
        return RedirectResponse("/dashboard/", status_code=307)

    @app.get("/dashboard/{slug:path}", include_in_schema=False)
    def page(slug: str, request: Request) -> Response:
        found = find_page(slug.strip("/"))
        if found is None:
            session = session_of(request)
            if session is None:
                return to_login(request)
            return refused(session, 404, f"No dashboard page {slug!r}.")
        return render(request, found[0], found[1])
