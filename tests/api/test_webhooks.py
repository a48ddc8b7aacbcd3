"""Webhooks through the outbox (issue 13, item 6), against a real receiver on 127.0.0.1.

Workspace: tests/api/conftest.py (starter contract; account A1; SDR R1). A new lead from
A1 with a demo request is routed to R1 at MQL: that assignment owes one message. The
receiver checks each POST's signature with its own HMAC-SHA256 (hashlib/hmac here, not
accord's helper). The dispatcher's timings come from the environment
(`ACCORD_WEBHOOK_POLL`, `…_BACKOFF`, `…_ATTEMPTS`), so each test runs in a few seconds.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from api_support import Served, demo, lead
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.api.webhooks import outbox_rows, verify_signature
from accord.cli import app as cli
from accord.engine.intake import EventIntake
from accord.store import open_store
from accord.workspace import Workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


# --- a real receiver ------------------------------------------------------------------------


@dataclass
class Hit:
    at: float  # time.monotonic() when it arrived
    headers: dict[str, str]  # lower-case names
    body: bytes


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 answering each POST with the next status of `script`
    (the last one repeats), recording every POST."""

    script: list[int]
    hits: list[Hit] = field(default_factory=list)
    url: str = ""

    def wait_for(self, n: int, timeout: float = 6.0) -> list[Hit]:
        end = time.monotonic() + timeout
        while len(self.hits) < n and time.monotonic() < end:
            time.sleep(0.01)
        assert len(self.hits) >= n, f"{len(self.hits)} POST(s) arrived, expected {n}"
        return self.hits


@pytest.fixture
def receiver() -> Iterator[Callable[[list[int]], Receiver]]:
    servers: list[ThreadingHTTPServer] = []

    def make(script: list[int]) -> Receiver:
        rec = Receiver(list(script))

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                rec.hits.append(Hit(time.monotonic(),
                                    {k.lower(): v for k, v in self.headers.items()}, body))
                n = len(rec.hits) - 1
                status = rec.script[min(n, len(rec.script) - 1)]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        servers.append(server)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        rec.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/accord"
        return rec

    yield make
    for s in servers:
        s.shutdown()
        s.server_close()


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_env(*, backoff: float = 0.2, attempts: int = 3) -> None:
        monkeypatch.setenv("ACCORD_WEBHOOK_POLL", "0.02")
        monkeypatch.setenv("ACCORD_WEBHOOK_BACKOFF", str(backoff))
        monkeypatch.setenv("ACCORD_WEBHOOK_ATTEMPTS", str(attempts))
    set_env()
    return set_env


def accord(served: Served, *args: str) -> Any:
    result = CliRunner().invoke(cli, [*args, "-w", str(served.root),
                                      "--store", served.store_url])
    assert result.exit_code == 0, result.output
    return result


def add(served: Served, url: str, *extra: str) -> str:
    """Register `url`; its secret (printed once, alone on stdout)."""
    return str(accord(served, "webhooks", "add", url, *extra).stdout.strip())


def log_json(served: Served, *extra: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        accord(served, "webhooks", "log", "--json", *extra).stdout)
    return rows


def assignments(rec: Receiver) -> list[str]:
    """The event ids of the assignment messages the receiver got, in arrival order."""
    return [h.headers["x-accord-delivery"].split(":")[0] for h in rec.hits
            if h.headers["x-accord-kind"] == "assignment"]


def expected_signature(secret: str, hit: Hit) -> str:
    """The signature computed here, independently: HMAC-SHA256 of "<timestamp>.<body>"."""
    signed = hit.headers["x-accord-timestamp"].encode() + b"." + hit.body
    return "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def store_rows(served: Served, sql: str) -> list[tuple[Any, ...]]:
    st = open_store(served.store_url)
    try:
        with st.transaction() as cur:
            return st.query(cur, sql)
    finally:
        st.close()


# --- tests ----------------------------------------------------------------------------------


