"""`accord org` wiring: each command parses, calls the library and renders (CliRunner)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import typer
from typer.testing import CliRunner

from accord.cli import org

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "org"

app = typer.Typer()
app.add_typer(org.app, name="org")
runner = CliRunner()


def test_advise_json_from_the_example_profile() -> None:
    r = runner.invoke(app, ["org", "advise", "--profile", str(EXAMPLES / "profile.yaml"),
                            "--today", "2026-11-23", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["stage"]["key"] == "mid_market"
    assert data["sales"]["model"] == "product"
    assert data["review"]["next_review"] == "2027-02-23"


def test_advise_readable_report_cites_seeds() -> None:
    r = runner.invoke(app, ["org", "advise", "--profile", str(EXAMPLES / "profile.yaml"),
                            "--today", "2026-11-23"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    assert "Northwind Analytics" in r.output
    assert "Next hires, in order" in r.output
    assert "(seed 000: sales structures table: product)" in r.output
    assert "next review: 2027-02-23" in r.output


def test_advise_from_flags_and_flags_override_the_file() -> None:
    r = runner.invoke(app, ["org", "advise", "--employees", "30", "--arr", "2M", "--motion",
                            "abm", "--has", "sdr", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert data["stage"]["key"] == "growth"
    assert data["routing"][0]["method"] == "account_owner"
    assert data["profile"]["current"]["roles"] == ["sdr"]
    r = runner.invoke(app, ["org", "advise", "-p", str(EXAMPLES / "profile.yaml"),
                            "--employees", "250", "--json"])
    assert json.loads(r.output)["stage"]["key"] == "enterprise"


def test_advise_bad_flag_value_names_the_flag_and_exits_2() -> None:
    r = runner.invoke(app, ["org", "advise", "--employees", "30", "--arr", "plenty"])
    assert r.exit_code == 2
    assert "--arr: not an amount: 'plenty'" in r.output


def test_advise_without_profile_or_employees_is_a_usage_error() -> None:
    r = runner.invoke(app, ["org", "advise"])
    assert r.exit_code == 2


def test_lint_exits_1_on_errors_and_0_when_clean() -> None:
    bad = runner.invoke(app, ["org", "lint", str(EXAMPLES / "chart-needs-work.yaml")],
                        env={"COLUMNS": "200"})
    assert bad.exit_code == 1
    assert "error cro-without-ops [cro]" in bad.output
    assert "5 error(s), 4 warning(s)" in bad.output
    good = runner.invoke(app, ["org", "lint", str(EXAMPLES / "chart.yaml")])
    assert good.exit_code == 0
    assert "no findings" in good.output


def test_lint_warnings_only_exit_0_and_json_lists_findings(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("people:\n"
                 "  - {id: ceo, title: CEO, role: ceo, owns: [handoff, pipeline_number]}\n"
                 "  - {id: a, title: A, role: sales_leader, reports_to: ceo,"
                 " owns: [handoff, pipeline]}\n")
    r = runner.invoke(app, ["org", "lint", str(f), "--json"])
    assert r.exit_code == 0
    findings = json.loads(r.output)["findings"]
    assert [(x["rule"], x["severity"]) for x in findings] == [("no-handoff-owner", "warning")]


def test_lint_invalid_chart_exits_2_with_file_and_line(tmp_path: Path) -> None:
    f = tmp_path / "c.yaml"
    f.write_text("people:\n  - {id: a, title: A, role: ceo, reports_to: b}\n")
    r = runner.invoke(app, ["org", "lint", str(f)])
    assert r.exit_code == 2
    assert "c.yaml:2: people[0].reports_to: unknown id 'b'" in r.output


def test_chart_writes_svg_and_prints_mermaid(tmp_path: Path) -> None:
    out = tmp_path / "org.svg"
    r = runner.invoke(app, ["org", "chart", str(EXAMPLES / "chart.yaml"), "--format", "svg",
                            "--output", str(out)])
    assert r.exit_code == 0, r.output
    assert ET.parse(out).getroot().tag.endswith("svg")
    r = runner.invoke(app, ["org", "chart", str(EXAMPLES / "chart.yaml"), "-f", "mermaid"])
    assert r.output.startswith("flowchart TD\n")
    assert "    vp_sales --> sdr_mgr" in r.output


def test_help_shows_an_example() -> None:
    for command in ("advise", "lint", "chart", "health"):
        r = runner.invoke(app, ["org", command, "--help"], env={"COLUMNS": "200"})
        assert r.exit_code == 0
        assert "Example:" in r.output and f"accord org {command}" in r.output
