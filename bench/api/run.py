"""Benchmark: sustained events/s and latency of `POST /v1/events` against a real `accord serve`.

Issue 13's target: ≥ 500 events/s with p99 ≤ 50 ms on this 2-core machine, DuckDB and
PostgreSQL, loopback only. For each store this script:

1. builds a workspace (`accord init`), simulates a small company (`accord simulate`,
   seeded) and imports it (`accord import`) so the engine has reps and accounts to route
   to, and creates a token (`accord token create --role admin --name bench`);
2. starts `accord serve` as a subprocess on 127.0.0.1 and a free port, and waits until
   `GET /v1/contract` answers 200 (the server replays the stored facts at start);
3. runs the load generator in a separate process (this file with `load`): `--clients`
   threads, each with its own keep-alive `httpx.Client`, each sending its own leads'
   events in order (per lead: `lead_created`, `touch` pricing_page, `touch` demo_request
   (the MQL entry: routing and SLA clocks), `activity` by the owner the answer named,
   `touch` email_click), every event with a unique id and a past time, times increasing;
   a warm-up of `--warmup` leads is sent first and not counted;
4. stops the server (SIGINT, by its pid), and on PostgreSQL drops the bench's schema.

`--profile` also runs the DuckDB server under cProfile for a shorter stream and records
the functions with the most cumulative time on the request path.

PostgreSQL: `postgresql://127.0.0.1:5432/test?schema=accord_bench_<random>`, a fresh
schema dropped afterwards. Rewrites RESULTS.md's figures into results.json beside this
file (RESULTS.md is written by hand from them). The server runs the working tree: the
commit at start and end and whether src/ had uncommitted changes are recorded.

    python bench/api/run.py [--stores duckdb,postgresql] [--leads 1000] [--clients 4]
        [--warmup 20] [--company 500] [--profile] [--out bench/api]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import json
import os
import platform
import pstats
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
PG_BASE = "postgresql://127.0.0.1:5432/test"
TARGET_RATE = 500.0
TARGET_P99_MS = 50.0
EVENTS_PER_LEAD = 5
#: Times of the stream: well in the past (the engine refuses events after its clock).
T0 = datetime(2026, 1, 5, 13, 0, 0)


# --- the load generator (its own process) ---------------------------------------------------


def lead_events(prefix: str, n: int, account: str) -> list[dict[str, Any]]:
    """Lead `n`'s five events (the activity's rep is filled from the demo request's answer)."""
    lead = f"{prefix}-L{n:06d}"
    t = T0 + timedelta(seconds=20 * n)

    def at(k: int) -> str:
        return (t + timedelta(seconds=3 * k)).isoformat() + "Z"

    return [
        {"id": f"{lead}-e0", "kind": "lead_created", "lead_id": lead, "at": at(0),
         "email": f"{lead.lower()}@bench.example", "channel": "web", "title": "VP Sales",
         "country": "US", "account_id": account},
        {"id": f"{lead}-e1", "kind": "touch", "lead_id": lead, "signal": "pricing_page",
         "at": at(1)},
        {"id": f"{lead}-e2", "kind": "touch", "lead_id": lead, "signal": "demo_request",
         "at": at(2)},
        {"id": f"{lead}-e3", "kind": "activity", "lead_id": lead, "rep_id": "", "type": "call",
         "at": at(3)},
        {"id": f"{lead}-e4", "kind": "touch", "lead_id": lead, "signal": "email_click",
         "at": at(4)},
    ]


