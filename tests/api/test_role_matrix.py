"""Roles × write endpoints (issue 13, item 4), generated from one table: only sales (and
admin) accept or reject; marketing creates leads and touches; sales logs activities and
opportunities; revops and admin propose contract versions; only the marketing and the
sales owner sign. No token and a bad token: 401 on every endpoint."""

from __future__ import annotations

from typing import Any

import pytest
from api_support import Served
from fastapi.testclient import TestClient

from accord.api.tokens import ROLES

OK, NO = 200, 403
# write -> the roles answered 200 (every other role: 403)
MATRIX: dict[str, tuple[str, ...]] = {
    "lead_created": ("marketing", "revops", "admin"),
    "touch": ("marketing", "revops", "admin"),
    "activity": ("sales", "revops", "admin"),
    "accept": ("sales", "admin"),
    "reject": ("sales", "admin"),
    "move": ("sales", "admin"),
    "opportunity_created": ("sales", "revops", "admin"),
    "opportunity_updated": ("sales", "revops", "admin"),
    "opportunity_closed": ("sales", "revops", "admin"),
    "proposal": ("revops", "admin"),
    "signature": ("marketing", "sales"),
}

LEAD = {"id": "m-L1", "kind": "lead_created", "lead_id": "L1", "at": "2025-01-06T14:00:00Z",
        "email": "ann@soft.example", "channel": "web", "title": "VP Sales", "country": "US",
        "account_id": "A1"}
DEMO = {"id": "m-demo", "kind": "touch", "lead_id": "L1", "signal": "demo_request",
        "at": "2025-01-06T15:00:00Z"}
BODIES: dict[str, dict[str, Any]] = {
    "lead_created": {**LEAD, "id": "m-L2", "lead_id": "L2"},
    "touch": {"id": "m-t", "kind": "touch", "lead_id": "L1", "signal": "pricing_page",
              "at": "2025-01-06T16:00:00Z"},
    "activity": {"id": "m-a", "kind": "activity", "lead_id": "L1", "rep_id": "R1",
                 "type": "call", "at": "2025-01-06T16:00:00Z"},
    "accept": {"id": "m-acc", "kind": "accept", "lead_id": "L1", "rep_id": "R1",
               "at": "2025-01-06T16:00:00Z"},
    "reject": {"id": "m-rej", "kind": "reject", "lead_id": "L1", "reason": "timing",
               "at": "2025-01-06T16:00:00Z"},
    "move": {"id": "m-mv", "kind": "move", "lead_id": "L1", "to_stage": "Disqualified",
             "reason": "bad_fit", "at": "2025-01-06T16:00:00Z"},
    "opportunity_created": {"id": "m-oc", "kind": "opportunity_created", "lead_id": "L1",
                            "opportunity_id": "O1", "amount": 1000,
                            "at": "2025-01-06T16:00:00Z"},
    "opportunity_updated": {"id": "m-ou", "kind": "opportunity_updated", "lead_id": "L1",
                            "opportunity_id": "O0", "amount": 1500,
                            "at": "2025-01-06T16:00:00Z"},
    "opportunity_closed": {"id": "m-ox", "kind": "opportunity_closed", "lead_id": "L1",
                           "opportunity_id": "O0", "won": False,
                           "at": "2025-01-06T16:00:00Z"},
}
CASES = [(write, role, OK if role in allowed else NO)
         for write, allowed in MATRIX.items() for role in ROLES]


def _proposal(served: Served) -> dict[str, str]:
    text = (served.root / "accord.yaml").read_text()
    return {"text": text.replace("version: 1", "version: 2", 1)}


def _send(c: TestClient, served: Served, write: str, headers: dict[str, str]) -> Any:
    if write == "proposal":
        return c.post("/v1/contract/proposals", json=_proposal(served), headers=headers)
    if write == "signature":
        return c.post("/v1/contract/versions/2/signatures", json={"name": "Dana Lee"},
                      headers=headers)
    return c.post("/v1/events", json=BODIES[write], headers=headers)


def _prepare(c: TestClient, served: Served, write: str) -> None:
    """The state a write needs: a lead at MQL (owner R1), accepted before an opportunity,
    an open opportunity, a version."""
    admin = served.auth("admin")
    assert c.post("/v1/events", json=LEAD, headers=admin).status_code == 200
    assert c.post("/v1/events", json=DEMO, headers=admin).status_code == 200
    if write.startswith("opportunity"):
        assert c.post("/v1/events", json={**BODIES["accept"], "id": "m-acc0",
                                          "at": "2025-01-06T15:30:00Z"},
                      headers=admin).status_code == 200
        assert c.post("/v1/events", json={"id": "m-sql", "kind": "move", "lead_id": "L1",
                                          "to_stage": "SQL", "at": "2025-01-06T15:40:00Z"},
                      headers=admin).status_code == 200
    if write in ("opportunity_updated", "opportunity_closed"):
        assert c.post("/v1/events", json={**BODIES["opportunity_created"], "id": "m-o0",
                                          "opportunity_id": "O0"},
                      headers=admin).status_code == 200
    if write == "signature":
        assert c.post("/v1/contract/proposals", json=_proposal(served),
                      headers=admin).status_code == 200


@pytest.mark.parametrize(("write", "role", "expected"), CASES,
                         ids=[f"{w}-{r}-{e}" for w, r, e in CASES])
def test_role_may_write(served: Served, write: str, role: str, expected: int) -> None:
    with served.client() as c:
        _prepare(c, served, write)
        r = _send(c, served, write, served.auth(role))
        assert r.status_code == expected, r.text
        if expected == NO:
            assert f"role {role!r}" in r.json()["error"]
            assert "needs role" in r.json()["error"]


@pytest.mark.parametrize("write", list(MATRIX))
@pytest.mark.parametrize("auth", ["none", "bad", "malformed"])
def test_write_without_a_valid_token_is_401(served: Served, write: str, auth: str) -> None:
    admin = served.tokens["admin"]
    headers = {"none": {}, "bad": {"Authorization": f"Bearer {admin[:-4]}xxxx"},
               "malformed": {"Authorization": "Bearer not-a-token"}}[auth]
    with served.client() as c:
        r = _send(c, served, write, headers)
        assert r.status_code == 401, r.text
        assert "error" in r.json()
