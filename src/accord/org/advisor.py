"""The organisation-design advisor: company profile → `Advice` (DOMAIN.md §5).

Pure functions over a `CompanyProfile` and the catalogue. Each one decides one thing —
stage, sales model, marketing model, combined model, headcount, budget, hires, routing,
RevOps and CRO timing, definitions, KPIs, review dates, restructuring — and every line
it returns cites the seed figure behind it. Every threshold a decision turns on, and
the benchmark figures quoted in the advice, are read from the catalogue; only the
choice between them lives in code.

Where seeds disagree the advice says so rather than hiding it: seed 000 puts a RevOps
leader first among hires at 51–200 people, seed 004 finds its ROI at 150–250 and offers
a fractional lead before that; seed 000 runs a weekly pipeline review, seed 004 prefers
biweekly at mid-market.
"""

from __future__ import annotations

import calendar
from datetime import date
from typing import Literal

from accord.org.advice import (
    Advice,
    BudgetGuidance,
    ChecklistStep,
    Cited,
    HeadcountRange,
    Hire,
    KpiOwnership,
    Recommendation,
    Restructuring,
    ReviewPlan,
    RoutingRule,
    StageFit,
    Timing,
)
from accord.org.catalogue import (
    CadenceKey,
    Catalogue,
    CombinedModelKey,
    KpiFunction,
    MarketingModelKey,
    SalesModelKey,
    Source,
    Span,
    Stage,
    load_catalogue,
)
from accord.org.profile import PRE_SERIES_B, CompanyProfile
from accord.org.roles import ROLE_TITLES, Role

Decision = Literal["in_place", "now", "plan", "not_yet"]


def advise(profile: CompanyProfile, today: date, cat: Catalogue | None = None) -> Advice:
    """Everything the advisor recommends for `profile`, reviewed from `today`."""
    cat = cat or load_catalogue()
    stage = cat.stage_for(profile.employees)
    sales = recommend_sales_model(profile, cat)
    marketing = recommend_marketing_model(profile, cat)
    revops = revops_timing(profile, cat)
    cro = cro_timing(profile, cat)
    combined = recommend_combined_model(profile, cat, revops, cro)
    hires = plan_hires(profile, cat, cro)
    return Advice(
        profile=profile,
        today=today,
        stage=classify_stage(profile, cat),
        sales=sales,
        marketing=marketing,
        combined=combined,
        headcount=plan_headcount(profile, cat),
        budget=budget_guidance(profile, cat),
        next_hires=hires,
        routing=recommend_routing(profile, cat, sales.model),
        revops=revops,
        cro=cro,
        put_in_place_now=definitions_to_set(profile, cat),
        kpis=recommend_kpis(profile, cat),
        shared_kpis=Cited(
            text="Both teams own: " + ", ".join(cat.shared_kpis.names),
            sources=(cat.shared_kpis.source,),
        ),
        review=plan_review(profile, cat, today, stage),
        restructuring=restructuring_checklist(profile, cat, sales, marketing, combined, hires),
    )


# ---------------------------------------------------------------- stage


def classify_stage(profile: CompanyProfile, cat: Catalogue) -> StageFit:
    """Stage by employees (seed 000's four bands) plus the ARR band (seed 001)."""
    stage = cat.stage_for(profile.employees)
    points = [Cited(
        text=f"{profile.employees} employees: {stage.label} ({_stage_range(stage)}). "
             f"{stage.shape}",
        sources=(stage.source,),
    )]
    band_key = None
    if profile.arr is not None:
        band = cat.arr_band_for(profile.arr)
        band_key = band.key
        points.append(Cited(
            text=f"{money(profile.arr)} ARR: {band.label}.", sources=(band.source,),
        ))
        floor = cat.benchmarks.combined_models_min_arr
        if stage.key in ("mid_market", "enterprise") and profile.arr < floor.value:
            points.append(Cited(
                text=f"Headcount is ahead of revenue: under {money(floor.value)} ARR, size the "
                     "structure by revenue and keep it light.",
                sources=(floor.source,),
            ))
    return StageFit(key=stage.key, label=stage.label, arr_band=band_key, points=tuple(points))


def _stage_range(stage: Stage) -> str:
    if stage.max_employees is None:
        return f"{stage.min_employees}+ employees"
    return f"{stage.min_employees}–{stage.max_employees} employees"


# ---------------------------------------------------------------- models


