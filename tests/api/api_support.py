"""Helpers for the API tests: a workspace with the starter contract, one account, an SDR,
an enterprise AE and one token per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
