"""Where the company stands on the alignment maturity ladders (`accord diagnose`).

Two ladders place the company, each from evidence the contract and the store hold, plus
a short questionnaire for what no store can know:

- **Oracle's four stages of alignment maturity**, as cited in "Sales and Marketing
  Organizational Structures: Models That Actually Align Revenue": strategic alignment,
  technology integration, operational integration, revenue unification (`ORACLE_STAGES`).
- **The alignment maturity staircase** of "Marketing-Sales Alignment for SMB vs
  Enterprise: One Framework, Two Operating Modes": Verbal, Written, Instrumented,
  Operational (`STAIRCASE`).

**Placement rules are data.** Each ladder is a table of levels; each level names the
checks (`CHECKS`, below) that must all pass for it to hold. The company sits on the
highest level that holds *together with every level below it*; level 1 is the floor (the
staircase's Verbal rung asks nothing: every company starts there; Oracle's first stage has
requirements, and `holds` says whether they are met). So a company that measures its SLAs
but never signed its definitions stays on the first rung: rungs are climbed in order.

| staircase rung | requires |
|---|---|
| 1 Verbal | — |
| 2 Written | `icp_written`, `stages_defined`, `rejection_codes_written`, `signed` |
| 3 Instrumented | `slas_written`, `kpis_targeted`, `sla_measured`, `rejections_coded` |
| 4 Operational | `sla_met`, `closed_loop`, `attribution_chosen`, `cadences_held` |

| Oracle stage | requires (answers: questions) |
|---|---|
| 1 Strategic alignment | `icp_written`, `signed` |
| 2 Technology integration | `unified_data`; answer `one_system` |
| 3 Operational integration | `stages_defined`, `slas_written`, `kpis_targeted`, |
|  | `sla_measured`, `cadences_held`; answer `alignment_owner` |
| 4 Revenue unification | `sla_met`, `closed_loop`; answers `shared_revenue_target`, |
|  | `joint_planning`, `shared_comp` |

**The next step** is the first unmet check, in table order, of the staircase rung above
the company's; on the top rung it is the first six-month checklist item not yet done, and
once all are, the staircase's own advice for its top rung.

**Checks** (each: what was checked, what was found, `pass` / `fail`, or `unknown` for a
question not answered). Facts are read in one named view (`engine/views.py`, actual by
default) over **the last quarter**: the `QUARTER_DAYS` (91) days up to and including
`as_of` (`store/as_of.py`: default the latest fact). Thresholds are accord's choices where
the articles give none, and named here:

- `icp_written`: the contract has an ICP with criteria (`icps`).
- `stages_defined`: the handoff stage (role `handoff`) has `entry` criteria and an
  accepted stage (role `accepted`) exists.
- `rejection_codes_written`: `rejection_reasons` lists codes and a send-back stage exists.
- `signed`: a contract version in the store (`store/contract_versions.py`) signed by both
  sides (`contract.versions.SIDES`). Signatures are records of agreement and are read
  whole, whatever `as_of`; the finding says whether that version is in force at `as_of`
  and whether it is the workspace's contract.
- `slas_written`: at least one per-lead SLA in `slas`.
- `kpis_targeted`: a `kpis` section written in accord.yaml (the schema's default targets
  are accord's suggestion, not an agreement) with at least one target.
- `sla_measured`: sales activities and stage changes are recorded, and every per-lead SLA
  has clocks decided (met or breached) among those started in the last quarter
  (`engine/sla_clock.py`'s `sla_overview`, as `accord sla --period` reads them).
- `rejections_coded`: moves into a send-back stage in the last quarter exist, and at least
  `REJECTION_CODED_SHARE` (95%) carry a code from `rejection_reasons`.
- `sla_met`: every per-lead SLA's share within (met ÷ (met + breached)) over the clocks
  started in the last quarter is at least `SLA_MET_SHARE` (90%).
- `closed_loop`: new-business opportunities closed (won or lost) in the last quarter exist
  and at least `OUTCOMES_LINKED_SHARE` (80%) name a lead of the store, and rejections carry
  reason codes (`rejections_coded`): outcomes and reasons both flow back to marketing.
  Renewals and expansions (`opportunities.type`) come from customers and are left out.
- `attribution_chosen`: `attribution.model` is written in accord.yaml; left out, the
  schema's default (first touch) applies and nobody chose it.
- `cadences_held`: for each cadence of the contract, the meeting packs `accord report`
  prepared — audit log (`audit_log`) rows whose `event_id` is
  `report:<kind>:<period start>`, the pack kind following the cadence's `every`
  (`PACK_KIND_FOR_EVERY`) — with distinct period starts in the last quarter, reaching back
  one more cadence period (a pack reviews a period that may have started before the
  quarter). A cadence is held with at least `CADENCE_HELD_SHARE` (75%) of the packs a
  quarter brings (`PACKS_PER_QUARTER`: weekly 13, biweekly 6, monthly 3, quarterly 1;
  rounded up: 10, 5, 3, 1). Two cadences with the same `every` share one pack kind. The
  questionnaire's `cadences_held: all` passes the check when the packs do not.
- `unified_data`: marketing touches and sales activities are both recorded, and at least
  `UNIFIED_SHARE` (50%) of the leads sales worked in the last quarter show marketing
  touches in the store: each side sees the other's part of a lead.
- A question (`QUESTIONS`) passes when answered with one of its passing values.

**Warning signs** (`WARNING_SIGNS`): present (True), absent (False) or not checkable
(None, with why). From the structure article: handoff rate under 35% (the `handoff_rate`
KPI), a third of handed-off leads untouched, a third of the pipeline stalled at one stage,
more than a third of reps below quota (`analytics/diagnostics.py`, over the last quarter),
separate systems, competing goals and no owner of the handoff (answers). From the
operating-model article: a median speed to lead over two business hours. From the SMB vs
enterprise article: MQL→SAL under 70%, a rising MQL rejection rate (last quarter against
the one before, the period basis of `accord kpis`), rejections without a reason code.

**The six-month checklist** of "What is Marketing-Sales Alignment: The Revenue Team
Operating Model" (`CHECKLIST`): each item `done`, `partly` (the instrument or the
agreement is there but the outcome is not yet, or only one of evidence and answer
confirms it) or `not yet`, with its evidence. An unanswered question counts as not
confirmed and says so.

Library only: `accord diagnose` renders `diagnose(...)`; the quarterly meeting pack can
show `Diagnosis.stage`, `Diagnosis.rung` and `Diagnosis.next_step`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final, Literal

import ibis
import pyarrow as pa
import pyarrow.compute as pc

from accord.analytics.diagnostics import Sign, StructuralDiagnostic, structural_diagnostic
from accord.analytics.kpis import EFFECTIVE_HANDOFF_RATE, KpiReport, Period, compute_kpis
from accord.contract.cadences import PACK_FOR_EVERY
from accord.contract.compiled import CompiledContract
from accord.contract.roles import StageRole
from accord.contract.versions import SIDES, is_signed, signed_sides
from accord.contract.yaml_source import YamlSource, YamlSyntaxError, load_yaml_source
from accord.engine.sla_clock import SlaOverview, sla_overview
from accord.engine.views import DEFAULT_VIEW, VIEW_LABELS, View, check_view, stage_moves
from accord.errors import UnknownNameError, UsageError
from accord.store.as_of import AsOf, resolve_as_of
from accord.store.base import Store
from accord.store.contract_versions import VersionBook, load_book

__all__ = [
    "CHECKLIST", "CHECKS", "ORACLE_STAGES", "QUESTIONS", "STAIRCASE", "WARNING_SIGNS",
    "Answers", "AnswersError", "Check", "ChecklistItem", "Diagnosis", "Level", "NextStep",
    "Placement", "Question", "WarningSign", "check_answers", "diagnose", "load_answers",
]

# -- the articles, by title (user-facing text names them so) ---------------------------------
STRUCTURE_ARTICLE: Final = ("Sales and Marketing Organizational Structures: Models That "
                            "Actually Align Revenue")
OPERATING_MODEL_ARTICLE: Final = ("What is Marketing-Sales Alignment: The Revenue Team "
                                  "Operating Model")
SIZES_ARTICLE: Final = ("Marketing-Sales Alignment for SMB vs Enterprise: One Framework, "
                        "Two Operating Modes")

# -- thresholds (module docstring) -------------------------------------------------------------
QUARTER_DAYS: Final = 91
SLA_MET_SHARE: Final = 0.90
REJECTION_CODED_SHARE: Final = 0.95
OUTCOMES_LINKED_SHARE: Final = 0.80
UNIFIED_SHARE: Final = 0.50
CADENCE_HELD_SHARE: Final = 0.75
HEALTHY_MQL_TO_SAL: Final = 0.70  # the SMB vs enterprise article: healthy above 70%
RESPONSE_MINUTES: Final = 120  # the operating-model article: qualified inbound under 2 hours

#: The pack `accord report` prepares for a cadence, by the cadence's `every` (the
#: contract's one table, `contract.cadences`).
PACK_KIND_FOR_EVERY: Final[Mapping[str, str]] = PACK_FOR_EVERY
#: Days one cadence period spans (how far back before the quarter a pack may start).
CADENCE_DAYS: Final[Mapping[str, int]] = {"week": 7, "two_weeks": 14, "month": 31,
                                          "quarter": 92}
#: Meetings a cadence brings in a quarter.
PACKS_PER_QUARTER: Final[Mapping[str, int]] = {"week": 13, "two_weeks": 6, "month": 3,
                                               "quarter": 1}

CheckStatus = Literal["pass", "fail", "unknown"]
ItemStatus = Literal["done", "partly", "not yet"]
Evidence = Literal["contract", "store", "answers", "store or answers"]
Answer = bool | str


# -- the questionnaire --------------------------------------------------------------------------
@dataclass(frozen=True)
class Question:
    """One question the store cannot answer. `choices` empty: a yes/no question (answer
    True/False, or yes/no); else the answer is one of the choice values. `passing`: the
    answers that satisfy the check of the same id."""

    id: str
    text: str
    choices: tuple[tuple[str, str], ...] = ()
    passing: tuple[Answer, ...] = (True,)

    @property
    def kind(self) -> Literal["yes_no", "choice"]:
        return "choice" if self.choices else "yes_no"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "kind": self.kind,
                "choices": {v: m for v, m in self.choices}, "passing": list(self.passing)}


QUESTIONS: Final[tuple[Question, ...]] = (
    Question("icp_same_answer", "Asked who the ideal customer is, would marketing and sales "
             "give the same answer without opening a document?"),
    Question("one_system", "Where do both teams' lead and pipeline data live?",
             (("one_system", "one system both teams work in"),
              ("synced", "separate systems kept in sync both ways"),
              ("separate", "separate systems, reconciled by hand or not at all")),
             ("one_system", "synced")),
    Question("weekly_meeting_joint", "Does the weekly pipeline meeting have both teams in "
             "the room, each accountable for its own numbers (neither presenting to the "
             "other)?"),
    Question("cadences_held", "Over the last quarter, were the meetings the contract "
             "schedules held?",
             (("all", "every cadence, as scheduled"), ("some", "some of them, or irregularly"),
              ("none", "not really")), ("all",)),
    Question("win_loss_to_targeting", "Does sales' win-loss data change what marketing "
             "targets next quarter?"),
    Question("onboarding_session", "Does every new sales hire get a session with marketing "
             "in their first two weeks, because onboarding requires it?"),
    Question("shared_revenue_target", "Do marketing and sales answer to one shared revenue "
             "target?"),
    Question("joint_planning", "Do marketing and sales build one joint plan for the quarter "
             "(targets, campaigns, capacity)?"),
    Question("shared_comp", "Whose variable pay is tied to the shared KPIs?",
             (("both", "both teams'"), ("one_team", "one team's only"),
              ("neither", "neither team's")), ("both",)),
    Question("alignment_owner", "Is one named person or team (RevOps, or an owner of the "
             "agreement) accountable for the handoff and the systems behind it?"),
)
QUESTION_IDS: Final[tuple[str, ...]] = tuple(q.id for q in QUESTIONS)
_QUESTION = {q.id: q for q in QUESTIONS}
_YES = ("yes", "y", "true")
_NO = ("no", "n", "false")


class AnswersError(UsageError):
    """An answer that is not one its question accepts; names the file, the question id
    and the line."""

    def __init__(self, source: str, key: str, message: str, line: int | None = None) -> None:
        self.source = source
        self.key = key
        self.line = line
        where = f"{source}: line {line}" if line is not None else source
        super().__init__(f"{where}: {key}: {message}")


@dataclass(frozen=True)
class Answers:
    """Validated answers by question id (yes/no as bool, choices as their value) and where
    they came from (a file name, `prompt`, or `answers` for a mapping given in code)."""

    values: Mapping[str, Answer]
    source: str

    def get(self, question: str) -> Answer | None:
        return self.values.get(question)

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "answers": dict(self.values)}


def _parse_answer(q: Question, value: object, source: str, line: int | None) -> Answer:
    if q.kind == "yes_no":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _YES + _NO:
            return value.strip().lower() in _YES
        raise AnswersError(source, q.id, f"expected yes or no (true/false), got {value!r}",
                           line)
    allowed = [v for v, _ in q.choices]
    if isinstance(value, str) and value.strip() in allowed:
        return value.strip()
    raise AnswersError(source, q.id, f"expected one of {', '.join(allowed)}, got {value!r}",
                       line)


def check_answers(data: Mapping[str, object], source: str = "answers", *,
                  src: YamlSource | None = None) -> Answers:
    """Validate a mapping of question id → answer. An unknown id raises
    `UnknownNameError` naming `source` (and the line, when `src` has it) and the known ids;
    an answer its question does not accept raises `AnswersError`. A null answer leaves the
    question unanswered."""
    out: dict[str, Answer] = {}
    for key, value in data.items():
        line = src.position((key,), prefer_key=True).line if src is not None else None
        if str(key) not in _QUESTION:
            where = f"{source} (line {line})" if line is not None else source
            raise UnknownNameError("question", key, QUESTION_IDS, where=where)
        if value is None:
            continue
        out[str(key)] = _parse_answer(_QUESTION[str(key)], value, source, line)
    ordered = {q: out[q] for q in QUESTION_IDS if q in out}
    return Answers(ordered, source)


def load_answers(path: str | Path) -> Answers:
    """Read an answers file: a YAML or JSON mapping of question id → answer (module
    `QUESTIONS`). Problems raise `UsageError` naming the file (and line and key)."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as exc:
        raise UsageError(f"{p}: cannot read the answers file: {exc.strerror}") from None
    try:
        src = load_yaml_source(text)
    except YamlSyntaxError as exc:
        raise UsageError(f"{p}: line {exc.line}: not valid YAML or JSON: {exc.message}"
                         ) from None
    for path_, first, dup in src.duplicates:
        raise AnswersError(str(p), ".".join(str(x) for x in path_),
                           f"answered twice (first at line {first.line})", dup.line)
    if not isinstance(src.data, dict):
        raise UsageError(f"{p}: expected a mapping of question id to answer, e.g. "
                         f"`{QUESTIONS[0].id}: yes`; known ids: {', '.join(QUESTION_IDS)}")
    return check_answers(src.data, str(p), src=src)


