"""PostgreSQL backend, for a store served to a team.

Differs from the base in three places: the schema is created if missing and set as the
search path (so test runs and teams can share a database without colliding); a batch is
staged with COPY from Arrow-written CSV into a temporary table (vectorised, no row loop in
Python); and each fact table gets a unique index on its id, so idempotent writes stay an
index lookup instead of a scan.
"""

from __future__ import annotations

import io
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
        with self.raw.transaction(), self.raw.cursor() as cur:
            yield cur

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
