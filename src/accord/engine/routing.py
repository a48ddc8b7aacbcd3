"""Lead routing (contract key `routing`): who gets each new lead, and why.

Rules run in contract order (`routing.rules`); a rule applies when its `when` criteria hold
(no `when`: always) and the first rule that applies *and can assign* decides. Seed 004's
advice shapes the usual order: account owner whenever ABM runs ("a cold rep calling a warm
account can undo weeks of marketing coordination"), territory pools above ~15–30 reps,
round-robin below, and a queue for whatever is left. Targets:

- `account_owner` — the rep in the lead's account `owner_rep_id`, if that rep is *available*
  (below). An owner who is unknown, inactive, out of office or at capacity is passed over:
  the skip is recorded and the next rule is tried. A lead whose account has no owner simply
  does not match the rule.
- `{pool: NAME}` — weighted round-robin over the pool (the rotation, below). When nobody in
  the pool is available the rule passes: one skip per member is recorded with its reason,
  the rotation does not move, and the next rule (in the end `fallback_queue`) takes the lead.
  A *transient* state (everyone on leave or full today) must not stop routing, so it falls
  through with the reason written down. A pool that has *no active members at all* is a
  contract/data mismatch instead: `Router` refuses it up front with an `EngineError` naming
  the pool and the rule, before any lead is routed — nothing is partially applied.
- `{queue: NAME}` — the owner is `queue:NAME`. No rule assigns → `queue:<fallback_queue>`.

**When.** `routing.stage` (the starter: its handoff stage, MQL): a lead is routed when it
first enters that stage, at that moment (`leads_to_route` reads it from the stage history;
a `routed_at` column carries it); without it, when created (`created_at`).

**Rules** come compiled from the contract (`CompiledContract.routing_rules`: each rule's
`when` parsed once into a tree and a live predicate); pools and the fallback queue from
its `routing` section.

**Availability.** A rep is available for a lead at its routing moment `t` (UTC) when the
rep is active (`reps.active`, null counts as active), no out-of-office spell covers `t`
(`rep_availability`: `starts_at <= t < ends_at`), and the rep has taken fewer leads that
day than its capacity. Capacity is `reps.capacity_per_day`;
a pool's `capacity_per_day` lowers it further for that pool's turns (the smaller applies).
The count is every lead the rep was given that day by any rule. The day is the local day
of the contract calendar's `timezone` (pass `timezone` to count another zone's day).

**The rotation.** Each pool has a fixed *turn order* over its members: one period holds
`w_i` turns of member `i` (weights scaled to whole numbers, so 2:1:1 → a period of 4),
built by earliest-deadline-first over the ideal schedule. Each lead takes the next turn; if
that turn's rep is unavailable the turn is *passed* (a skip, with the reason and where the
lead went) and the lead takes the following turn. Guarantee: over every prefix of the turn
order, each member's turns `k_i` satisfy `|k_i - T * w_i / W| < 1` (`T` turns so far,
`W` the sum of weights); see docs/routing.md for the proof. While everyone is available a
turn is a lead, so every prefix of a run gives each rep its weighted share to within one
lead. Missed turns are not owed: a rep back from leave rejoins the rotation where it
stands, with no catch-up flood. With `catch_up_after_leave: true` each lead whose turn was
passed because the rep was out of office is owed, and a returning rep takes its owed leads
first, one per lead, before the rotation resumes. Capacity skips are never owed.

Ties and order are deterministic: leads are routed in `(routing moment, lead_id)` order (ids by
code point), members of a filtered pool in `rep_id` order, explicit `members` as written.

**Live and batch.** `Router.route(lead)` decides one lead; `route_leads` decides a whole
table: the rules' `when` criteria compile once to Ibis (`to_ibis`) and run vectorised over
the leads joined to their accounts (`account_<field>` columns); then one tight loop over
plain arrays calls the same per-lead step `Router.route` calls. Routing the same leads in
the same order live or in batch gives identical assignments (tested).
"""

from __future__ import annotations

import gc
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, cast
from zoneinfo import ZoneInfo

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.compiled import CompiledContract
from accord.contract.criteria import Node, to_ibis
from accord.contract.schema import Pool, PoolTarget, QueueTarget, Routing
from accord.engine.lifecycle import first_entries, first_entries_in
from accord.engine.views import View, check_view, stage_moves
from accord.errors import EngineError, UnknownNameError

if TYPE_CHECKING:
    from accord.store.base import Store

__all__ = [
    "ASSIGNMENT_SCHEMA",
    "FALLBACK_RULE",
    "MEMBER_SCHEMA",
    "QUEUE_PREFIX",
    "SKIP_SCHEMA",
    "Absence",
    "Assignment",
    "Decisions",
    "LeadBatch",
    "PoolMember",
    "Rep",
    "Router",
    "RoutingResult",
    "Skip",
    "absences_from_table",
    "check_rep",
    "integer_weights",
    "leads_to_route",
    "reps_from_table",
    "resolve_pool",
    "rotation",
    "route_leads",
    "route_store",
]

SkipReason = Literal["out_of_office", "at_capacity", "inactive", "unknown_rep"]
Step = Literal["account_owner", "turn", "catch_up", "queue", "fallback"]

