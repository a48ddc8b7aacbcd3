"""Why `NAME_SCORERS` is the higher of `ratio` and `token_sort_ratio`: speed and quality.

For each candidate (one rapidfuzz scorer, or the higher of two): CPU seconds for
`name_scores` of `--queries` noisy names against `--accounts` account names (the shape of
the batch fuzzy step, one thread), and precision / recall of the name rule with it on the
stress set of `stress.py` (a smaller one, as the token-set and partial scorers are slow)
at the default thresholds. Writes scorers.json beside this file (or to `--results`).

    python bench/matching/scorers.py [--accounts 3000] [--leads 3000] [--queries 1000]
        [--results bench/matching/scorers.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from stress import fixture, sweep

from accord.engine import matching

HERE = Path(__file__).resolve().parent
CANDIDATES: dict[str, tuple[Any, ...]] = {
    "ratio": (fuzz.ratio,),
    "token_sort_ratio": (fuzz.token_sort_ratio,),
    "token_set_ratio": (fuzz.token_set_ratio,),
    "partial_ratio": (fuzz.partial_ratio,),
    "WRatio": (fuzz.WRatio,),
    "max(ratio, token_sort_ratio)": (fuzz.ratio, fuzz.token_sort_ratio),
}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=3000)
    ap.add_argument("--leads", type=int, default=3000)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--results", type=Path, default=HERE / "scorers.json")
    args = ap.parse_args()
    accounts, leads, truth = fixture(args.accounts, args.leads, 0.3, args.seed)
    names = matching.normalise_company_names(accounts.column("name")).to_pylist()
    queries = [q for q in matching.normalise_company_names(leads.column("company")).to_pylist()
               if q is not None][: args.queries]
    rows = []
    original = matching.NAME_SCORERS
    try:
        for label, scorers in CANDIDATES.items():
            matching.NAME_SCORERS = scorers
            t0 = time.process_time()
            matching.name_scores(queries, names, workers=1)
            cpu = time.process_time() - t0
            (q,) = sweep(accounts, leads, truth, (matching.DEFAULT_MIN_NAME_SCORE,),
                         (matching.DEFAULT_MIN_MARGIN,))
            rows.append({"scorer": label, "cdist_cpu_s": cpu, "pairs": len(queries) * len(names),
                         "precision": q["precision"], "recall": q["recall"]})
            print(f"{label:>28} cdist {cpu:6.2f} s CPU  precision {q['precision']:.4f} "
                  f"recall {q['recall']:.4f}")
    finally:
        matching.NAME_SCORERS = original
    recorded = {k: v for k, v in vars(args).items() if k != "results"}
    args.results.write_text(json.dumps({"args": recorded, "rows": rows}, indent=2) + "\n",
                            "utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
