"""The agreement document (`accord contract render`, reports/agreement.py): every term of the
contract is in it, each SLA reads as one hand-checked sentence under the contract's own
names, one changed term changes exactly its line, and md/html/pdf are byte-stable."""

from __future__ import annotations

import io
import re
import shlex
from importlib import resources
from pathlib import Path

import pypdf
import pytest
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli import app
from accord.contract.compiled import CompiledContract, compile_text
from accord.contract.criteria import parse_criteria
from accord.reports.agreement import agreement_markdown, criteria_words, render_agreement

STARTER_TEXT = resources.files("accord.contract").joinpath("starter.yaml").read_text("utf-8")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"

# The starter's SLAs as the document must state them, written out by hand from
# src/accord/contract/starter.yaml (owners: sales → VP Sales, marketing → VP Marketing;
# calendar America/New_York 09:00-18:00 mon-fri, US holidays).
CAL = "09:00–18:00 America/New_York time, Monday to Friday, excluding US holidays"
STARTER_SLAS = {
    "speed_to_lead": (
        "- **`speed_to_lead`** (first touch): Sales (VP Sales) makes first contact with every "
        f"MQL within 2 business hours, counted {CAL}; a warning goes out 30 business "
        "minutes before it is due; escalated to the rep after 2 business hours, to the "
        "rep's manager after 4 business hours, and reassigned after 8 business hours."),
    "follow_up": (
        "- **`follow_up`** (min touches): Sales (VP Sales) makes at least 5 touches on every "
        "SAL within 10 days, calendar time."),
    "accept_or_reject": (
        "- **`accept_or_reject`** (accept or reject): Sales (VP Sales) accepts every MQL "
        "(moving it to SAL) or rejects it with a rejection reason (moving it to Nurture or "
        f"Disqualified) within 2 business days, counted {CAL}."),
    "mql_volume": (
        "- **`mql_volume`** (volume): Marketing (VP Marketing) brings at least 400 leads a "
        "month to MQL (first entries, months in America/New_York time); at least 70% of "
        "those decided are accepted (moved to SAL)."),
}
HEADINGS = ("Owners", "Business calendar", "Lifecycle stages", "Signals",
            "Ideal customer profiles", "Rejection reasons", "Service levels", "Shared KPIs",
            "Routing", "Attribution", "Operating cadence", "Sign-off")


@pytest.fixture(scope="module")
def starter() -> CompiledContract:
    return compile_text(STARTER_TEXT, "starter.yaml")


@pytest.fixture(scope="module")
def doc(starter: CompiledContract) -> str:
    return agreement_markdown(starter)


def _row(doc: str, first_cell: str) -> str:
    """The one table row whose first cell is `first_cell`."""
    rows = [line for line in doc.splitlines() if line.startswith(f"| {first_cell} |")]
    assert len(rows) == 1, (first_cell, rows)
    return rows[0]


def test_title_states_version_and_effective_date(doc: str) -> None:
    assert doc.splitlines()[0] == "# Marketing–sales agreement, version 1"
    assert doc.splitlines()[2].startswith("Effective 2026-01-01.")
    assert [line[3:] for line in doc.splitlines() if line.startswith("## ")] == list(HEADINGS)


def test_every_term_of_the_contract_is_in_the_glossary(starter: CompiledContract,
                                                        doc: str) -> None:
    src = starter.source
    for name, stage in src.stages.items():  # owner's title and next stages on its row
        row = _row(doc, name)
        assert f"{src.owners[stage.owner]} ({stage.owner})" in row
        for nxt in stage.next:
            assert nxt in row.split("|")[5], (name, nxt)
        if not stage.next:
            assert "nowhere: it is final" in row
    for name, signal in src.signals.items():
        cells = [c.strip() for c in _row(doc, f"`{name}`").split("|")[1:-1]]
        assert cells[2] == str(signal.points)
        assert cells[3] == (f"{signal.half_life_days:g} days" if signal.half_life_days
                            else "no decay")
    for icp in src.icps.values():
        for field, criterion in icp.criteria.items():
            assert _row(doc, f"`{field}`").endswith(f"| {criterion.points} |")
        for tier, minimum in icp.tiers.items():
            assert f"tier {tier} from {minimum:g} points" in doc
    for reason in src.rejection_reasons:
        _row(doc, f"`{reason}`")
    for kpi in src.kpis:
        _row(doc, f"`{kpi}`")
    for name in src.slas:
        assert sum(line.startswith(f"- **`{name}`**") for line in doc.splitlines()) == 1
    for name in src.cadences:
        assert f"(`{name}`)" in doc
    for rule in src.routing.rules:
        assert f"`{rule.name}`:" in doc
    assert f"the queue `{src.routing.fallback_queue}`" in doc
    sign_off = doc.split("## Sign-off")[1]
    for key, title in src.owners.items():
        assert f"**{title}** ({key}), version 1, effective 2026-01-01" in sign_off


