"""The organisation-design catalogue: models, stages and benchmarks, loaded from data.

`catalogue.yaml` beside this module is the single place the seeds' org-design facts
live (DOMAIN.md §5): the sales, marketing and combined models with their best fit and
watch-outs (seed 000's tables, seed 003's hybrid model), the company stages by
headcount (seed 000) and by ARR (seed 001), the numeric benchmarks, seed 001's KPI
table and the cadences. Code reads figures from here and never restates them.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict

SeedId = Literal["000", "001", "002", "003", "004"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Source(_Frozen):
    """Where a fact comes from: the seed article and the figure or table in it."""

    seed: SeedId
    figure: str

    def __str__(self) -> str:
        return f"seed {self.seed}: {self.figure}"


class Model(_Frozen):
    """One sales or marketing structure (seed 000's tables)."""

    name: str
    how: str
    best_for: str
    watch_out: str
    source: Source


class CombinedModel(_Frozen):
    """CRO, RevOps or GTM pods (seed 000's combined-models table)."""

    name: str
    how: str
    reports_to: str
    best_fit: str
    skip_if: str
    key_metric: str
    watch_out: str
    source: Source


class TeamSize(_Frozen):
    low: int
    high: int


class Stage(_Frozen):
    """A company stage by employee count; `max_employees` is inclusive, None = no upper end."""

    key: Literal["startup", "growth", "mid_market", "enterprise"]
    label: str
    min_employees: int
    max_employees: int | None = None
    shape: str
    marketing_team: TeamSize | None = None
    source: Source


class ArrBand(_Frozen):
    """An ARR band (seed 001); `min_arr` inclusive, `max_arr` exclusive, None = no upper end."""

    key: Literal["under_1m", "1m_to_5m", "over_5m"]
    label: str
    min_arr: float
    max_arr: float | None = None
    marketing_team: TeamSize
    marketing_leadership: str
    source: Source


class Figure(_Frozen):
    value: float
    source: Source


class Span(_Frozen):
    low: float
    high: float
    source: Source


class Benchmarks(_Frozen):
    marketing_share_of_headcount: Figure
    enterprise_sales_share_of_headcount: Figure
    enterprise_marketing_share_of_headcount: Figure
    marketing_share_of_budget: Figure
    lead_gen_share_of_marketing_budget: Figure
    brand_share_of_marketing: Span
    org_design_review_years: Span
    marketing_structure_review_months: Figure
    structure_review_months: Figure
    combined_models_min_arr: Figure
    cro_min_arr: Figure
    cro_employees: Span
    revops_min_employees: Figure
    revops_roi_employees: Span
    revops_min_crm_users: Figure
    fractional_revops_value: Figure
    revops_team_roles: Figure
    territory_routing_reps: Span
    functional_marketing_max_headcount: Span
    two_touch_attribution_before_employees: Figure
    alignment_audit_employees: Figure
    alignment_audit_gap: Span
    speed_to_lead_hours: Figure
    speed_to_lead_multiplier: Figure
    handoff_rate_effective: Figure
    mql_to_sal_healthy: Figure
    max_approvers: Figure
    alignment_meeting_time_max: Figure
    unowned_brief_weeks: Figure


class FunctionKpis(_Frozen):
    """One row of seed 001's KPI table: `early` = Seed/Series A, `late` = Series B+."""

    name: str
    early: tuple[str, ...]
    late: tuple[str, ...]


class SharedKpis(_Frozen):
    names: tuple[str, ...]
    source: Source


class Cadence(_Frozen):
    text: str
    source: Source


SalesModelKey = Literal[
    "founder_led", "functional", "geographic", "product", "segment", "assembly_line"
]
MarketingModelKey = Literal[
    "functional", "product", "segment", "customer_stage", "matrix", "hybrid"
]
CombinedModelKey = Literal["cro", "revops", "gtm_pods"]
KpiFunction = Literal[
    "demand_generation", "content_marketing", "product_marketing", "brand_comms",
    "marketing_ops",
]
CadenceKey = Literal[
    "weekly_pipeline_review", "biweekly_alignment_check", "biweekly_joint_pipeline_review",
    "monthly_sla_review", "quarterly_structure_review", "quarterly_icp_review",
]


class Catalogue(_Frozen):
    sales_models: dict[SalesModelKey, Model]
    marketing_models: dict[MarketingModelKey, Model]
    combined_models: dict[CombinedModelKey, CombinedModel]
    stages: tuple[Stage, ...]
    arr_bands: tuple[ArrBand, ...]
    benchmarks: Benchmarks
    function_kpis: dict[KpiFunction, FunctionKpis]
    function_kpis_source: Source
    shared_kpis: SharedKpis
    cadences: dict[CadenceKey, Cadence]

    def stage_for(self, employees: int) -> Stage:
        """The stage whose inclusive employee range holds `employees` (1–10, 11–50, …)."""
        for stage in self.stages:
            top = stage.max_employees
            if employees >= stage.min_employees and (top is None or employees <= top):
                return stage
        raise ValueError(f"no stage covers {employees} employees")

    def stage(self, key: str) -> Stage:
        return next(s for s in self.stages if s.key == key)

    def arr_band(self, key: str) -> ArrBand:
        return next(b for b in self.arr_bands if b.key == key)

    def arr_band_for(self, arr: float) -> ArrBand:
        """The ARR band holding `arr`: lower bound inclusive, so exactly $1M is `1m_to_5m`."""
        for band in self.arr_bands:
            if arr >= band.min_arr and (band.max_arr is None or arr < band.max_arr):
                return band
        raise ValueError(f"no ARR band covers {arr}")


@cache
def load_catalogue() -> Catalogue:
    """The packaged catalogue (parsed once per process)."""
    text = resources.files("accord.org").joinpath("catalogue.yaml").read_text("utf-8")
    return Catalogue.model_validate(yaml.safe_load(text))
