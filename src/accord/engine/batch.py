"""`accord run`: recompute every derived table from the facts and the active contract.

Steps, in order (each replaces its derived tables whole; DESIGN principle 2):

1. `match` — lead-to-account matching (`engine/matching.py`) by the contract's
   `matching` thresholds (overridable per run) → `lead_accounts`, `match_reviews`;
2. `scores` — fit per ICP, best ICP, tier and engagement as of `as_of` for every lead
   (`engine/scoring.py` over `engine/lead_frame.py`) → `scores`;
3. `stages` — the lifecycle replayed over the facts (`engine/lifecycle.py`) →
   `stage_history` and `stages`;
4. `route` — owners by the contract's routing rules (`engine/routing.py`) →
   `assignments`, `routing_skips`, `routing_pools`;
5. `sla` — SLA clocks as of `as_of` (`engine/sla_clock.py`, the actual view of the
   stage moves) → `sla_states`, `sla_escalations`.

Everything is vectorised: Ibis expressions run in the store's backend (scores and stages never loop
over leads in Python); matching and SLA clocks are Arrow/NumPy; routing is the one
sequential pass the contract's round-robin needs. Facts dated after `as_of` are ignored,
so a run can be replayed as of any past moment.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import ibis
import pyarrow as pa

from accord.contract.compiled import CompiledContract
from accord.contract.criteria import column_key, referenced_names
from accord.contract.instants import naive_utc, utc_now
from accord.contract.schema import Matching
from accord.engine.lead_frame import lead_profile, with_fit
from accord.engine.lifecycle import Lifecycle, current_stages, decision_rows, stage_history
from accord.engine.matching import MatchResult, match_store
from accord.engine.routing import Router, RoutingResult, leads_to_route, route_leads
from accord.engine.scoring import (
    LeadScore,
    engagement_as_of,
    engagement_by_lead,
    field_keys,
    fit_column_name,
    fit_scores,
)
from accord.engine.sla_clock import SlaClocks, compute_sla_clocks
from accord.engine.views import DEFAULT_VIEW, View, check_view, stages_as_of
from accord.errors import UnknownNameError
from accord.store.base import Store

__all__ = ["STEPS", "RunSummary", "ScoreRow", "StepSummary", "explain_lead", "route_all", "run",
           "score_table", "top_scores"]


@dataclass(frozen=True)
class StepSummary:
    """One step of a run: rows written per derived table and wall time."""

    name: str
    seconds: float
    rows: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"step": self.name, "seconds": round(self.seconds, 3), "rows": self.rows}


@dataclass(frozen=True)
class RunSummary:
    """What `run` computed: the as-of time, the contract version, each step, and the
    lead counts by stage and by tier."""

    as_of: datetime
    contract_version: int
    steps: tuple[StepSummary, ...]
    leads: int
    stages: dict[str, int]
    tiers: dict[str, int]
    # The route and sla steps' results as computed (None when the step did not run), for
    # callers that want more than row counts without reading the derived tables back.
    routing: RoutingResult | None = field(default=None, repr=False, compare=False)
    sla: SlaClocks | None = field(default=None, repr=False, compare=False)

    @property
    def seconds(self) -> float:
        return sum(s.seconds for s in self.steps)

    @property
    def match_reviews(self) -> int | None:
        """Leads whose company name scored at least `matching.review_score` but was not
        linked (derived `match_reviews`); None when the match step did not run."""
        for s in self.steps:
            if s.name == "match":
                return s.rows.get("match_reviews", 0)
        return None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(), "contract_version": self.contract_version,
            "seconds": round(self.seconds, 3), "leads": self.leads,
            "stages": self.stages, "tiers": self.tiers,
            "steps": [s.as_dict() for s in self.steps]}
        if self.match_reviews is not None:
            out["match_reviews"] = self.match_reviews
        return out


def score_table(store: Store, contract: CompiledContract, as_of: datetime, *,
                profile: ibis.Table | None = None) -> ibis.Table:
    """The `scores` table as an Ibis expression: lead_id, `fit_<icp>` per ICP, fit, tier,
    icp, engagement (one row per lead created at or before `as_of`). `profile` is
    `with_fit(lead_profile(...))` when the caller already has it."""
    model = contract.scoring
    if profile is None:
        profile = with_fit(model, lead_profile(store, as_of=as_of))
    fits = [fit_column_name(icp.name) for icp in model.icps]
    eng = engagement_by_lead(model, store.table("touches"), as_of, signals=False)
    left = profile.select("lead_id", *fits, "fit", "tier", "icp")
    right = eng.select(eng_lead="lead_id", eng_value="engagement")
    joined = left.left_join(right, left.lead_id == right.eng_lead)
    return joined.select("lead_id", *fits, "fit", "tier", "icp",
                         engagement=joined.eng_value.fill_null(0.0))


class _Scratch:
    """Intermediate results materialized once per run as temporary tables (so that a
    result several steps read is computed once), dropped when the run ends."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.names: list[str] = []

    def keep(self, name: str, expr: ibis.Table) -> ibis.Table:
        full = f"accord_run_{name}"
        table = self.store.con.create_table(full, obj=expr, temp=True, overwrite=True)
        self.names.append(full)
        return table

    def drop(self) -> None:
        for name in self.names:
            self.store.con.drop_table(name, force=True)
        self.names.clear()


