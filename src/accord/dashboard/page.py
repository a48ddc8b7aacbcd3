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

from accord.cells import CellKind, Column, Table, data_value, format_cell, kind_of

__all__ = ["CellKind", "Column", "Table", "data_value", "format_cell", "kind_of"]


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


def rows_of(items: Sequence[Mapping[str, Any]], keys: Sequence[str]) -> tuple[dict[str, Any],
                                                                            ...]:
    """Rows with only `keys` (in that order)."""
    return tuple({k: item.get(k) for k in keys} for item in items)