QUEUE_PREFIX: Final = "queue:"
FALLBACK_RULE: Final = "fallback"
MAX_ROTATION: Final = 1_000_000  # turns in one period; weights needing more are refused
MAX_RULES: Final = 62  # rule matches travel as bits of an int64
_US_PER_DAY: Final = 86_400_000_000
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_DAY: Final = date(1970, 1, 1)
_OWNER, _POOL, _QUEUE = 0, 1, 2
_NEVER_BEFORE: Final = -(2**63)
_NEVER_AFTER: Final = 2**63

ASSIGNMENT_SCHEMA: Final = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("owner", pa.string(), nullable=False),
    pa.field("rule", pa.string(), nullable=False),
    pa.field("pool", pa.string()),
    pa.field("step", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("assigned_at", pa.timestamp("us"), nullable=False),
])
SKIP_SCHEMA: Final = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("rule", pa.string(), nullable=False),
    pa.field("pool", pa.string()),
    pa.field("rep_id", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
    pa.field("turns", pa.int64(), nullable=False),
    pa.field("in_turn", pa.bool_(), nullable=False),
    pa.field("went_to", pa.string(), nullable=False),
    pa.field("skipped_at", pa.timestamp("us"), nullable=False),
])
MEMBER_SCHEMA: Final = pa.schema([
    pa.field("pool", pa.string(), nullable=False),
    pa.field("rep_id", pa.string(), nullable=False),
    pa.field("weight", pa.float64(), nullable=False),
    pa.field("position", pa.int64(), nullable=False),
])


# --- value types --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rep:
    """A rep as routing sees it (fact table `reps`)."""

    rep_id: str
    role: str | None = None
    region: str | None = None
    segment: str | None = None
    capacity_per_day: int | None = None
    active: bool = True


@dataclass(frozen=True)
class Absence:
    """An out-of-office spell (fact table `rep_availability`): away from `starts_at`
    (inclusive) to `ends_at` (exclusive), UTC."""

    rep_id: str
    starts_at: datetime
    ends_at: datetime
    absence_id: str | None = None


@dataclass(frozen=True)
class PoolMember:
    """One active rep of a pool, its weight and its place in the tie order."""

    pool: str
    rep_id: str
    weight: float
    position: int


@dataclass(frozen=True)
class Skip:
    """A rep passed over for a lead: why, and where the lead went.

    `in_turn` is true when the rep's rotation turn(s) were passed (`turns` of them); false
    for an account owner passed over, or for a pool in which nobody was available (the
    rotation did not move)."""

    lead_id: str
    rule: str
    pool: str | None
    rep_id: str
    reason: SkipReason
    turns: int
    in_turn: bool
    went_to: str
    skipped_at: datetime


@dataclass(frozen=True)
class Assignment:
    """Who got a lead, by which rule and why (`owner` is a rep id or `queue:<name>`)."""

    lead_id: str
    owner: str
    rule: str
    pool: str | None
    step: Step
    reason: str
    assigned_at: datetime
    skips: tuple[Skip, ...] = ()


@dataclass(frozen=True)
class RoutingResult:
    """Batch routing output: `assignments` (one row per lead, in routing order), `skips`
    (reps passed over) and `members` (each pool's active reps and weights), as Arrow tables
    with `ASSIGNMENT_SCHEMA`, `SKIP_SCHEMA` and `MEMBER_SCHEMA`."""

    assignments: pa.Table
    skips: pa.Table
    members: pa.Table

    def by_rule(self) -> list[dict[str, Any]]:
        """Leads per rule and step, in the order rules first assigned."""
        return _counts(self.assignments, ["rule", "step"])

    def skips_by_reason(self) -> list[dict[str, Any]]:
        """Skips per rule, pool and reason."""
        return _counts(self.skips, ["rule", "pool", "reason"])

    def for_rep(self, rep_id: str) -> RoutingResult:
        """Only the leads routed to `rep_id`, the times it was passed over, and its pool
        memberships."""
        return RoutingResult(
            self.assignments.filter(pc.equal(self.assignments.column("owner"), rep_id)),
            self.skips.filter(pc.equal(self.skips.column("rep_id"), rep_id)),
            self.members.filter(pc.equal(self.members.column("rep_id"), rep_id)))


def _counts(table: pa.Table, keys: list[str]) -> list[dict[str, Any]]:
    first = pa.array(np.arange(table.num_rows, dtype=np.int64))
    grouped = (table.select(keys).append_column("_row", first)
               .group_by(keys, use_threads=False)
               .aggregate([("_row", "count"), ("_row", "min")])
               .sort_by("_row_min"))
    return [{**{k: r[k] for k in keys}, "leads": r["_row_count"]} for r in grouped.to_pylist()]


@dataclass(frozen=True)
class LeadBatch:
    """Leads ready for the sequential step, already in routing order.

    `masks[i]` has bit `j` set when rule `j`'s `when` holds for lead `i`; `times` are UTC
    microseconds; `days` the capacity day (days since 1970-01-01 in the router's zone)."""

    lead_ids: list[str]
    times: list[int]
    days: list[int]
    masks: list[int]
    owners: list[str | None]
    account_ids: list[str | None]

    def __len__(self) -> int:
        return len(self.lead_ids)


