"""`accord contract validate` / `show`: each stage's role and where it came from, each SLA's
resolved start stage and calendar, in text and `--json`. Expected values are read off the
contract text below by hand (docs/contract.md: roles from well-known names, the first
stage is `lead` when none claims it, an SLA without `start` starts at its kind's role)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from accord.cli import app

runner = CliRunner()

# A CRM-style contract: renamed stages, one explicit role, one stage without a role, SLAs
# with and without `start`, one on the owner's calendar.
CONTRACT = """\
version: 4
effective: 2026-02-01
owners: {marketing: VP Marketing, sales: VP Sales}
calendar: {timezone: Europe/Berlin, hours: "08:00-17:00", days: [mon, tue, wed, thu, fri]}
stages:
  Inbound:
    owner: marketing
    next: [Marketing Qualified Lead, Recycle]
  Marketing Qualified Lead:
    owner: marketing
    entry: "fit >= 45"
    next: [Sales Accepted Lead, Recycle]
  Sales Accepted Lead:
    owner: sales
    entry: accepted
    next: [Discovery, Recycle]
  Discovery:
    owner: sales
    next: [Sales Qualified Lead, Recycle]
  Sales Qualified Lead:
    owner: sales
    next: [Opportunity, Recycle]
  Opportunity:
    owner: sales
    next: [Closed Won, Closed Lost]
  Closed Won: {owner: sales, next: []}
  Closed Lost: {owner: sales, next: []}
  Recycle:
    owner: marketing
    role: recycled
    next: [Marketing Qualified Lead]
rejection_reasons: [bad_fit, timing]
slas:
  first_call:
    kind: first_touch
    within: 1 business_hours
    owner: sales
    calendar: owner
  cadence:
    kind: min_touches
    min_touches: 3
    within: 5 days
    owner: sales
  triage:
    kind: accept_or_reject
    start: Marketing Qualified Lead
    within: 1 business_days
    owner: sales
  volume:
    kind: volume
    per_month: 100
    owner: marketing
"""

STAGES = [
    # name, role, role_from
    ("Inbound", "lead", "first stage"),
    ("Marketing Qualified Lead", "handoff", "name"),
    ("Sales Accepted Lead", "accepted", "name"),
    ("Discovery", None, None),
    ("Sales Qualified Lead", "qualified", "name"),
    ("Opportunity", "opportunity", "name"),
    ("Closed Won", "won", "name"),
    ("Closed Lost", "lost", "name"),
    ("Recycle", "recycled", "contract"),
]
SLAS = [
    # name, start, start_role, start_from, within, calendar
    ("first_call", "Marketing Qualified Lead", "handoff", "role", "1 business_hours", "owner"),
    ("cadence", "Sales Accepted Lead", "accepted", "role", "5 days", "contract"),
    ("triage", "Marketing Qualified Lead", "handoff", "contract", "1 business_days",
     "contract"),
    ("volume", "Marketing Qualified Lead", "handoff", "role", None, "contract"),
]


def _write(tmp_path: Path) -> Path:
    path = tmp_path / "accord.yaml"
    path.write_text(CONTRACT, encoding="utf-8")
    return path


def test_validate_json_lists_roles_and_sla_clocks(tmp_path: Path) -> None:
    path = _write(tmp_path)
    r = runner.invoke(app, ["contract", "validate", str(path), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["valid"] is True and data["version"] == 4
    assert [(s["name"], s["role"], s["role_from"]) for s in data["stages"]] == STAGES
    assert [(s["name"], s["start"], s["start_role"], s["start_from"], s["within"],
             s["calendar"]) for s in data["slas"]] == SLAS
    assert data["calendar"] == "Europe/Berlin, mon,tue,wed,thu,fri 08:00-17:00, no holidays"


def test_show_json_matches_validate_and_names_owners_and_moves(tmp_path: Path) -> None:
    path = _write(tmp_path)
    shown = json.loads(runner.invoke(app, ["contract", "show", str(tmp_path), "--json"]).stdout)
    valid = json.loads(runner.invoke(app, ["contract", "validate", str(path), "--json"]).stdout)
    assert shown["stages"] == valid["stages"] and shown["slas"] == valid["slas"]
    recycle = shown["stages"][-1]
    assert recycle == {"name": "Recycle", "role": "recycled", "role_from": "contract",
                       "owner": "marketing", "next": ["Marketing Qualified Lead"]}
    first_call = shown["slas"][0]
    assert first_call["owner"] == "sales"
    assert "owning rep's time zone" in first_call["calendar_detail"]
    assert shown["slas"][1]["calendar_detail"] == shown["calendar"]
    assert shown["routing_stage"] is None


def test_validate_text_says_which_roles_came_from_names(tmp_path: Path) -> None:
    path = _write(tmp_path)
    r = runner.invoke(app, ["contract", "validate", str(path)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    assert "Inbound (lead, first stage)" in r.output
    assert "Marketing Qualified Lead (handoff, from the name)" in r.output
    assert "Discovery (no role)" in r.output
    assert "Recycle (recycled)" in r.output
    assert "SLA first_call: starts at Marketing Qualified Lead (by role), owner calendar" \
        in r.output
    assert "SLA triage: starts at Marketing Qualified Lead, contract calendar" in r.output


def test_show_table_has_every_stage_and_sla(tmp_path: Path) -> None:
    _write(tmp_path)
    r = runner.invoke(app, ["contract", "show", str(tmp_path)], env={"COLUMNS": "300"})
    assert r.exit_code == 0, r.output
    for name, role, _ in STAGES:
        assert name in r.output and (role is None or role in r.output)
    for name, *_ in SLAS:
        assert name in r.output
    assert "routing: leads are routed when created" in r.output


def test_invalid_contract_exits_3_for_validate_and_show(tmp_path: Path) -> None:
    path = tmp_path / "accord.yaml"
    path.write_text(CONTRACT.replace("kind: min_touches\n", "kind: min_touches\n    start: "
                                     "Nowhere\n"), encoding="utf-8")
    v = runner.invoke(app, ["contract", "validate", str(path), "--json"])
    assert v.exit_code == 3
    data = json.loads(v.stdout)
    assert data["valid"] is False and "stages" not in data
    assert any("Nowhere" in i["message"] for i in data["issues"])
    s = runner.invoke(app, ["contract", "show", str(path)])
    assert s.exit_code == 3
    assert "Nowhere" in s.output and "Traceback" not in s.output


def test_missing_contract_exits_6(tmp_path: Path) -> None:
    for command in ("validate", "show"):
        r = runner.invoke(app, ["contract", command, str(tmp_path / "none.yaml")])
        assert r.exit_code == 6, (command, r.output)
        assert "no contract at" in r.output
