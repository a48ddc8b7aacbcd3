"""The overview and SLA pages show the numbers `accord kpis --json` and `accord sla --json`
print for the same period (read from each page's table twin). The CLI runs on the same
store after the server stopped (while it runs it is the store's one writer)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import Company, _dash, accord, table_rows


def test_overview_and_sla_pages_equal_the_cli_json(company: Company, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(company.root, root)
    pages: dict[str, str] = {}
    for dash in _dash(root, company):
        for name, path, params in (("all", "/dashboard/", {}),
                                   ("q2", "/dashboard/", {"period": "2025-Q2"}),
                                   ("seg", "/dashboard/", {"by": "segment",
                                                           "view": "derived"}),
                                   ("sla", "/dashboard/sla", {}),
                                   ("sla-q2", "/dashboard/sla", {"period": "2025-Q2"})):
            r = dash.get(path, **params)
            assert r.status_code == 200, r.text
            pages[name] = r.text

    def cli(*args: str) -> dict:
        return json.loads(accord(*args, "--json", "-w", str(root), cwd=root))

    for name, args in (("all", ()), ("q2", ("--period", "2025-Q2")),
                       ("seg", ("--by", "segment", "--view", "derived"))):
        want = cli("kpis", *args)["rows"]
        shown = table_rows(pages[name], "kpis")
        assert len(shown) == len(want) > 5
        assert any(r["value"] is not None for r in shown)
        for got, row in zip(shown, want, strict=True):
            for key in ("kpi", "group", "value", "numerator", "denominator", "target", "unit"):
                assert got[key] == row[key], (name, row["kpi"], key)

    overview, worst = cli("sla"), cli("sla", "--breaches", "--limit", "25")
    slas = table_rows(pages["sla"], "slas")
    assert [(r["sla"], r["met"], r["breached"], r["open"], r["share_within"]) for r in slas] \
        == [(s["sla"], s["met"], s["breached"], s["open"], s["share_within"])
            for s in overview["slas"]]
    assert any(s["breached"] for s in slas)
    per_rep = table_rows(pages["sla"], "sla-by-rep")
    assert [(r["sla"], r["rep_id"], r["met"], r["breached"]) for r in per_rep] == \
        [(s["sla"], r["rep_id"], r["met"], r["breached"]) for s in overview["slas"]
         for r in s["by_rep"]]
    breaches = table_rows(pages["sla"], "breaches")
    assert [(r["lead_id"], r["overdue_minutes"]) for r in breaches] == \
        [(b["lead_id"], b["overdue_minutes"]) for b in worst["breached_leads"]]

    # a quarter's clocks: what `accord sla --period` prints, and fewer than all time
    quarter = cli("sla", "--period", "2025-Q2")
    shown = table_rows(pages["sla-q2"], "slas")
    assert [(r["sla"], r["met"], r["breached"], r["open"]) for r in shown] == \
        [(s["sla"], s["met"], s["breached"], s["open"]) for s in quarter["slas"]]
    assert 0 < sum(r["leads"] for r in shown) < sum(r["leads"] for r in slas)
