"""The four meeting packs on a simulated company, in all three formats: the PDF shows the
pack's headings and figures on its pages, the HTML parses strictly and its figures equal
`accord kpis --json --basis period` for the same period, the Markdown carries its charts
beside it; counts checked against the facts with SQL; same input, same bytes."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import html5lib
import pypdf
import pytest
from typer.testing import CliRunner

from accord.analytics.kpis import parse_period
from accord.cells import format_cell
from accord.cli import app
from accord.reports.pack import time_boxes
from accord.reports.packs import default_period, previous_period

KINDS = ("weekly", "biweekly", "monthly", "quarterly")
#: Each pack's section headings (the agenda the meeting runs through).
HEADINGS = {
    "weekly": ("MQL volume and quality", "Rejections by reason", "Speed-to-lead breaches by rep",
               "Pipeline from marketing-sourced leads", "Insights new since last week"),
    "biweekly": ("Shared KPIs against targets", "Escalations", "Decisions needed"),
    "monthly": ("Compliance per commitment and side", "Worst offenders", "Escalation log"),
    "quarterly": ("ICP fit against won and lost", "Retention and expansion",
                  "Maturity and the audit gap", "Structure signals", "Next review"),
}
#: KPI tables of each pack (table id), whose rows are `accord kpis` rows.
KPI_TABLES = {"weekly": ("mql-kpis", "speed-kpis", "pipeline-kpis"), "biweekly": (),
              "monthly": (), "quarterly": ("retention-kpis",)}


def accord(*args: str, cwd: Path) -> str:
    """Run an accord command in this process (one import of the whole program)."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, (args, result.output[-3000:])
    return result.stdout


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("packs")
    ws, facts = str(base / "ws"), str(base / "facts")
    accord("init", ws, cwd=base)
    accord("simulate", "--out", facts, "--leads", "2000", "--seed", "7", cwd=base)
    accord("import", facts, "-w", ws, cwd=base)
    accord("run", "-w", ws, cwd=base)
    return base / "ws"


@pytest.fixture(scope="module")
def packs(company: Path) -> dict[tuple[str, str], Path]:
    out: dict[tuple[str, str], Path] = {}
    for kind in KINDS:
        for fmt in ("md", "html", "pdf"):
            path = company.parent / "packs" / f"{kind}.{fmt}"
            accord("report", kind, "--out", str(path), "-w", str(company), cwd=company.parent)
            out[(kind, fmt)] = path
    return out


