"""The scenario view: what another contract would have said about the same facts (what-if).

DESIGN principle 2 names three views of the same leads: *actual* (the facts), *derived*
(the active contract, recomputed by `accord run`) and *scenario* (another contract,
recomputed the same way). A scenario is not a second implementation: `run_scenario`
calls `engine/batch.run` — matching, scores, the lifecycle replay, routing and the SLA
clocks, in that order, with the scenario contract's own thresholds — over the store's
facts, as of the moment asked. Everything that reads a derived view (`accord kpis`,
`accord sla`, the funnel) then reads the scenario's tables with the same functions, in
their `derived` view, because in the scenario store those tables *are* the scenario's.

**Isolation.** The engine writes its tables under fixed names (`derived_<name>`,
`store.write_derived`) and every reader finds them by those names, so a scenario cannot
share the store's namespace without overwriting the derived view, and a second prefix or
schema would mean teaching every reader about it (and, on DuckDB, writing into a file
that `accord serve` may hold). Instead the scenario runs in its own store: a private
in-memory DuckDB database that holds a copy of the fact tables (`copy_facts`: one Arrow
read per table from the source store, on any backend, and one bulk insert; no Python
loop over rows). The engine's derived tables and its temporary tables live only there,
and the database is discarded when the `with` block ends. The source store is only read:
its fact and derived tables are exactly as they were before (the tests compare them row
by row), and a PostgreSQL store is replayed the same way. Cost: the facts once more in
memory (DuckDB spills to disk beyond its memory limit); a 3,000-lead company copies in a
fraction of a second.

Only the fact tables are copied: the service tables of the live intake (received events,
the decision log, the outbox) are not read by `accord run`, so they play no part in a
scenario either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Final

import pyarrow as pa

from accord.contract.compiled import CompiledContract
from accord.contract.instants import naive_utc
from accord.engine.batch import RunSummary, StepSummary, run
from accord.facts import FACT_TABLES
from accord.store.base import Store
from accord.store.duckdb_backend import DuckDBStore

__all__ = ["SCENARIO_LABEL", "SCENARIO_VIEW", "Scenario", "copy_facts", "run_scenario"]

#: The name of the view a scenario's figures are read in, as reports show it.
SCENARIO_VIEW: Final = "scenario"
SCENARIO_LABEL: Final = ("scenario view: stages as the engine recomputes them under another "
                         "contract, from the same facts")


@dataclass(frozen=True)
class Scenario:
    """One contract replayed over a store's facts: the private `store` holding the facts'
    copy and the engine's derived tables for `contract`, what the run computed
    (`summary`), and the rows copied per fact table. Valid inside `run_scenario`'s `with`
    block only (the store is closed when it ends)."""

    contract: CompiledContract
    store: Store
    summary: RunSummary
    copied: Mapping[str, int]

    @property
    def as_of(self) -> datetime:
        return self.summary.as_of


def copy_facts(source: Store, target: DuckDBStore) -> dict[str, int]:
    """Copy every fact table of `source` (any backend) into the empty store `target`, in
    the canonical column order and types (`facts.py`): one Arrow read and one bulk insert
    per table. Returns the rows copied per table."""
    copied: dict[str, int] = {}
    raw = target.raw
    for name, fact in FACT_TABLES.items():
        table = source.table(name)
        # a store made before a column was added lacks it: the copy leaves it empty too
        cols = [f for f in fact.arrow_schema() if f.name in table.columns]
        schema = pa.schema([pa.field(f.name, f.type) for f in cols])
        data = table.select(*schema.names).to_pyarrow().cast(schema)
        staged = f"accord_scenario_{name}"
        raw.register(staged, data)
        try:
            raw.execute(f"INSERT INTO {name} ({', '.join(schema.names)}) "
                        f"SELECT {', '.join(schema.names)} FROM {staged}")
        finally:
            raw.unregister(staged)
        copied[name] = data.num_rows
    return copied


@contextmanager
def run_scenario(store: Store, contract: CompiledContract, as_of: datetime, *,
                 progress: Callable[[StepSummary], None] | None = None
                 ) -> Iterator[Scenario]:
    """`contract` replayed over `store`'s facts as of `as_of`, through `accord run`'s
    engine (every step), in a private in-memory store (see the module docstring). The
    source store is only read. Inside the `with` block, `scenario.store` answers every
    derived-view question (`stage_moves(…, "derived")`, `compute_kpis(…,
    view="derived")`, `compute_sla_clocks(…, view="derived")`) for the scenario."""
    at = naive_utc(as_of)
    scratch = DuckDBStore.open(":memory:")
    try:
        copied = copy_facts(store, scratch)
        summary = run(scratch, contract, at, progress=progress)
        yield Scenario(contract, scratch, summary, MappingProxyType(copied))
    finally:
        scratch.close()
