"""Every example in docs/simulator.md runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.sim import default_effects, parse_effects, simulate

DOC = Path(__file__).resolve().parents[2] / "docs" / "simulator.md"


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", DOC.read_text("utf-8"), flags=re.S)


def test_first_yaml_example_is_the_shipped_default_set() -> None:
    assert parse_effects(_blocks("yaml")[0]).effects == default_effects().effects


@pytest.mark.parametrize("index", range(len(_blocks("yaml"))))
def test_yaml_examples_are_valid_effects_files(tmp_path: Path, index: int) -> None:
    effects = parse_effects(_blocks("yaml")[index], f"docs example {index}")
    summary = simulate(tmp_path, leads=500, seed=1, effects=effects)
    assert len(summary.effects) == len(effects.effects)


def test_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (code,) = _blocks("python")
    scope: dict[str, object] = {}
    exec(compile(code.replace("20_000", "1_000"), str(DOC), "exec"), scope)
    assert (tmp_path / "data" / "leads.parquet").exists()
