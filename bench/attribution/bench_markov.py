"""Benchmark: accord's attribution against ChannelAttribution and marketing-attribution-models.

Same 1,000,000 journeys for every tool: a bootstrap resample of the oracle's 100,000
journeys (`../shared/data/attribution/paths_100000.csv.gz`), one row per journey in
ChannelAttribution's layout (`path`, `total_conversions` 0/1, `total_conversion_value`,
`total_null` = 1 − conversions). Each touch gets synthetic days before the conversion
(gaps drawn from an exponential distribution) so time-decay can be compared too.

Markov: accord (exact) vs ChannelAttribution `markov_model` (Monte-Carlo) at orders 1–3
and several `nsim_start`, two seeds each; the two seeds measure ChannelAttribution's own
run-to-run noise. Heuristics: accord vs marketing-attribution-models (journey layout)
and ChannelAttribution `heuristic_models`. Writes RESULTS.md and results.json here.

Run (needs the `bench` extra):  python bench/attribution/bench_markov.py
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from accord.analytics.attribution import Journeys, attribute, markov

HERE = Path(__file__).resolve().parent
ORACLE = HERE.parents[1] / ".." / "shared" / "data" / "attribution"


# ------------------------------------------------------------------------- data
def make_journeys(n: int, seed: int) -> pd.DataFrame:
    """Resample `n` journeys (with replacement) from the oracle's 100,000."""
    grouped = pd.read_csv(ORACLE / "paths_100000.csv.gz", sep=";")
    conv = grouped["total_conversions"].to_numpy()
    null = grouped["total_null"].to_numpy()
    value_per_conv = np.divide(grouped["total_conversion_value"].to_numpy(), conv,
                               out=np.zeros(len(conv)), where=conv > 0)
    rows = np.concatenate([np.repeat(np.arange(len(grouped)), conv),
                           np.repeat(np.arange(len(grouped)), null)])
    converted = np.concatenate([np.ones(conv.sum()), np.zeros(null.sum())])
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, rows.shape[0], size=n)
    path_row, won = rows[pick], converted[pick]
    paths = pa.array(grouped["path"].to_numpy()[path_row], pa.string())
    # synthetic days before conversion: exponential gaps, newest touch 0–2 days before
    parts = pc.split_pattern(paths, " > ")
    lengths = pc.list_value_length(parts).to_numpy()
    n_touch = int(lengths.sum())
    gaps = rng.exponential(5.0, n_touch)
    journey = np.repeat(np.arange(n), lengths)
    ends = np.cumsum(lengths) - 1
    gaps[ends] = rng.uniform(0.0, 2.0, n)
    # days_before = sum of this and every later gap in the journey (reverse cumsum)
    rev = np.cumsum(gaps[::-1])[::-1]
    after_journey = np.zeros(n)
    after_journey[:-1] = rev[ends[:-1] + 1]
    days = np.round(rev - after_journey[journey], 3)
    offsets = pa.array(np.concatenate(([0], np.cumsum(lengths))).astype(np.int32))

    def joined(x: np.ndarray) -> pa.Array:
        strings = pc.cast(pa.array(x), pa.string())
        return pc.binary_join(pa.ListArray.from_arrays(offsets, strings), " > ")

    return pd.DataFrame({
        "journey_id": np.arange(n),
        "path": paths.to_numpy(zero_copy_only=False),
        "total_conversions": won.astype(np.int64),
        "total_conversion_value": np.round(value_per_conv[path_row] * won, 2),
        "total_null": (1 - won).astype(np.int64),
        "days": joined(days).to_numpy(zero_copy_only=False),
        "hours": joined(np.round(days * 24.0, 3)).to_numpy(zero_copy_only=False),
    })


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[Any, float]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return out, best


def quiet(fn: Callable[[], Any]) -> Any:
    with contextlib.redirect_stdout(io.StringIO()):
        return fn()


def max_rel(a: pd.Series, b: pd.Series) -> tuple[float, str]:
    rel = ((a - b).abs() / b.abs()).dropna()
    return float(rel.max()), str(rel.idxmax())