def recommend_sales_model(profile: CompanyProfile, cat: Catalogue) -> Recommendation:
    """Sales structure: founder-led to 10 people, functional to 50, then by what varies most.

    From 51 people: several products → product; several segments → segment; several
    regions with enterprise scale or 15+ reps → geographic; outbound → assembly line;
    otherwise functional (seed 000's sales table, "best for" column).
    """
    stage = cat.stage_for(profile.employees).key
    reasons: list[Cited] = []
    key: SalesModelKey
    if stage == "startup":
        key = "founder_led"
        reasons.append(_cite(f"At {profile.employees} people the founder still sells.",
                             cat.stage("startup").source))
    elif stage == "growth":
        key = "functional"
        reasons.append(_cite("Growth stage: the first SDRs join, so work splits SDR → AE → CS.",
                             cat.stage("growth").source))
    elif profile.is_multi_product:
        key = "product"
        reasons.append(_cite(f"{len(profile.products)} products "
                             f"({', '.join(profile.products)}): reps specialise by product line.",
                             cat.sales_models["product"].source))
        if profile.is_multi_segment:
            reasons.append(_cite("Several segments too: keep segment as the second cut inside "
                                 "each product team.", cat.sales_models["segment"].source))
    elif profile.is_multi_segment:
        key = "segment"
        reasons.append(_cite(f"Segments {', '.join(profile.segments)}: reps split by company "
                             "size or vertical.", cat.sales_models["segment"].source))
    elif profile.is_multi_region and (
        stage == "enterprise" or (profile.reps or 0) >= cat.benchmarks.territory_routing_reps.low
    ):
        key = "geographic"
        reasons.append(_cite(f"Regions {', '.join(profile.regions)} with enough reps to own "
                             "territories.", cat.sales_models["geographic"].source))
    elif "outbound" in profile.motions:
        key = "assembly_line"
        reasons.append(_cite("Outbound motion at scale: specialists per pipeline stage.",
                             cat.sales_models["assembly_line"].source))
    else:
        key = "functional"
        reasons.append(_cite("One product, one segment: a repeatable SDR → AE → CS line.",
                             cat.sales_models["functional"].source))
    if stage == "enterprise" and profile.is_multi_region and key != "geographic":
        reasons.append(_cite(f"Add regional overlays for field sales across "
                             f"{', '.join(profile.regions)}.", cat.stage("enterprise").source))
    model = cat.sales_models[key]
    return _recommendation("sales", key, model.name, model.how, reasons,
                           _cite(model.watch_out, model.source), profile.current.sales_model)


def recommend_marketing_model(profile: CompanyProfile, cat: Catalogue) -> Recommendation:
    """Marketing structure: functional while the team is small, hybrid once it outgrows it.

    Seed 000 fits functional to early stage; seed 003 says functional holds to about
    10–15 marketers and a hybrid scales beyond, which happens only past 200 people. ABM
    across several segments → segment (seed 000). At 200+: several products in several
    regions → matrix, product-led → customer stage, else hybrid.
    """
    b = cat.benchmarks
    here = cat.stage_for(profile.employees)
    stage = here.key
    reasons: list[Cited] = []
    key: MarketingModelKey
    if stage in ("startup", "growth"):
        key = "functional"
        size = here.marketing_team
        assert size is not None
        team_text = "one generalist" if size.high == 1 else f"a team of {size.low}–{size.high}"
        reasons.append(_cite(f"{here.label} stage: {team_text}, organised by skill.",
                             here.source))
    elif stage == "mid_market":
        # At 51–200 people every team-size figure (5% ≤ 10, seed 001's 8–15) stays within
        # seed 003's 10–15, so the choice is functional unless ABM runs across segments.
        team = marketing_headcount(profile, cat)
        if "abm" in profile.motions and profile.is_multi_segment:
            key = "segment"
            reasons.append(_cite("ABM across several segments: teams by segment.",
                                 cat.marketing_models["segment"].source))
        else:
            key = "functional"
            reasons.append(_cite(
                f"A marketing team of {_span(team.low or 0, team.high or 0)} (see headcount) is "
                f"within the {_range(b.functional_marketing_max_headcount)} people a "
                "functional team handles well.",
                b.functional_marketing_max_headcount.source,
                *dict.fromkeys(s for c in team.basis for s in c.sources)))
            if profile.is_multi_product:
                reasons.append(_cite(
                    f"Cover the {len(profile.products)} products with product marketing per "
                    "line rather than separate product teams, which would duplicate skills in "
                    "a team this size.", cat.marketing_models["product"].source))
    elif "abm" in profile.motions and profile.is_multi_segment:
        key = "segment"
        reasons.append(_cite("ABM across several segments at enterprise scale: segment teams "
                             "or pods.", cat.marketing_models["segment"].source))
    elif profile.is_multi_product and profile.is_multi_region:
        key = "matrix"
        reasons.append(_cite("Several products in several regions: a complex portfolio.",
                             cat.marketing_models["matrix"].source))
    elif "plg" in profile.motions:
        key = "customer_stage"
        reasons.append(_cite("Product-led motion: teams own acquisition, conversion and "
                             "retention.", cat.marketing_models["customer_stage"].source))
    else:
        key = "hybrid"
        reasons.append(_cite("Enterprise scale: central brand, ops and data; execution by "
                             "segment or region.", cat.marketing_models["hybrid"].source))
    model = cat.marketing_models[key]
    name, how = model.name, model.how
    if stage == "startup":
        name, how = f"{model.name} (one generalist)", (
            "A single marketing generalist reporting to the founder/CEO; the skills split "
            "into teams later.")
    return _recommendation("marketing", key, name, how, reasons,
                           _cite(model.watch_out, model.source),
                           profile.current.marketing_model)


