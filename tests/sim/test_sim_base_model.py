"""The base conversion model: the speed-to-lead curve and the fit factor."""

from __future__ import annotations

import numpy as np
import pytest
from simulated_run import Run

from accord.contract.roles import StageRole
from accord.sim.base_model import fit_factor, speed_factor


@pytest.mark.parametrize(("minutes", "expected"), [
    (0.0, 1.0),
    (5.0, 1.0),  # the knee: full credit up to five minutes
    (13.0, 0.625),  # 8 min past the knee: 0.25 + 0.75 · 2^-1 = 0.625
    (21.0, 0.4375),  # 16 min past: 0.25 + 0.75 · 2^-2 = 0.4375
    (10_000.0, 0.25),  # the floor
])
def test_speed_factor_halves_the_edge_every_eight_minutes(minutes: float,
                                                          expected: float) -> None:
    assert speed_factor(np.array([minutes]))[0] == pytest.approx(expected, abs=1e-9)


def test_five_minute_answer_is_about_three_times_a_thirty_minute_one() -> None:
    # 30 min: 0.25 + 0.75 · 2^(-25/8) = 0.25 + 0.75 · 0.1149 = 0.3362 → 1 / 0.3362 ≈ 2.97
    ratio = speed_factor(np.array([5.0]))[0] / speed_factor(np.array([30.0]))[0]
    assert ratio == pytest.approx(2.97, abs=0.01)


def test_fit_factor_runs_from_the_floor_to_one() -> None:
    # qualified (SQL) floor 0.55: fit 0 → 0.55, fit 100 → 1.0, fit 50 → 0.55 + 0.45 · 0.5
    assert fit_factor(np.array([0.0, 50.0, 100.0]), StageRole.QUALIFIED).tolist() == pytest.approx(
        [0.55, 0.775, 1.0])


def test_leads_answered_within_five_minutes_qualify_far_more_often(clean_run: Run) -> None:
    fast, slow = clean_run.rows("""
        with q as (
            select t.first_touch_delay_minutes d,
                   exists(select 1 from stage_events e
                          where e.lead_id = t.lead_id and e.to_stage = 'SQL') qualified
            from truth_lead_latent t where t.first_touch_delay_minutes is not null)
        select avg(qualified::int) filter (where d <= 5),
               avg(qualified::int) filter (where d > 30) from q""")[0]
    assert fast > 2.0 * slow


def test_without_effects_industries_of_equal_fit_convert_alike(clean_run: Run) -> None:
    rows = clean_run.rows("""
        with l as (
            select t.lead_id, a.industry,
                   max((e.to_stage = 'SAL')::int) sal, max((e.to_stage = 'SQL')::int) sqlq
            from truth_lead_accounts t join accounts a using (account_id)
            join stage_events e using (lead_id)
            where a.industry in ('healthcare', 'manufacturing', 'retail', 'logistics')
            group by 1, 2)
        select industry, sum(sqlq) / sum(sal) from l where sal = 1 group by 1""")
    rates = [r[1] for r in rows]
    assert max(rates) - min(rates) < 0.08