def test_an_assignment_is_written_with_its_decision_and_reaches_the_receiver_signed(
        served_on: Served, receiver: Callable[[list[int]], Receiver],
        fast: Callable[..., None]) -> None:
    plain, slack = receiver([200]), receiver([200])
    secret = add(served_on, plain.url, "--name", "crm")
    slack_secret = add(served_on, slack.url, "--slack", "--name", "alerts")
    assert secret.startswith("whsec_") and secret != slack_secret
    with served_on.client() as c:
        for body in (lead("L1"), demo("L1"), demo("L1")):  # the last one is a replay
            r = c.post("/v1/events", json=body, headers=served_on.auth("admin"))
            assert r.status_code == 200, r.text
        assert r.json()["owner"] == "R1" and r.json()["replayed"] is True
        (hit,) = plain.wait_for(1)
        (slack_hit,) = slack.wait_for(1)
        time.sleep(0.3)  # a few more rounds of the dispatcher: nothing else is sent
    assert len(plain.hits) == 1 and len(slack.hits) == 1

    # The decision and its message were committed together: the owner decision of the
    # demo request and one outbox row derived from its decision id, nothing for the replay.
    (decision_id,) = [r[0] for r in store_rows(
        served_on, "SELECT decision_id FROM decisions WHERE event_id = 'd-L1' AND "
                   "kind = 'owner' AND value = 'R1'")]
    n = decision_id.split(":")[-1]
    outbox = store_rows(served_on, "SELECT message_id, kind, lead_id, event_id, "
                                   "contract_version FROM outbox")
    assert outbox == [(f"d-L1:assignment:{n}", "assignment", "L1", "d-L1", 1)]

    assert hit.headers["x-accord-signature"] == expected_signature(secret, hit)
    assert abs(int(hit.headers["x-accord-timestamp"]) - time.time()) < 30
    assert hit.headers["x-accord-delivery"] == f"d-L1:assignment:{n}"
    assert hit.headers["content-type"] == "application/json"
    assert json.loads(hit.body) == {
        "delivery_id": f"d-L1:assignment:{n}", "kind": "assignment", "lead_id": "L1",
        "event_id": "d-L1", "contract_version": 1, "decided_at": "2025-01-06T15:00:00",
        "decision": {"decision_id": decision_id, "kind": "owner", "name": None,
                     "value": "R1"}}

    # The Slack-compatible body: one line of text, signed with that endpoint's secret.
    assert slack_hit.headers["x-accord-signature"] == expected_signature(slack_secret,
                                                                         slack_hit)
    assert json.loads(slack_hit.body) == {"text": "accord: lead L1 assigned to R1 (event "
                                          "d-L1, contract version 1, 2025-01-06T15:00:00)"}

    rows = log_json(served_on)
    assert sorted((r["endpoint"], r["status"], r["attempts"], r["last_status"])
                  for r in rows) == [("alerts", "delivered", 1, 200),
                                     ("crm", "delivered", 1, 200)]


def test_a_receiver_that_fails_twice_gets_it_three_times_with_growing_gaps(
        served_on: Served, receiver: Callable[[list[int]], Receiver],
        fast: Callable[..., None]) -> None:
    fast(backoff=0.3, attempts=5)
    rec = receiver([500, 500, 200])
    secret = add(served_on, rec.url)
    with served_on.client() as c:
        for body in (lead("L2"), demo("L2")):
            assert c.post("/v1/events", json=body,
                          headers=served_on.auth("admin")).status_code == 200
        hits = rec.wait_for(3)
        time.sleep(1.0)  # longer than the next backoff would be: no 4th POST
    assert len(rec.hits) == 3
    assert len({h.headers["x-accord-delivery"] for h in hits}) == 1
    assert all(h.headers["x-accord-signature"] == expected_signature(secret, h)
               for h in hits)
    assert len({h.body for h in hits}) == 1  # the same bytes each time
    gap1, gap2 = hits[1].at - hits[0].at, hits[2].at - hits[1].at
    # backoff 0.3 s doubled: the first retry waits 0.3 s, the second 0.6 s, each times a
    # jitter factor in [0.75, 1] (so at least 0.225 s and 0.45 s)
    assert gap1 >= 0.225 - 0.01 and gap2 >= 0.45 - 0.01, (gap1, gap2)
    assert gap2 > gap1, (gap1, gap2)
    assert gap1 < 0.3 + 0.25 and gap2 < 0.6 + 0.25, (gap1, gap2)
    (row,) = log_json(served_on)
    assert (row["status"], row["attempts"], row["last_status"], row["last_error"]) == \
        ("delivered", 3, 200, None)


