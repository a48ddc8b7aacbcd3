"""Shared KPIs on a tiny hand-built company, on every store backend.

The fact set T (all times UTC, 2025-12 to 2026-04; period Q1 = 2026-01-01 .. 2026-04-01):

    lead  channel      campaign page    account  created        stage events (from -> to)
    L0    paid_search  C1       /lp-a   A2       2025-12-20 10  MQL 12-21 10, SAL 01-03 10
    L1    paid_search  C1       /lp-a   A1       2026-01-05 09  MQL 01-05 10, SAL 01-05 12,
                                                                SQL 01-08 09
    L2    paid_search  C1       /lp-a   A2       2026-01-10 10  MQL 01-11 09,
                                                                MQL->Nurture 01-12 (bad_fit)
    L3    webinar      C2       /lp-w   A1       2026-02-03 14  MQL 02-03 15, SAL 02-04 10,
                                                                SQL 02-10 10
    L4    webinar      C2       /lp-w   A3       2026-02-20 11  MQL 02-21 09,
                                                            MQL->Disqualified 02-22 (student)
    L5    organic      -        /blog   -        2026-03-15 08  (none)
    L6    paid_search  C1       /lp-a   A4       2026-04-02 09  MQL 04-02 10, SAL 04-03 10

    opportunity  lead  account owner created  amount  status closed  source
    O1           L1    A1      R3    01-12    10,000  won    02-20   marketing   (39 days)
    O2           L3    A1      R3    02-15    20,000  lost   03-20   marketing
    O3           -     A5      R4    03-01    30,000  won    03-25   sales       (24 days)

    sales activities: L0 R2 12-22 10:00 | L1 R1 01-05 10:30, 01-06 10:00, 01-08 09:00 |
                      L2 R1 01-11 13:00 | L3 R2 02-03 14:30, 02-03 16:00 | L6 R1 04-02 11:00
    marketing touches (first): L0 12-20 10, L1 01-05 09, L2 01-10 10, L3 02-03 14,
                               L4 02-20 11, L5 03-15 08, L6 04-02 09
    spend: 2026-01 paid_search 1,000 | 2026-02 webinar 2,000 | 2026-03 paid_search 500 |
           2026-04 paid_search 700
    accounts: A1 software, A2 fintech, A3 retail, A4 software, A5 software

Contract: the starter contract on a UTC calendar, 09:00-18:00 Monday to Friday (speed-to-lead
SLA 2 business_hours; targets mql_to_sal 0.70, speed_to_lead_median_minutes 120, win_rate
0.25; LTV 60,000). 2026-01-05 is a Monday.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pyarrow as pa
import pytest

from accord.analytics.funnel import compute_funnel, lead_depth
from accord.analytics.kpis import (
    KPIS,
    KpiError,
    compute_kpis,
    kpi_status,
    lead_timeline,
    parse_period,
)
from accord.analytics.kpis.period import Period
from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.kpi_names import KPI_VOCABULARY
from accord.contract.loader import check_contract_text
from accord.contract.schema import Calendar
from accord.errors import UnknownNameError
from accord.facts import FACT_TABLES
from accord.store import Store
from accord.workspace import starter_contract_text


def ts(text: str) -> datetime:
    """`MM-DD HH[:MM]` in 2026, or a full `YYYY-MM-DD HH[:MM]`."""
    full = text if text.count("-") == 2 else f"2026-{text}"
    day, _, clock = full.partition(" ")
    hh, _, mm = clock.partition(":")
    return datetime.fromisoformat(f"{day}T{int(hh or 0):02d}:{int(mm or 0):02d}:00")


def _leads() -> list[dict[str, Any]]:
    rows = [
        ("L0", "paid_search", "C1", "/lp-a", "A2", "2025-12-20 10"),
        ("L1", "paid_search", "C1", "/lp-a", "A1", "01-05 09"),
        ("L2", "paid_search", "C1", "/lp-a", "A2", "01-10 10"),
        ("L3", "webinar", "C2", "/lp-w", "A1", "02-03 14"),
        ("L4", "webinar", "C2", "/lp-w", "A3", "02-20 11"),
        ("L5", "organic", None, "/blog", None, "03-15 08"),
        ("L6", "paid_search", "C1", "/lp-a", "A4", "04-02 09"),
    ]
    return [{"lead_id": i, "email": f"{i.lower()}@x.test", "channel": ch, "campaign_id": c,
             "landing_page": p, "account_id": a, "created_at": ts(t)}
            for i, ch, c, p, a, t in rows]


def _events() -> list[dict[str, Any]]:
    rows = [
        ("L0", None, "MQL", "2025-12-21 10", None), ("L0", "MQL", "SAL", "01-03 10", None),
        ("L1", None, "MQL", "01-05 10", None), ("L1", "MQL", "SAL", "01-05 12", None),
        ("L1", "SAL", "SQL", "01-08 09", None),
        ("L2", None, "MQL", "01-11 09", None), ("L2", "MQL", "Nurture", "01-12 09", "bad_fit"),
        ("L3", None, "MQL", "02-03 15", None), ("L3", "MQL", "SAL", "02-04 10", None),
        ("L3", "SAL", "SQL", "02-10 10", None),
        ("L4", None, "MQL", "02-21 09", None),
        ("L4", "MQL", "Disqualified", "02-22 09", "student"),
        ("L6", None, "MQL", "04-02 10", None), ("L6", "MQL", "SAL", "04-03 10", None),
    ]
    return [{"event_id": f"E{n}", "lead_id": lead, "from_stage": f, "to_stage": to,
             "occurred_at": ts(t), "actor": "system", "reason": r}
            for n, (lead, f, to, t, r) in enumerate(rows)]


def _activities() -> list[dict[str, Any]]:
    rows = [("L0", "R2", "2025-12-22 10"), ("L1", "R1", "01-05 10:30"),
            ("L1", "R1", "01-06 10"), ("L1", "R1", "01-08 09"), ("L2", "R1", "01-11 13"),
            ("L3", "R2", "02-03 14:30"), ("L3", "R2", "02-03 16"), ("L6", "R1", "04-02 11")]
    return [{"activity_id": f"A{n}", "lead_id": lead, "rep_id": rep, "kind": "call",
             "occurred_at": ts(t)} for n, (lead, rep, t) in enumerate(rows)]


def _touches() -> list[dict[str, Any]]:
    rows = [("L0", "2025-12-20 10"), ("L1", "01-05 09"), ("L2", "01-10 10"),
            ("L3", "02-03 14"), ("L4", "02-20 11"), ("L5", "03-15 08"), ("L6", "04-02 09")]
    return [{"touch_id": f"T{n}", "lead_id": lead, "signal": "whitepaper",
             "occurred_at": ts(t)} for n, (lead, t) in enumerate(rows)]


def _opportunities() -> list[dict[str, Any]]:
    rows = [("O1", "L1", "A1", "R3", "01-12 00", 10_000.0, "won", "02-20 00", "marketing"),
            ("O2", "L3", "A1", "R3", "02-15 00", 20_000.0, "lost", "03-20 00", "marketing"),
            ("O3", None, "A5", "R4", "03-01 00", 30_000.0, "won", "03-25 00", "sales")]
    return [{"opportunity_id": o, "lead_id": lead, "account_id": a, "owner_rep_id": r,
             "created_at": ts(c), "amount": amt, "status": st, "closed_at": ts(cl),
             "source": src} for o, lead, a, r, c, amt, st, cl, src in rows]


def _accounts() -> list[dict[str, Any]]:
    rows = [("A1", "software", "na", "mid_market", True), ("A2", "fintech", "emea", "smb", False),
            ("A3", "retail", "na", "smb", False), ("A4", "software", "na", "enterprise", False),
            ("A5", "software", "emea", "enterprise", False)]
    return [{"account_id": a, "name": a, "industry": i, "region": r, "segment": s,
             "abm_target": abm} for a, i, r, s, abm in rows]


def _spend() -> list[dict[str, Any]]:
    rows = [(1, "paid_search", "C1", 1000.0), (2, "webinar", "C2", 2000.0),
            (3, "paid_search", "C1", 500.0), (4, "paid_search", "C1", 700.0)]
    return [{"spend_id": f"S{m}", "month": date(2026, m, 1), "channel": ch, "campaign_id": c,
             "amount": amt} for m, ch, c, amt in rows]


def _reps() -> list[dict[str, Any]]:
    return [{"rep_id": r, "name": r, "role": role} for r, role in
            (("R1", "sdr"), ("R2", "sdr"), ("R3", "ae"), ("R4", "ae"))]


def tiny_facts() -> dict[str, pa.Table]:
    data = {"leads": _leads(), "stage_events": _events(), "activities": _activities(),
            "touches": _touches(), "opportunities": _opportunities(), "accounts": _accounts(),
            "spend": _spend(), "reps": _reps()}
    return {name: pa.Table.from_pylist(rows, schema=FACT_TABLES[name].arrow_schema())
            for name, rows in data.items()}


def starter_contract(text: str | None = None) -> CompiledContract:
    """The starter contract (or `text`) on a UTC calendar (09:00-18:00, Monday to Friday,
    no holidays), so that business minutes can be worked by hand from the UTC times
    above."""
    contract, issues = check_contract_text(text or starter_contract_text())
    assert contract is not None, issues
    utc = Calendar(timezone="UTC", hours="09:00-18:00", holidays=None)
    return compile_contract(contract.model_copy(update={"calendar": utc}))


@pytest.fixture
def tiny(store: Store) -> Store:
    store.write_facts(tiny_facts())
    return store


Q1 = "2026-Q1"


# --- the registry --------------------------------------------------------------------------

def test_registry_covers_exactly_the_contract_vocabulary_with_its_directions() -> None:
    assert set(KPIS) == set(KPI_VOCABULARY)
    for name, d in KPIS.items():
        assert d.direction == KPI_VOCABULARY[name][0], name
        assert d.definition and "\n" not in d.definition, name


# --- cohort view, Q1: leads L1..L5 -----------------------------------------------------------

COHORT_Q1: dict[str, tuple[float | None, float | None, float | None]] = {
    # kpi: (value, numerator, denominator), worked by hand from T
    "lead_to_mql": (0.8, 4, 5),  # MQL: L1 L2 L3 L4 of L1..L5
    "mql_to_sal": (0.5, 2, 4),  # SAL: L1 L3
    "sal_to_sql": (1.0, 2, 2),  # SQL: L1 L3
    "sql_to_opportunity": (1.0, 2, 2),  # opportunities O1 (L1), O2 (L3)
    "win_rate": (2 / 3, 2, 3),  # O1 won, O2 lost, O3 (no lead, created 03-01) won
    "lead_to_opportunity": (0.4, 2, 5),
    "mql_to_won": (0.25, 1, 4),  # L1 (O1 won 02-20) of 4 MQLs
    "mql_rejection_rate": (0.5, 2, 4),  # L2 bad_fit, L4 student
    # The speed-to-lead SLA clock, business minutes from the first MQL event to the first
    # activity at/after it (09:00-18:00 UTC, Mon-Fri): L1 Mon 01-05 10:00 -> 10:30 = 30;
    # L2 Sun 01-11 09:00 -> Sun 13:00 = 0 (weekend, the clock is paused); L3 Tue 02-03
    # 15:00 -> 16:00 = 60 (the 14:30 call came before the MQL); L4 never touched (not
    # stopped). Median of 0, 30, 60 = 30.
    "speed_to_lead_median_minutes": (30.0, None, 3),
    # continuous p90 of 0, 30, 60: rank 0.9 * 2 = 1.8 -> 30 + 0.8 * (60 - 30) = 54
    "speed_to_lead_p90_minutes": (54.0, None, 3),
    # due = MQL + 2 business hours: L1 Mon 12:00, L2 Mon 01-12 11:00, L3 Tue 17:00; all
    # three met. L4 (MQL Sat 02-21 09:00, due Mon 02-23 11:00) is untouched and past its
    # due time as of the latest fact (04-03 10:00): breached -> met 3 of 3 + 1 = 4
    "speed_to_lead_within_sla": (0.75, 3, 4),
    "touches_per_lead": (2.0, 6, 3),  # L1 3 + L2 1 + L3 2 activities over 3 worked leads
    "mql_volume": (4 / 3, 4, 3),  # 4 MQLs over 3 months
    "sql_volume": (2 / 3, 2, 3),
    "pipeline_created": (60_000.0, 60_000.0, None),  # O1 + O2 + O3
    "marketing_sourced_pipeline_share": (0.5, 30_000.0, 60_000.0),  # O1 + O2 of all three
    "sales_cycle_days": (31.5, None, 2),  # O1 39 days, O3 24 days -> median 31.5
    # 3 opportunities x 2/3 won x average won 20,000 = 40,000 per 31.5 days
    "pipeline_velocity": (40_000 / 31.5, 40_000.0, 31.5),
    "cpl": (700.0, 3500.0, 5),  # Q1 spend 1,000 + 2,000 + 500 over leads L1..L5
    "cac": (1750.0, 3500.0, 2),  # customers won: A1 (O1), A5 (O3)
    "ltv_to_cac": (60_000 / 1750, 60_000.0, 1750.0),
    # engaged L1..L5; followed up within 14 days of first touch: L1, L2, L3 (14:30 >= 14:00)
    "handoff_rate": (0.6, 3, 5),
}

PERIOD_Q1_DIFFERENT: dict[str, tuple[float | None, float | None, float | None]] = {
    # Events in Q1. MQLs reached in Q1: L1 L2 L3 L4 (L0's was in December, L6's in April).
    "mql_to_sal": (0.75, 3, 4),  # SALs in Q1: L0 (01-03), L1, L3
    "sal_to_sql": (2 / 3, 2, 3),  # SQLs in Q1: L1, L3 over those 3 SALs
}


def _check(report_rows: dict[str, tuple[float | None, float | None, float | None]],
           report: Any) -> None:
    for kpi, (value, num, den) in report_rows.items():
        row = report.row(kpi)
        for got, want in zip((row.value, row.numerator, row.denominator), (value, num, den),
                             strict=True):
            assert (got is None) == (want is None), kpi
            assert want is None or got == pytest.approx(want, rel=1e-9), (kpi, got, want)


def test_every_kpi_on_the_cohort_basis_matches_the_hand_computed_values(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1, basis="cohort")
    assert {r.kpi for r in report.rows} == set(KPIS)
    _check(COHORT_Q1, report)
    assert (report.view, report.basis) == ("actual", "cohort")


def test_the_period_basis_counts_events_in_the_period(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1, basis="period")
    expected = dict(COHORT_Q1) | PERIOD_Q1_DIFFERENT
    _check(expected, report)
    assert report.basis == "period" and "events" in report.basis_label


def test_targets_come_from_the_contract_with_a_status(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1)
    # mql_to_sal 0.5 against 0.70: more than 10% short -> off-target
    assert (report.row("mql_to_sal").target, report.row("mql_to_sal").status) == (
        0.70, "off-target")
    # median speed 30 minutes against at most 120 -> ok; win rate 2/3 against 0.25 -> ok
    assert report.row("speed_to_lead_median_minutes").status == "ok"
    assert report.row("win_rate").status == "ok"
    assert report.row("cpl").status == "no-target"
    period = compute_kpis(tiny, starter_contract(), period=Q1, basis="period")
    # 0.75 against 0.70 -> ok in the period view
    assert period.row("mql_to_sal").status == "ok"


def test_speed_to_lead_runs_on_the_contract_calendar(tiny: Store) -> None:
    contract, _ = check_contract_text(starter_contract_text())  # America/New_York, 09-18
    assert contract is not None
    report = compute_kpis(tiny, compile_contract(contract), period=Q1,
                          kpis=["speed_to_lead_median_minutes", "speed_to_lead_p90_minutes"])
    # New York is UTC-5 in winter: L1 MQL 05:00 -> touch 05:30, before hours = 0;
    # L2 Sunday = 0; L3 10:00 -> 11:00 = 60. Median of 0, 0, 60 = 0; p90 = 0 + 0.8 * 60 = 48
    assert report.value("speed_to_lead_median_minutes") == 0.0
    assert report.value("speed_to_lead_p90_minutes") == pytest.approx(48.0)
    assert any("America/New_York" in n for n in report.notes)


@pytest.mark.parametrize(("value", "target", "direction", "status"), [
    (0.70, 0.70, "at_least", "ok"),
    (0.64, 0.70, "at_least", "warn"),  # 0.70 - 10% of 0.70 = 0.63
    (0.62, 0.70, "at_least", "off-target"),
    (130.0, 120.0, "at_most", "warn"),  # 120 + 12 = 132
    (133.0, 120.0, "at_most", "off-target"),
    (None, 120.0, "at_most", "no-data"),
    (5.0, None, "at_most", "no-target"),
])
def test_status_bands(value: float | None, target: float | None, direction: Any,
                      status: str) -> None:
    assert kpi_status(value, target, direction) == status


# --- splits ----------------------------------------------------------------------------------

def test_split_by_channel_with_spend_by_channel(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1, by="channel")
    g = report.groups("lead_to_mql")
    # paid_search L1 L2 both MQL; webinar L3 L4 both; organic L5 none
    assert {k: (r.numerator, r.denominator) for k, r in g.items()} == {
        "paid_search": (2, 2), "webinar": (2, 2), "organic": (0, 1)}
    win = report.groups("win_rate")
    # O1 via L1 paid_search won; O2 via L3 webinar lost; O3 has no lead -> (none)
    assert {k: r.value for k, r in win.items()} == {"paid_search": 1.0, "webinar": 0.0,
                                                     "(none)": 1.0}
    cpl = report.groups("cpl")
    # paid_search 1,000 + 500 over 2 leads; webinar 2,000 over 2; organic no spend over 1
    assert {k: r.value for k, r in cpl.items()} == {"paid_search": 750.0, "webinar": 1000.0,
                                                     "organic": 0.0}
    assert report.row("lead_to_mql").value == pytest.approx(0.8)  # total kept beside groups


def test_split_by_account_industry_and_by_rep(tiny: Store) -> None:
    ind = compute_kpis(tiny, starter_contract(), period=Q1, by="industry",
                       kpis=["lead_to_mql", "pipeline_created", "cpl"])
    # L1 A1 software, L2 A2 fintech, L3 A1 software, L4 A3 retail, L5 no account
    assert {k: r.denominator for k, r in ind.groups("lead_to_mql").items()} == {
        "software": 2, "fintech": 1, "retail": 1, "(none)": 1}
    # O1, O2 on A1 software; O3 on A5 software
    assert {k: r.value for k, r in ind.groups("pipeline_created").items()} == {
        "software": 60_000.0}
    assert ind.groups("cpl") == {}
    assert any("not split by industry: cpl" in n for n in ind.notes)
    rep = compute_kpis(tiny, starter_contract(), period=Q1, by="rep",
                       kpis=["touches_per_lead", "win_rate"])
    # first activity: L1 R1, L2 R1, L3 R2 -> R1 4 activities / 2 leads, R2 2 / 1
    assert {k: r.value for k, r in rep.groups("touches_per_lead").items()} == {
        "R1": 2.0, "R2": 2.0}
    assert {k: (r.numerator, r.denominator) for k, r in rep.groups("touches_per_lead").items()
            } == {"R1": (4, 2), "R2": (2, 1)}
    # win rate by opportunity owner: R3 O1 won + O2 lost, R4 O3 won
    assert {k: r.value for k, r in rep.groups("win_rate").items()} == {"R3": 0.5, "R4": 1.0}


def test_rejection_rate_by_reason_shares_the_mql_denominator(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1, by="rejection_reason")
    g = report.groups("mql_rejection_rate")
    assert {k: (r.value, r.numerator, r.denominator) for k, r in g.items()} == {
        "bad_fit": (0.25, 1, 4), "student": (0.25, 1, 4)}
    assert report.groups("win_rate") == {}


def test_split_by_month_reruns_each_month(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), period=Q1, by="month",
                          kpis=["lead_to_mql", "mql_volume"])
    # Jan: L1 L2 both MQL; Feb: L3 L4 both; Mar: L5 not
    assert {k: (r.numerator, r.denominator) for k, r in report.groups("lead_to_mql").items()
            } == {"2026-01": (2, 2), "2026-02": (2, 2), "2026-03": (0, 1)}
    assert {k: r.value for k, r in report.groups("mql_volume").items()} == {
        "2026-01": 2.0, "2026-02": 2.0, "2026-03": 0.0}


def test_score_dimensions_need_accord_run(tiny: Store) -> None:
    with pytest.raises(KpiError, match="run `accord run` first"):
        compute_kpis(tiny, starter_contract(), period=Q1, by="icp_tier")


def test_score_dimensions_read_the_derived_scores_table(tiny: Store) -> None:
    tiny.write_derived("scores", pa.table({
        "lead_id": ["L1", "L2", "L3", "L4", "L5"], "fit": [80.0, 30.0, 75.0, 10.0, 45.0],
        "tier": ["A", None, "A", None, "B"]}))
    tier = compute_kpis(tiny, starter_contract(), period=Q1, by="icp_tier",
                        kpis=["lead_to_mql"])
    assert {k: (r.numerator, r.denominator) for k, r in tier.groups("lead_to_mql").items()} == {
        "A": (2, 2), "B": (0, 1), "(none)": (2, 2)}
    band = compute_kpis(tiny, starter_contract(), period=Q1, by="score_band",
                        kpis=["lead_to_mql"])
    # 80 -> 80-99; 75 -> 60-79; 30 -> 20-39; 10 -> 0-19; 45 -> 40-59
    assert {k: r.denominator for k, r in band.groups("lead_to_mql").items()} == {
        "80-99": 1, "60-79": 1, "20-39": 1, "0-19": 1, "40-59": 1}


def test_unknown_names_are_refused_with_a_suggestion(tiny: Store) -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'channel'"):
        compute_kpis(tiny, starter_contract(), by="chanel")
    with pytest.raises(UnknownNameError, match=r"did you mean 'win_rate'.*known: lead_to_mql"):
        compute_kpis(tiny, starter_contract(), kpis=["winrate"])
    with pytest.raises(UnknownNameError, match="unknown basis 'cohrt'"):
        compute_kpis(tiny, starter_contract(), basis="cohrt")  # type: ignore[arg-type]
    with pytest.raises(UnknownNameError, match="unknown view 'actul'"):
        compute_kpis(tiny, starter_contract(), view="actul")  # type: ignore[arg-type]
    with pytest.raises(KpiError, match="unknown period"):
        compute_kpis(tiny, starter_contract(), period="Q1-2026")


# --- consistency with the funnel ------------------------------------------------------------

def test_stage_reach_agrees_with_the_funnel_lead_depth(tiny: Store) -> None:
    contract = starter_contract()
    depth = {r["lead_id"]: r["depth"]
             for r in lead_depth(tiny, contract).to_pyarrow().to_pylist()}
    cols = ["handoff_at", "accepted_at", "qualified_at", "opportunity_at", "won_at"]
    for r in lead_timeline(tiny, contract).to_pyarrow().to_pylist():
        reached = sum(r[c] is not None for c in cols)
        assert reached == depth[r["lead_id"]], r["lead_id"]
        assert all(r[c] is not None for c in cols[:reached]), r["lead_id"]  # no gaps


def test_all_time_cohort_conversions_equal_the_funnel(tiny: Store) -> None:
    report = compute_kpis(tiny, starter_contract(), kpis=["lead_to_mql", "mql_to_sal"])
    funnel = compute_funnel(tiny, starter_contract()).total.conversions
    assert report.value("lead_to_mql") == pytest.approx(funnel[0])  # 6/7
    assert report.value("mql_to_sal") == pytest.approx(funnel[1])  # 3/6
    assert report.period.is_all_time


def test_empty_store_gives_rows_without_values(store: Store) -> None:
    report = compute_kpis(store, starter_contract(), period=Q1)
    assert all(r.value is None for r in report.rows if r.kpi != "pipeline_created")
    assert report.row("mql_to_sal").status == "no-data"


# --- periods ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "start", "end", "months"), [
    ("2026", "2026-01-01", "2027-01-01", 12.0),
    ("2026-Q4", "2026-10-01", "2027-01-01", 3.0),
    ("2026-02", "2026-02-01", "2026-03-01", 1.0),
    ("2026-01-01..2026-01-31", "2026-01-01", "2026-02-01", 1.0),
])
def test_periods_parse_to_half_open_utc_intervals(text: str, start: str, end: str,
                                                  months: float) -> None:
    p = parse_period(text)
    assert (p.start, p.end) == (datetime.fromisoformat(start), datetime.fromisoformat(end))
    assert p.months() == months


def test_an_unaligned_range_counts_average_months() -> None:
    p = Period("x", datetime(2026, 1, 1), datetime(2026, 1, 16))
    assert p.months() == pytest.approx(15 / (365.25 / 12))


# --- stage roles, not names ------------------------------------------------------------------

CRM = {"MQL": "Marketing Qualified Lead", "SAL": "Sales Accepted Lead",
       "SQL": "Sales Qualified Lead", "Customer": "Closed Won"}


def crm_contract() -> CompiledContract:
    """The starter with a CRM's stage names everywhere they are referred to (the SLAs'
    `start`, `routing.stage`, `next`), plus a Closed Lost stage."""
    import re

    text = starter_contract_text()
    for old, new in CRM.items():
        text = re.sub(rf"\b{old}\b", new, text)
    text = text.replace("  Nurture:\n", "  Closed Lost:\n    owner: ae\n    next: []\n"
                                        "  Nurture:\n", 1)
    return starter_contract(text)


def test_renamed_stages_give_the_same_kpis(store: Store) -> None:
    facts = tiny_facts()
    ev = facts["stage_events"]
    for col in ("from_stage", "to_stage"):
        renamed = [CRM.get(v, v) if v is not None else None for v in ev.column(col).to_pylist()]
        ev = ev.set_column(ev.schema.get_field_index(col), col, pa.array(renamed, pa.string()))
    store.write_facts({**facts, "stage_events": ev})
    report = compute_kpis(store, crm_contract(), period=Q1)
    _check(COHORT_Q1, report)  # the hand-worked starter values, with the names mapped
    assert dict(report.definitions)["mql_to_sal"].startswith(
        "Marketing Qualified Leads sales accepted (reached Sales Accepted Lead)")


def test_a_missing_role_gives_no_value_and_says_which(tiny: Store) -> None:
    """Without a stage playing `qualified` (the starter minus SQL), the KPIs that read it
    have no value and a note names the role; the others are measured as before."""
    text = starter_contract_text().replace(
        "  SQL:\n    owner: sdr\n    next: [Opportunity, Nurture, Disqualified]\n", "")
    text = text.replace("[SQL, Nurture, Disqualified]", "[Opportunity, Nurture, Disqualified]")
    report = compute_kpis(tiny, starter_contract(text), period=Q1)
    for kpi in ("sal_to_sql", "sql_to_opportunity", "sql_volume"):
        row = report.row(kpi)
        assert (row.value, row.numerator, row.denominator) == (None, None, None), kpi
        assert any(n.startswith(f"{kpi} has no value") and "`role: qualified`" in n
                   for n in report.notes), kpi
    _check({k: COHORT_Q1[k] for k in ("lead_to_mql", "mql_to_sal", "mql_to_won",
                                      "speed_to_lead_within_sla", "win_rate")}, report)


def test_speed_to_lead_by_rep_groups_by_the_clocks_responsible_rep(tiny: Store) -> None:
    # The clock's rep is the rep of the first activity after its start: L1 R1 (10:30),
    # L2 R1 (13:00), L3 R2 (16:00); L4 has none and no rep moved it: (none), breached.
    report = compute_kpis(tiny, starter_contract(), period=Q1, by="rep",
                          kpis=["speed_to_lead_within_sla", "speed_to_lead_median_minutes"])
    within = {k: (r.numerator, r.denominator) for k, r in
              report.groups("speed_to_lead_within_sla").items()}
    assert within == {"R1": (2, 2), "R2": (1, 1), "(none)": (0, 1)}
    median = {k: r.value for k, r in report.groups("speed_to_lead_median_minutes").items()}
    assert median == {"R1": 15.0, "R2": 60.0}  # R1: 30 and 0 -> 15; R2: 60
    assert any("responsible rep" in n for n in report.notes)


def test_speed_to_lead_without_a_first_touch_sla_has_no_value(tiny: Store) -> None:
    import yaml

    data = yaml.safe_load(starter_contract_text())
    del data["slas"]["speed_to_lead"]
    report = compute_kpis(tiny, starter_contract(yaml.safe_dump(data, sort_keys=False)),
                          period=Q1, kpis=["speed_to_lead_within_sla", "mql_to_sal"])
    assert report.value("speed_to_lead_within_sla") is None
    assert report.value("mql_to_sal") == 0.5
    assert any("no first_touch SLA" in n for n in report.notes)
