"""Alignment effectiveness on the tiny company T of `test_kpis.py`, on every backend.

Period basis, Q1 2026 (handoff window 14 days):

    handoff: first marketing touch in Q1 for L1..L5; a sales activity within 14 days for
             L1 (+1.5 h), L2 (+27 h), L3 (+0.5 h) -> 3 of 5 = 0.6, effective (>= 0.35)
    accounts (leads with one): L0 A2, L1 A1, L2 A2, L3 A1, L4 A3, L6 A4; L5 has none
      marketing-targeted: engaged in Q1 -> A1 (L1, L3), A2 (L2), A3 (L4); A1 is also ABM
      sales-worked: activity in Q1 -> A1 (L1, L3), A2 (L2); opportunities created in Q1
                    -> A1 (O1, O2), A5 (O3)
      marketing 3 (A1 A2 A3), sales 3 (A1 A2 A5), shared 2 (A1 A2) -> overlap 2/3
"""

from __future__ import annotations

import pytest
from test_kpis import Q1, starter_contract, tiny_facts

from accord.analytics.effectiveness import bucket_for, compute_effectiveness
from accord.analytics.kpis import KpiError
from accord.errors import UnknownNameError
from accord.store import Store


@pytest.fixture
def tiny(store: Store) -> Store:
    store.write_facts(tiny_facts())
    return store


def test_handoff_overlap_and_bucket_worked_by_hand(tiny: Store) -> None:
    eff = compute_effectiveness(tiny, starter_contract(), period=Q1)
    t = eff.total
    assert (t.handoff_rate, t.engaged, t.followed_up) == (pytest.approx(0.6), 5, 3)
    a = t.audience
    assert (a.marketing_accounts, a.sales_accounts, a.shared_accounts) == (3, 3, 2)
    assert a.overlap == pytest.approx(2 / 3)
    assert a.cold_sales_share == pytest.approx(1 / 3)
    assert (t.handoff_effective, t.high_overlap, t.bucket) == (True, True, "effective_aligned")
    # the cohort basis (leads L1..L5 and their whole history) gives the same accounts here
    cohort = compute_effectiveness(tiny, starter_contract(), period=Q1, basis="cohort")
    assert cohort.total.audience == a


def test_the_thresholds_move_the_bucket(tiny: Store) -> None:
    # 2/3 overlap is below a 70% bar: effective handoff with a cold sales audience
    strict = compute_effectiveness(tiny, starter_contract(), period=Q1, high_overlap_at=0.7)
    assert strict.total.bucket == "effective_cold_sales_audience"
    # within 0.05 days (72 min) only L3 (+30 min) is followed up: 1 of 5 -> broken
    quick = compute_effectiveness(tiny, starter_contract(), period=Q1, handoff_days=0.05)
    assert (quick.total.followed_up, quick.total.bucket) == (1, "broken_handoff")


def test_split_by_channel(tiny: Store) -> None:
    eff = compute_effectiveness(tiny, starter_contract(), period=Q1, by="channel")
    g = eff.groups()
    # paid_search: L1, L2 engaged and followed; accounts A1, A2 on both sides (+O1 on A1)
    assert (g["paid_search"].handoff_rate, g["paid_search"].audience.overlap,
            g["paid_search"].bucket) == (1.0, 1.0, "effective_aligned")
    # webinar: L3 followed, L4 not; marketing A1 A3, sales A1 (L3, O2)
    w = g["webinar"]
    assert (w.handoff_rate, w.audience.marketing_accounts, w.audience.sales_accounts) == (
        0.5, 2, 1)
    # organic: L5 engaged, never followed, no account
    assert (g["organic"].handoff_rate, g["organic"].bucket) == (0.0, "broken_handoff")
    # O3 has no lead: its account A5 is worked by sales only; no handoff to measure
    none = g["(none)"]
    assert (none.handoff_rate, none.audience.overlap, none.bucket) == (None, 0.0, None)


def test_the_structural_diagnostic_is_included(tiny: Store) -> None:
    eff = compute_effectiveness(tiny, starter_contract(), period=Q1)
    assert eff.structural is not None
    assert eff.structural.start.isoformat() == "2026-01-01T00:00:00"
    assert not eff.structural.structural  # no rep has a quota in T
    d = eff.as_dict()
    assert (d["view"], d["basis"]) == ("actual", "period")
    assert d["rows"][0]["bucket_share_of_companies"] == 0.11  # type: ignore[index]
    assert [s["name"] for s in d["structural"]["signs"]] == [  # type: ignore[index]
        "reps_missing_quota", "pipeline_stalled", "leads_untouched"]


@pytest.mark.parametrize(("handoff", "overlap", "bucket"), [
    (0.35, 0.5, "effective_aligned"),  # both thresholds are inclusive
    (0.35, 0.49, "effective_cold_sales_audience"),
    (0.349, 1.0, "broken_handoff"),
    (0.20, None, "broken_handoff"),
    (0.50, None, None),
    (None, 1.0, None),
])
def test_buckets_follow_seed_000(handoff: float | None, overlap: float | None,
                                 bucket: str | None) -> None:
    assert bucket_for(handoff, overlap) == bucket


def test_bad_arguments_are_refused(tiny: Store) -> None:
    with pytest.raises(KpiError, match="rejection_reason"):
        compute_effectiveness(tiny, starter_contract(), by="rejection_reason")
    with pytest.raises(KpiError, match="high-overlap share"):
        compute_effectiveness(tiny, starter_contract(), high_overlap_at=0)
    with pytest.raises(UnknownNameError, match="unknown dimension 'segmnt'"):
        compute_effectiveness(tiny, starter_contract(), by="segmnt")
