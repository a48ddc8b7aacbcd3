"""A crash in the middle of a stream loses no acknowledged event and doubles none (issue
13, tests that must exist), on DuckDB and on PostgreSQL, against a real `accord serve`.

Four clients stream their leads' events in order; once 100 are acknowledged (HTTP 200)
the server's process is SIGKILLed while requests are in flight. It is started again on
the same store and each client sends its leads' whole streams once more, the same ids
and bodies, as a client that lost its connection would. Then, with the server stopped,
the store itself is read:

- every event acknowledged before the crash is in `received_events` once, with the
  answer the client got; sent again it is answered as a replay with that same answer;
- every answer after the restart is the one an uninterrupted server gives
  (`serve_process.reference_answers`);
- every event of the stream is stored once (`received_events`, and its fact: the lead,
  the touch, the call), and the decision log holds exactly the rows the answers owe
  (`serve_process.expected_log`): none missing, none twice.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from api_support import seed_workspace
from serve_process import ServeProcess, expected_log, lead_events, reference_answers

from accord.store import open_store

CLIENTS = 4
LEADS = 60  # 300 events
KILL_AFTER = 100  # acknowledged events before the SIGKILL
PREFIX = "crash"


def _stream(server: ServeProcess, token: str, leads: list[int], acked: dict[str, Any],
            in_doubt: list[str], lock: threading.Lock) -> None:
    """Send each lead's events in order until the server stops answering."""
    with httpx.Client(base_url=server.url, timeout=10.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        for n in leads:
            owner = "R1"
            for ev in lead_events(PREFIX, n):
                if ev["kind"] == "activity":
                    ev["rep_id"] = owner
                eid = ev.pop("id")
                try:
                    r = c.post("/v1/events", json={"id": eid, **ev})
                except httpx.TransportError:
                    with lock:
                        in_doubt.append(eid)  # sent, never answered: stored or not
                    return
                assert r.status_code == 200, r.text
                answer = r.json()
                with lock:
                    acked[eid] = answer
                owner = answer["owner"] or owner


def _resend_all(server: ServeProcess, token: str) -> dict[str, dict[str, Any]]:
    """Every lead's whole stream again, in order (the same ids and bodies): the answers."""
    out: dict[str, dict[str, Any]] = {}
    refused: list[tuple[str, int, str]] = []
    with httpx.Client(base_url=server.url, timeout=10.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        def leads(k: int) -> None:
            for n in range(k, LEADS, CLIENTS):
                owner = "R1"
                for ev in lead_events(PREFIX, n):
                    if ev["kind"] == "activity":
                        ev["rep_id"] = owner
                    r = c.post("/v1/events", json=ev)
                    if r.status_code != 200:
                        refused.append((ev["id"], r.status_code, r.text))
                        return
                    out[ev["id"]] = r.json()
                    owner = r.json()["owner"] or owner
        threads = [threading.Thread(target=leads, args=(k,)) for k in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    assert not refused, refused[:3]
    assert len(out) == LEADS * 5, "the resent stream did not finish"
    return out


def _stored(url: str) -> dict[str, list[tuple[Any, ...]]]:
    st = open_store(url)
    try:
        with st.transaction() as cur:
            def q(sql: str) -> list[tuple[Any, ...]]:
                return st.query(cur, sql)
            return {
                "received": q("SELECT event_id, answer FROM received_events"),
                "decisions": q("SELECT event_id, kind, name, value FROM decisions"),
                "leads": q("SELECT lead_id FROM leads"),
                "touches": q("SELECT touch_id FROM touches"),
                "activities": q("SELECT activity_id FROM activities"),
                "stage_events": q("SELECT lead_id, from_stage, to_stage FROM stage_events"),
                "firings": q("SELECT firing_id, lead_id, sla, kind, step FROM sla_firings"),
            }
    finally:
        st.close()


def _no_replayed(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "replayed"}


@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_sigkill_mid_stream_loses_no_acknowledged_event_and_doubles_none(
        backend: str, tmp_path: Path, store_url_factory: Callable[[str], str]) -> None:
    url = store_url_factory(backend)
    tokens = seed_workspace(tmp_path, url)
    server = ServeProcess(tmp_path, url, tokens["admin"], env={"ACCORD_RATE_LIMIT": "off"})
    acked: dict[str, Any] = {}
    in_doubt: list[str] = []
    lock = threading.Lock()
    try:
        server.start()
        threads = [threading.Thread(target=_stream, args=(
            server, tokens["admin"], list(range(k, LEADS, CLIENTS)), acked, in_doubt, lock))
            for k in range(CLIENTS)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 40
        while len(acked) < KILL_AFTER:
            assert time.monotonic() < deadline, f"only {len(acked)} events acknowledged"
            assert any(t.is_alive() for t in threads), "the stream ended before the crash"
            time.sleep(0.005)
        server.kill()
        for t in threads:
            t.join(timeout=20)
            assert not t.is_alive()
        before = dict(acked)
        # requests were in flight when the process died, and the stream was not over
        assert in_doubt and len(before) < LEADS * 5, (len(in_doubt), len(before))

        server.restart()
        after = _resend_all(server, tokens["admin"])
    finally:
        server.stop()

    # acknowledged before the crash: answered again as a replay, with the same answer
    for eid, answer in before.items():
        assert after[eid]["replayed"] is True, eid
        assert _no_replayed(after[eid]) == _no_replayed(answer), eid

    # decided as an uninterrupted server decides: the restart rebuilt from the store
    reference = reference_answers(tmp_path / "reference", PREFIX, LEADS)
    assert {eid: _no_replayed(a) for eid, a in after.items()} == reference

    stored = _stored(url)
    received = [r[0] for r in stored["received"]]
    assert sorted(received) == sorted(after)  # each event once, nothing else
    answers = {r[0]: json.loads(r[1]) for r in stored["received"]}
    for eid, answer in before.items():
        assert answers[eid] == _no_replayed(answer), eid
    for eid, answer in after.items():
        assert answers[eid] == _no_replayed(answer), eid

    leads = [f"{PREFIX}-L{n:05d}" for n in range(LEADS)]
    assert sorted(r[0] for r in stored["leads"]) == leads
    assert sorted(r[0] for r in stored["touches"]) == sorted(
        f"{lead}-e{k}" for lead in leads for k in (1, 2, 4))
    assert sorted(r[0] for r in stored["activities"]) == sorted(f"{lead}-e3"
                                                                for lead in leads)
    assert sorted(stored["stage_events"]) == sorted((lead, "Lead", "MQL") for lead in leads)

    want: list[tuple[str, str, str | None, Any]] = []
    for lead in leads:
        want += expected_log([_no_replayed(after[f"{lead}-e{k}"]) for k in range(5)])
    got = [(e, k, n, json.loads(v) if k == "score" else v)
           for e, k, n, v in stored["decisions"] if e in after]
    assert sorted(got, key=repr) == sorted(want, key=repr)

    # the SLA scheduler fired (the stream's deadlines are long past) before and after
    # the crash: each firing once, each with its one decision row
    firings = {r[0] for r in stored["firings"]}
    assert firings  # it did fire
    assert len(stored["firings"]) == len({r[1:] for r in stored["firings"]})
    fired = Counter((e, k) for e, k, _n, _v in stored["decisions"] if e not in after)
    assert {e for e, _k in fired} == firings
    assert max(fired.values()) == 1
