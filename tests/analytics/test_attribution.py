"""Attribution models: hand-worked journeys, the conservation rule, and the oracle.

Hand-worked set H (channels a, b, c; lead = lead-creation touch, opp = opportunity-creation
touch, positions 0-based; days = days before the journey's end):

    J1  a > b > c           1 conv, revenue 100, lead 0, opp 2, days 14, 7, 0
    J2  b > a               1 conv, revenue  50, lead 0, opp 1, days 7, 0
    J3  c                   2 conv, revenue  30, lead 0, opp 0, days 3
    J4  a > b > a > c       0 conv, 3 nulls,     lead 0, opp 3, days 30, 20, 10, 5
    J5  a > b > b > c > a   1 conv, revenue 200, lead 1, opp 3, days 21, 14, 14, 7, 0

Totals: 5 conversions, revenue 380. J4 converts nothing, so the rule-based models give it
no credit.
"""

from __future__ import annotations

import itertools
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from shared_data import SHARED

from accord.analytics.attribution import (
    MODELS,
    NO_CAMPAIGN,
    AttributionError,
    Credits,
    Journeys,
    attribute,
    compare,
    describe_models,
    first_touch,
    last_touch,
    linear,
    markov,
    position_based,
    removal_effects,
    shapley,
    time_decay,
    two_touch,
    u_shaped,
    w_shaped,
)

ORACLE = SHARED / "data" / "attribution"


def _h() -> Journeys:
    paths = ["a > b > c", "b > a", "c", "a > b > a > c", "a > b > b > c > a"]
    lengths = [3, 2, 1, 4, 5]
    journey = np.repeat(np.arange(5), lengths)
    names = ("a", "b", "c")
    channel = [names.index(x.strip()) for p in paths for x in p.split(">")]
    lead_pos = [0, 0, 0, 0, 1]
    opp_pos = [2, 1, 0, 3, 3]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    lead = np.zeros(len(channel), bool)
    opp = np.zeros(len(channel), bool)
    lead[starts + lead_pos] = True
    opp[starts + opp_pos] = True
    days = [14, 7, 0, 7, 0, 3, 30, 20, 10, 5, 21, 14, 14, 7, 0]
    return Journeys.from_arrays(
        names, journey, channel, conversions=[1, 1, 2, 0, 1], value=[100, 50, 30, 0, 200],
        nulls=[0, 0, 0, 3, 0], lead_touch=lead, opportunity_touch=opp, days_before=days)


def _check(credits: Credits, conversions: dict[str, float], revenue: dict[str, float]) -> None:
    got_c = dict(zip(credits.names, credits.conversions, strict=True))
    got_r = dict(zip(credits.names, credits.revenue, strict=True))
    assert got_c == pytest.approx(conversions, rel=1e-12, abs=1e-12)
    assert got_r == pytest.approx(revenue, rel=1e-12, abs=1e-12)


# ------------------------------------------------------------ rule-based, by hand
def test_first_touch_credits_the_oldest_touch():
    # J1 a, J2 b, J3 c (x2), J5 a → a 2, b 1, c 2; revenue a 100+200, b 50, c 30
    _check(first_touch(_h()), {"a": 2, "b": 1, "c": 2}, {"a": 300, "b": 50, "c": 30})


def test_last_touch_credits_the_newest_touch():
    # J1 c, J2 a, J3 c (x2), J5 a → a 2, b 0, c 3; revenue a 50+200, c 100+30
    _check(last_touch(_h()), {"a": 2, "b": 0, "c": 3}, {"a": 250, "b": 0, "c": 130})


