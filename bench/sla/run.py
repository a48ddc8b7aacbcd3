"""Benchmark: the batch SLA clocks on 1,000,000 leads (DuckDB store), and the live path.

Builds a synthetic store with NumPy (seeded), stage names asked of the compiled starter
contract by role: every lead enters the handoff stage (MQL) at a random moment of 2025;
most are touched by one of 60 reps after a log-normal delay; most are accepted (SAL) or
sent back to the recycled stage (Nurture) with a reason a few hours later; accepted leads
get a Poisson number of follow-up touches over two weeks. Then times, each alone:

- the calendar: `add_business_many` and `business_minutes_between_many` on 1M moments,
  against the scalar methods on a sample (per-lead cost × 1M);
- the NumPy core `clock_arrays` on 1M leads;
- `compute_sla_clocks` end to end (Ibis queries on DuckDB + NumPy; the `actual` view) for
  the starter contract's four SLAs, and `compute_speed_to_lead`;
- `read_sla` (one lead, the live path), median of 2,000 calls.

Wall and CPU time are both reported: the machine is shared, so CPU time is the steadier
figure. Rewrites RESULTS.md and results.json beside this file (or in `--out`).

    python bench/sla/run.py [--leads 1000000] [--seed 7] [--store /tmp/accord-sla-bench.duckdb]
        [--out bench/sla]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from accord.contract.compiled import CompiledContract, starter_contract
from accord.contract.roles import StageRole
from accord.engine.sla_clock import (
    clock_arrays,
    compute_sla_clocks,
    fetch_stage_facts,
    read_sla,
    summarise,
)
from accord.engine.sla_facts import moves_by
from accord.engine.speed_to_lead import compute_speed_to_lead
from accord.facts import FACT_TABLES
from accord.store import open_store

HERE = Path(__file__).resolve().parent
US_MIN = 60_000_000
YEAR_START = np.datetime64("2025-01-01T00:00", "us").astype(np.int64)
YEAR_US = 365 * 24 * 60 * US_MIN


def timed(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    c0, w0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - w0, time.process_time() - c0


def synthetic_facts(n: int, seed: int, contract: CompiledContract) -> dict[str, pa.Table]:
    stages = contract.stages
    lead_stage = stages.require(StageRole.LEAD, "the synthetic leads")
    handoff = stages.require(StageRole.HANDOFF, "the synthetic leads")
    accepted = stages.require(StageRole.ACCEPTED, "the synthetic leads")
    recycled = stages.require(StageRole.RECYCLED, "the synthetic leads")
    rng = np.random.default_rng(seed)
    lead = np.array([f"L{i:07d}" for i in range(n)], dtype=object)
    created = YEAR_START + (rng.random(n) * YEAR_US).astype(np.int64)
    mql = created + (rng.exponential(60.0, n) * US_MIN).astype(np.int64)
    reps = np.array([f"r{i:02d}" for i in range(60)], dtype=object)
    rep_of = rng.integers(0, 60, n)
    slow = np.where(rep_of == 7, 8.0, 1.0)  # one slow rep, as in the simulator's effect
    touched = rng.random(n) < 0.92
    first = mql + (rng.lognormal(np.log(40.0), 1.4, n) * slow * US_MIN).astype(np.int64)
    decided = rng.random(n) < 0.9
    decide_at = first + (rng.lognormal(np.log(180.0), 1.0, n) * US_MIN).astype(np.int64)
    accept = rng.random(n) < 0.7
    # stage events: lead → handoff (Lead → MQL) for all; handoff → accepted or recycled
    # (SAL or Nurture, with a reason) for decided
    d = np.flatnonzero(decided)
    ev_lead = np.concatenate([lead, lead[d]])
    ev_from = np.concatenate([np.full(n, lead_stage, dtype=object),
                              np.full(len(d), handoff, dtype=object)])
    ev_to = np.concatenate([np.full(n, handoff, dtype=object),
                            np.where(accept[d], accepted, recycled).astype(object)])
    ev_at = np.concatenate([mql, decide_at[d]])
    ev_actor = np.concatenate([np.full(n, "marketing_automation", dtype=object),
                               reps[rep_of[d]]])
    ev_reason = np.concatenate([np.full(n, None, dtype=object),
                                np.where(accept[d], np.array(None, dtype=object),
                                         "timing").astype(object)])
    # activities: first touch, then follow-ups for SAL leads
    t = np.flatnonzero(touched)
    sal = np.flatnonzero(decided & accept)
    k = rng.poisson(5.0, len(sal))
    rows = np.repeat(sal, k)
    follow_at = decide_at[rows] + (rng.random(len(rows)) * 14 * 1440 * US_MIN).astype(np.int64)
    act_lead = np.concatenate([lead[t], lead[rows]])
    act_rep = np.concatenate([reps[rep_of[t]], reps[rep_of[rows]]])
    act_at = np.concatenate([first[t], follow_at])
    m = len(act_lead)
    ts = pa.timestamp("us")
    return {
        "reps": pa.table({"rep_id": reps, "name": reps, "role": np.full(60, "sdr")},
                         schema=_subset("reps", ["rep_id", "name", "role"])),
        "leads": pa.table({
            "lead_id": lead, "email": np.char.add(lead.astype(str), "@x.com"),
            "channel": np.full(n, "webinar"), "created_at": pa.array(created, ts)},
            schema=_subset("leads", ["lead_id", "email", "channel", "created_at"])),
        "stage_events": pa.table({
            "event_id": np.array([f"E{i:08d}" for i in range(len(ev_lead))], dtype=object),
            "lead_id": ev_lead, "from_stage": ev_from, "to_stage": ev_to,
            "occurred_at": pa.array(ev_at, ts), "actor": ev_actor, "reason": ev_reason},
            schema=_subset("stage_events", ["event_id", "lead_id", "from_stage", "to_stage",
                                            "occurred_at", "actor", "reason"])),
        "activities": pa.table({
            "activity_id": np.array([f"A{i:08d}" for i in range(m)], dtype=object),
            "lead_id": act_lead, "rep_id": act_rep, "kind": np.full(m, "call"),
            "occurred_at": pa.array(act_at, ts)},
            schema=_subset("activities", ["activity_id", "lead_id", "rep_id", "kind",
                                          "occurred_at"])),
    }


def _subset(name: str, cols: list[str]) -> pa.Schema:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.schema([schema.field(c) for c in cols])


def full_table(name: str, t: pa.Table) -> pa.Table:
    """Pad to the canonical schema with null columns."""
    schema = FACT_TABLES[name].arrow_schema()
    cols = [t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
            for f in schema]
    return pa.Table.from_arrays(cols, schema=schema)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--store", type=Path, default=Path("/tmp/accord-sla-bench.duckdb"))
    ap.add_argument("--out", type=Path, default=HERE,
                    help="folder for RESULTS.md and results.json (default: beside this file)")
    args = ap.parse_args()
    contract = starter_contract()
    cal = contract.calendar
    sla = contract.speed_to_lead
    assert sla is not None and sla.within is not None
    within = sla.within
    decide = next(c for c in contract.slas.values() if c.kind == "accept_or_reject")
    follow = next(c for c in contract.slas.values() if c.kind == "min_touches")
    assert follow.min_touches is not None
    load_before = os.getloadavg()
    results: dict[str, Any] = {"leads": args.leads, "seed": args.seed}

    facts, wall, cpu = timed(lambda: synthetic_facts(args.leads, args.seed, contract))
    results["generate"] = (wall, cpu)
    if args.store.exists():
        args.store.unlink()
    store = open_store(args.store)
    _, wall, cpu = timed(lambda: store.write_facts(
        {k: full_table(k, v) for k, v in facts.items()}))
    results["write_store"] = (wall, cpu)
    results["rows"] = {k: v.num_rows for k, v in facts.items()}

    # the calendar, vectorised vs scalar
    ev = facts["stage_events"]
    starts = ev.column("occurred_at").to_numpy()[: args.leads].astype("datetime64[us]")
    due, wall, cpu = timed(lambda: cal.add_business_many(starts, within))
    results["add_business_many"] = (wall, cpu)
    _, wall, cpu = timed(lambda: cal.business_minutes_between_many(starts, due))
    results["business_minutes_between_many"] = (wall, cpu)
    sample = [s.item() for s in starts[:20_000]]
    _, wall, cpu = timed(lambda: [cal.add_business(s, within) for s in sample])
    results["scalar_add_business_per_lead_us"] = cpu / len(sample) * 1e6
    # the NumPy core on 1M leads (stops: the first-touch moments where present)
    stops = np.where(np.random.default_rng(1).random(len(starts)) < 0.9,
                     starts + np.timedelta64(90, "m"), np.datetime64("NaT"))
    now = datetime(2026, 1, 1)
    _, wall, cpu = timed(lambda: clock_arrays(within, cal, starts, stops, now))
    results["clock_arrays"] = (wall, cpu)

    # the two queries inside compute_sla_clocks, alone (the rest is NumPy and Arrow)
    moves = moves_by(store, "actual", now)
    _, wall, cpu = timed(lambda: fetch_stage_facts(store, moves, decide.start, now,
                                                   touches=[1],
                                                   decisions=(decide.accept, decide.reject)))
    results["fetch_mql"] = (wall, cpu)
    _, wall, cpu = timed(lambda: fetch_stage_facts(store, moves, follow.start, now,
                                                   touches=[follow.min_touches or 1]))
    results["fetch_sal"] = (wall, cpu)
    # end to end from the store
    clocks, wall, cpu = timed(lambda: compute_sla_clocks(store, contract, now))
    results["compute_sla_clocks"] = (wall, cpu)
    results["state_rows"] = clocks.states.num_rows
    results["escalation_rows"] = clocks.escalations.num_rows
    results["summary"] = [s.as_dict() for s in summarise(clocks)]
    _, wall, cpu = timed(lambda: compute_speed_to_lead(store, contract, now))
    results["compute_speed_to_lead"] = (wall, cpu)
    store.close()

    # the live path: one lead at a time
    lat = []
    for i in range(2_000):
        s = sample[i]
        t0 = time.perf_counter()
        read_sla(sla, cal, s, None, now)
        lat.append(time.perf_counter() - t0)
    results["read_sla_median_us"] = statistics.median(lat) * 1e6
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["load"] = (load_before[0], os.getloadavg()[0])
    results["machine"] = f"{os.cpu_count()} CPUs, {platform.machine()}, Python " \
                         f"{platform.python_version()}"
    results["ran_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "RESULTS.md").write_text(render(results))
    sys.stdout.write(render(results))
    return 0


def render(r: dict[str, Any]) -> str:
    def row(label: str, key: str) -> str:
        wall, cpu = r[key]
        return f"| {label} | {wall:.2f} s | {cpu:.2f} s |"

    n = r["leads"]
    per_lead = r["scalar_add_business_per_lead_us"]
    scalar_total = per_lead * n / 1e6
    rows = "\n".join(f"| {k} | {v:,} |" for k, v in r["rows"].items())
    return f"""# Batch SLA clocks — benchmark