def recommend_combined_model(
    profile: CompanyProfile, cat: Catalogue, revops: Timing, cro: Timing
) -> Recommendation:
    """CRO, RevOps, GTM pods — or none yet (seed 000: most companies under $5M ARR need none)."""
    b = cat.benchmarks
    stage = cat.stage_for(profile.employees).key
    current = ", ".join(profile.current.combined) or None
    too_small = stage in ("startup", "growth")
    too_early = profile.arr is not None and profile.arr < b.combined_models_min_arr.value
    if too_small or too_early:
        why = (f"{profile.employees} employees" if too_small else f"{money(profile.arr or 0)} ARR")
        return Recommendation(
            area="combined", model="none", name="No combined model yet",
            how="The founder or CEO talks to sales and marketing daily; one honest shared "
                "pipeline spreadsheet.",
            reasons=(_cite(f"{why}: below the point where CRO, RevOps or pods pay off.",
                           b.combined_models_min_arr.source),),
            watch_out=_cite("Structure added too early builds bureaucracy before revenue is "
                            "repeatable.", b.combined_models_min_arr.source),
            current=current, changes_current=bool(profile.current.combined),
        )
    reasons: list[Cited] = []
    key: CombinedModelKey
    if cro.decision in ("now", "in_place") or (stage == "enterprise" and cro.decision == "plan"):
        key = "cro"
        reasons.extend(cro.reasons or (_cite("A CRO is in place; keep it backed by RevOps.",
                                             cat.combined_models["cro"].source),))
        if profile.is_multi_product or profile.is_multi_segment:
            pods = cat.combined_models["gtm_pods"]
            reasons.append(_cite("Several products or segments: run GTM pods under the CRO.",
                                 pods.source))
        reasons.append(_cite("RevOps sits underneath as the operating system.",
                             cat.combined_models["revops"].source))
    else:
        key = "revops"
        reasons.extend(revops.reasons)
        if profile.is_multi_product or profile.is_multi_segment:
            reasons.append(_cite("Several products or segments: GTM pods fit later, once a "
                                 "CRO can own them.", cat.combined_models["gtm_pods"].source))
    model = cat.combined_models[key]
    return Recommendation(
        area="combined", model=key, name=model.name, how=model.how, reasons=tuple(reasons),
        watch_out=_cite(model.watch_out, model.source), current=current,
        changes_current=key not in profile.current.combined,
    )


def _recommendation(
    area: Literal["sales", "marketing"], key: str, name: str, how: str, reasons: list[Cited],
    watch_out: Cited, current: str | None,
) -> Recommendation:
    return Recommendation(
        area=area, model=key, name=name, how=how, reasons=tuple(reasons),
        watch_out=watch_out, current=current,
        changes_current=current is not None and current != key,
    )


# ---------------------------------------------------------------- RevOps and CRO


def revops_timing(profile: CompanyProfile, cat: Catalogue) -> Timing:
    """RevOps: not below 50 people or 3 CRM users (seed 000); a leader from 51 (seed 000),
    fractional acceptable before the 150–250 ROI band unless ABM runs (seed 004)."""
    b = cat.benchmarks
    if profile.has("revops_leader"):
        return Timing(decision="in_place", reasons=(), trigger=None)
    if profile.crm_users is not None and profile.crm_users < b.revops_min_crm_users.value:
        return Timing(
            decision="not_yet",
            reasons=(_cite(f"{profile.crm_users} people use the CRM: a RevOps-minded founder "
                           "is enough.", b.revops_min_crm_users.source),),
            trigger=f"when {int(b.revops_min_crm_users.value)} or more people work in the CRM",
        )
    if profile.employees < b.revops_min_employees.value:
        return Timing(
            decision="not_yet",
            reasons=(_cite(f"{profile.employees} employees, under the 50+ where RevOps fits; "
                           "keep written definitions and one named owner of the handoff.",
                           b.revops_min_employees.source),),
            trigger=f"at {int(b.revops_min_employees.value)} employees",
        )
    roi = b.revops_roi_employees
    frac = b.fractional_revops_value.value
    reasons = [_cite(f"{profile.employees} employees: past 50, where RevOps fits.",
                     b.revops_min_employees.source)]
    if profile.employees < roi.low:
        if "abm" in profile.motions:
            reasons.append(_cite("ABM is running, so a full-time lead pays off before the "
                                 f"{_range(roi)} band.", roi.source))
        else:
            reasons.append(_cite(
                f"Full-time ROI arrives at {_range(roi)} employees; until then a fractional "
                f"lead with written definitions gives about {pct(frac)} of the value for "
                f"{pct(1 - frac)} of the cost.", b.fractional_revops_value.source))
    else:
        reasons.append(_cite(f"Inside or past the {_range(roi)} band where a "
                             "full-time RevOps function pays off.", roi.source))
    return Timing(decision="now", reasons=tuple(reasons),
                  trigger=None if profile.employees >= roi.low
                  else f"full-time by {int(roi.low)} employees")


