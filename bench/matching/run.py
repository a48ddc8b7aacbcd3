"""Benchmark: lead-to-account matching and duplicate leads, 100,000 leads × 20,000 accounts.

Data: `accord.sim.simulate` with 8 leads per account (160,000 leads → 20,000 accounts), of
which the first `--leads` leads are matched against all accounts; the simulator's
`_truth/` gives the true account and the true duplicates. Measured, each on one process
(wall and CPU seconds; the machine is shared, so CPU time is the steadier figure):

1. `build_account_index` on the accounts;
2. `match_leads_to_accounts` on the leads as simulated (known ids, email domains, names),
   with precision and recall on leads whose account_id was not given;
3. the same with emails and account ids hidden — every lead goes through the name rule,
   the worst case for the fuzzy step — with precision and recall;
4. `find_duplicate_leads`, checked against the true duplicates;
5. `match_lead` one lead at a time (live path) on free-mail leads, cold caches;
6. for scale, the same name scoring one name at a time in a Python loop
   (`best_two_names([name], ...)`, as the live path calls it), timed on a sample of names
   and extrapolated to the distinct names of step 3.

Writes results.json and RESULTS.md beside this file (or in the folder `--results`).

    python bench/matching/run.py [--leads 100000] [--accounts 20000] [--seed 7]
        [--results bench/matching]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import rapidfuzz

from accord.engine import matching
from accord.sim import simulate

HERE = Path(__file__).resolve().parent
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[T, float, float]:
    """Result, wall seconds, CPU seconds (this process, all threads)."""
    c0, t0 = time.process_time(), time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0, time.process_time() - c0


def precision_recall(matched: pa.Table, truth: pa.Table) -> dict[str, float | int]:
    j = matched.join(truth.rename_columns(["lead_id", "true_account_id"]), "lead_id")
    made = pc.sum(pc.is_valid(j.column("account_id"))).as_py() or 0
    correct = pc.sum(pc.fill_null(pc.equal(j.column("account_id"),
                                           j.column("true_account_id")), False)).as_py() or 0
    n_true = pc.sum(pc.is_valid(j.column("true_account_id"))).as_py() or 0
    return {"leads": j.num_rows, "matched": made, "correct": correct,
            "precision": correct / made if made else float("nan"),
            "recall": correct / n_true if n_true else float("nan")}


def method_counts(matched: pa.Table) -> dict[str, int]:
    vc = pc.value_counts(matched.column("method")).to_pylist()
    return {str(d["values"]): int(d["counts"]) for d in vc}


def git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True, cwd=HERE).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--leads", type=int, default=100_000)
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--live", type=int, default=2_000, help="leads for the live path")
    ap.add_argument("--loop-sample", type=int, default=500,
                    help="names for the per-lead loop baseline")
    ap.add_argument("--out", type=Path, default=Path("/tmp/accord-matching-bench"))
    ap.add_argument("--results", type=Path, default=HERE)
    args = ap.parse_args()

    sim_leads = max(args.leads, args.accounts * 8)
    load_before = os.getloadavg()
    if not (args.out / "_truth" / "lead_accounts.parquet").exists():
        simulate(args.out, leads=sim_leads, seed=args.seed, effects=None)
    leads = pq.read_table(args.out / "leads.parquet").slice(0, args.leads)
    accounts = pq.read_table(args.out / "accounts.parquet")
    truth = pq.read_table(args.out / "_truth" / "lead_accounts.parquet")
    dup_truth = pq.read_table(args.out / "_truth" / "duplicate_leads.parquet")
    lead_ids = leads.column("lead_id").combine_chunks()
    dup_truth = dup_truth.filter(pc.is_in(dup_truth.column("lead_id"), value_set=lead_ids))
    r: dict[str, Any] = {"leads": leads.num_rows, "accounts": accounts.num_rows,
                         "seed": args.seed, "simulated_leads": sim_leads}

    index, wall, cpu = timed(lambda: matching.build_account_index(accounts))
    r["index"] = {"wall_s": wall, "cpu_s": cpu, "name_keys": index.size,
                  "domains": len(index.domains)}

    matched, wall, cpu = timed(lambda: matching.match_leads_to_accounts(leads, index))
    open_ids = leads.filter(pc.is_null(leads.column("account_id"))).column("lead_id")
    open_matched = matched.filter(pc.is_in(matched.column("lead_id"),
                                           value_set=open_ids.combine_chunks()))
    r["as_simulated"] = {"wall_s": wall, "cpu_s": cpu, "methods": method_counts(matched),
                         **precision_recall(open_matched, truth)}

    hidden = leads.select(["lead_id", "company"])
    company = matching.normalise_company_names(hidden.column("company"))
    exact = pc.is_in(company, value_set=index.names)
    # the names the fuzzy step scores: present (a blank company is not scored) and not exact
    fuzzy_names = pc.unique(company.filter(
        pc.and_(pc.is_valid(company), pc.invert(pc.fill_null(exact, True)))))
    names_only, wall, cpu = timed(lambda: matching.match_leads_to_accounts(hidden, index))
    r["names_only"] = {"wall_s": wall, "cpu_s": cpu, "methods": method_counts(names_only),
                       "distinct_fuzzy_names": len(fuzzy_names),
                       "pairs_scored": len(fuzzy_names) * index.size,
                       **precision_recall(names_only, truth)}

    dups, wall, cpu = timed(lambda: matching.find_duplicate_leads(leads))
    found = set(zip(dups.column("lead_id").to_pylist(), dups.column("duplicate_of").to_pylist(),
                    strict=True))
    expected = set(zip(dup_truth.column("lead_id").to_pylist(),
                       dup_truth.column("duplicate_of").to_pylist(), strict=True))
    r["duplicates"] = {"wall_s": wall, "cpu_s": cpu, "found": len(found),
                       "true": len(expected), "equal_to_truth": found == expected}

    free = matching.is_free_mail(matching.email_domains(leads.column("email")))
    live_rows = leads.filter(pc.and_(free, pc.is_null(leads.column("account_id"))))
    live_rows = live_rows.slice(0, args.live).to_pylist()
    matching._live_company.cache_clear()
    matching._live_domains.cache_clear()
    times = []
    for lead in live_rows:
        t0 = time.perf_counter()
        matching.match_lead(lead, index)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    r["live"] = {"leads": len(times), "median_ms": statistics.median(times),
                 "p95_ms": times[int(0.95 * (len(times) - 1))], "max_ms": times[-1]}

    sample = fuzzy_names.slice(0, args.loop_sample).to_pylist()

    def loop() -> None:
        for q in sample:
            matching.best_two_names([q], index, workers=1)

    _, wall, cpu = timed(loop)
    per = wall / max(1, len(sample))
    per_cpu = cpu / max(1, len(sample))
    r["loop_baseline"] = {"sample": len(sample), "wall_s": wall, "cpu_s": cpu,
                          "per_name_ms": per * 1000, "per_name_cpu_ms": per_cpu * 1000,
                          "extrapolated_s": per * len(fuzzy_names),
                          "extrapolated_cpu_s": per_cpu * len(fuzzy_names)}

    r["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    r["machine"] = {"cpus": os.cpu_count(), "arch": platform.machine(),
                    "python": platform.python_version(), "pyarrow": pa.__version__,
                    "rapidfuzz": rapidfuzz.__version__,
                    "load_before": load_before[0], "load_after": os.getloadavg()[0],
                    "commit": git_commit(),
                    "run_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "results.json").write_text(json.dumps(r, indent=2) + "\n", "utf-8")
    (args.results / "RESULTS.md").write_text(render(r, args), "utf-8")
    print(json.dumps(r, indent=2))
    return 0


def render(r: dict[str, Any], args: argparse.Namespace) -> str:
    m = r["machine"]
    a, n, d, lv, lb, ix = (r["as_simulated"], r["names_only"], r["duplicates"], r["live"],
                           r["loop_baseline"], r["index"])
    cmd = (f"python bench/matching/run.py --leads {args.leads} --accounts {args.accounts} "
           f"--seed {args.seed}")

    def methods(x: dict[str, int]) -> str:
        return ", ".join(f"{k} {v:,}" for k, v in sorted(x.items()))

    return "\n".join([
        "# Lead-to-account matching — benchmark",
        "",
        f"Run {m['run_at']} (commit {m['commit']}) by `bench/matching/run.py`; rerun to "
        "refresh. Command, from the repository root:",
        "",
        "```",
        cmd,
        "```",
        "",
        f"Data: `accord.sim.simulate(leads={r['simulated_leads']:,}, seed={r['seed']}, "
        f"effects=None)` gives {r['accounts']:,} accounts; the first {r['leads']:,} leads "
        "are matched against all of them. Precision = correct matches / matches made; "
        "recall = correct matches / leads with a true account.",
        "",
        f"Machine: {m['cpus']} CPUs ({m['arch']}), Python {m['python']}, pyarrow "
        f"{m['pyarrow']}, rapidfuzz {m['rapidfuzz']}; load average (1 min) "
        f"{m['load_before']:.1f} before, {m['load_after']:.1f} after — the machine is "
        "shared, so wall times are noisy; CPU time counts every thread.",
        "",
        "| step | wall s | CPU s | result |",
        "|---|---:|---:|---|",
        f"| build account index | {ix['wall_s']:.2f} | {ix['cpu_s']:.2f} | "
        f"{ix['name_keys']:,} name keys (names + abbreviations), {ix['domains']:,} domains |",
        f"| match {r['leads']:,} leads as simulated | {a['wall_s']:.2f} | {a['cpu_s']:.2f} | "
        f"{methods(a['methods'])}; on the {a['leads']:,} leads without account_id: precision "
        f"{a['precision']:.4f}, recall {a['recall']:.4f} |",
        f"| match by names only (emails, ids hidden) | {n['wall_s']:.2f} | {n['cpu_s']:.2f} | "
        f"{n['distinct_fuzzy_names']:,} distinct names scored against every key "
        f"({n['pairs_scored']:,} pairs); precision {n['precision']:.4f}, recall "
        f"{n['recall']:.4f} |",
        f"| duplicate leads | {d['wall_s']:.2f} | {d['cpu_s']:.2f} | {d['found']:,} found, "
        f"{d['true']:,} true; {'equal to' if d['equal_to_truth'] else 'DIFFERENT from'} the "
        "truth |",
        f"| live `match_lead`, {lv['leads']:,} free-mail leads, cold cache | | | median "
        f"{lv['median_ms']:.2f} ms, p95 {lv['p95_ms']:.2f} ms, max {lv['max_ms']:.1f} ms |",
        f"| one name at a time in a Python loop, {lb['sample']:,} names | "
        f"{lb['wall_s']:.2f} | {lb['cpu_s']:.2f} | {lb['per_name_ms']:.1f} ms wall, "
        f"{lb['per_name_cpu_ms']:.1f} ms CPU per name → about {lb['extrapolated_s']:.0f} s "
        f"wall, {lb['extrapolated_cpu_s']:.0f} s CPU for the {n['distinct_fuzzy_names']:,} "
        "names that `cdist` scores in the names-only row |",
        "",
        f"Peak RSS {r['peak_rss_mb']:,.0f} MB (including the simulated tables).",
        "",
        *render_stress(),
    ])


def render_stress() -> list[str]:
    """The stress grid of bench/matching/stress.py (stress.json), when it has been run."""
    path = HERE / "stress.json"
    if not path.exists():
        return []
    s = json.loads(path.read_text("utf-8"))
    margins = sorted({g["min_margin"] for g in s["grid"]})
    scores = sorted({g["min_name_score"] for g in s["grid"]})
    cell = {(g["min_name_score"], g["min_margin"]): g for g in s["grid"]}
    lines = [
        "## Name rule under stress: choosing `min_name_score` and `min_margin`",
        "",
        "```",
        f"python bench/matching/stress.py --accounts {s['accounts']} --leads {s['leads']} "
        f"--seed {s['seed']}",
        "```",
        "",
        f"{s['accounts']:,} invented accounts, {s['leads']:,} leads by company name only, "
        f"{s['unknown']:.0%} of them from companies that are not accounts; the rest carry "
        "1–3 letter edits, dropped or swapped words, shortened sector words, case, "
        "punctuation and legal forms (see the script). Each cell: precision / recall "
        "(strangers wrongly matched). Defaults: 80 / 8.",
        "",
        "| min_name_score | " + " | ".join(f"margin {m:g}" for m in margins) + " |",
        "|---:|" + "---|" * len(margins),
    ]
    for sc in scores:
        cells = [f"{cell[(sc, m)]['precision']:.3f} / {cell[(sc, m)]['recall']:.3f} "
                 f"({cell[(sc, m)]['strangers_matched']:,})" for m in margins]
        lines.append(f"| {sc:g} | " + " | ".join(cells) + " |")
    lines.append("")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
