"""What a definition change would do (`accord whatif`, `accord contract diff --impact`).

Two views of the same facts side by side, each read with the functions every other
command reads (one definition per figure):

- `whatif`: the store's **derived** view (the active contract, as `accord run` left it)
  against the **scenario** view of a proposed contract (`engine/scenario.py`: the same
  engine replayed over the same facts in a private store, the store left untouched);
- `contract_impact`: two scenarios, OLD and NEW, both replayed over the store's facts.

For the period (`analytics/kpis/period.py`; default all time) each side gives:

- **KPIs** (`compute_kpis`, the `accord kpis` function, on the `basis` asked, in the side's
  view): `WHATIF_KPIS` — volume and conversion into the handoff stage (MQL), acceptance
  (handoff → accepted, MQL → SAL), rejections, speed to lead. As `accord kpis` counts
  them, a lead reached a stage when it reached it or any later one, so a lead sales
  accepted counts as handed off even when the side's contract would not have handed it
  off (facts are facts: the acceptance happened);
- **SLAs** (`compute_sla_clocks` + `summarise`, the `accord sla` functions, clocks started
  in the period): each per-lead SLA's share within (met ÷ (met + breached)) and, for each
  volume SLA, the leads that first entered its stage, the acceptance of those decided
  (accepted ÷ (accepted + rejected)) and the months met;
- **SLA load per rep per week** (`sla_load`): each lead counts once, in the week (Monday
  to Sunday, UTC) its first per-lead SLA clock started, for the rep the side routed it to
  (`assignments.owner`; `(none)` when not routed, a queue name for a queue), against the
  rep's capacity: `reps.capacity_per_day` × the working days of the side's calendar week.
  Every week of the period counts (all time: the months with leads), up to the as-of
  time, so the mean per week of both sides divides by the same weeks;
- **expected pipeline** (`PipelineValue`): the side's leads reaching the handoff stage in
  the period (`lead_to_mql`'s numerator) × the company's historical pipeline per such lead,
  read once in the **actual** view over all time: `pipeline_created` ÷ leads that reached
  the handoff stage = (leads that reached the opportunity stage ÷ leads that reached the
  handoff stage, the historical handoff → opportunity rate) × (`pipeline_created` ÷ leads
  that reached the opportunity stage, the average pipeline per such lead). The same value
  per lead on both sides, so Δ is the change in handoff volume valued at what a handed-off
  lead has been worth — not a forecast of a change in quality (acceptance shows that).

**Leads that change** (`lead_changes`): for the leads created in the period, each side's
current stage (`stages`), ICP tier (`scores`) and owner (`assignments`), joined on the
lead (Arrow, no loop over rows): counts per kind, the moves (old → new, with counts) and
the list of changed leads (`LeadChanges.table`, what `--leads-out` writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Final, Literal

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from accord.analytics.kpis import (
    KPIS,
    Basis,
    KpiReport,
    KpiRow,
    Period,
    compute_kpis,
    parse_period,
)
from accord.analytics.kpis.compute import data_span
from accord.analytics.kpis.context import BASIS_CHOICES, BASIS_LABELS, in_period
from accord.analytics.kpis.definitions import stage_words
from accord.analytics.kpis.dimensions import NONE_LABEL
from accord.contract.compiled import CompiledContract
from accord.contract.instants import naive_utc
from accord.engine.scenario import SCENARIO_LABEL, SCENARIO_VIEW, run_scenario
from accord.engine.sla_clock import (
    SlaClocks,
    SlaSummary,
    VolumeMonth,
    compute_sla_clocks,
    summarise,
)
from accord.engine.views import VIEW_LABELS
from accord.errors import UnknownNameError
from accord.store.as_of import AsOf, resolve_as_of
from accord.store.base import Store

__all__ = ["CHANGE_KINDS", "WHATIF_KPIS", "ContractRef", "Figure", "LeadChanges",
           "LoadChange", "Move", "PipelineValue", "Reading", "RepWeeks", "SideFigures",
           "SlaLoad", "ViewSide", "WhatIf", "compare_views", "contract_impact",
           "lead_changes", "side_figures", "sla_load", "whatif"]

SideView = Literal["derived", "scenario"]

#: The KPIs a what-if compares (registry names, `analytics/kpis/definitions.py`).
#: (Speed to lead within SLA is the speed-to-lead SLA's row: one clock, shown once.)
WHATIF_KPIS: Final = ("lead_to_mql", "mql_volume", "mql_to_sal", "mql_rejection_rate",
                      "speed_to_lead_median_minutes")
_KPI_LABELS: Final = {
    "lead_to_mql": "leads reaching {handoff}",
    "mql_volume": "{handoff}s per month",
    "mql_to_sal": "acceptance: {handoff} → {accepted}",
    "mql_rejection_rate": "{handoff}s rejected",
    "speed_to_lead_median_minutes": "speed to lead, median",
}
#: What `lead_changes` compares, in column order.
CHANGE_KINDS: Final = ("stage", "tier", "owner")
_DERIVED_NEEDED: Final = ("stage_history", "stages", "scores", "assignments")
_PIPELINE_KPIS: Final = ("lead_to_mql", "lead_to_opportunity", "pipeline_created")


# -- small result types ------------------------------------------------------------------------
@dataclass(frozen=True)
class ContractRef:
    """Which contract a side ran: version, file and SHA-256 of its text."""

    version: int
    path: str | None
    sha256: str | None

    @classmethod
    def of(cls, contract: CompiledContract) -> ContractRef:
        return cls(contract.version, None if contract.path is None else str(contract.path),
                   contract.sha256)

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version, "path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class ViewSide:
    """One side of a comparison: the store whose derived tables hold the side's view
    (the workspace store for the derived view, a scenario's private store for a
    scenario) and the contract that computed them."""

    view: SideView
    store: Store
    contract: CompiledContract


@dataclass(frozen=True)
class Reading:
    """One side's value of a figure, with its numerator and denominator when it is a
    ratio (a count's numerator is the count)."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "numerator": self.numerator,
                "denominator": self.denominator}