def test_a_receiver_that_always_fails_gets_it_parked_after_n_and_the_log_shows_it(
        served_on: Served, receiver: Callable[[list[int]], Receiver],
        fast: Callable[..., None], caplog: pytest.LogCaptureFixture) -> None:
    fast(backoff=0.05, attempts=3)
    down, picky = receiver([503]), receiver([500])
    secrets = [add(served_on, down.url, "--name", "down"),
               add(served_on, picky.url, "--name", "picky", "--max-attempts", "2")]
    caplog.set_level(logging.INFO, logger="accord.webhooks")
    with served_on.client() as c:
        for body in (lead("L3"), demo("L3")):
            assert c.post("/v1/events", json=body,
                          headers=served_on.auth("admin")).status_code == 200
        down.wait_for(3)
        picky.wait_for(2)
        time.sleep(0.6)  # many backoffs long: nothing more is tried
    assert len(down.hits) == 3  # the dispatcher's maximum (ACCORD_WEBHOOK_ATTEMPTS)
    assert len(picky.hits) == 2  # the endpoint's own --max-attempts
    rows = {r["endpoint"]: r for r in log_json(served_on, "--parked")}
    assert {k: (r["status"], r["attempts"], r["last_status"], r["last_error"],
                r["next_attempt_at"]) for k, r in rows.items()} == {
        "down": ("parked", 3, 503, "HTTP 503", None),
        "picky": ("parked", 2, 500, "HTTP 500", None)}
    text = accord(served_on, "webhooks", "log").stdout
    assert "parked" in text and "HTTP 503" in text and rows["down"]["message_id"] in text
    outputs = text + json.dumps(rows) + caplog.text + \
        accord(served_on, "webhooks", "list", "--json").stdout + \
        accord(served_on, "webhooks", "list").stdout
    assert "failed" in caplog.text  # the failures were logged, without the secrets
    for secret in secrets:
        assert secret not in outputs and secret[6:] not in outputs


def test_a_message_committed_while_no_dispatcher_runs_is_sent_later_and_only_once(
        served_on: Served, receiver: Callable[[list[int]], Receiver],
        fast: Callable[..., None]) -> None:
    rec = receiver([200])
    add(served_on, rec.url, "--name", "crm")
    with served_on.client() as c:  # a server: L4's assignment is delivered
        for body in (lead("L4"), demo("L4")):
            assert c.post("/v1/events", json=body,
                          headers=served_on.auth("admin")).status_code == 200
        rec.wait_for(1)
    # The server is gone (its dispatcher stopped); L5's assignment is committed with its
    # decision but nobody sends it — the state a crash right after the commit leaves.
    with Workspace(served_on.root, served_on.store_url).session() as s:
        intake = EventIntake(s.store, s.contract, notify=outbox_rows)
        for body in (lead("L5"), demo("L5")):
            intake.submit(str(body.pop("id")), body, actor="crm")
    time.sleep(0.2)
    assert assignments(rec) == ["d-L4"]
    pending = {r["lead_id"]: (r["status"], r["attempts"]) for r in log_json(served_on)
               if r["kind"] == "assignment"}
    assert pending == {"L4": ("delivered", 1), "L5": ("pending", 0)}

    with served_on.client():  # a new server: L5's message goes out, L4's is not re-sent
        rec.wait_for(2)
        time.sleep(0.3)
    # (the new server's SLA scheduler also fires what fell due for L4 and L5 meanwhile:
    # those messages are its own; the assignments are what this test follows)
    assert assignments(rec) == ["d-L4", "d-L5"]
    assert {r["lead_id"]: r["status"] for r in log_json(served_on)
            if r["kind"] == "assignment"} == {"L4": "delivered", "L5": "delivered"}