# --- pools and the rotation -----------------------------------------------------------------


def resolve_pool(name: str, pool: Pool, reps: Sequence[Rep]) -> tuple[PoolMember, ...]:
    """The active members of pool `name`, in tie order, with their weights.

    Explicit `members` win over the filters and keep their written order; otherwise every
    rep whose `role`, `region` and `segment` equal the pool's (where the pool gives them),
    by `rep_id`. Inactive reps are left out. An unknown member, or a weight for a rep who
    is not in the pool, raises `EngineError` naming the pool and the rep.
    """
    by_id = {r.rep_id: r for r in reps}
    if pool.members is not None:
        unknown = [m for m in pool.members if m not in by_id]
        if unknown:
            raise EngineError(
                f"routing.pools.{name}.members: unknown rep(s) {', '.join(map(repr, unknown))}; "
                "members must be rep ids from the reps table")
        candidates = [by_id[m] for m in dict.fromkeys(pool.members)]
    else:
        candidates = sorted(
            (r for r in reps
             if (pool.role is None or r.role == pool.role)
             and (pool.region is None or r.region == pool.region)
             and (pool.segment is None or r.segment == pool.segment)),
            key=lambda r: r.rep_id)
    inside = {r.rep_id for r in candidates}
    strangers = [rep for rep in pool.weights if rep not in inside]
    if strangers:
        raise EngineError(
            f"routing.pools.{name}.weights: {', '.join(map(repr, strangers))} not in the pool; "
            "weights may only name the pool's members")
    active = [r for r in candidates if r.active]
    return tuple(PoolMember(name, r.rep_id, float(pool.weights.get(r.rep_id, 1.0)), i)
                 for i, r in enumerate(active))


