"""The fact store: one Ibis connection over the fact tables, with idempotent writes.

Facts are append-only. `write_facts` takes Arrow tables for any number of fact tables and
writes them in **one transaction**: a row whose id is already stored with identical
content is skipped; an id stored with different content aborts the whole write, naming
the table and id, and the store is left exactly as it was. What differs between
backends (transactions, bulk staging) lives in one thin module per backend.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import ibis
import pyarrow as pa

from accord.errors import ImportFactsError, NotComputedError, StoreError, UnknownNameError
from accord.facts import FACT_TABLES, IBIS_TYPES, SERVICE_TABLES, SQL_TYPES, FactTable

META_TABLE = "accord_meta"
DERIVED_PREFIX = "derived_"
STORE_FORMAT = "1"


#: The PostgreSQL advisory lock key every accord writer takes (`Store.lock_writers`).
WRITER_LOCK = 0x616363_6F7264

class DuplicateKeyError(StoreError):
    """A row whose primary key is already stored (a service table's unique constraint)."""


@dataclass(frozen=True)
class WriteResult:
    """Rows offered and rows actually added, per table."""

    offered: Mapping[str, int]
    added: Mapping[str, int]

    @property
    def total_added(self) -> int:
        return sum(self.added.values())


_SECRET = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^:@/]*):(?P<secret>[^/]*)@",
                     re.IGNORECASE)
_SECRET_PARAM = re.compile(r"(?P<key>[?&](?:password|passwd|sslpassword)=)[^&]*",
                           re.IGNORECASE)


def public_url(url: object) -> str:
    """The store URL as it may be shown or printed (`--json`, logs): a password in it
    (`postgresql://user:secret@host/db`, `?password=…`) is replaced by `***`."""
    text = _SECRET.sub(lambda m: f"{m['scheme']}{m['user']}:***@", str(url))
    return _SECRET_PARAM.sub(lambda m: f"{m['key']}***", text)


def ibis_schema(table: FactTable) -> ibis.Schema:
    return ibis.schema({c.name: IBIS_TYPES[c.type] for c in table.columns})


