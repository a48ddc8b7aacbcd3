"""A meeting pack written out: Markdown (charts as SVG files beside it), HTML (one file,
charts inline, every cell with its exact value in `data-value`) or PDF (that HTML printed).

Deterministic: the same pack gives the same bytes in every format."""

from __future__ import annotations

import html
import re
from pathlib import Path

from accord.cells import data_value, format_cell
from accord.dashboard import charts
from accord.reports.pack import Figure, Pack, Para, Table, kind_of
from accord.reports.render import Format, cell, to_html, to_pdf

_XML_DECL = re.compile(r"^<\?xml[^>]*>\s*")
_CODE = re.compile(r"`([^`]+)`")


def _facts_md(pack: Pack) -> list[str]:
    out = ["| This pack | |", "|---|---|"]
    out += [f"| **{cell(k)}** | {cell(v)} |" for k, v in pack.facts()]
    return out


def _agenda_md(pack: Pack) -> list[str]:
    rows = pack.agenda()
    if not rows:
        return []
    out = ["## Agenda", "", "| # | Item | Minutes |", "|--:|---|--:|"]
    out += [f"| {i} | {cell(title)} | {m} |" for i, (title, m) in enumerate(rows, 1)]
    kept = pack.minutes - sum(m for _, m in rows)
    if kept > 0:
        out.append(f"| {len(rows) + 1} | Actions, owners and dates | {kept} |")
    return [*out, ""]


def _table_md(t: Table) -> list[str]:
    out = [f"**{cell(t.title)}**", ""]
    if not t.rows:
        out += [f"_{cell(t.empty)}_", ""]
    else:
        out.append("| " + " | ".join(cell(c.label) for c in t.columns) + " |")
        out.append("|" + "|".join("---" if c.kind == "text" else "--:" for c in t.columns)
                   + "|")
        for r in t.rows:
            out.append("| " + " | ".join(cell(format_cell(r.get(c.key), kind_of(c, r)))
                                         for c in t.columns) + " |")
        out.append("")
    if t.note:
        out += [f"_{cell(t.note)}_", ""]
    return out


def _inline(text: str) -> str:
    """Plain text as HTML, `code` spans kept as code."""
    return _CODE.sub(r"<code>\1</code>", html.escape(text))


def _table_html(t: Table) -> list[str]:
    """The table as one raw-HTML block (no blank line inside, so Markdown keeps it whole)."""
    out = [f"<p><strong>{html.escape(t.title)}</strong></p>"]
    if not t.rows:
        out.append(f'<p class="empty" id="{html.escape(t.id)}"><em>'
                   f"{html.escape(t.empty)}</em></p>")
    else:
        head = "".join(f'<th scope="col" data-key="{html.escape(c.key)}">'
                       f"{html.escape(c.label)}</th>" for c in t.columns)
        body = []
        for r in t.rows:
            cells = "".join(
                f'<td data-key="{html.escape(c.key)}" '
                f'data-value="{html.escape(data_value(r.get(c.key)))}"'
                + ('' if c.kind == "text" else ' style="text-align:right"') + ">"
                + html.escape(format_cell(r.get(c.key), kind_of(c, r))) + "</td>"
                for c in t.columns)
            body.append(f"<tr>{cells}</tr>")
        out.append(f'<table id="{html.escape(t.id)}"><thead><tr>{head}</tr></thead><tbody>'
                   + "".join(body) + "</tbody></table>")
    if t.note:
        out.append(f"<p><em>{_inline(t.note)}</em></p>")
    return ["\n".join(out), ""]


def _svg(f: Figure) -> str:
    drawn = _XML_DECL.sub("", charts.svg(f.spec))
    return "\n".join(line for line in drawn.splitlines() if line.strip())


def pack_markdown(pack: Pack, *, inline: bool, figure_dir: str | None = None) -> str:
    """The pack as Markdown. `inline`: tables as HTML with exact values and charts as
    inline SVG (for HTML and PDF); else Markdown tables and charts as images in
    `figure_dir` (omitted when None)."""
    lines = [f"# {pack.title}: {pack.period_label}", "", pack.purpose, "", *_facts_md(pack),
             "", *_agenda_md(pack)]
    for i, s in enumerate(pack.sections, 1):
        box = f" ({s.minutes} min)" if s.minutes else ""
        lines += [f"## {i}. {s.title}{box}", ""]
        for b in s.blocks:
            if isinstance(b, Para):
                lines += [html.escape(b.text, quote=False), ""]
            elif isinstance(b, Table):
                lines += _table_html(b) if inline else _table_md(b)
            elif isinstance(b, Figure):
                if inline:
                    lines += [f'<figure id="{html.escape(b.id)}" data-table="'
                              f'{html.escape(b.table)}">\n{_svg(b)}\n<figcaption>'
                              f"{html.escape(b.title)}</figcaption>\n</figure>", ""]
                elif figure_dir is not None:
                    lines += [f"![{cell(b.title)}]({figure_dir}/{b.id}.svg)", ""]
    if pack.notes:
        lines += ["---", ""] + [f"- {html.escape(n, quote=False)}" for n in pack.notes] + [""]
    return "\n".join(lines)


def figure_files(pack: Pack) -> dict[str, bytes]:
    """Each chart as an SVG file, by file name."""
    return {f"{b.id}.svg": charts.svg(b.spec).encode() for s in pack.sections
            for b in s.blocks if isinstance(b, Figure)}


def write_pack(pack: Pack, fmt: Format, out: Path | None) -> dict[Path | None, bytes]:
    """The files a pack is written as: {path: bytes}; path None is standard output (a
    Markdown pack without its chart files)."""
    title = f"{pack.title}: {pack.period_label}"
    if fmt == "md":
        if out is None:
            return {None: pack_markdown(pack, inline=False).encode()}
        folder = f"{out.stem}_charts"
        files: dict[Path | None, bytes] = {
            out: pack_markdown(pack, inline=False, figure_dir=folder).encode()}
        for name, data in figure_files(pack).items():
            files[out.parent / folder / name] = data
        return files
    page = to_html(pack_markdown(pack, inline=True), title=title)
    return {out: page.encode() if fmt == "html" else to_pdf(page)}