def integer_weights(weights: Sequence[float]) -> list[int]:
    """Weights as the smallest whole numbers in the same ratio, read as written decimals
    (0.1 is 1/10, not the nearest binary fraction): 2:1:1 → [2, 1, 1], 1.5:1 → [3, 2]."""
    fractions = [Fraction(repr(float(w))) for w in weights]
    if any(f <= 0 for f in fractions):
        raise EngineError(f"weights must be positive, got {list(weights)}")
    scale = math.lcm(*(f.denominator for f in fractions))
    whole = [int(f * scale) for f in fractions]
    common = math.gcd(*whole)
    return [w // common for w in whole]


class _Schedule:
    """One period of a pool's turn order, produced lazily by earliest-deadline-first.

    Turn `T` (0-based) goes to the member whose next turn is *released*
    (`floor(k_i * W / w_i) <= T`) and has the earliest ideal deadline `(k_i + 1) / w_i`,
    ties to the lower position. This is a Pfair schedule on one processor (docs/routing.md),
    so every prefix keeps `|k_i - T w_i / W| < 1`; after `W` turns every `k_i == w_i`, and
    the order repeats.
    """

    def __init__(self, weights: Sequence[int]) -> None:
        self.weights = list(weights)
        self.total = sum(self.weights)
        self.turns: list[int] = []
        self._taken = [0] * len(self.weights)

    def next_turn(self) -> int:
        turn = len(self.turns)
        w, k, total = self.weights, self._taken, self.total
        best = -1
        for i, wi in enumerate(w):
            if k[i] * total < (turn + 1) * wi and (
                    best < 0 or (k[i] + 1) * w[best] < (k[best] + 1) * wi):
                best = i
        k[best] += 1
        self.turns.append(best)
        return best


def rotation(weights: Sequence[float], turns: int | None = None) -> list[int]:
    """The turn order for `weights` as member positions: one period by default, or the
    first `turns` turns. Equal weights → 0, 1, 2, 0, 1, 2…; 2:1:1 → 0, 1, 0, 2, …"""
    schedule = _Schedule(integer_weights(weights))
    wanted = schedule.total if turns is None else turns
    for _ in range(min(wanted, schedule.total)):
        schedule.next_turn()
    period = schedule.turns
    return [period[i % schedule.total] for i in range(wanted)]


class _PoolState:
    """A pool's rotation as the router moves it: members, caps, position, owed leads."""

    def __init__(self, name: str, members: tuple[PoolMember, ...], pool: Pool,
                 rep_index: Mapping[str, int], rep_caps: Sequence[int | None]) -> None:
        self.name = name
        self.members = members
        self.ids = [m.rep_id for m in members]
        self.reps = [rep_index[m.rep_id] for m in members]
        self.caps = [_smaller(rep_caps[r], pool.capacity_per_day) for r in self.reps]
        self.schedule = _Schedule(integer_weights([m.weight for m in members]))
        if self.schedule.total > MAX_ROTATION:
            raise EngineError(
                f"routing.pools.{name}.weights: the ratio needs {self.schedule.total:,} turns "
                f"per round (limit {MAX_ROTATION:,}); use simpler ratios such as whole numbers")
        self.catch_up = pool.catch_up_after_leave
        self.pos = 0
        self.owed: dict[int, int] = {}
        self.turn_reason = f"pool {name}: next turn"


def _smaller(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else min(a, b)


@dataclass
class _Rule:
    index: int
    bit: int
    label: str
    kind: int
    node: Node | None
    predicate: Callable[[Mapping[str, Any]], bool] | None
    pool: _PoolState | None = None
    owner: str = ""
    reason: str = ""
    when: str | None = None


_Decision: TypeAlias = tuple[str, str, str | None, str, str]  # owner, rule, pool, step, reason
_RawSkip: TypeAlias = tuple[str, str | None, str, str, int, bool]  # rule, pool, rep, why, n, turn


@dataclass(frozen=True)
class Decisions:
    """What `Router.decide` produced, before it becomes Arrow tables: one decision per lead
    and the skips, each with the position of its lead."""

    decisions: list[_Decision]
    skips: list[_RawSkip]
    skip_at: list[int]


# --- the router -----------------------------------------------------------------------------


class Router:
    """Routing state (rotations, daily loads, owed catch-up) and the per-lead step.

    `route(lead)` decides one lead live; `route_batch(prepare(leads, accounts))` decides a
    table in one pass. Both call `_step`, so the same leads in the same order get the same
    owners. Construction checks the contract against the reps (unknown pool, pool with no
    active member, unknown member) and raises `EngineError` before anything is routed.
    """

    def __init__(self, contract: CompiledContract, reps: Iterable[Rep],
                 absences: Iterable[Absence] = (), *, timezone: str | None = None) -> None:
        self.contract = contract
        self.routing: Routing = contract.source.routing
        self.reps = list(reps)
        timezone = timezone if timezone is not None else contract.calendar.timezone
        self.timezone = timezone
        self._zone = None if timezone == "UTC" else ZoneInfo(timezone)
        self._index = {r.rep_id: i for i, r in enumerate(self.reps)}
        if len(self._index) != len(self.reps):
            raise EngineError("reps: duplicate rep_id")
        self._active = [r.active for r in self.reps]
        self._caps = [r.capacity_per_day for r in self.reps]
        self._load: list[dict[int, int]] = [{} for _ in self.reps]
        self._away_starts: list[list[int]] = [[] for _ in self.reps]
        self._away_ends: list[list[int]] = [[] for _ in self.reps]
        # the free stretch [from, until) around the last time asked, per rep (a cache)
        self._free_from = [_NEVER_BEFORE] * len(self.reps)
        self._free_until = [_NEVER_AFTER] * len(self.reps)
        self._load_absences(absences)
        self.pools: dict[str, _PoolState] = {}
        self._rules = self._compile_rules(contract)
        self._always = sum(r.bit for r in self._rules if r.node is None)
        self._fallback = QUEUE_PREFIX + self.routing.fallback_queue

    @classmethod
    def from_tables(cls, contract: CompiledContract, reps: Any, availability: Any = None, *,
                    timezone: str | None = None) -> Router:
        """A router from the `reps` and `rep_availability` tables (Ibis, Arrow or pandas)."""
        absences = [] if availability is None else absences_from_table(availability)
        return cls(contract, reps_from_table(reps), absences, timezone=timezone)

    # -- construction ---------------------------------------------------------------------
    def _load_absences(self, absences: Iterable[Absence]) -> None:
        spells: dict[int, list[tuple[int, int]]] = {}
        for a in absences:
            start, end = _micros(a.starts_at), _micros(a.ends_at)
            if end <= start:
                raise EngineError(
                    f"rep_availability {a.absence_id or a.rep_id!r}: ends_at {a.ends_at} is not "
                    f"after starts_at {a.starts_at}")
            ri = self._index.get(a.rep_id)
            if ri is not None:
                spells.setdefault(ri, []).append((start, end))
        for ri, items in spells.items():
            merged: list[list[int]] = []
            for start, end in sorted(items):
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            self._away_starts[ri] = [s for s, _ in merged]
            self._away_ends[ri] = [e for _, e in merged]
            self._free_until[ri] = _NEVER_BEFORE  # force a first lookup

    def _compile_rules(self, contract: CompiledContract) -> list[_Rule]:
        specs = contract.routing_rules
        if len(specs) > MAX_RULES:
            raise EngineError(f"routing.rules: {len(specs)} rules; at most {MAX_RULES} "
                              "are supported")
        rules: list[_Rule] = []
        for spec in specs:
            i, label = spec.index, spec.label
            rule = _Rule(i, 1 << i, label, _OWNER, spec.node, spec.predicate, when=spec.when)
            target = spec.to
            if isinstance(target, PoolTarget):
                rule.kind = _POOL
                rule.pool = self._pool(target.pool, label)
            elif isinstance(target, QueueTarget):
                rule.kind = _QUEUE
                rule.owner = QUEUE_PREFIX + target.queue
                rule.reason = f"rule {label}: queue {target.queue}"
            rules.append(rule)
        return rules

    def _pool(self, name: str, label: str) -> _PoolState:
        if name in self.pools:
            return self.pools[name]
        spec = self.routing.pools.get(name)
        if spec is None:
            raise EngineError(f"routing rule {label!r} sends leads to pool {name!r}, which "
                              f"routing.pools does not define")
        members = resolve_pool(name, spec, self.reps)
        if not members:
            raise EngineError(
                f"routing.pools.{name} (used by rule {label!r}) has no active reps: "
                f"{_describe_filter(spec)} matches none of the {len(self.reps)} reps; "
                "list members or change the filters")
        state = _PoolState(name, members, spec, self._index, self._caps)
        self.pools[name] = state
        return state

    def members(self) -> list[PoolMember]:
        """Every routed pool's active members, pool by pool in rule order."""
        return [m for state in self.pools.values() for m in state.members]

    # -- live ----------------------------------------------------------------------------
    def route(self, lead: Mapping[str, Any], account: Mapping[str, Any] | None = None
              ) -> Assignment:
        """Decide one lead now, updating the router's state.

        `lead` maps column names as the criteria read them (`channel`, `fit`, …) and must
        hold `lead_id` and `created_at` (or `routed_at`, the routing moment, which then
        wins); account fields come either in `lead` as
        `account_<field>` or as the `account` mapping (its fields are prefixed here).
        """
        row: dict[str, Any] = dict(lead)
        if account is not None:
            row.update({f"account_{k}": v for k, v in account.items() if k != "account_id"})
            row.setdefault("account_id", account.get("account_id"))
        lead_id = str(row["lead_id"])
        moment = row.get("routed_at") or row.get("created_at")
        if moment is None:
            raise EngineError(f"lead {lead_id!r} has no created_at")
        t = _micros(moment)
        mask = self._always
        for rule in self._rules:
            if rule.predicate is not None and rule.predicate(row):
                mask |= rule.bit
        raw: list[_RawSkip] = []
        owner, label, pool, step, reason = self._step(
            lead_id, t, self._day(t), mask, _text(row.get("account_owner_rep_id")),
            _text(row.get("account_id")), raw)
        at = _datetime(t)
        skips = tuple(Skip(lead_id, r, p, rep, cast(SkipReason, why), n, turn, owner, at)
                      for r, p, rep, why, n, turn in raw)
        return Assignment(lead_id, owner, label, pool, cast(Step, step), reason, at, skips)

    def _day(self, t: int) -> int:
        if self._zone is None:
            return t // _US_PER_DAY
        local = (_EPOCH + timedelta(microseconds=t)).astimezone(self._zone)
        return (local.date() - _EPOCH_DAY).days

    # -- batch ---------------------------------------------------------------------------
    def prepare(self, leads: Any, accounts: Any = None) -> LeadBatch:
        """Evaluate every rule's `when` for all leads at once (Ibis), and order the leads.

        `leads` needs `lead_id`, `created_at` and whatever the criteria read; `accounts`
        (optional) is joined on `account_id` and its fields read as `account_<field>`.
        Both may be Ibis tables on one backend, Arrow tables or pandas frames. A
        `routed_at` column, when present, is the routing moment instead of `created_at`
        (see `leads_to_route`).
        """
        lead_t, account_t = _same_backend(leads, accounts)
        joined = _join_accounts(lead_t, account_t)
        for needed in ("lead_id", "created_at"):
            if needed not in joined.columns:
                raise EngineError(f"leads table has no {needed!r} column")
        moment = "routed_at" if "routed_at" in joined.columns else "created_at"
        columns: dict[str, Any] = {"lead_id": joined["lead_id"].cast("string"),
                                   "created_at": joined[moment]}
        for key in ("account_id", "account_owner_rep_id"):
            if key in joined.columns:
                columns[key] = joined[key].cast("string")
        for rule in self._rules:
            if rule.node is None:
                continue
            try:
                columns[f"__rule_{rule.index}"] = to_ibis(rule.node, joined)
            except KeyError as exc:
                raise EngineError(
                    f"routing rule {rule.label!r} (when: {rule.when!r}) reads a column the "
                    f"leads table lacks — {exc.args[0]}; add it to the leads table "
                    "(e.g. scores) or change the rule") from None
        table = joined.select(**columns).to_pyarrow()
        return self._batch_from_arrow(table)

    def _batch_from_arrow(self, table: pa.Table) -> LeadBatch:
        n = table.num_rows
        created = table.column("created_at")
        if created.null_count:
            missing = table.filter(created.is_null()).column("lead_id")[0].as_py()
            raise EngineError(f"lead {missing!r} has no created_at")
        table = table.sort_by([("created_at", "ascending"), ("lead_id", "ascending")])
        times = _micros_array(table.column("created_at"))
        days = local_days(times, self._zone)
        mask = np.full(n, self._always, dtype=np.int64)
        for rule in self._rules:
            if rule.node is not None:
                hits = table.column(f"__rule_{rule.index}").to_numpy(zero_copy_only=False)
                mask |= hits.astype(np.int64) << rule.index
        nones: list[str | None] = [None] * n

        def texts(name: str) -> list[str | None]:
            return table.column(name).to_pylist() if name in table.column_names else nones

        return LeadBatch(table.column("lead_id").to_pylist(), times.tolist(), days.tolist(),
                         mask.tolist(), texts("account_owner_rep_id"), texts("account_id"))

    def route_batch(self, batch: LeadBatch) -> RoutingResult:
        """Route prepared leads in order (`decide`), then build the Arrow tables."""
        return self.tables(batch, self.decide(batch))

    def decide(self, batch: LeadBatch) -> Decisions:
        """The sequential step over prepared leads: one tight loop, plain Python values."""
        step = self._step
        skips: list[_RawSkip] = []
        skip_at: list[int] = []
        decisions: list[_Decision] = []
        append = decisions.append
        seen = 0
        # The loop makes millions of small tuples and no reference cycles: the cyclic
        # garbage collector would only rescan them, so it is paused for the loop.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for i, (lead_id, t, day, mask, owner, account) in enumerate(zip(
                    batch.lead_ids, batch.times, batch.days, batch.masks, batch.owners,
                    batch.account_ids, strict=True)):
                append(step(lead_id, t, day, mask, owner or None, account, skips))
                if len(skips) != seen:
                    skip_at.extend([i] * (len(skips) - seen))
                    seen = len(skips)
        finally:
            if collecting:
                gc.enable()
        return Decisions(decisions, skips, skip_at)

    def tables(self, batch: LeadBatch, decided: Decisions) -> RoutingResult:
        """Assignments, skips and members as Arrow tables (`RoutingResult`)."""
        decisions, skips, skip_at = decided.decisions, decided.skips, decided.skip_at
        times = pa.array(batch.times, pa.int64()).cast(pa.timestamp("us"))
        cols = [[d[k] for d in decisions] for k in range(5)]
        assignments = pa.Table.from_arrays(
            [pa.array(batch.lead_ids, pa.string()), *(pa.array(c, pa.string()) for c in cols),
             times], schema=ASSIGNMENT_SCHEMA)
        at = pa.array(np.asarray(skip_at, dtype=np.int64))
        skip_cols = [[s[k] for s in skips] for k in range(6)]
        skip_table = pa.Table.from_arrays(
            [pa.array(batch.lead_ids, pa.string()).take(at),
             pa.array(skip_cols[0], pa.string()), pa.array(skip_cols[1], pa.string()),
             pa.array(skip_cols[2], pa.string()), pa.array(skip_cols[3], pa.string()),
             pa.array(skip_cols[4], pa.int64()), pa.array(skip_cols[5], pa.bool_()),
             assignments.column("owner").take(at), times.take(at)], schema=SKIP_SCHEMA)
        members = pa.Table.from_pylist(
            [{"pool": m.pool, "rep_id": m.rep_id, "weight": m.weight, "position": m.position}
             for m in self.members()], schema=MEMBER_SCHEMA)
        return RoutingResult(assignments, skip_table, members)

    # -- the per-lead step (shared by live and batch) ------------------------------------
    def _step(self, lead_id: str, t: int, day: int, mask: int, owner_id: str | None,
              account_id: str | None, skips: list[_RawSkip]) -> _Decision:
        """Decide one lead: the first rule that matches (`mask`) and can assign."""
        notes: list[str] | None = None
        for rule in self._rules:
            if not mask & rule.bit:
                continue
            kind = rule.kind
            if kind == _POOL:
                pool = cast(_PoolState, rule.pool)
                got = self._pool_step(pool, rule.label, t, day, skips)
                if got is not None:
                    rep_id, how, reason = got
                    return rep_id, rule.label, pool.name, how, _why(notes, reason)
                notes = [*(notes or ()), f"rule {rule.label}: nobody available in pool "
                                          f"{pool.name}"]
            elif kind == _QUEUE:
                return rule.owner, rule.label, None, "queue", _why(notes, rule.reason)
            elif owner_id:
                ri = self._index.get(owner_id)
                why = "unknown_rep" if ri is None else self._unavailable(ri, t, day,
                                                                         self._caps[ri])
                if why is None:
                    self._take(cast(int, ri), day)
                    return (owner_id, rule.label, None, "account_owner",
                            _why(notes, f"rule {rule.label}: owner of account {account_id}"))
                skips.append((rule.label, None, owner_id, why, 0, False))
                notes = [*(notes or ()),
                         f"rule {rule.label}: account owner {owner_id} {_words(why)}"]
        return (self._fallback, FALLBACK_RULE, None, "fallback",
                _why(notes, "no rule assigned the lead" if notes else "no rule matched"))

    def _pool_step(self, pool: _PoolState, label: str, t: int, day: int,
                   skips: list[_RawSkip]) -> tuple[str, str, str] | None:
        """The pool's next turn; the common case (owed nothing, turn's rep free) inline."""
        if pool.owed:
            repaid = self._repay(pool, t, day)
            if repaid is not None:
                return repaid
        schedule = pool.schedule
        pos = pool.pos
        m = schedule.turns[pos] if pos < len(schedule.turns) else schedule.next_turn()
        pos = pos + 1 if pos + 1 < schedule.total else 0
        ri = pool.reps[m]
        cap = pool.caps[m]
        load = self._load[ri]
        if (self._active[ri] and self._free_from[ri] <= t < self._free_until[ri]
                and (cap is None or load.get(day, 0) < cap)):
            pool.pos = pos
            load[day] = load.get(day, 0) + 1
            return pool.ids[m], "turn", pool.turn_reason
        why = self._unavailable(ri, t, day, cap)
        if why is None:
            pool.pos = pos
            load[day] = load.get(day, 0) + 1
            return pool.ids[m], "turn", pool.turn_reason
        return self._pass_turns(pool, label, t, day, skips, m, why, pos)

    def _pass_turns(self, pool: _PoolState, label: str, t: int, day: int,
                    skips: list[_RawSkip], m: int, why: str, pos: int
                    ) -> tuple[str, str, str] | None:
        """Turn `m` was passed for `why`: take following turns until a rep is available.

        Every member's passed turns collapse into one skip per lead. When every member has
        been passed, nobody is available: the rotation stays where it was (nothing is
        applied), one skip per member is recorded, and None sends the lead on."""
        reps, caps, ids, schedule = pool.reps, pool.caps, pool.ids, pool.schedule
        passed: dict[int, list[Any]] = {m: [why, 1]}
        found: str | None = why
        while found is not None:
            if len(passed) == len(reps):
                for k in range(len(reps)):
                    skips.append((label, pool.name, ids[k], passed[k][0], 0, False))
                return None
            m = schedule.turns[pos] if pos < len(schedule.turns) else schedule.next_turn()
            pos = pos + 1 if pos + 1 < schedule.total else 0
            found = self._unavailable(reps[m], t, day, caps[m])
            if found is not None:
                if m in passed:
                    passed[m][1] += 1
                else:
                    passed[m] = [found, 1]
        pool.pos = pos
        self._take(reps[m], day)
        for k, (reason, n) in passed.items():
            skips.append((label, pool.name, ids[k], reason, n, True))
            if pool.catch_up and reason == "out_of_office":
                pool.owed[k] = pool.owed.get(k, 0) + 1
        passed_text = ", ".join(f"{ids[k]} {_words(r)}" for k, (r, _) in passed.items())
        return ids[m], "turn", f"{pool.turn_reason} (passed {passed_text})"

    def _repay(self, pool: _PoolState, t: int, day: int) -> tuple[str, str, str] | None:
        """`catch_up_after_leave`: the first member (by position) who is owed leads and is
        available now takes this lead outside the rotation."""
        for m in sorted(pool.owed):
            if self._unavailable(pool.reps[m], t, day, pool.caps[m]) is None:
                left = pool.owed.pop(m) - 1
                if left:
                    pool.owed[m] = left
                self._take(pool.reps[m], day)
                return (pool.ids[m], "catch_up",
                        f"pool {pool.name}: catch-up after leave ({left} more owed)")
        return None

    def _unavailable(self, ri: int, t: int, day: int, cap: int | None) -> str | None:
        """Why rep `ri` cannot take a lead at `t` (day `day`), or None when it can."""
        if not self._active[ri]:
            return "inactive"
        if not self._free_from[ri] <= t < self._free_until[ri] and self._away(ri, t):
            return "out_of_office"
        if cap is not None and self._load[ri].get(day, 0) >= cap:
            return "at_capacity"
        return None

    def _away(self, ri: int, t: int) -> bool:
        """Whether an out-of-office spell covers `t`; when not, cache the free stretch."""
        starts, ends = self._away_starts[ri], self._away_ends[ri]
        j = bisect_right(starts, t) - 1
        if j >= 0 and t < ends[j]:
            return True
        self._free_from[ri] = ends[j] if j >= 0 else _NEVER_BEFORE
        self._free_until[ri] = starts[j + 1] if j + 1 < len(starts) else _NEVER_AFTER
        return False

    def _take(self, ri: int, day: int) -> None:
        load = self._load[ri]
        load[day] = load.get(day, 0) + 1


