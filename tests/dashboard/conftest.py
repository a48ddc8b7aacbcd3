"""Dashboard fixtures: a simulated company (built once per run through the real CLI), and a
logged-in dashboard over it, in this process (`dash`) or over a copy that a test may write
to (`dash_copy`)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

ACCORD = str(Path(sys.executable).with_name("accord"))
ROLES = ("viewer", "marketing", "sales", "revops", "admin")


def accord(*args: str, cwd: Path) -> str:
    p = subprocess.run([ACCORD, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, (args, p.stderr[-2000:])
    return p.stdout


@dataclass(frozen=True)
class Company:
    """A workspace `root` (its DuckDB store inside) with one token per role."""

    root: Path
    tokens: dict[str, str]


def build_company(base: Path, leads: int = 1500) -> Company:
    base.mkdir(parents=True, exist_ok=True)
    accord("init", "ws", cwd=base)
    accord("simulate", "--out", "facts", "--leads", str(leads), "--seed", "7", cwd=base)
    accord("import", "facts", "-w", "ws", cwd=base)
    accord("run", "-w", "ws", cwd=base)
    tokens = {r: accord("token", "create", "--role", r, "--name", f"{r}-user", "-w", "ws",
                        cwd=base).strip() for r in ROLES}
    return Company(base / "ws", tokens)


@pytest.fixture(scope="session")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    return build_company(tmp_path_factory.mktemp("company"))


@dataclass
class Dash:
    """A dashboard in this process: `get(path, role)` and `post(path, role, data)` as a
    logged-in user of that role (logged in once per role)."""

    client: TestClient
    company: Company
    cookies: dict[str, str] = field(default_factory=dict)

    def login(self, role: str) -> str:
        if role not in self.cookies:
            page = self.client.get("/dashboard/login")
            csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
            assert csrf, page.text
            r = self.client.post("/dashboard/login", follow_redirects=False, data={
                "csrf": csrf.group(1), "token": self.company.tokens[role],
                "next": "/dashboard/"})
            assert r.status_code == 303, r.text
            self.cookies[role] = r.cookies["accord_session"]
            self.client.cookies.clear()
        return self.cookies[role]

    def get(self, path: str, role: str = "viewer", **params: Any) -> Any:
        cookie = self.login(role)
        return self.client.get(path, params=params or None,
                               headers={"Cookie": f"accord_session={cookie}"})

    def post(self, path: str, role: str, data: dict[str, str]) -> Any:
        cookie = self.login(role)
        return self.client.post(path, data=data, follow_redirects=False,
                                headers={"Cookie": f"accord_session={cookie}"})

    def csrf(self, page_html: str) -> str:
        m = re.search(r'name="csrf" value="([^"]+)"', page_html)
        assert m, "no CSRF field on the page"
        return m.group(1)


def _dash(root: Path, company: Company) -> Iterator[Dash]:
    from accord.api.app import create_app

    with TestClient(create_app(root), base_url="http://127.0.0.1") as client:
        yield Dash(client, Company(root, company.tokens))


@pytest.fixture(scope="session")
def dash(company: Company) -> Iterator[Dash]:
    """Read-only use: pages over the shared company."""
    yield from _dash(company.root, company)


@pytest.fixture
def dash_copy(company: Company, tmp_path: Path) -> Iterator[Dash]:
    """A copy of the company a test may write to."""
    root = tmp_path / "ws"
    shutil.copytree(company.root, root)
    yield from _dash(root, company)


def table_rows(html: str, table_id: str) -> list[dict[str, Any]]:
    """A page table's rows as {column key: exact value} (the cells' `data-value`)."""
    import html as html_lib
    import json

    m = re.search(rf'<table id="{re.escape(table_id)}".*?</table>', html, re.S)
    if m is None and f'id="{table_id}-title"' in html:
        return []  # the section is there, with nothing to show
    assert m, f"no table {table_id!r} on the page"
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", m.group(0), re.S):
        cells = re.findall(r'<td data-key="([^"]+)" data-value="([^"]*)"', tr)
        if cells:
            rows.append({k: json.loads(html_lib.unescape(v)) for k, v in cells})
    return rows