# ------------------------------------------------------------------------ Markov
def bench_markov(df: pd.DataFrame, orders: list[int], nsims: list[float], seeds: list[int],
                 ncore: int) -> list[dict[str, Any]]:
    """accord (exact) vs ChannelAttribution (Monte-Carlo, one run per seed)."""
    import ChannelAttribution as ca

    cols = df[["path", "total_conversions", "total_conversion_value", "total_null"]]
    out: list[dict[str, Any]] = []
    journeys, t_parse = timed(lambda: Journeys.from_paths(cols), repeat=3)
    for k in orders:
        credits, t_model = timed(lambda k=k: markov(journeys, k), repeat=3)
        exact = pd.Series(credits.conversions, index=list(credits.names))
        steps = int(journeys.lengths.max()) + 1  # ChannelAttribution's walk cut-off
        cut_credits, t_cut = timed(lambda k=k, steps=steps: markov(
            journeys, k, max_steps=steps), repeat=3)
        cut = pd.Series(cut_credits.conversions, index=list(cut_credits.names))
        print(f"accord order {k}: parse {t_parse:.2f}s + model {t_model:.2f}s "
              f"(with cut-off {t_cut:.2f}s)", flush=True)
        for nsim in nsims:
            runs: dict[int, pd.Series] = {}
            times: list[float] = []
            for seed in seeds:
                # CA's `seed` alone often replays the same stream; permuting the rows
                # (same journeys) renumbers its channels and so changes its draws too
                data = cols if seed == seeds[0] else \
                    cols.sample(frac=1.0, random_state=seed).reset_index(drop=True)
                res, t_ca = timed(lambda k=k, nsim=nsim, seed=seed, data=data: quiet(
                    lambda: ca.markov_model(
                        data, "path", "total_conversions",
                        var_value="total_conversion_value", var_null="total_null",
                        order=k, nsim_start=int(nsim), seed=seed, ncore=ncore,
                        verbose=False, flg_pro=False)))
                runs[seed] = res.set_index("channel_name")["total_conversions"] \
                    .reindex(exact.index)
                times.append(t_ca)
                print(f"  CA order {k} nsim {nsim:.0e} seed {seed}: {t_ca:.2f}s", flush=True)
            table = pd.DataFrame(runs)
            # worst channel, worst seed: |CA - accord| / accord
            diff = table.sub(exact, axis=0).abs().div(exact, axis=0)
            # CA against itself: largest gap between two seeds, per channel, / accord
            spread = (table.max(axis=1) - table.min(axis=1)) / exact
            bias = (table.mean(axis=1) - exact).abs() / exact
            distinct = len({tuple(np.round(table[c].to_numpy(), 9)) for c in table})
            diff_cut = table.sub(cut, axis=0).abs().div(cut, axis=0)
            out.append({
                "order": k, "nsim": nsim, "ncore": ncore, "seeds": seeds,
                "distinct_ca_results": distinct,
                "accord_parse_s": t_parse, "accord_model_s": t_model,
                "accord_total_s": t_parse + t_model,
                "ca_best_s": min(times), "ca_median_s": float(np.median(times)),
                "ratio_ca_best_over_accord": min(times) / (t_parse + t_model),
                "max_rel_diff": float(diff.max().max()),
                "max_rel_diff_channel": str(diff.max(axis=1).idxmax()),
                "max_abs_diff_conversions": float(table.sub(exact, axis=0).abs().max().max()),
                "ca_noise_max_rel_spread": float(spread.max()),
                "ca_mean_vs_accord_max_rel": float(bias.max()),
                "channels_outside_ca_spread": int(
                    ((exact < table.min(axis=1)) | (exact > table.max(axis=1))).sum()),
                "cutoff_steps": steps, "accord_cutoff_model_s": t_cut,
                "max_rel_diff_vs_cutoff": float(diff_cut.max().max()),
                "ca_mean_vs_cutoff_max_rel": float(
                    ((table.mean(axis=1) - cut).abs() / cut).max()),
            })
    return out


def seed_only_runs(df: pd.DataFrame, seeds: list[int]) -> int:
    """How many different answers ChannelAttribution gives when only `seed` changes."""
    import ChannelAttribution as ca

    cols = df[["path", "total_conversions", "total_null"]]
    results = {tuple(np.round(quiet(lambda seed=seed: ca.markov_model(
        cols, "path", "total_conversions", var_null="total_null", order=1,
        nsim_start=100_000, seed=seed, verbose=False, flg_pro=False))
        ["total_conversions"].to_numpy(), 9)) for seed in seeds}
    return len(results)