def test_linear_splits_evenly_over_every_touch_repeats_included():
    # J1 ⅓ each; J2 ½ each; J3 c 2; J5 ⅕ a touch: a ⅖, b ⅖, c ⅕
    # a = ⅓ + ½ + ⅖ = 37/30; b = 37/30; c = ⅓ + 2 + ⅕ = 76/30
    # revenue: J1 100/3 each, J2 25 each, J3 c 30, J5 40 a touch (a 80, b 80, c 40)
    # a = 100/3 + 25 + 80 = 415/3; b = 415/3; c = 100/3 + 30 + 40 = 310/3
    _check(linear(_h()), {"a": 37 / 30, "b": 37 / 30, "c": 76 / 30},
           {"a": 415 / 3, "b": 415 / 3, "c": 310 / 3})


def test_time_decay_halves_a_touch_per_half_life():
    # half-life 7 days. J1 weights ¼, ½, 1 (sum 7/4) → a 1/7, b 2/7, c 4/7
    # J2 ½, 1 → b ⅓, a ⅔.  J3 → c 1 (x2).
    # J5 days 21,14,14,7,0 → ⅛, ¼, ¼, ½, 1 (sum 17/8) → a (⅛+1)/(17/8) = 9/17,
    #    b ½/(17/8) = 4/17, c 4/17
    conv = {"a": 1 / 7 + 2 / 3 + 9 / 17, "b": 2 / 7 + 1 / 3 + 4 / 17,
            "c": 4 / 7 + 2 + 4 / 17}
    rev = {"a": 100 / 7 + 100 / 3 + 1800 / 17, "b": 200 / 7 + 50 / 3 + 800 / 17,
           "c": 400 / 7 + 30 + 800 / 17}
    _check(time_decay(_h(), half_life_days=7), conv, rev)


def test_time_decay_needs_touch_times():
    journeys = Journeys.from_paths(["a > b"], conversions=[1])
    with pytest.raises(AttributionError, match="time-decay needs touch times"):
        time_decay(journeys)


def test_u_shaped_is_40_20_40_with_50_50_for_two_touches():
    # J1 a .4, b .2, c .4;  J2 (two touches) b .5, a .5;  J3 c 2
    # J5 a .4 + .4 (first and last), middle b, b, c get .2/3 each → b 2/15, c 1/15
    # a = .4 + .5 + .8 = 1.7; b = .2 + .5 + 2/15; c = .4 + 2 + 1/15
    # revenue: J1 a 40 b 20 c 40; J2 b 25 a 25; J3 c 30; J5 a 160, b 80/3, c 40/3
    _check(u_shaped(_h()), {"a": 1.7, "b": 0.7 + 2 / 15, "c": 2.4 + 1 / 15},
           {"a": 225, "b": 45 + 80 / 3, "c": 70 + 40 / 3})


def test_position_based_takes_its_first_and_last_weights():
    # 60/20/20: J1 a .6, b .2, c .2;  J2 (two touches) b .6 + .1, a .2 + .1;  J3 c 2
    # J5 a .6 + .2, middle b, b, c get .2/3 each
    # a = .6 + .3 + .8 = 1.7; b = .2 + .7 + 2/15; c = .2 + 2 + 1/15
    credits = position_based(_h(), first=0.6, last=0.2)
    got = dict(zip(credits.names, credits.conversions, strict=True))
    assert got == pytest.approx({"a": 1.7, "b": 0.9 + 2 / 15, "c": 2.2 + 1 / 15})


def test_position_based_rejects_weights_over_one():
    with pytest.raises(AttributionError, match="first \\+ last ≤ 1"):
        position_based(_h(), first=0.7, last=0.4)


def test_w_shaped_gives_30_to_each_role_and_spreads_10():
    # J1 first = lead = a (pos 0), opp c: a .6, c .3, the one other touch b .1
    # J2 first = lead = b, opp a, no other touch → .1 over both: b .65, a .35
    # J3 one touch: c 1 (x2)
    # J5 first a(0) .3, lead b(1) .3, opp c(3) .3, others b(2), a(4) .05 each
    #    → a .35, b .35, c .3
    # a = .6 + .35 + .35 = 1.3; b = .1 + .65 + .35 = 1.1; c = .3 + 2 + .3 = 2.6
    # revenue: J1 a 60 b 10 c 30; J2 b 32.5 a 17.5; J3 c 30; J5 a 70 b 70 c 60
    _check(w_shaped(_h()), {"a": 1.3, "b": 1.1, "c": 2.6},
           {"a": 147.5, "b": 112.5, "c": 120})


