"""Result types of the organisation-design advisor (frozen, so `--json` is a model dump).

Every recommendation line is a `Cited`: the sentence and the seed figure(s) behind it.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict

from accord.org.catalogue import Source
from accord.org.profile import CompanyProfile
from accord.org.roles import Role


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Cited(_Frozen):
    """One line of advice and where it comes from."""

    text: str
    sources: tuple[Source, ...]

    def __str__(self) -> str:
        return f"{self.text} [{'; '.join(str(s) for s in self.sources)}]"


class StageFit(_Frozen):
    key: Literal["startup", "growth", "mid_market", "enterprise"]
    label: str
    arr_band: Literal["under_1m", "1m_to_5m", "over_5m"] | None
    points: tuple[Cited, ...]


class Recommendation(_Frozen):
    """The model to run for one area, why, and the watch-out to manage.

    `model` is a catalogue key, or `none` for the combined area when it is too early.
    """

    area: Literal["sales", "marketing", "combined"]
    model: str
    name: str
    how: str
    reasons: tuple[Cited, ...]
    watch_out: Cited
    current: str | None
    changes_current: bool


class HeadcountRange(_Frozen):
    """People a function should have; `low`/`high` are None where the seeds give no figure."""

    function: str
    low: int | None
    high: int | None
    basis: tuple[Cited, ...]


class BudgetGuidance(_Frozen):
    marketing_share_of_budget: float
    lead_gen_share_of_marketing: float
    lead_gen_share_of_budget: float
    brand_share_low: float
    brand_share_high: float
    marketing_amount: float | None
    lead_gen_amount: float | None
    points: tuple[Cited, ...]


class Hire(_Frozen):
    order: int
    role: Role
    title: str
    why: Cited


class RoutingRule(_Frozen):
    applies_to: str
    method: Literal["round_robin", "territory", "account_owner"]
    why: Cited


class Timing(_Frozen):
    """When a role or model makes sense: already there, now, plan for it, or not yet."""

    decision: Literal["in_place", "now", "plan", "not_yet"]
    reasons: tuple[Cited, ...]
    trigger: str | None


class KpiOwnership(_Frozen):
    function: str
    owner: str
    column: Literal["Seed/Series A", "Series B+"]
    kpis: tuple[str, ...]
    source: Source


class ReviewPlan(_Frozen):
    next_review: date
    annual_review: date
    redesign_from: date
    redesign_by: date
    points: tuple[Cited, ...]


class ChecklistStep(_Frozen):
    step: str
    detail: str
    source: Source


class Restructuring(_Frozen):
    needed: bool
    steps: tuple[ChecklistStep, ...]
    note: Cited


class Advice(_Frozen):
    profile: CompanyProfile
    today: date
    stage: StageFit
    sales: Recommendation
    marketing: Recommendation
    combined: Recommendation
    headcount: tuple[HeadcountRange, ...]
    budget: BudgetGuidance
    next_hires: tuple[Hire, ...]
    routing: tuple[RoutingRule, ...]
    revops: Timing
    cro: Timing
    put_in_place_now: tuple[Cited, ...]
    kpis: tuple[KpiOwnership, ...]
    shared_kpis: Cited
    review: ReviewPlan
    restructuring: Restructuring
