"""Shared fixtures: a store on every backend (DuckDB file, the local PostgreSQL server)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from accord.store import Store, open_store

PG_URL = os.environ.get("ACCORD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
RUN_ID = uuid.uuid4().hex[:10]


def _drop_schema(schema: str) -> None:
    with psycopg.connect(PG_URL.replace("postgresql://", "postgresql://", 1), autocommit=True) as c:
        c.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture(params=["duckdb", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store on each backend; PostgreSQL gets its own schema per test."""
    if request.param == "duckdb":
        st = open_store(tmp_path / "store.duckdb")
        yield st
        st.close()
        return
    schema = f"accord_test_{RUN_ID}_{uuid.uuid4().hex[:6]}"
    st = open_store(f"{PG_URL}?schema={schema}")
    try:
        yield st
    finally:
        st.close()
        _drop_schema(schema)


@pytest.fixture
def store_url_factory(tmp_path: Path) -> Iterator:
    """Make store URLs (for CLI tests) on either backend; cleans up PostgreSQL schemas."""
    made: list[str] = []

    def make(backend: str) -> str:
        if backend == "duckdb":
            return str(tmp_path / f"cli-{len(made)}.duckdb")
        schema = f"accord_test_{RUN_ID}_{uuid.uuid4().hex[:6]}"
        made.append(schema)
        return f"{PG_URL}?schema={schema}"

    yield make
    for schema in made:
        _drop_schema(schema)
