"""What a dashboard page is made of: tables, charts (each with its table twin), facts and
forms. Page builders (`dashboard/pages/`) return a `PageContent`; one template renders any
of them, so a page is only the library calls and the choice of columns.

A table cell keeps the library's value (`data-value` on the page, the same JSON the API
and `--json` give) beside its formatted text, so a reader — or a test — can check the
figure exactly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

CellKind = Literal["text", "int", "float", "share", "minutes", "days", "money", "when",
                   "measure"]

#: How a `measure` cell shows its value, by the row's `unit` (a KPI's unit).
UNIT_KINDS: dict[str, CellKind] = {"share": "share", "currency": "money"}


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: CellKind = "text"
    link: str | None = None  # a page path the cell's value is appended to


@dataclass(frozen=True)
class Table:
    """A table; `id` is what its chart twin (if any) names."""

    id: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    note: str | None = None
    empty: str = "Nothing to show for this choice."


@dataclass(frozen=True)
class Chart:
    """A Vega-Lite chart, drawn on the server as SVG; `table_id` is its table twin."""

    id: str
    title: str
    spec: Mapping[str, Any]
    table_id: str


@dataclass(frozen=True)
class Facts:
    """A short list of labelled values (the contract version, the data's freshness)."""

    id: str
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Literal["hidden", "text", "select", "textarea"] = "text"
    value: str = ""
    options: tuple[str, ...] = ()


@dataclass(frozen=True)
class Form:
    """A write form (POST, with the session's CSRF token added by the template)."""

    id: str
    action: str
    button: str
    fields: tuple[Field, ...] = ()
    title: str | None = None


@dataclass(frozen=True)
class Note:
    text: str
    tone: Literal["info", "warning"] = "info"


Section = Table | Chart | Facts | Form | Note


@dataclass(frozen=True)
class Picker:
    """A choice at the top of a page (a GET parameter)."""

    name: str
    label: str
    value: str
    options: tuple[tuple[str, str], ...]  # (value, label)


@dataclass(frozen=True)
class PageContent:
    title: str
    view: str  # "actual" or "derived": which view the page's figures read
    intro: str
    sections: tuple[Section, ...]
    pickers: tuple[Picker, ...] = ()
    facts: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def kind_of(column: Column, row: Mapping[str, Any]) -> CellKind:
    """The kind a cell is shown as: a `measure` column follows the row's `unit`."""
    if column.kind != "measure":
        return column.kind
    return UNIT_KINDS.get(str(row.get("unit")), "float")


def format_cell(value: Any, kind: CellKind) -> str:
    """The text a cell shows (its exact value is kept in `data-value`)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if kind == "share":
        return f"{100 * float(value):.1f} %"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{float(value):,.2f}"
    if kind == "minutes":
        return f"{float(value):,.0f} min"
    if kind == "days":
        return f"{float(value):,.1f} d"
    if kind == "money":
        return f"{float(value):,.0f}"
    if kind == "when":
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        return str(value).replace("T", " ")[:16]
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def data_value(value: Any) -> str:
    """A cell's exact value as JSON (what `--json` would print)."""
    if isinstance(value, datetime | date):
        return json.dumps(value.isoformat())
    if isinstance(value, float) and math.isnan(value):
        return "null"
    return json.dumps(value, default=str)


def rows_of(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> tuple[dict[str, Any],
                                                                            ...]:
    """Rows with only `keys` (in that order)."""
    return tuple({k: item.get(k) for k in keys} for item in items)
