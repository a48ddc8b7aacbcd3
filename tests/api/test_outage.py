"""A PostgreSQL outage while events stream (issue 13, tests that must exist), on a
throwaway cluster (tests/api/pg_cluster.py; the shared server on 5432 is never touched).

`accord serve` runs on the cluster; two clients stream their leads' events in order. Once
events are being acknowledged the cluster is stopped (`pg_ctl stop -m fast`) and the
clients keep sending: every answer is then `503` with `Retry-After`, never a `500`; a
client answered `503` sends the same event again a moment later (the test's clients wait
0.2 s rather than the 5 s `Retry-After` says, to stay short). Reads answer `503` too.
Then the cluster is started again and the same server process — never restarted —
answers `200` again by itself; the streams finish, and every event answered `200` is in
`received_events` once, with the answer its client got.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from api_support import seed_workspace
from pg_cluster import PgCluster, pg_cluster  # noqa: F401 - the fixture
from serve_process import ServeProcess, lead_events, reference_answers

CLIENTS = 2
LEADS = 40  # × 5 = 200 events
PREFIX = "out"
SCHEMA = "accord_outage"


class _Stream:
    """What the clients saw: answers per id, and the statuses other than 200."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, dict[str, Any]] = {}
        self.unavailable = 0  # 503 answers
        self.retry_after: set[str | None] = set()
        self.other: list[str] = []  # any other status or a broken connection
        self.done = 0


def _send(server: ServeProcess, token: str, leads: list[int], seen: _Stream,
          deadline: float) -> None:
    with httpx.Client(base_url=server.url, timeout=15.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        for n in leads:
            owner = "R1"
            for ev in lead_events(PREFIX, n):
                if ev["kind"] == "activity":
                    ev["rep_id"] = owner
                while True:
                    if time.monotonic() > deadline:
                        with seen.lock:
                            seen.other.append(f"{ev['id']}: not stored before the deadline")
                        return
                    try:
                        r = c.post("/v1/events", json=ev)
                    except httpx.HTTPError as exc:
                        with seen.lock:
                            seen.other.append(f"{ev['id']}: {type(exc).__name__}: {exc}")
                        return
                    if r.status_code == 503:
                        with seen.lock:
                            seen.unavailable += 1
                            seen.retry_after.add(r.headers.get("retry-after"))
                        time.sleep(0.2)
                        continue
                    if r.status_code != 200:
                        with seen.lock:
                            seen.other.append(f"{ev['id']}: {r.status_code} {r.text[:300]}")
                        return
                    break
                with seen.lock:
                    seen.acked[ev["id"]] = r.json()
                owner = r.json()["owner"] or owner
            with seen.lock:
                seen.done += 1


def _wait(what: str, until: Any, timeout: float) -> None:
    t0 = time.monotonic()
    while not until():
        assert time.monotonic() - t0 < timeout, f"{what}: not within {timeout} s"
        time.sleep(0.05)


def test_postgresql_outage_answers_503_and_recovers_by_itself(
        pg_cluster: PgCluster, tmp_path: Path) -> None:  # noqa: F811 - the fixture
    url = pg_cluster.store_url(SCHEMA)
    tokens = seed_workspace(tmp_path, url)
    token = tokens["admin"]
    seen = _Stream()
    server = ServeProcess(tmp_path, url, token, env={"ACCORD_RATE_LIMIT": "off"})
    auth = {"Authorization": f"Bearer {token}"}
    try:
        server.start()
        assert server.proc is not None
        pid = server.proc.pid
        deadline = time.monotonic() + 50
        threads = [threading.Thread(target=_send, args=(
            server, token, list(range(k, LEADS, CLIENTS)), seen, deadline))
            for k in range(CLIENTS)]
        for t in threads:
            t.start()
        _wait("events acknowledged", lambda: len(seen.acked) >= 40, 20)
        pg_cluster.stop()  # the outage, mid-stream
        _wait("503 answers", lambda: seen.unavailable >= 10, 20)
        read = httpx.get(f"{server.url}/v1/leads/{PREFIX}-L00000", headers=auth, timeout=15)
        assert read.status_code == 503, read.text
        assert read.headers.get("retry-after")
        pg_cluster.start()
        for t in threads:
            t.join(timeout=max(1.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads)
        assert server.proc.poll() is None and server.proc.pid == pid  # the same process
        read = httpx.get(f"{server.url}/v1/leads/{PREFIX}-L00000", headers=auth, timeout=15)
        assert read.status_code == 200, read.text
    finally:
        server.stop()
    assert not seen.other, seen.other[:5]
    assert seen.unavailable >= 10
    assert None not in seen.retry_after and all(int(v) >= 1 for v in seen.retry_after
                                                if v is not None)
    ids = [ev["id"] for n in range(LEADS) for ev in lead_events(PREFIX, n)]
    assert sorted(seen.acked) == sorted(ids) and seen.done == LEADS
    rows = pg_cluster.query(f"SELECT event_id, answer FROM {SCHEMA}.received_events")
    assert sorted(r[0] for r in rows) == sorted(ids)  # every acknowledged event, once
    for eid, answer in rows:
        assert json.loads(answer) == {k: v for k, v in seen.acked[eid].items()
                                      if k != "replayed"}, eid
    # and the intake decided after the outage from the store, not from what it had in
    # memory when the store went: the answers are an uninterrupted server's
    reference = reference_answers(tmp_path / "reference", PREFIX, LEADS)
    differ = [eid for eid in ids if {k: v for k, v in seen.acked[eid].items()
                                     if k != "replayed"} != reference[eid]]
    assert not differ, [(eid, seen.acked[eid], reference[eid]) for eid in differ[:2]]
