"""The security basics a buyer's review asks for (issue 13, item 9), against the real app:
per-token rate limits (429 with Retry-After), request size limits (413), strict bodies
refused naming the field with the store unchanged, security headers on every answer, no
secret in any output, 127.0.0.1 by default, and an OpenAPI document that documents every
operation. (The bad-input cases of tests/api/test_api.py — malformed JSON, a wrong id
type, an unknown field, a missing or unknown reason code, an unknown lead — are not
repeated here.)"""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from api_support import Served, demo, lead
from typer.testing import CliRunner

from accord.cli import app as cli
from accord.cli.serve import serve_command
from accord.store import open_store

AT = "2025-01-06T16:00:00Z"


def received(served: Served) -> int:
    """How many events the store holds (read independently of the app)."""
    st = open_store(served.store_url)
    try:
        st.ensure_service_tables()
        return int(st.service_table("received_events").count().execute())
    finally:
        st.close()


def secret_of(token: str) -> str:
    """The secret part of `acc_<id>_<secret>`."""
    return token.split("_", 2)[2]


def token_id_of(token: str) -> str:
    return token.split("_")[1]


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_RATE_LIMIT", "2/3")  # 2 requests/s, bursts of 3
    with served.client() as c:
        viewer, sales = served.auth("viewer"), served.auth("sales")
        statuses = [c.get("/v1/contract", headers=viewer).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:], statuses
        over = c.get("/v1/contract", headers=viewer)
        assert over.status_code == 429
        assert re.fullmatch(r"[1-9][0-9]*", over.headers["retry-after"])
        assert token_id_of(served.tokens["viewer"]) in over.json()["error"]
        assert secret_of(served.tokens["viewer"]) not in over.text
        # another token has its own bucket
        assert c.get("/v1/contract", headers=sales).status_code == 200
        # a write over the limit is refused before it reaches the store
        before = received(served)
        admin = served.auth("admin")
        writes = [c.post("/v1/events", json=lead(f"L9{i}"),
                         headers=admin).status_code for i in range(6)]
        assert writes[:3] == [200, 200, 200] and 429 in writes[3:], writes
        assert received(served) == before + writes.count(200)
        # the bucket refills: 2 per second
        time.sleep(1.1)
        assert c.get("/v1/contract", headers=viewer).status_code == 200


def test_a_body_over_the_limit_is_413_and_stores_nothing(served: Served) -> None:
    with served.client() as c:
        h = {**served.auth("admin"), "Content-Type": "application/json"}
        before = received(served)
        big = json.dumps({**lead("L1"), "company": "x" * 70_000}).encode()
        r = c.post("/v1/events", content=big, headers=h)
        assert r.status_code == 413 and "bytes" in r.json()["error"], r.text

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            yield big[:40_000]
            yield big[40_000:]

        r = c.post("/v1/events", content=chunks(), headers=h)
        assert r.status_code == 413, r.text
        assert received(served) == before
        # a body under the limit still goes through
        assert c.post("/v1/events", json=lead("L1"), headers=h).status_code == 200
    assert received(served) == before + 1


BAD_EVENTS: list[tuple[dict[str, Any], str]] = [
    # an unknown field on other kinds than the touch of test_api.py
    ({**lead("L2"), "favourite_colour": "blue"}, "'favourite_colour'"),
    ({"id": "x1", "kind": "move", "lead_id": "L1", "to_stage": "SQL", "at": AT,
      "priority": 1}, "'priority'"),
    # wrong types
    ({**lead("L2"), "at": "yesterday"}, "'at'"),
    ({**lead("L2"), "email": 42}, "'email'"),
    ({"id": "o2", "kind": "opportunity_created", "lead_id": "L1",
      "opportunity_id": "O1", "amount": "lots", "at": AT}, "'amount'"),
    ({"id": "o3", "kind": "opportunity_closed", "lead_id": "L1",
      "opportunity_id": "O1", "won": "yes", "at": AT}, "'won'"),
    ({"id": "k1", "kind": "teleport", "lead_id": "L1", "at": AT}, "'kind'"),
    # an unknown stage, and a move the lifecycle refuses (MQL straight to Customer)
    ({"id": "m1", "kind": "move", "lead_id": "L1", "to_stage": "Atlantis", "at": AT},
     "Atlantis"),
    ({"id": "m2", "kind": "move", "lead_id": "L1", "to_stage": "Customer", "at": AT},
     "Customer"),
    # a reject whose reason code is not a string
    ({"id": "r1", "kind": "reject", "lead_id": "L1", "reason": 3, "at": AT}, "'reason'"),
    # an unknown lead on an accept
    ({"id": "u1", "kind": "accept", "lead_id": "NOPE", "rep_id": "R1", "at": AT}, "NOPE"),
    # a contract version that does not decide at `at`
    ({"id": "v1", "kind": "touch", "lead_id": "L1", "signal": "demo_request",
      "at": AT, "contract_version": 7}, "version"),
]


