"""`accord contract diff` and `accord whatif` from the command line, on one simulated
workspace (`accord demo`, 1,500 leads, seed 3) and a proposed version that raises the MQL
rule's fit threshold (45 → 70) and the MQL → SAL target (0.70 → 0.75).

Wiring only: the figures themselves are tested in tests/analytics/test_whatif.py. Here:
the Markdown names each changed definition and has the impact rows (a well-formed table),
JSON parses and carries both sides, text is for terminals, `--leads-out` writes the
changed leads, and the commands of docs/operations.md's what-if section run.
"""

from __future__ import annotations

import csv
import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from doc_blocks import fenced_blocks
from typer.testing import CliRunner

from accord.cli import app
from accord.reports.render import to_html

runner = CliRunner()
DOC = Path(__file__).resolve().parents[2] / "docs" / "operations.md"
EDITS = (("fit >= 45 and", "fit >= 70 and"), ("version: 1", "version: 2"),
         ("mql_to_sal: {target: 0.70}", "mql_to_sal: {target: 0.75}"))
CHANGED_KEYS = {"version", "stages.MQL.entry", "kpis.mql_to_sal.target"}


def accord(*args: str, code: int = 0) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == code, f"$ accord {' '.join(args)}\n{r.output}"
    return r.stdout


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("diff") / "demo"
    accord("demo", str(root), "--leads", "1500", "--seed", "3", "--json")  # runs the engine
    text = (root / "accord.yaml").read_text()
    for old, new in EDITS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (root / "next").mkdir()
    (root / "next" / "accord.yaml").write_text(text)
    return root


def diff(ws: Path, *extra: str) -> str:
    return accord("contract", "diff", str(ws / "accord.yaml"), str(ws / "next" / "accord.yaml"),
                  "-w", str(ws), *extra)


@pytest.fixture(scope="module")
def impact_json(ws: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(diff(ws, "--impact", "--period", "2025-Q2", "--json"))
    return data


DOC_MD = ("accord contract diff accord.yaml next/accord.yaml --impact --period 2025-Q2 "
          "--format md")
DOC_JSON = "accord whatif --contract next/accord.yaml --leads-out changed.csv --json"
DOC_TEXT = "accord whatif --contract next/accord.yaml"


@pytest.fixture(scope="module")
def doc_runs(ws: Path) -> dict[str, str]:
    """Every `accord whatif` / `accord contract diff` line of the docs' console blocks, run
    in the workspace (as a reader would, from its folder): stdout by command line."""
    lines = [line.removeprefix("$ ").split(" | ")[0].split(" > ")[0].strip()
             for block in fenced_blocks(DOC, "console") for line in block.splitlines()
             if line.startswith(("$ accord whatif", "$ accord contract diff"))]
    assert len(lines) == 5
    out: dict[str, str] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ws)
        for line in lines:
            result = runner.invoke(app, [*shlex.split(line)[1:], "-w", str(ws)])
            assert result.exit_code == 0, (line, result.output)
            out[line] = result.stdout
    return out


@pytest.fixture(scope="module")
def impact_md(doc_runs: dict[str, str]) -> str:
    return doc_runs[DOC_MD]


def table_after(md: str, header: str) -> list[list[str]]:
    """The body rows of the Markdown table whose header line is `header`."""
    lines = md.splitlines()
    start = lines.index(header) + 2
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]])
    return rows


def test_json_parses_and_names_each_changed_definition(impact_json: dict[str, Any]) -> None:
    changes = {c["key"]: c for c in impact_json["changes"]}
    assert set(changes) == CHANGED_KEYS
    assert changes["kpis.mql_to_sal.target"]["old"] == 0.70
    assert changes["kpis.mql_to_sal.target"]["new"] == 0.75
    assert (impact_json["old"]["version"], impact_json["new"]["version"]) == (1, 2)
    impact = impact_json["impact"]
    assert impact["period"]["label"] == "2025-Q2"
    assert impact["old"]["view"] == impact["new"]["view"] == "scenario"
    entered = next(f for f in impact["figures"] if f["key"] == "sla.mql_volume.entered")
    assert entered["new"]["value"] < entered["old"]["value"]
    assert "changed_leads" not in impact["changes"]


def test_json_flag_is_format_json_and_no_impact_without_the_flag(ws: Path) -> None:
    plain = json.loads(diff(ws, "--json"))
    assert plain == json.loads(diff(ws, "--format", "json"))
    assert plain["impact"] is None
    assert {c["key"] for c in plain["changes"]} == CHANGED_KEYS