def pack_json(company: Path, kind: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(accord("report", kind, "--json", "-w", str(company),
                                             cwd=company.parent))
    return data


def blocks(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["id"]: b for s in data["sections"] for b in s["blocks"] if "id" in b}


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_shows_headings_and_figures_on_each_page(
        packs: dict[tuple[str, str], Path], company: Path, kind: str) -> None:
    reader = pypdf.PdfReader(io.BytesIO(packs[(kind, "pdf")].read_bytes()))
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 1
    flat = [" ".join(p.split()) for p in pages]
    for i, text in enumerate(flat, 1):
        assert f"{i} / {len(pages)}" in text  # every page numbered
        assert re.search(r"\d", text), f"page {i} carries no figure"
    everything = " ".join(flat)
    data = pack_json(company, kind)
    assert data["title"] in flat[0] and data["period"]["label"] in flat[0]
    assert f"Contract version {data['contract_version']}" in flat[0]
    assert "actual view" in flat[0] and "Data as of" in flat[0]
    for heading in HEADINGS[kind]:
        assert heading in everything, heading
    # the figures: every KPI value the pack holds appears as the pack formats it
    for table_id in KPI_TABLES[kind]:
        table = blocks(data)[table_id]
        for row in table["rows"]:
            shown = format_cell(row["value"], "share" if row["unit"] == "share" else
                                "money" if row["unit"] == "currency" else "float")
            assert f"{row['kpi']}" in everything and shown in everything, (row, shown)


@pytest.mark.parametrize("kind", KINDS)
def test_html_is_valid_and_its_figures_equal_accord_kpis(
        packs: dict[tuple[str, str], Path], company: Path, kind: str) -> None:
    page = packs[(kind, "html")].read_text()
    parser = html5lib.HTMLParser(strict=True)
    document = parser.parse(page)  # raises on any parse error
    assert document is not None
    assert "<script" not in page and "http://" not in page.replace(
        "http://www.w3.org/", "")  # standalone: no script, nothing fetched
    data = pack_json(company, kind)
    period = data["period"]["label"]
    kpis = json.loads(accord("kpis", "--json", "--basis", "period", "--period", period,
                             "-w", str(company), cwd=company.parent))
    company_rows = {r["kpi"]: r for r in kpis["rows"] if r["group"] == "all"}
    for table_id in KPI_TABLES[kind]:
        cells = re.findall(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
        assert cells, table_id
        rows = re.findall(r"<tr>(.*?)</tr>", cells[0], re.S)[1:]
        assert rows
        for row in rows:
            values = dict(re.findall(r'data-key="(\w+)" data-value="([^"]*)"', row))
            kpi = json.loads(values["kpi"].replace("&quot;", '"'))
            expected = company_rows[kpi]
            for key in ("value", "numerator", "denominator", "target"):
                got = json.loads(values[key].replace("&quot;", '"'))
                assert got == expected[key], (kpi, key, got, expected[key])
    if kind == "biweekly":  # each column of the trend is accord kpis of its period
        trend = blocks(data)["kpi-trend"]["rows"]
        before = previous_period(parse_period(period)).label
        earlier = json.loads(accord("kpis", "--json", "--basis", "period", "--period", before,
                                    "-w", str(company), cwd=company.parent))
        earlier_rows = {r["kpi"]: r for r in earlier["rows"] if r["group"] == "all"}
        for r in trend:
            assert r["value"] == company_rows[r["kpi"]]["value"]
            assert r["previous"] == earlier_rows[r["kpi"]]["value"]


def test_markdown_pack_writes_its_charts_beside_it(packs: dict[tuple[str, str], Path]) -> None:
    md = packs[("weekly", "md")]
    text = md.read_text()
    images = re.findall(r"!\[[^]]*\]\(([^)]+\.svg)\)", text)
    assert images
    for rel in images:
        svg = (md.parent / rel).read_text()
        assert svg.lstrip().startswith("<svg") and "</svg>" in svg
    for heading in HEADINGS["weekly"]:
        assert re.search(rf"^## \d\. {re.escape(heading)}", text, re.M), heading


def test_weekly_counts_match_the_facts(company: Path) -> None:
    data = pack_json(company, "weekly")
    p = parse_period(data["period"]["label"])
    db = duckdb.connect(str(company / ".accord" / "accord.duckdb"), read_only=True)
    try:
        # MQLs: leads whose first entry into the MQL stage falls in the week
        first_mql = db.execute(
            "select count(*) from (select lead_id, min(occurred_at) t from stage_events "
            "where to_stage = 'MQL' group by 1) where t >= ? and t < ?",
            [p.start, p.end]).fetchone()
        stalled = db.execute(
            "with last as (select lead_id, arg_max(to_stage, occurred_at) stage, "
            "max(occurred_at) since from stage_events where occurred_at <= ? group by 1) "
            "select stage, count(*), count(*) filter (where since < ? - interval 30 day) "
            "from last group by 1", [datetime.fromisoformat(data["as_of"]),
                                     datetime.fromisoformat(data["as_of"])]).fetchall()
    finally:
        db.close()
    assert first_mql is not None
    mql = blocks(data)["mql-kpis"]["rows"][0]
    assert mql["kpi"] == "mql_volume" and mql["numerator"] == first_mql[0]
    expected = {stage: (n, s) for stage, n, s in stalled}
    for row in blocks(data)["stalled"]["rows"]:
        assert (row["open"], row["stalled"]) == expected.get(row["stage"], (0, 0)), row


def test_packs_state_period_contract_view_and_freshness(company: Path) -> None:
    for kind in KINDS:
        data = pack_json(company, kind)
        assert data["contract_version"] == 1 and data["view"] == "actual"
        agenda = sum(item["minutes"] for item in data["agenda"])
        assert agenda == data["minutes"] - 5  # five minutes kept for actions
        boxed = [h for h in HEADINGS[kind] if h != "Next review"]  # a date, no time box
        assert [item["item"] for item in data["agenda"]] == boxed
    weekly = pack_json(company, "weekly")
    assert weekly["minutes"] == 30 and len(weekly["attendees"]) == 2


def test_same_input_same_bytes(company: Path, tmp_path: Path) -> None:
    for fmt in ("html", "pdf"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        for out in (a, b):
            accord("report", "monthly", "--period", "2025-11", "--out", str(out),
                   "-w", str(company), cwd=company.parent)
        assert a.read_bytes() == b.read_bytes()


def test_each_pack_prepared_is_noted_in_the_audit_log(company: Path) -> None:
    accord("report", "monthly", "--period", "2025-10", "-w", str(company), cwd=company.parent)
    db = duckdb.connect(str(company / ".accord" / "accord.duckdb"), read_only=True)
    try:
        rows = db.execute("select token_name, role from audit_log "
                          "where event_id = 'report:monthly:2025-10-01'").fetchall()
    finally:
        db.close()
    assert rows and rows[0][0].startswith("cli:") and rows[0][1] == "local"


def test_default_periods_from_the_as_of_time() -> None:
    at = datetime(2025, 12, 31, 23, 57)
    assert default_period("weekly", at).label == "2025-12-25..2025-12-31"
    assert default_period("biweekly", at).label == "2025-12-18..2025-12-31"
    assert default_period("monthly", at).label == "2025-12"
    assert default_period("quarterly", datetime(2025, 8, 2)).label == "2025-Q3"
    assert previous_period(parse_period("2025-Q1")).label == "2024-Q4"
    assert previous_period(parse_period("2025-03")).label == "2025-02"
    assert previous_period(parse_period("2025-12-18..2025-12-31")).label == \
        "2025-12-04..2025-12-17"


def test_time_boxes_split_whole_minutes() -> None:
    assert time_boxes(25, [3, 1, 2, 2, 1]) == [8, 3, 6, 5, 3]  # 8.33 2.78 5.56 5.56 2.78
    assert sum(time_boxes(55, [3, 1, 2])) == 55
    assert time_boxes(10, [1, 1, 1, 0]) == [4, 3, 3, 0]  # weight 0: no minute


def test_bad_requests_are_refused_clearly(company: Path) -> None:
    def refused(*args: str) -> str:
        result = CliRunner().invoke(app, ["report", *args, "-w", str(company)])
        assert result.exit_code == 2, result.output
        return " ".join(result.output.split())

    assert "weekly, biweekly, monthly, quarterly" in refused("yearly")
    assert "md, html, pdf" in refused("weekly", "--format", "docx")
    assert "PDF is not written to the terminal" in refused("weekly", "--format", "pdf",
                                                          "--out", "-")


CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
DOCS_SHOTS = REPO / "docs" / "images" / "packs"


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian chromium is not installed "
                                                  "(.ci/run installs it)")
def test_html_packs_open_offline_in_chromium(packs: dict[tuple[str, str], Path],
                                             tmp_path: Path) -> None:
    """Each HTML pack opens in a real browser with nothing fetched and no console error,
    its charts drawn; the first page is kept as a picture (docs/operations.md's pictures
    are these, written there with ACCORD_DOCS_SCREENSHOTS=1)."""
    import os

    from playwright.sync_api import sync_playwright

    docs = os.environ.get("ACCORD_DOCS_SCREENSHOTS") == "1"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--disable-background-networking", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 900, "height": 1270})
            errors: list[str] = []
            fetched: list[str] = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("request", lambda r: fetched.append(r.url))
            for kind in KINDS:
                path = packs[(kind, "html")]
                fetched.clear()
                page.goto(path.as_uri())
                assert page.locator("h1").inner_text().startswith(
                    pack_title(page.title()))
                assert page.locator("figure svg").count() >= 1, kind
                assert page.locator("table").count() >= 3, kind
                assert fetched == [path.as_uri()], fetched
                shot = tmp_path / f"{kind}.png"
                page.screenshot(path=str(shot))
                assert shot.stat().st_size > 10_000
                if docs:
                    DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
                    (DOCS_SHOTS / f"{kind}.png").write_bytes(shot.read_bytes())
            assert errors == []
        finally:
            browser.close()


def pack_title(title: str) -> str:
    return title.split(":")[0]
