"""The agreement as a document both teams read and sign (`accord contract render`).

Written from the compiled contract alone, in plain words: a glossary of every stage,
signal, ICP criterion, rejection reason and KPI; each SLA as one sentence built from its
terms; the routing rules in order; the attribution model; the operating cadence; and a
sign-off block naming every owner. Names are the contract's own (its stage names, its
owners' titles), so a company whose handoff stage is called "Marketing Qualified" reads
"Marketing Qualified", never "MQL".

`agreement_markdown` returns the Markdown; `render_agreement` turns it into md, html or
pdf with `reports/render.py`. No clock, no file path and no digest enters the text: the
same contract gives the same bytes, and changing one term changes only the lines that
state it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, assert_never

from accord.analytics.attribution.catalogue import MODELS
from accord.analytics.kpis.definitions import KPIS, KpiDefinition
from accord.contract.compiled import CompiledContract, SlaClock
from accord.contract.criteria import (
    And,
    Compare,
    CompareOp,
    InList,
    Literal,
    NameRef,
    Node,
    Not,
    Or,
)
from accord.contract.durations import Duration
from accord.contract.kpi_names import KPI_VOCABULARY, Direction
from accord.contract.roles import StageRole
from accord.contract.schema import Escalation, PoolTarget, QueueTarget
from accord.reports.pack import PACK_FOR_EVERY
from accord.reports.render import Format, cell, render

#: The document's sections, in order (each a `##` heading).
SECTIONS: tuple[str, ...] = (
    "Owners", "Business calendar", "Lifecycle stages", "Signals", "Ideal customer profiles",
    "Rejection reasons", "Service levels", "Shared KPIs", "Routing", "Attribution",
    "Operating cadence", "Sign-off",
)

_WEEKDAY_NAMES = {"mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
                  "fri": "Friday", "sat": "Saturday", "sun": "Sunday"}
_WEEK = tuple(_WEEKDAY_NAMES)

#: What each stage role means, in words (`contract/roles.py`).
ROLE_WORDS: dict[StageRole, str] = {
    StageRole.LEAD: "where every lead starts",
    StageRole.HANDOFF: "the handoff: marketing passes the lead to sales",
    StageRole.ACCEPTED: "sales has accepted the lead",
    StageRole.QUALIFIED: "sales has qualified the lead",
    StageRole.OPPORTUNITY: "a deal is open for the lead",
    StageRole.WON: "the deal is won",
    StageRole.LOST: "the deal is lost; a move here needs a rejection reason",
    StageRole.RECYCLED: "back to marketing to nurture; a move here needs a rejection reason",
    StageRole.DISQUALIFIED: "out of the funnel; a move here needs a rejection reason",
}

_INTENT_WORDS = {"hand_raise": "hand-raise (counts once)", "high": "high", "medium": "medium",
                 "low": "low", "none": "none"}
_EVERY_WORDS = {"week": "every week", "two_weeks": "every two weeks", "month": "every month",
                "quarter": "every quarter"}
_ACRONYMS = {"icp": "ICP", "sla": "SLA", "slas": "SLAs", "kpi": "KPI", "kpis": "KPIs",
             "mql": "MQL", "sql": "SQL", "sal": "SAL", "abm": "ABM", "sdr": "SDR",
             "bdr": "BDR", "ae": "AE", "qbr": "QBR", "gtm": "GTM", "revops": "RevOps",
             "cs": "CS", "vp": "VP", "cro": "CRO", "cmo": "CMO"}
_SOURCE_NOTE = re.compile(r"\s*\(seeds? \d{3}[^)]*\)")


# --- plain words for names ------------------------------------------------------------------


def md(text: object) -> str:
    """User text made literal in Markdown running text: HTML and Markdown punctuation
    escaped (CommonMark backslash escapes), newlines folded."""
    out = " ".join(str(text).split())
    return re.sub(r"([\\`*_\[\]<>|&#])", r"\\\1", out)


def _trusted(text: str) -> str:
    """accord's own Markdown (a KPI definition with its code spans) made safe for a table
    cell: HTML and pipes escaped, emphasis and code kept."""
    return re.sub(r"([<>&|])", r"\\\1", " ".join(text.split()))


def code(name: object) -> str:
    """A contract key as a code span (its name exactly as written)."""
    text = str(name).replace("|", "\\|")
    return f"`` {text} ``" if "`" in text else f"`{text}`"


def words(key: str) -> str:
    """A contract key as words: `weekly_pipeline_review` → `Weekly pipeline review`,
    `icp_review` → `ICP review` (well-known acronyms kept upper case)."""
    parts = [p for p in re.split(r"[_\s]+", key) if p]
    shown = [_ACRONYMS.get(p.lower(), p.lower() if i else p) for i, p in enumerate(parts)]
    if not shown:
        return key
    first = shown[0]
    shown[0] = first if first in _ACRONYMS.values() else first[:1].upper() + first[1:]
    return " ".join(shown)


def team(contract: CompiledContract, key: str) -> str:
    """An owner key as its team and title: `Sales (VP Sales)`; the key in words alone when
    the contract names no title for it."""
    title = contract.source.owners.get(key)
    return f"{words(key)} ({title})" if title else words(key)


def owner_title(contract: CompiledContract, key: str) -> str:
    """The owner's title with the key it signs for: `VP Sales (sales)`."""
    title = contract.source.owners.get(key)
    return f"{title} ({key})" if title else key