def test_kpi_targets_are_stated_in_their_units(doc: str) -> None:
    # starter: mql_to_sal 0.70 (a share, floor), speed_to_lead_median_minutes 120
    # (business minutes, ceiling), win_rate 0.25 (share, floor)
    assert _row(doc, "`mql_to_sal`").endswith("| at least 70% |")
    assert _row(doc, "`speed_to_lead_median_minutes`").endswith(
        "| at most 120 business minutes |")
    assert _row(doc, "`win_rate`").endswith("| at least 25% |")
    assert "seed" not in doc.lower()


def test_each_sla_is_one_hand_checked_sentence(doc: str) -> None:
    for expected in STARTER_SLAS.values():
        assert expected in doc.splitlines()


def test_the_handoff_entry_criteria_read_in_words(doc: str) -> None:
    assert ("| the fit score is at least 45 and (the engagement score is at least 40 or the "
            "lead showed the `demo_request` signal or the lead showed the `contact_sales` "
            "signal) |") in _row(doc, "MQL")


@pytest.mark.parametrize("text,words", [
    ("account.employees >= 1000", "the account's employees is at least 1,000"),
    ("1000 <= account.employees", "the account's employees is at least 1,000"),
    ("account.owner_rep_id != ''", "the account's owner rep id is not empty"),
    ("not rejected and channel in ['webinar', 'event']",
     "not (sales rejected the lead) and the lead's channel is webinar or event"),
    ("(fit > 10 or tier == 'A') and signal_count('pricing_page') >= 3",
     "(the fit score is more than 10 or the ICP tier is A) and the number of "
     "`pricing_page` signals is at least 3"),
])
def test_criteria_in_words(text: str, words: str) -> None:
    assert criteria_words(parse_criteria(text)) == words


def _changed_lines(before: str, after: str) -> list[tuple[str, str]]:
    a, b = before.splitlines(), after.splitlines()
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b, strict=True) if x != y]


def test_changing_one_sla_term_changes_exactly_its_sentence(doc: str) -> None:
    assert STARTER_TEXT.count("within: 2 business_hours") == 1
    changed = compile_text(STARTER_TEXT.replace("within: 2 business_hours",
                                                "within: 4 business_hours"))
    diff = _changed_lines(doc, agreement_markdown(changed))
    old = STARTER_SLAS["speed_to_lead"]
    assert diff == [(old, old.replace("within 2 business hours", "within 4 business hours"))]


def test_changing_the_time_zone_changes_the_calendar_and_business_time_lines(
        doc: str) -> None:
    changed = compile_text(STARTER_TEXT.replace("timezone: America/New_York",
                                                "timezone: Europe/Berlin"))
    diff = _changed_lines(doc, agreement_markdown(changed))
    # the calendar line and the three SLAs that read the calendar; follow_up counts
    # calendar time and stays as it was
    names = ["calendar", "speed_to_lead", "accept_or_reject", "mql_volume"]
    assert len(diff) == len(names)
    assert diff[0][0].startswith("Service-level clocks in business time run")
    for (old, new), name in zip(diff[1:], names[1:], strict=True):
        assert old == STARTER_SLAS[name]
        assert new == old.replace("America/New_York", "Europe/Berlin")


RENAMED = """
version: 3
effective: 2026-04-01
owners: {marketing: Chief Marketing Officer, sales: Chief Revenue Officer}
calendar: {timezone: Europe/London, hours: "08:30-17:30", days: [mon, tue, wed, thu],
           holidays: GB}
stages:
  Inquiry: {owner: marketing, role: lead, next: [Marketing Qualified, Recycle]}
  Marketing Qualified:
    owner: marketing
    role: handoff
    entry: "fit >= 30"
    next: [Sales Accepted, Recycle, Out]
  Sales Accepted: {owner: sales, role: accepted, entry: accepted, next: [Closed Won, Out]}
  Closed Won: {owner: sales, role: won, next: []}
  Recycle: {owner: marketing, role: recycled, next: [Marketing Qualified]}
  Out: {owner: marketing, role: disqualified, next: []}
rejection_reasons: [not_a_fit, no_reply]
slas:
  answer_fast:
    kind: first_touch
    within: 90 business_minutes
    escalate: [{after: 1 business_days, notify: marketing}]
  decide:
    kind: accept_or_reject
    within: 1 business_days
  touches: {kind: min_touches, min_touches: 3, within: 5 business_days}
  leads_in: {kind: volume, per_month: 120}
kpis: {mql_to_sal: {target: 0.6}}
cadences: {pipeline_sync: {every: week, minutes: 45, with: [marketing, sales]}}
"""


