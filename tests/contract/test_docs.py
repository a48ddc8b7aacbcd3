"""Every example in docs/contract.md is a valid section of a real contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from accord.contract.loader import check_contract_text
from accord.workspace import starter_contract_text

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC.read_text(), flags=re.S)


def test_the_doc_has_an_example_for_every_section() -> None:
    sections = set()
    for block in BLOCKS:
        sections |= set(yaml.safe_load(block))
    from accord.contract.schema import Contract

    assert sections == set(Contract.model_fields)


@pytest.mark.parametrize("block", BLOCKS, ids=[b.split(":")[0] for b in BLOCKS])
def test_example_validates_inside_the_starter_contract(block: str) -> None:
    data = yaml.safe_load(starter_contract_text())
    data.update(yaml.safe_load(block))
    contract, issues = check_contract_text(yaml.safe_dump(data, sort_keys=False), "doc")
    assert contract is not None, [str(i) for i in issues]