def listing(items: Sequence[str], last: str = "and") -> str:
    """`a`, `a and b`, `a, b and c`."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def number(value: float) -> str:
    """A number as written: `1,000`, `0.5`, `45`."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.6g}" if abs(value) >= 1000 else f"{value:g}"


def duration_words(d: Duration) -> str:
    """`2 business hours`, `1 business day`, `10 days`, `30 business minutes`."""
    unit = d.unit[:-1] if d.amount == 1 else d.unit
    return f"{number(d.amount)} {'business ' if d.business else ''}{unit}"


def weekdays_words(days: Iterable[str]) -> str:
    """`Monday to Friday`, `Monday, Wednesday and Friday`, `every day`."""
    chosen = [d for d in _WEEK if d in set(days)]
    if len(chosen) == 7:
        return "every day"
    idx = [_WEEK.index(d) for d in chosen]
    if len(idx) >= 3 and idx == list(range(idx[0], idx[0] + len(idx))):
        return f"{_WEEKDAY_NAMES[chosen[0]]} to {_WEEKDAY_NAMES[chosen[-1]]}"
    return listing([_WEEKDAY_NAMES[d] for d in chosen])


def calendar_words(contract: CompiledContract) -> str:
    """The contract calendar in words: `09:00–18:00 America/New_York time, Monday to
    Friday, excluding US holidays`."""
    cal = contract.source.calendar
    hours = cal.hours.replace("-", "–")
    holidays = f"excluding {cal.holidays} holidays" if cal.holidays else "holidays included"
    return f"{hours} {cal.timezone} time, {weekdays_words(cal.days)}, {holidays}"


def stage_list(names: Sequence[str], last: str = "or") -> str:
    return listing([md(n) for n in names], last)


# --- criteria in words ----------------------------------------------------------------------

_SCORE_WORDS = {"fit": "the fit score", "engagement": "the engagement score",
                "tier": "the ICP tier", "icp": "the best-fitting ICP",
                "accepted": "sales accepted the lead", "rejected": "sales rejected the lead"}
_OP_WORDS = {"==": "is", "!=": "is not", ">=": "is at least", ">": "is more than",
             "<=": "is at most", "<": "is less than"}
_FLIPPED: dict[CompareOp, CompareOp] = {"==": "==", "!=": "!=", ">=": "<=", ">": "<",
                                        "<=": ">=", "<": ">"}


def _name_words(ref: NameRef) -> str:
    field = ref.name.replace("_", " ")
    match ref.kind:
        case "score":
            return _SCORE_WORDS[ref.name]
        case "lead":
            return f"the lead's {md(field)}"
        case "account":
            return f"the account's {md(field)}"
        case "signal":
            return f"the {code(ref.name)} signal"
        case "signal_count":
            return f"the number of {code(ref.name)} signals"
        case _:
            assert_never(ref.kind)


def _literal_words(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value)
    return "empty" if value == "" else md(value)


def _truth_words(node: NameRef) -> str:
    match node.kind:
        case "score" if node.name in ("accepted", "rejected"):
            return _SCORE_WORDS[node.name]
        case "signal":
            return f"the lead showed the {code(node.name)} signal"
        case _:
            return f"{_name_words(node)} is set"