def _write(store: Store, name: str, data: pa.Table | ibis.Table) -> int:
    """Replace derived table `name`; an Ibis expression is computed inside the backend."""
    store.write_derived(name, data)
    if isinstance(data, pa.Table):
        return data.num_rows
    return int(store.derived(name).count().execute())


STEPS: tuple[str, ...] = ("match", "scores", "stages", "route", "sla")


def run(store: Store, contract: CompiledContract, as_of: datetime | None = None, *,
        steps: Collection[str] | None = None,
        progress: Callable[[StepSummary], None] | None = None,
        matching: Matching | None = None, route_view: View = "derived") -> RunSummary:
    """Recompute `lead_accounts`, `match_reviews`, `scores`, `stage_history`, `stages`,
    `assignments` and `sla_states` for the whole store as of `as_of` (default: now, UTC).

    `steps` (default: all of `STEPS`, always in that order) recomputes only some; the
    others' derived tables are left as they are; an unknown step raises
    `UnknownNameError`. The lead profile the scores, stages and routes read is computed
    once, by the first of them that runs. `matching` overrides the contract's matching
    thresholds for this run (`accord run --min-name-score/--min-margin`); `route_view`
    is the view whose stage moves say when a lead reached `routing.stage`
    (`routing.leads_to_route`)."""
    chosen = set(STEPS) if steps is None else set(steps)
    unknown = sorted(chosen - set(STEPS))
    if unknown:
        raise UnknownNameError("run step", unknown[0], STEPS)
    at = naive_utc(as_of) if as_of is not None else utc_now()
    model = contract.scoring
    lifecycle = Lifecycle.from_contract(contract)
    if "route" in chosen:  # a routing set-up the reps cannot serve fails before any write
        Router.from_tables(contract, store.table("reps"), store.table("rep_availability"))
    done: list[StepSummary] = []
    results: dict[str, Any] = {}

    def step(name: str, work: Callable[[], dict[str, int]]) -> None:
        if name not in chosen:
            return
        started = time.perf_counter()
        rows = work()
        summary = StepSummary(name, time.perf_counter() - started, rows)
        done.append(summary)
        if progress is not None:
            progress(summary)

    scratch = _Scratch(store)
    kept: dict[str, ibis.Table] = {}

    def profile() -> ibis.Table:
        if "profile" not in kept:
            base = lead_profile(store, as_of=at, keys=_profile_keys(contract, lifecycle))
            kept["profile"] = scratch.keep("profile", with_fit(model, base))
        return kept["profile"]

    def match() -> dict[str, int]:
        found: MatchResult = match_store(store, matching or contract.matching)
        return {"lead_accounts": found.matches.num_rows,
                "match_reviews": found.reviews.num_rows}

    def scores() -> dict[str, int]:
        table = score_table(store, contract, at, profile=profile())
        return {"scores": _write(store, "scores", table)}

    def stages() -> dict[str, int]:
        profile_t = profile()
        decisions = scratch.keep("decisions", decision_rows(store, lifecycle, profile_t, at))
        history = stage_history(store, lifecycle, model, profile_t, at, decisions=decisions)
        rows = {"stage_history": _write(store, "stage_history", history)}
        current = current_stages(lifecycle, store.derived("stage_history"))
        rows["stages"] = _write(store, "stages", current)
        return rows

    def route() -> dict[str, int]:
        leads = leads_to_route(store, contract, profile(), view=route_view)
        result = route_leads(leads, None, store.table("reps"),
                             store.table("rep_availability"), contract)
        results["routing"] = result
        return {"assignments": _write(store, "assignments", result.assignments),
                "routing_skips": _write(store, "routing_skips", result.skips),
                "routing_pools": _write(store, "routing_pools", result.members)}

    def sla() -> dict[str, int]:
        clocks = compute_sla_clocks(store, contract, at)
        results["sla"] = clocks
        return {"sla_states": _write(store, "sla_states", clocks.states),
                "sla_escalations": _write(store, "sla_escalations", clocks.escalations)}

    try:
        step("match", match)
        step("scores", scores)
        step("stages", stages)
        step("route", route)
        step("sla", sla)
    finally:
        scratch.drop()

    stage_counts: dict[str, int] = {}
    if "stages" in chosen:
        by_stage = store.derived("stages").group_by("stage").aggregate(n=ibis._.count())
        stage_counts = {str(r["stage"]): int(r["n"])
                        for r in by_stage.to_pyarrow().to_pylist()}
    tier_counts: dict[str, int] = {}
    if "scores" in chosen:
        sc = store.derived("scores")
        by_tier = sc.group_by("tier").aggregate(n=sc.count()).to_pyarrow().to_pylist()
        tier_counts = {("none" if r["tier"] is None else str(r["tier"])): int(r["n"])
                       for r in by_tier}
    leads = sum(stage_counts.values()) or sum(tier_counts.values())
    return RunSummary(at, contract.version, tuple(done), leads,
                      dict(sorted(stage_counts.items(), key=_stage_order(lifecycle))),
                      dict(sorted(tier_counts.items())), results.get("routing"),
                      results.get("sla"))


