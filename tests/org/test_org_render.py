"""Rendering org charts: Mermaid edges, DOT, and SVG through Graphviz."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from accord.org import render as render_module
from accord.org.chart import OrgChart, chart_from_data, load_chart
from accord.org.errors import ChartRenderError
from accord.org.lint import lint_chart
from accord.org.render import flagged_nodes, to_dot, to_mermaid, to_svg

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "org"
SVG_NS = "{http://www.w3.org/2000/svg}"


def small_chart() -> OrgChart:
    return chart_from_data({"company": 'Acme "Labs"', "people": [
        {"id": "ceo", "title": "CEO", "name": "Ana", "role": "ceo"},
        {"id": "vp-sales", "title": "VP Sales", "role": "sales_leader", "reports_to": "ceo"},
        {"id": "end", "title": "SDR team", "role": "sdr", "reports_to": "vp-sales",
         "team_size": 4},
        {"id": "pmm", "title": 'PMM "core"', "role": "product_marketing", "reports_to": "ceo",
         "dotted_to": ["vp-sales"]},
    ]})


def test_mermaid_has_solid_manager_edges_and_dotted_lines() -> None:
    text = to_mermaid(small_chart())
    lines = text.splitlines()
    assert lines[0] == "flowchart TD"
    # `-` is not safe in Mermaid ids and `end` is a keyword.
    assert "    ceo --> vp_sales" in lines
    assert "    vp_sales --> end_" in lines
    assert "    ceo --> pmm" in lines
    assert "    pmm -.-> vp_sales" in lines
    assert '    end_["SDR team<br/>×4"]' in lines
    assert '    pmm["PMM #quot;core#quot;"]' in lines


def test_dot_escapes_quotes_and_draws_dotted_lines_dashed() -> None:
    text = to_dot(small_chart())
    assert 'label="Acme \\"Labs\\""' in text
    assert '"ceo" -> "vp-sales";' in text
    assert '"pmm" -> "vp-sales" [style=dashed, constraint=false, arrowhead=none];' in text


def test_svg_parses_and_shows_every_person() -> None:
    chart = load_chart(EXAMPLES / "chart.yaml")
    root = ET.fromstring(to_svg(chart))
    assert root.tag == f"{SVG_NS}svg"
    texts = {t.text for t in root.iter(f"{SVG_NS}text")}
    for p in chart.people:
        for line in p.label_lines:
            assert line in texts, line
    titles = {t.text for t in root.iter(f"{SVG_NS}title")}
    assert "ceo->vp_sales" in titles and "pmm->cpo" in titles


def test_lint_flags_outline_the_offending_boxes() -> None:
    chart = load_chart(EXAMPLES / "chart-needs-work.yaml")
    flagged = flagged_nodes(lint_chart(chart))
    assert flagged["cro"] == "error" and flagged["mops"] == "warning"
    assert '"cro" [label="CRO", fillcolor="#d9d2e9", color="#cc0000", penwidth=2.5];' in \
        to_dot(chart, flagged)


def test_svg_without_graphviz_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render_module.shutil, "which", lambda _name: None)
    with pytest.raises(ChartRenderError, match="apt-get install graphviz"):
        to_svg(small_chart())
