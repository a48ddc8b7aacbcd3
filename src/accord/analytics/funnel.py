"""The lifecycle funnel: how many leads reached each stage, and stage-to-stage conversion.

A lead *reached* a stage when it has a stage event into that stage or into any later
funnel stage (a lead accepted straight to SAL still passed MQL), so counts never rise
down the funnel. `Opportunity` is also reached by having an opportunity row, and `Won` by
having a won opportunity (or a `Customer` stage event). Cohort view: leads are counted
in full whatever the period; a period filter applies to lead creation time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

import ibis

from accord.store import Store

FUNNEL_STAGES: tuple[str, ...] = ("Lead", "MQL", "SAL", "SQL", "Opportunity", "Won")
_EVENT_DEPTH = {"MQL": 1, "SAL": 2, "SQL": 3, "Opportunity": 4, "Customer": 5}


@dataclass(frozen=True)
class FunnelRow:
    group: str
    counts: tuple[int, ...]

    @property
    def conversions(self) -> tuple[float | None, ...]:
        """Stage-to-stage conversion: reached(next) / reached(this); None when 0/0."""
        return tuple(
            (b / a) if a else None for a, b in pairwise(self.counts)
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "counts": dict(zip(FUNNEL_STAGES, self.counts, strict=True)),
            "conversion": {
                f"{a}->{b}": c
                for (a, b), c in zip(pairwise(FUNNEL_STAGES), self.conversions, strict=True)
            },
        }


@dataclass(frozen=True)
class Funnel:
    total: FunnelRow
    by: str | None
    groups: tuple[FunnelRow, ...]

    def as_dict(self) -> dict[str, object]:
        return {"stages": list(FUNNEL_STAGES), "total": self.total.as_dict(), "by": self.by,
                "groups": [g.as_dict() for g in self.groups]}


def lead_depth(store: Store) -> ibis.Table:
    """One row per lead: lead columns plus `depth`, the index in FUNNEL_STAGES reached."""
    ev = store.table("stage_events")
    depth_expr = ev.to_stage.cases(*_EVENT_DEPTH.items(), else_=0)
    from_events = ev.group_by("lead_id").aggregate(depth=depth_expr.max())
    opp = store.table("opportunities")
    from_opps = (
        opp.filter(opp.lead_id.notnull())
        .group_by("lead_id")
        .aggregate(depth=ibis.ifelse(opp.status == "won", 5, 4).max())
    )
    both = from_events.union(from_opps).group_by("lead_id").aggregate(depth=ibis._.depth.max())
    leads = store.table("leads")
    joined = leads.left_join(both, leads.lead_id == both.lead_id)
    return joined.select(*[leads[c] for c in leads.columns],
                         depth=joined.depth.fill_null(0).cast("int64"))


def compute_funnel(store: Store, *, by: str | None = None, since: datetime | None = None,
                   until: datetime | None = None) -> Funnel:
    """Funnel counts overall and (optionally) by a lead column such as `channel`."""
    t = lead_depth(store)
    if since is not None:
        t = t.filter(t.created_at >= since)
    if until is not None:
        t = t.filter(t.created_at < until)
    metrics = {f"s{i}": ibis.ifelse(t.depth >= i, 1, 0).sum()
               for i in range(len(FUNNEL_STAGES))}
    total = t.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    total_row = FunnelRow("all", tuple(int(total[f"s{i}"] or 0)
                                       for i in range(len(FUNNEL_STAGES))))
    groups: list[FunnelRow] = []
    if by:
        if by not in t.columns:
            raise KeyError(f"cannot group the funnel by {by!r}; lead columns: "
                           f"{', '.join(c for c in t.columns if c != 'depth')}")
        rows = (t.group_by(by).aggregate(**metrics).order_by(ibis.desc("s0"), by)
                .to_pyarrow().to_pylist())
        groups = [FunnelRow(str(r[by]) if r[by] is not None else "(none)",
                            tuple(int(r[f"s{i}"] or 0) for i in range(len(FUNNEL_STAGES))))
                  for r in rows]
    return Funnel(total_row, by, tuple(groups))