def _why(notes: list[str] | None, reason: str) -> str:
    return reason if not notes else "; ".join([*notes, reason])


def _words(code: str) -> str:
    return code.replace("_", " ")


def _describe_filter(pool: Pool) -> str:
    if pool.members is not None:
        return f"members {pool.members}"
    parts = [f"{k}={v}" for k, v in (("role", pool.role), ("region", pool.region),
                                      ("segment", pool.segment)) if v is not None]
    return "filter " + (", ".join(parts) if parts else "(none)")


# --- time -----------------------------------------------------------------------------------


def _micros(value: Any) -> int:
    """UTC microseconds since 1970 of a datetime (naive = UTC), pandas or NumPy time."""
    if isinstance(value, np.datetime64):
        return int(value.astype("datetime64[us]").astype(np.int64))
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        aware = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        delta = aware - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    raise EngineError(f"expected a timestamp, got {value!r}")


def _datetime(t: int) -> datetime:
    return datetime(1970, 1, 1) + timedelta(microseconds=t)


def _micros_array(column: pa.ChunkedArray) -> np.ndarray:
    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    typ = arr.type
    if not pa.types.is_timestamp(typ):
        raise EngineError(f"created_at must be a timestamp, got {typ}")
    values = arr.cast(pa.timestamp("us", tz=typ.tz)).to_numpy(zero_copy_only=False)
    return np.asarray(values).astype("datetime64[us]").view(np.int64)


