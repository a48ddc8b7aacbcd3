"""A real `accord serve` for the fault and load tests: a subprocess on 127.0.0.1 and a free
port, in its own process group (so `--workers N` children go with it), its output in a
log file beside the workspace.

    with accord_serve(root, store_url, token, workers=2) as server:   # ready when entered
        httpx.post(f"{server.url}/v1/events", ...)
        server.kill()                      # SIGKILL: the crash (whole process group)
        server.restart()                   # the same port, workspace and store; ready again

Every wait is bounded; the context manager kills what is left of the process group on the
way out, whatever happened. `lead_events` is the stream the tests send: per lead the five
events of bench/api/run.py (created, pricing page, demo request — the MQL entry, routed,
SLA clocks started —, a call by the owner, an email click), each id new, times in the past.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from unittest import mock

import httpx
from pg_cluster import free_port

ACCORD = Path(sys.executable).with_name("accord")
#: The stream's first time: in the past (the engine refuses events after its clock).
T0 = datetime(2026, 1, 5, 13, 0, 0)
#: The starter contract's lifecycle: a new lead's stage, and the demo request's move.
INITIAL_STAGE = "Lead"


def lead_events(prefix: str, n: int, rep: str = "R1") -> list[dict[str, Any]]:
    """Lead `n`'s five events on account A1 (tests/service_facts.py); the call is by `rep`
    (send the owner the demo request's answer named, so a resent body is the same)."""
    lead = f"{prefix}-L{n:05d}"
    t = T0 + timedelta(seconds=20 * n)

    def at(k: int) -> str:
        return (t + timedelta(seconds=3 * k)).isoformat() + "Z"

    return [
        {"id": f"{lead}-e0", "kind": "lead_created", "lead_id": lead, "at": at(0),
         "email": f"{lead.lower()}@soft.example", "channel": "web", "title": "VP Sales",
         "country": "US", "account_id": "A1"},
        {"id": f"{lead}-e1", "kind": "touch", "lead_id": lead, "signal": "pricing_page",
         "at": at(1)},
        {"id": f"{lead}-e2", "kind": "touch", "lead_id": lead, "signal": "demo_request",
         "at": at(2)},
        {"id": f"{lead}-e3", "kind": "activity", "lead_id": lead, "rep_id": rep,
         "type": "call", "at": at(3)},
        {"id": f"{lead}-e4", "kind": "touch", "lead_id": lead, "signal": "email_click",
         "at": at(4)},
    ]


def reference_answers(root: Path, prefix: str, leads: int) -> dict[str, dict[str, Any]]:
    """The answers an uninterrupted server gives the stream: every lead's events sent once,
    in order, to the API in this process over a fresh DuckDB workspace at `root` seeded as
    the tests' (api_support.seed_workspace); by event id, without `replayed`."""
    from api_support import Served, seed_workspace

    root.mkdir(parents=True, exist_ok=True)
    url = str(root / "reference.duckdb")
    served = Served(root, url, seed_workspace(root, url))
    out: dict[str, dict[str, Any]] = {}
    with mock.patch.dict(os.environ, {"ACCORD_RATE_LIMIT": "off"}), served.client() as c:
        for n in range(leads):
            owner = "R1"
            for ev in lead_events(prefix, n):
                if ev["kind"] == "activity":
                    ev["rep_id"] = owner
                r = c.post("/v1/events", json=ev, headers=served.auth("admin"))
                assert r.status_code == 200, r.text
                out[ev["id"]] = {k: v for k, v in r.json().items() if k != "replayed"}
                owner = out[ev["id"]]["owner"] or owner
    return out


def expected_log(answers: list[Mapping[str, Any]]) -> list[tuple[str, str, str | None, Any]]:
    """The decision log rows (event id, kind, name, value) one lead's answers, in its
    order, owe by docs/api.md: each event's score; a new lead's initial stage; each stage
    move; the owner when it changed; each SLA deadline that is new or moved."""
    rows: list[tuple[str, str, str | None, Any]] = []
    prev: Mapping[str, Any] | None = None
    for a in answers:
        eid = a["event_id"]
        rows.append((eid, "score", None, {k: a[k] for k in ("fit", "tier", "icp",
                                                              "engagement")}))
        if prev is None:
            rows.append((eid, "stage", None, INITIAL_STAGE))
        rows += [(eid, "stage", None, e["to_stage"]) for e in a["events_emitted"]]
        if a["owner"] is not None and (prev is None or prev["owner"] != a["owner"]):
            rows.append((eid, "owner", None, a["owner"]))
        before = prev["sla_deadlines"] if prev is not None else {}
        rows += [(eid, "sla_deadline", name, due) for name, due
                 in sorted(a["sla_deadlines"].items()) if before.get(name) != due]
        prev = a
    return rows


@dataclass
class ServeProcess:
    """One `accord serve` subprocess (module docstring)."""

    root: Path
    store_url: str
    token: str  # a token that may read, to see when the server answers
    workers: int = 1
    env: Mapping[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "serve.log"

    def start(self, timeout: float = 45.0) -> float:
        """Start the server and wait until `GET /v1/contract` answers 200; the seconds it
        took. Fails (killing it) when it exits or is not ready within `timeout`."""
        assert self.proc is None or self.proc.poll() is not None, "already running"
        cmd = [str(ACCORD), "serve", "-w", str(self.root), "--store", self.store_url,
               "--port", str(self.port), "--log-level", "warning"]
        if self.workers > 1:
            cmd += ["--workers", str(self.workers)]
        self._log = self.log_path.open("ab")
        self._log.write(f"--- start {self.starts + 1}\n".encode())
        self._log.flush()
        self.proc = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True,
                                     env={**os.environ, "NO_COLOR": "1", **self.env})
        self.starts += 1
        t0 = time.monotonic()
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.kill()
            raise
        return time.monotonic() - t0

    def wait_ready(self, timeout: float) -> None:
        t0 = time.monotonic()
        headers = {"Authorization": f"Bearer {self.token}"}
        while True:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"accord serve exited with {self.proc.returncode}:\n"
                                     f"{self.log_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/v1/contract", headers=headers,
                             timeout=2.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() - t0 > timeout:
                raise AssertionError(f"accord serve not ready after {timeout} s:\n"
                                     f"{self.log_text()[-3000:]}")
            time.sleep(0.2)

    def worker_pids(self) -> list[int]:
        """The worker processes uvicorn's supervisor runs for `--workers N` (its children
        started by multiprocessing; its resource tracker left out)."""
        assert self.proc is not None
        kids = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        return [int(p) for p in kids.split()
                if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes()]

    def kill(self) -> None:
        """SIGKILL the server's whole process group (no shutdown work runs) and reap it."""
        self._signal(signal.SIGKILL)

    def stop(self, timeout: float = 20.0) -> None:
        """SIGINT (a clean shutdown), then SIGKILL if it is not gone within `timeout`."""
        if self.proc is None or self.proc.poll() is not None:
            self._signal(signal.SIGKILL)  # children of a dead parent, if any
            return
        self._signal(signal.SIGINT, wait=timeout)
        self._signal(signal.SIGKILL)

    def restart(self, timeout: float = 45.0) -> float:
        """Start again on the same port, workspace and store (after `kill` or `stop`)."""
        return self.start(timeout)

    def _signal(self, sig: signal.Signals, wait: float = 10.0) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)  # the group is the server's own (its pid)
        try:
            self.proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            if sig != signal.SIGKILL:
                return
            raise
        if self._log is not None:
            self._log.close()
            self._log = None

    def log_text(self) -> str:
        if self._log is not None:
            self._log.flush()
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@contextmanager
def accord_serve(root: Path, store_url: str, token: str, *, workers: int = 1,
                 env: Mapping[str, str] | None = None,
                 timeout: float = 45.0) -> Iterator[ServeProcess]:
    """A started `accord serve` (module docstring); killed on the way out."""
    server = ServeProcess(root, store_url, token, workers, dict(env or {}))
    try:
        server.start(timeout)
        yield server
    finally:
        server.stop()
