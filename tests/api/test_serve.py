"""`accord serve` for real: a uvicorn process on a free 127.0.0.1 port, an event posted
with a token and read back, CLI commands on the server's DuckDB store refused naming the
server's process, then the process terminated (bounded: 20 s to start)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from api_support import Served


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def call(url: str, token: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method="POST" if data else "GET", headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_accord_serve_answers_an_event_and_reads_it_back(served: Served,
                                                         tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    accord = Path(sys.executable).with_name("accord")
    log = (tmp_path / "serve.log").open("w+")
    proc = subprocess.Popen([str(accord), "serve", "--port", str(port), "-w", str(served.root),
                             "--store", served.store_url], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                status, _ = call(f"{base}/v1/contract", served.tokens["viewer"])
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, "accord serve exited"
                assert time.monotonic() < deadline, "accord serve did not start in 20 s"
                time.sleep(0.2)
        assert status == 200
        admin = served.tokens["admin"]
        status, answer = call(f"{base}/v1/events", admin, {
            "id": "c-L1", "kind": "lead_created", "lead_id": "L1",
            "at": "2025-01-06T14:00:00Z", "email": "ann@soft.example", "channel": "web",
            "title": "VP Sales", "country": "US", "account_id": "A1"})
        # fit: software 30 + 200 employees 30 + US 20 + "VP" 20 = 100, tier A
        assert (status, answer["fit"], answer["tier"], answer["stage"]) == (200, 100, "A",
                                                                            "Lead")
        status, got = call(f"{base}/v1/leads/L1", served.tokens["viewer"])
        assert status == 200
        assert [(d["event_id"], d["kind"], d["value"]) for d in got["decisions"]
                if d["kind"] == "stage"] == [("c-L1", "stage", "Lead")]
        # DuckDB has one writing process, and the server is it: a CLI command on the same
        # store stops with a message naming the server's process, and changes nothing
        for args in (["token", "create", "--role", "viewer", "--name", "late"],
                     ["kpis", "--json"]):
            cli = subprocess.run([str(accord), *args, "-w", str(served.root), "--store",
                                  served.store_url], capture_output=True, text=True,
                                 timeout=60, env={**os.environ, "NO_COLOR": "1",
                                                  "COLUMNS": "200"})
            said = " ".join((cli.stdout + cli.stderr).split())
            assert cli.returncode != 0, said
            assert f"held by process {proc.pid}" in said and "accord serve" in said, said
            assert "docs/api.md" in said
        status, _ = call(f"{base}/v1/contract", served.tokens["viewer"])
        assert status == 200  # the server goes on
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
    log.seek(0)
    text = log.read()
    log.close()
    assert "127.0.0.1:" in text  # uvicorn says where it listens
    for token in served.tokens.values():
        secret = token.split("_", 2)[2]  # acc_<id>_<secret>; the secret may hold "_" itself
        assert len(secret) >= 40 and secret not in text
