"""Renewal and expansion revenue, gross and net revenue retention (docs/kpis.md).

- the worked example of docs/kpis.md, computed by hand, on both stores, on each basis,
  split by segment and by month;
- a store made before `type` and `prior_amount` existed gains them when opened;
- the simulator's planted churn, downsell, uplift and expansion are recovered within
  sampling error, and the KPIs equal plain pandas on the simulated files;
- `accord kpis --json --kpi net_revenue_retention --period ...` answers the same;
- the new-business KPIs (and alignment effectiveness) are the same with and without the
  renewal and expansion rows;
- the live intake stores an opportunity's type and refuses one that is not a deal type.
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml
from service_facts import seed_service_facts
from test_kpis import starter_contract
from typer.testing import CliRunner

from accord.analytics.effectiveness import compute_effectiveness
from accord.analytics.kpis import KPIS, compute_kpis
from accord.cli import app
from accord.engine.intake import EventIntake
from accord.errors import UsageError
from accord.facts import FACT_TABLES
from accord.ingest.fact_folder import import_fact_folder, read_fact_file
from accord.sim import simulate
from accord.store import Store, open_store
from accord.workspace import init_workspace

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"
CUSTOMER_KPIS = ("renewal_revenue", "expansion_revenue", "gross_revenue_retention",
                 "net_revenue_retention")
SCHEMA = FACT_TABLES["opportunities"].arrow_schema()


# --- the worked example ----------------------------------------------------------------------

def _doc_example() -> list[dict[str, Any]]:
    """The worked example's table in docs/kpis.md, as opportunity rows (created 2026-01-02,
    so that the cohort of 2026-Q1 is the same deals)."""
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index("Worked example"):]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not re.fullmatch(r"[RX]\d", cells[0]):
            if rows:
                break
            continue
        deal, account, kind, prior, amount, status, closed = cells
        rows.append({
            "opportunity_id": deal, "account_id": account, "type": kind,
            "prior_amount": (float(prior.replace(",", "")) if prior and ":" not in prior
                             else None),
            "amount": float(amount.replace(",", "")), "status": status,
            "created_at": datetime(2026, 1, 2),
            "closed_at": datetime.fromisoformat(closed) if closed != "—" else None})
    return rows


def _example_facts() -> dict[str, pa.Table]:
    deals = _doc_example()
    # A new-business deal (no type: an export from before the column) and one whose type
    # is not one of the three: neither counts in a customer KPI.
    deals.append({"opportunity_id": "N1", "account_id": "A5", "amount": 50_000.0,
                  "status": "won", "created_at": datetime(2026, 1, 3),
                  "closed_at": datetime(2026, 2, 15)})
    deals.append({"opportunity_id": "U1", "account_id": "A1", "type": "upsell",
                  "amount": 9_000.0, "status": "won", "created_at": datetime(2026, 1, 3),
                  "closed_at": datetime(2026, 3, 1)})
    accounts = [{"account_id": a, "name": a, "segment": s} for a, s in (
        ("A1", "mid_market"), ("A2", "smb"), ("A3", "smb"), ("A4", "smb"),
        ("A5", "enterprise"), ("A6", "enterprise"))]
    return {"opportunities": pa.Table.from_pylist(deals, schema=SCHEMA),
            "accounts": pa.Table.from_pylist(accounts,
                                             schema=FACT_TABLES["accounts"].arrow_schema())}


def test_the_documented_example_is_the_one_worked_here() -> None:
    rows = {r["opportunity_id"]: r for r in _doc_example()}
    assert sorted(rows) == ["R1", "R2", "R3", "R4", "X1", "X2", "X3"]
    assert (rows["R1"]["prior_amount"], rows["R1"]["amount"]) == (10_000, 11_000)
    assert rows["R2"]["prior_amount"] is None and rows["R4"]["closed_at"] is None


@pytest.fixture
def example(store: Store) -> Store:
    store.write_facts(_example_facts())
    return store


def _same(got: Any, want: Any) -> bool:
    """Equal, numbers to 1e-12 (sums may add in another order) and None only to None."""
    if isinstance(want, (tuple, list)):
        return len(got) == len(want) and all(_same(g, w) for g, w in zip(got, want,
                                                                         strict=True))
    if isinstance(want, float) and isinstance(got, (int, float)):
        return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)
    return bool(got == want)


def _check(report: Any, want: dict[str, tuple[Any, Any, Any]],
           group: str | None = None) -> None:
    for kpi, triple in want.items():
        r = report.row(kpi, group)
        assert _same((r.value, r.numerator, r.denominator), triple), (kpi, group, r)


# Worked by hand. Up for renewal in 2026-Q1: R1 10,000 (won at 11,000), R2 5,000 (empty
# prior: its amount; lost = churned), R3 10,000 (won at 8,000, a downsell); R4 is open.
# Kept (GRR numerator): min(11,000, 10,000) + min(8,000, 10,000) = 18,000.
# NRR numerator: renewals won 11,000 + 8,000, plus X1 3,000 (A1 is up for renewal); X2 is
# A6's (no renewal), X3 was lost, U1's type is unknown.
HAND_Q1 = {
    "renewal_revenue": (19_000.0, 19_000.0, None),
    "expansion_revenue": (7_000.0, 7_000.0, None),  # X1 + X2
    "gross_revenue_retention": (18_000 / 25_000, 18_000.0, 25_000.0),
    "net_revenue_retention": (22_000 / 25_000, 22_000.0, 25_000.0),
}


@pytest.mark.parametrize("basis", ["period", "cohort"])
def test_the_worked_example_by_hand(example: Store, basis: Any) -> None:
    report = compute_kpis(example, starter_contract(), period="2026-Q1", basis=basis,
                          kpis=[*CUSTOMER_KPIS, "win_rate", "pipeline_created"])
    _check(report, HAND_Q1)
    assert report.value("gross_revenue_retention") == pytest.approx(0.72)
    assert report.value("net_revenue_retention") == pytest.approx(0.88)
    # new business only: N1 (no type) is the one deal win rate and pipeline read
    assert (report.row("win_rate").numerator, report.row("win_rate").denominator) == (1, 1)
    assert report.value("pipeline_created") == 50_000.0
    assert any("1 opportunity has a type accord does not know ('upsell': 1)" in n
               for n in report.notes)


def test_the_worked_example_split_by_segment_and_by_month(example: Store) -> None:
    by_segment = compute_kpis(example, starter_contract(), period="2026-Q1", basis="period",
                              by="segment", kpis=list(CUSTOMER_KPIS))
    # mid_market: A1 (R1 10,000 -> 11,000; X1 3,000); smb: A2 (R2 lost 5,000), A3 (R3
    # 10,000 -> 8,000; X3 lost); enterprise: only X2 (A6), no renewal.
    _check(by_segment, group="mid_market", want={
        "renewal_revenue": (11_000.0, 11_000.0, None),
        "expansion_revenue": (3_000.0, 3_000.0, None),
        "gross_revenue_retention": (1.0, 10_000.0, 10_000.0),
        "net_revenue_retention": (1.4, 14_000.0, 10_000.0)})
    _check(by_segment, group="smb", want={
        "renewal_revenue": (8_000.0, 8_000.0, None),
        "expansion_revenue": (0.0, 0.0, None),
        "gross_revenue_retention": (8_000 / 15_000, 8_000.0, 15_000.0),
        "net_revenue_retention": (8_000 / 15_000, 8_000.0, 15_000.0)})
    assert by_segment.groups("expansion_revenue")["enterprise"].value == 4_000.0
    assert "enterprise" not in by_segment.groups("net_revenue_retention")

    by_month = compute_kpis(example, starter_contract(), period="2026-Q1", basis="period",
                            by="month", kpis=["gross_revenue_retention",
                                              "net_revenue_retention"])
    # February: R1 and R2 decided (15,000 up); X1 (A1) closed in March, so February's NRR
    # has no expansion. March: R3 (10,000 up); X1 is A1's, whose renewal was in February.
    g, n = by_month.groups("gross_revenue_retention"), by_month.groups(
        "net_revenue_retention")
    assert (g["2026-02"].value, n["2026-02"].value) == pytest.approx((10 / 15, 11 / 15))
    assert (g["2026-03"].value, n["2026-03"].value) == pytest.approx((0.8, 0.8))
    assert "2026-01" not in g  # nothing decided in January


def test_no_renewal_decided_gives_no_retention_value(example: Store) -> None:
    report = compute_kpis(example, starter_contract(), period="2026-04", basis="period",
                          kpis=list(CUSTOMER_KPIS))
    assert report.value("renewal_revenue") == 0.0
    assert report.value("gross_revenue_retention") is None
    assert report.value("net_revenue_retention") is None


def test_a_split_other_than_the_account_s_is_skipped_with_a_note(example: Store) -> None:
    report = compute_kpis(example, starter_contract(), period="2026-Q1", by="channel",
                          kpis=["net_revenue_retention"])
    assert report.groups("net_revenue_retention") == {}
    assert any(n.startswith("not split by channel: net_revenue_retention (renewals and "
                            "expansions belong to accounts") for n in report.notes)


def test_a_store_made_before_the_deal_type_gains_it(store: Store) -> None:
    with store.transaction() as cur:
        for column in ("type", "prior_amount"):
            store.execute(cur, f"ALTER TABLE opportunities DROP COLUMN {column}")
    store.close()
    again = open_store(store.url)
    try:
        names = set(again.table("opportunities").columns)
        assert {"type", "prior_amount"} <= names
        again.write_facts(_example_facts())
        report = compute_kpis(again, starter_contract(), period="2026-Q1", basis="period",
                              kpis=list(CUSTOMER_KPIS))
        _check(report, HAND_Q1)
    finally:
        again.close()


# --- the simulated company -------------------------------------------------------------------

def _oracle(opps: pd.DataFrame, start: str, end: str) -> dict[str, Any]:
    """Plain pandas from docs/kpis.md, period basis: renewals decided in [start, end)."""
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    closed = opps.closed_at.fillna(opps.created_at)
    inside = (closed >= lo) & (closed < hi) & opps.status.isin(["won", "lost"])
    ren = opps[inside & (opps.type == "renewal")].copy()
    ren["prior"] = ren.prior_amount.fillna(ren.amount)
    ren["renewed"] = ren.amount.where(ren.status == "won", 0.0)
    ren["kept"] = ren[["renewed", "prior"]].min(axis=1)
    exp = opps[inside & (opps.type == "expansion") & (opps.status == "won")]
    per_account = exp.groupby("account_id").amount.sum()
    ren["expanded"] = ren.account_id.map(per_account).fillna(0.0)
    base = ren.prior.sum()
    return {"renewals": ren, "base": base, "grr": ren.kept.sum() / base,
            "nrr": (ren.renewed.sum() + ren.expanded.sum()) / base,
            "renewal_revenue": ren.renewed.sum(), "expansion_revenue": exp.amount.sum()}


def _standard_error(y: pd.Series, w: pd.Series) -> float:
    """Standard error of the ratio Σ w·y / Σ w over independent customers."""
    r = (w * y).sum() / w.sum()
    return math.sqrt(((w * (y - r)) ** 2).sum()) / w.sum()


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Store]:
    """A large company (2,000 existing customers), only its accounts and deals stored."""
    folder = tmp_path_factory.mktemp("planted")
    simulate(folder, leads=40_000, seed=23, effects=None)
    st = open_store(folder / "store.duckdb")
    st.write_facts({name: read_fact_file(folder / f"{name}.parquet", FACT_TABLES[name])
                    for name in ("accounts", "opportunities")})
    yield folder, st
    st.close()


def test_the_planted_retention_is_recovered(planted: tuple[Path, Store]) -> None:
    folder, st = planted
    truth = yaml.safe_load((folder / "effects_applied.yaml").read_text())["retention"]
    c, d, u = truth["gross_churn_rate"], truth["downsell"], truth["uplift"]
    e = truth["expansion"]
    # the expected values, from the parameters alone (outcomes do not depend on the value)
    gross = 1 - c - (1 - c) * d["share"] * (1 - d["factor"])
    net = (gross + (1 - c) * u["share"] * (u["factor"] - 1)
           + (1 - c) * e["share"] * e["median_fraction"] * math.exp(e["sigma"] ** 2 / 2))
    assert truth["expected_gross_revenue_retention"] == pytest.approx(gross, abs=1e-6)
    assert truth["expected_net_revenue_retention"] == pytest.approx(net, abs=1e-6)

    opps = pd.read_parquet(folder / "opportunities.parquet")
    want = _oracle(opps, "2025-01-01", "2026-01-01")
    ren = want["renewals"]
    assert len(ren) == truth["base_customers"] == 2000  # every base customer renews in 2025
    report = compute_kpis(st, starter_contract(), period="2025", basis="period",
                          kpis=list(CUSTOMER_KPIS))
    assert report.value("gross_revenue_retention") == pytest.approx(want["grr"], rel=1e-12)
    assert report.value("net_revenue_retention") == pytest.approx(want["nrr"], rel=1e-12)
    assert report.value("renewal_revenue") == pytest.approx(want["renewal_revenue"])
    assert report.value("expansion_revenue") == pytest.approx(want["expansion_revenue"])

    se_gross = _standard_error(ren.kept / ren.prior, ren.prior)
    se_net = _standard_error((ren.renewed + ren.expanded) / ren.prior, ren.prior)
    # tight enough to see a GRR that ignored the 10% churn, an NRR that ignored expansion
    assert 4 * se_gross < 0.05 and 4 * se_net < 0.06
    assert abs(report.value("gross_revenue_retention") - gross) < 4 * se_gross
    assert abs(report.value("net_revenue_retention") - net) < 4 * se_net
    churned = (ren.status == "lost").mean()
    assert abs(churned - c) < 4 * math.sqrt(c * (1 - c) / len(ren))
    # customers won in the year expand too, but they are not up for renewal
    assert want["expansion_revenue"] > ren.expanded.sum()


# --- a simulated company through the store and the command line ------------------------------

@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A 3,000-lead simulated company in a workspace (the whole fact folder imported)."""
    folder = tmp_path_factory.mktemp("company")
    simulate(folder / "data", leads=3000, seed=11)
    ws = init_workspace(folder / "acme")
    st = ws.open_store()
    try:
        import_fact_folder(st, folder / "data")
    finally:
        st.close()
    return folder / "data", ws.root