_NONE: Final = Reading(None)


@dataclass(frozen=True)
class Figure:
    """One compared figure: `kind` is `kpi`, `sla`, `volume` or `pipeline`; `unit` is the
    KPI unit vocabulary (`share`, `per month`, `business minutes`, `currency`) or
    `leads`; `delta` is new − old (for a share, in share points: 0.05 = 5 points)."""

    key: str
    kind: Literal["kpi", "sla", "volume", "pipeline"]
    label: str
    unit: str
    old: Reading
    new: Reading

    @property
    def delta(self) -> float | None:
        if self.old.value is None or self.new.value is None:
            return None
        return self.new.value - self.old.value

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "kind": self.kind, "label": self.label, "unit": self.unit,
                "old": self.old.as_dict(), "new": self.new.as_dict(), "delta": self.delta}


@dataclass(frozen=True)
class RepWeeks:
    """One owner's SLA load: leads per week over `SlaLoad.weeks` weeks, against its
    capacity per week (None: no `capacity_per_day`, or not a rep)."""

    owner: str
    name: str | None
    capacity_per_week: float | None
    leads: int
    mean_per_week: float
    peak_week: int
    weeks_over: int | None  # weeks with more leads than the capacity; None without one

    def as_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass(frozen=True)
class SlaLoad:
    """SLA load per owner per week (see the module docstring) over `weeks` weeks starting
    on Monday `first_week`."""

    weeks: int
    first_week: date | None
    working_days: int
    reps: tuple[RepWeeks, ...]

    def rep(self, owner: str) -> RepWeeks | None:
        return next((r for r in self.reps if r.owner == owner), None)

    def as_dict(self) -> dict[str, Any]:
        return {"weeks": self.weeks,
                "first_week": None if self.first_week is None else self.first_week.isoformat(),
                "working_days": self.working_days, "reps": [r.as_dict() for r in self.reps]}


@dataclass(frozen=True)
class PipelineValue:
    """The historical pipeline per lead that reached the handoff stage, from the actual
    view over all time (see the module docstring)."""

    handoff_leads: float
    opportunity_leads: float
    pipeline: float

    @property
    def rate(self) -> float | None:
        """Leads that reached the opportunity stage ÷ leads that reached the handoff one."""
        return self.opportunity_leads / self.handoff_leads if self.handoff_leads else None

    @property
    def average(self) -> float | None:
        """Pipeline created ÷ leads that reached the opportunity stage."""
        return self.pipeline / self.opportunity_leads if self.opportunity_leads else None

    @property
    def per_lead(self) -> float | None:
        return self.pipeline / self.handoff_leads if self.handoff_leads else None

    def expected(self, handoff_leads: float | None) -> float | None:
        per = self.per_lead
        return None if per is None or handoff_leads is None else handoff_leads * per

    def as_dict(self) -> dict[str, Any]:
        return {"view": "actual", "period": "all time", "handoff_leads": self.handoff_leads,
                "opportunity_leads": self.opportunity_leads, "pipeline": self.pipeline,
                "rate": self.rate, "average": self.average, "per_lead": self.per_lead}


