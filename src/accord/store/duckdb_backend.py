"""DuckDB backend (the embedded default): a file in the workspace, no server.

Differs from the base only in how a transaction is held (DuckDB's own connection) and how
a batch is staged (an Arrow table registered as a view, zero-copy).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import pyarrow as pa

from accord.errors import StoreError
from accord.facts import FactTable
from accord.store.base import Store

_HELD = re.compile(r"Conflicting lock is held in (?P<exe>.*?) \(PID (?P<pid>\d+)\)")


def _held_error(path: Path, message: str) -> StoreError:
    """DuckDB's lock error as accord's: which process holds the file and what to do (DuckDB
    has one writing process; while `accord serve` runs, it is that process)."""
    m = _HELD.search(message)
    if m is None:
        return StoreError(f"store {path}: DuckDB could not open it: {message}")
    pid = m["pid"]
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        shown = " ".join(Path(c.decode()).name if i == 0 else c.decode()
                         for i, c in enumerate(cmd[:3]) if c)
    except OSError:
        shown = m["exe"]
    return StoreError(
        f"store {path} is held by process {pid} ({shown}): a DuckDB store has one writing "
        "process, and while `accord serve` runs on this workspace the server is that "
        "writer. Send writes through its API (docs/api.md) or stop the server (process "
        f"{pid}), then run this command again.")


class DuckDBStore(Store):
    backend_name = "duckdb"

    @classmethod
    def open(cls, path: str | Path, *, read_only: bool = False) -> DuckDBStore:
        p = Path(path)
        if str(p) != ":memory:":
            p.parent.mkdir(parents=True, exist_ok=True)
        # DuckDB draws a progress bar on stdout for long queries, which would corrupt the
        # `--json` output of a command on a large store: off.
        try:
            con = ibis.duckdb.connect(str(p), read_only=read_only)
        except duckdb.IOException as exc:
            raise _held_error(p, str(exc)) from None
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
