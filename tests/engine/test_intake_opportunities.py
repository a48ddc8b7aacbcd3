"""A lead's path to a won deal through the live intake: qualified by hand (`move`), an
opportunity created, updated while open (`opportunity_updated`: amount, owner, source) and
closed — the deal kept as last known in `opportunities`, and the batch run over the same
facts agreeing with the decision log (issue 13, items 1 and 3)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from service_facts import seed_service_facts

from accord.contract.compiled import starter_contract
from accord.engine.batch import run
from accord.engine.intake import EventIntake
from accord.errors import EngineError, UsageError
from accord.store import Store

CONTRACT = starter_contract()
NOW = datetime(2025, 3, 1, 12, 0)
LEAD: dict[str, Any] = {"kind": "lead_created", "lead_id": "L1", "at": "2025-01-06T14:00:00Z",
                        "email": "ann@soft.example", "channel": "web", "title": "VP Sales",
                        "country": "US", "account_id": "A1"}


def ev(kind: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "lead_id": "L1", "at": at, **fields}


def deal(store: Store) -> dict[str, Any]:
    with store.transaction() as cur:
        rows = store.query(cur, "SELECT amount, owner_rep_id, source, status FROM "
                                "opportunities WHERE opportunity_id = 'O1'")
    assert len(rows) == 1
    return dict(zip(("amount", "owner_rep_id", "source", "status"), rows[0], strict=True))


def received(store: Store) -> int:
    with store.transaction() as cur:
        return int(store.query(cur, "SELECT COUNT(*) FROM received_events")[0][0])


def to_opportunity(store: Store) -> EventIntake:
    seed_service_facts(store)
    i = EventIntake(store, CONTRACT, clock=lambda: NOW)
    i.submit("c1", LEAD, actor="crm")
    i.submit("t1", ev("touch", "2025-01-06T15:00:00Z", signal="demo_request"), actor="web")
    i.submit("a1", ev("accept", "2025-01-06T16:00:00Z", rep_id="R1"), actor="sdr")
    sql = i.submit("m1", ev("move", "2025-01-07T10:00:00Z", to_stage="SQL"), actor="sdr")
    assert sql.answer["stage"] == "SQL"
    opp = i.submit("o1", ev("opportunity_created", "2025-01-08T10:00:00Z",
                            opportunity_id="O1", amount=24000), actor="ae")
    assert opp.answer["stage"] == "Opportunity"
    return i


def test_an_open_deal_is_updated_as_last_known_and_moves_no_stage(store: Store) -> None:
    i = to_opportunity(store)
    up = i.submit("u1", ev("opportunity_updated", "2025-01-20T10:00:00Z",
                           opportunity_id="O1", amount=30000, owner_rep_id="R9"), actor="ae")
    assert up.answer["stage"] == "Opportunity"
    assert deal(store) == {"amount": 30000.0, "owner_rep_id": "R9", "source": None,
                           "status": "open"}
    # a second update changes only what it names
    i.submit("u2", ev("opportunity_updated", "2025-01-21T10:00:00Z", opportunity_id="O1",
                      source="marketing"), actor="ae")
    assert deal(store) == {"amount": 30000.0, "owner_rep_id": "R9", "source": "marketing",
                           "status": "open"}
    won = i.submit("w1", ev("opportunity_closed", "2025-02-03T10:00:00Z",
                            opportunity_id="O1", won=True), actor="ae")
    assert won.answer["stage"] == "Customer"
    assert deal(store)["status"] == "won" and deal(store)["amount"] == 30000.0
    # the derived view over the same facts: the same stage as the decision log
    run(store, CONTRACT, NOW)
    stages = {r["lead_id"]: r["stage"] for r in store.derived("stages").to_pyarrow().to_pylist()}
    assert stages == {"L1": "Customer"}


def test_bad_updates_are_refused_naming_the_rule_and_change_nothing(store: Store) -> None:
    i = to_opportunity(store)
    before, kept = received(store), deal(store)
    bad: list[tuple[dict[str, Any], type[Exception], str]] = [
        (ev("opportunity_updated", "2025-01-20T10:00:00Z", opportunity_id="O1"),
         UsageError, "at least one of 'amount'"),
        (ev("opportunity_updated", "2025-01-20T10:00:00Z", opportunity_id="O7", amount=1),
         EngineError, "no opportunity 'O7'"),
        (ev("opportunity_updated", "2025-01-08T09:00:00Z", opportunity_id="O1", amount=1),
         EngineError, "before the opportunity was created"),
        (ev("opportunity_updated", "2025-01-20T10:00:00Z", opportunity_id="O1",
            amount=-5), UsageError, "'amount'"),
        (ev("move", "2025-01-20T10:00:00Z", to_stage="Customer"), EngineError, "by hand"),
        (ev("move", "2025-01-20T10:00:00Z", to_stage="Limbo"), Exception, "Limbo"),
    ]
    for n, (body, error, named) in enumerate(bad):
        with pytest.raises(error, match=named):
            i.submit(f"bad{n}", body, actor="ae")
    assert received(store) == before and deal(store) == kept
    i.submit("w1", ev("opportunity_closed", "2025-02-03T10:00:00Z", opportunity_id="O1",
                      won=False, close_reason="budget"), actor="ae")
    with pytest.raises(EngineError, match="already lost"):
        i.submit("late", ev("opportunity_updated", "2025-02-04T10:00:00Z",
                            opportunity_id="O1", amount=1), actor="ae")
    assert deal(store)["status"] == "lost" and deal(store)["amount"] == 24000.0