def cro_timing(profile: CompanyProfile, cat: Catalogue) -> Timing:
    """CRO: at $10M+ ARR (seed 000) or in the 150–400-employee window (seed 004); not
    before Series B (seed 000); RevOps must be underneath (seed 000)."""
    b = cat.benchmarks
    if profile.has("cro"):
        return Timing(decision="in_place", reasons=(), trigger=None)
    window = _range(b.cro_employees)
    mark = money(b.cro_min_arr.value)
    trigger = f"at {mark} ARR or {int(b.cro_employees.low)} employees"
    if profile.funding_stage in PRE_SERIES_B:
        return Timing(
            decision="not_yet",
            reasons=(_cite(f"Funding stage {profile.funding_stage}: a CRO before Series B "
                           "has nothing underneath to run.", cat.combined_models["cro"].source),),
            trigger="after Series B, " + trigger,
        )
    reasons: list[Cited] = []
    decision: Decision = "not_yet"
    if profile.arr is not None and profile.arr >= b.cro_min_arr.value:
        decision = "now"
        reasons.append(_cite(f"{money(profile.arr)} ARR is past the {mark} mark for a CRO.",
                             b.cro_min_arr.source))
    if profile.employees >= b.cro_employees.high:
        decision = "now"
        reasons.append(_cite(f"{profile.employees} employees is past the {window} window.",
                             b.cro_employees.source))
    elif profile.employees >= b.cro_employees.low:
        decision = "now" if decision == "now" else "plan"
        reasons.append(_cite(f"{profile.employees} employees is inside the {window} window "
                             "where the CEO stops being able to broker alignment.",
                             b.cro_employees.source))
    if decision == "not_yet":
        arr = f"{money(profile.arr)} ARR, " if profile.arr is not None else ""
        reasons.append(_cite(f"{arr}{profile.employees} employees: below {mark} ARR and "
                             f"{int(b.cro_employees.low)} employees.", b.cro_min_arr.source))
        reasons.append(_cite(f"CRO window by headcount: {window} employees.",
                             b.cro_employees.source))
    elif not profile.has("revops_leader"):
        reasons.append(_cite("Put RevOps in place first: the CRO needs it underneath.",
                             cat.combined_models["cro"].source))
    if decision != "not_yet":
        reasons.append(_cite("The CRO's first job is a definition reset: ICP, MQL criteria, "
                             "stages, attribution.",
                             Source(seed="004", figure="FAQ: the CRO's first task")))
    return Timing(decision=decision, reasons=tuple(reasons),
                  trigger=None if decision == "now" else trigger)


# ---------------------------------------------------------------- headcount and budget


def plan_headcount(profile: CompanyProfile, cat: Catalogue) -> tuple[HeadcountRange, ...]:
    """Ranges per function from the benchmarks; each range lists the figures it spans."""
    n = profile.employees
    stage = cat.stage_for(n)
    sales, revops = _sales_headcount(profile, cat), _revops_headcount(profile, cat)
    ranges = [marketing_headcount(profile, cat), sales, revops]
    if stage.key == "growth":
        ranges.append(HeadcountRange(function="sdr", low=1, high=2, basis=(
            _cite("First SDRs, then a second SDR.", stage.source),)))
    return tuple(ranges)


def marketing_headcount(profile: CompanyProfile, cat: Catalogue) -> HeadcountRange:
    """Marketing people: the span of every benchmark that applies to this company.

    5% of headcount (seed 000) always; the stage's team size (seed 000) and the ARR
    band's team size (seed 001) below 200 people; 14% at 200+ (seed 000, McKinsey), where
    seed 001's open-ended "8–15+" says nothing more.
    """
    b = cat.benchmarks
    n = profile.employees
    stage = cat.stage_for(n)
    points: list[tuple[int, int, Cited]] = []
    share = round_half_up(n * b.marketing_share_of_headcount.value)
    points.append((share, share, _cite(
        f"{pct(b.marketing_share_of_headcount.value)} of {n} employees ≈ {share}",
                                       b.marketing_share_of_headcount.source)))
    if stage.marketing_team is not None:
        t = stage.marketing_team
        points.append((t.low, t.high, _cite(f"{stage.label} team: {_span(t.low, t.high)}",
                                            stage.source)))
    if profile.arr is not None and stage.key != "enterprise":
        band = cat.arr_band_for(profile.arr)
        t = band.marketing_team
        plus = "+" if band.max_arr is None else ""
        points.append((t.low, t.high, _cite(f"{band.label}: {_span(t.low, t.high)}{plus}",
                                            band.source)))
    if stage.key == "enterprise":
        big = round_half_up(n * b.enterprise_marketing_share_of_headcount.value)
        points.append((big, big, _cite(
            f"{pct(b.enterprise_marketing_share_of_headcount.value)} of {n} at enterprise "
            f"scale ≈ {big}",
                                       b.enterprise_marketing_share_of_headcount.source)))
    return HeadcountRange(
        function="marketing",
        low=max(1, min(p[0] for p in points)),
        high=max(1, max(p[1] for p in points)),
        basis=tuple(p[2] for p in points),
    )