def local_days(times: np.ndarray, zone: ZoneInfo | None) -> np.ndarray:
    """Capacity days (days since 1970-01-01) of UTC microsecond times, in `zone` (None: UTC)."""
    days: np.ndarray
    if zone is None:
        days = times // _US_PER_DAY
        return days
    index = pd.DatetimeIndex(times.astype("datetime64[us]")).tz_localize("UTC").tz_convert(zone)
    days = index.tz_localize(None).to_numpy().astype("datetime64[D]").astype(np.int64)
    return days


# --- tables ---------------------------------------------------------------------------------


def _arrow(table: Any) -> pa.Table:
    if isinstance(table, pa.Table):
        return table
    if isinstance(table, pd.DataFrame):
        return pa.Table.from_pandas(table, preserve_index=False)
    if isinstance(table, ibis.Table):
        return table.to_pyarrow()
    raise TypeError(f"expected an Ibis table, Arrow table or DataFrame, got {type(table)}")


def _same_backend(leads: Any, accounts: Any) -> tuple[ibis.Table, ibis.Table | None]:
    if isinstance(leads, ibis.Table) and (accounts is None or isinstance(accounts, ibis.Table)):
        return leads, accounts
    lead_t = ibis.memtable(_arrow(leads))
    return lead_t, None if accounts is None else ibis.memtable(_arrow(accounts))


