"""Eight clients post the same 1,000 events (the same ids) at once to `accord serve
--workers 2` on PostgreSQL (issue 13, tests that must exist): each event is stored once,
and every client gets the same decision for an id.

200 leads × 5 events (serve_process.lead_events). Each client has its own connection and
sends every lead's events in order, waiting for each answer (an event after its lead's
earlier ones, as a real sender does); clients 0–3 go through the leads first to last,
4–7 last to first, so at any moment several clients race for the very same id on both
workers, and the two halves cross in the middle. The server's rate limit is off (the
clients share one token).
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
from api_support import seed_workspace
from serve_process import ServeProcess, expected_log, lead_events

from accord.store import open_store

CLIENTS = 8
LEADS = 200  # × 5 = 1,000 events
PREFIX = "same"


def _client(server: ServeProcess, token: str, order: list[int], start: threading.Barrier,
            answers: list[dict[str, Any]], errors: list[str]) -> None:
    with httpx.Client(base_url=server.url, timeout=30.0,
                      headers={"Authorization": f"Bearer {token}"}) as c:
        start.wait(timeout=30)
        for n in order:
            owner = "R1"
            for ev in lead_events(PREFIX, n):
                if ev["kind"] == "activity":
                    ev["rep_id"] = owner
                try:
                    r = c.post("/v1/events", json=ev)
                except httpx.HTTPError as exc:
                    errors.append(f"{ev['id']}: {type(exc).__name__}: {exc}")
                    return
                if r.status_code != 200:
                    errors.append(f"{ev['id']}: {r.status_code} {r.text[:300]}")
                    return
                answers.append(r.json())
                owner = r.json()["owner"] or owner


def test_eight_clients_post_the_same_events_at_once_to_two_workers(
        tmp_path: Path, store_url_factory: Callable[[str], str]) -> None:
    url = store_url_factory("postgresql")
    tokens = seed_workspace(tmp_path, url)
    token = tokens["admin"]
    per_client: list[list[dict[str, Any]]] = [[] for _ in range(CLIENTS)]
    errors: list[str] = []
    start = threading.Barrier(CLIENTS)
    forward = list(range(LEADS))
    server = ServeProcess(tmp_path, url, token, workers=2, env={"ACCORD_RATE_LIMIT": "off"})
    try:
        ready = server.start()
        assert len(server.worker_pids()) == 2  # two server processes answer
        threads = [threading.Thread(target=_client, args=(
            server, token, forward if k < CLIENTS // 2 else forward[::-1], start,
            per_client[k], errors)) for k in range(CLIENTS)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=max(1.0, 50 - (time.monotonic() - t0)))
        wall = time.monotonic() - t0
        assert not any(t.is_alive() for t in threads), f"clients not done after {wall:.0f} s"
    finally:
        s0 = time.monotonic()
        server.stop()
        stopped = time.monotonic() - s0
    print(f"ready in {ready:.1f} s, stopped in {stopped:.1f} s; "
          f"{CLIENTS} clients × {LEADS * 5} events on 2 workers: {wall:.1f} s, "
          f"{CLIENTS * LEADS * 5 / wall:.0f} requests/s")
    assert not errors, errors[:5]

    ids = [ev["id"] for n in range(LEADS) for ev in lead_events(PREFIX, n)]
    by_id: dict[str, list[dict[str, Any]]] = {}
    for answers in per_client:
        assert len(answers) == len(ids)  # every client got an answer for every event
        for a in answers:
            by_id.setdefault(a["event_id"], []).append(a)
    assert sorted(by_id) == sorted(ids)
    for eid, got in by_id.items():
        # one client's request decided it; the seven others were answered as replays …
        assert sorted(a["replayed"] for a in got) == [False] + [True] * (CLIENTS - 1), eid
        # … with the very same decision
        first = {k: v for k, v in got[0].items() if k != "replayed"}
        assert all({k: v for k, v in a.items() if k != "replayed"} == first for a in got), eid

    st = open_store(url)
    try:
        with st.transaction() as cur:
            def q(sql: str) -> list[tuple[Any, ...]]:
                return st.query(cur, sql)
            received = q("SELECT event_id, answer FROM received_events")
            decisions = q("SELECT event_id, kind, name, value FROM decisions")
            leads = q("SELECT lead_id FROM leads")
            touches = q("SELECT touch_id FROM touches")
            activities = q("SELECT activity_id FROM activities")
            moves = q("SELECT lead_id, to_stage FROM stage_events")
    finally:
        st.close()

    assert sorted(r[0] for r in received) == sorted(ids)  # each event stored once
    for eid, answer in received:
        assert json.loads(answer) == {k: v for k, v in by_id[eid][0].items()
                                      if k != "replayed"}, eid
    lead_ids = [f"{PREFIX}-L{n:05d}" for n in range(LEADS)]
    assert sorted(r[0] for r in leads) == lead_ids
    assert Counter(r[0] for r in touches) == Counter(
        f"{lead}-e{k}" for lead in lead_ids for k in (1, 2, 4))
    assert sorted(r[0] for r in activities) == sorted(f"{lead}-e3" for lead in lead_ids)
    assert sorted(moves) == sorted((lead, "MQL") for lead in lead_ids)
    want: list[tuple[str, str, str | None, Any]] = []
    for lead in lead_ids:
        want += expected_log([by_id[f"{lead}-e{k}"][0] for k in range(5)])
    got_log = [(e, k, n, json.loads(v) if k == "score" else v) for e, k, n, v in decisions
               if e in by_id]
    assert sorted(got_log, key=repr) == sorted(want, key=repr)
