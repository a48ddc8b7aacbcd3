"""Contract sign-off over HTTP (issue 13, items 4–5; seed 002): who may propose and sign,
and events deciding with the version active at their time.

Workspace: the starter contract (version 1). Version 2 changes only `version`, `effective`
(2025-02-01) and speed_to_lead (1 business hour instead of 2). Mon 2025-02-03 15:00 UTC =
10:00 New York: a demo request then is due 16:00 UTC under version 2, 17:00 under 1.
"""

from __future__ import annotations

from typing import Any

from api_support import Served

from accord.api.tokens import ROLES
from accord.store import open_store
from accord.workspace import starter_contract_text

V2 = (starter_contract_text().replace("version: 1\n", "version: 2\n", 1)
      .replace("effective: 2026-01-01", "effective: 2025-02-01", 1)
      .replace("    within: 2 business_hours\n", "    within: 1 business_hours\n", 1))

#: Which roles get through each write endpoint; every other role gets 403.
ALLOWED = {"propose": {"revops", "admin"}, "sign": {"marketing", "sales"}}


def demo(lead_id: str, day: str) -> list[dict[str, Any]]:
    return [{"id": f"{lead_id}-c", "kind": "lead_created", "lead_id": lead_id,
             "at": f"{day}T14:00:00Z", "email": f"{lead_id}@soft.example", "channel": "web",
             "title": "VP Sales", "country": "US", "account_id": "A1"},
            {"id": f"{lead_id}-d", "kind": "touch", "lead_id": lead_id,
             "signal": "demo_request", "at": f"{day}T15:00:00Z"}]


def test_role_matrix_for_the_sign_off_endpoints(served: Served) -> None:
    with served.client() as c:
        for role in ROLES:
            r = c.post("/v1/contract/proposals", json={"text": V2}, headers=served.auth(role))
            expected = 200 if role in ALLOWED["propose"] else 403
            assert r.status_code == expected, (role, r.text)
            if expected == 403:
                assert "revops or admin" in r.json()["error"]
        for role in ROLES:
            r = c.post("/v1/contract/versions/2/signatures", json={"name": f"{role} lead"},
                       headers=served.auth(role))
            expected = 200 if role in ALLOWED["sign"] else 403
            assert r.status_code == expected, (role, r.text)
            if expected == 200:
                assert r.json()["side"] == role
        for role in ROLES:
            assert c.get("/v1/contract/history", headers=served.auth(role)).status_code == 200
        # without a token or with a bad one: 401 on every sign-off endpoint
        for method, path, body in (("post", "/v1/contract/proposals", {"text": V2}),
                                   ("post", "/v1/contract/versions/2/signatures",
                                    {"name": "x"}),
                                   ("get", "/v1/contract/history", None)):
            for headers in ({}, {"Authorization": "Bearer acc_000000000000_nope-nope-nope"}):
                kw = {"json": body} if body is not None else {}
                assert getattr(c, method)(path, headers=headers, **kw).status_code == 401
        h = c.get("/v1/contract/history", headers=served.auth("viewer")).json()
    assert h["active"] == 2
    assert h["versions"][0]["signatures"]["marketing"]["signer"] == "marketing lead"
    assert h["versions"][0]["signatures"]["sales"]["signer"] == "sales lead"
    # each accepted sign-off write has its audit row (the second proposal stored nothing;
    # the fixture's own `token create`s are audited with role `local`)
    st = open_store(served.store_url)
    try:
        rows = st.service_table("audit_log").to_pyarrow().to_pylist()
    finally:
        st.close()
    assert {(r["audit_id"], r["role"]) for r in rows if r["role"] != "local"} == {
        ("contract-proposal:2", "revops"), ("contract-signature:2:marketing", "marketing"),
        ("contract-signature:2:sales", "sales")}


def test_sign_off_decides_from_the_second_signature_over_http(served_on: Served) -> None:
    with served_on.client() as c:
        def post(event: dict[str, Any]) -> dict[str, Any]:
            r = c.post("/v1/events", json=event, headers=served_on.auth("admin"))
            assert r.status_code == 200, r.text
            answer: dict[str, Any] = r.json()
            return answer

        r = c.post("/v1/contract/proposals", json={"text": V2}, headers=served_on.auth("revops"))
        assert r.status_code == 200, r.text
        changes = {ch["key"]: ch for ch in r.json()["changes"]}
        assert changes["slas.speed_to_lead.within"]["old"] == "2 business_hours"
        assert changes["slas.speed_to_lead.within"]["new"] == "1 business_hours"

        other = V2.replace("mql_to_sal: {target: 0.70}", "mql_to_sal: {target: 0.80}")
        r = c.post("/v1/contract/proposals", json={"text": other},
                   headers=served_on.auth("admin"))
        assert r.status_code == 409 and "version 2" in r.json()["error"]

        r = c.post("/v1/contract/versions/2/signatures", json={"name": "Dana"},
                   headers=served_on.auth("marketing"))
        assert r.status_code == 200 and r.json()["signed"] is False
        half = [post(e) for e in demo("L1", "2025-02-03")]
        assert [a["contract_version"] for a in half] == [1, 1]
        assert half[1]["sla_deadlines"]["speed_to_lead"].startswith("2025-02-03T17:00")

        r = c.post("/v1/contract/versions/2/signatures", json={"name": "Dana again"},
                   headers=served_on.auth("marketing"))
        assert r.status_code == 409 and "marketing side" in r.json()["error"]
        r = c.post("/v1/contract/versions/2/signatures", json={"name": "Sam"},
                   headers=served_on.auth("sales"))
        assert r.status_code == 200 and r.json()["signed"] is True

        after = [post(e) for e in demo("L2", "2025-02-03")]
        assert [a["contract_version"] for a in after] == [2, 2]
        assert after[1]["sla_deadlines"]["speed_to_lead"].startswith("2025-02-03T16:00")
        before = [post(e) for e in demo("L3", "2025-01-28")]
        assert [a["contract_version"] for a in before] == [1, 1]

        logs = {lead: {d["contract_version"] for d in c.get(
            f"/v1/leads/{lead}", headers=served_on.auth("viewer")).json()["decisions"]}
            for lead in ("L1", "L2", "L3")}
        assert logs == {"L1": {1}, "L2": {2}, "L3": {1}}

        r = c.post("/v1/contract/versions/9/signatures", json={"name": "Sam"},
                   headers=served_on.auth("sales"))
        assert r.status_code == 422 and "'9'" in r.json()["error"]
        r = c.post("/v1/contract/proposals", json={"text": V2, "extra": 1},
                   headers=served_on.auth("revops"))
        assert r.status_code == 422 and "'extra'" in r.json()["error"]