def criteria_words(node: Node) -> str:
    """Criteria (a parsed `entry`, `exit` or `when`) in words: `fit >= 45 and
    (engagement >= 40 or signal('demo_request'))` → "the fit score is at least 45 and
    (the engagement score is at least 40 or the lead showed the `demo_request` signal)"."""
    match node:
        case Literal(value):
            return "always" if value else "never"
        case NameRef():
            return _truth_words(node)
        case Compare(op, left, right):
            if isinstance(left, Literal) and isinstance(right, NameRef):
                op, left, right = _FLIPPED[op], right, left
            lhs = _name_words(left) if isinstance(left, NameRef) else _literal_words(left.value)
            if isinstance(right, Literal) and (right.value is None or right.value == ""):
                return f"{lhs} {'is empty' if op == '==' else 'is not empty'}"
            rhs = (_name_words(right) if isinstance(right, NameRef)
                   else _literal_words(right.value))
            return f"{lhs} {_OP_WORDS[op]} {rhs}"
        case InList(operand, values, negated):
            lhs = (_name_words(operand) if isinstance(operand, NameRef)
                   else _literal_words(operand.value))
            shown = [_literal_words(v.value) for v in values]
            return (f"{lhs} is none of {listing(shown, 'and')}" if negated
                    else f"{lhs} is {listing(shown, 'or')}")
        case Not(operand):
            return f"not ({criteria_words(operand)})"
        case And():
            return " and ".join(_grouped(p) for p in _flatten(node, And))
        case Or():
            return " or ".join(_grouped(p) for p in _flatten(node, Or))
        case _:
            assert_never(node)


def _flatten(node: Node, kind: type[And] | type[Or]) -> list[Node]:
    if isinstance(node, kind):
        return _flatten(node.left, kind) + _flatten(node.right, kind)
    return [node]


def _grouped(node: Node) -> str:
    """A part of an `and`/`or` chain; a chain of the other kind inside it is bracketed."""
    text = criteria_words(node)
    return f"({text})" if isinstance(node, And | Or) else text


# --- ICP criteria in words ------------------------------------------------------------------


def condition_words(field: str, op: str, operand: Any) -> str:
    """One ICP condition in words: `industry is software or fintech`, `employees between
    50 and 1,000 (both included)`, `title contains vp, head, director or chief (any case)`."""
    name = md(field.replace("_", " "))
    values = list(operand) if isinstance(operand, list | tuple) else [operand]
    shown = [_literal_words(v) for v in values]
    match op:
        case "in":
            return f"{name} is {listing(shown, 'or')}"
        case "not_in":
            return f"{name} is none of {listing(shown)}"
        case "between":
            return f"{name} between {shown[0]} and {shown[1]} (both included)"
        case "gte":
            return f"{name} is at least {shown[0]}"
        case "lte":
            return f"{name} is at most {shown[0]}"
        case "eq":
            return f"{name} is {shown[0]}"
        case "contains_any":
            return f"{name} contains {listing(shown, 'or')} (any case)"
        case _:
            return f"{name} {md(op)} {listing(shown)}"


# --- SLAs in words --------------------------------------------------------------------------


def _counted(contract: CompiledContract, clock: SlaClock, d: Duration) -> str:
    if not d.business:
        return "calendar time"
    if clock.calendar == "owner":
        return ("counted in the responsible rep's own working hours, time zone and holidays "
                f"(where a rep has none, {calendar_words(contract)})")
    return f"counted {calendar_words(contract)}"


def _within(contract: CompiledContract, clock: SlaClock) -> str:
    assert clock.within is not None, "per-lead SLAs have `within`"
    return f"within {duration_words(clock.within)}, {_counted(contract, clock, clock.within)}"


def _warning(clock: SlaClock) -> str:
    if clock.warn_before is None:
        return ""
    return f"; a warning goes out {duration_words(clock.warn_before)} before it is due"


def _recipient(contract: CompiledContract, who: str | None) -> str:
    match who:
        case None:
            return ""
        case "rep":
            return "the rep"
        case "manager":
            return "the rep's manager"
        case "owner":
            return "the lead's owner"
        case _:
            return team(contract, who)


