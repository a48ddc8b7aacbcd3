"""The live answer explains itself (issue 13, item 1): the routing rule that chose the
owner, and the scores' parts — worked out by hand here from the starter contract's ICP
and routing rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa
import pytest

from accord.contract.compiled import starter_contract
from accord.engine.intake import EventIntake
from accord.facts import FACT_TABLES
from accord.store import Store

NOW = datetime(2025, 1, 20, 12, 0)


def seed(store: Store) -> None:
    """Three accounts: Soft (software, 200 employees, US, no owner), Big (software, 5,000
    employees, US) and Owned (fintech, 80 employees, DE, owned by AE R9); SDR R1, AE R9."""
    def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())

    store.write_facts({
        "accounts": table("accounts", [
            {"account_id": "A1", "name": "Soft", "domain": "soft.example",
             "industry": "software", "employees": 200, "country": "US"},
            {"account_id": "A2", "name": "Big", "domain": "big.example",
             "industry": "software", "employees": 5000, "country": "US"},
            {"account_id": "A3", "name": "Owned", "domain": "owned.example",
             "industry": "fintech", "employees": 80, "country": "DE",
             "owner_rep_id": "R9"}]),
        "reps": table("reps", [
            {"rep_id": "R1", "name": "Rae", "role": "sdr", "active": True},
            {"rep_id": "R9", "name": "Ed", "role": "ae", "segment": "enterprise",
             "active": True}]),
    })


def mql(i: EventIntake, lead_id: str, account: str, title: str) -> dict[str, Any]:
    i.submit(f"c-{lead_id}", {"kind": "lead_created", "lead_id": lead_id,
                              "at": "2025-01-06T14:00:00Z", "channel": "web",
                              "email": f"{lead_id}@{account.lower()}.example",
                              "title": title, "account_id": account}, actor="crm")
    for n, signal in enumerate(("pricing_page", "demo_request")):
        answer = i.submit(f"t-{lead_id}-{n}", {
            "kind": "touch", "lead_id": lead_id, "signal": signal,
            "at": f"2025-01-06T15:0{n}:00Z"}, actor="web").answer
    return answer


def test_the_answer_names_the_routing_rule_and_the_points(store: Store) -> None:
    seed(store)
    i = EventIntake(store, starter_contract(), clock=lambda: NOW)
    owned = mql(i, "L1", "A3", "Head of Revenue")
    big = mql(i, "L2", "A2", "Analyst")
    plain = mql(i, "L3", "A1", "VP Sales")
    # rules in order: an account owner first, then >= 1,000 employees, then inbound
    assert (owned["owner"], owned["routing"]["rule"]) == ("R9", "abm_account_owner")
    assert (big["owner"], big["routing"]["rule"], big["routing"]["pool"]) == \
        ("R9", "enterprise", "enterprise_ae")
    assert (plain["owner"], plain["routing"]["rule"], plain["routing"]["pool"]) == \
        ("R1", "inbound", "sdr")
    # fit by hand: industry software/fintech 30, 50-1000 employees 30, country in the
    # list (US, DE, ...) 20, a senior title (vp/head/director/chief) 20
    expected = {"L1": {"industry": 30, "employees": 30, "country": 20, "title": 20},
                "L2": {"industry": 30, "employees": 0, "country": 20, "title": 0},
                "L3": {"industry": 30, "employees": 30, "country": 20, "title": 20}}
    for lead, answer in (("L1", owned), ("L2", big), ("L3", plain)):
        points = {c["field"]: c["points"] for c in answer["why"]["fit"]}
        assert points == expected[lead], lead
        assert answer["fit"] == sum(expected[lead].values())
        # engagement by hand: pricing_page 15 points with a 14-day half-life, one minute
        # before the demo request (50 points, a hand-raise: no decay)
        pricing = 15 * 0.5 ** ((1 / 1440) / 14)
        parts = {g["signal"]: g["contribution"] for g in answer["why"]["engagement"]}
        assert parts == {"pricing_page": pytest.approx(pricing, abs=1e-6),
                         "demo_request": 50.0}
        assert answer["engagement"] == pytest.approx(50 + pricing, abs=1e-6)
    # the owner keeps its routing after later events, and a lead not routed has none
    later = i.submit("a-L3", {"kind": "activity", "lead_id": "L3", "rep_id": "R1",
                              "type": "call", "at": "2025-01-06T16:00:00Z"}, actor="sdr")
    assert later.answer["routing"] == plain["routing"]
    fresh = i.submit("c-L4", {"kind": "lead_created", "lead_id": "L4",
                              "at": "2025-01-06T14:00:00Z", "channel": "web",
                              "email": "x@soft.example", "account_id": "A1"}, actor="crm")
    assert fresh.answer["owner"] is None and fresh.answer["routing"] is None
