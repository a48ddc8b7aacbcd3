"""Routing fairness (`accord route --fairness`): did each rep get its agreed share?

Per pool and period (calendar month by default, or ISO week starting Monday; periods
are UTC), for every active member of the pool:

- `assigned` — leads the pool gave the rep (rotation turns and catch-up), and `share`, that
  count over the pool's leads in the period;
- `intended_share` — the rep's weight over the pool's total weight (the contract's intent);
- `turns` — rotation turns that fell to the rep: leads taken on a turn plus turns passed
  because the rep was away or full; `available_share` — the part of those turns the rep
  could take (1.0 for a rep never skipped; empty when the rep had no turn in the period);
- `expected` — the rep's share of the pool's leads by weight *and* availability:
  `leads * w_i a_i / sum_j w_j a_j` with `a` the available share (a rep with no turn counts
  as fully available); `deviation = assigned - expected`, in leads.

and, for every skip (`engine/routing.py`), how many leads passed each rep over for which
reason, and where they went — an account owner out of office whose leads fell to the SDR
pool shows up here as well as a full SDR whose leads went to the next turn.

Over any stretch where everyone is available, the rotation keeps each rep within one
lead of its weighted share (docs/routing.md); the report measures what actually happened,
including catch-up after leave and capacity.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa

from accord.errors import EngineError

__all__ = ["FairnessReport", "Period", "RepShare", "SkipFlow", "fairness_report"]

Period = Literal["month", "week"]


@dataclass(frozen=True)
class RepShare:
    """One rep's leads in one pool and period, against its intended share."""

    pool: str
    period: date
    rep_id: str
    weight: float
    intended_share: float
    assigned: int
    share: float
    turns: int
    skipped_out_of_office: int
    skipped_at_capacity: int
    available_share: float | None
    expected: float
    deviation: float


@dataclass(frozen=True)
class SkipFlow:
    """Leads that passed a rep over for one reason, and the owner they went to."""

    rule: str
    pool: str | None
    period: date
    rep_id: str
    reason: str
    went_to: str
    leads: int


@dataclass(frozen=True)
class FairnessReport:
    period: Period
    shares: tuple[RepShare, ...]
    skips: tuple[SkipFlow, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"period": self.period,
                "shares": [asdict(s) for s in self.shares],
                "skips": [asdict(s) for s in self.skips]}

    def pools(self) -> list[str]:
        return list(dict.fromkeys(s.pool for s in self.shares))

    def for_rep(self, rep_id: str) -> FairnessReport:
        """Only `rep_id`'s shares and the skips that passed it over."""
        return FairnessReport(self.period, tuple(s for s in self.shares if s.rep_id == rep_id),
                              tuple(f for f in self.skips if f.rep_id == rep_id))


def _period_start(times: pd.Series, period: Period) -> pd.Series:
    days = times.dt.floor("D")
    if period == "month":
        return days - pd.to_timedelta(days.dt.day - 1, unit="D")
    if period == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    raise EngineError(f"period must be month or week, got {period!r}")


def _frame(table: Any) -> pd.DataFrame:
    if isinstance(table, pd.DataFrame):
        return table.copy()
    if isinstance(table, pa.Table):
        return table.to_pandas()
    return table.to_pandas()  # an Ibis table


def fairness_report(assignments: Any, skips: Any, members: Any, *,
                    period: Period = "month") -> FairnessReport:
    """Shares and skips per pool and period, from `route_leads`' three tables.

    `assignments`, `skips` and `members` are Arrow tables (or pandas frames) with the
    schemas in `engine/routing.py`: `ASSIGNMENT_SCHEMA`, `SKIP_SCHEMA`, `MEMBER_SCHEMA`.
    """
    if period not in ("month", "week"):
        raise EngineError(f"period must be month or week, got {period!r}")
    a = _frame(assignments)
    s = _frame(skips)
    m = _frame(members)
    return FairnessReport(period, _shares(a, s, m, period), _flows(s, period))


