"""Render an org chart as Mermaid text, Graphviz DOT, or SVG (DOT through Graphviz `dot`).

Solid lines go from manager to report; dotted lines are dashed and do not pull the
layout. Boxes are shaded by function; with `flagged`, boxes named by lint findings get a
red (error) or amber (warning) border.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Mapping
from typing import Literal

from accord.org.chart import OrgChart, Person
from accord.org.errors import ChartRenderError
from accord.org.findings import Severity
from accord.org.lint import LintReport

Format = Literal["mermaid", "dot", "svg"]

FUNCTION_FILL: dict[str, str] = {
    "executive": "#e8e8e8", "revenue": "#d9d2e9", "marketing": "#fde9d9", "sales": "#dbe9f6",
    "revops": "#d9ead3", "customer_success": "#fff2cc", "product": "#ead1dc", "other": "#f3f3f3",
}
SEVERITY_COLOUR: dict[Severity, str] = {"error": "#cc0000", "warning": "#e69138"}


def flagged_nodes(report: LintReport) -> dict[str, Severity]:
    """Worst severity per node named by a finding."""
    out: dict[str, Severity] = {}
    for f in report.findings:
        for node in f.nodes[:1]:
            if out.get(node) != "error":
                out[node] = f.severity
    return out


def render(chart: OrgChart, fmt: Format, flagged: Mapping[str, Severity] | None = None) -> str:
    match fmt:
        case "mermaid":
            return to_mermaid(chart, flagged)
        case "dot":
            return to_dot(chart, flagged)
        case "svg":
            return to_svg(chart, flagged)


def to_mermaid(chart: OrgChart, flagged: Mapping[str, Severity] | None = None) -> str:
    ids = mermaid_ids(chart)
    lines = ["flowchart TD"]
    for p in chart.people:
        text = "<br/>".join(_mermaid_escape(x) for x in p.label_lines)
        lines.append(f'    {ids[p.id]}["{text}"]')
    for p in chart.people:
        if p.reports_to:
            lines.append(f"    {ids[p.reports_to]} --> {ids[p.id]}")
    for p in chart.people:
        for d in p.dotted_to:
            lines.append(f"    {ids[p.id]} -.-> {ids[d]}")
    for function, fill in FUNCTION_FILL.items():
        members = [ids[p.id] for p in chart.people if p.in_function == function]
        if members:
            lines.append(f"    classDef {function} fill:{fill},stroke:#666")
            lines.append(f"    class {','.join(members)} {function}")
    for node, severity in (flagged or {}).items():
        if node in ids:
            lines.append(f"    style {ids[node]} stroke:{SEVERITY_COLOUR[severity]},"
                         "stroke-width:3px")
    return "\n".join(lines) + "\n"


def mermaid_ids(chart: OrgChart) -> dict[str, str]:
    """Chart id → Mermaid node id: `-` becomes `_`, and `end` (a keyword) gets a suffix."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for p in chart.people:
        base = re.sub(r"[^A-Za-z0-9_]", "_", p.id)
        if base.lower() == "end":
            base += "_"
        candidate, n = base, 2
        while candidate in used:
            candidate, n = f"{base}_{n}", n + 1
        used.add(candidate)
        out[p.id] = candidate
    return out


def _mermaid_escape(text: str) -> str:
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def to_dot(chart: OrgChart, flagged: Mapping[str, Severity] | None = None) -> str:
    flagged = flagged or {}
    lines = [
        "digraph org {",
        '  graph [rankdir=TB, fontname="Helvetica", nodesep=0.3, ranksep=0.5'
        + (f', label="{_dot_escape(chart.company)}", labelloc=t' if chart.company else "")
        + "];",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica", fontsize=11];',
        '  edge [color="#555555", arrowsize=0.6];',
    ]
    for p in chart.people:
        lines.append(f"  {_dot_id(p.id)} [{_dot_node_attrs(p, flagged.get(p.id))}];")
    for p in chart.people:
        if p.reports_to:
            lines.append(f"  {_dot_id(p.reports_to)} -> {_dot_id(p.id)};")
    for p in chart.people:
        for d in p.dotted_to:
            lines.append(f"  {_dot_id(p.id)} -> {_dot_id(d)} "
                         "[style=dashed, constraint=false, arrowhead=none];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_node_attrs(p: Person, severity: Severity | None) -> str:
    label = "\\n".join(_dot_escape(x) for x in p.label_lines)
    attrs = [f'label="{label}"', f'fillcolor="{FUNCTION_FILL[p.in_function]}"']
    if severity is not None:
        attrs += [f'color="{SEVERITY_COLOUR[severity]}"', "penwidth=2.5"]
    return ", ".join(attrs)


def _dot_id(node: str) -> str:
    return f'"{_dot_escape(node)}"'


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def to_svg(chart: OrgChart, flagged: Mapping[str, Severity] | None = None) -> str:
    """SVG via Graphviz `dot -Tsvg`; a clear ChartRenderError when `dot` is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        raise ChartRenderError(
            "Graphviz `dot` was not found on PATH; install Graphviz (Debian/Ubuntu: "
            "`apt-get install graphviz`) or use `--format mermaid`.")
    result = subprocess.run([dot, "-Tsvg"], input=to_dot(chart, flagged), capture_output=True,
                            text=True, encoding="utf-8", check=False, timeout=60)
    if result.returncode != 0:
        raise ChartRenderError(f"`dot -Tsvg` failed: {result.stderr.strip()}")
    return result.stdout
