"""The audit: the agreement as written against what the company actually did.

DESIGN principle 2 keeps three views of the same leads; the audit is the difference
between the *actual* one (the facts — `stage_events`, `activities` — and, when the server
keeps one, its decision log) and what the contract asks, as the engine reads it (the
compiled contract and the *derived* tables of the last `accord run`). The article
"Marketing-Sales Alignment for SMB vs Enterprise: One Framework, Two Operating Modes"
reports that most companies find a 30–50% gap between their documented process and how
their systems actually behave when they first audit it (`TYPICAL_GAP`).

One row per commitment of the contract, each a count of broken checks out of the checks
made (its `unit`), with up to N example lead ids (sorted):

- `handoff_criteria` — leads handed to sales that did not meet the handoff criteria then:
  a lead's first entry into the handoff stage in the actual view (`stage_events`) comes
  before its first entry in the derived `stage_history` (where the engine moves a lead
  into the handoff stage at the first moment its entry criteria hold, evaluated on its
  scores as of that moment; `engine/lifecycle.py`), or the derived view never has it
  there ("never met" / "met later"). Later handoffs of the same lead (after recycling) are
  not checked again.
- `sla:<name>`, one per SLA — the SLA's clocks from `engine/sla_clock.py` (the one clock,
  read in the actual view, as `accord sla` does): a broken check is a breached clock
  (touched late, too few touches, not accepted or rejected in time), out of the clocks
  decided (met or breached; open ones are counted aside). A volume SLA's row counts
  months (broken: a finished month below `per_month` or `min_acceptance`).
- `rejection_reasons` — each move into a send-back stage (a rejection) in the actual view
  that carries no reason code, or one not in `rejection_reasons` (one check per rejection).
- `routing` — leads the derived `assignments` route to a rep (not a queue) whose actual
  owner is another rep. The actual owner is the rep of the lead's first sales activity;
  for a lead nobody has worked yet, the owner the server recorded last in its decision
  log (`decisions`, kind `owner`) when the store has one; leads with neither are not
  checked.
- `stage_moves` — leads with a recorded move the contract's stage graph does not allow:
  from the stage the lead was in (its previous recorded move, the lead stage before the
  first) to one not among that stage's `next` stages (a skipped stage, a move backwards,
  a move into the stage it is in). A first record of the lead stage itself is the lead's
  creation. Send-backs are allowed moves: their codes are the rejection row's.

**Overall gap** (`AuditReport.share`): broken checks over checks made, pooled over every
row counted in leads or rejections — the share of audited lead-commitments the actual view
breaks. Volume rows (counted in months) are shown but not pooled.

**Period** (`since`, `until`, half-open, naive UTC): a check belongs to the period by the
time of what it checks — the actual handoff, the clock's start, the rejection, the routing
moment, the move. Facts after `as_of` (default: the latest fact) are ignored; the derived
tables are those of the last `accord run` (run it again after importing new facts).

Every row is a few Ibis queries on the store's backend (the SLA rows Arrow compute over
the clocks' NumPy result); nothing loops over leads in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, TypeAlias

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.compiled import CompiledContract, SlaClock
from accord.contract.criteria import render
from accord.contract.instants import naive_utc
from accord.contract.roles import StageRole
from accord.engine.lifecycle import first_entries_in
from accord.engine.routing import QUEUE_PREFIX
from accord.engine.sla_clock import SlaClocks, compute_sla_clocks
from accord.errors import NotComputedError, UsageError
from accord.store.as_of import AsOf, AsOfSource, resolve_as_of
from accord.store.base import Store

__all__ = ["DEFAULT_EXAMPLES", "TYPICAL_GAP", "VIEW_TEXT", "AuditReport", "AuditRow", "audit",
           "audit_checks"]

#: The documented-vs-actual gap a first audit typically finds (article "Marketing-Sales
#: Alignment for SMB vs Enterprise: One Framework, Two Operating Modes").
TYPICAL_GAP: Final = (0.30, 0.50)
DEFAULT_EXAMPLES: Final = 5
VIEW_TEXT: Final = ("actual view (stage_events, activities and the decision log when kept) "
                    "against the contract and the derived view of the last `accord run` "
                    "(stage_history, assignments)")
_TS: Final = "timestamp(6)"


@dataclass(frozen=True)
class AuditRow:
    """One commitment: what was agreed, what the actual view shows, and the gap — `count`
    broken checks out of `base` (counted in `unit`), with example lead ids (months for a
    volume SLA), sorted. `reads` names the views and tables it compares."""

    key: str
    commitment: str
    owner: str | None
    agreed: str
    actual: str
    unit: str
    count: int
    base: int
    examples: tuple[str, ...]
    reads: str
    in_overall: bool = True
    by_detail: Mapping[str, int] = field(default_factory=dict)

    @property
    def share(self) -> float | None:
        return self.count / self.base if self.base else None

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "commitment": self.commitment, "owner": self.owner,
                "agreed": self.agreed, "actual": self.actual, "unit": self.unit,
                "count": self.count, "base": self.base, "share": self.share,
                "examples": list(self.examples), "by_detail": dict(self.by_detail),
                "reads": self.reads, "in_overall": self.in_overall}


@dataclass(frozen=True)
class AuditReport:
    """The audit of one period: a row per commitment and the overall gap (module
    docstring). `decision_log`: whether the store keeps the server's decision log (read
    for owners nobody has worked yet)."""

    as_of: datetime
    as_of_source: AsOfSource
    period: str
    since: datetime | None
    until: datetime | None
    contract_version: int
    rows: tuple[AuditRow, ...]
    decision_log: bool
    view: str = VIEW_TEXT

    @property
    def count(self) -> int:
        """Broken checks, over the rows pooled into the overall gap."""
        return sum(r.count for r in self.rows if r.in_overall)

    @property
    def base(self) -> int:
        """Checks made, over the rows pooled into the overall gap."""
        return sum(r.base for r in self.rows if r.in_overall)

    @property
    def share(self) -> float | None:
        """The overall gap: broken checks / checks made (None when nothing was checked)."""
        return self.count / self.base if self.base else None

    def row(self, key: str) -> AuditRow:
        """The row with `key` (`handoff_criteria`, `sla:<name>`, `rejection_reasons`,
        `routing`, `stage_moves`); KeyError when the audit has none."""
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source,
                "period": {"label": self.period,
                           "since": self.since.isoformat() if self.since else None,
                           "until": self.until.isoformat() if self.until else None},
                "contract_version": self.contract_version, "view": self.view,
                "decision_log": self.decision_log,
                "overall": {"count": self.count, "base": self.base, "share": self.share,
                            "typical": list(TYPICAL_GAP)},
                "rows": [r.to_dict() for r in self.rows]}


# -- the checks --------------------------------------------------------------------------------
Items: TypeAlias = ibis.Table | pa.Table  # lead_id, broken, detail (null unless broken)


@dataclass(frozen=True)
class _Check:
    key: str
    commitment: str
    owner: str | None
    agreed: str
    unit: str
    reads: str
    items: Items
    words: Callable[[int, int, Mapping[str, int]], str]  # (count, base, by detail) → actual
    in_overall: bool = True


@dataclass(frozen=True)
class _Context:
    store: Store
    contract: CompiledContract
    as_of: datetime
    since: datetime | None
    until: datetime | None
    decision_log: bool

    def in_window(self, at: ir.TimestampValue) -> ir.BooleanValue:
        cond = at <= ibis.literal(self.as_of, type=_TS)
        if self.since is not None:
            cond = cond & (at >= ibis.literal(self.since, type=_TS))
        if self.until is not None:
            cond = cond & (at < ibis.literal(self.until, type=_TS))
        return cond

    def facts_until_now(self, name: str, column: str) -> ibis.Table:
        t = self.store.table(name)
        return t.filter(t[column] <= ibis.literal(self.as_of, type=_TS))

    def derived(self, name: str, what: str) -> ibis.Table:
        try:
            return self.store.derived(name)
        except NotComputedError:
            raise UsageError(
                f"the audit compares {what} with the derived `{name}` of the last "
                "`accord run`, and there is none; run `accord run` first") from None


def _n(by: Mapping[str, int], key: str) -> int:
    return int(by.get(key, 0))


def _handoff_check(ctx: _Context) -> _Check | None:
    contract = ctx.contract
    stage = contract.stages.named(StageRole.HANDOFF)
    entry = contract.handoff_entry
    if stage is None or entry is None:
        return None
    history = ctx.derived("stage_history", "the actual handoffs")
    actual = first_entries_in(ctx.facts_until_now("stage_events", "occurred_at"), stage)
    actual = actual.filter(ctx.in_window(actual.entered_at))
    derived = first_entries_in(history, stage).rename(d_lead="lead_id", derived_at="entered_at")
    j = actual.left_join(derived, actual.lead_id == derived.d_lead)
    broken = j.derived_at.isnull() | (j.derived_at > j.entered_at)
    detail = ibis.cases((j.derived_at.isnull(), "never met"),
                        (j.derived_at > j.entered_at, "met later"), else_=ibis.null("string"))
    items = j.select(lead_id=j.lead_id, broken=broken, detail=detail)

    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        return (f"{base:,} leads entered {stage} in the actual view; {count:,} of them before "
                f"the derived view had them meeting the criteria ({_n(by, 'never met'):,} "
                f"never met them, {_n(by, 'met later'):,} met them later).")

    return _Check("handoff_criteria", f"Handoff criteria ({stage} entry)",
                  contract.stages.owners.get(stage),
                  f"A lead is handed to sales (enters {stage}) only when {render(entry)}.",
                  "leads", "actual: stage_events; derived: stage_history (accord run)",
                  items, words)


_SLA_WORDS: Final[Mapping[str, tuple[str, str]]] = {
    # kind → (breached after stopping, breached and still not stopped)
    "first_touch": ("touched late", "not touched by the due time"),
    "min_touches": ("reached the touches late", "had too few touches by the due time"),
    "accept_or_reject": ("decided late", "not accepted or rejected by the due time"),
}


def _sla_agreed(clock: SlaClock) -> str:
    match clock.kind:
        case "first_touch":
            return (f"A sales rep touches each lead within {clock.within} of its entering "
                    f"{clock.start}.")
        case "min_touches":
            return (f"Each lead gets at least {clock.min_touches} sales touches within "
                    f"{clock.within} of its entering {clock.start}.")
        case "accept_or_reject":
            reject = ", ".join(clock.reject) or "a send-back stage"
            accept = ", ".join(clock.accept) or "the accepted stage"
            return (f"Sales accepts ({accept}) or rejects with a reason code ({reject}) "
                    f"each lead within {clock.within} of its entering {clock.start}.")
        case "volume":
            share = (f", at least {clock.min_acceptance:.0%} of those decided accepted"
                     if clock.min_acceptance is not None else "")
            return f"At least {clock.per_month:,} leads enter {clock.start} each month{share}."
    raise AssertionError(clock.kind)


def _sla_checks(ctx: _Context, clocks: SlaClocks) -> list[_Check]:
    checks: list[_Check] = []
    states = clocks.states
    for name, clock in ctx.contract.slas.items():
        reads = "actual: stage_events, activities (SLA clock, as `accord sla`)"
        if not clock.per_lead:
            months = [m for m in clocks.volume if m.sla == name]
            items = pa.table({
                "lead_id": pa.array([m.month for m in months], pa.string()),
                "status": pa.array([m.status for m in months], pa.string())})
            checks.append(_sla_check(name, clock, items, "months", reads, _volume_words(
                sum(m.status == "open" for m in months)), in_overall=False))
            continue
        mine = states.filter(pc.equal(states.column("sla"), name))
        stopped = pc.is_valid(mine.column("stopped_at"))
        items = pa.table({"lead_id": mine.column("lead_id"), "status": mine.column("status"),
                          "stopped": stopped})
        open_ = int(pc.sum(pc.equal(mine.column("status"), "open")).as_py() or 0)
        checks.append(_sla_check(name, clock, items, "leads", reads,
                                 _clock_words(clock, open_)))
    return checks


def _sla_check(name: str, clock: SlaClock, states: pa.Table, unit: str, reads: str,
               words: Callable[[int, int, Mapping[str, int]], str], *,
               in_overall: bool = True) -> _Check:
    """A check per decided clock (or month): broken when breached."""
    decided = states.filter(pc.not_equal(states.column("status"), "open"))
    broken = pc.equal(decided.column("status"), "breached")
    if "stopped" in decided.column_names:
        detail = pc.if_else(broken, pc.if_else(decided.column("stopped"), "late", "not stopped"),
                            pa.scalar(None, pa.string()))
    else:
        detail = pc.if_else(broken, "missed", pa.scalar(None, pa.string()))
    items = pa.table({"lead_id": decided.column("lead_id"), "broken": broken,
                      "detail": detail})
    return _Check(f"sla:{name}", f"SLA {name} ({clock.kind})", clock.owner, _sla_agreed(clock),
                  unit, reads, items, words, in_overall)


def _clock_words(clock: SlaClock, open_: int) -> Callable[[int, int, Mapping[str, int]], str]:
    late, never = _SLA_WORDS[clock.kind]

    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        return (f"{base:,} clocks decided ({open_:,} still open); {count:,} breached: "
                f"{_n(by, 'late'):,} {late}, {_n(by, 'not stopped'):,} {never}.")

    return words


def _volume_words(open_: int) -> Callable[[int, int, Mapping[str, int]], str]:
    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        return (f"{base:,} finished months ({open_:,} still running); {count:,} below the "
                "commitment.")

    return words


def _rejection_check(ctx: _Context) -> _Check | None:
    stages = ctx.contract.stages
    send_back = list(stages.send_back)
    if not send_back:
        return None
    codes = list(ctx.contract.source.rejection_reasons)
    ev = ctx.facts_until_now("stage_events", "occurred_at")
    ev = ev.filter(ev.to_stage.isin(send_back) & ctx.in_window(ev.occurred_at))
    missing = ev.reason.isnull() | (ev.reason.strip() == "")
    unknown = ~missing & ~ev.reason.isin(codes) if codes else ~missing
    detail = ibis.cases((missing, "no code"), (unknown, "unknown code"),
                        else_=ibis.null("string"))
    items = ev.select(lead_id=ev.lead_id, broken=missing | unknown, detail=detail)

    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        return (f"{base:,} rejections recorded; {count:,} without a valid code "
                f"({_n(by, 'no code'):,} with none, {_n(by, 'unknown code'):,} with a code "
                "not in the list).")

    return _Check("rejection_reasons", "Rejection reason codes", None,
                  f"Every rejection (a move into {', '.join(send_back)}) carries one of the "
                  f"reason codes {', '.join(codes)}.", "rejections", "actual: stage_events",
                  items, words)


def _target_words(to: Any) -> str:
    if to == "account_owner":
        return "the account owner"
    if hasattr(to, "pool"):
        return f"pool {to.pool}"
    return f"queue {to.queue}"


def _routing_agreed(contract: CompiledContract) -> str:
    rules = "; ".join(
        f"{r.label}: {render(r.node) + ' → ' if r.node is not None else ''}"
        f"{_target_words(r.to)}" for r in contract.routing_rules)
    when = (f"when it enters {contract.routing_stage}" if contract.routing_stage
            else "when it is created")
    fallback = contract.source.routing.fallback_queue
    return (f"Each lead is routed {when} by the first rule that applies ({rules or 'none'}); "
            f"else to queue {fallback}. The rep it is routed to works it.")


def _routing_check(ctx: _Context) -> _Check:
    assigned = ctx.derived("assignments", "who worked each lead")
    assigned = assigned.filter(~assigned.owner.startswith(QUEUE_PREFIX)
                               & ctx.in_window(assigned.assigned_at))
    act = ctx.facts_until_now("activities", "occurred_at")
    ranked = act.mutate(n=ibis.row_number().over(
        group_by=act.lead_id, order_by=[act.occurred_at, act.activity_id]))
    worked = ranked.filter(ranked.n == 0).select(w_lead="lead_id", worker="rep_id")
    q = assigned.left_join(worked, assigned.lead_id == worked.w_lead)
    recorded: ir.StringValue = ibis.null("string")
    if ctx.decision_log:
        log = ctx.store.service_table("decisions")
        log = log.filter((log.kind == "owner") & log.value.notnull()
                         & (log.decided_at <= ibis.literal(ctx.as_of, type=_TS)))
        last = log.mutate(n=ibis.row_number().over(
            group_by=log.lead_id, order_by=[ibis.desc(log.decided_at),
                                            ibis.desc(log.decision_id)]))
        last = last.filter(last.n == 0).select(r_lead="lead_id", recorded="value")
        q = q.left_join(last, q.lead_id == last.r_lead)
        recorded = q.recorded
    actual = ibis.coalesce(q.worker, recorded)
    q = q.mutate(actual_owner=actual).filter(ibis._.actual_owner.notnull())
    broken = q.actual_owner != q.owner
    detail = ibis.cases((broken & q.worker.notnull(), "worked by another rep"),
                        (broken, "recorded owner differs"), else_=ibis.null("string"))
    items = q.select(lead_id=q.lead_id, broken=broken, detail=detail)

    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        text = (f"{base:,} leads routed to a rep have an owner in the actual view; {count:,} "
                f"of them another rep ({_n(by, 'worked by another rep'):,} worked by "
                "another rep")
        if ctx.decision_log:
            text += f", {_n(by, 'recorded owner differs'):,} recorded with another owner"
        return text + ")."

    reads = ("derived: assignments (accord run); actual: activities (first rep to work the "
             "lead)" + (", decision log (owner)" if ctx.decision_log else ""))
    return _Check("routing", "Routing (owners)", None, _routing_agreed(ctx.contract), "leads",
                  reads, items, words)


def _stage_graph_words(contract: CompiledContract) -> str:
    nxt = contract.stages.next
    moves = sum(len(v) for v in nxt.values())
    return (f"A lead moves only to one of its stage's next stages ({moves} allowed moves "
            f"between {len(contract.stages.names)} stages): no stage is skipped, and it goes "
            "back only to a send-back stage, with a reason code.")


def _allowed(contract: CompiledContract, prev: ir.StringValue,
             to: ir.StringValue) -> ir.BooleanValue:
    branches = [(prev == s, to.isin(list(nxt))) for s, nxt in contract.stages.next.items()
                if nxt]
    if not branches:
        return ibis.literal(False)
    return ibis.cases(*branches, else_=False)


def _stage_moves_check(ctx: _Context) -> _Check:
    contract = ctx.contract
    initial = contract.stages.initial
    ev = ctx.facts_until_now("stage_events", "occurred_at")
    order = ibis.window(group_by=ev.lead_id, order_by=[ev.occurred_at, ev.event_id])
    moves = ev.mutate(prev=ev.to_stage.lag().over(order),
                      first=ibis.row_number().over(order) == 0)
    prev = ibis.coalesce(moves.prev, ibis.literal(initial))
    creation = moves.first & (moves.to_stage == initial)
    legal = (creation | _allowed(contract, prev, moves.to_stage)).fill_null(False)
    moves = moves.mutate(legal=legal, pair=prev.concat(" → ", moves.to_stage))
    moves = moves.filter(ctx.in_window(moves.occurred_at))
    per_lead = moves.group_by("lead_id").aggregate(
        broken=ibis.ifelse(moves.legal, 0, 1).sum() > 0)
    bad = moves.filter(~moves.legal)
    bad = bad.mutate(n=ibis.row_number().over(group_by=bad.lead_id,
                                              order_by=[bad.occurred_at, bad.event_id]))
    first_bad = bad.filter(bad.n == 0).select(b_lead="lead_id", detail="pair")
    j = per_lead.left_join(first_bad, per_lead.lead_id == first_bad.b_lead)
    items = j.select(lead_id=j.lead_id, broken=j.broken, detail=j.detail)

    def words(count: int, base: int, by: Mapping[str, int]) -> str:
        text = (f"{base:,} leads moved in the actual view; {count:,} made a move the stage "
                "graph does not allow")
        common = sorted(by.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        if common:
            text += " (first such move, most often: " + ", ".join(
                f"{pair} ×{n:,}" for pair, n in common) + ")"
        return text + "."

    return _Check("stage_moves", "Stage moves (stage graph)", None,
                  _stage_graph_words(contract), "leads", "actual: stage_events", items, words)


# -- putting it together -----------------------------------------------------------------------
def _context(store: Store, contract: CompiledContract, since: datetime | None,
             until: datetime | None, as_of: datetime | AsOf | None
             ) -> tuple[_Context, AsOfSource]:
    resolved = as_of if isinstance(as_of, AsOf) else resolve_as_of(store, as_of)
    since = naive_utc(since) if since is not None else None
    until = naive_utc(until) if until is not None else None
    has_log = "decisions" in store.con.list_tables()
    return _Context(store, contract, resolved.at, since, until, has_log), resolved.source


def _checks(ctx: _Context) -> list[_Check]:
    clocks = compute_sla_clocks(ctx.store, ctx.contract, ctx.as_of, view="actual",
                                escalations=False).started_between(ctx.since, ctx.until)
    checks: list[_Check | None] = [_handoff_check(ctx), *_sla_checks(ctx, clocks),
                                   _rejection_check(ctx), _routing_check(ctx),
                                   _stage_moves_check(ctx)]
    return [c for c in checks if c is not None]


def _summary(items: Items, examples: int) -> tuple[int, int, dict[str, int], tuple[str, ...]]:
    """(broken, checked, broken by detail, the first `examples` lead ids broken, sorted)."""
    if isinstance(items, pa.Table):
        broken = items.filter(items.column("broken"))
        by = broken.group_by("detail").aggregate([("lead_id", "count")]).to_pylist()
        unique = pc.unique(broken.column("lead_id").combine_chunks())
        shown = pc.sort_indices(unique)[:examples] if examples else pa.array([], pa.int64())
        return (broken.num_rows, items.num_rows,
                {str(r["detail"]): int(r["lead_id_count"]) for r in by if r["detail"]},
                tuple(str(x) for x in unique.take(shown).to_pylist()))
    totals = items.aggregate(base=items.count(),
                             count=ibis.ifelse(items.broken, 1, 0).sum()
                             ).to_pyarrow().to_pylist()[0]
    bad = items.filter(items.broken)
    by_rows = bad.group_by("detail").aggregate(n=bad.count()).to_pyarrow().to_pylist()
    ids: list[str] = []
    if examples:
        ids = (bad.select("lead_id").distinct().order_by("lead_id").limit(examples)
               .to_pyarrow().column(0).to_pylist())
    return (int(totals["count"] or 0), int(totals["base"] or 0),
            {str(r["detail"]): int(r["n"]) for r in by_rows if r["detail"] is not None},
            tuple(str(x) for x in ids))


def audit(store: Store, contract: CompiledContract, *, since: datetime | None = None,
          until: datetime | None = None, as_of: datetime | AsOf | None = None,
          examples: int = DEFAULT_EXAMPLES, period: str | None = None) -> AuditReport:
    """`accord audit`: one row per commitment of `contract`, the actual view against the
    agreement as the engine reads it (module docstring), for the checks in
    `[since, until)` as of `as_of` (an `AsOf` keeps its source; default: the latest
    fact). `examples`: lead ids shown
    per row (0: none). `period` labels the window (default: from `since`/`until`).
    `UsageError` when the derived tables of `accord run` it compares with are missing."""
    if examples < 0:
        raise UsageError(f"examples must be 0 or more, not {examples}")
    ctx, source = _context(store, contract, since, until, as_of)
    rows = []
    for check in _checks(ctx):
        count, base, by, ids = _summary(check.items, examples)
        rows.append(AuditRow(check.key, check.commitment, check.owner, check.agreed,
                             check.words(count, base, by), check.unit, count, base, ids,
                             check.reads, check.in_overall, dict(sorted(by.items()))))
    label = period or _label(ctx.since, ctx.until)
    return AuditReport(ctx.as_of, source, label, ctx.since, ctx.until, contract.version,
                       tuple(rows), ctx.decision_log)


def audit_checks(store: Store, contract: CompiledContract, *, since: datetime | None = None,
                 until: datetime | None = None, as_of: datetime | AsOf | None = None
                 ) -> dict[str, pa.Table]:
    """Every check the audit makes, by row key: a table of `lead_id` (a month for a volume
    SLA), `broken` and `detail` (why, when broken) — one row per check, so a rejection row
    has one per rejection. For drilling into a row beyond its examples."""
    ctx, _ = _context(store, contract, since, until, as_of)
    out: dict[str, pa.Table] = {}
    for check in _checks(ctx):
        items = check.items
        table = items if isinstance(items, pa.Table) else items.to_pyarrow()
        out[check.key] = table.select(["lead_id", "broken", "detail"]).sort_by("lead_id")
    return out


def _label(since: datetime | None, until: datetime | None) -> str:
    if since is None and until is None:
        return "all time"
    start = f"{since:%Y-%m-%d}" if since else "…"
    end = f"{until:%Y-%m-%d}" if until else "…"
    return f"{start}..{end} (end excluded)"