# -- checks -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckSpec:
    """What a check looks at and what to do when it fails."""

    id: str
    title: str
    checked: str
    remedy: str
    evidence: Evidence


_CHECK_SPECS: tuple[CheckSpec, ...] = (
    CheckSpec("icp_written", "Shared ICP written down",
              "the contract's `icps`: an ideal customer profile with criteria",
              "Write the ideal customer profile into accord.yaml (`icps`) with both teams in "
              "the room.", "contract"),
    CheckSpec("stages_defined", "Lead definitions written",
              "the handoff stage has `entry` criteria and a stage sales accepts into exists",
              "Write the handoff stage's entry criteria (what makes a lead marketing "
              "qualified) and the stage sales accepts leads into (`stages`).", "contract"),
    CheckSpec("rejection_codes_written", "Rejection reason codes agreed",
              "`rejection_reasons` lists codes and a stage exists to send leads back to",
              "List the codes sales gives when it sends a lead back (`rejection_reasons`) "
              "and a nurture stage to send it to.", "contract"),
    CheckSpec("signed", "Signed by both owners",
              "a contract version in the store signed by the marketing and the sales owner",
              "Propose the contract and have both owners sign it: `accord contract propose "
              "accord.yaml`, then `accord contract sign` for each side.", "store"),
    CheckSpec("slas_written", "SLAs written",
              "`slas`: at least one per-lead SLA (first touch, follow-up or accept/reject)",
              "Write the first SLA into `slas`: sales touches a handed-off lead within a set "
              "number of business hours.", "contract"),
    CheckSpec("kpis_targeted", "Shared KPIs with targets",
              "a `kpis` section written in accord.yaml with at least one target",
              "Agree the KPIs both teams own and their targets, and write them under `kpis`.",
              "contract"),
    CheckSpec("sla_measured", "SLAs measured on recorded facts",
              "sales activities and stage changes in the store, and every per-lead SLA with "
              "clocks decided (met or breached) among those started in the last quarter",
              "Import the CRM's sales activities and stage changes (`accord import`) so every "
              "SLA clock runs on what happened.", "store"),
    CheckSpec("rejections_coded", "Rejections carry reason codes",
              f"moves into a send-back stage in the last quarter, at least "
              f"{REJECTION_CODED_SHARE:.0%} with a code from `rejection_reasons`",
              "Make a reason code mandatory on every rejection in the CRM and import the "
              "stage changes.", "store"),
    CheckSpec("sla_met", "SLAs met",
              f"each per-lead SLA's share of clocks within SLA (clocks started in the last "
              f"quarter), against {SLA_MET_SHARE:.0%}",
              f"Bring every SLA to {SLA_MET_SHARE:.0%} within, starting with the reps furthest "
              "behind (`accord sla --breaches`).", "store"),
    CheckSpec("closed_loop", "Closed loop: outcomes and reasons flow back",
              f"opportunities won or lost in the last quarter, at least "
              f"{OUTCOMES_LINKED_SHARE:.0%} naming the lead they came from, and coded "
              "rejections",
              "Link every opportunity to the lead it came from and record won/lost outcomes, "
              "so marketing sees what converts and what sales turns back.", "store"),
    CheckSpec("attribution_chosen", "Attribution model chosen",
              "`attribution.model` written in accord.yaml (not left to accord's default)",
              "Choose the attribution model and write it under `attribution.model`: two-touch "
              "before about 150 employees, multi-touch later.", "contract"),
    CheckSpec("cadences_held", "Meeting cadences held",
              f"meeting packs prepared per contract cadence over the last quarter (audit log "
              f"rows `report:<kind>:<period start>`), at least {CADENCE_HELD_SHARE:.0%} of "
              "the meetings a quarter brings; or the questionnaire's answer",
              "Hold every cadence the contract schedules and prepare its pack with "
              "`accord report`.", "store or answers"),
    CheckSpec("unified_data", "Both teams' data in one place",
              f"marketing touches and sales activities in the store, and at least "
              f"{UNIFIED_SHARE:.0%} of the leads sales worked in the last quarter with "
              "marketing touches",
              "Bring marketing touches and sales activities into one store, keyed by the same "
              "lead ids (`accord import`).", "store"),
    CheckSpec("icp_same_answer", "Both teams describe the ICP alike",
              "questionnaire: `icp_same_answer`",
              "Run the ICP session again with both teams until each describes the ideal "
              "customer the same way unprompted.", "answers"),
    CheckSpec("one_system", "One system, or systems in sync",
              "questionnaire: `one_system`",
              "Put both teams on one CRM, or sync the marketing platform and the CRM both "
              "ways.", "answers"),
    CheckSpec("weekly_meeting_joint", "Weekly pipeline meeting with both teams accountable",
              "questionnaire: `weekly_meeting_joint`",
              "Make the weekly pipeline meeting joint: both teams present their own numbers "
              "and own the actions.", "answers"),
    CheckSpec("win_loss_to_targeting", "Win-loss data steers targeting",
              "questionnaire: `win_loss_to_targeting`",
              "Review win-loss patterns each quarter and change marketing's targeting on "
              "them (`accord insights`).", "answers"),
    CheckSpec("onboarding_session", "New sales hires meet marketing",
              "questionnaire: `onboarding_session`",
              "Add a marketing session to sales onboarding, within the first two weeks.",
              "answers"),
    CheckSpec("shared_revenue_target", "One shared revenue target",
              "questionnaire: `shared_revenue_target`",
              "Set one revenue target both teams answer to.", "answers"),
    CheckSpec("joint_planning", "One joint plan",
              "questionnaire: `joint_planning`",
              "Plan the quarter together: one plan for targets, campaigns and capacity.",
              "answers"),
    CheckSpec("shared_comp", "Pay tied to the shared KPIs",
              "questionnaire: `shared_comp`",
              "Tie both teams' variable pay to the KPIs they share.", "answers"),
    CheckSpec("alignment_owner", "Someone owns the handoff",
              "questionnaire: `alignment_owner`",
              "Name the owner of the handoff and of the systems behind it (RevOps, or one "
              "accountable person).", "answers"),
)
CHECKS: Final[Mapping[str, CheckSpec]] = {c.id: c for c in _CHECK_SPECS}