def _shares(a: pd.DataFrame, s: pd.DataFrame, m: pd.DataFrame,
            period: Period) -> tuple[RepShare, ...]:
    keys = ["pool", "period", "rep_id"]
    a = a[a["pool"].notna()].assign(period=lambda d: _period_start(d["assigned_at"], period))
    a = a.rename(columns={"owner": "rep_id"})
    s = s[s["pool"].notna()].assign(period=lambda d: _period_start(d["skipped_at"], period))
    if a.empty and s.empty:
        return ()
    assigned = a.groupby(keys).size().rename("assigned")
    on_turn = a[a["step"] == "turn"].groupby(keys).size().rename("turn_leads")
    in_turn = s[s["in_turn"]]
    passed = in_turn.groupby(keys)["turns"].sum().rename("passed_turns")
    by_reason = (s.groupby([*keys, "reason"]).size().unstack("reason")
                 .reindex(columns=["out_of_office", "at_capacity"], fill_value=0)
                 .rename(columns=lambda c: f"skipped_{c}"))
    periods = pd.concat([a[["pool", "period"]], s[["pool", "period"]]]).drop_duplicates()
    grid = m.merge(periods, on="pool")
    table = (grid.set_index(keys)
             .join([assigned, on_turn, passed, by_reason])
             .fillna({"assigned": 0, "turn_leads": 0, "passed_turns": 0,
                      "skipped_out_of_office": 0, "skipped_at_capacity": 0})
             .reset_index())
    totals = table.groupby(["pool", "period"])
    table["leads"] = totals["assigned"].transform("sum")
    table["share"] = np.where(table["leads"] > 0, table["assigned"] / table["leads"].clip(1), 0.0)
    table["intended_share"] = table["weight"] / totals["weight"].transform("sum")
    table["turns"] = table["turn_leads"] + table["passed_turns"]
    table["available_share"] = np.where(table["turns"] > 0,
                                        table["turn_leads"] / table["turns"].clip(1), np.nan)
    effective = table["weight"] * table["available_share"].fillna(1.0)
    table["expected"] = table["leads"] * effective / effective.groupby(
        [table["pool"], table["period"]]).transform("sum")
    table["deviation"] = table["assigned"] - table["expected"]
    table = table.sort_values(["pool", "period", "position"], kind="stable")
    return tuple(
        RepShare(pool=str(r["pool"]), period=pd.Timestamp(r["period"]).date(),
                 rep_id=str(r["rep_id"]), weight=float(r["weight"]),
                 intended_share=round(float(r["intended_share"]), 6),
                 assigned=int(r["assigned"]), share=round(float(r["share"]), 6),
                 turns=int(r["turns"]),
                 skipped_out_of_office=int(r["skipped_out_of_office"]),
                 skipped_at_capacity=int(r["skipped_at_capacity"]),
                 available_share=None if pd.isna(r["available_share"])
                 else round(float(r["available_share"]), 6),
                 expected=round(float(r["expected"]), 4), deviation=round(float(r["deviation"]), 4))
        for r in table.to_dict("records"))


def _flows(s: pd.DataFrame, period: Period) -> tuple[SkipFlow, ...]:
    if s.empty:
        return ()
    s = s.assign(period=_period_start(s["skipped_at"], period), pool=s["pool"].fillna(""))
    keys = ["rule", "pool", "period", "rep_id", "reason", "went_to"]
    flows = s.groupby(keys).size().rename("leads").reset_index()
    flows = flows.sort_values(["period", "rule", "pool", "rep_id", "reason", "leads", "went_to"],
                              ascending=[True, True, True, True, True, False, True],
                              kind="stable")
    return tuple(
        SkipFlow(rule=str(r["rule"]), pool=str(r["pool"]) or None,
                 period=pd.Timestamp(r["period"]).date(), rep_id=str(r["rep_id"]),
                 reason=str(r["reason"]), went_to=str(r["went_to"]), leads=int(r["leads"]))
        for r in flows.to_dict("records"))
