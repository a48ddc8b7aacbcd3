"""Attribution: every model side by side per channel
(`analytics.attribution.report.compare_models`, as `accord attribution --compare --json`)."""

from __future__ import annotations

from typing import Any

from accord.analytics.attribution.report import compare_models
from accord.analytics.kpis.period import parse_period
from accord.dashboard import charts
from accord.dashboard.page import Chart, Column, PageContent, Picker, Table
from accord.dashboard.pages.common import PageContext, freshness, period_picker

MEASURES = ("conversions", "revenue")


def build(ctx: PageContext) -> PageContent:
    measure = ctx.get("measure", "conversions") or "conversions"
    if measure not in MEASURES:
        measure = "conversions"
    result = compare_models(ctx.store, ctx.contract, by="channel",
                            measure=measure,  # type: ignore[arg-type]
                            period=parse_period(ctx.period), lookback_days=None)
    data: dict[str, Any] = result.as_dict()
    models: list[str] = data["models"]
    long = [{"channel": r["channel"], "model": m, "credit": r[m]}
            for r in data["rows"] for m in models]
    fmt = ",.1f" if measure == "conversions" else ",.0f"
    chart = charts.heatmap(long, x="model", y="channel", value="credit", x_title="model",
                           y_title="channel", value_title=f"credited {measure}",
                           value_format=fmt, x_sort=models)
    table = Table("attribution", f"Credited {measure} per channel, one column per model",
                  (Column("channel", "Channel"),
                   *(Column(m, m.replace("_", " "), "float") for m in models)),
                  tuple(data["rows"]))
    return PageContent(
        "Attribution", "actual",
        "Every attribution model side by side per channel: where the models agree, the "
        "credit is robust. The same figures as accord attribution --compare --json.",
        (Chart("attribution-chart", f"Credited {measure}: channels by model (labels: credit)",
               chart, "attribution"), table),
        (period_picker(ctx), Picker("measure", "Measure", measure,
                                    tuple((m, m) for m in MEASURES))), freshness(ctx))
