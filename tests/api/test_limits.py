"""Bounds on what an event or a proposal may hold (issue 13, item 10; found by the
OpenAPI fuzz test): event times before 1970 and amounts that are huge or not finite would
break the analytics later, and a control character in a proposed contract is no YAML —
each is a 4xx naming the field or line, and the store is left as it was. (Rate limits,
size limits, headers and secrets: tests/api/test_security.py.)"""

from __future__ import annotations

from typing import Any

from api_support import Served, demo, lead

from accord.store import open_store


def received(served: Served) -> int:
    st = open_store(served.store_url)
    try:
        st.ensure_service_tables()
        return int(st.service_table("received_events").count().execute())
    finally:
        st.close()


def test_out_of_range_times_amounts_and_control_characters_are_refused(
        served: Served) -> None:
    with served.client() as c:
        h = served.auth("admin")
        for body in (lead("L1"), demo("L1")):
            assert c.post("/v1/events", json=body, headers=h).status_code == 200
        before = received(served)
        at = "2025-01-06T16:00:00Z"
        cases: list[tuple[dict[str, Any], str]] = [
            ({**lead("L2"), "at": "0114-12-16T14:40:41"}, "field 'at'"),
            ({**lead("L2"), "at": "1969-12-31T23:59:59Z"}, "from 1970 on"),
            ({"id": "o1", "kind": "opportunity_created", "lead_id": "L1",
              "opportunity_id": "O1", "amount": 1e300, "at": at}, "field 'amount'"),
            ({"id": "o2", "kind": "opportunity_created", "lead_id": "L1",
              "opportunity_id": "O1", "amount": "lots", "at": at}, "field 'amount'"),
        ]
        for body, named in cases:
            r = c.post("/v1/events", json=body, headers=h)
            assert r.status_code == 422, (body, r.text)
            assert named in r.json()["error"], (body, r.text)
        r = c.post("/v1/contract/proposals", json={"text": "version: 2\nowners: a\x13\n"},
                   headers=h)
        assert r.status_code == 422 and "proposal:2" in r.json()["error"], r.text
        assert "control character" in r.json()["error"]
        assert c.get("/v1/contract/history", headers=h).json()["versions"] == []
    assert received(served) == before
