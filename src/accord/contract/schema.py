"""The schema of `accord.yaml`: every section of the marketing–sales agreement.

Field shapes and types live here (pydantic); rules that relate sections to each other
(a stage owner must be a defined owner, a pool referenced must exist, …) live in
`contract/rules.py`. Defaults follow the seeds where they give guidance; each says which.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from accord.contract.durations import Duration, parse_duration
from accord.contract.roles import StageRole

DurationField = Annotated[
    Duration, BeforeValidator(parse_duration), PlainSerializer(str, return_type=str)
]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WORKWEEK: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
Intent = Literal["hand_raise", "high", "medium", "low", "none"]
AttributionModel = Literal[
    "first_touch", "last_touch", "linear", "time_decay", "u_shaped", "position_based",
    "w_shaped", "two_touch", "markov_o1", "markov_o2", "markov_o3", "shapley",
]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Calendar(Section):
    """Business hours for SLA clocks (contract key `calendar`)."""

    timezone: str = Field("UTC", description="IANA time zone, e.g. America/New_York.")
    hours: str = Field("09:00-17:00", description="Working hours, HH:MM-HH:MM, local time.")
    days: list[Weekday] = Field(default_factory=lambda: list(WORKWEEK))
    holidays: str | None = Field(
        None, description="Country code for public holidays (holidays package), e.g. US, GB, DE."
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown timezone {v!r}; use an IANA name such as America/New_York"
            ) from None
        return v

    @field_validator("hours")
    @classmethod
    def _hours_range(cls, v: str) -> str:
        m = re.fullmatch(r"(\d{2}):(\d{2})-(\d{2}):(\d{2})", v.strip())
        if not m:
            raise ValueError(f"hours must look like 09:00-18:00, got {v!r}")
        h1, m1, h2, m2 = (int(x) for x in m.groups())
        if not (0 <= h1 <= 24 and 0 <= h2 <= 24 and m1 < 60 and m2 < 60):
            raise ValueError(f"hours must be valid clock times, got {v!r}")
        if h1 * 60 + m1 >= h2 * 60 + m2:
            raise ValueError(f"hours must end after they start, got {v!r}")
        return v.strip()

    @field_validator("holidays")
    @classmethod
    def _known_country(cls, v: str | None) -> str | None:
        if v is None:
            return v
        import holidays as _holidays

        supported = _holidays.list_supported_countries()
        if v.split("-")[0] not in supported:
            raise ValueError(f"unknown holiday country {v!r}; use an ISO code such as US or GB")
        return v

    @property
    def start_minute(self) -> int:
        h, m = self.hours.split("-")[0].split(":")
        return int(h) * 60 + int(m)

    @property
    def end_minute(self) -> int:
        h, m = self.hours.split("-")[1].split(":")
        return int(h) * 60 + int(m)


class Criterion(Section):
    """One ICP criterion: a condition on a lead/account field and the points it earns."""

    points: int = Field(description="Points added to the fit score when the condition holds.")
    in_: list[str | int | float] | None = Field(None, alias="in")
    not_in: list[str | int | float] | None = None
    between: tuple[float, float] | None = None
    gte: float | None = None
    lte: float | None = None
    eq: str | int | float | bool | None = None
    contains_any: list[str] | None = Field(
        None, description="Case-insensitive substrings, e.g. job-title words."
    )

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @property
    def conditions(self) -> dict[str, Any]:
        names = ("in_", "not_in", "between", "gte", "lte", "eq", "contains_any")
        return {n.rstrip("_"): getattr(self, n) for n in names if getattr(self, n) is not None}


class ICP(Section):
    """An ideal customer profile: criteria with points, and tiers as minimum fit scores."""

    description: str = ""
    criteria: dict[str, Criterion]
    tiers: dict[str, float] = Field(
        default_factory=dict, description="Tier name -> minimum fit score, highest tier first."
    )


class Signal(Section):
    """A behaviour both teams agree counts as intent, and how much (seed 000)."""

    intent: Intent
    points: int
    half_life_days: float | None = Field(
        None, gt=0, description="Points halve every this many days; none = no decay."
    )
    description: str = ""


class Stage(Section):
    """A lifecycle stage with its owner, role, entry/exit criteria and allowed next stages.

    `role` says what the stage is to accord (`contract/roles.py`); without it, well-known
    names take their role (MQL → handoff, Closed Won → won, …)."""

    owner: str
    role: StageRole | None = Field(
        None, description="lead, handoff, accepted, qualified, opportunity, won, lost, "
                          "recycled or disqualified; default from the stage's name.")
    entry: str | None = None
    exit: str | None = None
    next: list[str] = Field(default_factory=list)
    description: str = ""


class Pool(Section):
    """A group of reps that round-robin routing spreads leads over."""

    role: str | None = None
    region: str | None = None
    segment: str | None = None
    members: list[str] | None = Field(None, description="Explicit rep ids; overrides filters.")
    weights: dict[str, float] = Field(
        default_factory=dict, description="Rep id -> relative weight (default 1)."
    )
    capacity_per_day: int | None = Field(None, gt=0)
    catch_up_after_leave: bool = Field(
        False, description="Give a rep back from leave the leads they missed (default no)."
    )


class PoolTarget(Section):
    pool: str


class QueueTarget(Section):
    queue: str


def _routing_target(value: Any) -> Any:
    if value == "account_owner" or isinstance(value, PoolTarget | QueueTarget):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, name),) = value.items()
        if key == "pool" and isinstance(name, str):
            return PoolTarget(pool=name)
        if key == "queue" and isinstance(name, str):
            return QueueTarget(queue=name)
    raise ValueError(
        "`to` must be account_owner, {pool: NAME} or {queue: NAME}, got " + repr(value)
    )


RoutingTarget = Annotated[
    Literal["account_owner"] | PoolTarget | QueueTarget, BeforeValidator(_routing_target)
]


class RoutingRule(Section):
    name: str | None = None
    when: str | None = None
    to: RoutingTarget


class Routing(Section):
    """Routing rules in contract order; the first that matches assigns (seed 004).

    `stage`: leads are routed when they first enter this stage (the handoff, e.g. `MQL`);
    null (the default) routes every lead when it is created."""

    stage: str | None = None
    pools: dict[str, Pool] = Field(default_factory=dict)
    rules: list[RoutingRule] = Field(default_factory=list)
    fallback_queue: str = "unassigned"


class Escalation(Section):
    after: DurationField
    notify: str | None = None
    reassign: bool = False


SlaCalendar = Literal["contract", "owner"]
_START_DOC = "Stage whose first entry starts the clock; default: the {role} stage."
_CALENDAR_DOC = ("contract: the contract's calendar (default); owner: the responsible rep's "
                 "time zone, hours and holidays (reps facts), the contract's where unset.")
_WARN_DOC = ("Warn this long before the due time (same units as `within`, e.g. "
             "`30 business_minutes`); the server's SLA scheduler fires the warning.")


class FirstTouchSLA(Section):
    """Sales touches the lead within `within` of entering `start` (seed 002: < 2 hours)."""

    kind: Literal["first_touch"]
    start: str | None = Field(None, description=_START_DOC.format(role="handoff (MQL)"))
    within: DurationField
    warn_before: DurationField | None = Field(None, description=_WARN_DOC)
    owner: str = "sales"
    calendar: SlaCalendar = Field("contract", description=_CALENDAR_DOC)
    escalate: list[Escalation] = Field(default_factory=list)


class MinTouchesSLA(Section):
    """At least `min_touches` sales touches within `within` of entering `start`."""

    kind: Literal["min_touches"]
    start: str | None = Field(None, description=_START_DOC.format(role="accepted (SAL)"))
    min_touches: int = Field(gt=0)
    within: DurationField
    warn_before: DurationField | None = Field(None, description=_WARN_DOC)
    owner: str = "sales"
    calendar: SlaCalendar = Field("contract", description=_CALENDAR_DOC)


class AcceptOrRejectSLA(Section):
    """Sales accepts or rejects (with a reason code) within `within` of `start`."""

    kind: Literal["accept_or_reject"]
    start: str | None = Field(None, description=_START_DOC.format(role="handoff (MQL)"))
    within: DurationField
    warn_before: DurationField | None = Field(None, description=_WARN_DOC)
    owner: str = "sales"
    calendar: SlaCalendar = Field("contract", description=_CALENDAR_DOC)


class VolumeSLA(Section):
    """Marketing's monthly commitment: `per_month` leads reaching `stage`, accepted at
    `min_acceptance` or better."""

    kind: Literal["volume"]
    stage: str | None = Field(None, description="Stage counted; default: the handoff (MQL).")
    per_month: int = Field(gt=0)
    min_acceptance: float | None = Field(None, gt=0, le=1)
    owner: str = "marketing"


SLA = Annotated[
    FirstTouchSLA | MinTouchesSLA | AcceptOrRejectSLA | VolumeSLA, Field(discriminator="kind")
]


class KpiTarget(Section):
    target: float
    direction: Literal["at_least", "at_most"] | None = Field(
        None, description="Whether the target is a floor or a ceiling; defaults per KPI."
    )


class Economics(Section):
    currency: str = "USD"
    ltv_per_customer: float | None = Field(None, gt=0)


class Attribution(Section):
    """Default attribution model; first-touch is the mid-market default (seed 004)."""

    model: AttributionModel = "first_touch"
    lookback_days: int = Field(180, gt=0)
    half_life_days: float = Field(7, gt=0)


class Matching(Section):
    """Lead-to-account matching thresholds (docs/matching.md; chosen on the stress set of
    bench/matching). A fuzzy company-name match links a lead to an account when its score
    is at least `min_name_score` and leads the next account by `min_margin` points; one
    scoring at least `review_score` but short of linking is listed for a person to review."""

    min_name_score: float = Field(80.0, ge=0, le=100)
    min_margin: float = Field(8.0, ge=0, le=100)
    review_score: float = Field(70.0, ge=0, le=100)


class Cadence(Section):
    every: Literal["week", "two_weeks", "month", "quarter"]
    minutes: int = Field(gt=0)
    with_: list[str] = Field(default_factory=list, alias="with")
    agenda: list[str] = Field(default_factory=list)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _default_kpis() -> dict[str, KpiTarget]:
    # seed 004: MQL->SAL above 70%; seed 002: qualified inbound answered in under 2 hours.
    return {
        "mql_to_sal": KpiTarget(target=0.70),
        "speed_to_lead_median_minutes": KpiTarget(target=120),
    }


def _default_cadences() -> dict[str, Cadence]:
    # seeds 000/002: weekly 30-minute pipeline review with both teams.
    weekly = Cadence(every="week", minutes=30, with_=["marketing", "sales"])
    return {"weekly_pipeline_review": weekly}


class Contract(Section):
    """The whole agreement (`accord.yaml`)."""

    version: int = Field(ge=1, description="Bump when any definition changes.")
    effective: date = Field(description="Day this version applies from.")
    owners: dict[str, str] = Field(description="Team key -> accountable person or title.")
    calendar: Calendar = Field(default_factory=Calendar)
    icps: dict[str, ICP] = Field(default_factory=dict)
    signals: dict[str, Signal] = Field(default_factory=dict)
    stages: dict[str, Stage]
    rejection_reasons: list[str] = Field(
        description="Codes sales must give when it sends a lead back (seed 004)."
    )
    routing: Routing = Field(default_factory=Routing)
    matching: Matching = Field(default_factory=Matching)
    slas: dict[str, SLA] = Field(default_factory=dict)
    kpis: dict[str, KpiTarget] = Field(default_factory=_default_kpis)
    economics: Economics = Field(default_factory=Economics)
    attribution: Attribution = Field(default_factory=Attribution)
    cadences: dict[str, Cadence] = Field(default_factory=_default_cadences)
