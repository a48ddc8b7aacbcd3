"""A contract whose stages are named as a real CRM names them gives the starter's numbers.

Two workspaces simulate the same company (same seed): one under the starter contract, one
under the starter with its stages renamed ("Marketing Qualified Lead", "Sales Accepted
Lead", "Sales Qualified Lead", "Opportunity", "Closed Won", and an added "Closed Lost").
The simulator writes each contract's own names into the facts. Every figure both teams
read — funnel, KPIs, SLAs, insights, attribution, scoring feedback, effectiveness and org
health — must be the same once the renamed output's stage names are mapped back, on
DuckDB and on PostgreSQL.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.workspace import starter_contract_text

CRM_NAMES = {"MQL": "Marketing Qualified Lead", "SAL": "Sales Accepted Lead",
             "SQL": "Sales Qualified Lead", "Customer": "Closed Won"}
LEADS, SEED = "1500", "3"
#: Keys that name where things are or how long they took, not what they say.
VOLATILE = {"seconds", "workspace", "store", "data", "path", "contract_path", "sha256",
            "contract_sha256", "out"}

COMMANDS: dict[str, list[str]] = {
    "funnel": ["funnel", "--by", "channel"],
    "kpis": ["kpis", "--by", "channel"],
    "kpis_by_rep": ["kpis", "--by", "rep"],
    "sla": ["sla"],
    "sla_breaches": ["sla", "--breaches"],
    "insights": ["insights"],
    "attribution": ["attribution", "--compare"],
    "scoring_feedback": ["scoring", "feedback", "--outcome", "won"],
    "effectiveness": ["effectiveness"],
    "org_health": ["org", "health"],
}


def crm_contract() -> str:
    """The starter with its stages renamed everywhere they are referred to, and a
    `Closed Lost` stage (role lost) after Opportunity."""
    text = starter_contract_text()
    for old, new in CRM_NAMES.items():
        text = re.sub(rf"(?m)^  {old}:$", f"  {new}:", text)
        text = re.sub(rf"(?<=[\[ ]){old}(?=[,\]\n])", new, text)
    text = text.replace("next: [Closed Won, Nurture, Disqualified]",
                        "next: [Closed Won, Closed Lost, Nurture, Disqualified]")
    text = text.replace("  Nurture:\n", "  Closed Lost:\n    owner: ae\n    role: lost\n"
                                        "    next: [Nurture, Disqualified]\n  Nurture:\n", 1)
    assert "MQL:" not in text and "Marketing Qualified Lead:" in text
    return text


def back_to_starter(text: str) -> str:
    for old, new in sorted(CRM_NAMES.items(), key=lambda kv: -len(kv[1])):
        text = text.replace(new, old)
    return text


def normalised(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: normalised(v) for k, v in data.items() if k not in VOLATILE}
    if isinstance(data, list):
        return [normalised(v) for v in data]
    return data


def same(a: Any, b: Any, path: str = "") -> list[str]:
    """Where `a` and `b` differ; floats agree to 12 significant digits (DuckDB sums floats
    in parallel, so the last digits of a sum may vary from run to run)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return [f"{path}: keys {sorted(a.keys() ^ b.keys())}"]
        return [d for k in a for d in same(a[k], b[k], f"{path}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path}: {len(a)} vs {len(b)} items"]
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True))
                for d in same(x, y, f"{path}[{i}]")]
    if isinstance(a, float) and isinstance(b, float):
        return [] if math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12) else [f"{path}: {a} {b}"]
    return [] if a == b else [f"{path}: {a!r} vs {b!r}"]


def _invoke(runner: CliRunner, args: list[str]) -> str:
    result = runner.invoke(app, args, catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


def company(root: Path, contract_text: str, store_url: str) -> dict[str, Any]:
    """Simulate, import and run one company under `contract_text`; every command's JSON."""
    runner = CliRunner()
    ws = root / "ws"
    _invoke(runner, ["init", str(ws)])
    (ws / "accord.yaml").write_text(contract_text, encoding="utf-8")
    data = root / "facts"
    _invoke(runner, ["simulate", "--out", str(data), "--leads", LEADS, "--seed", SEED,
                     "--contract", str(ws / "accord.yaml"), "--json"])
    where = ["-w", str(ws), "--store", store_url]
    _invoke(runner, ["import", str(data), *where, "--json"])
    _invoke(runner, ["run", *where, "--json"])
    return {name: json.loads(_invoke(runner, [*args, *where, "--json"]))
            for name, args in COMMANDS.items()}


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["duckdb", "postgresql"])
def test_crm_stage_names_give_the_starters_numbers(
        backend: str, tmp_path: Path, store_url_factory: Callable[[str], str]) -> None:
    def url(name: str) -> str:
        return str(tmp_path / f"{name}.duckdb") if backend == "duckdb" \
            else store_url_factory(backend)

    starter = company(tmp_path / "starter", starter_contract_text(), url("starter"))
    crm = company(tmp_path / "crm", crm_contract(), url("crm"))
    # the renamed company speaks its own names (else the comparison proves nothing)
    shown = json.dumps(crm["funnel"])
    assert all(n in shown for n in CRM_NAMES.values()), shown[:400]
    for name in COMMANDS:
        renamed = json.dumps(crm[name], sort_keys=True)
        mapped = normalised(json.loads(back_to_starter(renamed)))
        differences = same(normalised(starter[name]), mapped)
        assert not differences, f"{name}: {differences[:10]}"
