"""A simulated folder opened for SQL checks in tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


class Run:
    """A simulated folder plus a DuckDB connection with one view per file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = duckdb.connect()
        for f in sorted(path.glob("*.parquet")):
            self.db.execute(f"create view {f.stem} as select * from read_parquet('{f}')")
        for f in sorted((path / "_truth").glob("*.parquet")):
            self.db.execute(f"create view truth_{f.stem} as select * from read_parquet('{f}')")

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        return self.db.execute(sql).fetchall()

    def one(self, sql: str) -> Any:
        row = self.db.execute(sql).fetchone()
        assert row is not None
        return row[0]
