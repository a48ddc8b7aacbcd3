"""`accord demo` simulates under the workspace's own contract, so a renamed contract's
demo writes that contract's stage names."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
from test_sim_contract import CRM_NAMES, crm_contract_text
from typer.testing import CliRunner

from accord.cli import app
from accord.store import open_store


def test_demo_keeps_the_workspaces_contract_and_writes_its_names(tmp_path: Path) -> None:
    runner = CliRunner()
    (tmp_path / "accord.yaml").write_text(crm_contract_text(), encoding="utf-8")
    result = runner.invoke(app, ["demo", str(tmp_path), "--leads", "1500", "--seed", "3",
                                 "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (tmp_path / "accord.yaml").read_text(encoding="utf-8") == crm_contract_text()

    events = pq.read_table(Path(out["data"]) / "stage_events.parquet")
    written = set(pc.unique(events.column("to_stage")).to_pylist())
    assert set(CRM_NAMES.values()) <= written
    assert not written & set(CRM_NAMES)  # no starter name survives
    store = open_store(out["store"])
    try:
        stored = {r["to_stage"] for r in store.table("stage_events").to_pyarrow().to_pylist()}
    finally:
        store.close()
    assert stored == written
