"""Two live intakes on one PostgreSQL store — what two `accord serve --workers 2` processes
are: each applies the events the other stored before it writes (issue 13, item 8), so both
decide on the same history, and an id stored by one is a replay or a conflict for the
other, never a second row."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from service_facts import seed_service_facts

from accord.contract.compiled import starter_contract
from accord.engine.intake import EventConflictError, EventIntake
from accord.store import open_store

CONTRACT = starter_contract()
NOW = datetime(2025, 1, 20, 12, 0)
LEAD: dict[str, Any] = {"kind": "lead_created", "lead_id": "L1", "at": "2025-01-06T14:00:00Z",
                        "email": "ann@soft.example", "channel": "web", "title": "VP Sales",
                        "country": "US", "account_id": "A1"}


def touch(signal: str, at: str) -> dict[str, Any]:
    return {"kind": "touch", "lead_id": "L1", "signal": signal, "at": at}


def test_two_intakes_on_postgresql_decide_on_one_history(
        store_url_factory: Callable[[str], str]) -> None:
    url = store_url_factory("postgresql")
    first, second = open_store(url), open_store(url)
    try:
        seed_service_facts(first)
        a = EventIntake(first, CONTRACT, clock=lambda: NOW)
        b = EventIntake(second, CONTRACT, clock=lambda: NOW)
        assert a.submit("c-L1", LEAD, actor="crm").answer["stage"] == "Lead"
        # b has never seen L1: it catches up on a's event before deciding its own
        pricing = b.submit("t-1", touch("pricing_page", "2025-01-06T14:30:00Z"), actor="web")
        assert pricing.answer["lead_id"] == "L1" and pricing.answer["stage"] == "Lead"
        # a's next event builds on b's touch: the demo request's engagement counts both
        demo = a.submit("t-2", touch("demo_request", "2025-01-06T15:00:00Z"), actor="web")
        assert demo.answer["stage"] == "MQL" and demo.answer["owner"] == "R1"
        assert demo.answer["engagement"] > pricing.answer["engagement"] > 0
        # the same answer from a single intake replaying the same three events
        solo_url = store_url_factory("postgresql")
        solo_store = open_store(solo_url)
        try:
            seed_service_facts(solo_store)
            solo = EventIntake(solo_store, CONTRACT, clock=lambda: NOW)
            solo.submit("c-L1", LEAD, actor="crm")
            solo.submit("t-1", touch("pricing_page", "2025-01-06T14:30:00Z"), actor="web")
            alone = solo.submit("t-2", touch("demo_request", "2025-01-06T15:00:00Z"),
                                actor="web")
        finally:
            solo_store.close()
        assert demo.answer == alone.answer
        # an id the other intake stored: the same body is a replay with the first answer,
        # another body a conflict naming the id; nothing is written twice
        again = b.submit("t-2", touch("demo_request", "2025-01-06T15:00:00Z"), actor="web")
        assert again.replayed and again.answer == demo.answer
        with pytest.raises(EventConflictError, match="'t-2'"):
            b.submit("t-2", touch("whitepaper", "2025-01-06T15:00:00Z"), actor="web")
        with first.transaction() as cur:
            rows = first.query(cur, "SELECT event_id, COUNT(*) FROM received_events "
                                    "GROUP BY event_id ORDER BY event_id")
        assert [(r[0], int(r[1])) for r in rows] == [("c-L1", 1), ("t-1", 1), ("t-2", 1)]
    finally:
        first.close()
        second.close()