def _join_accounts(leads: ibis.Table, accounts: ibis.Table | None) -> ibis.Table:
    if accounts is None or "account_id" not in leads.columns:
        return leads
    fields = {f"account_{c}": accounts[c] for c in accounts.columns if c != "account_id"}
    acc = accounts.select(_account_key=accounts["account_id"].cast("string"), **fields)
    joined = leads.left_join(acc, leads["account_id"].cast("string") == acc["_account_key"])
    return joined.select(*leads.columns, *fields)


def reps_from_table(table: Any) -> list[Rep]:
    """Reps from a `reps` table (Ibis, Arrow or pandas); `active` null counts as active."""
    rows = _arrow(table).to_pylist()
    return [Rep(rep_id=str(r["rep_id"]), role=r.get("role"), region=r.get("region"),
                segment=r.get("segment"),
                capacity_per_day=None if r.get("capacity_per_day") is None
                else int(r["capacity_per_day"]),
                active=r.get("active") is not False)
            for r in rows]


def absences_from_table(table: Any) -> list[Absence]:
    """Out-of-office spells from a `rep_availability` table (Ibis, Arrow or pandas)."""
    rows = _arrow(table).to_pylist()
    return [Absence(rep_id=str(r["rep_id"]), starts_at=r["starts_at"], ends_at=r["ends_at"],
                    absence_id=r.get("absence_id"))
            for r in rows]


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