def _sales_headcount(profile: CompanyProfile, cat: Catalogue) -> HeadcountRange:
    b = cat.benchmarks
    n = profile.employees
    share = b.enterprise_sales_share_of_headcount.value
    if cat.stage_for(n).key == "enterprise":
        s = round_half_up(n * share)
        return HeadcountRange(function="sales", low=s, high=s, basis=(
            _cite(f"{pct(share)} of {n} employees ≈ {s}",
                  b.enterprise_sales_share_of_headcount.source),))
    return HeadcountRange(function="sales", low=None, high=None, basis=(
        _cite(f"The seeds give a sales share of headcount only for 200+ employees "
              f"(≈{pct(share)}).",
              b.enterprise_sales_share_of_headcount.source),))


def _revops_headcount(profile: CompanyProfile, cat: Catalogue) -> HeadcountRange:
    b = cat.benchmarks
    stage = cat.stage_for(profile.employees).key
    if stage in ("startup", "growth"):
        return HeadcountRange(function="revops", low=0, high=0, basis=(
            _cite("No RevOps team yet: the founder or a named owner runs the system.",
                  b.revops_min_employees.source),))
    if stage == "mid_market":
        return HeadcountRange(function="revops", low=1, high=1, basis=(
            _cite(f"One RevOps leader (fractional is acceptable below "
                  f"{int(b.revops_roi_employees.low)} employees).",
                  cat.stage("mid_market").source, b.fractional_revops_value.source),))
    roles = int(b.revops_team_roles.value)
    return HeadcountRange(function="revops", low=1, high=roles, basis=(
        _cite(f"A leader plus specialists in systems, analytics, enablement and GTM ops: "
              f"up to {roles} roles.", b.revops_team_roles.source),))


def budget_guidance(profile: CompanyProfile, cat: Catalogue) -> BudgetGuidance:
    """Marketing ≈8.7% of budget, 36% of that on lead generation (seed 000); brand and
    content 40–60% of marketing resource (seed 003). Amounts when `total_budget` is known."""
    b = cat.benchmarks
    m = b.marketing_share_of_budget.value
    lg = b.lead_gen_share_of_marketing_budget.value
    brand = b.brand_share_of_marketing
    points = [
        _cite(f"Marketing ≈ {pct(m)} of total budget", b.marketing_share_of_budget.source),
        _cite(f"Lead generation ≈ {pct(lg)} of marketing, i.e. {pct(m * lg, 2)} of total "
              "budget", b.lead_gen_share_of_marketing_budget.source),
        _cite(f"Brand and content {pct(brand.low)}–{pct(brand.high)} of marketing resource, "
              "demand capture the rest", brand.source),
    ]
    marketing_amount = lead_gen_amount = None
    if profile.total_budget is not None:
        marketing_amount = profile.total_budget * m
        lead_gen_amount = marketing_amount * lg
        points.append(_cite(
            f"On a {money(profile.total_budget)} budget: marketing ≈ {money(marketing_amount)}, "
            f"lead generation ≈ {money(lead_gen_amount)}", b.marketing_share_of_budget.source))
    if cat.stage_for(profile.employees).key == "startup":
        points.append(_cite("At this size the budget is small: spend where it yields pipeline; "
                            "a $15–40k/year data contract is hard to justify.",
                            cat.stage("startup").source))
    return BudgetGuidance(
        marketing_share_of_budget=m, lead_gen_share_of_marketing=lg,
        lead_gen_share_of_budget=m * lg, brand_share_low=brand.low, brand_share_high=brand.high,
        marketing_amount=marketing_amount, lead_gen_amount=lead_gen_amount, points=tuple(points),
    )


# ---------------------------------------------------------------- hires


def plan_hires(profile: CompanyProfile, cat: Catalogue, cro: Timing) -> tuple[Hire, ...]:
    """Next hires in order for the stage (seeds 000, 001), skipping roles already filled.

    Growth: demand gen, a second SDR (seed 000), then from $1M ARR or Series A a Head of
    Marketing and a content marketer (seed 001). Mid-market: RevOps leader, then
    enablement (seed 000), then from $5M ARR a VP Marketing, product marketing and
    marketing ops (seed 001). Enterprise: CRO when due, RevOps under it, ABM lead,
    regional directors with several regions, a marketing ops team (seed 000).
    """
    stage = cat.stage_for(profile.employees)
    arr = profile.arr
    series_a = cat.arr_band("1m_to_5m")
    series_b = cat.arr_band("over_5m")
    over_1m = (arr is not None and arr >= series_a.min_arr) or (
        profile.funding_stage not in (None, "bootstrapped", "pre_seed", "seed"))
    over_5m = arr is not None and arr >= series_b.min_arr
    here = stage.source
    plan: list[tuple[Role, str, Source]] = []
    if stage.key == "startup":
        plan.append(("revenue_generalist", "Someone who writes, runs ads and qualifies leads — "
                     "not a specialist.", here))
    elif stage.key == "growth":
        plan.append(("demand_gen", "The growth-stage marketing priority.", here))
        plan.append(("sdr", "A second SDR alongside the first.", here))
        if over_1m:
            plan.append(("marketing_leader", "Past $1M ARR / Series A the generalist model "
                         "cracks; a leader builds the repeatable engine.", series_a.source))
            plan.append(("content", "Feeds demand generation with content.", series_a.source))
    elif stage.key == "mid_market":
        plan.append(("revops_leader", "Cleans up the CRM, enforces SLAs, gives one "
                     "pipeline number.", here))
        plan.append(("enablement", "Next after RevOps.", here))
        if over_5m:
            plan.append(("marketing_leader", "A full-time leader, no longer player-coach.",
                         series_b.source))
            plan.append(("product_marketing", "Owns messaging, positioning and competitive "
                         "intelligence; links product, marketing and sales.", series_b.source))
            plan.append(("marketing_ops", "Owns the martech stack, data and analytics.",
                         series_b.source))
    else:
        if cro.decision in ("now", "plan"):
            plan.append(("cro", "One revenue leader over sales, marketing and CS.",
                         cat.combined_models["cro"].source))
        plan.append(("revops_leader", "The operating system underneath the CRO.",
                     cat.combined_models["revops"].source))
        plan.append(("abm", "ABM becomes its own function.", here))
        if profile.is_multi_region:
            plan.append(("regional_sales_director", "Regional overlays for field sales.", here))
        plan.append(("marketing_ops", "A team that can support the matrix.", here))
    hires = [(role, why, src) for role, why, src in plan
             if role == "sdr" or not profile.has(role)]
    return tuple(
        Hire(order=i, role=role, title=ROLE_TITLES[role], why=_cite(why, src))
        for i, (role, why, src) in enumerate(hires, start=1)
    )