def test_two_touch_splits_first_and_opportunity_creation():
    # J1 a .5, c .5; J2 b .5, a .5; J3 c 2 (both roles on one touch); J5 a .5, c(3) .5
    # a = 1.5, b = .5, c = 3; revenue a 50+25+100, b 25, c 50+30+100
    _check(two_touch(_h()), {"a": 1.5, "b": 0.5, "c": 3}, {"a": 175, "b": 25, "c": 180})


def test_two_touch_without_role_data_uses_first_and_last():
    # "a > b > c": opportunity creation defaults to the last touch → a ½, c ½
    credits = two_touch(Journeys.from_paths(["a > b > c"], conversions=[1]))
    assert dict(zip(credits.names, credits.conversions, strict=True)) == \
        {"a": 0.5, "b": 0.0, "c": 0.5}


def test_shapley_splits_each_journey_over_its_distinct_channels():
    # J1 {a,b,c} ⅓ each; J2 {a,b} ½ each; J3 {c} 2; J5 {a,b,c} ⅓ each (repeats count once)
    # a = ⅓ + ½ + ⅓ = 7/6; b = 7/6; c = ⅓ + 2 + ⅓ = 8/3
    # revenue: a = 100/3 + 25 + 200/3 = 125; b = 125; c = 100/3 + 30 + 200/3 = 130
    _check(shapley(_h()), {"a": 7 / 6, "b": 7 / 6, "c": 8 / 3},
           {"a": 125, "b": 125, "c": 130})


def _brute_force_shapley(sets: list[frozenset[int]], conv: list[float], n: int) -> list[float]:
    """Average marginal contribution over every order of players (no shortcut)."""

    def v(coalition: frozenset[int]) -> float:
        return sum(c for s, c in zip(sets, conv, strict=True) if s <= coalition)

    phi = [0.0] * n
    for size in range(n):
        for members in itertools.combinations(range(n), size):
            s = frozenset(members)
            w = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            for i in set(range(n)) - s:
                phi[i] += w * (v(s | {i}) - v(s))
    return phi


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.lists(st.integers(0, 4), min_size=1, max_size=5),
                          st.integers(0, 3)), min_size=1, max_size=6))
def test_shapley_equals_brute_force_enumeration_of_coalitions(rows):
    paths = [" > ".join("abcde"[c] for c in p) for p, _ in rows]
    journeys = Journeys.from_paths(paths, conversions=[c for _, c in rows])
    names = journeys.channel_names
    sets = [frozenset(names.index("abcde"[c]) for c in p) for p, _ in rows]
    expected = _brute_force_shapley(sets, [float(c) for _, c in rows], len(names))
    assert shapley(journeys).conversions == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------- Markov, by hand
def test_markov_order_1_removal_effects_and_revenue():
    # a > b conv (revenue 90); a null; a conv (revenue 30)
    # start→a 1; a→b ⅓, a→null ⅓, a→conv ⅓; b→conv 1.  P = ⅓·1 + ⅓ = ⅔
    # without a: P = 0 → RE(a) = 1; without b: P = ⅓ → RE(b) = 1 − ⅓/⅔ = ½
    # credits (2 conversions): a = 1/1.5·2 = 4/3, b = ½/1.5·2 = 2/3
    # revenue per conversion: leaving b 90, leaving a 30. V = ⅓·90 + ⅓·30 = 40
    # without a: 0 → 1; without b: ⅓·30 = 10 → 1 − 10/40 = ¾
    # revenue credits (120): a = 1/1.75·120 = 480/7, b = .75/1.75·120 = 360/7
    journeys = Journeys.from_paths(["a > b", "a", "a"], conversions=[1, 0, 1],
                                   value=[90, 0, 30], nulls=[0, 1, 0])
    re = removal_effects(journeys, order=1)
    assert re.p_conversion == pytest.approx(2 / 3)
    assert re.conversion == pytest.approx([1, 0.5])
    assert re.revenue == pytest.approx([1, 0.75])
    _check(markov(journeys, 1), {"a": 4 / 3, "b": 2 / 3}, {"a": 480 / 7, "b": 360 / 7})


