"""The dashboard's charts: Vega-Lite specs built with Altair, drawn on the server as SVG by
`vl-convert` (no JavaScript, no CDN: the page stays within its strict CSP and works
offline). Every chart labels its marks with their values, so it reads without colour,
and each has a table twin on the page holding the same numbers.

`svg(spec)` caches drawings by the spec's JSON, so a page opened twice draws once.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
import vl_convert

WIDTH = 520
_CACHE: OrderedDict[str, str] = OrderedDict()
_CACHE_SIZE = 256
_LOCK = threading.Lock()


def svg(spec: Mapping[str, Any]) -> str:
    """The chart drawn as an SVG document (a string)."""
    key = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    drawn = vl_convert.vegalite_to_svg(dict(spec))
    with _LOCK:
        _CACHE[key] = drawn
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return drawn


def _data(rows: Sequence[Mapping[str, Any]]) -> alt.Data:
    return alt.Data(values=[dict(r) for r in rows])  # type: ignore[no-untyped-call]


def bars(rows: Sequence[Mapping[str, Any]], *, category: str, value: str,
         category_title: str, value_title: str, value_format: str = ",.0f",
         color: str | None = None, sort: Sequence[str] | None = None) -> dict[str, Any]:
    """Horizontal bars, one per `category`, labelled with their value (`value_format`: a
    d3 format such as `.0%`; the default, whole numbers, keeps ticks a whole step apart).
    `color`: a field splitting bars into side-by-side groups."""
    base = alt.Chart(_data(rows)).encode(
        y=alt.Y(f"{category}:N", title=category_title,
                sort=list(sort) if sort is not None else None),
        x=alt.X(f"{value}:Q", title=value_title,
                axis=alt.Axis(format=value_format, tickMinStep=1) if value_format == ",.0f"
                else alt.Axis(format=value_format)))
    if color is not None:
        base = base.encode(yOffset=alt.YOffset(f"{color}:N"),
                           color=alt.Color(f"{color}:N", title=None,
                                           legend=alt.Legend(orient="bottom")))
    chart = base.mark_bar() + base.mark_text(align="left", dx=3, color="black").encode(
        text=alt.Text(f"{value}:Q", format=value_format))
    spec: dict[str, Any] = chart.properties(width=WIDTH).to_dict()
    return spec


def histogram(rows: Sequence[Mapping[str, Any]], *, bin_label: str, count: str,
              bin_title: str, count_title: str, order: Sequence[str]) -> dict[str, Any]:
    """Pre-binned counts as vertical bars in `order`, each labelled with its count."""
    base = alt.Chart(_data(rows)).encode(
        x=alt.X(f"{bin_label}:N", title=bin_title, sort=list(order),
                axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{count}:Q", title=count_title))
    chart = base.mark_bar() + base.mark_text(baseline="bottom", dy=-2, color="black").encode(
        text=alt.Text(f"{count}:Q", format=",.0f"))
    spec: dict[str, Any] = chart.properties(width=WIDTH, height=220).to_dict()
    return spec


def heatmap(rows: Sequence[Mapping[str, Any]], *, x: str, y: str, value: str,
            x_title: str, y_title: str, value_title: str, value_format: str = ",.1f",
            x_sort: Sequence[str] | None = None) -> dict[str, Any]:
    """A grid of `y` rows by `x` columns, each cell shaded by `value` and labelled with
    it: many series side by side without a legend to decode."""
    base = alt.Chart(_data(rows)).encode(
        x=alt.X(f"{x}:N", title=x_title, sort=list(x_sort) if x_sort is not None else None,
                axis=alt.Axis(labelAngle=-30, orient="top")),
        y=alt.Y(f"{y}:N", title=y_title))
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", title=value_title, scale=alt.Scale(scheme="blues"),
                        legend=alt.Legend(orient="bottom", format=value_format)))
    labels = base.mark_text(fontSize=11).encode(
        text=alt.Text(f"{value}:Q", format=value_format),
        color=alt.condition(f"datum.{value} > datum.__half",
                            alt.value("white"), alt.value("black")))
    top = max((float(r[value]) for r in rows), default=0.0)
    spec: dict[str, Any] = (cells + labels).transform_calculate(
        __half=f"{top / 2!r}").properties(width=WIDTH + 180).to_dict()
    return spec