# ---------------------------------------------------------------- routing


def recommend_routing(
    profile: CompanyProfile, cat: Catalogue, sales_model: str
) -> tuple[RoutingRule, ...]:
    """Account owner for ABM accounts at any size; round-robin under 15 reps, territory
    above 30, and between 15 and 30 territory only with regions or segments to split
    by (seed 004). Under a product model, existing customers go to their owner so they
    are not called by several reps (seed 000's product watch-out)."""
    b = cat.benchmarks
    band = b.territory_routing_reps
    rules: list[RoutingRule] = []
    if "abm" in profile.motions:
        rules.append(RoutingRule(applies_to="ABM target accounts", method="account_owner",
                                 why=_cite("ABM needs account-owner routing whatever the team "
                                           "size; a cold rep can undo weeks of coordination.",
                                           Source(seed="004", figure="ABM requires "
                                                  "account-owner routing"))))
    if sales_model == "product":
        rules.append(RoutingRule(applies_to="Existing customers", method="account_owner",
                                 why=_cite("Product teams share customers: route to the account "
                                           "owner so one rep leads.",
                                           cat.sales_models["product"].source)))
    reps = profile.reps
    method: Literal["round_robin", "territory"]
    if reps is None:
        method, text = "round_robin", ("Rep count unknown: round-robin until the team reaches "
                                       f"{int(band.low)}–{int(band.high)} reps.")
    elif reps < band.low:
        method, text = "round_robin", f"{reps} reps, under {int(band.low)}: round-robin."
    elif reps > band.high:
        method, text = "territory", f"{reps} reps, over {int(band.high)}: territory routing."
    elif profile.is_multi_region or profile.is_multi_segment:
        method, text = "territory", (f"{reps} reps with regions or segments to split by: "
                                     "territories now have enough reps each.")
    else:
        method, text = "round_robin", (f"{reps} reps but one region and segment: round-robin "
                                       "until territories would each have enough reps.")
    rest = "All other leads" if rules else "All leads"
    if sales_model == "product":
        rest = "New leads, within each product team"
    rules.append(RoutingRule(applies_to=rest, method=method,
                             why=_cite(text, band.source)))
    return tuple(rules)


# ---------------------------------------------------------------- definitions and SLA


