"""Sign-off on both stores: the live intake decides each event with the contract version
active at the event's time (seed 002: definitions both teams signed off on; issue 13,
item 5 and its "Sign-off" test).

Workspace contract: the starter (version 1; speed_to_lead 2 business hours from MQL on
the New York calendar, Mon–Fri 09:00–18:00). Proposed version 2: effective 2025-02-01,
speed_to_lead 1 business hour. Monday 2025-02-03 15:00 UTC = 10:00 in New York, so a demo
request then (MQL) is due 16:00 UTC under version 2 and 17:00 UTC under version 1.
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from service_facts import seed_service_facts

from accord.contract.compiled import starter_contract
from accord.engine.intake import EventIntake
from accord.errors import UnknownNameError, UsageError
from accord.store import Store
from accord.store.contract_versions import VersionConflictError, history, propose, sign

STARTER = resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")
V2 = (STARTER.replace("version: 1\n", "version: 2\n", 1)
      .replace("effective: 2026-01-01", "effective: 2025-02-01", 1)
      .replace("    within: 2 business_hours\n", "    within: 1 business_hours\n", 1))
NOW = datetime(2025, 3, 1)


def seed(store: Store) -> None:
    """One account (software, 200 employees, US), one active SDR and an enterprise AE."""
    seed_service_facts(store)


def lead(lead_id: str, day: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{lead_id}-c", {"kind": "lead_created", "lead_id": lead_id,
                          "at": f"{day}T14:00:00Z", "email": f"{lead_id}@soft.example",
                          "channel": "web", "title": "VP Sales", "country": "US",
                          "account_id": "A1"}),
        (f"{lead_id}-d", {"kind": "touch", "lead_id": lead_id, "signal": "demo_request",
                          "at": f"{day}T15:00:00Z"}),
    ]


def send(i: EventIntake, lead_id: str, day: str) -> list[dict[str, Any]]:
    return [dict(i.submit(eid, body, actor="crm").answer) for eid, body in lead(lead_id, day)]


def logged_versions(store: Store, lead_id: str) -> set[int]:
    t = store.service_table("decisions")
    return set(t.filter(t.lead_id == lead_id).to_pyarrow().column("contract_version")
               .to_pylist())


def test_half_signed_never_decides_then_both_signed_decides_from_effective_date(
        store: Store) -> None:
    seed(store)
    i = EventIntake(store, starter_contract(), clock=lambda: NOW)
    before = send(i, "L0", "2025-02-03")  # nothing proposed: the workspace file decides
    assert [a["contract_version"] for a in before] == [1, 1]

    propose(store, V2, proposed_by="revops", at=datetime(2025, 2, 4))
    sign(store, 2, side="marketing", signer="Dana", at=datetime(2025, 2, 4, 10))
    half = send(i, "L1", "2025-02-03")
    assert [a["contract_version"] for a in half] == [1, 1]
    assert half[1]["sla_deadlines"]["speed_to_lead"].startswith("2025-02-03T17:00")

    sign(store, 2, side="sales", signer="Sam", at=datetime(2025, 2, 5, 9))
    after = send(i, "L2", "2025-02-03")  # effective 2025-02-01: version 2 decides
    assert [a["contract_version"] for a in after] == [2, 2]
    assert after[1]["sla_deadlines"]["speed_to_lead"].startswith("2025-02-03T16:00")
    early = send(i, "L3", "2025-01-27")  # before version 2's effective date
    assert [a["contract_version"] for a in early] == [1, 1]

    # the decision log names the version that decided; history never changes
    assert logged_versions(store, "L1") == {1}
    assert logged_versions(store, "L2") == {2}
    assert logged_versions(store, "L3") == {1}
    h = history(store, at=NOW)
    assert h["active"] == 2
    assert h["versions"][0]["signatures"]["marketing"]["signer"] == "Dana"
    assert h["versions"][0]["signatures"]["sales"]["signer"] == "Sam"

    # a restarted intake decides the same way
    again = EventIntake(store, starter_contract(), clock=lambda: NOW)
    assert again.contract_at(datetime(2025, 2, 3)).version == 2
    assert again.contract_at(datetime(2025, 1, 31, 23, 59)).version == 1


def test_same_number_other_text_refused_naming_it_and_a_side_signs_once(
        store: Store) -> None:
    first = propose(store, V2, proposed_by="revops")
    assert first.stored and first.against is None
    assert not propose(store, V2, proposed_by="revops").stored  # same text: unchanged
    other = V2.replace("mql_to_sal: {target: 0.70}", "mql_to_sal: {target: 0.80}")
    with pytest.raises(VersionConflictError, match="version 2 was already proposed"):
        propose(store, other, proposed_by="revops")
    sign(store, 2, side="sales", signer="Sam")
    with pytest.raises(UsageError, match="already signed by the sales side"):
        sign(store, 2, side="sales", signer="Someone else")
    with pytest.raises(UnknownNameError, match="contract version '7'"):
        sign(store, 7, side="sales", signer="Sam")
    rows = store.service_table("contract_proposals").to_pyarrow().to_pylist()
    assert [(r["version"], r["proposed_by"]) for r in rows] == [(2, "revops")]
    assert store.service_table("contract_signatures").count().to_pyarrow().as_py() == 1


def test_cli_propose_sign_history(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from accord.cli import app

    runner = CliRunner(env={"COLUMNS": "400", "NO_COLOR": "1"})
    ws = ["--workspace", str(tmp_path)]
    assert runner.invoke(app, ["init", str(tmp_path)]).exit_code == 0
    (tmp_path / "v2.yaml").write_text(V2)
    r = runner.invoke(app, ["contract", "propose", str(tmp_path / "v2.yaml"), *ws, "--json"])
    assert r.exit_code == 0, r.output
    keys = {c["key"] for c in json.loads(r.output)["changes"]}
    assert keys == {"version", "effective", "slas.speed_to_lead.within"}
    r = runner.invoke(app, ["contract", "sign", "2", "--side", "sales", "--name", "Sam", *ws])
    assert r.exit_code == 0 and "waiting for the other side" in r.output
    r = runner.invoke(app, ["contract", "sign", "2", "--side", "sales", "--name", "Sam", *ws])
    assert r.exit_code == 2 and "already signed by the sales side" in r.output
    h = json.loads(runner.invoke(app, ["contract", "history", *ws, "--json"]).output)
    assert h["active"] is None and h["versions"][0]["signed"] is False
    r = runner.invoke(app, ["contract", "sign", "2", "--side", "marketing", "--name", "Dana",
                            *ws])
    assert r.exit_code == 0 and "it decides from 2025-02-01" in r.output
    h = json.loads(runner.invoke(app, ["contract", "history", *ws, "--json"]).output)
    assert h["active"] == 2
    (tmp_path / "v2b.yaml").write_text(V2.replace("{target: 0.70}", "{target: 0.80}"))
    r = runner.invoke(app, ["contract", "propose", str(tmp_path / "v2b.yaml"), *ws])
    assert r.exit_code == 2 and "version 2 was already proposed" in r.output