@dataclass(frozen=True)
class SideFigures:
    """Everything one side says for the period, read in its view."""

    view: SideView
    view_label: str
    contract: ContractRef
    kpis: KpiReport
    slas: tuple[SlaSummary, ...]
    volume: tuple[VolumeMonth, ...]
    load: SlaLoad
    expected_pipeline: float | None

    def kpi(self, name: str) -> KpiRow | None:
        return next((r for r in self.kpis.rows if r.kpi == name and r.total), None)

    def sla(self, name: str) -> SlaSummary | None:
        return next((s for s in self.slas if s.sla == name), None)

    def as_dict(self) -> dict[str, Any]:
        return {"view": self.view, "view_label": self.view_label,
                "contract": self.contract.as_dict(),
                "kpis": [r.as_dict() for r in self.kpis.rows if r.total],
                "kpi_definitions": dict(self.kpis.definitions),
                "slas": [s.as_dict() for s in self.slas],
                "volume": [m.as_dict() for m in self.volume],
                "load": self.load.as_dict(), "expected_pipeline": self.expected_pipeline}


@dataclass(frozen=True)
class LoadChange:
    """One owner's SLA load on both sides (None: no lead on that side)."""

    owner: str
    name: str | None
    capacity_per_week: float | None
    old: RepWeeks | None
    new: RepWeeks | None

    def as_dict(self) -> dict[str, Any]:
        return {"owner": self.owner, "name": self.name,
                "capacity_per_week": self.capacity_per_week,
                "old": None if self.old is None else self.old.as_dict(),
                "new": None if self.new is None else self.new.as_dict()}


@dataclass(frozen=True)
class Move:
    """How many compared leads went from `old` to `new` for one kind (None: none)."""

    old: str | None
    new: str | None
    leads: int

    def as_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "leads": self.leads}


@dataclass(frozen=True)
class LeadChanges:
    """Leads created in the period whose stage, tier or owner differs between the sides.

    `table`: one row per changed lead, by lead id — lead_id, changed (the kinds that
    differ, comma-separated), then old_/new_ stage, tier and owner."""

    leads: int
    changed: Mapping[str, int]  # per kind of `CHANGE_KINDS`, and `any`
    moves: Mapping[str, tuple[Move, ...]]  # per kind, most leads first
    table: pa.Table = field(repr=False)

    def as_dict(self, *, leads: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "leads": self.leads, "changed": dict(self.changed),
            "moves": {k: [m.as_dict() for m in v] for k, v in self.moves.items()}}
        if leads:
            out["changed_leads"] = self.table.to_pylist()
        return out