def escalation_words(contract: CompiledContract, steps: Sequence[Escalation]) -> str:
    """`escalated to the rep after 2 business hours, to the rep's manager after 4 business
    hours, and reassigned after 8 business hours`."""
    parts: list[str] = []
    escalated = False
    for step in steps:
        after = f"after {duration_words(step.after)}"
        who = _recipient(contract, step.notify)
        if who and step.reassign:
            text = f"to {who} and reassigned {after}"
        elif who:
            text = f"to {who} {after}"
        elif step.reassign:
            parts.append(f"reassigned {after}")
            escalated = False
            continue
        else:
            text = f"flagged {after}"
            parts.append(text)
            escalated = False
            continue
        parts.append(text if escalated else f"escalated {text}")
        escalated = True
    if len(parts) > 2:
        return ", ".join(parts[:-1]) + ", and " + parts[-1]
    return " and ".join(parts)


def sla_sentence(contract: CompiledContract, clock: SlaClock) -> str:
    """One SLA as one sentence, from its terms, under the contract's stage names and
    owners' titles (Markdown). E.g. the starter's speed-to-lead SLA: "Sales (VP Sales)
    makes first contact with every MQL within 2 business hours, counted 09:00–18:00
    America/New_York time, Monday to Friday, excluding US holidays; a warning goes out 30
    business minutes before it is due; escalated to the rep after 2 business hours, …"."""
    who = md(team(contract, clock.owner))
    start = md(clock.start)
    match clock.kind:
        case "first_touch":
            text = (f"{who} makes first contact with every {start} "
                    f"{_within(contract, clock)}{_warning(clock)}")
            if clock.escalate:
                text += "; " + escalation_words(contract, clock.escalate)
        case "min_touches":
            text = (f"{who} makes at least {number(clock.min_touches or 0)} "
                    f"{'touch' if clock.min_touches == 1 else 'touches'} on every {start} "
                    f"{_within(contract, clock)}{_warning(clock)}")
        case "accept_or_reject":
            accept = (f" (moving it to {stage_list(clock.accept)})" if clock.accept else "")
            reject = (f" (moving it to {stage_list(clock.reject)})" if clock.reject else "")
            text = (f"{who} accepts every {start}{accept} or rejects it with a rejection "
                    f"reason{reject} {_within(contract, clock)}{_warning(clock)}")
        case "volume":
            text = (f"{who} brings at least {number(clock.per_month or 0)} leads a month to "
                    f"{start} (first entries, months in "
                    f"{contract.source.calendar.timezone} time)")
            if clock.min_acceptance is not None:
                moved = f" (moved to {stage_list(clock.accept)})" if clock.accept else ""
                text += (f"; at least {number(round(clock.min_acceptance * 100, 4))}% of those "
                         f"decided are accepted{moved}")
        case _:
            assert_never(clock.kind)
    return text + "."


# --- KPIs in words --------------------------------------------------------------------------


def kpi_definition(contract: CompiledContract, name: str) -> str:
    """A KPI's one-line definition under the contract's stage names."""
    definition: KpiDefinition | None = KPIS.get(name)
    if definition is None:
        return KPI_VOCABULARY.get(name, ("at_least", name))[1]
    return _SOURCE_NOTE.sub("", definition.describe(contract))


def kpi_direction(contract: CompiledContract, name: str) -> Direction:
    """Whether the target is a floor or a ceiling: the contract's, else the KPI's own."""
    target = contract.kpi_targets[name]
    if target.direction is not None:
        return target.direction
    definition = KPIS.get(name)
    if definition is not None:
        return definition.direction
    return KPI_VOCABULARY.get(name, ("at_least", ""))[0]


def kpi_target_words(contract: CompiledContract, name: str) -> str:
    """`at least 70%`, `at most 120 business minutes`, `at most USD 400`."""
    target = contract.kpi_targets[name].target
    side = "at least" if kpi_direction(contract, name) == "at_least" else "at most"
    definition = KPIS.get(name)
    unit = definition.unit if definition is not None else "ratio"
    currency = contract.source.economics.currency
    match unit:
        case "share":
            shown = f"{number(round(target * 100, 4))}%"
        case "business minutes":
            shown = f"{number(target)} business minutes"
        case "days":
            shown = f"{number(target)} days"
        case "per month":
            shown = f"{number(target)} a month"
        case "currency":
            shown = f"{currency} {number(target)}"
        case "currency per day":
            shown = f"{currency} {number(target)} a day"
        case "activities per lead":
            shown = f"{number(target)} activities per lead"
        case "ratio":
            shown = number(target)
        case _:
            assert_never(unit)
    return f"{side} {shown}"


