"""Helpers for the API tests: a workspace with the starter contract, one account, an SDR,
an enterprise AE and one token per role."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.api.tokens import ROLES, create_token
from accord.facts import FACT_TABLES
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
        def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
            return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())

        st.write_facts({
            "accounts": table("accounts", [{"account_id": "A1", "name": "Soft",
                                            "domain": "soft.example", "industry": "software",
                                            "employees": 200, "country": "US"}]),
            "reps": table("reps", [{"rep_id": "R1", "name": "Rae", "role": "sdr",
                                    "active": True},
                                   {"rep_id": "R9", "name": "Ed", "role": "ae",
                                    "segment": "enterprise", "active": True}]),
        })
        return {role: create_token(st, f"{role}-bot", role)[0] for role in ROLES}
    finally:
        st.close()