@dataclass(frozen=True)
class Check:
    """One check's result: what was checked, what was found, and the figures behind it."""

    id: str
    title: str
    checked: str
    found: str
    status: CheckStatus
    evidence: Evidence
    figures: Mapping[str, Any] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    @property
    def remedy(self) -> str:
        return CHECKS[self.id].remedy

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "checked": self.checked,
                "found": self.found, "status": self.status, "evidence": self.evidence,
                "figures": dict(self.figures)}


def _check(cid: str, passed: bool | None, found: str, **figures: Any) -> Check:
    spec = CHECKS[cid]
    status: CheckStatus = "unknown" if passed is None else ("pass" if passed else "fail")
    return Check(cid, spec.title, spec.checked, found, status, spec.evidence, figures)


# -- the ladders --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Level:
    """One level of a ladder: its number, name, what marks it, and the checks it needs."""

    number: int
    name: str
    feature: str
    requires: tuple[str, ...]


STAIRCASE: Final[tuple[Level, ...]] = (
    Level(1, "Verbal", "The agreement lives in what a few people remember and tell each "
          "other.", ()),
    Level(2, "Written", "The definitions are written down and signed by both teams, but no "
          "system enforces them yet.",
          ("icp_written", "stages_defined", "rejection_codes_written", "signed")),
    Level(3, "Instrumented", "Systems enforce and measure the definitions; reporting on them "
          "is still assembled by hand.",
          ("slas_written", "kpis_targeted", "sla_measured", "rejections_coded")),
    Level(4, "Operational", "One owner runs the whole alignment stack: SLAs are met, "
          "outcomes flow back, attribution is chosen and the meeting rhythm holds.",
          ("sla_met", "closed_loop", "attribution_chosen", "cadences_held")),
)
#: The staircase's advice once its top rung is reached (and the checklist is done).
STAIRCASE_TOP_ADVICE: Final = ("Keep the ICP under quarterly review and build the "
                               "coordination layer for account-based marketing.")