def test_webhooks_cli_adds_lists_and_removes_endpoints_without_showing_secrets(
        served_on: Served) -> None:
    runner = CliRunner()
    where = ["-w", str(served_on.root), "--store", served_on.store_url]
    made = runner.invoke(cli, ["webhooks", "add", "https://crm.example.com/hooks?key=abc",
                               "--json", *where])
    assert made.exit_code == 0, made.output
    ep = json.loads(made.stdout)
    secret = made.stderr.split()[-1]
    assert secret.startswith("whsec_") and secret not in made.stdout
    assert (ep["name"], ep["url"], ep["format"]) == \
        ("crm.example.com", "https://crm.example.com/hooks", "json")  # no query shown
    slack = runner.invoke(cli, ["webhooks", "add", "https://hooks.slack.com/services/T/B/"
                                "XYZSECRET", "--slack", "--name", "alerts", *where])
    assert slack.exit_code == 0
    listed = runner.invoke(cli, ["webhooks", "list", "--json", *where]).stdout
    assert [(e["name"], e["url"]) for e in json.loads(listed)] == [
        ("crm.example.com", "https://crm.example.com/hooks"),
        ("alerts", "https://hooks.slack.com/…")]
    assert "XYZSECRET" not in listed and secret not in listed

    same = runner.invoke(cli, ["webhooks", "add", "https://other.example", "--name",
                               "alerts", *where])
    assert same.exit_code != 0 and "alerts" in same.output
    bad = runner.invoke(cli, ["webhooks", "add", "ftp://files.example", *where])
    assert bad.exit_code != 0 and "http://" in bad.output and "Traceback" not in bad.output
    unknown = runner.invoke(cli, ["webhooks", "remove", "nope", *where])
    assert unknown.exit_code == 2 and "nope" in unknown.output and "alerts" in unknown.output

    gone = runner.invoke(cli, ["webhooks", "remove", "alerts", "--json", *where])
    assert gone.exit_code == 0 and json.loads(gone.stdout)["removed_at"] is not None
    assert [e["name"] for e in json.loads(runner.invoke(
        cli, ["webhooks", "list", "--json", *where]).stdout)] == ["crm.example.com"]
    assert len(json.loads(runner.invoke(
        cli, ["webhooks", "list", "--removed", "--json", *where]).stdout)) == 2


def test_verify_signature_agrees_with_a_hand_computed_hmac() -> None:
    secret, stamp, body = "whsec_test", "1736175600", b'{"kind":"assignment"}'
    header = "sha256=" + hmac.new(b"whsec_test", b'1736175600.{"kind":"assignment"}',
                                  hashlib.sha256).hexdigest()
    now = 1736175600 + 10
    assert verify_signature(secret, stamp, body, header, now=now)
    assert verify_signature(secret, stamp, body.decode(), header, now=now)
    assert not verify_signature(secret, stamp, body + b" ", header, now=now)
    assert not verify_signature("whsec_other", stamp, body, header, now=now)
    assert not verify_signature(secret, "1736175601", body, header, now=now)
    assert not verify_signature(secret, stamp, body, header, now=now + 600)  # too old
    assert verify_signature(secret, stamp, body, header, now=now + 600, tolerance=None)


def test_the_documented_receiver_check_accepts_a_real_delivery(
        served: Served, receiver: Callable[[list[int]], Receiver],
        fast: Callable[..., None]) -> None:
    (block,) = [b for b in fenced_blocks(DOC, "python") if "X-Accord-Signature" in b]
    scope: dict[str, Any] = {}
    exec(compile(block, str(DOC), "exec"), scope)
    is_from_accord = scope["is_from_accord"]
    (shown,) = [b for b in fenced_blocks(DOC, "") if "X-Accord-Delivery:" in b]
    head, _, shown_body = shown.partition("\n\n")
    shown_headers = dict(line.split(": ", 1) for line in head.splitlines()[1:])
    rec = receiver([200])
    secret = add(served, rec.url)
    with served.client() as c:  # the doc's new lead and its demo request
        for body in (lead("L1") | {"id": "crm-1001"}, demo("L1") | {"id": "web-77"}):
            assert c.post("/v1/events", json=body,
                          headers=served.auth("admin")).status_code == 200
        (hit,) = rec.wait_for(1)
    assert json.loads(hit.body) == json.loads(shown_body)
    for name in ("X-Accord-Delivery", "X-Accord-Kind", "Content-Type"):
        assert hit.headers[name.lower()] == shown_headers[name]

    class Headers(dict[str, str]):  # a receiving framework's headers: any case
        def __getitem__(self, key: str) -> str:
            return super().__getitem__(key.lower())
    headers = Headers(hit.headers)
    assert is_from_accord(secret, headers, hit.body)
    assert not is_from_accord(secret, headers, hit.body.replace(b"R1", b"R2"))
    assert not is_from_accord("whsec_wrong", headers, hit.body)
