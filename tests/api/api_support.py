"""Helpers for the API tests: a workspace with the starter contract, one account, an SDR,
an enterprise AE and one token per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from service_facts import seed_service_facts

from accord.api.app import create_app
from accord.api.tokens import ROLES, create_token
from accord.store import open_store
from accord.workspace import starter_contract_text


@dataclass
class Served:
    root: Path
    store_url: str
    tokens: dict[str, str]  # role -> token

    def client(self) -> TestClient:
        return TestClient(create_app(self.root, self.store_url), raise_server_exceptions=False)

    def auth(self, role: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def seed_workspace(root: Path, store_url: str) -> dict[str, str]:
    (root / "accord.yaml").write_text(starter_contract_text())
    st = open_store(store_url)
    try:
        seed_service_facts(st)
        return {role: create_token(st, f"{role}-bot", role)[0] for role in ROLES}
    finally:
        st.close()


#: A new lead from account A1 (software, 200 employees, US): fit 100, tier A.
LEAD = {"kind": "lead_created", "at": "2025-01-06T14:00:00Z", "email": "ann@soft.example",
        "channel": "web", "title": "VP Sales", "country": "US", "account_id": "A1"}


def lead(lead_id: str) -> dict[str, Any]:
    """The `lead_created` event of `lead_id` (id `c-<lead>`), at 09:00 New York."""
    return {**LEAD, "id": f"c-{lead_id}", "lead_id": lead_id}


def demo(lead_id: str) -> dict[str, Any]:
    """Its demo request (id `d-<lead>`) an hour later: MQL, routed to R1."""
    return {"id": f"d-{lead_id}", "kind": "touch", "lead_id": lead_id,
            "signal": "demo_request", "at": "2025-01-06T15:00:00Z"}
