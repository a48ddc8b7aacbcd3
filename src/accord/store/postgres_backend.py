"""PostgreSQL backend, for a store served to a team.

Differs from the base in four places: the schema is created if missing and set as the
search path (so test runs and teams can share a database without colliding); a batch is
staged with COPY from Arrow-written CSV into a temporary table (vectorised, no row loop in
Python); each fact table gets a unique index on its id, so idempotent writes stay an
index lookup instead of a scan; and an outage is survived:

- a connection PostgreSQL broke (the server stopped or restarted, the network cut) is
  noticed by psycopg on its next use; the store then opens a new one, in place (the same
  Ibis backend, so expressions already built keep working), on the next access to
  `con` — the next transaction or read. While the server is down that attempt fails fast
  and raises `StoreError` (the API answers `503` with `Retry-After`);
- an `OperationalError` (connection lost, server shutting down, …) inside a transaction
  leaves the transaction rolled back and is raised as `StoreError`; `unavailable(exc)` says
  the same of one raised by an Ibis read. The caller that keeps state in memory (the live
  intake) re-reads the store once it is back.
"""

from __future__ import annotations

import contextlib
import io
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import ibis
import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
from psycopg import sql as pgsql

from accord.errors import StoreError
from accord.facts import FactTable
from accord.store.base import Store


def _connect_args(url: str) -> dict[str, Any]:
    u = urlparse(url)
    query = parse_qs(u.query)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 5432,
        "user": unquote(u.username) if u.username else "postgres",
        "password": unquote(u.password) if u.password else None,
        "database": (u.path or "/").lstrip("/") or "postgres",
        "schema": query.get("schema", ["public"])[0],
    }


class PostgresStore(Store):
    backend_name = "postgresql"

    def __init__(self, con: Any, url: str) -> None:
        args = _connect_args(url)
        self._where = f"{args['host']}:{args['port']} database {args['database']!r}"
        self._reconnecting = threading.Lock()
        self.reconnects = 0  # connections opened again after one broke
        super().__init__(con, url)

    @property
    def con(self) -> Any:
        """The Ibis backend, its connection opened again first if PostgreSQL broke it
        (module docstring)."""
        backend = self._backend
        if backend.con.closed:
            self._reconnect()
        return backend

    @con.setter
    def con(self, value: Any) -> None:
        self._backend = value

    def _reconnect(self) -> None:
        with self._reconnecting:
            backend = self._backend
            if not backend.con.closed:
                return  # another thread did it
            try:
                backend.reconnect()  # Ibis: the same arguments, search path and time zone
            except psycopg.Error as exc:
                raise self._down(exc) from None
            self.reconnects += 1

    def _down(self, exc: BaseException) -> StoreError:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        return StoreError(f"the PostgreSQL store at {self._where} is unavailable "
                          f"({first}); retry later")

    def unavailable(self, exc: BaseException) -> StoreError | None:
        """`StoreError` when `exc` says PostgreSQL cannot be reached or is shutting
        down (a psycopg `OperationalError`); None for any other error."""
        if isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError):
            return self._down(exc)
        return None

    def close(self) -> None:
        with contextlib.suppress(psycopg.Error):
            self._backend.disconnect()

    @classmethod
    def open(cls, url: str) -> PostgresStore:
        args = _connect_args(url)
        try:
            with psycopg.connect(host=args["host"], port=args["port"], user=args["user"],
                                 password=args["password"], dbname=args["database"],
                                 autocommit=True, connect_timeout=10) as raw:
                raw.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(
                    pgsql.Identifier(args["schema"])))
            con = ibis.postgres.connect(**args)
        except psycopg.OperationalError as exc:
            raise StoreError(f"cannot connect to PostgreSQL at {args['host']}:{args['port']} "
                             f"database {args['database']!r}: {exc}".strip()) from exc
        return cls(con, url)

    @property
    def raw(self) -> psycopg.Connection[Any]:
        con: psycopg.Connection[Any] = self.con.con  # the psycopg connection under Ibis
        return con

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction; an outage during it is a `StoreError` (module
        docstring), the transaction rolled back."""
        raw = self.raw
        try:
            with raw.transaction(), raw.cursor() as cur:
                yield cur
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            raise self._down(exc) from exc

    def _after_create(self, fact: FactTable) -> None:
        with self.raw.transaction(), self.raw.cursor() as cur:
            cur.execute(pgsql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} ({})").format(
                pgsql.Identifier(f"{fact.name}_{fact.id_column}_key"),
                pgsql.Identifier(fact.name), pgsql.Identifier(fact.id_column)))

    def _stage(self, cur: Any, staged: str, fact: FactTable, data: pa.Table) -> None:
        cur.execute(pgsql.SQL("CREATE TEMP TABLE {} (LIKE {}) ON COMMIT DROP").format(
            pgsql.Identifier(staged), pgsql.Identifier(fact.name)))
        if data.num_rows == 0:
            return
        buf = io.BytesIO()
        pacsv.write_csv(data, buf, pacsv.WriteOptions(include_header=False))
        cols = pgsql.SQL(", ").join(pgsql.Identifier(c) for c in data.column_names)
        copy_sql = pgsql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
            pgsql.Identifier(staged), cols)
        with cur.copy(copy_sql) as copy:
            copy.write(buf.getvalue())

    def _drop_staged(self, cur: Any, staged: str) -> None:
        cur.execute(pgsql.SQL("DROP TABLE IF EXISTS {}").format(pgsql.Identifier(staged)))

    def _exec(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
        cur.execute(sql, params or None)

    def _query(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = cur.execute(sql, params or None).fetchall()
        return rows