def load(cfg: dict[str, Any]) -> dict[str, Any]:
    """Send the stream; per-request latencies (ms) and statuses of the measured part."""
    import httpx

    url, token, clients = cfg["url"], cfg["token"], cfg["clients"]
    accounts, fallback_rep = cfg["accounts"], cfg["rep"]
    headers = {"Authorization": f"Bearer {token}"}
    local = threading.local()
    routed: list[str] = []  # owners named by the demo requests' answers

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=url, headers=headers, timeout=30.0)
        c: httpx.Client = local.c
        return c

    def send_lead(n: int) -> list[tuple[float, int, str]]:
        out = []
        owner = fallback_rep
        for ev in lead_events(cfg["prefix"], n, accounts[n % len(accounts)]):
            if ev["kind"] == "activity":
                ev["rep_id"] = owner
            t0 = time.perf_counter()
            try:
                r = client().post("/v1/events", json=ev)
                status, text = r.status_code, r.text
            except httpx.HTTPError as exc:
                status, text = 0, f"{type(exc).__name__}: {exc}"
            out.append(((time.perf_counter() - t0) * 1000.0, status,
                         text[:300] if status != 200 else ""))
            if status == 200 and ev["signal" if ev["kind"] == "touch" else "kind"] \
                    == "demo_request" and r.json().get("owner"):
                owner = r.json()["owner"]
                routed.append(owner)
        return out

    def run(leads: range) -> tuple[list[tuple[float, int, str]], float]:
        w0 = time.perf_counter()
        with cf.ThreadPoolExecutor(clients) as pool:
            rows = [x for chunk in pool.map(send_lead, leads) for x in chunk]
        return rows, time.perf_counter() - w0

    run(range(cfg["warmup"]))
    routed.clear()
    cpu0 = time.process_time()
    rows, wall = run(range(cfg["warmup"], cfg["warmup"] + cfg["leads"]))
    client_cpu = time.process_time() - cpu0
    lat = sorted(r[0] for r in rows)
    ok = [r for r in rows if r[1] == 200]
    errors = Counter(str(r[1]) for r in rows if r[1] != 200)
    samples = {}
    for r in rows:
        if r[1] != 200:
            samples.setdefault(str(r[1]), r[2])

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p / 100.0 * len(lat)))], 2)

    return {"events": len(rows), "ok": len(ok), "wall_s": round(wall, 3),
            "events_per_s": round(len(rows) / wall, 1),
            "ok_events_per_s": round(len(ok) / wall, 1),
            "latency_ms": {"p50": pct(50), "p95": pct(95), "p99": pct(99),
                           "max": round(lat[-1], 2),
                           "mean": round(sum(lat) / len(lat), 2)},
            "errors_by_status": dict(errors), "error_samples": samples,
            "leads_routed": len(routed), "distinct_owners": len(set(routed)),
            "client_cpu_s": round(client_cpu, 2)}


# --- set-up and the server ------------------------------------------------------------------


