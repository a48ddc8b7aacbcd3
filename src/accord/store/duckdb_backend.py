"""DuckDB backend (the embedded default): a file in the workspace, no server.

Differs from the base only in how a transaction is held (DuckDB's own connection) and how
a batch is staged (an Arrow table registered as a view, zero-copy).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa

from accord.facts import FactTable
from accord.store.base import Store


class DuckDBStore(Store):
    backend_name = "duckdb"

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> DuckDBStore:
        p = Path(path)
        if str(p) != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB draws a progress bar on stdout for long queries, which would corrupt the
        # `--json` output of a command on a large store: off.
        con = ibis.duckdb.connect(str(p), read_only=read_only)
        con.raw_sql("SET enable_progress_bar = false")
        return cls(con, f"duckdb:///{p}" if str(p) != ":memory:" else "duckdb://:memory:")

    @property
    def raw(self) -> Any:
        return self.con.con

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        raw = self.raw
        raw.begin()
        try:
            yield raw
        except BaseException:
            raw.rollback()
            raise
        else:
            raw.commit()

    def _stage(self, cur: Any, staged: str, fact: FactTable, data: pa.Table) -> None:
        cur.register(staged, data)

    def _drop_staged(self, cur: Any, staged: str) -> None:
        cur.unregister(staged)

    def _exec(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> None:
        cur.execute(sql.replace("%s", "?"), list(params))

    def _query(self, cur: Any, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = cur.execute(sql.replace("%s", "?"), list(params)).fetchall()
        return rows
