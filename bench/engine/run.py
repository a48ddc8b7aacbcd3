"""Benchmark: `accord run` on a simulated 1,000,000-lead company, against a one-query floor.

1. Simulates the company (`accord.sim.simulate`, seeded) and imports it into a DuckDB
   store (`import_fact_folder`); both are reused on later runs.
2. Times `accord run --json` in a child process (the real command line, nothing
   preloaded): wall time, CPU time and peak RSS of that process, and the per-step seconds
   it reports. Then again with `--only scores,stages` (this engine core) and with each
   step alone, to attribute time and memory.
3. The **floor**, in this process right after: one bare DuckDB query on the same store
   that computes the same engagement score (decayed, hand-raises once) for every lead from
   the same touches table into a table, on DuckDB's default threads (the machine's cores).
   Best of three. The check that it equals the `scores` table `accord run` wrote is part of
   the result.
4. The live engine: `Engine.from_store` (accounts, matching index, router), warmed with
   the facts of 20,000 leads replayed through `handle`, then `handle` timed one call at a
   time over the facts of the next 5,000 leads (creations, touches, activities, stage
   decisions, opportunities — a refused event counts too: it is validated then rejected).

The machine may be shared: the load average is recorded and CPU time is given beside wall
time. Writes results.json beside this file (or to `--results`); RESULTS.md quotes it.

    python bench/engine/run.py [--leads 1000000] [--seed 7] [--work /tmp/accord-engine-bench]
        [--warm 20000] [--measured 5000] [--results bench/engine/results.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from accord.contract.compiled import CompiledContract, starter_contract
from accord.engine.live import Engine, LeadCreated, store_events
from accord.errors import EngineError
from accord.ingest.fact_folder import import_fact_folder
from accord.sim import simulate
from accord.store import open_store
from accord.workspace import init_workspace

HERE = Path(__file__).resolve().parent
AS_OF = datetime(2026, 1, 1)  # after the simulated year: every fact counts


def load() -> float:
    return os.getloadavg()[0]


def prepare(work: Path, leads: int, seed: int) -> dict[str, Any]:
    facts, store_path = work / "facts", work / "store.duckdb"
    out: dict[str, Any] = {}
    if not (facts / "touches.parquet").exists():
        t = time.perf_counter()
        simulate(facts, leads=leads, seed=seed)
        out["simulate_seconds"] = round(time.perf_counter() - t, 1)
    if not store_path.exists():
        t = time.perf_counter()
        store = open_store(store_path)
        import_fact_folder(store, facts)
        store.close()
        out["import_seconds"] = round(time.perf_counter() - t, 1)
    if not (work / "ws" / "accord.yaml").exists():
        init_workspace(work / "ws")
    store = open_store(store_path)
    out["rows"] = store.counts()
    store.close()
    return out


def time_run(work: Path, only: str | None = None) -> dict[str, Any]:
    """`accord run --json` (`--only` some steps) in a child process; wall, CPU and peak RSS
    of that process."""
    cmd = [sys.executable, "-c", "from accord.cli import main; main()", "run",
           "--workspace", str(work / "ws"), "--store", str(work / "store.duckdb"),
           "--as-of", AS_OF.isoformat(), "--json"]
    if only is not None:
        cmd += ["--only", only]
    before = load()
    out_path, err_path = work / "run.stdout", work / "run.stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        t = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=err)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - t
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"accord run failed:\n{err_path.read_text()}")
    summary = json.loads(out_path.read_text())  # stdout is the JSON and nothing else
    return {"only": only or "all", "wall_seconds": round(wall, 2),
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_rss_mb": round(usage.ru_maxrss / 1024),
            "load_before": round(before, 2), "load_after": round(load(), 2),
            "steps": {s["step"]: s["seconds"] for s in summary["steps"]},
            "rows": {k: v for s in summary["steps"] for k, v in s["rows"].items()},
            "stages": summary["stages"], "tiers": summary["tiers"]}


def floor_sql(contract: CompiledContract) -> str:
    """One query: Σ points · 0.5^(age/half-life) per lead, hand-raises once."""
    at = f"TIMESTAMP '{AS_OF.isoformat(sep=' ')}'"
    per_touch, once = [], []
    for s in contract.scoring.signals:
        name = s.name
        if s.once:
            once.append((name, s.points, s.half_life_days))
        elif s.half_life_days is None:
            per_touch.append(f"WHEN '{name}' THEN {s.points}.0")
        else:
            per_touch.append(
                f"WHEN '{name}' THEN {s.points} * pow(0.5, date_diff('microsecond', "
                f"occurred_at, {at}) / {s.half_life_days * 86_400_000_000!r})")
    parts = [f"sum(CASE signal {' '.join(per_touch)} ELSE 0.0 END)"]
    for name, points, half_life in once:
        first = f"min(CASE WHEN signal = '{name}' THEN occurred_at END)"
        decay = "1.0" if half_life is None else (
            f"pow(0.5, date_diff('microsecond', {first}, {at}) / {half_life * 86_400_000_000!r})")
        parts.append(f"CASE WHEN {first} IS NULL THEN 0.0 ELSE {points} * {decay} END")
    return (f"CREATE OR REPLACE TEMP TABLE floor AS SELECT lead_id, round({' + '.join(parts)}, 9)"
            f" AS engagement FROM touches WHERE occurred_at <= {at} GROUP BY lead_id")


def time_floor(work: Path, contract: CompiledContract) -> dict[str, Any]:
    con = duckdb.connect(str(work / "store.duckdb"), read_only=True)
    sql = floor_sql(contract)
    walls, cpus = [], []
    for _ in range(3):
        c0, w0 = time.process_time(), time.perf_counter()
        con.execute(sql)
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    diff = con.execute(
        "SELECT count(*), max(abs(f.engagement - coalesce(s.engagement, 0))) FROM floor f "
        "LEFT JOIN derived_scores s USING (lead_id)").fetchone()
    threads = con.execute("SELECT current_setting('threads')").fetchone()
    con.close()
    assert diff is not None and threads is not None
    return {"wall_seconds": round(min(walls), 3), "cpu_seconds": round(min(cpus), 3),
            "threads": int(threads[0]), "leads_with_touches": int(diff[0]),
            "max_abs_diff_vs_scores": float(diff[1] or 0.0), "sql": sql}


def time_live(work: Path, contract: CompiledContract, warm: int = 20_000, measured: int = 5_000
              ) -> dict[str, Any]:
    store = open_store(work / "store.duckdb")
    t = time.perf_counter()
    engine = Engine.from_store(store, contract, clock=lambda: AS_OF)
    build = time.perf_counter() - t
    leads = store.table("leads").order_by("created_at").limit(warm + measured)
    ids = leads.lead_id.to_pyarrow().to_pylist()
    warm_events = store_events(store, contract, as_of=AS_OF, lead_ids=ids[:warm])
    timed_events = store_events(store, contract, as_of=AS_OF, lead_ids=ids[warm:])
    store.close()
    refused = 0
    t = time.perf_counter()
    for event in warm_events:
        try:
            engine.handle(event)
        except EngineError:
            refused += 1
    warm_seconds = time.perf_counter() - t
    latencies: list[float] = []
    by_kind: dict[str, list[float]] = {}
    refused_timed = 0
    clock = time.perf_counter_ns
    for event in timed_events:
        t0 = clock()
        try:
            engine.handle(event)
        except EngineError:
            refused_timed += 1
        ms = (clock() - t0) / 1e6
        latencies.append(ms)
        by_kind.setdefault(type(event).__name__, []).append(ms)
    latencies.sort()

    def pct(p: float, values: list[float] = latencies) -> float:
        return round(values[min(len(values) - 1, int(p * len(values)))], 4)

    kinds = {}
    for kind, values in by_kind.items():
        values.sort()
        kinds[kind] = {"events": len(values), "p50_ms": pct(0.5, values),
                       "p99_ms": pct(0.99, values), "max_ms": round(values[-1], 3)}

    created = [e for e in timed_events if isinstance(e, LeadCreated)]
    return {"engine_build_seconds": round(build, 2), "warm_leads": warm,
            "warm_events": len(warm_events), "warm_seconds": round(warm_seconds, 2),
            "warm_refused": refused, "timed_leads": len(created),
            "timed_events": len(latencies), "timed_refused": refused_timed,
            "by_kind": kinds, "p50_ms": pct(0.50), "p90_ms": pct(0.90),
            "p99_ms": pct(0.99), "max_ms": round(latencies[-1], 3),
            "mean_ms": round(statistics.fmean(latencies), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path("/tmp/accord-engine-bench"))
    parser.add_argument("--runs", type=int, default=1, help="accord run repetitions")
    parser.add_argument("--warm", type=int, default=20_000, help="leads replayed to warm")
    parser.add_argument("--measured", type=int, default=5_000, help="leads timed live")
    parser.add_argument("--results", type=Path, default=HERE / "results.json",
                        help="where to write the results (default: beside this file)")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    contract = starter_contract()
    result: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/engine/run.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "duckdb": duckdb.__version__, "platform": platform.machine()},
        "leads": args.leads, "seed": args.seed,
    }
    result["prepare"] = prepare(args.work, args.leads, args.seed)
    print(json.dumps(result["prepare"]), flush=True)
    runs = []
    for _ in range(args.runs):
        runs.append(time_run(args.work))
        print(json.dumps(runs[-1]), flush=True)
        floor = time_floor(args.work, contract)
        runs[-1]["floor"] = {k: v for k, v in floor.items() if k != "sql"}
        runs[-1]["ratio_to_floor"] = round(runs[-1]["wall_seconds"] / floor["wall_seconds"], 1)
        print(json.dumps(runs[-1]["floor"]), flush=True)
        result["floor_sql"] = floor["sql"]
    result["runs"] = runs
    floor_wall = runs[-1]["floor"]["wall_seconds"]
    parts = []
    for only in ("scores,stages", "match", "scores", "stages", "route", "sla"):
        part = time_run(args.work, only)
        part["ratio_to_floor"] = round(part["wall_seconds"] / floor_wall, 1)
        parts.append(part)
        print(json.dumps(part), flush=True)
    result["parts"] = parts
    result["live"] = time_live(args.work, contract, args.warm, args.measured)
    print(json.dumps(result["live"]), flush=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