ORACLE_STAGES: Final[tuple[Level, ...]] = (
    Level(1, "Strategic alignment", "Both teams agree, in writing, on whom they sell to.",
          ("icp_written", "signed")),
    Level(2, "Technology integration", "Both teams' data sit together; each sees the "
          "other's side of a lead.", ("unified_data", "one_system")),
    Level(3, "Operational integration", "Shared definitions, SLAs, KPIs and joint reviews run "
          "the handoff, and someone owns it.",
          ("stages_defined", "slas_written", "kpis_targeted", "sla_measured",
           "cadences_held", "alignment_owner")),
    Level(4, "Revenue unification", "Marketing and sales work as one revenue team: one "
          "target, one plan, pay on the same numbers, SLAs met and the loop closed.",
          ("sla_met", "closed_loop", "shared_revenue_target", "joint_planning",
           "shared_comp")),
)

LADDERS: Final[Mapping[str, tuple[str, str, tuple[Level, ...]]]] = {
    "staircase": ("Alignment maturity staircase", SIZES_ARTICLE, STAIRCASE),
    "oracle": ("Oracle's four stages of alignment maturity", STRUCTURE_ARTICLE,
               ORACLE_STAGES),
}


@dataclass(frozen=True)
class LevelResult:
    number: int
    name: str
    feature: str
    checks: tuple[Check, ...]

    @property
    def holds(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "name": self.name, "feature": self.feature,
                "holds": self.holds, "checks": [c.id for c in self.checks]}


@dataclass(frozen=True)
class Placement:
    """Where one ladder puts the company: `level` (1–4) and every level with its checks.
    `next_check`: the first unmet check of the level above (None on the top level)."""

    ladder: str
    title: str
    source: str
    level: int
    levels: tuple[LevelResult, ...]
    next_check: Check | None

    @property
    def current(self) -> LevelResult:
        return self.levels[self.level - 1]

    @property
    def name(self) -> str:
        return self.current.name

    @property
    def holds(self) -> bool:
        """Whether the level placed on holds (False only on a first level whose checks
        fail: the company is working towards it)."""
        return self.current.holds

    def to_dict(self) -> dict[str, Any]:
        return {"ladder": self.ladder, "title": self.title, "source": self.source,
                "level": self.level, "name": self.name, "holds": self.holds,
                "feature": self.current.feature,
                "next_check": self.next_check.id if self.next_check else None,
                "levels": [lv.to_dict() for lv in self.levels]}


def place(ladder: str, checks: Mapping[str, Check]) -> Placement:
    """Place the company on `ladder` ("staircase" or "oracle") by the rule in the module
    docstring: the highest level holding with every level below it; level 1 the floor."""
    if ladder not in LADDERS:
        raise UnknownNameError("ladder", ladder, LADDERS)
    title, source, levels = LADDERS[ladder]
    results = tuple(LevelResult(lv.number, lv.name, lv.feature,
                                tuple(checks[c] for c in lv.requires)) for lv in levels)
    level = 1
    if results[0].holds:
        for r in results[1:]:
            if not r.holds:
                break
            level = r.number
    above = results[level] if level < len(results) else None
    if level == 1 and not results[0].holds:
        above = results[0]  # still working towards the first level
    nxt = next((c for c in above.checks if not c.passed), None) if above else None
    return Placement(ladder, title, source, level, results, nxt)


# -- warning signs and the six-month checklist ------------------------------------------------
@dataclass(frozen=True)
class WarningSign:
    id: str
    title: str
    source: str
    present: bool | None  # None: could not be checked (`evidence` says why)
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "source": self.source,
                "present": self.present, "evidence": self.evidence}


#: (id, title, article) of each warning sign, in the order shown.
WARNING_SIGNS: Final[tuple[tuple[str, str, str], ...]] = (
    ("broken_handoff", "Sales follows up fewer than 35% of marketing-engaged leads",
     STRUCTURE_ARTICLE),
    ("leads_untouched", "A third of handed-off leads are never touched", STRUCTURE_ARTICLE),
    ("pipeline_stalled", "A third of the pipeline stalls at one stage", STRUCTURE_ARTICLE),
    ("reps_missing_quota", "More than a third of reps are below quota", STRUCTURE_ARTICLE),
    ("slow_response", "Handed-off leads wait more than two business hours (median)",
     OPERATING_MODEL_ARTICLE),
    ("low_acceptance", "Sales accepts fewer than 70% of handed-off leads", SIZES_ARTICLE),
    ("rejection_rate_rising", "The MQL rejection rate is rising", SIZES_ARTICLE),
    ("rejections_without_reason", "Leads are sent back without a reason code", SIZES_ARTICLE),
    ("disjointed_systems", "Each team works in its own system", STRUCTURE_ARTICLE),
    ("competing_kpis", "The teams chase different goals", STRUCTURE_ARTICLE),
    ("no_handoff_owner", "Nobody owns the handoff", STRUCTURE_ARTICLE),
)


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    status: ItemStatus
    evidence: str
    remedy: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "status": self.status,
                "evidence": self.evidence, "remedy": self.remedy}