class Store(ABC):
    """A fact store on some backend. Open one with `accord.store.open_store(url)`."""

    backend_name: str

    def __init__(self, con: Any, url: str) -> None:
        self.con = con
        self.url = url
        self.ensure_schema()

    # -- reading ---------------------------------------------------------------------------
    def table(self, name: str) -> ibis.Table:
        """The Ibis table for fact table `name` (e.g. `leads`)."""
        if name not in FACT_TABLES and name != META_TABLE:
            raise UnknownNameError("fact table", name, FACT_TABLES)
        return self.con.table(name)

    def counts(self) -> dict[str, int]:
        """Row count per fact table, in the canonical table order."""
        return {name: int(self.con.table(name).count().execute()) for name in FACT_TABLES}

    def meta(self) -> dict[str, str]:
        t = self.con.table(META_TABLE).to_pyarrow().to_pylist()
        return {r["key"]: r["value"] for r in t}

    # -- derived tables --------------------------------------------------------------------
    def write_derived(self, name: str, data: pa.Table | ibis.Table) -> None:
        """Replace derived table `name` (scores, stages, assignments, SLA states, …).

        Derived tables are reproducible from facts + a contract version, so they are
        overwritten whole, never merged. Stored as `derived_<name>`. `data` is an Arrow
        table, or an Ibis expression over this store, computed inside the backend."""
        self.con.create_table(f"{DERIVED_PREFIX}{name}", obj=data, overwrite=True)

    def derived(self, name: str) -> ibis.Table:
        """A derived table written by `write_derived` (`NotComputedError`, a KeyError, when
        never computed)."""
        full = f"{DERIVED_PREFIX}{name}"
        if full not in self.con.list_tables():
            raise NotComputedError(f"derived table {name!r} has not been computed; run "
                                   "`accord run`")
        return self.con.table(full)

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        existing = set(self.con.list_tables())
        for name, fact in FACT_TABLES.items():
            if name not in existing:
                self.con.create_table(name, schema=ibis_schema(fact))
                self._after_create(fact)
            else:  # a store made before an optional column was added to the fact format
                have = set(self.con.get_schema(name).names)
                added = [c for c in fact.columns if c.name not in have]
                if added:
                    with self.transaction() as cur:
                        for c in added:
                            self._exec(cur, f"ALTER TABLE {name} ADD COLUMN {c.name} "
                                            f"{SQL_TYPES[c.type]}")
        if META_TABLE not in existing:
            self.con.create_table(META_TABLE, schema=ibis.schema({"key": "string",
                                                                  "value": "string"}))
            self.set_meta({"store_format": STORE_FORMAT})

    def set_meta(self, values: Mapping[str, str]) -> None:
        with self.transaction() as cur:
            for key, value in values.items():
                self._exec(cur, f"DELETE FROM {META_TABLE} WHERE key = %s", (key,))
                self._exec(cur, f"INSERT INTO {META_TABLE} VALUES (%s, %s)", (key, value))

    # -- writing ---------------------------------------------------------------------------
    def write_facts(self, batch: Mapping[str, pa.Table]) -> WriteResult:
        """Write several fact tables in one transaction; idempotent by id.

        Each Arrow table must already have the canonical schema (see `facts.py`); the
        importer makes sure of that. Exact duplicate rows inside a batch collapse to one.
        """
        with self.transaction() as cur:
            return self.write_facts_in(cur, batch)

    def write_facts_in(self, cur: Any, batch: Mapping[str, pa.Table]) -> WriteResult:
        """`write_facts` inside a transaction the caller holds (`with store.transaction()
        as cur`), so facts and other rows commit or roll back together."""
        offered = {name: t.num_rows for name, t in batch.items()}
        added: dict[str, int] = {}
        for name, data in batch.items():
            fact = FACT_TABLES[name]
            staged = f"accord_staged_{name}"
            self._stage(cur, staged, fact, data)
            self._check_batch_conflicts(cur, staged, fact)
            self._check_store_conflicts(cur, staged, fact)
            added[name] = self._insert_new(cur, staged, fact)
            self._drop_staged(cur, staged)
        return WriteResult(offered, added)

    # -- service tables (live intake, API) -------------------------------------------------
    def ensure_service_tables(self) -> None:
        """Create the service tables (`facts.SERVICE_TABLES`) if missing, each with its id
        column as PRIMARY KEY: a repeated id is refused by the store, never by a check."""
        existing = set(self.con.list_tables())
        missing = [t for name, t in SERVICE_TABLES.items() if name not in existing]
        with self.transaction() as cur:
            for t in missing:
                cols = ", ".join(
                    f"{c.name} {SQL_TYPES[c.type]}{' NOT NULL' if c.required else ''}"
                    f"{' PRIMARY KEY' if c.name == t.id_column else ''}" for c in t.columns)
                self._exec(cur, f"CREATE TABLE IF NOT EXISTS {t.name} ({cols})")
            for t in SERVICE_TABLES.values():  # a store made before a column was added
                if t.name in existing:
                    have = set(self.con.get_schema(t.name).names)
                    for c in t.columns:
                        if c.name not in have:
                            self._exec(cur, f"ALTER TABLE {t.name} ADD COLUMN {c.name} "
                                            f"{SQL_TYPES[c.type]}")
            if "received_events" in {t.name for t in missing}:
                self._exec(cur, "CREATE UNIQUE INDEX IF NOT EXISTS received_events_seq_key "
                                "ON received_events (seq)")

    @property
    def many_writers(self) -> bool:
        """Whether other processes may write this store at the same time (PostgreSQL);
        DuckDB has one writing process."""
        return self.backend_name == "postgresql"

    def lock_writers(self, cur: Any) -> None:
        """Make the caller's transaction the only writer until it ends: on PostgreSQL a
        transaction-level advisory lock that every accord writer (each server worker)
        takes; DuckDB has one writing process, so nothing to do there."""
        if self.backend_name == "postgresql":
            self._exec(cur, "SELECT pg_advisory_xact_lock(%s)", (WRITER_LOCK,))

    def append_rows(self, cur: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert many new rows into table `name` (a service or fact table) in one
        statement inside the caller's transaction, with no conflict check beyond the
        table's keys: the live intake's path, whose ids are new by construction. A key
        already stored raises `DuplicateKeyError`."""
        table = SERVICE_TABLES.get(name) or FACT_TABLES[name]
        cols = table.column_names
        try:
            if self.backend_name == "duckdb":  # one multi-row VALUES statement is fastest
                one = f"({', '.join(['?'] * len(cols))})"
                cur.execute(f"INSERT INTO {name} ({', '.join(cols)}) VALUES "
                            f"{', '.join([one] * len(rows))}",
                            [r.get(c) for r in rows for c in cols])
            else:
                cur.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES "
                                f"({', '.join(['%s'] * len(cols))})",
                                [tuple(r.get(c) for c in cols) for r in rows])
        except Exception as exc:
            if self._is_duplicate_key(exc):
                raise DuplicateKeyError(f"{name}: a {table.id_column} is already stored"
                                        ) from exc
            raise

    def service_table(self, name: str) -> ibis.Table:
        """The Ibis table for service table `name` (e.g. `decisions`)."""
        if name not in SERVICE_TABLES:
            raise UnknownNameError("service table", name, SERVICE_TABLES)
        return self.con.table(name)

    def insert_rows(self, cur: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows into service table `name` inside the caller's transaction; a
        primary key already stored raises `DuplicateKeyError` (the transaction is then
        to be rolled back)."""
        table = SERVICE_TABLES[name]
        cols = table.column_names
        sql = (f"INSERT INTO {name} ({', '.join(cols)}) "
               f"VALUES ({', '.join(['%s'] * len(cols))})")
        for row in rows:
            try:
                self._exec(cur, sql, tuple(row.get(c) for c in cols))
            except Exception as exc:
                if self._is_duplicate_key(exc):
                    raise DuplicateKeyError(
                        f"{name}: {table.id_column} {row.get(table.id_column)!r} is already "
                        "stored") from exc
                raise

    def query(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run a parameterised query (`%s` placeholders) inside the caller's transaction."""
        return self._query(cur, sql, params)

    def execute(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
        """Run a parameterised statement (`%s` placeholders) in the caller's transaction."""
        self._exec(cur, sql, params)

    def _is_duplicate_key(self, exc: Exception) -> bool:
        """Whether `exc` is the backend's unique-constraint violation."""
        name = type(exc).__name__
        return name in ("ConstraintException", "UniqueViolation") or \
            "duplicate key" in str(exc).lower()

    def _check_batch_conflicts(self, cur: Any, staged: str, fact: FactTable) -> None:
        idc = fact.id_column
        rows = self._query(cur, f"SELECT {idc} FROM (SELECT DISTINCT * FROM {staged}) d "
                                f"GROUP BY {idc} HAVING COUNT(*) > 1 ORDER BY {idc} LIMIT 5")
        if rows:
            ids = ", ".join(repr(r[0]) for r in rows)
            raise ImportFactsError(
                f"duplicate id with different content within the import: {ids}",
                file=fact.name, column=idc)

    def _check_store_conflicts(self, cur: Any, staged: str, fact: FactTable) -> None:
        idc = fact.id_column
        differs = " OR ".join(f"s.{c} IS DISTINCT FROM t.{c}" for c in fact.column_names
                              if c != idc)
        rows = self._query(cur, f"SELECT s.{idc} FROM {staged} s JOIN {fact.name} t "
                                f"ON s.{idc} = t.{idc} WHERE {differs} ORDER BY s.{idc} LIMIT 5")
        if rows:
            ids = ", ".join(repr(r[0]) for r in rows)
            raise ImportFactsError(
                f"id already stored with different content: {ids} (facts are append-only; "
                f"give a changed fact a new id)", file=fact.name, column=idc)

    def _insert_new(self, cur: Any, staged: str, fact: FactTable) -> int:
        idc = fact.id_column
        cols = ", ".join(fact.column_names)
        before = self._query(cur, f"SELECT COUNT(*) FROM {fact.name}")[0][0]
        self._exec(cur, f"INSERT INTO {fact.name} ({cols}) SELECT DISTINCT {cols} FROM {staged} s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {fact.name} t WHERE t.{idc} = s.{idc})")
        after = self._query(cur, f"SELECT COUNT(*) FROM {fact.name}")[0][0]
        return int(after - before)

    # -- backend hooks ---------------------------------------------------------------------
    @abstractmethod
    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """Yield a cursor inside one transaction; roll back on any exception."""

    @abstractmethod
    def _stage(self, cur: Any, staged: str, fact: FactTable, data: pa.Table) -> None:
        """Load `data` into a temporary table `staged` visible to the transaction."""

    @abstractmethod
    def _drop_staged(self, cur: Any, staged: str) -> None: ...

    @abstractmethod
    def _exec(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> None: ...

    @abstractmethod
    def _query(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        ...

    def _after_create(self, fact: FactTable) -> None:  # noqa: B027 - optional hook
        """Backend-specific extras for a new fact table (e.g. an id index)."""

    def unavailable(self, exc: BaseException) -> StoreError | None:
        """A `StoreError` (HTTP 503) when `exc`, raised by a read, says the store cannot be
        reached now (a PostgreSQL outage); None otherwise."""
        return None

    def close(self) -> None:
        self.con.disconnect()

    def describe(self) -> str:
        return f"{self.backend_name} {public_url(self.url)}"
