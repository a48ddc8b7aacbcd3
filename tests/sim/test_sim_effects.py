"""Effects files: validation errors, and every kind of effect really planted.

The planted run and the clean run share the seed, so they share the company, the leads and
the random number of every decision; only the planted effects differ.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from simulated_run import Run

from accord.sim import (
    Effects,
    EffectsFileError,
    default_effects,
    load_effects,
    parse_effects,
    simulate,
)


def _stage_rate(run: Run, where: str, from_stage: str, to_stage: str) -> float:
    """Share of leads (matching `where`) that reached `from_stage` and then `to_stage`."""
    return float(run.one(f"""
        with reached as (
            select e.lead_id, max((e.to_stage = '{from_stage}')::int) entered,
                   max((e.to_stage = '{to_stage}')::int) converted
            from stage_events e join leads l using (lead_id)
            join truth_lead_accounts t using (lead_id) join accounts a on a.account_id =
                t.account_id
            where {where} group by 1)
        select sum(converted) / sum(entered) from reached where entered = 1"""))


def test_channel_ceiling_stops_every_lead_of_the_channel_at_the_stage(
        planted_run: Run, clean_run: Run) -> None:
    past_sql = ("select count(*) from stage_events join leads using (lead_id) "
                "where channel = 'content_syndication' and to_stage in ('Opportunity', "
                "'Customer')")
    assert planted_run.one(past_sql) == 0
    assert clean_run.one(past_sql) > 20
    reached_sql = ("select count(*) from stage_events join leads using (lead_id) "
                   "where channel = 'content_syndication' and to_stage = 'SQL'")
    assert planted_run.one(reached_sql) > 50


def test_segment_multiplier_raises_the_segments_conversion_at_its_stage(
        planted_run: Run, clean_run: Run) -> None:
    def lift(run: Run) -> float:
        fintech = _stage_rate(run, "a.industry = 'fintech'", "SAL", "SQL")
        software = _stage_rate(run, "a.industry = 'software'", "SAL", "SQL")
        return fintech / software

    # Both are ICP industries, so without effects they convert alike; fintech ×3 at SQL
    # (capped at 95%) lifts its SAL→SQL rate well over twice software's.
    assert 0.8 < lift(clean_run) < 1.25
    assert lift(planted_run) > 2.0


def test_campaign_multiplier_raises_opportunity_creation(planted_run: Run,
                                                         clean_run: Run) -> None:
    where = "l.campaign_id = 'cmp_paid_search_02'"
    planted = _stage_rate(planted_run, where, "SQL", "Opportunity")
    clean = _stage_rate(clean_run, where, "SQL", "Opportunity")
    assert planted > 1.4 * clean


def test_slow_rep_answers_eight_times_slower(planted_run: Run, clean_run: Run) -> None:
    working = ("select median(first_touch_business_minutes) from truth_lead_latent "
               "where sdr_rep_id = 'sdr_003'")
    ratio = float(planted_run.one(working)) / float(clean_run.one(working))
    assert 7.0 < ratio < 9.0
    clock = working.replace("business", "delay")
    assert float(planted_run.one(clock)) > 3 * float(clean_run.one(clock))


def test_landing_page_multiplier_raises_acceptance(tmp_path: Path) -> None:
    effects = parse_effects(
        "effects: [{kind: landing_page_conversion, landing_page: /pricing, stage: SAL, "
        "multiplier: 0.3}]")
    simulate(tmp_path / "lp", leads=8000, seed=2, effects=effects)
    simulate(tmp_path / "none", leads=8000, seed=2, effects=None)
    where = "l.landing_page = '/pricing'"
    planted = _stage_rate(Run(tmp_path / "lp"), where, "MQL", "SAL")
    clean = _stage_rate(Run(tmp_path / "none"), where, "MQL", "SAL")
    assert planted < 0.5 * clean


def test_no_effects_plants_nothing(clean_run: Run) -> None:
    import yaml

    meta = yaml.safe_load((clean_run.path / "effects_applied.yaml").read_text())
    assert meta["effects_mode"] == "none"
    assert meta["effects"] == []


def test_default_set_has_every_required_kind() -> None:
    kinds = {e.kind for e in default_effects().effects}
    assert {"segment_conversion", "channel_ceiling", "slow_rep", "campaign_conversion"} <= kinds


def test_effects_file_round_trips(tmp_path: Path) -> None:
    f = tmp_path / "e.yaml"
    f.write_text("- {kind: slow_rep, rep: sdr_001, delay_multiplier: 4}\n")
    assert load_effects(f) == Effects.model_validate(
        {"effects": [{"kind": "slow_rep", "rep": "sdr_001", "delay_multiplier": 4}]})


@pytest.mark.parametrize(("text", "field", "words"), [
    ("effects: [{kind: lucky_rep, rep: 1}]", "effects.0", "lucky_rep"),
    ("effects: [{kind: slow_rep, rep: 1, delay_multiplier: -2}]",
     "effects.0.slow_rep.delay_multiplier", "greater than 0"),
    ("effects: [{kind: segment_conversion, field: colour, value: red, stage: SQL, "
     "multiplier: 2}]", "effects.0.segment_conversion.field", "industry"),
    ("effects: [{kind: channel_ceiling, channel: webinar, never_past: Customer}]",
     "effects.0.channel_ceiling.never_past", "Opportunity"),
    ("effects: [{kind: channel_ceiling, channel: webinar, never_past: SQL, colour: red}]",
     "effects.0.channel_ceiling.colour", "Extra inputs"),
])
def test_bad_effects_file_names_the_file_and_the_field(tmp_path: Path, text: str, field: str,
                                                       words: str) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text(text)
    with pytest.raises(EffectsFileError) as info:
        load_effects(f)
    assert info.value.file == str(f)
    assert info.value.field == field
    assert words in str(info.value)
    assert str(f) in str(info.value)


def test_effects_file_that_is_not_yaml_is_refused(tmp_path: Path) -> None:
    f = tmp_path / "broken.yaml"
    f.write_text("effects: [unclosed\n")
    with pytest.raises(EffectsFileError, match="not valid YAML"):
        load_effects(f)


@pytest.mark.parametrize(("effect", "field", "words"), [
    ("{kind: campaign_conversion, campaign: cmp_nope, stage: SQL, multiplier: 2}",
     "effects[0].campaign", "cmp_paid_search_01"),
    ("{kind: channel_ceiling, channel: carrier_pigeon, never_past: SQL}",
     "effects[0].channel", "webinar"),
    ("{kind: segment_conversion, field: industry, value: mining, stage: SQL, multiplier: 2}",
     "effects[0].value", "fintech"),
    ("{kind: slow_rep, rep: 99, delay_multiplier: 2}", "effects[0].rep", "out of range"),
    ("{kind: slow_rep, rep: ae_001, delay_multiplier: 2}", "effects[0].rep", "not an SDR"),
    ("{kind: landing_page_conversion, landing_page: /nope, stage: SAL, multiplier: 2}",
     "effects[0].landing_page", "/pricing"),
])
def test_effect_naming_something_the_company_lacks_is_refused(
        tmp_path: Path, effect: str, field: str, words: str) -> None:
    f = tmp_path / "effects.yaml"
    f.write_text(f"effects:\n  - {effect}\n")
    with pytest.raises(EffectsFileError) as info:
        simulate(tmp_path / "out", leads=200, seed=1, effects=f)
    assert (info.value.file, info.value.field) == (str(f), field)
    assert words in str(info.value)