#: (id, title, what to do while not done) of the six-month checklist, in its order.
CHECKLIST: Final[tuple[tuple[str, str, str], ...]] = (
    ("icp_same_answer", "Both teams describe the ICP the same way, unprompted",
     CHECKS["icp_same_answer"].remedy),
    ("rejection_rate_fell", "The MQL rejection rate has fallen",
     "Tighten the handoff criteria where rejections cluster (`accord kpis --kpi "
     "mql_rejection_rate --by rejection_reason`)."),
    ("response_under_two_hours", "Qualified inbound is answered within two hours",
     "Route handed-off leads to reps with capacity and escalate untouched ones "
     "(`accord sla --breaches`)."),
    ("win_loss_feeds_targeting", "Win-loss data feeds next quarter's targeting",
     CHECKS["win_loss_to_targeting"].remedy),
    ("weekly_meeting_both_teams", "The weekly pipeline meeting has both teams accountable",
     CHECKS["weekly_meeting_joint"].remedy),
    ("onboarding_with_marketing", "New sales hires get a marketing session in their first "
     "two weeks", CHECKS["onboarding_session"].remedy),
)


@dataclass(frozen=True)
class NextStep:
    """The one next step: the check to pass (None once past the staircase's top rung),
    the rung it leads to (None on the top rung), what to do and why."""

    rung: int | None
    rung_name: str | None
    check: str | None
    title: str
    do: str
    because: str

    def to_dict(self) -> dict[str, Any]:
        return {"rung": self.rung, "rung_name": self.rung_name, "check": self.check,
                "title": self.title, "do": self.do, "because": self.because}


# -- the diagnosis ------------------------------------------------------------------------------
Questionnaire = Literal["answered", "partly answered", "skipped"]


@dataclass(frozen=True)
class Diagnosis:
    """Where the company stands: both placements, every check, the warning signs, the
    six-month checklist and the next step, read in `view` over the last quarter."""

    as_of: datetime
    as_of_source: str
    view: View
    window_start: datetime
    contract_version: int
    questionnaire: Questionnaire
    answers: Answers | None
    checks: Mapping[str, Check]
    oracle: Placement
    staircase: Placement
    warnings: tuple[WarningSign, ...]
    checklist: tuple[ChecklistItem, ...]
    next_step: NextStep
    notes: tuple[str, ...] = ()

    @property
    def stage(self) -> int:
        """Oracle's stage, 1–4."""
        return self.oracle.level

    @property
    def rung(self) -> int:
        """The staircase rung, 1–4."""
        return self.staircase.level

    @property
    def warnings_present(self) -> tuple[WarningSign, ...]:
        return tuple(w for w in self.warnings if w.present)

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "as_of_source": self.as_of_source,
            "view": self.view, "view_label": VIEW_LABELS[self.view],
            "window": {"start": self.window_start.isoformat(), "end": self.as_of.isoformat()},
            "contract_version": self.contract_version,
            "stage": self.stage, "stage_name": self.oracle.name,
            "rung": self.rung, "rung_name": self.staircase.name,
            "next_step": self.next_step.to_dict(),
            "questionnaire": {
                "status": self.questionnaire,
                "source": self.answers.source if self.answers else None,
                "answers": dict(self.answers.values) if self.answers else {},
                "unanswered": [q for q in QUESTION_IDS
                               if self.answers is None or q not in self.answers.values]},
            "oracle": self.oracle.to_dict(), "staircase": self.staircase.to_dict(),
            "checks": [c.to_dict() for c in self.checks.values()],
            "warning_signs": [w.to_dict() for w in self.warnings],
            "checklist": [i.to_dict() for i in self.checklist],
            "notes": list(self.notes),
        }

    as_dict = to_dict


# -- evidence -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Window:
    start: datetime
    end: datetime  # exclusive: as_of plus one microsecond (as_of itself is inside)
    as_of: datetime


def _one(expr: Any) -> dict[str, Any]:
    row: dict[str, Any] = expr.to_pyarrow().to_pylist()[0]
    return row


def _int(v: Any) -> int:
    return int(v or 0)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def _share(n: int, d: int) -> float | None:
    return n / d if d else None


def _contract_checks(contract: CompiledContract) -> dict[str, Check]:
    src = contract.source
    stages = contract.stages
    out: dict[str, Check] = {}

    with_criteria = {n: len(i.criteria) for n, i in src.icps.items() if i.criteria}
    out["icp_written"] = _check(
        "icp_written", bool(with_criteria),
        (f"{len(with_criteria)} ICP(s) with criteria: "
         + ", ".join(f"{n} ({k} criteria)" for n, k in with_criteria.items()))
        if with_criteria else "no ICP with criteria in `icps`",
        icps=with_criteria)

    handoff = stages.named(StageRole.HANDOFF)
    accepted = stages.named(StageRole.ACCEPTED)
    entry = src.stages[handoff].entry if handoff else None
    missing = []
    if handoff is None:
        missing.append("no stage plays the handoff role")
    elif not entry:
        missing.append(f"the handoff stage {handoff!r} has no entry criteria")
    if accepted is None:
        missing.append("no stage plays the accepted role")
    out["stages_defined"] = _check(
        "stages_defined", not missing,
        "; ".join(missing) if missing else
        f"{handoff!r} entry: {entry}; sales accepts into {accepted!r}",
        handoff=handoff, accepted=accepted, entry=entry)

    reasons = list(src.rejection_reasons)
    send_back = list(stages.send_back)
    problems = ([] if reasons else ["`rejection_reasons` is empty"]) + (
        [] if send_back else ["no stage to send a lead back to"])
    out["rejection_codes_written"] = _check(
        "rejection_codes_written", not problems,
        "; ".join(problems) if problems else
        f"{len(reasons)} codes ({', '.join(reasons)}); send-back stages: "
        f"{', '.join(send_back)}", codes=reasons, send_back=send_back)

    lead_slas = [s.name for s in contract.lead_slas]
    out["slas_written"] = _check(
        "slas_written", bool(lead_slas),
        f"{len(lead_slas)} per-lead SLA(s): {', '.join(lead_slas)}" if lead_slas
        else "no per-lead SLA in `slas`", slas=lead_slas)

    written = "kpis" in src.model_fields_set
    targets = {k: v.target for k, v in src.kpis.items()} if written else {}
    out["kpis_targeted"] = _check(
        "kpis_targeted", bool(targets),
        (f"{len(targets)} KPI target(s): "
         + ", ".join(f"{k} {v:g}" for k, v in targets.items())) if targets else
        ("the `kpis` section lists no target" if written else
         "no `kpis` section in accord.yaml: only accord's default targets apply"),
        targets=targets)

    chosen = ("attribution" in src.model_fields_set
              and "model" in src.attribution.model_fields_set)
    out["attribution_chosen"] = _check(
        "attribution_chosen", chosen,
        f"`attribution.model: {src.attribution.model}` is written in accord.yaml" if chosen
        else f"no `attribution.model` in accord.yaml: the default "
             f"({src.attribution.model}) applies by omission",
        model=src.attribution.model, explicit=chosen)
    return out


