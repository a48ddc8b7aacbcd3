"""`accord report KIND`: the meeting pack of one cadence, as Markdown, HTML or PDF."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from accord.cli.common import (
    AsOfOpt,
    JsonOpt,
    StoreOpt,
    ViewOpt,
    WorkspaceOpt,
    console,
    guarded,
    open_session,
    print_json,
)
from accord.engine.views import check_view
from accord.errors import UnknownNameError, UsageError
from accord.reports.pack import PACK_KINDS
from accord.reports.pack_render import write_pack
from accord.reports.packs import build_pack, record_pack
from accord.reports.render import chosen_format


@guarded
def report_command(
    kind: Annotated[str, typer.Argument(
        metavar="KIND", help="weekly (pipeline review), biweekly (alignment check), monthly "
                             "(SLA review) or quarterly (ICP and structure review).")],
    period: Annotated[str | None, typer.Option(
        "--period", "-p", help="The period the pack covers: 2025-Q4, 2025-12, "
                               "2025-12-01..2025-12-14. Default: weekly and biweekly the 7 "
                               "or 14 days ending on the data's last day, monthly its month, "
                               "quarterly its quarter.")] = None,
    fmt: Annotated[str | None, typer.Option(
        "--format", "-f", help="md, html or pdf. Default: from --out's suffix, else md.")]
        = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="File to write. Markdown goes to standard output without it "
                            "(charts need --out: they are written as SVG files beside it); "
                            "html and pdf default to KIND-PERIOD.FORMAT here.")] = None,
    view: ViewOpt = "actual",
    as_of: AsOfOpt = None,
    ws_path: WorkspaceOpt = Path("."),
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The pack to bring to a cadence meeting: the period, the contract version, the view
    and the data's freshness up front, a time-boxed agenda, then each item's figures and
    charts. Every figure is the one `accord kpis --basis period`, `accord sla` and
    `accord insights` show for the same period. Each pack prepared is noted in the audit
    log, the evidence `accord diagnose` reads that the cadence is held.

    Examples:

      accord report weekly                                  # Markdown on the terminal

      accord report weekly --out weekly.pdf                 # format from the suffix

      accord report monthly --period 2025-11 --format html --out sla-review.html

      accord report quarterly --period 2025-Q4 -o icp-review.pdf

      accord report biweekly --json | jq '.sections[0].blocks'
    """
    if kind not in PACK_KINDS:
        raise UnknownNameError("pack", kind, PACK_KINDS)
    chosen_view = check_view(view)
    chosen = chosen_format(fmt, out)
    with open_session(ws_path, store) as s:
        pack = build_pack(s.store, s.contract, kind, period=period, view=chosen_view,
                          as_of=s.as_of(as_of).at if as_of else None)
        record_pack(s.store, pack)
    if as_json:
        print_json(pack.as_dict())
        return
    if out is None and chosen != "md":
        out = Path(f"{kind}-{pack.period_label.replace('..', '_')}.{chosen}")
    if out is not None and str(out) == "-":
        if chosen == "pdf":
            raise UsageError("--out -: a PDF is not written to the terminal; name a file")
        out = None
    files = write_pack(pack, chosen, out)
    for path, data in files.items():
        if path is None:
            sys.stdout.write(data.decode())
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    if out is not None:
        extra = len(files) - 1
        console.print(f"{pack.title}, {pack.period_label}: wrote {out}"
                      + (f" and {extra} chart file(s) beside it" if extra else ""),
                      highlight=False)
