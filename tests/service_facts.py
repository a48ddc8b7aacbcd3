"""The small company the live-intake and API tests decide on: one account (software, 200
employees, US), one active SDR (R1) and an enterprise AE (R9)."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from accord.facts import FACT_TABLES
from accord.store import Store


def seed_service_facts(store: Store) -> None:
    def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())

    store.write_facts({
        "accounts": table("accounts", [{"account_id": "A1", "name": "Soft",
                                        "domain": "soft.example", "industry": "software",
                                        "employees": 200, "country": "US"}]),
        "reps": table("reps", [{"rep_id": "R1", "name": "Rae", "role": "sdr",
                                "active": True},
                               {"rep_id": "R9", "name": "Ed", "role": "ae",
                                "segment": "enterprise", "active": True}]),
    })