def test_a_contract_with_its_own_stage_names_is_written_in_them() -> None:
    doc = agreement_markdown(compile_text(RENAMED))
    cal = "08:30–17:30 Europe/London time, Monday to Thursday, excluding GB holidays"
    lines = doc.splitlines()
    assert ("- **`answer_fast`** (first touch): Sales (Chief Revenue Officer) makes first "
            f"contact with every Marketing Qualified within 90 business minutes, counted "
            f"{cal}; escalated to Marketing (Chief Marketing Officer) after 1 business "
            "day.") in lines
    assert ("- **`decide`** (accept or reject): Sales (Chief Revenue Officer) accepts every "
            "Marketing Qualified (moving it to Sales Accepted) or rejects it with a "
            "rejection reason (moving it to Recycle or Out) within 1 business day, counted "
            f"{cal}.") in lines
    assert ("- **`touches`** (min touches): Sales (Chief Revenue Officer) makes at least 3 "
            f"touches on every Sales Accepted within 5 business days, counted {cal}.") in lines
    assert ("- **`leads_in`** (volume): Marketing (Chief Marketing Officer) brings at least "
            "120 leads a month to Marketing Qualified (first entries, months in "
            "Europe/London time).") in lines
    kpi = _row(doc, "`mql_to_sal`")
    assert "Marketing Qualified" in kpi and "Sales Accepted" in kpi
    assert "When sales sends a lead back (into Recycle or Out)" in doc
    assert doc.splitlines()[0] == "# Marketing–sales agreement, version 3"
    for word in ("MQL", "SAL", "SQL", "Nurture", "Disqualified", "VP Sales"):
        assert not re.search(rf"\b{word}s?\b", doc), word


def _pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def _plain(markdown_line: str) -> str:
    """A Markdown line as the reader sees it: no list mark, emphasis or code marks."""
    return re.sub(r"[*`]", "", markdown_line.removeprefix("- "))


def test_html_and_pdf_hold_the_headings_and_the_sentences(starter: CompiledContract) -> None:
    page = render_agreement(starter, "html").decode()
    assert page.startswith("<!DOCTYPE html>")
    for heading in HEADINGS:
        assert f"<h2>{heading}</h2>" in page
    pdf = render_agreement(starter, "pdf")
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for heading in ("Marketing–sales agreement, version 1", *HEADINGS):
        assert heading in text
    for sentence in STARTER_SLAS.values():
        assert _plain(sentence) in text


def test_same_contract_same_bytes(starter: CompiledContract) -> None:
    again = compile_text(STARTER_TEXT, "elsewhere.yaml")
    for fmt in ("md", "html", "pdf"):
        assert render_agreement(starter, fmt) == render_agreement(again, fmt), fmt  # type: ignore[arg-type]


# --- the command ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def contract_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("agreement") / "accord.yaml"
    path.write_text(STARTER_TEXT, encoding="utf-8")
    return path


def test_cli_formats_follow_the_out_suffix(contract_file: Path, doc: str) -> None:
    runner = CliRunner()
    out = contract_file.parent
    result = runner.invoke(app, ["contract", "render", str(contract_file)])
    assert result.exit_code == 0 and result.stdout == doc
    assert runner.invoke(app, ["contract", "render", str(contract_file), "--out", "-"]
                         ).stdout == doc
    for suffix, magic in (("pdf", b"%PDF"), ("html", b"<!DOCTYPE html>"), ("md", b"# ")):
        target = out / f"agreement.{suffix}"
        result = runner.invoke(app, ["contract", "render", str(contract_file),
                                     "--out", str(target)])
        assert result.exit_code == 0, result.output
        assert target.read_bytes().startswith(magic)
    forced = out / "agreement.txt"
    result = runner.invoke(app, ["contract", "render", str(contract_file), "--format", "html",
                                 "--out", str(forced), "--json"])
    assert result.exit_code == 0
    assert forced.read_bytes().startswith(b"<!DOCTYPE html>")
    assert '"format": "html"' in result.stdout


def test_cli_refuses_a_bad_format_and_pdf_on_stdout(contract_file: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["contract", "render", str(contract_file), "--format", "docx"])
    assert bad.exit_code == 2 and "--format must be one of md, html, pdf" in bad.stderr
    pdf = runner.invoke(app, ["contract", "render", str(contract_file), "--format", "pdf"])
    assert pdf.exit_code == 2 and "give --out FILE.pdf" in pdf.stderr
    assert pdf.stdout == ""
    missing = runner.invoke(app, ["contract", "render", str(contract_file.parent / "no.yaml")])
    assert missing.exit_code == 6


def test_the_documented_commands_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    section = DOCS.read_text(encoding="utf-8").split("`accord contract render`")[1]
    assert "<!-- section: agreement -->" not in section.split("\n## ")[0]
    lines = [line.strip() for block in fenced_blocks(DOCS, "")
             for line in block.splitlines()
             if line.strip().startswith("accord contract render")]
    assert len(lines) == 3
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    Path("accord.yaml").write_text(STARTER_TEXT, encoding="utf-8")
    Path("next").mkdir()
    Path("next/accord.yaml").write_text(STARTER_TEXT, encoding="utf-8")
    for line in lines:
        args = shlex.split(line.split(" > ")[0])[1:]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (line, result.output)
    assert Path("agreement.pdf").read_bytes().startswith(b"%PDF")


def test_the_documented_excerpt_is_real_output(doc: str) -> None:
    (excerpt,) = [b for b in fenced_blocks(DOCS, "markdown") if "## Service levels" in b]
    bullets = re.split(r"\n(?=- )", excerpt.split("## Service levels\n\n")[1].strip())
    assert len(bullets) == 3
    for bullet in bullets:
        assert " ".join(bullet.split()) in doc.splitlines()
