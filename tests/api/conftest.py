"""The `served` fixture: a workspace for the API (see api_support.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from api_support import Served, seed_workspace


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    url = str(tmp_path / ".accord" / "accord.duckdb")
    yield Served(tmp_path, url, seed_workspace(tmp_path, url))
