"""The `served` fixtures: a workspace for the API (see api_support.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from api_support import Served, seed_workspace


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = str(tmp_path / ".accord" / "accord.duckdb")
    yield Served(tmp_path, url, seed_workspace(tmp_path, url))


@pytest.fixture(params=["duckdb", "postgresql"])
def served_on(request: pytest.FixtureRequest, tmp_path: Path,
              store_url_factory: Callable[[str], str]) -> Iterator[Served]:
    """The same workspace with its store on each backend."""
    url = store_url_factory(request.param)
    yield Served(tmp_path, url, seed_workspace(tmp_path, url))
