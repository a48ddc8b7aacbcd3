"""Real data: the Olist marketing funnel, imported through `mappings/olist.yaml`.

Expected figures come from two places that do not use accord: the reference tables in the
data set's README (`../shared/data/real/olist-marketing-funnel/README.md`, computed with
pandas by its authors) and plain pandas on the raw CSV files here. The KPI output after the
mapped import must equal both, on every store backend.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from shared_data import SHARED

from accord.analytics.kpis import compute_kpis
from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.loader import check_contract_text
from accord.ingest.mapping import import_mapping
from accord.store import Store
from accord.workspace import starter_contract_text

ROOT = Path(__file__).resolve().parents[2]
DATA = SHARED / "data" / "real" / "olist-marketing-funnel"
MAPPING = ROOT / "mappings" / "olist.yaml"
MQLS = DATA / "olist_marketing_qualified_leads_dataset.csv"
DEALS = DATA / "olist_closed_deals_dataset.csv"



def test_the_real_data_is_beside_the_repository() -> None:
    # The real-data tests must run, not skip: shared/ sits beside the repository in CI.
    assert MQLS.exists() and DEALS.exists(), f"Olist data not found at {DATA}"

# README "MQLs, closed deals and MQL→won conversion by origin" (origin null -> `not_set`).
README_BY_ORIGIN: dict[str, tuple[int, int, float]] = {
    "organic_search": (2296, 271, 11.80), "paid_search": (1586, 195, 12.30),
    "social": (1350, 75, 5.56), "unknown": (1099, 179, 16.29),
    "direct_traffic": (499, 56, 11.22), "email": (493, 15, 3.04),
    "referral": (284, 24, 8.45), "other": (150, 4, 2.67), "display": (118, 6, 5.08),
    "other_publicities": (65, 3, 4.62), "not_set": (60, 14, 23.33),
}
README_MEDIAN_FRACTIONAL_DAYS = 14.6507  # won timestamp - first contact date at 00:00
README_TOP_LANDING_PAGES: dict[str, tuple[int, int]] = {
    "40dec9f3d5259a3d2dbcdab2114fae47": (330, 67), "22c29808c4f815213303f8933030604c": (883, 174),
    "b76ef37428e6799c421989521c0e5077": (912, 171), "ce1a65abd0973638f1c887a6efcfa82d": (394, 59),
    "241f79c7a8fe0270f4fb79fcbbcd17ad": (109, 14),
}
README_TOP_SR: dict[str, int] = {
    "4ef15afb4b2723d8f3d81e51ec7afefe": 133, "d3d1e91a157ea7f90548eef82f1955e3": 82,
    "6565aa9ce3178a5caf6171827af3a9ba": 74, "85fc447d336637ba1df43e793199fbc8": 64,
    "495d4e95a8cf8bbf8b432b612a2aa328": 63,
}


def _contract() -> CompiledContract:
    contract, issues = check_contract_text(starter_contract_text())
    assert contract is not None, issues
    return compile_contract(contract)


def _pandas_reference() -> pd.DataFrame:
    """Per MQL: origin (null -> not_set), won flag and fractional days to win."""
    mqls = pd.read_csv(MQLS)
    deals = pd.read_csv(DEALS)
    df = mqls.merge(deals[["mql_id", "won_date"]], on="mql_id", how="left")
    df["origin"] = df["origin"].fillna("not_set")
    df["won"] = df["won_date"].notna()
    first = pd.to_datetime(df["first_contact_date"], format="%Y-%m-%d")
    won_at = pd.to_datetime(df["won_date"], format="%Y-%m-%d %H:%M:%S")
    df["days"] = (won_at - first).dt.total_seconds() / 86_400
    return df


@pytest.fixture
def olist(store: Store) -> Store:
    result = import_mapping(store, MAPPING, DATA)
    assert dict(result.write.added) == {"leads": 8000, "stage_events": 8000,
                                        "opportunities": 842}
    return store


def test_mql_to_won_by_origin_and_median_days_to_win_equal_the_references(
        olist: Store) -> None:
    report = compute_kpis(olist, _contract(), by="channel",
                          kpis=["mql_to_won", "sales_cycle_days"])
    ref = _pandas_reference()

    # Whole data set: 842 of 8,000 = 10.525% exactly (README), and pandas agrees.
    total = report.row("mql_to_won")
    assert (total.numerator, total.denominator) == (842, 8000)
    assert total.value == pytest.approx(0.10525, abs=1e-12)
    assert total.value == pytest.approx(ref["won"].mean(), abs=1e-12)

    by_origin = report.groups("mql_to_won")
    assert set(by_origin) == set(README_BY_ORIGIN)
    pandas_rate = ref.groupby("origin")["won"].mean()
    for origin, (mqls, won, pct) in README_BY_ORIGIN.items():
        row = by_origin[origin]
        assert (row.numerator, row.denominator) == (won, mqls), origin
        assert round(100 * row.value, 2) == pct, origin
        assert row.value == pytest.approx(pandas_rate[origin], abs=1e-12), origin

    # Median days first contact -> won: 14.6507 fractional days (README), per origin from
    # pandas (the README's per-origin table is in calendar days, checked separately below).
    cycle = report.row("sales_cycle_days")
    assert cycle.denominator == 842
    assert round(cycle.value, 4) == README_MEDIAN_FRACTIONAL_DAYS
    pandas_median = ref[ref["won"]].groupby("origin")["days"].median()
    for origin, row in report.groups("sales_cycle_days").items():
        assert row.value == pytest.approx(pandas_median[origin], abs=1e-6), origin


def test_conversion_by_landing_page_and_deals_by_sales_rep_equal_the_readme(
        olist: Store) -> None:
    pages = compute_kpis(olist, _contract(), by="landing_page", kpis=["mql_to_won"])
    for page, (mqls, won) in README_TOP_LANDING_PAGES.items():
        row = pages.groups("mql_to_won")[page]
        assert (row.numerator, row.denominator) == (won, mqls), page
    reps = compute_kpis(olist, _contract(), by="rep", kpis=["win_rate"])
    for sr, won in README_TOP_SR.items():
        assert reps.groups("win_rate")[sr].numerator == won, sr


README_MEDIAN_CALENDAR_DAYS: dict[str, float] = {
    "organic_search": 14.0, "paid_search": 15.0, "unknown": 11.0, "social": 30.0,
    "direct_traffic": 10.0, "referral": 18.5, "email": 21.0, "not_set": 7.5, "display": 8.5,
    "other": 9.0, "other_publicities": 35.0,
}


def test_mapped_times_give_the_readme_calendar_day_medians(olist: Store) -> None:
    """The README's per-origin medians are in calendar days (won date − first contact
    date); the mapped facts must carry the times that give them."""
    opp = olist.table("opportunities").to_pandas()
    leads = olist.table("leads").to_pandas()[["lead_id", "channel"]]
    won = opp.merge(leads, on="lead_id")
    days = (won["closed_at"].dt.normalize() - won["created_at"]).dt.days
    assert days.median() == 14.0 and days.min() == -2 and days.max() == 427
    assert days.groupby(won["channel"]).median().to_dict() == README_MEDIAN_CALENDAR_DAYS


def test_reimporting_the_same_files_adds_nothing(olist: Store) -> None:
    again = import_mapping(olist, MAPPING, DATA)
    assert again.write.total_added == 0