@pytest.mark.parametrize(("body", "named"), BAD_EVENTS,
                         ids=[f"{b['kind']}-{n.strip(chr(39))}" for b, n in BAD_EVENTS])
def test_a_bad_event_is_4xx_naming_the_field_or_rule_and_changes_nothing(
        served: Served, body: dict[str, Any], named: str) -> None:
    with served.client() as c:
        h = served.auth("admin")
        for event in (lead("L1"), demo("L1")):  # L1 is an MQL owned by R1
            assert c.post("/v1/events", json=event, headers=h).status_code == 200
        before = received(served)
        decisions = c.get("/v1/leads/L1", headers=h).json()["decisions"]
        r = c.post("/v1/events", json=body, headers=h)
        assert 400 <= r.status_code < 500, r.text
        assert named in r.json()["error"], r.text
        assert c.get("/v1/leads/L1", headers=h).json()["decisions"] == decisions
    assert received(served) == before


def test_non_standard_json_numbers_are_refused(served: Served) -> None:
    with served.client() as c:
        h = {**served.auth("admin"), "Content-Type": "application/json"}
        assert c.post("/v1/events", json=lead("L1"), headers=h).status_code == 200
        before = received(served)
        raw = json.dumps({"id": "o3", "kind": "opportunity_created", "lead_id": "L1",
                          "opportunity_id": "O1", "at": AT})[:-1] + ', "amount": Infinity}'
        r = c.post("/v1/events", content=raw, headers=h)
        assert 400 <= r.status_code < 500 and "amount" in r.json()["error"], r.text
    assert received(served) == before


def _assert_secured(r: Any) -> None:
    assert r.headers["x-content-type-options"] == "nosniff", r.status_code
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in r.headers["content-security-policy"]
    assert r.headers["cache-control"] == "no-store"
    assert "server" not in r.headers


