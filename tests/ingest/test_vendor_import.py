"""accord import of HubSpot and Salesforce exports: the hand-written fixtures end to end
into a store, every figure checked against the fixtures by hand."""

from __future__ import annotations

import csv
import json
import shlex
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli import app
from accord.ingest.vendors import detect_format
from accord.store import open_store

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"
DOC = Path(__file__).resolve().parents[2] / "docs" / "import.md"


def _run(*args: str) -> Any:
    return runner.invoke(app, [str(a) for a in args])


def _workspace(root: Path) -> Path:
    result = _run("init", root)
    assert result.exit_code == 0, result.output
    return root


def _rows(ws: Path, sql: str) -> list[tuple[Any, ...]]:
    store = open_store(str(ws / ".accord" / "accord.duckdb"))
    try:
        with store.transaction() as cur:
            return [tuple(r) for r in store.query(cur, sql)]
    finally:
        store.close()


def _kpis(ws: Path) -> dict[str, float]:
    result = _run("kpis", "--json", "--period", "2026", "--kpi", "win_rate", "--kpi",
                  "pipeline_created", "--workspace", ws)
    assert result.exit_code == 0, result.output
    return {r["kpi"]: r["value"] for r in json.loads(result.stdout)["rows"]}


def _import(ws: Path, folder: Path, *extra: str) -> dict[str, Any]:
    result = _run("import", folder, "--workspace", ws, "--json", *extra)
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="module")
def hubspot_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    ws = _workspace(tmp_path_factory.mktemp("hubspot"))
    return ws, _import(ws, FIXTURES / "hubspot")


@pytest.fixture(scope="module")
def salesforce_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    ws = _workspace(tmp_path_factory.mktemp("salesforce"))
    return ws, _import(ws, FIXTURES / "salesforce")


