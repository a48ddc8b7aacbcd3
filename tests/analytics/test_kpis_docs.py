"""docs/kpis.md stays true: its reference block is the registry's, its example runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accord.analytics.kpis.docs import BEGIN, END, render_kpi_reference
from accord.ingest.mapping import MappingError, load_mapping, map_sources

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


def test_the_reference_block_equals_the_registry() -> None:
    text = _doc()
    block = text[text.index(BEGIN):text.index(END) + len(END)]
    assert block == render_kpi_reference(), "regenerate with render_kpi_reference()"


def _mapping_example() -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", _doc(), flags=re.S)
    assert len(blocks) == 1
    return blocks[0]


def _sources(tmp: Path, mapping: str) -> Path:
    (tmp / "people.csv").write_text("id,origin,signed_up,owner\n"
                                    "p1,ads,2026-03-01 14:30,r9\np2,,2026-03-02 09:00,r9\n")
    (tmp / "deals.csv").write_text("deal,person,closed,value\nd1,p1,05/03/2026,1200.5\n")
    path = tmp / "map.yaml"
    path.write_text(mapping)
    return path


def test_the_mapping_example_runs(tmp_path: Path) -> None:
    tables = map_sources(load_mapping(_sources(tmp_path, _mapping_example())))
    assert tables["leads"].column("channel").to_pylist() == ["paid_search", "not_set"]
    assert tables["opportunities"].column("owner_rep_id").to_pylist() == ["r9"]


def test_the_documented_error_is_the_real_one(tmp_path: Path) -> None:
    quoted = re.search(r"\(`(map\.yaml:\d+: [^`]+)`\)", _doc())
    assert quoted is not None
    bad = _mapping_example().replace("from: deals", "from: deal")
    with pytest.raises(MappingError) as err:
        load_mapping(_sources(tmp_path, bad))
    assert str(err.value).endswith(quoted.group(1))