# --- routing in words -----------------------------------------------------------------------


def _pool_words(contract: CompiledContract, name: str) -> str:
    pool = contract.source.routing.pools.get(name)
    if pool is None:
        return f"the pool {code(name)}, by round-robin"
    if pool.members:
        who = "reps " + listing([code(m) for m in pool.members])
    else:
        filters = [f"{k} {md(v)}" for k, v in (("role", pool.role), ("region", pool.region),
                                                ("segment", pool.segment)) if v]
        who = "active reps with " + listing(filters) if filters else "every active rep"
    return f"the pool {code(name)}, by round-robin ({who})"


def routing_lines(contract: CompiledContract) -> list[str]:
    """The routing section: when leads are routed, each rule in order, the fallback."""
    routing = contract.source.routing
    stage = contract.routing_stage
    lines = [f"Leads are routed to a rep when they first enter {md(stage)}." if stage
             else "Leads are routed to a rep when they are created.", "",
             "The rules run in this order; the first that applies and can assign decides. "
             "A rule whose rep or pool has nobody available (inactive, on leave, at "
             "capacity) passes the lead to the next rule.", ""]
    for i, rule in enumerate(contract.routing_rules, start=1):
        when = f"when {criteria_words(rule.node)}" if rule.node is not None else "always"
        match rule.to:
            case "account_owner":
                to = "the rep who owns its account"
            case PoolTarget(pool=pool_name):
                to = _pool_words(contract, pool_name)
            case QueueTarget(queue=queue):
                to = f"the queue {code(queue)}"
            case _:
                assert_never(rule.to)
        lines.append(f"{i}. {code(rule.label)}: {when}, the lead goes to {to}.")
    if not contract.routing_rules:
        lines.append("There are no routing rules.")
    lines += ["", f"A lead no rule assigns waits in the queue {code(routing.fallback_queue)}."]
    if routing.pools:
        lines += ["", "| pool | who | weights | leads a day at most | catch-up after leave |",
                  "|---|---|---|---|---|"]
        for name, pool in routing.pools.items():
            who = (listing(list(pool.members)) if pool.members else
                   ", ".join(f"{k} {v}" for k, v in (("role", pool.role),
                             ("region", pool.region), ("segment", pool.segment)) if v)
                   or "every active rep")
            weights = ", ".join(f"{k} {number(v)}" for k, v in pool.weights.items()) or "equal"
            cap = number(pool.capacity_per_day) if pool.capacity_per_day else "no limit"
            lines.append(f"| {code(name)} | {cell(who)} | {cell(weights)} | {cap} | "
                         f"{'yes' if pool.catch_up_after_leave else 'no'} |")
    return lines


# --- the document ---------------------------------------------------------------------------


def agreement_title(contract: CompiledContract) -> str:
    return (f"Marketing–sales agreement, version {contract.version}, effective "
            f"{contract.source.effective.isoformat()}")


def _stage_entry(contract: CompiledContract, name: str) -> str:
    node = contract.criteria.get((name, "entry"))
    if node is not None:
        return criteria_words(node)
    role = contract.stages.role_of.get(name)
    if name == contract.stages.initial:
        return "every lead starts here when it is created"
    match role:
        case StageRole.OPPORTUNITY:
            return "an opportunity is created for the lead"
        case StageRole.WON:
            return "an opportunity of the lead is won"
        case _:
            return f"{md(team(contract, contract.stages.owners[name]))} moves the lead here"


