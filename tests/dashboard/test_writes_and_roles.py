"""Dashboard writes: who sees which button, and what the server refuses. A viewer gets no
sign button and a 403 when it posts the form anyway; a form without its CSRF token is
refused; the owners' signatures and a sales decision go through and are audited."""

from __future__ import annotations

import re

from conftest import Dash, table_rows

from accord.api.app import create_app  # noqa: F401  (the app the fixture serves)


def _propose_v2(dash: Dash) -> None:
    text = (dash.company.root / "accord.yaml").read_text()
    text = text.replace("version: 1\n", "version: 2\n", 1).replace(
        "effective: 2026-01-01", "effective: 2026-02-01", 1)
    page = dash.get("/dashboard/contract", "revops")
    assert 'action="/dashboard/contract/propose"' in page.text
    r = dash.post("/dashboard/contract/propose", "revops",
                  {"csrf": dash.csrf(page.text), "text": text})
    assert r.status_code == 303, r.text


def test_sign_buttons_by_role_and_refusals(dash_copy: Dash) -> None:
    dash = dash_copy
    _propose_v2(dash)
    viewer = dash.get("/dashboard/contract", "viewer")
    assert "pending-2" in viewer.text
    assert 'action="/dashboard/contract/sign"' not in viewer.text
    assert 'action="/dashboard/contract/propose"' not in viewer.text
    marketing = dash.get("/dashboard/contract", "marketing")
    assert 'action="/dashboard/contract/sign"' in marketing.text

    # the viewer posts the form anyway, with its own valid CSRF token: 403, nothing signed
    r = dash.post("/dashboard/contract/sign", "viewer",
                  {"csrf": dash.csrf(viewer.text), "version": "2", "name": "Vic"})
    assert r.status_code == 403 and "may not sign" in r.text
    # the marketing owner without a CSRF token, and with another session's: refused
    for csrf in ("", dash.csrf(viewer.text)):
        r = dash.post("/dashboard/contract/sign", "marketing",
                      {"csrf": csrf, "version": "2", "name": "Mia"})
        assert r.status_code == 403 and "CSRF" in r.text
    rows = {r["version"]: r for r in table_rows(dash.get("/dashboard/contract").text,
                                                "versions")}
    assert rows[2]["marketing_signer"] is None

    r = dash.post("/dashboard/contract/sign", "marketing",
                  {"csrf": dash.csrf(marketing.text), "version": "2", "name": "Mia"})
    assert r.status_code == 303, r.text
    after = dash.get(r.headers["location"], "marketing")
    assert "Signed version 2 for the marketing side as Mia" in after.text
    rows = {r["version"]: r for r in table_rows(after.text, "versions")}
    assert rows[2]["marketing_signer"] == "Mia" and rows[2]["sales_signer"] is None
    assert rows[2]["signed"] is False
    # the marketing side is signed: no second sign button for marketing; sales still has one
    assert 'action="/dashboard/contract/sign"' not in after.text
    assert 'action="/dashboard/contract/sign"' in dash.get("/dashboard/contract",
                                                           "sales").text


def test_sales_accepts_a_lead_from_its_page_and_a_viewer_cannot(dash_copy: Dash) -> None:
    dash = dash_copy
    # a new lead that asks for a demo (the handoff: it waits for sales), sent to the API
    lead = "DASH-1"
    auth = {"Authorization": f"Bearer {dash.company.tokens['admin']}"}
    for event in ({"id": "dash-e1", "kind": "lead_created", "lead_id": lead,
                   "at": "2026-11-02T14:00:00Z", "email": "dee@soft.example",
                   "channel": "web", "title": "VP Sales", "country": "US"},
                  {"id": "dash-e2", "kind": "touch", "lead_id": lead,
                   "signal": "demo_request", "at": "2026-11-02T14:05:00Z"}):
        r = dash.client.post("/v1/events", json=event, headers=auth)
        assert r.status_code == 200, r.text
    viewer = dash.get(f"/dashboard/leads/{lead}", "viewer")
    assert viewer.status_code == 200 and "/decide" not in viewer.text
    sales = dash.get(f"/dashboard/leads/{lead}", "sales")
    assert f'action="/dashboard/leads/{lead}/decide"' in sales.text
    r = dash.post(f"/dashboard/leads/{lead}/decide", "viewer",
                  {"csrf": dash.csrf(viewer.text), "decision": "reject", "reason": "timing"})
    assert r.status_code == 403
    r = dash.post(f"/dashboard/leads/{lead}/decide", "sales",
                  {"csrf": dash.csrf(sales.text), "decision": "reject", "reason": "no-such"})
    assert r.status_code == 422 and "reason" in r.text
    before = table_rows(sales.text, "decisions")
    reason = re.search(r'name="reason"><option value="([^"]+)"', sales.text)
    assert reason
    r = dash.post(f"/dashboard/leads/{lead}/decide", "sales",
                  {"csrf": dash.csrf(sales.text), "decision": "reject",
                   "reason": reason.group(1)})
    assert r.status_code == 303, r.text
    page = dash.get(r.headers["location"], "sales")
    assert "Rejected: now in stage" in page.text
    log = table_rows(page.text, "decisions")
    assert len(log) > len(before)
    assert all(d["contract_version"] is not None for d in log)


def test_pages_need_a_login_and_forged_cookies_fail(dash: Dash) -> None:
    client = dash.client
    client.cookies.clear()
    r = client.get("/dashboard/sla", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/dashboard/login")
    good = dash.login("viewer")
    token_id, expires, sig = good.split(".")
    for forged in (f"{token_id}.{int(expires) + 999}.{sig}",   # a longer life
                   f"{token_id}.{expires}.{'0' * len(sig)}",    # another signature
                   "garbage"):
        r = client.get("/dashboard/sla", follow_redirects=False,
                       headers={"Cookie": f"accord_session={forged}"})
        assert r.status_code == 303, forged
    page = dash.get("/dashboard/sla")
    cookie_header = page.headers.get("set-cookie", "")
    assert "accord_session" not in cookie_header  # pages never re-issue the cookie
    login = client.get("/dashboard/login")
    assert "httponly" in login.headers["set-cookie"].lower()
    assert "samesite=lax" in login.headers["set-cookie"].lower()
    # a wrong token: 401 on the login page, no session
    csrf = dash.csrf(login.text)
    r = client.post("/dashboard/login", data={"csrf": csrf, "token": "acc_0_bad",
                                              "next": "/dashboard/"}, follow_redirects=False)
    assert r.status_code == 401 and "accord_session" not in r.headers.get("set-cookie", "")
    client.cookies.clear()


def test_login_without_its_csrf_cookie_is_refused(dash: Dash) -> None:
    client = dash.client
    client.cookies.clear()
    r = client.post("/dashboard/login", data={"csrf": "x", "token": dash.company.tokens[
        "viewer"]}, follow_redirects=False)
    assert r.status_code == 403 and "accord_session" not in r.headers.get("set-cookie", "")


def test_a_next_parameter_never_leaves_the_dashboard(dash: Dash) -> None:
    client = dash.client
    client.cookies.clear()
    login = client.get("/dashboard/login", params={"next": "https://evil.example/x"})
    assert 'name="next" value="/dashboard/"' in login.text