def cutoff_bias() -> dict[str, float]:
    """From the oracle: ChannelAttribution's walk-length cut-off vs no cut-off, per order."""
    ref = pd.read_csv(ORACLE / "reference_100k.csv").set_index("channel_name")
    return {str(k): float(((ref[f"exact_o{k}_hca"] - ref[f"exact_o{k}_hnone"]).abs()
                           / ref[f"exact_o{k}_hnone"]).max()) for k in (1, 2, 3)}


# -------------------------------------------------------------------- heuristics
def bench_heuristics(df: pd.DataFrame) -> list[dict[str, Any]]:
    import ChannelAttribution as ca
    import mam

    out: list[dict[str, Any]] = []
    cols = df[["path", "total_conversions", "total_conversion_value", "total_null", "days"]]
    journeys, t_parse = timed(lambda: Journeys.from_paths(cols, days_column="days"), repeat=3)
    mam_in = pd.DataFrame({"journey_id": df["journey_id"].astype(str), "path": df["path"],
                           "hours": df["hours"],
                           "converted": df["total_conversions"].astype(bool)})
    engine, t_mam_parse = timed(lambda: mam.MAM(
        mam_in, format_type="journey", channels_colname="path",
        journey_with_conv_colname="converted", user_id_colname="journey_id",
        time_till_conv_colname="hours", path_separator=" > "))
    pairs: list[tuple[str, str, dict[str, float], Callable[[], Any]]] = [
        ("first_touch", "first_click", {}, engine.run_first_click),
        ("last_touch", "last_click", {}, engine.run_last_click),
        ("linear", "linear", {}, engine.run_linear),
        ("u_shaped", "position_based (40/20/40)", {}, engine.run_position_based),
        ("time_decay", "time_decay (168 h)", {"half_life_days": 7.0},
         lambda: engine.run_time_decay(half_life_hours=168.0)),
    ]
    for ours, theirs, params, run in pairs:
        credits, t_ours = timed(lambda ours=ours, params=params: attribute(
            journeys, ours, **params), repeat=3)
        res, t_theirs = timed(run)
        got = pd.Series(credits.conversions, index=list(credits.names))
        peer = res.to_pandas().set_index("channels")["attribution"]
        peer.index = peer.index.astype(str)
        diff, ch = max_rel(got, peer)
        out.append({"peer": "marketing-attribution-models", "accord_model": ours,
                    "peer_model": theirs, "accord_model_s": t_ours, "peer_model_s": t_theirs,
                    "accord_parse_s": t_parse, "peer_parse_s": t_mam_parse,
                    "ratio_peer_over_accord_model": t_theirs / t_ours,
                    "max_rel_diff": diff, "channel": ch})
        print(f"mam {theirs}: accord {t_ours:.3f}s, mam {t_theirs:.3f}s, diff {diff:.2e}",
              flush=True)
    # ChannelAttribution's three heuristics in one call (parse included on both sides)
    ca_cols = df[["path", "total_conversions", "total_conversion_value"]]
    res, t_ca = timed(lambda: quiet(lambda: ca.heuristic_models(
        ca_cols, "path", "total_conversions", var_value="total_conversion_value",
        flg_pro=False)))
    res = res.set_index("channel_name")

    def ours_all() -> list[Any]:
        j = Journeys.from_paths(ca_cols)
        return [attribute(j, m) for m in ("first_touch", "last_touch", "linear")]

    mine, t_ours = timed(ours_all, repeat=3)
    worst = 0.0
    for credits, col in zip(mine, ("first_touch_conversions", "last_touch_conversions",
                                   "linear_touch_conversions"), strict=True):
        got = pd.Series(credits.conversions, index=list(credits.names))
        worst = max(worst, max_rel(got, res[col])[0])
    out.append({"peer": "ChannelAttribution", "accord_model": "first+last+linear (with parse)",
                "peer_model": "heuristic_models", "accord_model_s": t_ours, "peer_model_s": t_ca,
                "accord_parse_s": 0.0, "peer_parse_s": 0.0,
                "ratio_peer_over_accord_model": t_ca / t_ours, "max_rel_diff": worst,
                "channel": ""})
    print(f"CA heuristics: accord {t_ours:.3f}s, CA {t_ca:.3f}s, diff {worst:.2e}", flush=True)
    return out