def _signed_check(book: VersionBook, contract: CompiledContract, as_of: datetime) -> Check:
    signed = [v for v in book.versions if is_signed(v.version, book.signatures)]
    if not book.versions:
        return _check("signed", False, "no contract version was ever proposed in the store",
                      versions=0, signed_version=None)
    if not signed:
        latest = book.versions[-1]
        sides = signed_sides(latest.version, book.signatures)
        who = (" and ".join(f"{s} ({sides[s].signer})" for s in SIDES if s in sides)
               or "nobody")
        missing = [s for s in SIDES if s not in sides]
        return _check("signed", False,
                      f"version {latest.version} is signed by {who}; waiting for "
                      f"{' and '.join(missing)}", versions=len(book.versions),
                      signed_version=None)
    v = signed[-1]
    sides = signed_sides(v.version, book.signatures)
    active = book.active(as_of)
    same = (v.sha256 == contract.sha256) if contract.sha256 else v.version == contract.version
    found = (f"version {v.version} signed by "
             + " and ".join(f"{s} ({sides[s].signer}, {sides[s].signed_at:%Y-%m-%d})"
                            for s in SIDES)
             + ("; in force" if active is not None and active.version == v.version
                else f"; effective {v.effective}, not in force at {as_of:%Y-%m-%d}")
             + ("" if same else f"; the workspace's accord.yaml (version {contract.version}) "
                                "is not that text"))
    return _check("signed", True, found, versions=len(book.versions),
                  signed_version=v.version, in_force=active is not None
                  and active.version == v.version, matches_workspace=same)


def _sla_checks(store: Store, contract: CompiledContract, sla: SlaOverview,
                w: _Window) -> dict[str, Check]:
    acts = store.table("activities")
    moves = store.table("stage_events")
    n_acts = _int(acts.filter(acts.occurred_at < w.end).count().to_pyarrow().as_py())
    n_moves = _int(moves.filter(moves.occurred_at < w.end).count().to_pyarrow().as_py())
    per = {s.sla: {"met": s.met, "breached": s.breached, "open": s.open,
                   "share_within": s.share_within} for s in sla.slas}
    undecided = [s.sla for s in sla.slas if s.met + s.breached == 0]
    facts = f"{n_acts:,} sales activities and {n_moves:,} stage changes recorded"
    if not sla.slas:
        measured = _check("sla_measured", False, f"{facts}; the contract has no per-lead SLA",
                          activities=n_acts, stage_changes=n_moves, slas=per)
    else:
        decided = ", ".join(f"{s.sla} {s.met + s.breached:,}" for s in sla.slas)
        ok = n_acts > 0 and n_moves > 0 and not undecided
        measured = _check(
            "sla_measured", ok,
            f"{facts}; clocks decided in the last quarter: {decided}"
            + (f" (nothing to measure {', '.join(undecided)} on)" if undecided else ""),
            activities=n_acts, stage_changes=n_moves, slas=per)
    below = [s.sla for s in sla.slas
             if s.share_within is None or s.share_within < SLA_MET_SHARE]
    shares = ", ".join(f"{s.sla} {_pct(s.share_within)}" for s in sla.slas)
    met = _check("sla_met", bool(sla.slas) and not below,
                 (f"within SLA: {shares}" + (f"; below {SLA_MET_SHARE:.0%}: {', '.join(below)}"
                                              if below else ""))
                 if sla.slas else "the contract has no per-lead SLA to meet",
                 threshold=SLA_MET_SHARE, slas=per)
    return {"sla_measured": measured, "sla_met": met}


def _rejections(store: Store, contract: CompiledContract, view: View, w: _Window
                ) -> tuple[int, int]:
    """(moves into a send-back stage in the window, of which with a contract code)."""
    send_back = list(contract.stages.send_back)
    codes = list(contract.source.rejection_reasons)
    if not send_back:
        return 0, 0
    m = stage_moves(store, view)
    m = m.filter(m.to_stage.isin(send_back) & (m.occurred_at >= w.start)
                 & (m.occurred_at < w.end))
    coded = m.reason.isin(codes).fill_null(False) if codes else ibis.literal(False)
    row = _one(m.aggregate(total=m.count(), coded=coded.ifelse(1, 0).sum()))
    return _int(row["total"]), _int(row["coded"])


def _outcomes(store: Store, w: _Window) -> tuple[int, int]:
    """(new-business opportunities won or lost in the window, of which naming a lead of the
    store). Renewals and expansions (`opportunities.type`) come from customers, not from
    leads, and are left out; an empty type is new business."""
    o = store.table("opportunities")
    leads = store.table("leads")
    closed = o.filter(o.status.isin(["won", "lost"]) & o.closed_at.notnull()
                      & (o.closed_at >= w.start) & (o.closed_at < w.end))
    if "type" in closed.columns:
        closed = closed.filter(closed.type.isnull() | (closed.type == "new_business"))
    linked = closed.lead_id.isin(leads.lead_id).fill_null(False)
    row = _one(closed.aggregate(total=closed.count(), linked=linked.ifelse(1, 0).sum()))
    return _int(row["total"]), _int(row["linked"])


def _unified(store: Store, w: _Window) -> Check:
    touches = store.table("touches")
    acts = store.table("activities")
    t = touches.filter(touches.occurred_at < w.end)
    n_touches = _int(t.count().to_pyarrow().as_py())
    worked = acts.filter((acts.occurred_at >= w.start) & (acts.occurred_at < w.end)) \
        .select("lead_id").distinct()
    seen = worked.lead_id.isin(t.lead_id).fill_null(False)
    row = _one(worked.aggregate(worked=worked.count(), seen=seen.ifelse(1, 0).sum()))
    n_worked, n_seen = _int(row["worked"]), _int(row["seen"])
    share = _share(n_seen, n_worked)
    ok = n_touches > 0 and share is not None and share >= UNIFIED_SHARE
    if n_touches == 0:
        found = "no marketing touches recorded"
    elif n_worked == 0:
        found = (f"{n_touches:,} marketing touches recorded, but no lead worked by sales in "
                 "the last quarter")
    else:
        found = (f"{n_seen:,} of {n_worked:,} leads sales worked in the last quarter "
                 f"({_pct(share)}) show marketing touches")
    return _check("unified_data", ok, found, touches=n_touches, leads_worked=n_worked,
                  with_touches=n_seen, share=share)


def _pack_starts(store: Store) -> dict[str, pa.Array]:
    """Distinct period starts (dates) of the meeting packs recorded in the audit log, by
    pack kind (`report:<kind>:<period start>`; rows of another shape are left out)."""
    log = store.service_table("audit_log")
    ids = log.filter(log.event_id.startswith("report:")).select("event_id").distinct() \
        .to_pyarrow().column("event_id").combine_chunks()
    if len(ids) == 0:
        return {}
    parts = pc.extract_regex(ids, r"^report:(?P<kind>[a-z_]+):(?P<start>\d{4}-\d{2}-\d{2})")
    ok = parts.is_valid()
    kinds = pc.struct_field(parts, [0]).filter(ok)
    starts = pc.strptime(pc.struct_field(parts, [1]).filter(ok), format="%Y-%m-%d",
                         unit="s", error_is_null=True).cast(pa.date32())
    table = pa.table({"kind": kinds, "start": starts}).drop_null().group_by(
        ["kind", "start"]).aggregate([])
    out: dict[str, pa.Array] = {}
    for kind in pc.unique(table.column("kind")).to_pylist():
        out[kind] = table.filter(pc.equal(table.column("kind"), kind)).column("start") \
            .combine_chunks()
    return out


