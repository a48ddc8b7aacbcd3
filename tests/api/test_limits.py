"""The security basics a buyer's review asks for (issue 13, item 9), against the real app:
per-token rate limits (429 with Retry-After), request size limits (413), strict bodies,
security headers on every answer, no secret in any output, 127.0.0.1 by default; and
bad input that is refused naming the field, leaving the store as it was (item 10)."""

from __future__ import annotations

import inspect
import json
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest
from api_support import Served, demo, lead
from typer.testing import CliRunner

from accord.cli import app as cli
from accord.cli.serve import serve_command
from accord.store import open_store


def received(served: Served) -> int:
    st = open_store(served.store_url)
    try:
        st.ensure_service_tables()
        return int(st.service_table("received_events").count().execute())
    finally:
        st.close()


@pytest.fixture
def limited(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("ACCORD_RATE_LIMIT", "2/3")  # 2 requests/s, bursts of 3
    yield


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(
        served: Served, limited: None) -> None:
    with served.client() as c:
        viewer, sales = served.auth("viewer"), served.auth("sales")
        statuses = [c.get("/v1/contract", headers=viewer).status_code for _ in range(5)]
        assert statuses[:3] == [200, 200, 200] and 429 in statuses[3:]
        over = c.get("/v1/contract", headers=viewer)
        assert over.status_code == 429
        assert int(over.headers["retry-after"]) >= 1
        token_id = served.tokens["viewer"].split("_")[1]
        assert token_id in over.json()["error"]
        assert served.tokens["viewer"].rsplit("_", 1)[1] not in over.text
        # another token has its own bucket
        assert c.get("/v1/contract", headers=sales).status_code == 200
        # and the bucket refills: 2 per second
        time.sleep(1.1)
        assert c.get("/v1/contract", headers=viewer).status_code == 200


def test_a_body_over_the_limit_is_413_and_stores_nothing(served: Served) -> None:
    with served.client() as c:
        h = {**served.auth("admin"), "Content-Type": "application/json"}
        before = received(served)
        big = json.dumps({**lead("L1"), "company": "x" * 70_000}).encode()
        r = c.post("/v1/events", content=big, headers=h)
        assert r.status_code == 413 and "bytes" in r.json()["error"]

        def chunks() -> Iterator[bytes]:  # no Content-Length: sent chunked
            yield big[:40_000]
            yield big[40_000:]

        r = c.post("/v1/events", content=chunks(), headers=h)
        assert r.status_code == 413
        assert c.post("/v1/events", json=lead("L1"), headers=h).status_code == 200
    assert received(served) == before + 1


def test_bad_events_are_4xx_naming_the_field_or_rule_and_change_nothing(
        served: Served) -> None:
    with served.client() as c:
        h = served.auth("admin")
        for body in (lead("L1"), demo("L1")):
            assert c.post("/v1/events", json=body, headers=h).status_code == 200
        before = received(served)
        at = "2025-01-06T16:00:00Z"
        cases: list[tuple[dict[str, Any], str]] = [
            ({**lead("L2"), "favourite_colour": "blue"}, "'favourite_colour'"),
            ({**lead("L2"), "at": "0114-12-16T14:40:41"}, "'at'"),
            ({**lead("L2"), "at": "yesterday"}, "'at'"),
            ({"id": "o1", "kind": "opportunity_created", "lead_id": "L1",
              "opportunity_id": "O1", "amount": 1e300, "at": at}, "'amount'"),
            ({"id": "o2", "kind": "opportunity_created", "lead_id": "L1",
              "opportunity_id": "O1", "amount": "lots", "at": at}, "'amount'"),
            ({"id": "m1", "kind": "move", "lead_id": "L1", "to_stage": "Atlantis",
              "at": at}, "Atlantis"),
            ({"id": "m2", "kind": "move", "lead_id": "L1", "to_stage": "Customer",
              "at": at}, "Customer"),
            ({"id": "r1", "kind": "reject", "lead_id": "L1", "reason": "moon", "at": at},
             "moon"),
            ({"id": "u1", "kind": "touch", "lead_id": "NOPE", "signal": "demo_request",
              "at": at}, "NOPE"),
            ({"id": "v1", "kind": "touch", "lead_id": "L1", "signal": "demo_request",
              "at": at, "contract_version": 7}, "version"),
        ]
        for body, named in cases:
            r = c.post("/v1/events", json=body, headers=h)
            assert 400 <= r.status_code < 500, (body, r.text)
            assert named in r.json()["error"], (body, r.text)
        # JSON's non-standard Infinity is not a number here either
        raw = json.dumps({"id": "o3", "kind": "opportunity_created", "lead_id": "L1",
                          "opportunity_id": "O1", "at": at}).replace(
            "}", ', "amount": Infinity}')
        r = c.post("/v1/events", content=raw, headers={**h,
                                                       "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500 and "amount" in r.json()["error"], r.text
        # a proposed contract with a control character: 422 naming the line
        r = c.post("/v1/contract/proposals", json={"text": "version: 2\nowners: a\x13\n"},
                   headers=h)
        assert r.status_code == 422 and "proposal:2" in r.json()["error"], r.text
    assert received(served) == before


def test_security_headers_on_every_answer(served: Served) -> None:
    with served.client() as c:
        answers = [c.get("/v1/contract", headers=served.auth("viewer")),  # 200
                   c.get("/v1/contract"),  # 401
                   c.post("/v1/events", json=lead("L1"), headers=served.auth("sales")),  # 403
                   c.get("/v1/leads/NOPE", headers=served.auth("viewer"))]  # 404
        for r in answers:
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["referrer-policy"] == "no-referrer"
            assert "default-src 'self'" in r.headers["content-security-policy"]
            assert r.headers["cache-control"] == "no-store"
        assert [r.status_code for r in answers] == [200, 401, 403, 404]


def test_no_secret_in_any_output(served: Served, caplog: pytest.LogCaptureFixture,
                                 store_url_factory: Any) -> None:
    caplog.set_level(logging.DEBUG)
    runner = CliRunner()
    where = ["-w", str(served.root), "--store", served.store_url]
    added = runner.invoke(cli, ["webhooks", "add", "https://crm.example.com/h?key=k9",
                                "--name", "crm", "--json", *where])
    assert added.exit_code == 0, added.output
    found = re.search(r"whsec_[A-Za-z0-9_-]{20,}", added.output)
    assert found is not None, added.output
    webhook_secret = found.group(0)
    outputs = [runner.invoke(cli, [*args, *where]).output for args in (
        ["token", "list", "--json"], ["token", "list"], ["webhooks", "list", "--json"],
        ["webhooks", "log", "--json"], ["token", "revoke", "nope"], ["status", "--json"])]
    with served.client() as c:
        bad = {"Authorization": served.auth("admin")["Authorization"][:-3] + "zzz"}
        outputs += [c.get("/v1/contract", headers=bad).text,
                    c.get("/v1/webhooks", headers=served.auth("admin")).text,
                    c.get("/v1/tokens", headers=served.auth("admin")).text,
                    c.post("/v1/events", json={**lead("L1"), "token": "x"},
                           headers=served.auth("admin")).text]
    # a PostgreSQL password in a store URL is never printed either
    url = store_url_factory("postgresql").replace("postgresql://postgres@",
                                                  "postgresql://postgres:s3cr3t-pw@", 1)
    for args in (["status"], ["status", "--json"], ["kpis", "--json"]):
        outputs.append(runner.invoke(cli, [*args, "-w", str(served.root), "--store",
                                           url]).output)
    text = "\n".join(outputs) + caplog.text
    secrets = [t.rsplit("_", 1)[1] for t in served.tokens.values()]
    secrets += [webhook_secret, webhook_secret[6:], "s3cr3t-pw", "key=k9"]
    for secret in secrets:
        assert secret not in text, secret


def test_the_server_binds_127_0_0_1_unless_told() -> None:
    host = inspect.signature(serve_command).parameters["host"].default
    assert host == "127.0.0.1"
    shown = " ".join(CliRunner().invoke(cli, ["serve", "--help"],
                                        env={"COLUMNS": "200"}).output.split())
    assert "127.0.0.1" in shown and "unless told otherwise" in shown
