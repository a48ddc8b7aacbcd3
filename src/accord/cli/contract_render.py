"""`accord contract render`: the agreement as the document both teams read and sign."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from accord.cli.common import JsonOpt, console, guarded, print_json
from accord.contract.compiled import load_compiled
from accord.contract.loader import CONTRACT_FILE
from accord.errors import UsageError
from accord.reports.agreement import SECTIONS, agreement_markdown, agreement_title
from accord.reports.render import Format, chosen_format, render

STDOUT = Path("-")


def output_format(out: Path | None, fmt: str | None) -> Format:
    """The format asked for: `--format`, else the `--out` suffix (`.html`, `.pdf`; any
    other suffix, or stdout, is Markdown). A PDF is never written to the terminal."""
    resolved = chosen_format(fmt, out)
    if resolved == "pdf" and (out is None or out == STDOUT):
        raise UsageError("a PDF is not written to standard output; give --out FILE.pdf, "
                         "e.g. --out agreement.pdf")
    return resolved


@guarded
def render_command(
    file: Annotated[Path, typer.Argument(help="Contract file or workspace folder.")] = Path(
        CONTRACT_FILE),
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", metavar="FILE",
        help="Write the document here; `-` (or no --out) prints Markdown on standard "
             "output.")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", metavar="md|html|pdf",
        help="md, html or pdf. Default: from the --out suffix (.md, .html, .pdf), "
             "Markdown otherwise.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The agreement as a document to read and sign: Markdown, HTML or PDF.

    Generated from the contract alone:
    its version and effective date; a glossary of every stage (role, owner, entry criteria
    in words, where it may go next), signal, ICP criterion, rejection reason and KPI with
    its target; each SLA as one sentence built from its terms; the routing rules in
    order; the attribution model; the operating cadence; and a sign-off block for every
    owner.

    The same contract always gives the same bytes, so the document can be kept beside
    the contract and compared in review. A contract with problems exits 3 listing them.

    Examples:

      accord contract render

      accord contract render --out agreement.pdf

      accord contract render next/accord.yaml --format html --out agreement.html

      accord contract render --out agreement.md --json
    """
    chosen = output_format(out, fmt)
    compiled = load_compiled(file)
    markdown = agreement_markdown(compiled)
    data = render(markdown, chosen, title=agreement_title(compiled))
    to_stdout = out is None or out == STDOUT
    summary = {"version": compiled.version, "effective": str(compiled.source.effective),
               "format": chosen, "out": None if to_stdout else str(out),
               "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest(),
               "sections": list(SECTIONS)}
    if to_stdout:
        if as_json:
            print_json({**summary, "markdown": markdown})
        else:
            sys.stdout.write(data.decode())
        return
    assert out is not None
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"{out}: cannot write the agreement: {exc.strerror}") from None
    if as_json:
        print_json(summary)
    else:
        console.print(f"wrote {escape(str(out))} ({chosen}, {len(data):,} bytes): contract version "
                      f"{compiled.version}, effective {compiled.source.effective}",
                      highlight=False)
