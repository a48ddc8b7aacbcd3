"""Stress test for the company-name rule: harder noise than the simulator, and leads from
companies that are not accounts at all.

The simulator's name noise is one swap of neighbouring letters at most, and every lead
belongs to an account, so the fuzzy step never errs there and the threshold cannot be
chosen from it. Here:

- accounts: `--accounts` names built from invented brand words (syllables, so near-twins
  like *Velnor* / *Valnor* occur as in real lists) plus a sector word and sometimes a
  region word;
- leads: `--unknown` of them come from *other* invented companies built the same way
  (the precision risk: a stranger that looks like an account); the rest are a noisy
  version of their account's name: 1–3 random letter edits, a dropped last word, swapped
  word order, `The ` in front, sector words shortened (`Technologies` → `Tech`), case,
  punctuation and legal forms.

For a grid of `min_name_score` × `min_margin`, prints precision (correct / made) and recall
(correct / leads of a known account) and writes `stress.json` beside this file (or to
`--results`).

    python bench/matching/stress.py [--accounts 20000] [--leads 20000] [--seed 5]
        [--results bench/matching/stress.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.engine import matching

HERE = Path(__file__).resolve().parent
ONSETS = ["b", "br", "c", "cl", "d", "dr", "f", "g", "gr", "h", "k", "l", "m", "n", "p",
          "pr", "q", "r", "s", "st", "t", "tr", "v", "z", "x"]
VOWELS = ["a", "e", "i", "o", "u", "ia", "ea", "y"]
CODAS = ["", "n", "r", "x", "l", "m", "s", "nd", "rt", "ck", "nt"]
SECTORS = ["Systems", "Technologies", "Software", "Analytics", "Logistics", "Health",
           "Capital", "Energy", "Foods", "Labs", "Media", "Networks", "Partners",
           "Solutions", "Industries", "Holdings", "Robotics", "Security", "Consulting",
           "Manufacturing", "International", "Group", "Digital", "Pharma"]
REGIONS = ["Europe", "America", "Asia", "Nordic", "Global", "North", "West", "Pacific"]
SHORT = {"Technologies": "Tech", "International": "Intl", "Manufacturing": "Mfg",
         "Solutions": "Sol", "Consulting": "Consult", "Industries": "Ind",
         "Systems": "Sys", "Pharma": "Pharm"}
LEGAL = [" Inc", " Inc.", ", LLC", " Ltd", " Limited", " GmbH", " AG", " SA", " BV",
         " PLC", " Corp.", " Co.", " Pty Ltd", " S.A.S."]
LETTERS = "abcdefghijklmnopqrstuvwxyz"
NO_ACCOUNT = np.array(None, dtype=object)


def brand(rng: np.random.Generator) -> str:
    parts = []
    for _ in range(int(rng.integers(2, 4))):
        parts.append(ONSETS[rng.integers(len(ONSETS))] + VOWELS[rng.integers(len(VOWELS))]
                     + CODAS[rng.integers(len(CODAS))])
    return "".join(parts).capitalize()


def company_names(n: int, rng: np.random.Generator, taken: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        words = [brand(rng), SECTORS[rng.integers(len(SECTORS))]]
        if rng.random() < 0.3:
            words.append(REGIONS[rng.integers(len(REGIONS))])
        name = " ".join(words)
        if name.lower() not in taken:
            taken.add(name.lower())
            out.append(name)
    return out


def edit(name: str, rng: np.random.Generator) -> str:
    s = list(name)
    for _ in range(int(rng.integers(1, 4))):
        i = int(rng.integers(len(s)))
        match int(rng.integers(4)):
            case 0:
                s.insert(i, LETTERS[rng.integers(26)])
            case 1 if len(s) > 4:
                del s[i]
            case 2:
                s[i] = LETTERS[rng.integers(26)]
            case _ if i + 1 < len(s):
                s[i], s[i + 1] = s[i + 1], s[i]
    return "".join(s)


def noisy(name: str, rng: np.random.Generator) -> str:
    words = name.split()
    u = rng.random(6)
    if u[0] < 0.15 and len(words) > 2:
        words = words[:-1]
    if u[1] < 0.10 and len(words) > 1:
        words = [words[1], words[0], *words[2:]]
    if u[2] < 0.25:
        words = [SHORT.get(w, w) for w in words]
    out = " ".join(words)
    if u[3] < 0.45:
        out = edit(out, rng)
    if u[4] < 0.05:
        out = "The " + out
    if u[5] < 0.35:
        out += LEGAL[rng.integers(len(LEGAL))]
    v = rng.random()
    return out.upper() if v < 0.1 else out.lower() if v < 0.3 else out


def fixture(n_accounts: int, n_leads: int, unknown: float, seed: int
            ) -> tuple[pa.Table, pa.Table, list[str | None]]:
    """Accounts (account_id, name), leads (lead_id, company) and each lead's true account
    (None for a stranger)."""
    rng = np.random.default_rng(seed)
    taken: set[str] = set()
    names = company_names(n_accounts, rng, taken)
    strangers = company_names(int(n_leads * unknown) + 1, rng, taken)
    ids = [f"A{i:06d}" for i in range(n_accounts)]
    companies: list[str] = []
    truth: list[str | None] = []
    for _ in range(n_leads):
        if rng.random() < unknown:
            companies.append(noisy(strangers[rng.integers(len(strangers))], rng))
            truth.append(None)
        else:
            k = int(rng.integers(n_accounts))
            companies.append(noisy(names[k], rng))
            truth.append(ids[k])
    accounts = pa.table({"account_id": ids, "name": names})
    leads = pa.table({"lead_id": [f"L{i:07d}" for i in range(n_leads)],
                      "company": companies})
    return accounts, leads, truth


def sweep(accounts: pa.Table, leads: pa.Table, truth: list[str | None],
          scores: tuple[float, ...], margins: tuple[float, ...]) -> list[dict[str, Any]]:
    """Precision and recall per setting; the index and the name scores are computed once
    and the acceptance rule of `matching.accept_name` is applied per setting."""
    index = matching.build_account_index(accounts)
    company = matching.normalise_company_names(leads.column("company"))
    exact = matching._positions(company, index.names)
    fuzzy_rows = np.flatnonzero(np.asarray(pc.is_valid(company)) & (exact < 0))
    wanted = company.take(pa.array(fuzzy_rows))
    queries = pc.unique(wanted)
    best, second, pos = matching.best_two_names(queries.to_pylist(), index, workers=-1)
    q = matching._positions(wanted, queries)
    key_account = np.asarray(index.name_accounts.to_pylist(), dtype=object)
    t = np.asarray(truth, dtype=object)
    known = np.array([x is not None for x in truth])
    rows = []
    for min_score in scores:
        for margin in margins:
            got = np.where(exact >= 0, key_account[np.maximum(exact, 0)], NO_ACCOUNT)
            ok = matching.accept_name(best[q], second[q],
                                      np.array([a is not None for a in key_account[pos[q]]]),
                                      min_name_score=min_score, min_margin=margin)
            got[fuzzy_rows] = np.where(ok, key_account[pos[q]], NO_ACCOUNT)
            made = np.array([g is not None for g in got])
            correct = made & (got == t)
            rows.append({"min_name_score": min_score, "min_margin": margin,
                         "matched": int(made.sum()), "correct": int(correct.sum()),
                         "strangers_matched": int((made & ~known).sum()),
                         "precision": float(correct.sum() / max(1, made.sum())),
                         "recall": float(correct.sum() / max(1, known.sum()))})
    return rows


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument("--leads", type=int, default=20_000)
    ap.add_argument("--unknown", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--results", type=Path, default=HERE / "stress.json")
    args = ap.parse_args()
    accounts, leads, truth = fixture(args.accounts, args.leads, args.unknown, args.seed)
    rows = sweep(accounts, leads, truth, (75.0, 80.0, 82.0, 85.0, 88.0, 90.0, 93.0, 96.0),
                 (0.0, 2.0, 4.0, 6.0, 8.0, 10.0))
    out = {"accounts": args.accounts, "leads": args.leads, "unknown": args.unknown,
           "seed": args.seed, "grid": rows}
    args.results.write_text(json.dumps(out, indent=2) + "\n", "utf-8")
    print("min_score margin precision recall strangers_matched")
    for r in rows:
        print(f"{r['min_name_score']:>9} {r['min_margin']:>6} {r['precision']:.4f}    "
              f"{r['recall']:.4f} {r['strangers_matched']:>6}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
