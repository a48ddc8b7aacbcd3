"""Benchmark: `accord simulate` with 1,000,000 leads to Parquet.

Runs the CLI in a child process (so its peak RSS is measured alone), checks the row counts
and appends nothing: it rewrites RESULTS.md beside this file with the command, wall time,
CPU time, rows and peak RSS, plus the machine's load when it ran (other work on a shared
2-core machine slows wall time; CPU time is the steadier figure).

    python bench/simulate/run.py [--leads 1000000] [--seed 7] [--out /tmp/accord-sim-bench]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET_SECONDS = 60.0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=Path("/tmp/accord-sim-bench"))
    ap.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = ap.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    cmd = [sys.executable, "-c", "from accord.cli import main; main()", "simulate",
           "--out", str(args.out), "--leads", str(args.leads), "--seed", str(args.seed),
           "--format", "parquet", "--json"]
    shown = (f"accord simulate --out {args.out} --leads {args.leads} --seed {args.seed} "
             "--format parquet --json")
    load_before = os.getloadavg()
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    load_after = os.getloadavg()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    summary = json.loads(proc.stdout)
    rows = summary["rows"]
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    cpu = usage.ru_utime + usage.ru_stime
    peak_mb = usage.ru_maxrss / 1024
    lines = [
        "# accord simulate — benchmark",
        "",
        f"Run {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `bench/simulate/run.py`.",
        "",
        "```",
        shown,
        "```",
        "",
        "| measure | value |",
        "|---|---|",
        f"| wall time | {wall:.1f} s (target ≤ {TARGET_SECONDS:.0f} s: "
        f"{'met' if wall <= TARGET_SECONDS else 'missed'}) |",
        f"| CPU time (user + sys) | {cpu:.1f} s |",
        f"| peak RSS | {peak_mb:,.0f} MB |",
        f"| output on disk | {size / 2**20:,.0f} MB |",
        f"| load average before / after (1 min) | {load_before[0]:.1f} / {load_after[0]:.1f} |",
        f"| machine | {os.cpu_count()} CPUs, {platform.machine()}, Python "
        f"{platform.python_version()} |",
        "",
        *(_shared_note(load_before[0], cpu) if load_before[0] > (os.cpu_count() or 1) else []),
        "| table | rows |",
        "|---|---:|",
        *[f"| {name} | {n:,} |" for name, n in rows.items()],
        f"| **total** | **{sum(rows.values()):,}** |",
        "",
    ]
    args.results.write_text("\n".join(lines), "utf-8")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _shared_note(load: float, cpu: float) -> list[str]:
    return [
        f"The machine was shared when this ran (load {load:.1f} on {os.cpu_count()} CPUs), so "
        "the wall time mostly measures waiting for a CPU. The run itself needed "
        f"{cpu:.1f} s of CPU and is single-threaded except for the touch table, written on a "
        "second thread while the funnel runs: on an idle machine its wall time is at most "
        "its CPU time.",
        "",
    ]


if __name__ == "__main__":
    raise SystemExit(main())
