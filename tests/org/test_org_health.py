"""Structure health from the store, on every backend, against hand-worked facts.

The window is 2026-01-01 → 2026-04-01 (90 days), measured as of 2026-04-01.

Reps (seed 000 sign 1): four active reps with a 365,000 annual quota → 365,000 × 90/365
= 90,000 for the window. Won in the window: r1 100,000, r2 95,000, r3 50,000 (its
December win is outside), r4 nothing → r3 and r4 miss: 2 of 4 = 50% > 1/3. r5 is
inactive and r6 has no quota; neither counts.

Pipeline (sign 2), stalled = last stage event before 2026-03-02 (30 days):
l1 SAL since Jan 10 (stalled), l2 SQL since Feb 5 (stalled), l3 MQL since Mar 20,
l4 SAL since Jan 15 (stalled), l6 MQL since Mar 28, l7 SAL since Mar 26; l5 is
Disqualified (not pipeline). Six open; SAL has 2 stalled → 2 of 6 = exactly a third.

Untouched (sign 3): first MQL in the window and before Mar 25 (7-day grace): l1, l2,
l3, l4, l5; touched by a sales activity: l1, l2, l5 → l3 and l4: 2 of 5 = 40%.

Stage changes in the window, hours in the stage left:
MQL→SAL: l1 6, l2 24, l4 2, l7 24 → median (6+24)/2 = 15, p90 = 24, total 56 h;
SAL→SQL: l2 72; MQL→Disqualified: l5 24.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import typer
from typer.testing import CliRunner

from accord.analytics.diagnostics import structural_diagnostic
from accord.cli import org
from accord.contract.compiled import starter_contract
from accord.errors import WorkspaceError
from accord.facts import FACT_TABLES
from accord.org.health import (
    StageOwner,
    handoff_momentum,
    stage_owners,
    structure_health,
    work_without_owner,
)
from accord.org.profile import CompanyProfile
from accord.store import Store
from accord.workspace import init_workspace

START, END = datetime(2026, 1, 1), datetime(2026, 4, 1)
D = datetime
# The starter contract's owners: MQL marketing, SAL/SQL sdr, Disqualified terminal.
STAGES = {"MQL": StageOwner(owner="marketing"), "SAL": StageOwner(owner="sdr"),
          "SQL": StageOwner(owner="sdr"), "Opportunity": StageOwner(owner="ae"),
          "Disqualified": StageOwner(owner="marketing", terminal=True)}


def table(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())


def rep(rid: str, quota: float | None = 365_000.0, active: bool = True) -> dict[str, Any]:
    return {"rep_id": rid, "name": rid.upper(), "role": "ae", "quota": quota, "active": active}


def opp(oid: str, owner: str | None, status: str, amount: float = 0.0,
        closed: datetime | None = None) -> dict[str, Any]:
    return {"opportunity_id": oid, "owner_rep_id": owner, "created_at": D(2025, 11, 1),
            "amount": amount, "status": status, "closed_at": closed}


def moves(lead: str, *steps: tuple[str, datetime]) -> list[dict[str, Any]]:
    return [{"event_id": f"{lead}-{i}", "lead_id": lead, "to_stage": stage,
             "occurred_at": at, "actor": "system"} for i, (stage, at) in enumerate(steps)]


def act(aid: str, lead: str, at: datetime) -> dict[str, Any]:
    return {"activity_id": aid, "lead_id": lead, "rep_id": "r1", "kind": "call",
            "occurred_at": at}


FACTS = {
    "reps": table("reps", [rep("r1"), rep("r2"), rep("r3"), rep("r4"),
                           rep("r5", active=False), rep("r6", quota=None)]),
    "opportunities": table("opportunities", [
        opp("o1", "r1", "won", 100_000, D(2026, 2, 1)),
        opp("o2", "r2", "won", 95_000, D(2026, 3, 1)),
        opp("o3", "r3", "won", 50_000, D(2026, 1, 20)),
        opp("o4", "r3", "won", 60_000, D(2025, 12, 15)),   # before the window
        opp("o_gone", "r5", "open"), opp("o_nobody", None, "open"), opp("o_ok", "r1", "open"),
    ]),
    "stage_events": table("stage_events", [
        *moves("l1", ("MQL", D(2026, 1, 10, 9)), ("SAL", D(2026, 1, 10, 15))),
        *moves("l2", ("MQL", D(2026, 2, 1, 9)), ("SAL", D(2026, 2, 2, 9)),
               ("SQL", D(2026, 2, 5, 9))),
        *moves("l3", ("MQL", D(2026, 3, 20, 9))),
        *moves("l4", ("MQL", D(2026, 1, 15, 9)), ("SAL", D(2026, 1, 15, 11))),
        *moves("l5", ("MQL", D(2026, 2, 10, 9)), ("Disqualified", D(2026, 2, 11, 9))),
        *moves("l6", ("MQL", D(2026, 3, 28, 9))),
        *moves("l7", ("MQL", D(2026, 3, 25, 9)), ("SAL", D(2026, 3, 26, 9))),
    ]),
    "activities": table("activities", [
        act("a1", "l1", D(2026, 1, 12)), act("a2", "l2", D(2026, 2, 3)),
        act("a3", "l5", D(2026, 2, 10, 12)), act("a4", "l2", D(2026, 3, 25)),
    ]),
    "accounts": table("accounts", [
        {"account_id": "acc1", "name": "One", "abm_target": True, "owner_rep_id": "r1"},
        {"account_id": "acc2", "name": "Two", "abm_target": True},
        {"account_id": "acc3", "name": "Three", "abm_target": True, "owner_rep_id": "r5"},
        {"account_id": "acc4", "name": "Four", "abm_target": False},
    ]),
}


@pytest.fixture
def filled(store: Store) -> Store:
    store.write_facts(FACTS)
    return store


def health(store: Store, **kw: Any) -> Any:
    """structure_health over the window, with the diagnostic measured as the edge does."""
    contract = starter_contract()
    d = structural_diagnostic(store, contract, START, END)
    return structure_health(store, contract, START, END, diagnostic=d, **kw)


def test_structural_diagnostic_counts_each_sign(filled: Store) -> None:
    d = structural_diagnostic(filled, starter_contract(), START, END)
    assert (d.reps_missing_quota.count, d.reps_missing_quota.total) == (2, 4)
    assert (d.pipeline_stalled.count, d.pipeline_stalled.total,
            d.pipeline_stalled.stage) == (2, 6, "SAL")
    assert (d.leads_untouched.count, d.leads_untouched.total) == (2, 5)
    assert [s.tripped for s in d.signs] == [True, True, True]
    assert d.structural


def test_exactly_a_third_of_reps_does_not_trip_but_a_third_of_pipeline_does(
    filled: Store,
) -> None:
    # Seed 000: *more than* a third of reps; *a third* of pipeline and leads.
    more_wins = table("opportunities", [opp("o5", "r4", "won", 90_001, D(2026, 3, 2))])
    filled.write_facts({"opportunities": more_wins})
    d = structural_diagnostic(filled, starter_contract(), START, END)
    assert (d.reps_missing_quota.count, d.reps_missing_quota.total) == (1, 4)
    assert not d.reps_missing_quota.tripped  # 1/4 < 1/3
    assert d.pipeline_stalled.tripped        # 2/6 == 1/3
    assert not d.structural


def test_handoff_momentum_per_stage_change(filled: Store) -> None:
    steps = handoff_momentum(filled, START, END, STAGES)
    assert [(s.from_stage, s.to_stage, s.handoff, s.moves, s.median_hours, s.p90_hours,
             s.total_days) for s in steps] == [
        ("SAL", "SQL", False, 1, 72.0, 72.0, 3.0),
        ("MQL", "Disqualified", False, 1, 24.0, 24.0, 1.0),
        ("MQL", "SAL", True, 4, 15.0, 24.0, 2.33),  # 56 h = 2.33 days
    ]


def test_the_contract_gives_each_stage_its_owner() -> None:
    owners = stage_owners(starter_contract())
    assert {k: owners[k] for k in STAGES} == STAGES
    assert owners["Customer"] == StageOwner(owner="ae", terminal=True)


def test_slowest_forward_handoff_uses_the_contracts_owners(filled: Store) -> None:
    # Owners from the contract: SAL -> SQL stays with sdr, so MQL -> SAL (marketing -> sdr)
    # is the slowest forward handoff; without owners every move counts (SAL -> SQL, 72 h).
    h = health(filled)
    assert h.slowest is not None
    assert (h.slowest.from_stage, h.slowest.to_stage) == ("MQL", "SAL")
    without = handoff_momentum(filled, START, END)
    assert [s.handoff for s in without] == [None, None, None]
    assert (without[0].from_stage, without[0].to_stage) == ("SAL", "SQL")


def test_work_without_an_owner(filled: Store) -> None:
    found = {u.kind: (u.count, u.examples)
             for u in work_without_owner(filled, starter_contract(), END)}
    assert found == {
        "opportunities": (2, ("o_gone", "o_nobody")),  # inactive owner, no owner
        "waiting_leads": (2, ("l1", "l4")),   # l2 had an activity on Mar 25
        "abm_accounts": (2, ("acc2", "acc3")),
    }


def test_restructuring_checklist_carries_measured_baselines(filled: Store) -> None:
    profile = CompanyProfile.model_validate({
        "employees": 120, "arr": 8e6, "products": ["a", "b"],
        "current": {"sales_model": "functional"}})
    h = health(filled, profile=profile)
    assert h.structural
    assert h.restructuring is not None
    assert h.restructuring.steps[0].detail.endswith(
        "Baseline from the store: 50% reps below prorated quota; 33.3% pipeline stalled at "
        "one stage (SAL); 40% handed-off leads never touched.")


def test_health_command_reads_the_workspace_store_and_contract(tmp_path: Path) -> None:
    ws = init_workspace(tmp_path / "ws")
    st = ws.open_store()
    st.write_facts(FACTS)
    st.close()
    app = typer.Typer()
    app.add_typer(org.app, name="org")
    r = CliRunner().invoke(app, ["org", "health", "-w", str(ws.root), "--as-of", "2026-04-01",
                                 "--days", "90", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["structural"] is True
    assert (data["as_of"], data["start"]) == ("2026-04-01T00:00:00", "2026-01-01T00:00:00")
    assert (data["slowest"]["from_stage"], data["slowest"]["to_stage"]) == ("MQL", "SAL")
    assert data["view"] == "actual" and data["view_label"].startswith("actual view")
    # Without --as-of: the one "now", the latest fact (l6's MQL on Mar 28, 09:00).
    r = CliRunner().invoke(app, ["org", "health", "-w", str(ws.root), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["as_of"] == "2026-03-28T09:00:00"
    r = CliRunner().invoke(app, ["org", "health", "-w", str(tmp_path / "none")])
    assert r.exit_code == WorkspaceError.exit_code
    assert "no store at" in r.output


def test_org_health_stands_beside_analytics_not_on_it() -> None:
    """The ladder: org and analytics are siblings, so org/health.py imports no analytics."""
    import ast

    import accord.org.health as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.startswith("accord.analytics")]