def _cadence_check(store: Store, contract: CompiledContract, w: _Window,
                   answers: Answers | None) -> Check:
    starts = _pack_starts(store)
    today = w.as_of.date()
    rows: list[dict[str, Any]] = []
    for name, c in contract.source.cadences.items():
        kind = PACK_KIND_FOR_EVERY[c.every]
        since = today - timedelta(days=QUARTER_DAYS + CADENCE_DAYS[c.every])
        have = starts.get(kind, pa.array([], pa.date32()))
        inside = pc.and_(pc.greater_equal(have, pa.scalar(since, pa.date32())),
                         pc.less_equal(have, pa.scalar(today, pa.date32())))
        count = _int(pc.sum(inside.cast(pa.int64())).as_py())
        need = math.ceil(CADENCE_HELD_SHARE * PACKS_PER_QUARTER[c.every])
        rows.append({"cadence": name, "kind": kind, "since": since.isoformat(),
                     "prepared": count, "expected": PACKS_PER_QUARTER[c.every],
                     "required": need, "held": count >= need})
    answer = answers.get("cadences_held") if answers else None
    held = bool(rows) and all(r["held"] for r in rows)
    parts = ", ".join(f"{r['cadence']} {r['prepared']} {r['kind']} pack(s) of "
                      f"{r['expected']} (needs {r['required']})" for r in rows)
    found = (f"packs prepared over the last quarter: {parts}" if rows
             else "the contract schedules no cadence")
    if answer is not None:
        found += f"; answered: {answer}"
    passed = held or answer == "all"
    evidence: Evidence = "store" if held or answer is None else "store or answers"
    spec = CHECKS["cadences_held"]
    return Check("cadences_held", spec.title, spec.checked, found,
                 "pass" if passed else "fail", evidence,
                 {"cadences": rows, "answer": answer, "held_by_packs": held})


def _question_check(q: Question, answers: Answers | None) -> Check:
    value = answers.get(q.id) if answers else None
    if value is None:
        why = "questionnaire skipped" if answers is None else "not in the answers"
        return _check(q.id, None, f"not answered ({why})", answer=None)
    shown = ("yes" if value else "no") if isinstance(value, bool) else \
        f"{value} ({dict(q.choices)[str(value)]})"
    return _check(q.id, value in q.passing, f"answered {shown}", answer=value)


# -- warning signs and checklist ----------------------------------------------------------------
def _kpi(report: KpiReport, name: str) -> float | None:
    for r in report.rows:
        if r.kpi == name and r.total:
            return r.value
    return None


def _sign(sign: Sign, strictly: bool) -> tuple[bool | None, str]:
    if not sign.total:
        return None, "nothing to measure it on in the last quarter"
    word = "above a third" if strictly else "at a third"
    where = f" at {sign.stage}" if sign.stage else ""
    return sign.tripped, (f"{sign.count:,} of {sign.total:,} ({_pct(sign.share)}){where}; "
                          f"the sign trips {word}")


def _warnings(kpis: KpiReport, prev: KpiReport, structural: StructuralDiagnostic,
              rejections: tuple[int, int], answers: Answers | None) -> tuple[WarningSign, ...]:
    def ans(q: str) -> Answer | None:
        return answers.get(q) if answers else None

    found: dict[str, tuple[bool | None, str]] = {}
    handoff = _kpi(kpis, "handoff_rate")
    found["broken_handoff"] = (
        (None, "no marketing-engaged leads in the last quarter") if handoff is None else
        (handoff < EFFECTIVE_HANDOFF_RATE,
         f"handoff rate {_pct(handoff)} (effective at {EFFECTIVE_HANDOFF_RATE:.0%} or more)"))
    found["leads_untouched"] = _sign(structural.leads_untouched, strictly=False)
    found["pipeline_stalled"] = _sign(structural.pipeline_stalled, strictly=False)
    found["reps_missing_quota"] = _sign(structural.reps_missing_quota, strictly=True)
    median = _kpi(kpis, "speed_to_lead_median_minutes")
    found["slow_response"] = (
        (None, "no speed-to-lead clock stopped in the last quarter") if median is None else
        (median > RESPONSE_MINUTES, f"median speed to lead {median:,.0f} business minutes"))
    accept = _kpi(kpis, "mql_to_sal")
    found["low_acceptance"] = (
        (None, "no handed-off leads in the last quarter") if accept is None else
        (accept < HEALTHY_MQL_TO_SAL,
         f"MQL→SAL {_pct(accept)} (healthy above {HEALTHY_MQL_TO_SAL:.0%})"))
    now, before = _kpi(kpis, "mql_rejection_rate"), _kpi(prev, "mql_rejection_rate")
    found["rejection_rate_rising"] = (
        (None, "needs handed-off leads in this quarter and the one before")
        if now is None or before is None else
        (now > before, f"{_pct(now)} this quarter, {_pct(before)} the quarter before"))
    total, coded = rejections
    found["rejections_without_reason"] = (
        (None, "no lead sent back in the last quarter") if not total else
        (coded < total, f"{total - coded:,} of {total:,} rejections without a code from "
                        "`rejection_reasons`"))
    systems = ans("one_system")
    found["disjointed_systems"] = (
        (None, "not answered (`one_system`)") if systems is None else
        (systems == "separate", f"answered one_system: {systems}"))
    target, comp = ans("shared_revenue_target"), ans("shared_comp")
    if target is None and comp is None:
        found["competing_kpis"] = (None, "not answered (`shared_revenue_target`, "
                                         "`shared_comp`)")
    else:
        said = "; ".join(x for x in (
            None if target is None else f"shared revenue target: {'yes' if target else 'no'}",
            None if comp is None else f"pay tied to shared KPIs: {comp}") if x)
        found["competing_kpis"] = (target is False or comp == "neither", said)
    owner = ans("alignment_owner")
    found["no_handoff_owner"] = (
        (None, "not answered (`alignment_owner`)") if owner is None else
        (owner is False, f"answered alignment_owner: {'yes' if owner else 'no'}"))
    return tuple(WarningSign(sid, title, source, *found[sid])
                 for sid, title, source in WARNING_SIGNS)


def _item(iid: str, status: ItemStatus, evidence: str) -> ChecklistItem:
    title, remedy = next((t, r) for i, t, r in CHECKLIST if i == iid)
    return ChecklistItem(iid, title, status, evidence, remedy)


def _both(iid: str, have: bool, have_text: str, answer: Answer | None) -> ChecklistItem:
    said = ("not answered" if answer is None else f"answered {'yes' if answer else 'no'}")
    status: ItemStatus = "done" if have and answer is True else (
        "partly" if have or answer is True else "not yet")
    return _item(iid, status, f"{have_text}; {said}")


