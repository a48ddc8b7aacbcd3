"""What a dashboard page is made of: tables, charts (each with its table twin), facts and
forms. Page builders (`dashboard/pages/`) return a `PageContent`; one template renders any
of them, so a page is only the library calls and the choice of columns.

A table cell keeps the library's value (`data-value` on the page, the same JSON the API
and `--json` give) beside its formatted text, so a reader — or a test — can check the
figure exactly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from accord.cells import CellKind, data_value, format_cell, kind_for

__all__ = ["CellKind", "data_value", "format_cell"]


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
    return kind_for(column.kind, row)


def rows_of(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> tuple[dict[str, Any],
                                                                            ...]:
    """Rows with only `keys` (in that order)."""
    return tuple({k: item.get(k) for k in keys} for item in items)
