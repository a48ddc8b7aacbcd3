"""Where a group-committed batch spends its time, without HTTP: the live intake alone.

Builds a workspace as `run.py` does (`accord init`, `accord simulate`, `accord import`),
opens its store, and feeds `EventIntake.submit_many` batches of `--batch` events (the
same five-event leads as the HTTP stream, `--batch` leads side by side, as that many
clients would send them). Each store call is timed by wrapping it in this process:
`Store.append_rows` per table, the commit, and the rest of the batch (deciding).

    python bench/api/intake_micro.py [--store duckdb|postgresql] [--batch 8] [--leads 400]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import PG_BASE, accord, drop_schema, lead_events


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--store", default="duckdb", choices=("duckdb", "postgresql"))
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--leads", type=int, default=400)
    args = ap.parse_args()

    import pyarrow.parquet as pq

    from accord.api.webhooks import outbox_rows
    from accord.engine.intake import EventIntake, Submission
    from accord.store.base import Store
    from accord.workspace import Workspace

    work = Path(tempfile.mkdtemp(prefix="accord-intake-micro-"))
    schema = f"accord_bench_{secrets.token_hex(4)}" if args.store == "postgresql" else None
    url = f"{PG_BASE}?schema={schema}" if schema else None
    ws = work / "ws"
    try:
        accord("init", str(ws), cwd=work, store=None)
        accord("simulate", "--out", str(work / "facts"), "--leads", "500", "--seed", "7",
               cwd=work, store=None)
        accord("import", str(work / "facts"), "-w", str(ws), cwd=work, store=url)
        accounts = pq.read_table(work / "facts" / "accounts.parquet").column(
            "account_id").to_pylist()
        spent: dict[str, float] = defaultdict(float)
        original = Store.append_rows

        def timed_append(self: Store, cur: Any, name: str, rows: Any) -> None:
            t0 = time.perf_counter()
            try:
                original(self, cur, name, rows)
            finally:
                spent[f"append {name}"] += time.perf_counter() - t0

        Store.append_rows = timed_append  # type: ignore[method-assign]
        with Workspace(ws, url).session() as session:
            store = session.store
            plain = store.transaction

            @contextmanager
            def timed_tx() -> Iterator[Any]:
                with plain() as cur:
                    yield cur
                    t_end[0] = time.perf_counter()
                spent["commit"] += time.perf_counter() - t_end[0]

            t_end = [0.0]
            store.transaction = timed_tx  # type: ignore[method-assign]
            intake = EventIntake(store, session.contract, notify=outbox_rows)
            prefix = f"m{secrets.token_hex(3)}"
            per_batch: list[float] = []
            sizes = 0
            t_all = time.perf_counter()
            for first in range(0, args.leads, args.batch):
                leads = [lead_events(prefix, n, accounts[n % len(accounts)])
                         for n in range(first, min(args.leads, first + args.batch))]
                owners: dict[int, str] = {}
                for step in range(5):
                    batch = []
                    for i, evs in enumerate(leads):
                        ev = dict(evs[step])
                        if ev["kind"] == "activity":
                            ev["rep_id"] = owners.get(i, "R001")
                        event_id = ev.pop("id")
                        batch.append(Submission(event_id, ev, "bench", "admin"))
                    t0 = time.perf_counter()
                    results = intake.submit_many(batch)
                    per_batch.append(time.perf_counter() - t0)
                    sizes += len(batch)
                    for i, r in enumerate(results):
                        if isinstance(r, Exception):
                            raise SystemExit(f"refused: {r}")
                        if step == 2 and r.answer.get("owner"):
                            owners[i] = r.answer["owner"]
            wall = time.perf_counter() - t_all
        total = sum(per_batch)
        print(f"{args.store}: {sizes} events in {len(per_batch)} batches of {args.batch}: "
              f"{sizes / wall:.0f} events/s, batch p50 "
              f"{1000 * statistics.median(per_batch):.2f} ms, "
              f"{1000 * total / sizes:.3f} ms per event")
        stored = sum(spent.values())
        for k, v in sorted(spent.items(), key=lambda kv: -kv[1]):
            print(f"  {k:28s} {1000 * v / len(per_batch):7.3f} ms/batch  {100 * v / total:5.1f} %")
        print(f"  {'rest (deciding, reads)':28s} {1000 * (total - stored) / len(per_batch):7.3f}"
              f" ms/batch  {100 * (total - stored) / total:5.1f} %")
    finally:
        if schema:
            drop_schema(schema)


if __name__ == "__main__":
    main()
