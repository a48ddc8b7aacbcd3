"""The HTTP API's wiring: tokens and roles, idempotent events, the same JSON as the CLI.

Workspace: tests/api/conftest.py (starter contract; account A1 software, 200 employees, US;
SDR R1; a token per role). T0 = Mon 2025-01-06 14:00 UTC.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from api_support import LEAD, Served, demo, lead
from typer.testing import CliRunner

from accord.cli import app as cli

# Who may send what (issue 13: only sales accept or reject; admin may do everything).
# One row per kind: the roles that get through; every other role gets 403.
ALLOWED = {
    "lead_created": {"marketing", "revops", "admin"},
    "touch": {"marketing", "revops", "admin"},
    "activity": {"sales", "revops", "admin"},
    "accept": {"sales", "admin"},
    "reject": {"sales", "admin"},
}
ROLES = ("viewer", "marketing", "sales", "revops", "admin")


def body(kind: str, role: str) -> dict[str, Any]:
    """A valid event of `kind` for lead `M-<kind>-<role>` (set up at MQL beforehand)."""
    lead_id = f"M-{kind}-{role}"
    at = "2025-01-06T16:00:00Z"
    return {
        "lead_created": {**LEAD, "id": f"x-{kind}-{role}", "lead_id": f"N-{role}"},
        "touch": {"id": f"x-{kind}-{role}", "kind": "touch", "lead_id": lead_id,
                  "signal": "pricing_page", "at": at},
        "activity": {"id": f"x-{kind}-{role}", "kind": "activity", "lead_id": lead_id,
                     "rep_id": "R1", "type": "call", "at": at},
        "accept": {"id": f"x-{kind}-{role}", "kind": "accept", "lead_id": lead_id, "at": at},
        "reject": {"id": f"x-{kind}-{role}", "kind": "reject", "lead_id": lead_id,
                   "reason": "timing", "at": at},
    }[kind]


def test_role_matrix_for_posting_events(served: Served) -> None:
    with served.client() as c:
        for kind in ALLOWED:
            for role in ROLES:
                lead_id = f"M-{kind}-{role}"
                for setup in (lead(lead_id), demo(lead_id)):
                    assert c.post("/v1/events", json=setup,
                                  headers=served.auth("admin")).status_code == 200
        for kind, allowed in ALLOWED.items():
            for role in ROLES:
                r = c.post("/v1/events", json=body(kind, role), headers=served.auth(role))
                if role in allowed:
                    assert r.status_code == 200, (kind, role, r.text)
                else:
                    assert r.status_code == 403, (kind, role, r.text)
                    assert role in r.json()["error"]
                    assert all(a in r.json()["error"] for a in allowed)
            for headers in ({}, {"Authorization": "Bearer acc_000000000000_" + "x" * 43},
                            {"Authorization": "Basic abc"},
                            {"Authorization": served.auth("sales")["Authorization"][:-2]}):
                r = c.post("/v1/events", json=body(kind, "sales"), headers=headers)
                assert r.status_code == 401, (kind, headers)
        # reads need a token of any role
        assert c.get("/v1/contract").status_code == 401
        for role in ROLES:
            assert c.get("/v1/contract", headers=served.auth(role)).status_code == 200
        # every accepted write has its audit row: 5 kinds x 5 roles x 2 setups + allowed ones
        # (besides the rows of the fixture's `accord token create`s, role `local`)
        rows = [r for r in
                c.app.state.service.store.service_table("audit_log").to_pyarrow().to_pylist()
                if r["role"] != "local"]
    audited = {(r["event_id"], r["token_name"], r["role"]) for r in rows}
    assert ("x-accept-sales", "sales-bot", "sales") in audited
    assert len(rows) == 2 * 5 * 5 + sum(len(a) for a in ALLOWED.values())


def test_replay_and_conflict_over_http(served_on: Served) -> None:
    served = served_on
    with served.client() as c:
        h = served.auth("admin")
        first = c.post("/v1/events", json=lead("L1"), headers=h)
        assert first.status_code == 200
        touch = c.post("/v1/events", json=demo("L1"), headers=h)
        assert (touch.json()["stage"], touch.json()["owner"], touch.json()["contract_version"],
                touch.json()["replayed"]) == ("MQL", "R1", 1, False)
        again = c.post("/v1/events", json=demo("L1"), headers=h)
        assert again.status_code == 200
        assert again.json() == {**touch.json(), "replayed": True}
        clash = c.post("/v1/events", json={**demo("L1"), "signal": "whitepaper"}, headers=h)
        assert clash.status_code == 409 and "'d-L1'" in clash.json()["error"]
        # bad input: 4xx naming the field, never 500
        cases = [
            (b"{not json", 400, "JSON"),
            (b"[1, 2]", 400, "object"),
            (json.dumps({**demo("L1"), "id": 5}).encode(), 422, "'id'"),
            (json.dumps({**demo("L1"), "id": "n1", "extra": 1}).encode(), 422, "'extra'"),
            (json.dumps({"id": "n2", "kind": "reject", "lead_id": "L1",
                         "at": "2025-01-06T18:00:00Z"}).encode(), 422, "'reason'"),
            (json.dumps({"id": "n3", "kind": "reject", "lead_id": "L1", "reason": "meh",
                         "at": "2025-01-06T18:00:00Z"}).encode(), 422, "meh"),
            (json.dumps({"id": "n4", "kind": "touch", "lead_id": "L404",
                         "signal": "demo_request", "at": "2025-01-06T18:00:00Z"}).encode(),
             422, "L404"),
        ]
        for raw, status, named in cases:
            r = c.post("/v1/events", content=raw, headers={**h, "Content-Type":
                                                           "application/json"})
            assert (r.status_code, named in r.json()["error"]) == (status, True), r.text
        got = c.get("/v1/leads/L1", headers=h).json()
        assert [(d["event_id"], d["kind"], d["value"]) for d in got["decisions"]
                if d["kind"] in ("stage", "owner")] == [
            ("c-L1", "stage", "Lead"), ("d-L1", "stage", "MQL"), ("d-L1", "owner", "R1")]
        assert got["current"]["stage"] == "MQL"
        missing = c.get("/v1/leads/NOPE", headers=h)
        assert missing.status_code == 404 and "'NOPE'" in missing.json()["error"]
        contract = c.get("/v1/contract", headers=h).json()
        assert contract["version"] == 1


@pytest.mark.parametrize(("path", "args"), [
    ("/v1/kpis", ["kpis"]),
    ("/v1/kpis?by=channel&basis=period", ["kpis", "--by", "channel", "--basis", "period"]),
    ("/v1/sla", ["sla"]),
    ("/v1/sla?period=2025-01&breaches=true", ["sla", "--period", "2025-01", "--breaches"]),
    ("/v1/funnel", ["funnel"]),
    ("/v1/funnel?period=2025&by=channel", ["funnel", "--period", "2025", "--by", "channel"]),
    ("/v1/insights?min_n=5", ["insights", "--min-n", "5"]),
    ("/v1/attribution", ["attribution"]),
    ("/v1/attribution?compare=true&measure=revenue",
     ["attribution", "--compare", "--measure", "revenue"]),
])
def test_reads_return_the_json_of_the_cli(served: Served, path: str,
                                          args: list[str]) -> None:
    with served.client() as c:
        for event in (lead("L1"), demo("L1"), lead("L2")):
            assert c.post("/v1/events", json=event,
                          headers=served.auth("admin")).status_code == 200
    result = CliRunner().invoke(cli, [*args, "--json", "-w", str(served.root)])
    assert result.exit_code == 0, result.output
    with served.client() as c:
        r = c.get(path, headers=served.auth("viewer"))
    assert r.status_code == 200
    assert r.json() == json.loads(result.stdout)


def test_bad_read_parameters_are_4xx_naming_them(served: Served) -> None:
    with served.client() as c:
        h = served.auth("viewer")
        for path, named in (("/v1/kpis?view=sideways", "sideways"),
                            ("/v1/kpis?basis=weekly", "weekly"),
                            ("/v1/sla?rep=NOBODY", "NOBODY"),
                            ("/v1/sla?limit=many", "'limit'"),
                            ("/v1/funnel?by=shoe_size", "shoe_size"),
                            ("/v1/insights?by=shoe_size", "shoe_size"),
                            ("/v1/insights?fdr=2", "'fdr'"),
                            ("/v1/attribution?model=guesswork", "guesswork"),
                            ("/v1/attribution?by=moon", "'by'"),
                            ("/v1/attribution?period=someday", "someday")):
            r = c.get(path, headers=h)
            assert 400 <= r.status_code < 500 and named in r.json()["error"], (path, r.text)


def test_tokens_never_appear_in_any_output(served: Served) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["token", "create", "--role", "sales", "--name", "crm",
                               "-w", str(served.root)])
    assert made.exit_code == 0
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("acc_") and len(token) > 40
    outputs = [runner.invoke(cli, ["token", "list", "-w", str(served.root), *flag]).output
               for flag in ([], ["--json"])]
    with served.client() as c:
        h = {"Authorization": f"Bearer {token}"}
        outputs += [c.post("/v1/events", json=e, headers=served.auth("admin")).text
                    for e in (lead("L1"), demo("L1"))]
        outputs += [c.post("/v1/events", json={"id": "a", "kind": "accept", "lead_id": "L1",
                                               "at": "2025-01-06T16:00:00Z"}, headers=h).text,
                    c.get("/v1/leads/L1", headers=h).text,
                    c.post("/v1/events", json=lead("L1"), headers={
                        "Authorization": f"Bearer {token}x"}).text]
        store = c.app.state.service.store
        dumped = json.dumps([store.service_table(n).to_pyarrow().to_pylist()
                             for n in ("api_tokens", "audit_log", "received_events",
                                       "decisions")], default=str)
    secret = token.split("_", 2)[2]
    for text in [*outputs, dumped]:
        assert secret not in text
    ids = json.loads(outputs[1])
    assert [t["name"] for t in ids][-1] == "crm"
    revoked = runner.invoke(cli, ["token", "revoke", ids[-1]["token_id"],
                                  "-w", str(served.root)])
    assert revoked.exit_code == 0 and secret not in revoked.output
    with served.client() as c:
        assert c.get("/v1/contract", headers={"Authorization": f"Bearer {token}"}
                     ).status_code == 401
