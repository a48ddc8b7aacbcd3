"""Shared simulated companies: small ones for structure, 20,000 leads for planted effects."""

from __future__ import annotations

import pytest
from simulated_run import Run

from accord.sim import simulate


@pytest.fixture(scope="session")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("small")
    simulate(out, leads=2000, seed=3)
    return Run(out)


@pytest.fixture(scope="session")
def planted_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("planted")
    simulate(out, leads=20_000, seed=11)
    return Run(out)


@pytest.fixture(scope="session")
def clean_run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    out = tmp_path_factory.mktemp("clean")
    simulate(out, leads=20_000, seed=11, effects=None)
    return Run(out)