def _checklist(contract: CompiledContract, checks: Mapping[str, Check], kpis: KpiReport,
               prev: KpiReport, answers: Answers | None) -> tuple[ChecklistItem, ...]:
    def ans(q: str) -> Answer | None:
        return answers.get(q) if answers else None

    items = [_both("icp_same_answer", checks["icp_written"].passed,
                   "ICP written" if checks["icp_written"].passed else "no ICP written",
                   ans("icp_same_answer"))]
    now, before = _kpi(kpis, "mql_rejection_rate"), _kpi(prev, "mql_rejection_rate")
    if now is None:
        items.append(_item("rejection_rate_fell", "not yet",
                           "no handed-off leads in the last quarter to measure it on"))
    elif before is None:
        items.append(_item("rejection_rate_fell", "partly",
                           f"{_pct(now)} this quarter; no quarter before to compare with"))
    else:
        items.append(_item("rejection_rate_fell", "done" if now < before else "partly",
                           f"{_pct(now)} this quarter, {_pct(before)} the quarter before"))
    median = _kpi(kpis, "speed_to_lead_median_minutes")
    if median is None:
        items.append(_item("response_under_two_hours", "not yet",
                           "no speed-to-lead clock stopped in the last quarter"))
    else:
        items.append(_item("response_under_two_hours",
                           "done" if median < RESPONSE_MINUTES else "partly",
                           f"median speed to lead {median:,.0f} business minutes (two "
                           f"hours: {RESPONSE_MINUTES})"))
    loop = checks["closed_loop"]
    items.append(_both("win_loss_feeds_targeting", loop.passed,
                       "outcomes and reasons flow back (check closed_loop)" if loop.passed
                       else f"closed loop incomplete: {loop.found}",
                       ans("win_loss_to_targeting")))
    weekly = [n for n, c in contract.source.cadences.items()
              if c.every == "week" and all(s in c.with_ for s in SIDES)]
    rows = checks["cadences_held"].figures.get("cadences", [])
    packs = [f"{r['prepared']} packs" for r in rows if r["cadence"] in weekly]
    items.append(_both("weekly_meeting_both_teams", bool(weekly),
                       (f"weekly cadence with both teams: {', '.join(weekly)}"
                        + (f" ({', '.join(packs)} in the last quarter)" if packs else ""))
                       if weekly else "no weekly cadence with both teams in the contract",
                       ans("weekly_meeting_joint")))
    hires = ans("onboarding_session")
    items.append(_item("onboarding_with_marketing", "done" if hires is True else "not yet",
                       "not answered" if hires is None else
                       f"answered {'yes' if hires else 'no'}"))
    return tuple(items)


def _next_step(staircase: Placement, checklist: tuple[ChecklistItem, ...]) -> NextStep:
    c = staircase.next_check
    if c is not None:
        rung = staircase.levels[staircase.level] if staircase.holds else staircase.current
        return NextStep(rung.number, rung.name, c.id, c.title, c.remedy, c.found)
    open_item = next((i for i in checklist if i.status != "done"), None)
    if open_item is not None:
        return NextStep(None, None, None, open_item.title, open_item.remedy,
                        f"six-month checklist: {open_item.status} ({open_item.evidence})")
    return NextStep(None, None, None, "Stay operational", STAIRCASE_TOP_ADVICE,
                    "top rung reached and the six-month checklist done")


# -- the one entry point ------------------------------------------------------------------------
def diagnose(store: Store, contract: CompiledContract, *,
             answers: Answers | Mapping[str, object] | None = None,
             as_of: datetime | AsOf | None = None, view: View = DEFAULT_VIEW) -> Diagnosis:
    """Place the company on both ladders from the contract, the store and `answers` (an
    `Answers`, a mapping of question id → answer checked by `check_answers`, or None when
    the questionnaire was skipped), as of `as_of` (default the latest fact) over the last
    quarter, stage moves read in `view`. See the module docstring for every rule."""
    view = check_view(view)
    given = answers if answers is None or isinstance(answers, Answers) \
        else check_answers(answers)
    at = as_of if isinstance(as_of, AsOf) else resolve_as_of(store, as_of)
    w = _Window(at.at - timedelta(days=QUARTER_DAYS), at.at + timedelta(microseconds=1),
                at.at)
    book = load_book(store)  # also makes sure the service tables (audit log) exist

    checks: dict[str, Check] = _contract_checks(contract)
    checks["signed"] = _signed_check(book, contract, at.at)
    sla = sla_overview(store, contract, at, view=view, since=w.start, until=w.end)
    checks.update(_sla_checks(store, contract, sla, w))
    rejections = _rejections(store, contract, view, w)
    total, coded = rejections
    share = _share(coded, total)
    checks["rejections_coded"] = _check(
        "rejections_coded", share is not None and share >= REJECTION_CODED_SHARE,
        f"{coded:,} of {total:,} rejections in the last quarter carry a reason code "
        f"({_pct(share)})" if total else "no lead sent back in the last quarter",
        sent_back=total, coded=coded, share=share)
    closed, linked = _outcomes(store, w)
    linked_share = _share(linked, closed)
    outcomes_ok = linked_share is not None and linked_share >= OUTCOMES_LINKED_SHARE
    checks["closed_loop"] = _check(
        "closed_loop", outcomes_ok and checks["rejections_coded"].passed,
        (f"{linked:,} of {closed:,} new-business opportunities won or lost in the last "
         f"quarter name their lead ({_pct(linked_share)})" if closed else
         "no new-business opportunity won or lost in the last quarter")
        + f"; rejections: {checks['rejections_coded'].found}",
        closed=closed, linked=linked, share=linked_share,
        rejections_coded=checks["rejections_coded"].passed)
    checks["cadences_held"] = _cadence_check(store, contract, w, given)
    checks["unified_data"] = _unified(store, w)
    for q in QUESTIONS:
        if q.id != "cadences_held":
            checks[q.id] = _question_check(q, given)
    ordered = {cid: checks[cid] for cid in CHECKS}

    period = Period(f"{w.start:%Y-%m-%d}..{at.at:%Y-%m-%d}", w.start, w.end)
    before = Period(f"{w.start - timedelta(days=QUARTER_DAYS):%Y-%m-%d}..{w.start:%Y-%m-%d}",
                    w.start - timedelta(days=QUARTER_DAYS), w.start)
    kpis = compute_kpis(store, contract, period=period, basis="period", view=view,
                        as_of=at.at, kpis=["handoff_rate", "mql_to_sal", "mql_rejection_rate",
                                           "speed_to_lead_median_minutes"])
    prev = compute_kpis(store, contract, period=before, basis="period", view=view,
                        as_of=at.at, kpis=["mql_rejection_rate"])
    structural = structural_diagnostic(store, contract, w.start, w.end, as_of=w.end,
                                       view=view)

    staircase = place("staircase", ordered)
    oracle = place("oracle", ordered)
    warnings = _warnings(kpis, prev, structural, rejections, given)
    checklist = _checklist(contract, ordered, kpis, prev, given)
    if given is None:
        status: Questionnaire = "skipped"
    else:
        status = "answered" if len(given.values) == len(QUESTIONS) else "partly answered"
    notes = list(structural.notes)
    if given is None:
        notes.append("questionnaire skipped: only the contract's and the store's evidence "
                     "counts; checks that need an answer are unknown")
    return Diagnosis(at.at, at.source, view, w.start, contract.version, status, given,
                     ordered, oracle, staircase, warnings, checklist,
                     _next_step(staircase, checklist), tuple(notes))

