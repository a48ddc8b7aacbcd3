"""Routing benchmark: the sequential step on 1,000,000 synthetic leads with 40 reps.

Run from the repository root:

    python bench/routing/bench_routing.py                 # 1,000,000 leads
    python bench/routing/bench_routing.py --leads 100000  # quicker

Synthetic company (seeded, deterministic): 30 SDRs (weights 1, five at 2) and 10
enterprise AEs, 50,000 accounts (10% owned by an AE, 5% with 1,000+ employees), one
year of leads at uniformly random times. Two out-of-office spells of five days per rep;
SDR capacity 130 leads per UTC day, five weight-1 SDRs only 60 (below their ~78-a-day
share, so capacity skips happen every day). Rules as
in the starter contract: account owner, enterprise pool, SDR pool, fallback queue; the
contract is the starter's with these weights, compiled once (`compile_contract`); days are
UTC days.

Timed separately: rule matching (Ibis on DuckDB, vectorised), the sequential step (one
Python loop, the part that cannot be vectorised) and building the Arrow output; then the
live path, `Router.route` on the first 100,000 leads one at a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa

from accord.contract.compiled import CompiledContract, compile_contract, starter_contract
from accord.contract.schema import Contract
from accord.engine.routing import Router

ROUTING = {
    "pools": {"sdr": {"role": "sdr", "weights": {f"sdr{i:02d}": 2 for i in range(5)}},
              "enterprise_ae": {"role": "ae", "segment": "enterprise"}},
    "rules": [
        {"name": "abm_account_owner", "when": "account.owner_rep_id != ''", "to": "account_owner"},
        {"name": "enterprise", "when": "account.employees >= 1000",
         "to": {"pool": "enterprise_ae"}},
        {"name": "inbound", "to": {"pool": "sdr"}},
    ],
    "fallback_queue": "revops_triage",
}
START = datetime(2026, 1, 1)
CHANNELS = ["paid_search", "webinar", "organic", "event", "partner"]


def synthetic(leads: int, seed: int = 11) -> tuple[pa.Table, pa.Table, pa.Table, pa.Table]:
    rng = np.random.default_rng(seed)
    sdrs = [f"sdr{i:02d}" for i in range(30)]
    aes = [f"ae{i:02d}" for i in range(10)]
    reps = pa.table({
        "rep_id": sdrs + aes,
        "role": ["sdr"] * 30 + ["ae"] * 10,
        "segment": [None] * 30 + ["enterprise"] * 10,
        "capacity_per_day": [130] * 25 + [60] * 5 + [None] * 10,
        "active": [True] * 40,
    })
    spells = []
    for i, rep in enumerate(sdrs + aes):
        for k, day in enumerate(rng.choice(360, size=2, replace=False)):
            begin = START + timedelta(days=int(day), hours=int(rng.integers(0, 24)))
            spells.append((f"ooo-{i}-{k}", rep, begin, begin + timedelta(days=5)))
    availability = pa.table({
        "absence_id": [s[0] for s in spells], "rep_id": [s[1] for s in spells],
        "starts_at": pa.array([s[2] for s in spells], pa.timestamp("us")),
        "ends_at": pa.array([s[3] for s in spells], pa.timestamp("us")),
    })
    n_accounts = 50_000
    owned = rng.random(n_accounts) < 0.10
    accounts = pa.table({
        "account_id": [f"acc{i:06d}" for i in range(n_accounts)],
        "employees": np.where(rng.random(n_accounts) < 0.05, 5_000, 120),
        "owner_rep_id": [aes[i % 10] if o else None for i, o in enumerate(owned)],
    })
    offsets = np.sort(rng.integers(0, 365 * 86_400_000_000, size=leads))
    account_of = rng.integers(0, n_accounts, size=leads)
    has_account = rng.random(leads) < 0.6
    lead_table = pa.table({
        "lead_id": [f"lead{i:07d}" for i in range(leads)],
        "created_at": pa.array(np.datetime64(START, "us") + offsets.astype("timedelta64[us]")),
        "account_id": pa.array([f"acc{a:06d}" if h else None
                                for a, h in zip(account_of, has_account, strict=True)]),
        "channel": pa.array(np.array(CHANNELS)[rng.integers(0, 5, size=leads)]),
    })
    return lead_table, accounts, reps, availability


def bench_contract() -> CompiledContract:
    """The starter contract with the benchmark's routing (weighted SDR pool), compiled."""
    source = starter_contract().source.model_dump(mode="json", by_alias=True)
    source["routing"] = ROUTING
    return compile_contract(Contract.model_validate(source))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="Best of this many runs.")
    args = parser.parse_args()
    leads, accounts, reps, availability = synthetic(args.leads)
    contract = bench_contract()
    best: dict[str, float] = {}
    result = None
    for _ in range(args.repeat):
        router = Router.from_tables(contract, reps, availability, timezone="UTC")
        t0 = time.perf_counter()
        batch = router.prepare(leads, accounts)
        t1 = time.perf_counter()
        c1 = time.process_time()
        decided = router.decide(batch)  # the sequential step alone
        c2 = time.process_time()
        t2 = time.perf_counter()
        result = router.tables(batch, decided)
        t3 = time.perf_counter()
        for name, value in (("match", t1 - t0), ("step", t2 - t1), ("step_cpu", c2 - c1),
                            ("output", t3 - t2), ("total", t3 - t0)):
            best[name] = min(best.get(name, float("inf")), value)
    assert result is not None
    live_n = min(args.leads, 100_000)
    account_rows = {r["account_id"]: r for r in accounts.to_pylist()}
    rows = leads.slice(0, live_n).to_pylist()
    router = Router.from_tables(contract, reps, availability, timezone="UTC")
    t0 = time.perf_counter()
    for row in rows:
        router.route(row, account_rows.get(row["account_id"]))
    live_s = time.perf_counter() - t0
    steps = result.assignments.group_by("step").aggregate([("lead_id", "count")]).to_pylist()
    skips = result.skips.group_by("reason").aggregate([("lead_id", "count")]).to_pylist()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
          f"(load {load:.1f}), {args.leads:,} leads, 40 reps, best of {args.repeat}")
    print(f"  rule matching (Ibis/DuckDB, vectorised): {best['match']:.2f} s")
    print(f"  sequential step:                        {best['step']:.2f} s "
          f"({best['step'] / args.leads * 1e6:.2f} µs per lead; CPU {best['step_cpu']:.2f} s)")
    print(f"  Arrow output:                           {best['output']:.2f} s")
    print(f"  route_leads end to end:                 {best['total']:.2f} s")
    print(f"  live Router.route, one lead at a time:  {live_s / live_n * 1e6:.1f} µs per lead "
          f"({live_n:,} leads)")
    print("  assignments by step:", {r["step"]: r["lead_id_count"] for r in steps})
    print("  skips by reason:   ", {r["reason"]: r["lead_id_count"] for r in skips})


if __name__ == "__main__":
    main()