def _stages(contract: CompiledContract) -> list[str]:
    lines = ["Each stage has one owner. A lead moves only to the stages its current stage "
             "lists as next; a move into a stage that sends it back needs a rejection "
             "reason.", "",
             "| stage | what it means | owner | enters when | may go next to |",
             "|---|---|---|---|---|"]
    for name in contract.stages.names:
        spec = contract.source.stages[name]
        role = contract.stages.role_of.get(name)
        meaning = ROLE_WORDS[role] if role is not None else "a step of the company's own"
        if spec.description:
            meaning += f". {md(_SOURCE_NOTE.sub('', spec.description))}"
        entry = _stage_entry(contract, name)
        exit_node = contract.criteria.get((name, "exit"))
        if exit_node is not None:
            entry += f"; leaves when {criteria_words(exit_node)}"
        nxt = contract.stages.next.get(name, ())
        lines.append(f"| {md(name)} | {meaning} | {md(owner_title(contract, spec.owner))} | "
                     f"{entry} | {stage_list(nxt) if nxt else 'nowhere: it is final'} |")
    return lines


def _signals(contract: CompiledContract) -> list[str]:
    signals = contract.source.signals
    if not signals:
        return ["The contract defines no signals: engagement is always 0."]
    lines = ["The behaviours both teams agree count as intent, and how much. The engagement "
             "score adds the points of a lead's signals; points halve every half-life, and a "
             "hand-raise counts once and does not decay.", "",
             "| signal | intent | points | half-life | meaning |", "|---|---|---|---|---|"]
    for name, s in signals.items():
        half = (f"{number(s.half_life_days)} days" if s.half_life_days is not None
                else "no decay")
        lines.append(f"| {code(name)} | {_INTENT_WORDS[s.intent]} | {number(s.points)} | "
                     f"{half} | {md(s.description) or words(name)} |")
    return lines


def _icps(contract: CompiledContract) -> list[str]:
    if not contract.scoring.icps:
        return ["The contract defines no ideal customer profile: every fit score is 0."]
    lines = ["A lead's fit score for a profile is the sum of the points of the criteria it "
             "meets (the account's value of a field, else the lead's own); its tier is the "
             "highest whose minimum the score reaches. A lead is scored against its "
             "best-fitting profile."]
    for icp in contract.scoring.icps:
        description = contract.source.icps[icp.name].description
        lines += ["", f"### {md(words(icp.name))} ({code(icp.name)})"]
        if description:
            lines += ["", md(description)]
        lines += ["", "| criterion | condition | points |", "|---|---|---|"]
        for crit in icp.criteria:
            condition = " and ".join(condition_words(crit.field, op, operand)
                                     for op, operand in crit.conditions)
            lines.append(f"| {code(crit.field)} | {condition} | {number(crit.points)} |")
        total = sum(c.points for c in icp.criteria)
        lines += ["", f"At most {number(total)} points."]
        if icp.tiers:
            tiers = [f"tier {md(t)} from {number(m)} points" for t, m in icp.tiers]
            lines.append(f"Tiers, highest first: {listing(tiers)}.")
    return lines


def _rejections(contract: CompiledContract) -> list[str]:
    back = contract.stages.send_back
    where = f" (into {stage_list(back)})" if back else ""
    lines = [f"When sales sends a lead back{where}, it gives one of these codes; a rejection "
             "without one is refused.", "", "| code | meaning |", "|---|---|"]
    lines += [f"| {code(r)} | {md(words(r))} |" for r in contract.source.rejection_reasons]
    return lines


def _slas(contract: CompiledContract) -> list[str]:
    if not contract.slas:
        return ["The contract sets no service levels."]
    lines = ["Each team's commitments. A per-lead clock starts when the lead first enters "
             "the stage named and stops when the commitment is kept.", ""]
    for name, clock in contract.slas.items():
        lines += [f"- **{code(name)}** ({clock.kind.replace('_', ' ')}): "
                  f"{sla_sentence(contract, clock)}"]
    return lines


def _kpis(contract: CompiledContract) -> list[str]:
    econ = contract.source.economics
    lines = ["The figures both teams own, with the targets they agree on. Each is computed "
             "one way for everyone (`accord kpis`).", "",
             "| KPI | what it measures | target |", "|---|---|---|"]
    for name in contract.kpi_targets:
        lines.append(f"| {code(name)} | {_trusted(kpi_definition(contract, name))} | "
                     f"{kpi_target_words(contract, name)} |")
    if not contract.kpi_targets:
        lines.append("| — | the contract sets no KPI targets | — |")
    ltv = (f"; lifetime value per customer {econ.currency} {number(econ.ltv_per_customer)}"
           if econ.ltv_per_customer is not None else "")
    lines += ["", f"Amounts are in {md(econ.currency)}{ltv}."]
    return lines