def test_accord_kpis_json_answers_net_revenue_retention(company: tuple[Path, Path]) -> None:
    data, root = company
    runner = CliRunner()
    out = runner.invoke(app, ["kpis", "-w", str(root), "--json", "--kpi",
                              "net_revenue_retention", "--period", "2025-Q2", "--basis",
                              "period"])
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    want = _oracle(pd.read_parquet(data / "opportunities.parquet"), "2025-04-01",
                   "2025-07-01")
    [row] = doc["rows"]
    assert (row["kpi"], row["group"], row["unit"]) == ("net_revenue_retention", "all", "share")
    assert row["value"] == pytest.approx(want["nrr"])
    assert row["denominator"] == pytest.approx(want["base"]) and want["base"] > 0
    assert doc["definitions"]["net_revenue_retention"].startswith("(Renewals won + ")

    split = runner.invoke(app, ["kpis", "-w", str(root), "--json", "--kpi",
                                "net_revenue_retention", "--period", "2025-Q2", "--by",
                                "segment"])
    assert split.exit_code == 0, split.output
    groups = {r["group"] for r in json.loads(split.stdout)["rows"]}
    assert groups == {"all", "smb", "mid_market", "enterprise"}


def _rows(report: Any) -> list[tuple[Any, ...]]:
    return [(r.kpi, r.group, r.value, r.numerator, r.denominator) for r in report.rows]


