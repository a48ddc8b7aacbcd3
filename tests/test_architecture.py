"""docs/architecture.md's rule table names, for each rule, the one module that owns it:
every module named must exist and define what its row says."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "architecture.md"
TABLE = DOC.read_text(encoding="utf-8").split("<!-- rule-table -->")[1].split(
    "<!-- /rule-table -->")[0]
ROWS = [tuple(c.strip() for c in line.strip().strip("|").split("|"))
        for line in TABLE.strip().splitlines()[2:]]


def test_the_table_has_rows_for_stage_roles_slas_kpis_routing_and_time() -> None:
    rules = " ".join(r[0] for r in ROWS).lower()
    for topic in ("stage roles", "sla clock", "kpi", "routing", "now", "calendar"):
        assert topic in rules, topic


@pytest.mark.parametrize("rule,module,defines", ROWS, ids=[r[0] for r in ROWS])
def test_each_module_named_defines_its_rule(rule: str, module: str, defines: str) -> None:
    mod = importlib.import_module(module.strip("`"))
    for name in re.findall(r"`([^`]+)`", defines):
        obj: object = mod
        for part in name.split("."):
            assert hasattr(obj, part), f"{module} does not define {name} ({rule})"
            obj = getattr(obj, part)
        # defined here, not merely imported: one home per rule
        home = getattr(obj, "__module__", None)
        if home is not None and callable(obj):
            assert home == mod.__name__, f"{name} is defined in {home}, not {module}"