Run {r['ran_at']} by `bench/sla/run.py` on {n:,} synthetic leads (seed {r['seed']}),
DuckDB store, the starter contract's four SLAs (America/New_York, 09:00-18:00, US holidays).
Machine: {r['machine']}; load average (1 min) before / after: {r['load'][0]:.1f} /
{r['load'][1]:.1f} — the machine is shared, so CPU time is the steadier figure.

| facts | rows |
|---|---:|
{rows}

| step | wall | CPU |
|---|---:|---:|
{row("generate synthetic facts (NumPy)", "generate")}
{row("write them to the store (one transaction)", "write_store")}
{row(f"`add_business_many`, {n:,} starts + 2 business hours", "add_business_many")}
{row(f"`business_minutes_between_many`, {n:,} pairs", "business_minutes_between_many")}
{row(f"`clock_arrays` (the NumPy core), {n:,} leads", "clock_arrays")}
{row("`compute_sla_clocks` end to end (Ibis on DuckDB + NumPy), 3 per-lead SLAs + volume",
     "compute_sla_clocks")}
{row("its MQL-stage facts query, timed alone (speed_to_lead, accept_or_reject, volume)",
     "fetch_mql")}
{row("its SAL-stage facts query, timed alone (follow_up)", "fetch_sal")}
{row("`compute_speed_to_lead` end to end", "compute_speed_to_lead")}

- Scalar `add_business` (pure Python, one lead at a time): {per_lead:.1f} µs CPU per lead,
  i.e. about {scalar_total:.0f} s for {n:,} leads, against the vectorised figure above.
- Live `read_sla` (one lead, same core as the batch): median {r['read_sla_median_us']:.0f} µs.
- Most of the batch is the two fact queries (joins and a window over the activities in
  DuckDB); the clock arithmetic itself is the NumPy rows above.
- `compute_sla_clocks` produced {r['state_rows']:,} clock rows and {r['escalation_rows']:,}
  escalation events. Peak RSS {r['peak_rss_mb']:,.0f} MB.
"""


if __name__ == "__main__":
    raise SystemExit(main())
