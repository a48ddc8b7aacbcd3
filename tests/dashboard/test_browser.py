"""The dashboard in a real headless Chromium (Debian's `chromium`, driven by Playwright):
log in through the login form, open every page of a simulated company at 1366×768, and
check that each chart drew marks, that nothing went to a host other than the app, that
the console stayed free of errors and that no page scrolls sideways. A screenshot of
each page goes to `artefacts/dashboard/` (and to `docs/images/dashboard/` when
`ACCORD_DOCS_SCREENSHOTS=1`, which is how docs/dashboard.md's pictures are made)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from conftest import Company

from accord.dashboard.pages import NAV

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
ARTEFACTS = Path(os.environ.get("ACCORD_ARTEFACTS", REPO / "artefacts")) / "dashboard"
DOCS_SHOTS = REPO / "docs" / "images" / "dashboard"
LAUNCH_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu",
               "--disable-component-update", "--disable-sync", "--no-first-run",
               "--disable-quic"]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian chromium is not installed (.ci/run installs it)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def live(company: Company, tmp_path: Path) -> Iterator[str]:
    """`accord serve`'s app on a real HTTP server (uvicorn, 127.0.0.1, a free port) over a
    copy of the company; its base URL."""
    from accord.api.app import create_app

    root = tmp_path / "ws"
    shutil.copytree(company.root, root)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(root), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def test_every_page_in_chromium(live: str, company: Company) -> None:
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    docs = os.environ.get("ACCORD_DOCS_SCREENSHOTS") == "1"
    if docs:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    foreign: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1366, "height": 768})
            page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}")
                    if r.status >= 400 else None)
            page.on("request", lambda r: foreign.append(r.url)
                    if not r.url.startswith(live + "/") else None)

            page.goto(f"{live}/dashboard/")
            assert "/dashboard/login" in page.url  # no session yet
            page.fill("#token", company.tokens["sales"])
            page.click("section.login button[type=submit]")
            page.wait_for_url(f"{live}/dashboard/")

            visited: list[tuple[str, str]] = [(slug, f"{live}/dashboard/{slug}")
                                              for slug, _ in NAV]
            for slug, url in visited:
                response = page.goto(url)
                assert response is not None and response.status == 200, (slug, response)
                name = slug or "overview"
                charts = page.locator("figure.chart")
                for i in range(charts.count()):
                    marks = charts.nth(i).locator("svg g[class*='role-mark'] path, "
                                                  "svg g[class*='role-mark'] rect")
                    assert marks.count() > 0, (name, charts.nth(i).get_attribute("id"))
                if slug in ("", "funnel", "sla", "attribution", "routing"):
                    assert charts.count() > 0, f"the {name} page drew no chart"
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= 1366, (name, width)  # no sideways scrolling on a laptop
                _shoot(page, name, docs)

            # a lead's page, opened from the list as a user would
            page.goto(f"{live}/dashboard/leads")
            page.locator("table#newest a").first.click()
            page.wait_for_load_state()
            assert "/dashboard/leads/" in page.url
            assert page.locator("form#accept button").count() == 1  # sales may accept
            _shoot(page, "lead", docs)
        finally:
            browser.close()
    assert not errors, errors
    assert not foreign, foreign


def _shoot(page: object, name: str, docs: bool) -> None:
    target = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(target), full_page=True)  # type: ignore[attr-defined]
    if docs:
        shutil.copyfile(target, DOCS_SHOTS / f"{name}.png")