def _profile_keys(contract: CompiledContract, lifecycle: Lifecycle) -> set[str]:
    """Lead-frame keys a run reads: ICP fields, the handoff criteria's constant keys,
    routing conditions (names read from the compiled criteria trees)."""
    keys = {k for icp in contract.scoring.icps for c in icp.criteria
            for k in field_keys(c.field)}
    keys |= lifecycle.handoff_keys()
    for rule in contract.routing_rules:
        if rule.node is not None:
            keys |= {column_key(r) for r in referenced_names(rule.node)}
    return keys | {"account_owner_rep_id"}


def _stage_order(lifecycle: Lifecycle) -> Callable[[tuple[str, int]], tuple[int, str]]:
    position = {s: i for i, s in enumerate(lifecycle.stages)}
    return lambda item: (position.get(item[0], len(position)), item[0])


@dataclass(frozen=True)
class ScoreRow:
    """One lead's scores in a ranking."""

    lead_id: str
    fit: int
    tier: str | None
    icp: str | None
    engagement: float

    def as_dict(self) -> dict[str, Any]:
        return {"lead_id": self.lead_id, "fit": self.fit, "tier": self.tier, "icp": self.icp,
                "engagement": self.engagement}


def top_scores(store: Store, contract: CompiledContract, as_of: datetime, *,
               limit: int = 20, stage: str | None = None,
               view: View = DEFAULT_VIEW) -> tuple[ScoreRow, ...]:
    """The best-scored leads as of `as_of`: highest fit first, then engagement, then id.

    `stage`: only leads in that stage of the contract at `as_of` in the named view (a lead
    with no stage move yet is in the contract's first stage)."""
    table = score_table(store, contract, as_of)
    if stage is not None:
        contract.stages.stage(stage)  # UnknownNameError naming the contract's stages
        current = stages_as_of(store, check_view(view), as_of).select(
            cur_lead="lead_id", cur_stage="stage")
        j = table.left_join(current, table.lead_id == current.cur_lead)
        in_stage = ibis.coalesce(j.cur_stage, ibis.literal(contract.stages.initial)) == stage
        table = j.filter(in_stage).select(*table.columns)
    rows = (table.order_by([ibis.desc("fit"), ibis.desc("engagement"), "lead_id"])
            .limit(limit).to_pyarrow().to_pylist())
    return tuple(ScoreRow(r["lead_id"], int(r["fit"]), r["tier"], r["icp"],
                          float(r["engagement"])) for r in rows)


def explain_lead(store: Store, contract: CompiledContract, lead_id: str,
                 as_of: datetime) -> LeadScore:
    """One lead's scores as of `as_of` with every criterion's and signal's points.

    Reads the lead's frame row and touches from the store and explains them with the
    scoring definitions (the same ones the batch expressions compile)."""
    model = contract.scoring
    profile = lead_profile(store, as_of=as_of)
    rows = profile.filter(profile.lead_id == lead_id).to_pyarrow().to_pylist()
    if not rows:
        raise UnknownNameError("lead", lead_id, _nearby_leads(profile, lead_id),
                               where=f"the leads created by {as_of.isoformat()}")
    fit = fit_scores(model, rows[0])
    t = store.table("touches")
    touches = (t.filter(t.lead_id == lead_id).select("occurred_at", "signal")
               .to_pyarrow().to_pylist())
    detail = engagement_as_of(model, ((r["occurred_at"], r["signal"]) for r in touches),
                              as_of)
    return LeadScore(lead_id, as_of, fit.fit, fit.tier, fit.icp, detail.engagement,
                     fit.by_icp, detail)


def _nearby_leads(leads: ibis.Table, lead_id: str, around: int = 10) -> list[str]:
    """Lead ids next to `lead_id` in sorted order (those before it, then after): the
    likely intended ones, without reading every id of a large store."""
    before = (leads.filter(leads.lead_id < lead_id).order_by(ibis.desc("lead_id"))
              .limit(around).select("lead_id").to_pyarrow().column(0).to_pylist())
    after = (leads.filter(leads.lead_id > lead_id).order_by("lead_id")
             .limit(around).select("lead_id").to_pyarrow().column(0).to_pylist())
    return [*reversed(before), *after]


def route_all(store: Store, contract: CompiledContract, as_of: datetime, *,
              view: View = "derived") -> RoutingResult:
    """`accord route`: route every lead as of `as_of` and write the routing tables. With
    `routing.stage` read in the derived view the lead's stages are recomputed first (the
    router reads the stage history); in the actual view, or with no routing stage, only
    the route step runs."""
    view = check_view(view)
    derived_entries = contract.routing_stage is not None and view == "derived"
    steps = ["stages", "route"] if derived_entries else ["route"]
    result = run(store, contract, as_of, steps=steps, route_view=view).routing
    assert result is not None  # the route step ran
    return result