def definitions_to_set(profile: CompanyProfile, cat: Catalogue) -> tuple[Cited, ...]:
    """The written agreements to put in place now, for every stage plus stage extras."""
    b = cat.benchmarks
    stage = cat.stage_for(profile.employees).key
    s000 = Source(seed="000", figure="mistakes 1 and 5: SAL definition, handoff owner")
    s002 = Source(seed="002", figure="four pillars: definitions, handoff, SLAs, feedback")
    s004 = Source(seed="004", figure="where to start at each stage")
    hours = int(b.speed_to_lead_hours.value)
    out: list[Cited] = []
    if profile.is_multi_product or profile.is_multi_segment:
        out.append(_cite("One written ICP per product line or segment, each with its own "
                         "scoring model, signed by both teams.",
                         Source(seed="004", figure="inflection 3: multi-product forks the ICP")))
    else:
        out.append(_cite("One written ICP (firmographic and behavioural), signed by both "
                         "teams.", s002))
    out.append(_cite("MQL and SAL definitions with explicit criteria (title, company fit, "
                     "engagement threshold).", s000))
    out.append(_cite(f"SLA: marketing commits to a monthly number of qualified leads; sales "
                     f"makes first touch within {hours} hours and a minimum number of touches.",
                     Source(seed="000", figure="SLAs: X leads, Y hours, Z touches"),
                     b.speed_to_lead_hours.source))
    out.append(_cite("A named owner of the marketing→sales handoff, accountable for its speed "
                     "and quality.", s000))
    out.append(_cite("Rejection reason codes: sales says why a lead goes back, and it returns "
                     "to nurture.", Source(seed="004", figure="mid-market: lead rejection codes")))
    if stage == "startup":
        out.append(_cite("Write the ICP and MQL definition down before hire #3 on either team.",
                         Source(seed="004", figure="staircase rung 1: verbal")))
    elif stage == "growth":
        out.append(_cite("Definitions and SLA from the day sales and marketing split; wire the "
                         "criteria into the MAP and CRM.",
                         Source(seed="004", figure="staircase rung 2: written")))
    elif stage == "mid_market":
        out.append(_cite("Build the SLA first, then the attribution model.", s004))
        if profile.employees < b.two_touch_attribution_before_employees.value:
            out.append(_cite("Two-touch attribution (first touch + opportunity-creation touch) "
                             f"before {int(b.two_touch_attribution_before_employees.value)} "
                             "employees.",
                             b.two_touch_attribution_before_employees.source))
        out.append(_cite("RevOps audits SLA compliance weekly and flags breaches.",
                         Source(seed="000", figure="SLAs live in CRM workflows")))
    else:
        out.append(_cite("Separate handoff flows per buyer type: inbound SMB, enterprise ABM, "
                         "partner-sourced.",
                         Source(seed="004", figure="enterprise: multiple handoff flows")))
        out.append(_cite("RevOps audits SLA compliance weekly and flags breaches.",
                         Source(seed="000", figure="SLAs live in CRM workflows")))
        out.append(cat_cadence(cat, "quarterly_icp_review"))
        if profile.employees >= b.alignment_audit_employees.value:
            gap = b.alignment_audit_gap
            out.append(_cite("Audit documented process against system behaviour; a "
                             f"{pct(gap.low)}–{pct(gap.high)} gap is typical.", gap.source))
    return tuple(out)


def cat_cadence(cat: Catalogue, key: CadenceKey) -> Cited:
    c = cat.cadences[key]
    return _cite(c.text, c.source)


# ---------------------------------------------------------------- KPIs


_STAGE_FUNCTIONS: dict[str, tuple[KpiFunction, ...]] = {
    "startup": ("demand_generation", "content_marketing"),
    "growth": ("demand_generation", "content_marketing"),
    "mid_market": ("demand_generation", "content_marketing", "product_marketing",
                   "brand_comms", "marketing_ops"),
    "enterprise": ("demand_generation", "content_marketing", "product_marketing",
                   "brand_comms", "marketing_ops"),
}
_FUNCTION_ROLE: dict[KpiFunction, Role] = {
    "demand_generation": "demand_gen", "content_marketing": "content",
    "product_marketing": "product_marketing", "brand_comms": "brand",
    "marketing_ops": "marketing_ops",
}


KpiColumn = Literal["Seed/Series A", "Series B+"]


def kpi_column(profile: CompanyProfile, cat: Catalogue) -> KpiColumn:
    """Seed 001's KPI column: Series B+ from $5M ARR; else by funding stage; else by size."""
    if profile.arr is not None:
        return "Series B+" if profile.arr >= cat.arr_band("over_5m").min_arr else "Seed/Series A"
    if profile.funding_stage is not None and profile.funding_stage != "bootstrapped":
        early = {"pre_seed", "seed", "series_a"}
        return "Seed/Series A" if profile.funding_stage in early else "Series B+"
    stage = cat.stage_for(profile.employees).key
    return "Series B+" if stage in ("mid_market", "enterprise") else "Seed/Series A"


def recommend_kpis(profile: CompanyProfile, cat: Catalogue) -> tuple[KpiOwnership, ...]:
    """Which KPIs each marketing function owns now (seed 001's table), and who holds them.

    A function without its own person is held by the marketing leader, or at the
    smallest stages by the generalist.
    """
    column = kpi_column(profile, cat)
    stage = cat.stage_for(profile.employees).key
    if stage == "startup":
        fallback = "Revenue generalist"
    elif profile.has("marketing_leader") or stage != "growth":
        fallback = ROLE_TITLES["marketing_leader"]
    else:
        fallback = "Marketing lead"
    out = []
    for fn in _STAGE_FUNCTIONS[stage]:
        row = cat.function_kpis[fn]
        role = _FUNCTION_ROLE[fn]
        owner = ROLE_TITLES[role] if profile.has(role) else fallback
        out.append(KpiOwnership(
            function=row.name, owner=owner, column=column,
            kpis=row.late if column == "Series B+" else row.early,
            source=cat.function_kpis_source,
        ))
    return tuple(out)


# ---------------------------------------------------------------- review