def test_markov_order_2_sees_which_predecessor_converts():
    # a > c conv; b > c null.
    # order 1: c→conv ½. without a: P = ½·½ → RE ½; without b: RE ½; without c: RE 1
    #   credits a ¼, b ¼, c ½
    # order 2: states (a),(a,c),(b),(b,c); (a,c)→conv, (b,c)→null. P = ½
    #   without a: 0 → RE 1; without b: ½ → RE 0; without c: 0 → RE 1 → a ½, b 0, c ½
    journeys = Journeys.from_paths(["a > c", "b > c"], conversions=[1, 0], nulls=[0, 1])
    o1 = markov(journeys, 1)
    o2 = markov(journeys, 2)
    assert o1.conversions == pytest.approx([0.25, 0.25, 0.5])
    assert o2.conversions == pytest.approx([0.5, 0.0, 0.5])


def test_markov_order_3_separates_what_order_2_pools():
    # a > b > c conv; d > b > c null.
    # order 2 pools both in state (b,c) (→ conv ½): RE a ½, b 1, c 1, d ½ (sum 3)
    #   → a ⅙, b ⅓, c ⅓, d ⅙
    # order 3 keeps (a,b,c) → conv and (d,b,c) → null apart: RE a 1, b 1, c 1, d 0
    #   → a ⅓, b ⅓, c ⅓, d 0
    journeys = Journeys.from_paths(["a > b > c", "d > b > c"], conversions=[1, 0],
                                   nulls=[0, 1])
    assert markov(journeys, 2).conversions == pytest.approx([1 / 6, 1 / 3, 1 / 3, 1 / 6])
    assert markov(journeys, 3).conversions == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0])


def test_markov_order_1_collapses_repeats():
    # a > a > c walks a → c at order 1 (a self-loop does not move absorption)
    repeated = Journeys.from_paths(["a > a > c", "b > c"], conversions=[1, 0], nulls=[0, 1])
    plain = Journeys.from_paths(["a > c", "b > c"], conversions=[1, 0], nulls=[0, 1])
    assert markov(repeated, 1).conversions == pytest.approx(markov(plain, 1).conversions)


def test_markov_cut_off_counts_only_walks_absorbed_in_time():
    # a > b conv; b conv; a null.  start→a ⅔, start→b ⅓; a→b ½, a→null ½; b→conv 1
    # exact: P = ⅔·½ + ⅓ = ⅔; without a ⅓ → RE ½; without b 0 → RE 1 → a ⅔, b 4/3
    # max_steps 1 (only the first state visited may convert): P = ⅓ (start→b→conv);
    #   without a still ⅓ → RE 0; without b 0 → RE 1 → b gets both conversions
    journeys = Journeys.from_paths(["a > b", "b", "a"], conversions=[1, 1, 0], nulls=[0, 0, 1])
    assert markov(journeys, 1).conversions == pytest.approx([2 / 3, 4 / 3])
    assert markov(journeys, 1, max_steps=1).conversions == pytest.approx([0, 2])
    assert markov(journeys, 1, max_steps=50).conversions == pytest.approx([2 / 3, 4 / 3])


def test_markov_rejects_order_4():
    with pytest.raises(AttributionError, match="order must be 1, 2 or 3"):
        markov(_h(), 4)


# ------------------------------------------------------- conservation, every model
_journey = st.tuples(
    st.lists(st.integers(0, 3), max_size=6),        # channel codes (may be empty)
    st.integers(0, 3), st.integers(0, 3),           # conversions, nulls
    st.floats(0, 1e4, allow_nan=False),             # revenue
    st.integers(0, 5), st.integers(0, 5),           # lead, opportunity position (mod L)
)