# --- entry points ---------------------------------------------------------------------------


def route_leads(leads: Any, accounts: Any, reps: Any, availability: Any,
                contract: CompiledContract, *, timezone: str | None = None) -> RoutingResult:
    """Route every lead in `leads` by the contract's routing rules, in `(routed_at or
    created_at, lead_id)` order, from a fresh rotation. Tables may be Ibis (one backend),
    Arrow or pandas. Capacity days are the contract calendar's (or `timezone`'s).

    Returns the assignments (one per lead), the skips and the pools' members; see
    `RoutingResult`. Bad configuration raises `EngineError` before any lead is routed.
    """
    router = Router.from_tables(contract, reps, availability, timezone=timezone)
    return router.route_batch(router.prepare(leads, accounts))


def leads_to_route(store: Store, contract: CompiledContract, leads: ibis.Table, *,
                   view: View = "derived") -> ibis.Table:
    """The rows of `leads` that routing decides, with their routing moment.

    With `routing.stage` null every lead is routed when created (`leads` as given). With a
    stage, only leads that have entered it are routed, at their *first* entry
    (`lifecycle.first_entries_in`): the column `routed_at` is added. A lead that leaves
    the stage and comes back keeps its owner. The entries are read in `view`: `derived`
    (default; the `stage_history` the engine derives — what the live engine routes at;
    `EngineError` when there is none yet) or `actual` (the `stage_events` facts)."""
    stage = contract.routing_stage
    if stage is None:
        return leads
    if check_view(view) == "actual":
        first = first_entries_in(stage_moves(store, "actual"), stage)
        return leads.join(first.rename(routed_at="entered_at"), "lead_id")
    try:
        first = first_entries(store, stage).rename(routed_at="entered_at")
    except EngineError as exc:
        raise EngineError(f"routing.stage is {stage!r}: {exc}") from None
    return leads.join(first, "lead_id")


def check_rep(store: Store, rep_id: str) -> str:
    """`rep_id` when the reps facts know it; `UnknownNameError` listing the reps."""
    reps = store.table("reps").select("rep_id").to_pyarrow().column(0).to_pylist()
    if rep_id not in reps:
        raise UnknownNameError("rep", rep_id, sorted(reps), where="the reps facts")
    return rep_id


def route_store(store: Store, contract: CompiledContract, *,
                timezone: str | None = None) -> RoutingResult:
    """Route the store's leads (every lead, or those that entered `routing.stage`; see
    `leads_to_route`) and replace the derived tables `assignments`, `routing_skips` and
    `routing_pools`. Everything is computed before anything is written."""
    leads = leads_to_route(store, contract, store.table("leads"))
    result = route_leads(leads, store.table("accounts"), store.table("reps"),
                         store.table("rep_availability"), contract, timezone=timezone)
    store.write_derived("assignments", result.assignments)
    store.write_derived("routing_skips", result.skips)
    store.write_derived("routing_pools", result.members)
    return result
