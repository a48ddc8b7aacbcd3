"""How a figure is shown in a table cell, the same on the dashboard and in the meeting
packs: the formatted text by the cell's kind (a KPI's `measure` follows its unit), and the
exact value as JSON kept beside it (`data-value` in HTML) so a reader can check it."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

CellKind = Literal["text", "int", "float", "share", "minutes", "days", "money", "when",
                   "measure"]

#: How a `measure` cell shows its value, by the row's `unit` (a KPI's unit).
UNIT_KINDS: dict[str, CellKind] = {"share": "share", "currency": "money"}


def kind_for(kind: CellKind, row: Mapping[str, Any]) -> CellKind:
    """The kind a cell is shown as: a `measure` cell follows its row's `unit`."""
    if kind != "measure":
        return kind
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


@dataclass(frozen=True)
class Column:
    """One column of a shown table: the row key, its label, how its cells are formatted,
    and (on the dashboard) a page path the cell's value links to."""

    key: str
    label: str
    kind: CellKind = "text"
    link: str | None = None


@dataclass(frozen=True)
class Table:
    """Rows of plain values shown as a table (dashboard page or meeting pack); `id` names
    it (`<table id=...>`) and is what its chart twin, if any, points at."""

    id: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    note: str | None = None
    empty: str = "Nothing to show."


def kind_of(column: Column, row: Mapping[str, Any]) -> CellKind:
    """The kind a cell is shown as: a `measure` column follows the row's `unit`."""
    return kind_for(column.kind, row)