def accord(*args: str, cwd: Path, store: str | None) -> str:
    cmd = ["accord", *args] + (["--store", store] if store else [])
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[:3])} failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_ready(url: str, token: str, proc: subprocess.Popen[bytes], limit: float) -> float:
    import httpx

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        if proc.poll() is not None:
            raise SystemExit(f"accord serve exited with {proc.returncode}")
        try:
            r = httpx.get(f"{url}/v1/contract", headers={"Authorization": f"Bearer {token}"},
                          timeout=2.0)
            if r.status_code == 200:
                return time.perf_counter() - t0
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit(f"accord serve not ready after {limit} s")


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_BASE, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def bench_store(kind: str, args: argparse.Namespace, work: Path, *, profile: Path | None,
                leads: int) -> dict[str, Any]:
    import pyarrow.parquet as pq

    ws = work / f"ws-{kind}{'-profile' if profile else ''}"
    schema = f"accord_bench_{secrets.token_hex(4)}" if kind == "postgresql" else None
    store = f"{PG_BASE}?schema={schema}" if schema else None
    out: dict[str, Any] = {"store": kind, "schema": schema}
    proc: subprocess.Popen[bytes] | None = None
    try:
        accord("init", str(ws), cwd=work, store=None)
        facts = work / "facts"
        if not facts.exists():
            accord("simulate", "--out", str(facts), "--leads", str(args.company), "--seed", "7",
                   cwd=work, store=None)
        t0 = time.perf_counter()
        accord("import", str(facts), "-w", str(ws), cwd=work, store=store)
        out["import_s"] = round(time.perf_counter() - t0, 2)
        token = accord("token", "create", "--role", "admin", "--name", "bench", "-w", str(ws),
                       cwd=work, store=store).strip()
        accounts = pq.read_table(facts / "accounts.parquet").column("account_id").to_pylist()
        reps = pq.read_table(facts / "reps.parquet").to_pylist()
        rep = next(r["rep_id"] for r in reps if r["role"] != "manager")
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        serve = ["serve", "--port", str(port), "-w", str(ws), "--log-level", "info"] + (
            ["--store", store, "--workers", str(args.workers)] if store else [])
        if profile is not None:
            cmd = [sys.executable, "-c",
                   "import cProfile, sys; from accord.cli import main; "
                   f"sys.argv = ['accord', *{serve!r}]; "
                   f"cProfile.run('main()', {str(profile)!r})"]
        else:
            cmd = ["accord", *serve]
        log = (ws / "serve.log").open("wb")
        # The per-token rate limit (50 requests/s by default) would cap the stream: off.
        env = {**os.environ, "ACCORD_RATE_LIMIT": "off"}
        proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
        out["server_ready_s"] = round(wait_ready(url, token, proc, 120.0), 2)
        cfg = {"url": url, "token": token, "clients": args.clients, "leads": leads,
               "warmup": args.warmup, "accounts": accounts[:200], "rep": rep,
               "prefix": f"b{secrets.token_hex(3)}"}
        load_before = os.getloadavg()
        cpu0 = _proc_cpu(proc.pid)
        spy = None
        if args.pyspy:
            spy_out = args.out / f"pyspy-{kind}-w{args.workers if store else 1}.txt"
            spy = subprocess.Popen(["py-spy", "record", "--pid", str(proc.pid), "-d",
                                    str(args.pyspy), "-f", "raw", "-o", str(spy_out),
                                    "--subprocesses", "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lg = subprocess.run([sys.executable, __file__, "load"], input=json.dumps(cfg),
                            capture_output=True, text=True, check=False, timeout=300)
        if spy is not None:
            spy.wait(60)
            out["pyspy"] = {"file": spy_out.name, **spy_summary(spy_out)}
        if lg.returncode != 0:
            raise SystemExit(f"load generator failed: {lg.stderr[-2000:]}")
        result = json.loads(lg.stdout)
        cpu1 = _proc_cpu(proc.pid)
        out.update(result)
        out["server_cpu_s"] = round(cpu1 - cpu0, 2)  # warm-up and measured stream together
        out["load_average_before"] = [round(x, 2) for x in load_before]
        out["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc is not None:
            out["transactions"] = _batches(ws / "serve.log")
            if (ws / "serve.log").exists():
                shutil.copy(ws / "serve.log", args.out / f"serve-{kind}.log")
        if schema:
            drop_schema(schema)
            out["schema_dropped"] = True
    return out


def _batches(log: Path) -> dict[str, float]:
    """Events and transactions the server's writers reported at shutdown (all workers)."""
    events = batches = 0
    for m in re.finditer(r"(\d+) events stored in (\d+) transactions",
                         log.read_text(errors="replace") if log.exists() else ""):
        events += int(m[1])
        batches += int(m[2])
    return {"events": events, "transactions": batches,
            "events_per_transaction": round(events / batches, 2) if batches else 0.0}


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (the workers of
    `--workers N`), from Linux /proc."""
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += _proc_cpu(int(child))
    except OSError:
        pass
    return total


def top_functions(prof: Path, n: int = 20) -> dict[str, Any]:
    """accord's own functions by cumulative time (the request path, framework wrappers
    left out) and every function by own time (where the CPU goes)."""
    st = pstats.Stats(str(prof))
    rows = []
    for (file, line, fn), (_cc, nc, tt, ct, _callers) in st.stats.items():  # type: ignore[attr-defined]
        rows.append({"function": f"{file.split('site-packages/')[-1].split('/src/')[-1]}"
                                 f":{line}({fn})", "calls": nc,
                     "tottime_s": round(tt, 3), "cumtime_s": round(ct, 3)})
    ours = [r for r in rows if str(r["function"]).startswith("accord/")]
    return {"total_s": round(st.total_tt, 3),  # type: ignore[attr-defined]
            "accord_by_cumulative": sorted(ours, key=lambda r: -r["cumtime_s"])[:n],
            "all_by_own_time": sorted(rows, key=lambda r: -r["tottime_s"])[:n]}


def spy_summary(raw: Path, n: int = 15) -> dict[str, Any]:
    """py-spy's raw stacks summed: samples, and the frames with the most samples by own
    time and by inclusive time (each frame once per stack), as shares of all samples."""
    own: Counter[str] = Counter()
    incl: Counter[str] = Counter()
    total = 0
    if not raw.exists():
        return {"samples": 0}
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        k = int(count)
        total += k
        frames = [re.sub(r" \(/.*?(site-packages/|src/)", " (", f) for f in stack.split(";")[1:]]
        if frames:
            own[frames[-1]] += k
        for f in set(frames):
            incl[f] += k

    def top(c: Counter[str]) -> list[list[Any]]:
        return [[f, round(100.0 * v / total, 1)] for f, v in c.most_common(n)]

    return {"samples": total, "by_own_pct": top(own),
            "by_inclusive_pct": top(Counter({f: v for f, v in incl.items()
                                             if "accord/" in f or "duckdb" in f
                                             or "psycopg" in f}))}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                          check=False).stdout.strip()


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "load":
        print(json.dumps(load(json.loads(sys.stdin.read()))))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--stores", default="duckdb,postgresql")
    ap.add_argument("--leads", type=int, default=1000,
                    help=f"measured leads; {EVENTS_PER_LEAD} events each")
    ap.add_argument("--warmup", type=int, default=20, help="leads sent first, not counted")
    ap.add_argument("--clients", type=int, default=4, help="concurrent connections")
    ap.add_argument("--workers", type=int, default=1,
                    help="server processes on PostgreSQL (DuckDB always serves with one)")
    ap.add_argument("--company", type=int, default=500, help="simulated company's leads")
    ap.add_argument("--profile", action="store_true",
                    help="also profile the DuckDB server (cProfile) on a 100-lead stream")
    ap.add_argument("--pyspy", type=int, default=0, metavar="SECONDS",
                    help="also sample the server with py-spy for SECONDS of the stream "
                         "(raw stacks beside results.json)")
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args()

    args.out.mkdir(parents=True, exist_ok=True)
    commit = git("rev-parse", "HEAD")
    report: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python bench/api/run.py " + " ".join(sys.argv[1:]),
        "commit": commit,
        "src_changed_at_start": git("status", "--short", "--", "src") != "",
        "machine": {"cpus": os.cpu_count(), "arch": platform.machine(),
                    "python": platform.python_version(),
                    "load_average_start": [round(x, 2) for x in os.getloadavg()]},
        "params": {"leads": args.leads, "warmup_leads": args.warmup,
                   "events_per_lead": EVENTS_PER_LEAD, "clients": args.clients,
                   "company_leads": args.company, "workers": args.workers,
                   "server_env": {"ACCORD_RATE_LIMIT": "off"}},
        "target": {"events_per_s": TARGET_RATE, "p99_ms": TARGET_P99_MS},
        "runs": [],
    }
    work = Path(tempfile.mkdtemp(prefix="accord-api-bench-"))
    try:
        for kind in args.stores.split(","):
            r = bench_store(kind, args, work, profile=None, leads=args.leads)
            r["target_met"] = (r["events_per_s"] >= TARGET_RATE
                               and r["latency_ms"]["p99"] <= TARGET_P99_MS
                               and not r["errors_by_status"])
            report["runs"].append(r)
            print(json.dumps(r, indent=1), flush=True)
        if args.profile:
            prof = Path(tempfile.gettempdir()) / "accord-api-bench-serve.prof"
            r = bench_store("duckdb", args, work, profile=prof, leads=100)
            report["profile"] = {"stream": {k: r[k] for k in ("events", "events_per_s",
                                                             "latency_ms")},
                                 "file": str(prof), **top_functions(prof)}
            print(json.dumps(report["profile"], indent=1), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    report["commit_end"] = git("rev-parse", "HEAD")
    report["src_changed_at_end"] = git("status", "--short", "--", "src") != ""
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
