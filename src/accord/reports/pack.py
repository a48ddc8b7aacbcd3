"""A meeting pack as data: sections of paragraphs, tables and charts, plus the facts every
pack states (period, contract version, view, freshness) and its time-boxed agenda.

Builders (`reports/packs.py`) fill it from the library; renderers (`reports/render.py`)
turn it into Markdown, HTML or PDF. Nothing here computes a figure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from accord.cells import CellKind, data_value, format_cell, kind_for

__all__ = ["CellKind", "Column", "data_value", "format_cell"]

#: The packs `accord report` prepares, one per cadence rhythm.
PACK_KINDS: tuple[str, ...] = ("weekly", "biweekly", "monthly", "quarterly")
#: The pack a contract cadence brings, by its `every` (`accord cadence ics` names it).
PACK_FOR_EVERY: dict[str, str] = {
    "week": "weekly", "two_weeks": "biweekly", "month": "monthly", "quarter": "quarterly"}

@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: CellKind = "text"


@dataclass(frozen=True)
class Table:
    """Rows of plain values; `id` names the table in HTML (`<table id=...>`)."""

    id: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[Mapping[str, Any], ...]
    note: str | None = None
    empty: str = "Nothing to show."


@dataclass(frozen=True)
class Figure:
    """A Vega-Lite chart (drawn to SVG by the renderer) and the table holding its numbers."""

    id: str
    title: str
    spec: Mapping[str, Any]
    table: str


@dataclass(frozen=True)
class Para:
    text: str


Block = Table | Figure | Para


@dataclass(frozen=True)
class Section:
    title: str
    blocks: tuple[Block, ...]
    minutes: int | None = None  # the agenda's time box for this section


@dataclass(frozen=True)
class Pack:
    kind: str  # weekly | biweekly | monthly | quarterly
    title: str
    purpose: str
    period_label: str
    period_start: datetime | None
    period_end: datetime | None
    contract_version: int
    view: str
    view_label: str
    as_of: datetime
    minutes: int
    attendees: tuple[str, ...]
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)

    def facts(self) -> tuple[tuple[str, str], ...]:
        """What every pack states up front."""
        return (("Period", self.period_label),
                ("Contract version", str(self.contract_version)),
                ("View", self.view_label),
                ("Data as of", f"{self.as_of:%Y-%m-%d %H:%M} UTC"),
                ("Meeting", f"{self.minutes} minutes; " + ", ".join(self.attendees)))

    def agenda(self) -> tuple[tuple[str, int], ...]:
        return tuple((s.title, s.minutes) for s in self.sections if s.minutes)


def kind_of(column: Column, row: Mapping[str, Any]) -> CellKind:
    """The kind a cell is shown as: a `measure` column follows the row's `unit`."""
    return kind_for(column.kind, row)


def time_boxes(total: int, weights: Sequence[int]) -> list[int]:
    """`total` minutes split over sections by `weights`, whole minutes, summing to `total`
    (largest remainders get the spare minutes)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [math.floor(x) for x in exact]
    spare = total - sum(out)
    order = sorted(range(len(exact)), key=lambda i: (out[i] - exact[i], i))
    for i in order[:spare]:
        out[i] += 1
    return out