def _random_journeys(rows: list[tuple[list[int], int, int, float, int, int]]) -> Journeys:
    lengths = [len(r[0]) for r in rows]
    journey = np.repeat(np.arange(len(rows)), lengths)
    channel = [c for r in rows for c in r[0]]
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(int)
    lead = np.zeros(len(channel), bool)
    opp = np.zeros(len(channel), bool)
    for i, r in enumerate(rows):
        if lengths[i]:
            lead[starts[i] + r[4] % lengths[i]] = True
            opp[starts[i] + r[5] % lengths[i]] = True
    days = np.concatenate([np.arange(n, 0, -1) * 3.0 for n in lengths]) if channel else []
    return Journeys.from_arrays(
        ("a", "b", "c", "d"), journey, channel, [r[1] for r in rows], [r[3] for r in rows],
        [r[2] for r in rows], lead_touch=lead, opportunity_touch=opp, days_before=days)


@settings(max_examples=60, deadline=None)
@given(st.lists(_journey, min_size=1, max_size=8))
def test_every_model_credits_exactly_the_totals(rows):
    journeys = _random_journeys(rows)
    for name in MODELS:
        credits = attribute(journeys, name)
        assert credits.total_conversions == pytest.approx(journeys.total_conversions,
                                                          rel=1e-9, abs=1e-9), name
        assert credits.total_revenue == pytest.approx(journeys.total_value,
                                                      rel=1e-9, abs=1e-6), name
        assert np.all(credits.conversions >= -1e-12), name


@pytest.mark.parametrize("name", list(MODELS))
def test_every_model_credits_the_hand_worked_totals(name):
    credits = attribute(_h(), name)
    assert credits.conversions.sum() == pytest.approx(5)
    assert credits.revenue.sum() == pytest.approx(380)
    assert credits.unattributed_conversions == 0


# ------------------------------------------------------------ building journeys
def _touch_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    touches = pd.DataFrame({
        "journey_id": ["x", "x", "x", "x", "y", "y", "z"],
        "occurred_at": pd.to_datetime([
            "2026-01-01", "2026-03-01", "2026-03-20", "2026-04-15",   # x (last is late)
            "2026-02-01", "2026-02-10",                               # y
            "2025-01-01",                                             # z (old)
        ]),
        "channel": ["webinar", "email", "paid_search", "email", "display", "email", "events"],
        "campaign_id": ["w1", None, "ps1", "e2", "d1", "e1", None],
    })
    outcomes = pd.DataFrame({
        "journey_id": ["x", "y", "z"],
        "converted_at": pd.to_datetime(["2026-04-01", None, "2026-02-01"]),
        "value": [1000.0, 500.0, 70.0],
        "lead_created_at": pd.to_datetime(["2026-03-05", None, None]),
        "opportunity_created_at": pd.to_datetime(["2026-03-25", None, None]),
    })
    return touches, outcomes


def test_from_touches_orders_touches_and_places_roles():
    journeys = Journeys.from_touches(*_touch_tables(), campaign_column="campaign_id")
    # x keeps its 3 touches up to the conversion on 04-01 (04-15 is after it);
    # lead created 03-05 → last touch at or before it is email (03-01);
    # opportunity created 03-25 → paid_search (03-20). y did not convert: revenue 0.
    assert journeys.lengths.tolist() == [3, 2, 1]
    names = [journeys.channel_names[c] for c in journeys.channel]
    assert names == ["webinar", "email", "paid_search", "display", "email", "events"]
    assert journeys.lead_touch.tolist() == [False, True, False, True, False, True]
    assert journeys.opportunity_touch.tolist() == [False, False, True, False, True, True]
    assert journeys.conversions.tolist() == [1, 0, 1]
    assert journeys.nulls.tolist() == [0, 1, 0]
    assert journeys.value.tolist() == [1000, 0, 70]
    # days to the end: x ends 04-01 → 90, 31, 12; y ends at its last touch → 9, 0;
    # z ends 2026-02-01 → 396
    assert journeys.days_before.tolist() == [90, 31, 12, 9, 0, 396]