@dataclass(frozen=True)
class WhatIf:
    """Both sides, the compared figures, the SLA load per owner and the leads that
    change, for one period as of one moment."""

    as_of: AsOf
    period: Period
    basis: Basis
    old: SideFigures
    new: SideFigures
    figures: tuple[Figure, ...]
    load: tuple[LoadChange, ...]
    changes: LeadChanges
    pipeline: PipelineValue
    notes: tuple[str, ...]

    def figure(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise UnknownNameError("figure", key, [f.key for f in self.figures])

    def as_dict(self, *, leads: bool = True) -> dict[str, Any]:
        return {"as_of": self.as_of.at.isoformat(), "as_of_source": self.as_of.source,
                "period": self.period.as_dict(), "basis": self.basis,
                "basis_label": BASIS_LABELS[self.basis],
                "old": self.old.as_dict(), "new": self.new.as_dict(),
                "figures": [f.as_dict() for f in self.figures],
                "load": [x.as_dict() for x in self.load],
                "changes": self.changes.as_dict(leads=leads),
                "pipeline_value": self.pipeline.as_dict(), "notes": list(self.notes)}


# -- one side ----------------------------------------------------------------------------------
def _reps(store: Store) -> pa.Table:
    return store.table("reps").select("rep_id", "name", "capacity_per_day").to_pyarrow()


def _window(actual: Store, period: Period, at: datetime) -> tuple[datetime, datetime] | None:
    """The period's bounds, all time bounded by the months with leads, ending by `at`."""
    bounded = period if not period.is_all_time else data_span(actual)
    if bounded is None or bounded.start is None or bounded.end is None:
        return None
    end = min(bounded.end, at + timedelta(microseconds=1))
    return (bounded.start, end) if end > bounded.start else None


def _monday(days: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """Day numbers (days since 1970-01-01, a Thursday) of the Monday starting each week."""
    return days - (days + 3) % 7


def sla_load(clocks: SlaClocks, assignments: pa.Table, reps: pa.Table, *, working_days: int,
             window: tuple[datetime, datetime] | None) -> SlaLoad:
    """SLA load per owner per week (module docstring): `clocks` as `compute_sla_clocks`
    returns them (every start, not cut to the period), `assignments` the side's derived
    routing (lead_id, owner), `reps` the reps facts (rep_id, name, capacity_per_day)."""
    if window is None:
        return SlaLoad(0, None, working_days, ())
    lo, hi = window
    lo_day = int(np.datetime64(lo, "D").astype(np.int64))
    hi_day = int((np.datetime64(hi, "us") - np.timedelta64(1, "us")).astype("datetime64[D]")
                 .astype(np.int64))
    first_monday = int(_monday(np.array([lo_day]))[0])
    weeks = (int(_monday(np.array([hi_day]))[0]) - first_monday) // 7 + 1
    first_week = date(1970, 1, 1) + timedelta(days=first_monday)
    states = clocks.states.select(["lead_id", "start_at"])
    firsts = states.group_by("lead_id").aggregate([("start_at", "min")])
    start = firsts.column("start_at_min")
    keep = pc.and_(pc.greater_equal(start, pa.scalar(lo, pa.timestamp("us"))),
                   pc.less(start, pa.scalar(hi, pa.timestamp("us"))))
    firsts = firsts.filter(keep)
    owners = assignments.select(["lead_id", "owner"])
    joined = firsts.join(owners, "lead_id", join_type="left outer")
    day = (joined.column("start_at_min").to_numpy().astype("datetime64[D]")
           .astype(np.int64))
    week = (_monday(day) - first_monday) // 7
    owner = pc.fill_null(joined.column("owner"), NONE_LABEL)
    per_week = pa.table({"owner": owner, "week": pa.array(week, pa.int64()),
                         "lead_id": joined.column("lead_id")}).group_by(
        ["owner", "week"]).aggregate([("lead_id", "count")])
    cap = reps.select(["rep_id", "capacity_per_day"]).rename_columns(["owner", "per_day"])
    per_week = per_week.join(cap, "owner", join_type="left outer")
    per_day = per_week.column("per_day").cast(pa.float64())
    cap_week = pc.multiply(per_day, float(working_days))
    over = pc.cast(pc.greater(per_week.column("lead_id_count"), cap_week), pa.int64())
    per_week = per_week.append_column("over", over)
    per_owner = per_week.group_by("owner").aggregate(
        [("lead_id_count", "sum"), ("lead_id_count", "max"), ("over", "sum")])
    names = dict(zip(reps.column("rep_id").to_pylist(), reps.column("name").to_pylist(),
                     strict=True))
    capacity = dict(zip(reps.column("rep_id").to_pylist(),
                        reps.column("capacity_per_day").to_pylist(), strict=True))
    rows: list[RepWeeks] = []
    for r in per_owner.to_pylist():  # one row per owner, not per lead
        per = capacity.get(r["owner"])
        week_cap = None if per is None else float(per) * working_days
        rows.append(RepWeeks(r["owner"], names.get(r["owner"]), week_cap,
                             int(r["lead_id_count_sum"]), r["lead_id_count_sum"] / weeks,
                             int(r["lead_id_count_max"]),
                             None if week_cap is None else int(r["over_sum"] or 0)))
    rows.sort(key=_owner_order)
    return SlaLoad(weeks, first_week, working_days, tuple(rows))


def _owner_order(r: RepWeeks | LoadChange) -> tuple[bool, bool, str]:
    """Reps first, then queues, then leads with no owner; by id within each."""
    return (r.capacity_per_week is None and r.name is None, r.owner == NONE_LABEL, r.owner)


def pipeline_value(actual: Store, contract: CompiledContract, at: datetime) -> PipelineValue:
    """The historical pipeline per handed-off lead: the `accord kpis` figures of the actual
    view, all time, as of `at` (module docstring)."""
    report = compute_kpis(actual, contract, view="actual", as_of=at, kpis=_PIPELINE_KPIS)
    handoff, opp, pipeline = (report.row(k) for k in _PIPELINE_KPIS)
    return PipelineValue(handoff.numerator or 0.0, opp.numerator or 0.0, pipeline.value or 0.0)


def side_figures(side: ViewSide, *, actual: Store, period: Period, basis: Basis, as_of: AsOf,
                 value: PipelineValue) -> SideFigures:
    """One side's figures for the period (module docstring), read from `side.store`'s
    derived tables; `actual` is the workspace store (the weeks of all time)."""
    at = as_of.at
    kpis = compute_kpis(side.store, side.contract, period=period, basis=basis,
                        view="derived", as_of=at, kpis=WHATIF_KPIS)
    every = compute_sla_clocks(side.store, side.contract, as_of, view="derived",
                               escalations=False)
    clocks = every.started_between(period.start, period.end)
    assignments = side.store.derived("assignments").select("lead_id", "owner").to_pyarrow()
    load = sla_load(every, assignments, _reps(side.store),
                    working_days=len(side.contract.calendar.days),
                    window=_window(actual, period, at))
    handoffs = next((r for r in kpis.rows if r.kpi == "lead_to_mql" and r.total), None)
    label = SCENARIO_LABEL if side.view == SCENARIO_VIEW else VIEW_LABELS["derived"]
    return SideFigures(side.view, label, ContractRef.of(side.contract), kpis,
                       summarise(clocks), clocks.volume, load,
                       value.expected(handoffs.numerator if handoffs is not None else None))


# -- the comparison ----------------------------------------------------------------------------
def _kpi_reading(row: KpiRow | None) -> Reading:
    if row is None:
        return _NONE
    return Reading(row.value, row.numerator, row.denominator)


def _sla_reading(s: SlaSummary | None) -> Reading:
    if s is None:
        return _NONE
    return Reading(s.share_within, float(s.met), float(s.met + s.breached))


def _volume_readings(months: Sequence[VolumeMonth], name: str) -> tuple[Reading, ...]:
    """(first entries, acceptance of those decided, months met of those closed)."""
    mine = [m for m in months if m.sla == name]
    if not mine:
        return _NONE, _NONE, _NONE
    entered = float(sum(m.entered for m in mine))
    accepted = float(sum(m.accepted for m in mine))
    decided = accepted + sum(m.rejected for m in mine)
    met = float(sum(m.status == "met" for m in mine))
    closed = float(sum(m.status != "open" for m in mine))
    return (Reading(entered, entered),
            Reading(accepted / decided if decided else None, accepted, decided),
            Reading(met / closed if closed else None, met, closed))


def _figures(old: SideFigures, new: SideFigures, old_c: CompiledContract,
             new_c: CompiledContract) -> list[Figure]:
    words = stage_words(old_c)
    out: list[Figure] = []
    for name in WHATIF_KPIS:
        a, b = old.kpi(name), new.kpi(name)
        out.append(Figure(f"kpi.{name}", "kpi", _KPI_LABELS[name].format_map(words),
                          KPIS[name].unit,
                          _kpi_reading(a), _kpi_reading(b)))
    names = list(dict.fromkeys([*old_c.slas, *new_c.slas]))
    for name in names:
        clock = new_c.slas.get(name) or old_c.slas[name]
        if clock.per_lead:
            out.append(Figure(f"sla.{name}", "sla", f"{name} within SLA", "share",
                              _sla_reading(old.sla(name)), _sla_reading(new.sla(name))))
            continue
        before, after = _volume_readings(old.volume, name), _volume_readings(new.volume, name)
        for key, label, unit, i in (("entered", f"{name}: first entries into {clock.start}",
                                     "leads", 0),
                                    ("acceptance", f"{name}: acceptance of those decided",
                                     "share", 1),
                                    ("months_met", f"{name}: months met", "share", 2)):
            out.append(Figure(f"sla.{name}.{key}", "volume", label, unit, before[i], after[i]))
    out.append(Figure("pipeline.expected", "pipeline", "expected pipeline", "currency",
                      Reading(old.expected_pipeline), Reading(new.expected_pipeline)))
    return out


def _load_changes(old: SlaLoad, new: SlaLoad) -> tuple[LoadChange, ...]:
    owners = dict.fromkeys([r.owner for r in old.reps] + [r.owner for r in new.reps])
    out = []
    for owner in owners:
        a, b = old.rep(owner), new.rep(owner)
        some = a or b
        assert some is not None
        out.append(LoadChange(owner, some.name, some.capacity_per_week, a, b))
    out.sort(key=_owner_order)
    return tuple(out)


def _lead_states(store: Store, period: Period) -> pa.Table:
    """lead_id, stage, tier, owner of the leads created in the period (derived tables)."""
    leads = store.table("leads")
    leads = leads.filter(in_period(period, leads.created_at)).select(l_lead=leads.lead_id)
    st = store.derived("stages").select("lead_id", "stage")
    sc = store.derived("scores").select(s_lead="lead_id", tier="tier")
    asg = store.derived("assignments").select(a_lead="lead_id", owner="owner")
    q = st.join(leads, st.lead_id == leads.l_lead)
    q = q.left_join(sc, q.lead_id == sc.s_lead)
    q = q.left_join(asg, q.lead_id == asg.a_lead)
    q = q.select("lead_id", stage=q.stage, tier=q.tier.cast("string"),
                 owner=q.owner.cast("string"))
    return q.to_pyarrow().cast(pa.schema([(c, pa.string()) for c in q.columns]))


def _differs(a: pa.ChunkedArray, b: pa.ChunkedArray) -> pa.ChunkedArray:
    """Element-wise "is distinct from": unequal, or exactly one of the two is null."""
    unequal = pc.fill_null(pc.not_equal(a, b), False)
    return pc.or_(unequal, pc.xor(pc.is_null(a), pc.is_null(b)))


def lead_changes(old: Store, new: Store, period: Period) -> LeadChanges:
    """The leads created in the period whose stage, tier or owner differs between the
    derived tables of `old` and `new` (module docstring)."""
    a = _lead_states(old, period).rename_columns(
        ["lead_id", *(f"old_{k}" for k in CHANGE_KINDS)])
    b = _lead_states(new, period).rename_columns(
        ["lead_id", *(f"new_{k}" for k in CHANGE_KINDS)])
    both = a.join(b, "lead_id", join_type="full outer").combine_chunks()
    flags = {k: _differs(both.column(f"old_{k}"), both.column(f"new_{k}"))
             for k in CHANGE_KINDS}
    any_flag = pc.or_(pc.or_(flags["stage"], flags["tier"]), flags["owner"])
    names = [pc.if_else(flags[k], pa.scalar(f"{k},"), pa.scalar("")) for k in CHANGE_KINDS]
    changed = pc.utf8_rtrim(pc.binary_join_element_wise(*names, ""), characters=",")
    table = both.append_column("changed", changed).filter(any_flag)
    cols = ["lead_id", "changed", *(f"{side}_{k}" for k in CHANGE_KINDS
                                    for side in ("old", "new"))]
    table = table.select(cols).sort_by("lead_id")
    counts = {k: int(pc.sum(pc.cast(flags[k], pa.int64())).as_py() or 0) for k in CHANGE_KINDS}
    counts["any"] = table.num_rows
    moves: dict[str, tuple[Move, ...]] = {}
    for k in CHANGE_KINDS:
        t = both.filter(flags[k]).group_by([f"old_{k}", f"new_{k}"]).aggregate(
            [("lead_id", "count")])
        found = [Move(r[f"old_{k}"], r[f"new_{k}"], int(r["lead_id_count"]))
                 for r in t.to_pylist()]  # one row per distinct move
        found.sort(key=lambda m: (-m.leads, m.old or "", m.new or ""))
        moves[k] = tuple(found)
    return LeadChanges(both.num_rows, counts, moves, table)


def compare_views(old: ViewSide, new: ViewSide, *, actual: Store, period: Period,
                  basis: Basis, as_of: AsOf, notes: Sequence[str] = ()) -> WhatIf:
    """Both sides' figures, the compared figures, the SLA load and the leads that
    change; `actual` is the workspace store (its facts are the same on both sides)."""
    value = pipeline_value(actual, old.contract, as_of.at)
    a = side_figures(old, actual=actual, period=period, basis=basis, as_of=as_of, value=value)
    b = side_figures(new, actual=actual, period=period, basis=basis, as_of=as_of, value=value)
    words = stage_words(old.contract)
    handoff = words["handoff"]
    all_notes = [
        f"old: {a.view_label} (contract v{a.contract.version}); new: {b.view_label} "
        f"(contract v{b.contract.version})",
        BASIS_LABELS[basis] + " (KPIs); SLAs: clocks started in the period",
        f"as the KPIs count it, a lead reached {handoff} when it reached {handoff} or any "
        f"later stage, so a lead sales accepted counts on both sides even where a contract "
        f"would not hand it off; a volume SLA counts first entries into its stage only",
        _pipeline_note(value, handoff),
        *notes,
    ]
    return WhatIf(as_of, period, basis, a, b, tuple(_figures(a, b, old.contract, new.contract)),
                  _load_changes(a.load, b.load), lead_changes(old.store, new.store, period),
                  value, tuple(all_notes))


def _pipeline_note(value: PipelineValue, handoff: str) -> str:
    if value.per_lead is None:
        return (f"expected pipeline has no value: no lead has reached {handoff} in the "
                "actual view")
    return (f"expected pipeline = leads reaching {handoff} in the period × "
            f"{value.per_lead:,.0f} historical pipeline per such lead (actual view, all "
            f"time: {value.pipeline:,.0f} pipeline created ÷ {value.handoff_leads:,.0f} "
            f"leads that reached {handoff}; = {value.rate or 0:.1%} reached an opportunity × "
            f"{value.average or 0:,.0f} average pipeline per such lead)")


def _check_inputs(period: str | Period | None, basis: str) -> tuple[Period, Basis]:
    per = period if isinstance(period, Period) else parse_period(period)
    if basis not in BASIS_CHOICES:
        raise UnknownNameError("basis", basis, BASIS_CHOICES, where="--basis")
    chosen: Basis = "cohort" if basis == "cohort" else "period"
    return per, chosen


def _stale_note(store: Store, at: datetime) -> str | None:
    """A note when the derived view does not hold every lead created by `at` (the facts
    changed since `accord run`, or it ran as of another time)."""
    leads = store.table("leads")
    expected = int(leads.filter(leads.created_at <= ibis.literal(at, type="timestamp(6)"))
                   .count().execute())
    held = int(store.derived("stages").count().execute())
    if held == expected:
        return None
    return (f"the derived view holds {held:,} leads but {expected:,} were created by "
            f"{at:%Y-%m-%d %H:%M} UTC: run `accord run` (as of the same time) before "
            "comparing, or differences will include the facts it has not seen")


def whatif(store: Store, active: CompiledContract, proposed: CompiledContract, *,
           period: str | Period | None = None, basis: str = "cohort",
           as_of: datetime | AsOf | None = None) -> WhatIf:
    """`accord whatif`: the store's derived view (the active contract, as the last `accord
    run` wrote it) against `proposed` replayed over the same facts as of `as_of` (default:
    the latest fact, as `accord run` defaults). The store is only read.
    `NotComputedError` when the derived view has not been computed."""
    per, chosen = _check_inputs(period, basis)
    at = as_of if isinstance(as_of, AsOf) else resolve_as_of(store, as_of)
    for name in _DERIVED_NEEDED:
        store.derived(name)  # NotComputedError naming `accord run`
    stale = _stale_note(store, at.at)
    with run_scenario(store, proposed, at.at) as sc:
        return compare_views(ViewSide("derived", store, active),
                             ViewSide(SCENARIO_VIEW, sc.store, proposed), actual=store,
                             period=per, basis=chosen, as_of=at,
                             notes=[stale] if stale else ())


def contract_impact(store: Store, old: CompiledContract, new: CompiledContract, *,
                    period: str | Period | None = None, basis: str = "cohort",
                    as_of: datetime | AsOf | None = None) -> WhatIf:
    """`accord contract diff --impact`: `old` and `new` each replayed over the store's facts
    as of `as_of` (two scenarios; the store is only read)."""
    per, chosen = _check_inputs(period, basis)
    at = as_of if isinstance(as_of, AsOf) else resolve_as_of(store, as_of)
    with run_scenario(store, old, naive_utc(at.at)) as a, \
            run_scenario(store, new, naive_utc(at.at)) as b:
        return compare_views(ViewSide(SCENARIO_VIEW, a.store, old),
                             ViewSide(SCENARIO_VIEW, b.store, new), actual=store,
                             period=per, basis=chosen, as_of=at)