def test_security_headers_on_200_4xx_and_5xx_answers(
        served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_RATE_LIMIT", "1/1")
    with served.client() as c:
        def fail() -> None:  # an endpoint with a bug: the answer is still secured
            raise RuntimeError("a bug with a detail the client must not see")

        c.app.add_api_route("/v1/broken", fail)  # type: ignore[attr-defined]
        answers = [c.get("/v1/contract", headers=served.auth("viewer")),  # 200
                   c.get("/v1/contract"),  # 401
                   c.post("/v1/events", json=lead("L1"), headers=served.auth("sales")),  # 403
                   c.get("/v1/leads/NOPE", headers=served.auth("marketing")),  # 404
                   c.get("/v1/contract", headers=served.auth("viewer")),  # 429
                   c.post("/v1/events", content=b"x" * 70_000,
                          headers=served.auth("admin")),  # 413
                   c.get("/v1/broken", headers=served.auth("revops"))]  # 500
        assert [r.status_code for r in answers] == [200, 401, 403, 404, 429, 413, 500]
        for r in answers:
            _assert_secured(r)
        assert answers[-1].json() == {"error": "internal error"}
        assert c.get("/docs").headers["x-frame-options"] == "DENY"


def test_no_secret_in_any_output(served: Served, caplog: pytest.LogCaptureFixture,
                                 store_url_factory: Callable[[str], str]) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    where = ["-w", str(served.root), "--store", served.store_url]
    made = runner.invoke(cli, ["token", "create", "--role", "sales", "--name", "crm",
                               *where])
    assert made.exit_code == 0, made.output
    crm_token = made.stdout.strip().splitlines()[-1]  # shown once: allowed
    added = runner.invoke(cli, ["webhooks", "add", "https://crm.example.com/h?key=k9",
                                "--name", "crm", "--json", *where])
    assert added.exit_code == 0, added.output
    found = re.search(r"whsec_[A-Za-z0-9_-]{20,}", added.output)  # shown once: allowed
    assert found is not None, added.output
    webhook_secret = found.group(0)
    outputs = [runner.invoke(cli, [*args, *where]).output for args in (
        ["token", "list", "--json"], ["token", "list"], ["webhooks", "list", "--json"],
        ["webhooks", "list"], ["webhooks", "log", "--json"], ["token", "revoke", "nope"],
        ["status", "--json"])]
    with served.client() as c:
        admin = served.auth("admin")
        bad = {"Authorization": served.auth("admin")["Authorization"][:-3] + "zzz"}
        outputs += [c.get("/v1/contract", headers=bad).text,
                    c.get("/v1/contract", headers={"Authorization": f"Bearer {crm_token}x"}
                          ).text,
                    c.get("/v1/webhooks", headers=admin).text,
                    c.get("/v1/webhooks/log", headers=admin).text,
                    c.get("/v1/tokens", headers=admin).text,
                    c.post("/v1/events", json={**lead("L1"), "token": crm_token},
                           headers=admin).text,
                    c.post("/v1/webhooks", json={"url": "https://x.example/h", "secret": 1},
                           headers=admin).text]
    # a PostgreSQL password in a store URL is never printed either
    url = store_url_factory("postgresql").replace("postgresql://postgres@",
                                                  "postgresql://postgres:s3cr3t-pw@", 1)
    assert "s3cr3t-pw" in url
    wrong_port = url.replace("127.0.0.1:5432", "127.0.0.1:1", 1)
    for store in (url, wrong_port):
        for args in (["status"], ["status", "--json"], ["kpis", "--json"],
                     ["token", "list", "--json"]):
            outputs.append(runner.invoke(cli, [*args, "-w", str(served.root), "--store",
                                               store]).output)
    text = "\n".join(outputs) + caplog.text
    assert "1" in text and "crm" in text  # the outputs were captured
    secrets = [secret_of(t) for t in [*served.tokens.values(), crm_token]]
    secrets += [webhook_secret, webhook_secret.removeprefix("whsec_"), "s3cr3t-pw",
                "key=k9"]
    for secret in secrets:
        assert secret not in text, secret


def test_the_server_binds_127_0_0_1_unless_told() -> None:
    host = inspect.signature(serve_command).parameters["host"].default
    assert host == "127.0.0.1"
    shown = " ".join(CliRunner().invoke(cli, ["serve", "--help"],
                                        env={"COLUMNS": "200"}).output.split())
    assert "127.0.0.1" in shown and "unless told otherwise" in shown


def test_the_openapi_document_documents_every_operation(served: Served) -> None:
    with served.client() as c:
        document = c.get("/openapi.json").json()
    assert document == c.app.openapi()  # type: ignore[attr-defined]
    operations = [(path, method, op) for path, ops in document["paths"].items()
                  for method, op in ops.items()]
    assert len(operations) >= 18
    summaries = [op.get("summary", "") for _, _, op in operations]
    assert len(set(summaries)) == len(summaries)  # one summary each, none generated twice
    for path, method, op in operations:
        where = f"{method.upper()} {path}"
        assert op.get("summary") and op["security"] == [{"bearer": []}], where
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert ok, where
        answer = op["responses"][ok[0]]["content"]["application/json"]
        assert "example" in answer or "examples" in answer, where
        for code in ("401", "422", "429", "503"):  # every operation's error answers
            error = op["responses"][code]["content"]["application/json"]
            assert error["schema"] == {"$ref": "#/components/schemas/Error"}, (where, code)
        assert "Retry-After" in op["responses"]["429"]["headers"], where
        if method == "post":
            assert {"403", "409", "413"} <= set(op["responses"]), where
            body = op["requestBody"]["content"]["application/json"]
            assert "example" in body or "examples" in body, where
    events = document["paths"]["/v1/events"]["post"]["requestBody"]["content"][
        "application/json"]["examples"]
    kinds = {e["value"]["kind"] for e in events.values()}
    assert kinds == {"lead_created", "touch", "activity", "accept", "reject", "move",
                     "opportunity_created", "opportunity_updated", "opportunity_closed"}


@pytest.mark.parametrize("kind", ["lead_created", "touch", "activity", "accept", "reject",
                                  "move", "opportunity_created", "opportunity_updated",
                                  "opportunity_closed"])
def test_the_documented_event_examples_are_accepted(served: Served, kind: str) -> None:
    from accord.api.openapi import EVENT_EXAMPLES

    with served.client() as c:
        h = served.auth("admin")
        path = ["lead_created", "touch", "accept", "move", "opportunity_created",
                "opportunity_updated", "opportunity_closed"]  # the examples' own order
        story = ["lead_created", "touch", "reject"] if kind == "reject" else \
            path[:path.index(kind) + 1] if kind in path else ["lead_created", "touch", kind]
        for k in story:
            r = c.post("/v1/events", json=EVENT_EXAMPLES[k], headers=h)
            assert r.status_code == 200, (k, r.text)
