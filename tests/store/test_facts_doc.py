"""docs/facts.md is the canonical import format: it must list exactly the stored schema."""

from __future__ import annotations

import re
from pathlib import Path

from accord.facts import FACT_TABLES

DOC = Path(__file__).resolve().parents[2] / "docs" / "facts.md"


def documented() -> dict[str, list[tuple[str, str, bool]]]:
    tables: dict[str, list[tuple[str, str, bool]]] = {}
    current = None
    for line in DOC.read_text().splitlines():
        if m := re.match(r"^## `(\w+)`", line):
            current = tables.setdefault(m.group(1), [])
        elif current is not None and (m := re.match(r"^\| `(\w+)` \| (\w+) \| (yes)? \|", line)):
            current.append((m.group(1), m.group(2), m.group(3) == "yes"))
    return tables


def test_every_table_and_column_is_documented_with_its_type() -> None:
    expected = {
        t.name: [(c.name, c.type, c.required) for c in t.columns] for t in FACT_TABLES.values()
    }
    assert documented() == expected