def plan_review(profile: CompanyProfile, cat: Catalogue, today: date, stage: Stage) -> ReviewPlan:
    """Quarterly structure check (seed 000), yearly marketing review (seed 003), redesign
    every 2–3 years (seed 000) — sooner when the company crosses a threshold."""
    b = cat.benchmarks
    quarter = int(b.structure_review_months.value)
    year = int(b.marketing_structure_review_months.value)
    redesign = b.org_design_review_years
    points = [
        _cite(f"Structure check every {quarter} months: is the model still working?",
              b.structure_review_months.source),
        _cite("Full marketing structure review at least yearly.",
              b.marketing_structure_review_months.source),
        _cite(f"Org design review every {int(redesign.low)}–{int(redesign.high)} years.",
              redesign.source),
    ]
    if stage.max_employees is not None:
        points.append(_cite(f"Review early at {stage.max_employees + 1} employees, when the "
                            "next stage begins.", stage.source))
    if profile.arr is not None and profile.arr < b.cro_min_arr.value:
        points.append(_cite(f"Review early at {money(b.cro_min_arr.value)} ARR, the CRO mark.",
                            b.cro_min_arr.source))
    points.append(_cite("Review early when a product line or a segment is added: the ICP forks.",
                        Source(seed="004", figure="inflection 3: multi-product or segment")))
    return ReviewPlan(
        next_review=add_months(today, quarter),
        annual_review=add_months(today, year),
        redesign_from=add_months(today, int(redesign.low) * 12),
        redesign_by=add_months(today, int(redesign.high) * 12),
        points=tuple(points),
    )


# ---------------------------------------------------------------- restructuring


_STAGE_CADENCES: dict[str, tuple[CadenceKey, ...]] = {
    "startup": ("weekly_pipeline_review",),
    "growth": ("weekly_pipeline_review", "monthly_sla_review"),
    "mid_market": ("biweekly_joint_pipeline_review", "biweekly_alignment_check",
                   "monthly_sla_review", "quarterly_structure_review"),
    "enterprise": ("weekly_pipeline_review", "biweekly_alignment_check", "monthly_sla_review",
                   "quarterly_icp_review", "quarterly_structure_review"),
}


def restructuring_checklist(
    profile: CompanyProfile,
    cat: Catalogue,
    sales: Recommendation,
    marketing: Recommendation,
    combined: Recommendation,
    hires: tuple[Hire, ...],
) -> Restructuring:
    """Seed 001's five steps, filled in from the profile and the recommendations."""
    src = Source(seed="001", figure="restructuring checklist")
    stage = cat.stage_for(profile.employees).key
    moves = [f"{r.area} from {r.current or 'unstated'} to {r.name.lower()}"
             for r in (sales, marketing) if r.changes_current]
    if combined.model != "none" and combined.changes_current:
        moves.append(f"adding {combined.name}")
    needed = bool(moves)
    metric = next((m.key_metric for k, m in cat.combined_models.items() if k == combined.model),
                  "Pipeline contribution")
    change = "; ".join(moves) if moves else "keep the current structure"
    why = (f"{change[:1].upper()}{change[1:]}. Set one number the change must move, with a "
           f"baseline and a date: {metric.lower()}.")
    have = ", ".join(ROLE_TITLES[r] for r in profile.current.roles) or "no roles listed"
    gaps = ", ".join(h.title for h in hires) or "none"
    cadences = [cat.cadences[k].text for k in _STAGE_CADENCES[stage]]
    structure = f"{sales.name} sales / {marketing.name} marketing".lower()
    steps = (
        ChecklistStep(step="Define the measurable why", detail=why, source=src),
        ChecklistStep(step="Audit the team's skills",
                      detail=f"List what each person is good at, beyond titles. Today: {have}.",
                      source=src),
        ChecklistStep(step="Map people to the new roles",
                      detail=f"Place current people in the {structure} structure; the gaps "
                             f"are the hiring plan: {gaps}.",
                      source=src),
        ChecklistStep(step="Communicate once",
                      detail="Announce the whole change to everyone at one time, with the why "
                             "and each person's part in it.", source=src),
        ChecklistStep(step="Set new cadences", detail="; ".join(cadences), source=src),
    )
    return Restructuring(
        needed=needed, steps=steps,
        note=_cite("Fix the structure first, then hire into it.",
                   Source(seed="003", figure="headcount planning: structure before hiring")),
    )


# ---------------------------------------------------------------- helpers


def _cite(text: str, *sources: Source) -> Cited:
    return Cited(text=text, sources=sources)


def _range(span: Span) -> str:
    return f"{span.low:g}–{span.high:g}"


def _span(low: int, high: int) -> str:
    return str(low) if low == high else f"{low}–{high}"


def round_half_up(x: float) -> int:
    """5% of 130 = 6.5 → 7 (Python's round() would give 6). The product is first rounded
    to 9 places so binary noise in a product such as 0.19 × 450 cannot flip a half."""
    return int(round(x, 9) + 0.5)


def pct(x: float, digits: int = 1) -> str:
    text = f"{x * 100:.{digits}f}".rstrip("0").rstrip(".")
    return f"{text}%"


def money(x: float) -> str:
    """$8M, $1.5M, $1.22M, $438k, $900."""
    for scale, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "k", 0)):
        if abs(x) >= scale:
            text = f"{x / scale:.{digits}f}"
            text = text.rstrip("0").rstrip(".") if "." in text else text
            return f"${text}{suffix}"
    return f"${x:.0f}"


def add_months(d: date, months: int) -> date:
    """Same day `months` later, clamped to the month's end (Nov 30 + 3 → Feb 28)."""
    total = d.month - 1 + months
    year, month = d.year + total // 12, total % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))
