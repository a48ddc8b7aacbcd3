"""Every Python example in docs/routing.md runs, in order, as written."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "routing.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_routing_doc_examples_run() -> None:
    assert len(BLOCKS) == 3
    namespace: dict[str, object] = {}
    for block in BLOCKS:
        exec(compile(block, str(DOC), "exec"), namespace)  # the doc's own asserts check it


def test_the_doc_shows_the_starter_contract_routing_section() -> None:
    from accord.workspace import starter_contract_text

    starter = starter_contract_text()
    doc = DOC.read_text(encoding="utf-8")
    yaml_block = re.search(r"```yaml\n(.*?)```", doc, flags=re.S)
    assert yaml_block is not None
    for line in yaml_block.group(1).splitlines():
        assert line in starter, line