def test_hubspot_export_imports_every_record(hubspot_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, summary = hubspot_ws
    assert summary["format"] == "hubspot" and summary["detected"] is True
    # 6 companies, 12 contacts, 8 deals; the dated lifecycle moves beyond Lead, counted by
    # hand per contact: 101 4, 102 4, 103 3, 104 3, 105 4, 106 2, 107 1, 110 3, 111 3
    assert summary["added"] == {"accounts": 6, "leads": 12, "stage_events": 27,
                                "opportunities": 8}
    again = _import(ws, FIXTURES / "hubspot")
    assert sum(again["added"].values()) == 0


def test_hubspot_lifecycle_dates_become_stage_events_at_hubspots_times(
        hubspot_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = hubspot_ws
    events = _rows(ws, "select from_stage, to_stage, occurred_at, actor from stage_events "
                       "where lead_id = '101' order by occurred_at")
    assert events == [
        (None, "MQL", datetime(2026, 2, 5, 10, 0), "hubspot"),
        ("MQL", "SQL", datetime(2026, 2, 12, 14, 30), "hubspot"),
        ("SQL", "Opportunity", datetime(2026, 3, 10, 11, 0), "hubspot"),
        ("Opportunity", "Customer", datetime(2026, 4, 20, 16, 0), "hubspot")]
    lead = _rows(ws, "select channel, account_id, email from leads where lead_id = '105'")
    assert lead == [("organic_social", "5005", "esme.tarn@quayside.example")]
    deal = _rows(ws, "select lead_id, account_id, status, closed_at, type from opportunities "
                     "where opportunity_id in ('7002', '7006', '7008') order by 1, 5")
    assert deal == [("101", "5001", "won", datetime(2026, 6, 15, 10, 0), "renewal"),
                    ("102", "5002", "won", datetime(2026, 5, 2, 12, 0), "new_business"),
                    ("110", "5002", "open", None, "new_business")]
    domain = _rows(ws, "select domain, industry from accounts where account_id = '5002'")
    assert domain == [("tidewell.example", "financial_services")]


def test_hubspot_win_rate_and_pipeline_by_hand(hubspot_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = hubspot_ws
    kpis = _kpis(ws)
    # new business: won 7001, 7002, 7005; lost 7003, 7004 (7008 is a renewal)
    assert kpis["win_rate"] == pytest.approx(3 / 5)
    assert kpis["pipeline_created"] == pytest.approx(
        12000 + 8000 + 15000 + 5000 + 20000 + 9000 + 7000)


def test_salesforce_export_imports_every_object(
        salesforce_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, summary = salesforce_ws
    assert summary["format"] == "salesforce" and summary["detected"] is True
    # 12 leads + the 2 contacts no lead was converted into; 12 moves by hand (see below)
    # 8 tasks and events, less the task about no one and the one neither call nor email
    assert summary["added"] == {"accounts": 6, "reps": 5, "campaigns": 3, "leads": 14,
                                "opportunities": 9, "activities": 6, "stage_events": 12}
    # the starter contract has no stage with role `lost`: 006A3's Closed Lost is left out
    assert [n.split(" left out")[0] for n in summary["notes"]] == [
        "2 Task records", "1 move into role 'lost'"]
    assert sum(_import(ws, FIXTURES / "salesforce")["added"].values()) == 0
    reps = _rows(ws, "select rep_id, role, active, region from reps order by rep_id")
    assert [(r[1], r[2]) for r in reps] == [("manager", True), ("ae", True), ("ae", True),
                                            ("sdr", True), ("sdr", False)]
    assert reps[0][3] == "north_america"


def test_salesforce_campaigns_and_each_leads_first_campaign(
        salesforce_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = salesforce_ws
    first = dict(_rows(ws, "select lead_id, campaign_id from leads where campaign_id is not "
                           "null"))
    # 00QA1 joined Search Ads before the webinar; 003A2 is 00QA2's contact; 00QA99 is no lead
    assert first == {"00QA00000001AAA": "701A00000002AAA", "00QA00000002AAA": "701A00000003AAA",
                     "00QA00000003AAA": "701A00000001AAA", "003A00000006AAA": "701A00000003AAA"}
    assert _rows(ws, "select channel, started_at, ended_at from campaigns where campaign_id = "
                     "'701A00000001AAA'") == [("webinar", date(2026, 2, 1), date(2026, 2, 28))]


def test_salesforce_tasks_and_events_are_the_leads_activities(
        salesforce_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = salesforce_ws
    rows = _rows(ws, "select activity_id, lead_id, rep_id, kind, occurred_at from activities "
                     "order by activity_id")
    assert rows == [
        ("salesforce:00TA00000001AAA", "00QA00000001AAA", "005A00000004AAA", "call",
         datetime(2026, 2, 1, 15, 0)),
        # a converted lead's contact is that lead
        ("salesforce:00TA00000002AAA", "00QA00000002AAA", "005A00000003AAA", "email",
         datetime(2026, 3, 2, 10, 0)),
        # no TaskSubtype kind: the Type; not completed: when it was logged
        ("salesforce:00TA00000003AAA", "00QA00000009AAA", "005A00000004AAA", "call",
         datetime(2026, 3, 16, 11, 0)),
        # a contact no lead became is a lead of its own
        ("salesforce:00TA00000004AAA", "003A00000006AAA", "005A00000002AAA", "email",
         datetime(2026, 3, 11, 9, 30)),
        ("salesforce:00UA00000001AAA", "00QA00000003AAA", "005A00000004AAA", "meeting",
         datetime(2026, 2, 8, 15, 0)),
        ("salesforce:00UA00000002AAA", "00QA00000001AAA", "005A00000002AAA", "meeting",
         datetime(2026, 3, 3, 16, 0))]


def test_salesforce_history_gives_each_leads_moves_at_their_times(
        salesforce_ws: tuple[Path, dict[str, Any]]) -> None:
    ws, _ = salesforce_ws
    events = _rows(ws, "select from_stage, to_stage, occurred_at from stage_events "
                       "where lead_id = '00QA00000001AAA' order by occurred_at")
    assert events == [
        (None, "SAL", datetime(2026, 2, 2, 14, 0)),
        ("SAL", "SQL", datetime(2026, 2, 10, 10, 55)),
        ("SQL", "Opportunity", datetime(2026, 2, 10, 11, 0)),   # Proposal: same stage
        ("Opportunity", "Customer", datetime(2026, 4, 15, 16, 20))]
    per_lead = dict(_rows(ws, "select lead_id, count(*) from stage_events group by 1"))
    assert per_lead == {"00QA00000001AAA": 4, "00QA00000003AAA": 3, "00QA00000004AAA": 2,
                        "00QA00000008AAA": 2, "00QA00000009AAA": 1}
    opp = _rows(ws, "select lead_id, status, closed_at, type from opportunities where "
                    "opportunity_id in ('006A00000001AAA', '006A00000008AAA') order by 1")
    assert opp == [("00QA00000001AAA", "won", datetime(2026, 4, 15), "new_business"),
                   (None, "won", datetime(2026, 6, 12), "expansion")]


def test_salesforce_win_rate_and_pipeline_by_hand(
        salesforce_ws: tuple[Path, dict[str, Any]]) -> None:
    kpis = _kpis(salesforce_ws[0])
    # new business (empty type too): won A1, A2, A5; lost A3, A6, A9; A8 is an expansion
    assert kpis["win_rate"] == pytest.approx(3 / 6)
    assert kpis["pipeline_created"] == pytest.approx(
        30000 + 18000 + 25000 + 40000 + 12000 + 9000 + 6000 + 4000)


def test_an_opportunity_only_salesforce_export_gives_win_rate_and_pipeline(
        tmp_path: Path) -> None:
    export = tmp_path / "sf"
    export.mkdir()
    for name in ("Account.csv", "User.csv", "Opportunity.csv"):
        shutil.copy(FIXTURES / "salesforce" / name, export / name)
    ws = _workspace(tmp_path / "ws")
    summary = _import(ws, export)
    assert summary["format"] == "salesforce"
    assert summary["added"] == {"accounts": 6, "reps": 5, "opportunities": 9}
    kpis = _kpis(ws)
    assert kpis["win_rate"] == pytest.approx(0.5)
    assert kpis["pipeline_created"] == pytest.approx(144000)


def test_detection_names_the_format(tmp_path: Path) -> None:
    assert detect_format(FIXTURES / "hubspot").format == "hubspot"
    assert detect_format(FIXTURES / "salesforce").format == "salesforce"
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "leads.csv").write_text("lead_id,email,channel,created_at\n"
                                     "L1,a@b.example,web,2026-01-01T00:00:00Z\n")
    assert detect_format(facts).format == "facts"
    assert detect_format(facts, "hubspot").detected is False
    ws = _workspace(tmp_path / "ws")
    shown = _run("import", FIXTURES / "hubspot", "--workspace", ws)
    assert shown.exit_code == 0, shown.output
    assert "format    hubspot (detected:" in shown.output
    plain = _import(ws, facts)
    assert plain["format"] == "facts" and plain["added"] == {"leads": 1}


# export labels for the fixtures' internal names, and the other way round
CONTACT_LABELS = {
    "hs_object_id": "Record ID", "firstname": "First Name", "lastname": "Last Name",
    "email": "Email", "jobtitle": "Job Title", "company": "Company Name",
    "country": "Country/Region", "lifecyclestage": "Lifecycle Stage",
    "hs_analytics_source": "Original Source", "hubspot_owner_id": "Contact owner",
    "createdate": "Create Date", "associatedcompanyid": "Associated Company IDs",
    "hs_lifecyclestage_lead_date": "Became a Lead Date",
    "hs_lifecyclestage_marketingqualifiedlead_date": "Became a Marketing Qualified Lead Date",
    "hs_lifecyclestage_salesqualifiedlead_date": "Became a Sales Qualified Lead Date",
    "hs_lifecyclestage_opportunity_date": "Became an Opportunity Date",
    "hs_lifecyclestage_customer_date": "Became a Customer Date"}
VALUE_LABELS = {"marketingqualifiedlead": "Marketing Qualified Lead",
                "salesqualifiedlead": "Sales Qualified Lead", "customer": "Customer",
                "PAID_SEARCH": "Paid Search", "SOCIAL_MEDIA": "Social Media",
                "closedwon": "Closed Won", "qualifiedtobuy": "Qualified To Buy"}
INTERNAL = {"Record ID": "hs_object_id", "Company name": "name",
            "Company Domain Name": "domain", "Industry": "industry",
            "Number of Employees": "numberofemployees", "Annual Revenue": "annualrevenue",
            "Country/Region": "country", "Company owner": "hubspot_owner_id",
            "Create Date": "createdate", "Deal Name": "dealname", "Pipeline": "pipeline",
            "Deal Stage": "dealstage", "Amount": "amount", "Close Date": "closedate",
            "Deal owner": "hubspot_owner_id", "Deal Type": "dealtype",
            "Associated Contact IDs": "associatedcontactid",
            "Associated Company IDs": "associatedcompanyid"}


def _rewrite(src: Path, dst: Path, columns: dict[str, str], values: dict[str, str]) -> None:
    with src.open(newline="") as fh:
        rows = list(csv.reader(fh))
    with dst.open("w", newline="") as fh:
        out = csv.writer(fh)
        out.writerow([columns.get(c, c) for c in rows[0]])
        out.writerows([[values.get(v, v) for v in row] for row in rows[1:]])


def test_hubspot_labels_and_internal_names_give_the_same_facts(
        tmp_path: Path, hubspot_ws: tuple[Path, dict[str, Any]]) -> None:
    swapped = tmp_path / "swapped"
    swapped.mkdir()
    _rewrite(FIXTURES / "hubspot" / "contacts.csv", swapped / "contacts.csv",
             CONTACT_LABELS, VALUE_LABELS)
    for name in ("companies.csv", "deals.csv"):
        _rewrite(FIXTURES / "hubspot" / name, swapped / name, INTERNAL, VALUE_LABELS)
    ws = _workspace(tmp_path / "ws")
    assert _import(ws, swapped)["format"] == "hubspot"
    for table, key in (("leads", "lead_id"), ("accounts", "account_id"),
                       ("opportunities", "opportunity_id"), ("stage_events", "event_id")):
        sql = f"select * from {table} order by {key}"
        assert _rows(ws, sql) == _rows(hubspot_ws[0], sql), table


def test_an_unknown_stage_value_is_refused_and_the_store_is_unchanged(
        tmp_path: Path) -> None:
    export = tmp_path / "hs"
    shutil.copytree(FIXTURES / "hubspot", export)
    deals = export / "deals.csv"
    deals.write_text(deals.read_text().replace(",qualifiedtobuy,", ",onhold,"))
    ws = _workspace(tmp_path / "ws")
    facts = tmp_path / "facts"
    facts.mkdir()
    (facts / "leads.csv").write_text("lead_id,email,channel,created_at\n"
                                     "L1,a@b.example,web,2026-01-01T00:00:00Z\n")
    _import(ws, facts)
    before = _rows(ws, "select count(*) from leads") + _rows(ws, "select count(*) from "
                                                                 "opportunities")
    refused = _run("import", export, "--workspace", ws)
    assert refused.exit_code == 4
    text = " ".join(refused.output.split())
    assert "'onhold'" in text and "deals.csv" in text and "closedwon" in text
    assert "--stage-map" in text and "Nothing was written" in text
    after = _rows(ws, "select count(*) from leads") + _rows(ws, "select count(*) from "
                                                                "opportunities")
    assert after == before == [(1,), (0,)]
    override = tmp_path / "stage-map.yaml"
    override.write_text("deal_stages:\n  onhold: opportunity\n")
    done = _import(ws, export, "--stage-map", override)
    assert done["added"]["opportunities"] == 8
    assert _rows(ws, "select status from opportunities where opportunity_id = '7007'") == [
        ("open",)]


def test_a_bad_override_names_its_line(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    override = tmp_path / "stage-map.yaml"
    override.write_text("deal_stages:\n  closedwon: won\n  onhold: paused\n")
    refused = _run("import", FIXTURES / "hubspot", "--workspace", ws, "--stage-map", override)
    assert refused.exit_code == 4
    text = " ".join(refused.output.split())
    assert "stage-map.yaml:3" in text and "'paused'" in text and "disqualified" in text


def test_a_vendor_import_without_a_contract_says_so(tmp_path: Path) -> None:
    refused = _run("import", FIXTURES / "salesforce", "--workspace", tmp_path)
    assert refused.exit_code == 6
    assert "accord.yaml" in " ".join(refused.output.split())


def test_the_worked_examples_in_docs_import_md_run(tmp_path: Path) -> None:
    blocks = [b for b in fenced_blocks(DOC, "sh") if "accord import" in b
              and ("hubspot-export" in b or "salesforce-export" in b)]
    assert len(blocks) >= 2
    shutil.copytree(FIXTURES / "hubspot", tmp_path / "hubspot-export")
    shutil.copytree(FIXTURES / "salesforce", tmp_path / "salesforce-export")
    (tmp_path / "stage-map.yaml").write_text("opportunity_stages:\n  Closed Lost: null\n")
    _workspace(tmp_path)
    for block in blocks:
        for line in block.splitlines():
            if not line.startswith("accord "):
                continue
            args = shlex.split(line)[1:]
            args = [str(tmp_path / a) if (tmp_path / a).exists() else a for a in args]
            result = _run(*args, "--workspace", tmp_path)
            assert result.exit_code == 0, (line, result.output)


def test_times_without_an_offset_are_read_in_the_given_zone(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    _import(ws, FIXTURES / "hubspot", "--timezone", "Europe/Berlin")
    # companies.csv writes "2026-01-20 10:00" (no offset): 10:00 in Berlin is 09:00 UTC;
    # contacts.csv writes "...Z", which stays as written
    assert _rows(ws, "select created_at from accounts where account_id = '5001'") == [
        (datetime(2026, 1, 20, 9, 0),)]
    assert _rows(ws, "select created_at from leads where lead_id = '101'") == [
        (datetime(2026, 2, 2, 9, 15),)]
    # a deal closed at 2026-06-10 15:30 Berlin summer time (UTC+2)
    assert _rows(ws, "select closed_at from opportunities where opportunity_id = '7005'") == [
        (datetime(2026, 6, 10, 13, 30),)]
    bad = _run("import", FIXTURES / "hubspot", "--workspace", ws, "--timezone", "Mars/Base")
    assert bad.exit_code == 2 and "Mars/Base" in bad.output
