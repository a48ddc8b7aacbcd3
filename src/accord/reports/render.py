"""Documents out of Markdown: the one way accord turns a report into HTML and PDF.

A report (a meeting pack, the agreement) is written once as Markdown; `to_html` wraps it
in a standalone page (inline style, no network: charts are inline SVG), and `to_pdf`
prints that page with WeasyPrint. Same input, same bytes: WeasyPrint writes no creation
time unless the page names one, and this page names none.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Literal

from markdown_it import MarkdownIt

from accord.errors import UsageError

Format = Literal["md", "html", "pdf"]
FORMATS: tuple[Format, ...] = ("md", "html", "pdf")

STYLE = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt;
                        color: #555; } }
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; font-size: 10pt;
       color: #1b1f24; line-height: 1.4; max-width: 980px; margin: 0 auto; padding: 0 12px; }
h1 { font-size: 18pt; margin: 0 0 4pt 0; }
h2 { font-size: 13pt; margin: 14pt 0 4pt 0; border-bottom: 1px solid #c9d1d9;
     break-after: avoid; }
h3 { font-size: 11pt; margin: 10pt 0 3pt 0; break-after: avoid; }
table { border-collapse: collapse; margin: 4pt 0 8pt 0; font-size: 9pt; break-inside: auto; }
th, td { border: 1px solid #c9d1d9; padding: 2pt 5pt; vertical-align: top; }
th { background: #f0f3f6; text-align: left; }
td { font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
code { font-family: "DejaVu Sans Mono", monospace; font-size: 8.5pt; }
blockquote { margin: 4pt 0; padding: 2pt 8pt; border-left: 3px solid #c9d1d9; color: #444; }
figure { margin: 6pt 0; break-inside: avoid; }
figure svg { max-width: 100%; height: auto; }
.pagebreak { break-before: page; }
"""


def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML is allowed because reports embed their own SVG
    # figures (never user text: every value is escaped by the report before it gets here).
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def to_html(markdown: str, *, title: str, lang: str = "en") -> str:
    """The Markdown as a standalone HTML5 page titled `title`."""
    body = _markdown().render(markdown)
    return (f'<!DOCTYPE html>\n<html lang="{html.escape(lang)}">\n<head>\n'
            f'<meta charset="utf-8">\n<title>{html.escape(title)}</title>\n'
            f"<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n")


def to_pdf(page: str) -> bytes:
    """The HTML page printed to PDF (A4)."""
    from weasyprint import HTML  # imported late: it loads Pango, which takes a moment

    pdf: bytes = HTML(string=page).write_pdf()
    return pdf


def render(markdown: str, fmt: Format, *, title: str) -> bytes:
    """The document in `fmt`, as bytes to write."""
    if fmt == "md":
        return markdown.encode()
    page = to_html(markdown, title=title)
    return page.encode() if fmt == "html" else to_pdf(page)


def format_from_path(path: Path, default: Format = "md") -> Format:
    """The format a file name asks for (`pack.pdf` → pdf); `default` when it names none."""
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("markdown", "md"):
        return "md"
    if suffix in ("htm", "html"):
        return "html"
    if suffix == "pdf":
        return "pdf"
    return default


def chosen_format(fmt: str | None, out: Path | None) -> Format:
    """The format a command is asked for: `--format` (an unknown one is refused naming
    the known ones), else the `--out` file's suffix, else Markdown (also for `-`)."""
    if fmt is not None:
        name = fmt.strip().lower()
        if name not in FORMATS:
            raise UsageError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
        return name
    if out is None or str(out) == "-":
        return "md"
    return format_from_path(out)


def cell(value: object) -> str:
    """A value made safe for a Markdown table cell: HTML escaped, pipes and newlines kept
    from breaking the row."""
    text = html.escape(str(value), quote=False)
    return text.replace("|", "\\|").replace("\n", " ")