# ----------------------------------------------------------------------- report
def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = "unknown"
    with contextlib.suppress(OSError):
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 1024 / 1024:.0f} GiB"
    return {
        "cpu": cpu, "cores": str(os.cpu_count()), "memory": mem,
        "os": platform.platform(), "python": platform.python_version(),
        "numpy": version("numpy"), "scipy": version("scipy"), "pyarrow": version("pyarrow"),
        "ChannelAttribution": version("ChannelAttribution"),
        "marketing-attribution-models": version("marketing-attribution-models"),
        "polars": version("polars"),
        "load_avg_at_start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE,
                                 capture_output=True, text=True).stdout.strip(),
    }


def render(r: dict[str, Any]) -> str:
    """RESULTS.md from the measurements (every number below comes from results.json)."""
    m = r["machine"]
    lines = [
        "# Attribution benchmark results",
        "",
        "Generated by `bench/attribution/bench_markov.py` from `results.json`; rerun to refresh.",
        "",
        f"Command (from the repository root): `{r['command']}`",
        "",
        "| machine | |", "|---|---|",
        *(f"| {k} | {v} |" for k, v in m.items()),
        "",
        f"Data: {r['journeys']:,} journeys ({r['conversions']:,} conversions, "
        f"{r['touches']:,} touches), a bootstrap resample (seed 2026) of the oracle's "
        "100,000 journeys (31,468 distinct paths), one row per journey in "
        "ChannelAttribution's layout; every tool reads the same rows. Neither accord nor "
        "the peers merge identical paths. Synthetic days before conversion per touch "
        "(exponential gaps, mean 5 days) feed time-decay.",
        "",
        "Timings are wall-clock seconds; accord is the best of 3 runs, ChannelAttribution "
        "the best over its seeds (median beside it). The machine was shared with other "
        "work during the run (load average above, on 2 cores), which slows both sides and "
        "makes single timings noisy; compare ratios rather than absolute seconds.",
        "",
        "## Markov: accord (exact) vs ChannelAttribution `markov_model` (Monte-Carlo)",
        "",
        "accord time = parse the path strings + build and solve the chain (11 sparse LU "
        "solves). ChannelAttribution time = one `markov_model` call (it parses too), "
        "`ncore=1`. *diff* = largest per-channel |CA − accord| / accord over every "
        "seed; *CA noise* = largest per-channel spread (max − min) across CA's seeds / "
        "accord; *CA mean off* = the same for the mean of CA's runs.",
        "",
        "| order | nsim | accord s | CA s (best / median) | CA ÷ accord | diff | "
        "CA noise | CA mean off | diff ≤ noise | diff, cut-off | ≤ noise | distinct CA |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for x in r["markov"]:
        inside = "yes" if x["max_rel_diff"] <= x["ca_noise_max_rel_spread"] else "no"
        inside_cut = "yes" if x["max_rel_diff_vs_cutoff"] <= x["ca_noise_max_rel_spread"] \
            else "no"
        lines.append(
            f"| {x['order']} | {x['nsim']:.0e} | {x['accord_total_s']:.2f} "
            f"({x['accord_parse_s']:.2f} + {x['accord_model_s']:.2f}) | "
            f"{x['ca_best_s']:.2f} / {x['ca_median_s']:.2f} | "
            f"{x['ratio_ca_best_over_accord']:.1f}× | {x['max_rel_diff']:.2%} "
            f"({x['max_rel_diff_channel']}) | {x['ca_noise_max_rel_spread']:.2%} | "
            f"{x['ca_mean_vs_accord_max_rel']:.2%} | {inside} | "
            f"{x['max_rel_diff_vs_cutoff']:.2%} | {inside_cut} | "
            f"{x['distinct_ca_results']} of {len(x['seeds'])} |")
    ratios = [x["ratio_ca_best_over_accord"] for x in r["markov"]]
    bias = r["oracle_cutoff_bias"]
    lines += [
        "",
        (f"accord is faster in every setting: ChannelAttribution takes {min(ratios):.1f}× "
         f"to {max(ratios):.1f}× as long." if min(ratios) > 1 else
         f"ChannelAttribution takes {min(ratios):.1f}× to {max(ratios):.1f}× as long as "
         f"accord; accord is slower in {sum(x <= 1 for x in ratios)} setting(s)."),
        "",
        "Why the difference stops shrinking at large `nsim`: ChannelAttribution cuts "
        "simulated walks at a maximum length (the longest journey + 1 states, here "
        f"{r['markov'][0]['cutoff_steps']}), which biases its answer; accord is exact, "
        "with no cut-off. On the oracle's 100,000 journeys that cut-off alone moves a "
        "channel's credit by up to "
        + ", ".join(f"{v:.2%} (order {k})" for k, v in bias.items())
        + " (`exact_o{k}_hca` vs `exact_o{k}_hnone` in `reference_100k.csv`). So at small "
        "`nsim` accord's difference from ChannelAttribution is Monte-Carlo noise, and at "
        "1e7 it is mostly that bias, which can exceed the (then small) noise. *diff, "
        "cut-off* compares CA with accord run with the same cut-off "
        "(`markov(..., max_steps=...)`, exact up to the cut-off; "
        + ", ".join(f"{x['accord_cutoff_model_s']:.2f} s" for x in r["markov"]
                    if x["nsim"] == r["markov"][0]["nsim"])
        + " for orders " + ", ".join(str(x["order"]) for x in r["markov"]
                                     if x["nsim"] == r["markov"][0]["nsim"])
        + "): that isolates ChannelAttribution's Monte-Carlo error.",
        "",
        "Run-to-run noise: ChannelAttribution's `seed` alone does not reliably give "
        "independent runs (here seeds "
        f"{', '.join(map(str, r['markov'][0]['seeds']))} on the same rows gave "
        f"{r['ca_seed_only_distinct']} different answer(s) at order 1, nsim 1e5; in trial "
        "runs some seeds repeated each other's answer exactly). So each CA run after the "
        "first also gets the same rows in a different order, which renumbers its channels "
        "and changes its draws. *distinct CA* counts the different answers obtained.",
        "",
        "## Rule-based models: accord vs marketing-attribution-models and ChannelAttribution",
        "",
        "marketing-attribution-models (`mam`) reads the journeys in its journey layout "
        "(`format_type=\"journey\"`, hours before conversion as `\"a > b\"` strings). "
        "Model time excludes parsing on both sides; parse times are listed below. "
        "ChannelAttribution's `heuristic_models` row includes parsing on both sides.",
        "",
        "| accord model | peer model | accord s | peer s | peer ÷ accord | largest rel. diff |",
        "|---|---|---|---|---|---|",
    ]
    for h in r["heuristics"]:
        lines.append(
            f"| {h['accord_model']} | {h['peer']} `{h['peer_model']}` | "
            f"{h['accord_model_s']:.3f} | {h['peer_model_s']:.3f} | "
            f"{h['ratio_peer_over_accord_model']:.1f}× | {h['max_rel_diff']:.1e} |")
    mam_rows = [h for h in r["heuristics"] if h["peer"] == "marketing-attribution-models"]
    if mam_rows:
        lines += [
            "",
            f"Parsing: accord `Journeys.from_paths` {mam_rows[0]['accord_parse_s']:.2f} s "
            f"(paths and days), mam `MAM(...)` {mam_rows[0]['peer_parse_s']:.2f} s.",
        ]
    lines += [
        "",
        "Equal results: every rule-based model agrees with its peer to floating-point "
        "rounding (the last column).",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--journeys", type=int, default=1_000_000)
    ap.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--nsim", type=float, nargs="+", default=[1e5, 1e6, 1e7])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3])
    ap.add_argument("--ncore", type=int, default=1, help="ChannelAttribution threads")
    ap.add_argument("--seed", type=int, default=2026, help="resampling seed")
    ap.add_argument("--out", type=Path, default=HERE / "results.json")
    ap.add_argument("--render-only", action="store_true",
                    help="rewrite RESULTS.md from an existing results.json")
    args = ap.parse_args()
    if args.render_only:
        (HERE / "RESULTS.md").write_text(render(json.loads(args.out.read_text())))
        return
    facts = machine()
    df, t_make = timed(lambda: make_journeys(args.journeys, args.seed))
    print(f"{len(df)} journeys, {int(df.total_conversions.sum())} conversions "
          f"(built in {t_make:.1f}s)", flush=True)
    result = {
        "command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]),
        "machine": facts,
        "journeys": len(df), "conversions": int(df.total_conversions.sum()),
        "touches": int(df["path"].str.count(">").sum() + len(df)),
        "heuristics": bench_heuristics(df),
        "markov": bench_markov(df, args.orders, args.nsim, args.seeds, args.ncore),
        "oracle_cutoff_bias": cutoff_bias(),
        "ca_seed_only_distinct": seed_only_runs(df, args.seeds),
    }
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    (HERE / "RESULTS.md").write_text(render(result))
    print(f"wrote {args.out} and {HERE / 'RESULTS.md'}")


if __name__ == "__main__":
    main()