def test_new_business_kpis_do_not_move_when_renewals_are_recorded(
        company: tuple[Path, Path], tmp_path: Path) -> None:
    data, root = company
    ws_store = open_store(root / ".accord" / "accord.duckdb")
    bare = open_store(tmp_path / "new_business_only.duckdb")
    try:
        import_fact_folder(bare, data)  # everything, then keep new business only
        opps = read_fact_file(data / "opportunities.parquet", FACT_TABLES["opportunities"])
        customer = pc.is_in(opps.column("type"), pa.array(["renewal", "expansion"]))
        assert pc.sum(customer).as_py() > 100  # the store compared has them
        with bare.transaction() as cur:
            bare.execute(cur, "DELETE FROM opportunities WHERE type IN "
                              "('renewal', 'expansion')")
        others = [k for k in KPIS if k not in CUSTOMER_KPIS]
        contract = starter_contract()
        for basis, by in (("cohort", None), ("cohort", "rep"), ("period", None),
                          ("period", "segment")):
            args: dict[str, Any] = {"period": "2025-Q2", "basis": basis, "by": by,
                                    "kpis": others}
            assert _same(_rows(compute_kpis(ws_store, contract, **args)),
                         _rows(compute_kpis(bare, contract, **args))), (basis, by)
        assert compute_effectiveness(ws_store, contract, period="2025-Q2", by="segment") \
            == compute_effectiveness(bare, contract, period="2025-Q2", by="segment")
        retention = compute_kpis(bare, contract, period="2025", basis="period",
                                 kpis=list(CUSTOMER_KPIS))
        # no renewal or expansion recorded at all: no value, as for any KPI with no rows
        assert [retention.value(k) for k in CUSTOMER_KPIS] == [None] * 4
    finally:
        ws_store.close()
        bare.close()