def test_lookback_drops_old_touches_and_moves_roles_to_the_first_kept():
    # 60-day window: x keeps email (31 d) and paid_search (12 d); its lead touch (email)
    # stays; y keeps both; z's only touch (396 d) goes → z's conversion is unattributed
    journeys = Journeys.from_touches(*_touch_tables(), lookback_days=60)
    assert journeys.lengths.tolist() == [2, 2, 0]
    credits = first_touch(journeys)
    assert credits.conversions_of("email") == 1.0
    assert credits.unattributed_conversions == 1.0
    assert credits.unattributed_revenue == 70.0
    # 20-day window: x keeps only paid_search, which takes the lead role
    narrow = Journeys.from_touches(*_touch_tables(), lookback_days=20)
    assert narrow.lead_touch.tolist()[:1] == [True]


def test_lookback_through_attribute_equals_building_with_it():
    touches, outcomes = _touch_tables()
    full = Journeys.from_touches(touches, outcomes)
    windowed = Journeys.from_touches(touches, outcomes, lookback_days=60)
    a = attribute(full, "w_shaped", lookback_days=60)
    b = attribute(windowed, "w_shaped")
    assert a.conversions.tolist() == b.conversions.tolist()


def test_campaign_credits_include_touches_without_a_campaign():
    journeys = Journeys.from_touches(*_touch_tables(), campaign_column="campaign_id")
    # linear: x (1 conv) → w1 ⅓, (no campaign) ⅓, ps1 ⅓; z (1 conv) → (no campaign) 1
    credits = linear(journeys.by_campaign())
    got = dict(zip(credits.names, credits.conversions, strict=True))
    assert credits.dimension == "campaign"
    assert got == pytest.approx({"d1": 0, "e1": 0, "ps1": 1 / 3, "w1": 1 / 3,
                                 NO_CAMPAIGN: 4 / 3})


def test_from_paths_reads_the_oracle_layout():
    table = pd.DataFrame({"path": ["a > b", " b>b ", ""], "total_conversions": [1, 0, 2],
                          "total_conversion_value": [10.0, 0.0, 5.0],
                          "total_null": [0, 3, 1]})
    journeys = Journeys.from_paths(table)
    assert journeys.channel_names == ("a", "b")
    assert journeys.channel.tolist() == [0, 1, 1, 1]
    assert journeys.lengths.tolist() == [2, 2, 0]
    assert journeys.nulls.tolist() == [0, 3, 1]
    # the empty path's 2 conversions have no touch to credit
    assert last_touch(journeys).unattributed_conversions == 2


def test_from_paths_reads_days_in_the_same_layout():
    journeys = Journeys.from_paths(["a > b"], conversions=[1], days_before=["7 > 0"])
    # weights ½, 1 → a ⅓, b ⅔
    assert time_decay(journeys, 7).conversions == pytest.approx([1 / 3, 2 / 3])


def test_journeys_refuse_two_lead_touches():
    with pytest.raises(AttributionError, match="journey 0 has 2 touches flagged `lead_touch`"):
        Journeys.from_arrays(("a",), [0, 0], [0, 0], [1], lead_touch=[True, True])


def test_journeys_refuse_unsorted_touches():
    with pytest.raises(AttributionError, match="grouped by journey"):
        Journeys.from_arrays(("a",), [1, 0], [0, 0], [1, 1])


# ----------------------------------------------------------- catalogue and compare
def test_every_model_names_its_weights_in_the_catalogue_and_its_docstring():
    text = describe_models()
    for name, spec in MODELS.items():
        assert name in text and spec.weights in text
        assert spec.function.__doc__ and spec.function.__doc__.strip()
    assert "40% first, 20% spread over the middle touches, 40% last" in MODELS["u_shaped"].weights
    assert "30% first, 30% lead-creation, 30% opportunity-creation" in MODELS["w_shaped"].weights


