"""The funnel, insights and attribution pages show what `accord funnel --json`,
`accord insights --json` and `accord attribution --compare --json` print for the same
period, split and view (read from each page's table twin, after the server stopped)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from conftest import Company, _dash, accord, table_rows

PAGES: dict[str, tuple[str, dict[str, str]]] = {
    "funnel": ("/dashboard/funnel", {}),
    "funnel-q2-channel": ("/dashboard/funnel", {"period": "2025-Q2", "by": "channel",
                                                "view": "derived"}),
    "insights": ("/dashboard/insights", {}),
    "attribution": ("/dashboard/attribution", {}),
    "attribution-revenue": ("/dashboard/attribution", {"measure": "revenue",
                                                       "period": "2025"}),
}


def _funnel_rows(group: dict[str, Any], stages: list[str]) -> list[tuple[Any, ...]]:
    """(stage, leads, conversion from the stage before) — conversion read by stage name."""
    out = []
    for i, stage in enumerate(stages):
        conv = None if i == 0 else group["conversion"][f"{stages[i - 1]}->{stage}"]
        out.append((group["group"], stage, group["counts"][stage], conv))
    return out


def test_funnel_insights_and_attribution_pages_equal_the_cli_json(
        company: Company, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    shutil.copytree(company.root, root)
    pages: dict[str, str] = {}
    for dash in _dash(root, company):
        for name, (path, params) in PAGES.items():
            r = dash.get(path, **params)
            assert r.status_code == 200, (name, r.text)
            pages[name] = r.text

    def cli(*args: str) -> dict[str, Any]:
        out: dict[str, Any] = json.loads(accord(*args, "--json", "-w", str(root), cwd=root))
        return out

    for name, args, split in (
            ("funnel", (), False),
            ("funnel-q2-channel", ("--period", "2025-Q2", "--by", "channel",
                                   "--view", "derived"), True)):
        want = cli("funnel", *args)
        stages = want["stages"]
        shown = [("all", r["stage"], r["leads"], r["conversion"])
                 for r in table_rows(pages[name], "funnel-total")]
        assert shown == _funnel_rows(want["total"], stages), name
        # a real funnel: leads in, customers out
        assert shown[0][2] > shown[-1][2] > 0 and want["total"]["group"] == "all", name
        if split:
            groups = [(r["group"], r["stage"], r["leads"], r["conversion"])
                      for r in table_rows(pages[name], "funnel-groups")]
            assert groups == [row for g in want["groups"] for row in _funnel_rows(g, stages)]
            assert len({g[0] for g in groups}) > 2
            # the split adds up to the total, stage by stage (an independent check)
            for stage, leads in ((s[1], s[2]) for s in shown):
                assert sum(g[2] for g in groups if g[1] == stage) == leads
    assert 'class="chart"' in pages["funnel"] and "<svg" in pages["funnel"]

    found = cli("insights")
    rows = table_rows(pages["insights"], "insights")
    assert [(r["dimension"], r["value"], r["from_stage"], r["to_stage"], r["n"], r["ratio"],
             r["q_value"]) for r in rows] == \
        [(i["dimension"], i["value"], i["from_stage"], i["to_stage"], i["n"], i["ratio"],
          i["q_value"]) for i in found["insights"]]
    assert all(r["q_value"] <= found["fdr"] and r["ci_low"] <= r["ratio"] <= r["ci_high"]
               for r in rows)
    assert table_rows(pages["insights"], "rejections") == found["top_rejection_reasons"]

    for name, args in (("attribution", ()),
                       ("attribution-revenue", ("--measure", "revenue", "--period", "2025"))):
        want = cli("attribution", "--compare", *args)
        shown = table_rows(pages[name], "attribution")
        assert shown == want["rows"], name
        models = want["models"]
        assert len(models) > 5
        # every model hands out the same total credit (the wins, or the booked revenue)
        totals = [sum(r[m] for r in shown) for m in models]
        assert max(totals) - min(totals) < 1e-6 * max(1.0, max(totals)), (name, totals)
