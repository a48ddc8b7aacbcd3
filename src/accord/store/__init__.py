"""The fact store. `open_store(url)` picks the backend from the URL.

- a path, `duckdb:///path/file.duckdb` or `duckdb://:memory:` — DuckDB (default)
- `postgresql://user@host:port/database?schema=name` — PostgreSQL
"""

from __future__ import annotations

from pathlib import Path

from accord.errors import StoreError
from accord.facts import FACT_TABLES, FactTable
from accord.store.base import Store, WriteResult, public_url

DEFAULT_STORE = Path(".accord") / "accord.duckdb"


def open_store(url: str | Path) -> Store:
    """Open (creating if needed) the store at `url`; see the module docstring for forms."""
    text = str(url)
    if text.startswith(("postgresql://", "postgres://")):
        from accord.store.postgres_backend import PostgresStore

        return PostgresStore.open(text)
    if text.startswith("duckdb://"):
        path = text.removeprefix("duckdb://")  # duckdb:///abs/file or duckdb://rel/file
        from accord.store.duckdb_backend import DuckDBStore

        return DuckDBStore.open(path or ":memory:")
    if "://" in text:
        raise StoreError(f"unknown store URL {text!r}; use a file path, duckdb:///path or "
                         "postgresql://host/db")
    from accord.store.duckdb_backend import DuckDBStore

    return DuckDBStore.open(text)


__all__ = ["DEFAULT_STORE", "FACT_TABLES", "FactTable", "Store", "WriteResult", "open_store",
           "public_url"]