def test_markdown_lists_every_change_and_the_impact_rows(impact_md: str,
                                                         impact_json: dict[str, Any]) -> None:
    md = impact_md
    assert md.startswith("## Contract diff: version 1 → version 2\n")
    items = [line for line in md.splitlines() if line.startswith("- changed ")]
    assert len(items) == len(CHANGED_KEYS)
    for key in CHANGED_KEYS:
        assert any(f"`{key}`" in line for line in items), key
    assert "`fit >= 45 and (engagement" in md and "`fit >= 70 and (engagement" in md
    assert "`0.7` → `0.75`" in md
    assert "**Period:** 2025-Q2" in md and "scenario view of OLD and of NEW" in md
    rows = table_after(md, "| figure | OLD | NEW | Δ |")
    figures = impact_json["impact"]["figures"]
    assert [r[0] for r in rows] == [f["label"] for f in figures]
    entered = next(r for r, f in zip(rows, figures, strict=True)
                   if f["key"] == "sla.mql_volume.entered")
    f = next(f for f in figures if f["key"] == "sla.mql_volume.entered")
    assert entered[1:] == [f"{f['old']['value']:,.0f}", f"{f['new']['value']:,.0f}",
                           f"{f['delta']:+,.0f}"]
    load = table_after(md, "| owner | capacity / week | OLD mean | NEW mean | OLD peak | "
                           "NEW peak | OLD weeks over | NEW weeks over |")
    assert len(load) == len(impact_json["impact"]["load"]) > 3


def test_markdown_renders_to_well_formed_tables(impact_md: str,
                                                impact_json: dict[str, Any]) -> None:
    page = to_html(impact_md, title="diff")
    tables = re.findall(r"<table>.*?</table>", page, flags=re.S)
    assert len(tables) == 3  # figures, SLA load, moves
    figures = impact_json["impact"]["figures"]
    assert tables[0].count("<tr>") == len(figures) + 1
    first = re.findall(r"<tr>(.*?)</tr>", tables[0], flags=re.S)[1]
    assert first.count("<td") == 4


def test_text_is_for_terminals(ws: Path) -> None:
    out = diff(ws)
    assert "3 definition(s) change" in out
    assert "~ kpis.mql_to_sal.target: 0.7 → 0.75" in out
    assert "|" not in out and "Impact" not in out
    full = diff(ws, "--impact", "--period", "2025-Q2")
    assert "Impact over the store" in full and "Figures" in full
    assert "OLD" in full and "NEW" in full and "| ---" not in full


def test_period_or_as_of_without_impact_is_refused(ws: Path) -> None:
    r = runner.invoke(app, ["contract", "diff", str(ws / "accord.yaml"),
                            str(ws / "next" / "accord.yaml"), "--period", "2025-Q2"])
    assert r.exit_code == 2 and "--impact" in r.output
    r = runner.invoke(app, ["contract", "diff", str(ws / "accord.yaml"),
                            str(ws / "next" / "accord.yaml"), "--format", "html"])
    assert r.exit_code == 2 and "text, md, json" in r.output


def test_the_docs_commands_run(doc_runs: dict[str, str]) -> None:
    assert {DOC_MD, DOC_JSON, DOC_TEXT} <= set(doc_runs)
    assert all(doc_runs.values())


def test_whatif_json_carries_both_sides_and_leads_out_the_changes(
        ws: Path, doc_runs: dict[str, str]) -> None:
    data = json.loads(doc_runs[DOC_JSON])
    assert data["old"]["view"] == "derived" and data["new"]["view"] == "scenario"
    assert (data["old"]["contract"]["version"], data["new"]["contract"]["version"]) == (1, 2)
    assert {f["key"] for f in data["figures"]} >= {"kpi.mql_volume", "kpi.mql_to_sal",
                                                   "pipeline.expected"}
    with (ws / "changed.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    changed = data["changes"]["changed_leads"]
    assert len(rows) == data["changes"]["changed"]["any"] == len(changed) > 0
    assert [r["lead_id"] for r in rows] == [c["lead_id"] for c in changed]
    assert list(rows[0]) == ["lead_id", "changed", "old_stage", "new_stage", "old_tier",
                             "new_tier", "old_owner", "new_owner"]


def test_whatif_text_names_both_views(doc_runs: dict[str, str]) -> None:
    out = doc_runs[DOC_TEXT]
    assert out.startswith("What if: scenario under next/accord.yaml (v2) against derived ")
    for part in ("Figures", "SLA load per rep per week", "Leads that change:"):
        assert part in out, part
    assert "| ---" not in out
