"""A meeting pack as data: sections of paragraphs, tables and charts, plus the facts every
pack states (period, contract version, view, freshness) and its time-boxed agenda.

Builders (`reports/packs.py`) fill it from the library; renderers (`reports/render.py`)
turn it into Markdown, HTML or PDF. Nothing here computes a figure."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from accord.cells import CellKind, Column, Table, data_value, format_cell, kind_of
from accord.contract.cadences import PACK_FOR_EVERY, PACK_KINDS

__all__ = ["PACK_FOR_EVERY", "PACK_KINDS", "CellKind", "Column", "Table", "data_value",
           "format_cell", "kind_of"]


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

    def as_dict(self) -> dict[str, Any]:
        """The pack as data (`accord report --json`): its facts, agenda and every table's
        rows with their exact values; charts by id with the table holding their numbers."""
        def block(b: Block) -> dict[str, Any]:
            if isinstance(b, Table):
                return {"type": "table", "id": b.id, "title": b.title,
                        "columns": [{"key": c.key, "label": c.label, "kind": c.kind}
                                    for c in b.columns],
                        "rows": [{c.key: _plain(r.get(c.key)) for c in b.columns}
                                 for r in b.rows], "note": b.note}
            if isinstance(b, Figure):
                return {"type": "figure", "id": b.id, "title": b.title, "table": b.table}
            return {"type": "paragraph", "text": b.text}

        return {"kind": self.kind, "title": self.title, "purpose": self.purpose,
                "period": {"label": self.period_label,
                           "start": _plain(self.period_start), "end": _plain(self.period_end)},
                "contract_version": self.contract_version, "view": self.view,
                "view_label": self.view_label, "as_of": _plain(self.as_of),
                "minutes": self.minutes, "attendees": list(self.attendees),
                "agenda": [{"item": t, "minutes": m} for t, m in self.agenda()],
                "sections": [{"title": s.title, "minutes": s.minutes,
                              "blocks": [block(b) for b in s.blocks]} for s in self.sections],
                "notes": list(self.notes)}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def time_boxes(total: int, weights: Sequence[int]) -> list[int]:
    """`total` minutes split over sections by `weights`, whole minutes, summing to `total`
    (largest remainders get the spare minutes; a section of weight 0 gets none)."""
    whole = sum(weights)
    exact = [total * w / whole for w in weights]
    out = [math.floor(x) for x in exact]
    spare = total - sum(out)
    order = sorted((i for i in range(len(exact)) if weights[i] > 0),
                   key=lambda i: (out[i] - exact[i], i))
    for i in order[:spare]:
        out[i] += 1
    return out