# --- the live intake -------------------------------------------------------------------------

def test_the_intake_records_a_deal_type_and_refuses_an_unknown_one(store: Store) -> None:
    seed_service_facts(store)
    intake = EventIntake(store, starter_contract(), clock=lambda: datetime(2025, 3, 1, 12))

    def ev(event_id: str, kind: str, at: str, **fields: Any) -> Any:
        return intake.submit(event_id, {"kind": kind, "lead_id": "L1", "at": at, **fields},
                             actor="crm")

    ev("c1", "lead_created", "2025-01-06T14:00:00Z", email="ann@soft.example",
       channel="web", title="VP Sales", country="US", account_id="A1")
    ev("t1", "touch", "2025-01-06T15:00:00Z", signal="demo_request")
    ev("a1", "accept", "2025-01-06T16:00:00Z", rep_id="R1")
    ev("m1", "move", "2025-01-07T10:00:00Z", to_stage="SQL", rep_id="R1")
    ev("o1", "opportunity_created", "2025-01-08T10:00:00Z", opportunity_id="O1",
       amount=24000)
    ev("o2", "opportunity_created", "2025-01-09T10:00:00Z", opportunity_id="O2",
       amount=6000, type="expansion", account_id="A1")
    with pytest.raises(UsageError, match=r"field 'type': .*expected one of new_business, "
                                         r"renewal, expansion"):
        ev("o3", "opportunity_created", "2025-01-10T10:00:00Z", opportunity_id="O3",
           amount=1, type="churn")
    with store.transaction() as cur:
        rows = store.query(cur, "SELECT opportunity_id, type, prior_amount FROM "
                                "opportunities ORDER BY opportunity_id")
    assert rows == [("O1", None, None), ("O2", "expansion", None)]
