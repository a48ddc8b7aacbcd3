"""The scenario view (`engine/scenario.py`): another contract replayed over the store's facts
through `accord run`'s engine, in a private store.

- Under the active contract itself, the scenario's derived tables are the store's, row for
  row, and so are the KPIs read from them.
- The store is only read: its fact tables, derived tables and table list are the same
  before and after, while the scenario's own tables do differ under another contract.
- A PostgreSQL store replays to the same scenario as a DuckDB store with the same facts.

One simulated company (2,000 leads, seed 5), built once for the module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pytest

from accord.analytics.kpis import compute_kpis
from accord.contract.compiled import CompiledContract, compile_text, starter_contract
from accord.engine.batch import run
from accord.engine.scenario import run_scenario
from accord.facts import FACT_TABLES
from accord.ingest.fact_folder import import_fact_folder
from accord.sim import simulate
from accord.store import Store, open_store
from accord.store.as_of import resolve_as_of
from accord.workspace import starter_contract_text

#: Every table `accord run` writes.
DERIVED = ("lead_accounts", "match_reviews", "scores", "stage_history", "stages",
           "assignments", "routing_skips", "routing_pools", "sla_states", "sla_escalations")
STARTER_RULE = "fit >= 45 and"
STRICT_RULE = "fit >= 70 and"


@dataclass(frozen=True)
class Company:
    store: Store
    contract: CompiledContract
    strict: CompiledContract
    at: datetime
    folder: Path


def strict_contract() -> CompiledContract:
    text = starter_contract_text()
    assert text.count(STARTER_RULE) == 1
    return compile_text(text.replace(STARTER_RULE, STRICT_RULE).replace(
        "version: 1", "version: 2", 1))


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Company]:
    root = tmp_path_factory.mktemp("scenario")
    simulate(root / "facts", leads=2000, seed=5)
    store = open_store(root / "store.duckdb")
    import_fact_folder(store, root / "facts")
    contract = starter_contract()
    at = resolve_as_of(store).at
    run(store, contract, at)
    yield Company(store, contract, strict_contract(), at, root / "facts")
    store.close()


def rows(store: Store, name: str) -> pa.Table:
    """A derived table in a canonical row order (every column ascending, nulls last)."""
    t = store.derived(name).to_pyarrow()
    return t.sort_by([(c, "ascending") for c in t.column_names])


def snapshot(store: Store) -> dict[str, pa.Table]:
    """Every persistent table of the store (facts, derived, meta), rows in a fixed order."""
    names = [r[0] for r in store.raw.execute(  # type: ignore[attr-defined]
        "SELECT table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY 1").fetchall()]
    out = {}
    for name in names:
        t = store.con.table(name).to_pyarrow()
        out[name] = t.sort_by([(c, "ascending") for c in t.column_names])
    return out


def test_the_scenario_of_the_active_contract_is_the_derived_view(company: Company) -> None:
    with run_scenario(company.store, company.contract, company.at) as sc:
        assert sc.as_of == company.at
        for name in DERIVED:
            mine, theirs = rows(sc.store, name), rows(company.store, name)
            assert mine.schema == theirs.schema, name
            assert mine.equals(theirs), name
        assert rows(sc.store, "stage_history").num_rows > 4000  # a real company
        kpis = [compute_kpis(s, company.contract, view="derived", as_of=company.at)
                for s in (sc.store, company.store)]
        assert [r.as_dict() for r in kpis[0].rows] == [r.as_dict() for r in kpis[1].rows]
        assert any(r.value for r in kpis[0].rows)


def test_the_facts_are_copied_whole(company: Company) -> None:
    with run_scenario(company.store, company.strict, company.at) as sc:
        assert dict(sc.copied) == company.store.counts()
        for name in FACT_TABLES:
            mine = sc.store.table(name).to_pyarrow()
            theirs = company.store.table(name).to_pyarrow()
            key = FACT_TABLES[name].id_column
            assert mine.sort_by(key).equals(theirs.sort_by(key)), name


def test_a_scenario_leaves_the_store_exactly_as_it_was(company: Company) -> None:
    before = snapshot(company.store)
    assert {f"derived_{n}" for n in DERIVED} <= set(before)
    with run_scenario(company.store, company.strict, company.at) as sc:
        # the scenario did compute something else: fewer handoffs under the stricter rule
        assert not rows(sc.store, "stage_history").equals(rows(company.store, "stage_history"))
        assert rows(sc.store, "stages").num_rows == rows(company.store, "stages").num_rows
    after = snapshot(company.store)
    assert list(after) == list(before)
    for name, table in before.items():
        assert after[name].equals(table), name


@pytest.mark.postgres
def test_a_postgresql_store_replays_to_the_same_scenario(
        company: Company, store_url_factory: Callable[[str], str]) -> None:
    pg = open_store(store_url_factory("postgresql"))
    try:
        import_fact_folder(pg, company.folder)
        with run_scenario(pg, company.strict, company.at) as a, \
                run_scenario(company.store, company.strict, company.at) as b:
            for name in ("stage_history", "stages", "scores", "assignments", "sla_states"):
                assert rows(a.store, name).equals(rows(b.store, name)), name
        assert not [t for t in pg.con.list_tables() if t.startswith("derived_")]
    finally:
        pg.close()