def test_unknown_model_lists_the_choices():
    with pytest.raises(AttributionError, match=r"unknown attribution model 'bizible'.*u_shaped"):
        attribute(_h(), "bizible")


def test_parameter_a_model_does_not_take_is_refused():
    with pytest.raises(AttributionError, match="takes no parameter \\['half_life_days'\\]"):
        attribute(_h(), "linear", half_life_days=3)


def test_compare_puts_models_side_by_side():
    table = compare(_h(), ["first_touch", "last_touch", "time_decay"], half_life_days=7)
    assert list(table.columns) == ["first_touch", "last_touch", "time_decay"]
    assert table.loc["c", "last_touch"] == 3
    assert table.sum().tolist() == pytest.approx([5, 5, 5])
    revenue = compare(_h(), ["first_touch"], measure="revenue")
    assert revenue.loc["a", "first_touch"] == 300


def test_compare_shows_unattributed_conversions():
    table = compare(Journeys.from_touches(*_touch_tables()), ["linear"], lookback_days=60)
    assert table.loc["(unattributed)", "linear"] == 1


def test_the_examples_in_docs_attribution_md_run():
    doc = Path(__file__).resolve().parents[2] / "docs" / "attribution.md"
    blocks = re.findall(r"```python\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert blocks, "docs/attribution.md has no python example"
    for block in blocks:
        exec(compile(block, str(doc), "exec"), {})


# ---------------------------------------------------------------------- the oracle
@pytest.fixture(scope="module")
def oracle() -> tuple[Journeys, pd.DataFrame]:
    paths = ORACLE / "paths_100000.csv.gz"
    ref = ORACLE / "reference_100k.csv"
    if not paths.exists() or not ref.exists():
        pytest.fail(f"attribution oracle missing: expected {paths} and {ref} "
                    "(the shared data folder beside the repository)")
    journeys = Journeys.from_paths(pd.read_csv(paths, sep=";"))
    return journeys, pd.read_csv(ref).set_index("channel_name")


def _column(ref: pd.DataFrame, credits: Credits | np.ndarray, col: str,
            names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    got = credits.conversions if isinstance(credits, Credits) else credits
    return np.asarray(got), ref.loc[list(names), col].to_numpy()


def test_oracle_has_17500_conversions_over_ten_channels(oracle):
    journeys, ref = oracle
    assert journeys.total_conversions == 17_500
    assert sorted(journeys.channel_names) == sorted(ref.index)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_equals_the_exact_oracle(oracle, order):
    journeys, ref = oracle
    credits = markov(journeys, order)
    got, want = _column(ref, credits, f"exact_o{order}_hnone", journeys.channel_names)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    # the reference prints removal effects to 6 decimals
    re = removal_effects(journeys, order).conversion
    got, want = _column(ref, re, f"exact_o{order}_hnone_re", journeys.channel_names)
    np.testing.assert_allclose(got, want, atol=1e-6)


@pytest.mark.parametrize("order", [1, 2, 3])
def test_markov_with_the_walk_cut_off_equals_the_oracle_cut_off_columns(oracle, order):
    # ChannelAttribution's cut-off: longest journey (12 touches here) + 1 states
    journeys, ref = oracle
    credits = markov(journeys, order, max_steps=int(journeys.lengths.max()) + 1)
    got, want = _column(ref, credits, f"exact_o{order}_hca", journeys.channel_names)
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize(("model", "column"), [
    ("first_touch", "ca_first"), ("last_touch", "ca_last"), ("linear", "ca_linear"),
    ("u_shaped", "mam3_position"), ("position_based", "mam2_position"),
])
def test_rule_based_models_equal_the_peer_packages(oracle, model, column):
    journeys, ref = oracle
    got, want = _column(ref, attribute(journeys, model), column, journeys.channel_names)
    np.testing.assert_allclose(got, want, rtol=1e-9)