def _attribution(contract: CompiledContract) -> list[str]:
    a = contract.source.attribution
    spec = MODELS.get(a.model)
    weights = f": {md(spec.weights)}" if spec is not None else ""
    return [f"Marketing's credit for pipeline and revenue uses the {code(a.model)} model"
            f"{weights}. It counts touches in the {number(a.lookback_days)} days before a "
            f"conversion; time-decay credit halves every {number(a.half_life_days)} days."]


def _cadence(contract: CompiledContract) -> list[str]:
    cadences = contract.source.cadences
    if not cadences:
        return ["The contract sets no meetings."]
    lines = ["The meetings that keep the agreement alive; each brings its pack "
             "(`accord report`). `accord cadence ics` puts them in a calendar.", "",
             "| meeting | how often | minutes | who | agenda | bring |",
             "|---|---|---|---|---|---|"]
    for name, c in cadences.items():
        who = listing([md(owner_title(contract, k)) for k in c.with_]) or "—"
        agenda = "; ".join(md(x) for x in c.agenda) or "—"
        lines.append(f"| {md(words(name))} ({code(name)}) | {_EVERY_WORDS[c.every]} | "
                     f"{c.minutes} | {who} | {agenda} | "
                     f"`accord report {PACK_FOR_EVERY[c.every]}` |")
    return lines


def _sign_off(contract: CompiledContract) -> list[str]:
    effective = contract.source.effective.isoformat()
    lines = [f"By signing, each owner agrees to version {contract.version} of this "
             f"agreement, effective {effective}. The signatures of marketing and sales are "
             "recorded with `accord contract sign`; the version decides from its effective "
             "date once both have signed."]
    line = "\\_" * 36
    for key, title in contract.source.owners.items():
        lines += ["", f"**{md(title)}** ({md(key)}), version {contract.version}, effective "
                      f"{effective}", "", f"Name: {line}\\", f"Signature: {line}\\",
                  f"Date: {line}"]
    return lines


def agreement_markdown(contract: CompiledContract) -> str:
    """The agreement as Markdown (see the module docstring)."""
    cal = contract.source.calendar
    body: dict[str, list[str]] = {
        "Owners": ["| team | owner |", "|---|---|"] + [
            f"| {md(k)} | {md(v)} |" for k, v in contract.source.owners.items()],
        "Business calendar": [
            f"Service-level clocks in business time run {calendar_words(contract)}"
            + (" (public holidays of the `holidays` package, observed days included)"
               if cal.holidays else "") + "."],
        "Lifecycle stages": _stages(contract),
        "Signals": _signals(contract),
        "Ideal customer profiles": _icps(contract),
        "Rejection reasons": _rejections(contract),
        "Service levels": _slas(contract),
        "Shared KPIs": _kpis(contract),
        "Routing": routing_lines(contract),
        "Attribution": _attribution(contract),
        "Operating cadence": _cadence(contract),
        "Sign-off": _sign_off(contract),
    }
    assert tuple(body) == SECTIONS, "every section is written, in order"
    lines = [f"# Marketing–sales agreement, version {contract.version}", "",
             f"Effective {contract.source.effective.isoformat()}. The written agreement "
             "between marketing and sales: the words both teams use, what each team "
             "commits to, and how they meet. It is generated from the contract that accord "
             "runs on, so it says exactly what the figures and the clocks apply."]
    for title, section in body.items():
        lines += ["", f"## {title}", "", *section]
    return "\n".join(lines) + "\n"


def render_agreement(contract: CompiledContract, fmt: Format) -> bytes:
    """The agreement in `fmt` (md, html or pdf), as bytes to write."""
    return render(agreement_markdown(contract), fmt, title=agreement_title(contract))


__all__ = ["ROLE_WORDS", "SECTIONS", "agreement_markdown", "agreement_title",
           "calendar_words", "code", "condition_words", "criteria_words", "duration_words",
           "escalation_words", "kpi_definition", "kpi_target_words", "md", "owner_title",
           "render_agreement", "routing_lines", "sla_sentence", "team", "words"]
