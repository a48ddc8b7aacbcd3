"""Scoring feedback: AUC and the logistic fit against independent computations, features
by hand on every backend, and the whole loop on a simulated company."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
import typer
import yaml
from doc_blocks import fenced_blocks
from scipy import optimize, stats
from typer.testing import CliRunner

from accord.analytics.funnel import lead_depth
from accord.analytics.kpis.period import parse_period
from accord.analytics.scoring_feedback import (
    ScoringFeedback,
    ScoringFeedbackError,
    UnknownDimensionError,
    average_ranks,
    choose_l2,
    fit_logistic,
    lead_features,
    rank_auc,
    scoring_feedback,
    split_hash,
)
from accord.cli.scoring import app as scoring_app
from accord.contract.compiled import compile_contract, compile_text
from accord.contract.schema import Contract
from accord.engine.scoring import engagement_as_of
from accord.errors import UnknownNameError
from accord.facts import FACT_TABLES
from accord.ingest.fact_folder import import_fact_folder
from accord.sim import simulate
from accord.store import Store, open_store
from accord.workspace import starter_contract_text

# --- AUC ----------------------------------------------------------------------------------


def pairwise_auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Every (positive, negative) pair: 1 if the positive scores higher, ½ on a tie."""
    pos, neg = scores[labels], scores[~labels]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def test_auc_by_hand() -> None:
    # positives 2 and 4, negatives 1 and 3: pairs (2>1) (2<3) (4>1) (4>3) -> 3 of 4
    assert rank_auc([1, 2, 3, 4], [False, True, False, True]) == 0.75
    # one tie between the classes counts half
    assert rank_auc([1.0, 1.0], [True, False]) == 0.5
    assert rank_auc([5, 1], [True, False]) == 1.0
    assert rank_auc([1, 2], [True, True]) is None
    assert rank_auc([], []) is None


def test_average_ranks_share_ties() -> None:
    # sorted: 1 -> rank 1; the two 2s -> ranks 2, 3 -> 2.5 each; 7 -> 4
    assert average_ranks([2, 7, 1, 2]).tolist() == [2.5, 4.0, 1.0, 2.5]


def test_auc_matches_mann_whitney_and_a_pairwise_count() -> None:
    rng = np.random.default_rng(5)
    for n in (7, 60, 400):
        scores = rng.integers(0, 12, size=n).astype(float)  # many ties on purpose
        labels = rng.uniform(size=n) < 0.3
        n1, n0 = labels.sum(), (~labels).sum()
        u = stats.mannwhitneyu(scores[labels], scores[~labels]).statistic
        assert rank_auc(scores, labels) == pytest.approx(u / (n1 * n0), abs=1e-12)
        assert rank_auc(scores, labels) == pytest.approx(pairwise_auc(scores, labels),
                                                         abs=1e-12)


# --- logistic fit -------------------------------------------------------------------------


def test_logistic_fit_recovers_the_log_odds_of_a_two_by_two_table() -> None:
    # x = 0: 10 of 40 reached the outcome (odds 1/3); x = 1: 30 of 40 (odds 3).
    # Unpenalised maximum likelihood: intercept = log(1/3) = -1.098612,
    # slope = log 3 - log(1/3) = log 9 = 2.197225.
    x = np.repeat([0.0, 1.0], 40)[:, None]
    y = np.concatenate([np.repeat([1, 0], [10, 30]), np.repeat([1, 0], [30, 10])])
    fit = fit_logistic(x, y, l2=0.0)
    assert fit.converged
    assert fit.intercept == pytest.approx(np.log(1 / 3), abs=1e-9)
    assert fit.coefficients[0] == pytest.approx(np.log(9), abs=1e-9)
    assert fit.predict(np.array([[0.0], [1.0]])) == pytest.approx([0.25, 0.75], abs=1e-9)


def test_penalised_fit_matches_a_general_optimiser() -> None:
    rng = np.random.default_rng(2)
    x = np.column_stack([rng.integers(0, 2, 500), rng.gamma(0.8, 3.0, 500),
                         rng.normal(5, 2, 500)]).astype(float)
    y = rng.uniform(size=500) < 1 / (1 + np.exp(-(-1 + 0.8 * x[:, 0] + 0.2 * x[:, 1])))
    l2 = 7.0
    mean, sd = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / sd

    def loss(b: np.ndarray) -> float:
        eta = b[0] + z @ b[1:]
        return float(np.sum(np.logaddexp(0, eta) - y * eta) + l2 / 2 * np.sum(b[1:] ** 2))

    ref = optimize.minimize(loss, np.zeros(4), method="BFGS", options={"gtol": 1e-9}).x
    fit = fit_logistic(x, y, l2=l2)
    assert np.array(fit.coefficients) == pytest.approx(ref[1:] / sd, rel=1e-5)
    assert fit.intercept == pytest.approx(ref[0] - np.sum(ref[1:] * mean / sd), rel=1e-5)


def test_penalty_shrinks_and_a_constant_column_has_no_evidence() -> None:
    rng = np.random.default_rng(3)
    x = np.column_stack([rng.integers(0, 2, 300), np.ones(300)]).astype(float)
    y = rng.uniform(size=300) < np.where(x[:, 0] == 1, 0.6, 0.2)
    weak, strong = fit_logistic(x, y, 0.1), fit_logistic(x, y, 1e4)
    assert weak.varied == (True, False) and weak.coefficients[1] == 0.0
    assert 0 < strong.coefficients[0] < weak.coefficients[0] / 10


def test_cross_validation_picks_a_penalty_from_the_grid() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=(400, 3))
    y = rng.uniform(size=400) < 1 / (1 + np.exp(-x[:, 0]))
    l2, table = choose_l2(x, y, np.arange(400) % 5, grid=(1.0, 10.0))
    assert [p for p, _ in table] == [1.0, 10.0]
    assert l2 == max(table, key=lambda r: (r[1], r[0]))[0]
    assert all(0.6 < auc < 0.9 for _, auc in table)


# --- the split ----------------------------------------------------------------------------


def fnv1a_fmix(text: str) -> int:
    """FNV-1a 64 then MurmurHash3's fmix64, one string at a time in plain Python."""
    mask = (1 << 64) - 1
    h = 0xCBF29CE484222325
    for byte in text.encode():
        h = ((h ^ byte) * 0x100000001B3) & mask
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & mask
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & mask
    return h ^ (h >> 33)


def test_fnv1a_reference_matches_the_published_test_vector() -> None:
    mask = (1 << 64) - 1
    h = 0xCBF29CE484222325
    for byte in b"a":
        h = ((h ^ byte) * 0x100000001B3) & mask
    assert h == 0xAF63DC4C8601EC8C  # FNV-1a 64-bit of "a" (the FNV reference vectors)


def test_split_hash_is_fnv1a_of_seed_and_id_and_ignores_other_ids() -> None:
    ids = ["L000001", "lead-é", "", "L2"]
    got = split_hash(ids, seed=7)
    want = [(fnv1a_fmix(f"7:{i}") >> 11) / 2**53 for i in ids]
    assert got.tolist() == want
    assert split_hash(["L2"], seed=7)[0] == got[3]  # the same alone as among others
    assert split_hash(pa.chunked_array([ids[:2], ids[2:]]), seed=7).tolist() == want


def test_split_holds_out_about_the_share_asked() -> None:
    u = split_hash([f"L{i:07d}" for i in range(20_000)], seed=0)
    # binomial sd = sqrt(0.3 * 0.7 / 20000) = 0.0032; allow about 4 sd
    assert abs((u < 0.3).mean() - 0.3) < 0.013
    assert not np.array_equal(u < 0.3, split_hash([f"L{i:07d}" for i in range(20_000)], 1) < 0.3)


# --- features by hand, on every backend -----------------------------------------------------

T0 = datetime(2025, 1, 1, 12, 0)
DAY = timedelta(days=1)

HAND_CONTRACT = compile_contract(Contract.model_validate({
    "version": 1, "effective": "2025-01-01",
    "owners": {"marketing": "VP Marketing", "sales": "VP Sales"},
    "icps": {"core": {"criteria": {
        "industry": {"in": ["software"], "points": 30},
        "employees": {"between": [50, 1000], "points": 20},
    }, "tiers": {"A": 50, "B": 30}}},
    "signals": {
        "demo_request": {"intent": "hand_raise", "points": 50},
        "pricing_page": {"intent": "high", "points": 10, "half_life_days": 10},
    },
    "stages": {"Lead": {"owner": "marketing", "next": ["MQL"]},
               "MQL": {"owner": "marketing", "next": ["SAL"]},
               "SAL": {"owner": "sales", "next": ["SQL"]},
               "SQL": {"owner": "sales", "next": ["Opportunity"]},
               "Opportunity": {"owner": "sales", "next": ["Customer"]},
               "Customer": {"owner": "sales"}},
    "rejection_reasons": ["bad_fit"],
}))


def facts(name: str, rows: list[dict[str, Any]]) -> pa.Table:
    schema = FACT_TABLES[name].arrow_schema()
    return pa.Table.from_pylist([{c: r.get(c) for c in schema.names} for r in rows],
                                schema=schema)


def lead(lead_id: str, created: datetime, account: str | None) -> dict[str, Any]:
    return {"lead_id": lead_id, "email": f"{lead_id}@x.com", "channel": "web",
            "created_at": created, "account_id": account}


def touch(tid: str, lead_id: str, signal: str, at: datetime) -> dict[str, Any]:
    return {"touch_id": tid, "lead_id": lead_id, "signal": signal, "occurred_at": at}


@pytest.fixture
def hand_store(store: Store) -> Store:
    store.write_facts({
        "accounts": facts("accounts", [
            {"account_id": "A1", "name": "Acme", "industry": "software", "employees": 200},
            {"account_id": "A2", "name": "Shop", "industry": "retail", "employees": 10},
        ]),
        "leads": facts("leads", [
            lead("L1", T0, "A1"),
            lead("L2", T0 + DAY, "A2"),
            lead("L3", T0 + 2 * DAY, "A1"),
            lead("L4", T0 + 29 * DAY, "A2"),  # scored 10 days later: after the last fact
        ]),
        "touches": facts("touches", [
            # L1, scored at T0 + 10 days: demo twice counts once (50); pricing at T0 is
            # 10 days old (10 x 0.5 = 5); pricing exactly at the scoring time counts in
            # full (10); pricing a day later does not count.  Engagement 65.
            touch("T1", "L1", "demo_request", T0),
            touch("T2", "L1", "demo_request", T0 + 4 * DAY),
            touch("T3", "L1", "pricing_page", T0),
            touch("T4", "L1", "pricing_page", T0 + 10 * DAY),
            touch("T5", "L1", "pricing_page", T0 + 11 * DAY),
            # L3, scored at T0 + 12 days: pricing 5 days old = 10 x 0.5^0.5 = 7.0710678
            touch("T6", "L3", "pricing_page", T0 + 7 * DAY),
            touch("T7", "L3", "podcast", T0 + 7 * DAY),  # not a contract signal
        ]),
        "opportunities": facts("opportunities", [
            {"opportunity_id": "O1", "lead_id": "L1", "created_at": T0 + 20 * DAY,
             "amount": 100.0, "status": "won"},
            {"opportunity_id": "O3", "lead_id": "L3", "created_at": T0 + 25 * DAY,
             "amount": 100.0, "status": "open"},
        ]),
        "stage_events": facts("stage_events", [
            {"event_id": "E1", "lead_id": "L2", "to_stage": "MQL",
             "occurred_at": T0 + 31 * DAY, "actor": "system"},  # the last fact
        ]),
    })
    return store


def test_features_are_the_engine_rules_at_one_point(hand_store: Store) -> None:
    table = lead_features(hand_store, HAND_CONTRACT, horizon_days=10,
                          observed_until=T0 + 31 * DAY).order_by("lead_id").to_pyarrow()
    rows = {r["lead_id"]: r for r in table.to_pylist()}
    assert sorted(rows) == ["L1", "L2", "L3"]  # L4's scoring time is after the last fact
    # columns: x0 industry, x1 employees, x2 demo_request, x3 pricing_page
    got = {k: [r["x0"], r["x1"], r["x2"], r["x3"]] for k, r in rows.items()}
    assert got["L1"] == pytest.approx([1, 1, 1, 1.5])  # pricing 0.5 + 1
    assert got["L2"] == pytest.approx([0, 0, 0, 0])
    assert got["L3"] == pytest.approx([1, 1, 0, 0.5 ** 0.5])
    assert (rows["L1"]["fit"], rows["L1"]["tier"], rows["L1"]["engagement"]) \
        == (50, "A", pytest.approx(65.0))
    assert rows["L3"]["engagement"] == pytest.approx(7.0710678, abs=1e-7)
    assert (rows["L1"]["depth"], rows["L3"]["depth"], rows["L2"]["depth"]) == (5, 4, 1)
    assert (rows["L3"]["open_opportunity"], rows["L1"]["open_opportunity"]) == (True, False)


def test_feedback_needs_both_outcomes_among_training_leads(hand_store: Store) -> None:
    only_l2 = parse_period("2025-01-02..2025-01-02")
    with pytest.raises(ScoringFeedbackError, match="need both leads that reached"):
        scoring_feedback(hand_store, HAND_CONTRACT, period=only_l2, horizon_days=10)


# --- a simulated company ------------------------------------------------------------------

STARTER = compile_text(starter_contract_text())


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Store:
    root = tmp_path_factory.mktemp("scoring_feedback")
    simulate(root / "facts", leads=6000, seed=11)
    store = open_store(root / "store.duckdb")
    import_fact_folder(store, root / "facts")
    return store


@pytest.fixture(scope="module")
def feedback(company: Store) -> ScoringFeedback:
    return scoring_feedback(company, STARTER, by="channel")


def test_current_scores_rank_leads_that_become_opportunities(feedback: ScoringFeedback) -> None:
    # The simulator converts on ICP fit and on intent (which drives touches): both scores
    # should rank clearly better than chance.  Measured on this company (all studied
    # leads): fit 0.64, engagement 0.66, fit + engagement 0.68; chance is 0.5.
    assert feedback.score("fit").current_all > 0.58
    assert feedback.score("engagement").current_all > 0.58
    assert feedback.current_auc is not None and feedback.current_auc > 0.62
    assert feedback.outcomes > 250 and feedback.holdout_outcomes > 60


def test_proposal_does_not_rank_held_out_leads_worse(feedback: ScoringFeedback) -> None:
    # The starter points are the simulator's own fit model, so the proposal cannot do much
    # better; it must not do worse beyond noise (about 0.02 for ~100 held-out outcomes).
    assert feedback.proposed_auc is not None and feedback.current_auc is not None
    assert feedback.proposed_auc >= feedback.current_auc - 0.02
    by_key = {f.key: f for f in feedback.features}
    # fit criteria and hand-raises carry real weight; the simulator's fit model gives
    # industry and size 30 points each against 20 for country and title
    for key in ("core.industry", "core.employees", "demo_request", "contact_sales"):
        assert by_key[key].proposed_points >= 10, key
    assert max(abs(f.proposed_points) for f in feedback.features) == 50


def test_features_at_contract_points_give_the_engine_scores(company: Store) -> None:
    model = STARTER.scoring
    rows = lead_features(company, STARTER).order_by("lead_id").to_pyarrow()
    x = np.column_stack([rows.column(f"x{k}").to_numpy() for k in range(12)])
    criteria = [c.points for c in model.icps[0].criteria]
    signals = [s.points for s in model.signals]
    assert x[:, :4] @ criteria == pytest.approx(rows.column("fit").to_numpy())
    assert x[:, 4:] @ signals == pytest.approx(rows.column("engagement").to_numpy(), abs=1e-6)
    # the batch engagement at each lead's own time equals the live engine's
    touches = company.table("touches").to_pyarrow().to_pylist()
    sample = rows.slice(0, 40).to_pylist()
    for r in sample:
        mine = [(t["occurred_at"], t["signal"]) for t in touches if t["lead_id"] == r["lead_id"]]
        live = engagement_as_of(model, mine, r["created_at"] + timedelta(days=30))
        assert live.engagement == pytest.approx(r["engagement"], abs=1e-6)


def test_snippet_is_a_contract_section_a_human_can_paste(feedback: ScoringFeedback) -> None:
    parsed = yaml.safe_load(feedback.snippet)
    assert set(parsed) == {"icps", "signals"}
    assert set(parsed["icps"]["core"]["criteria"]) == set(
        STARTER.source.icps["core"].criteria)
    assert set(parsed["signals"]) == set(STARTER.source.signals)
    by_key = {f.key: f for f in feedback.features}
    for name, sig in parsed["signals"].items():
        assert sig["points"] == by_key[name].proposed_points
        assert f"# {by_key[name].current_points}" in next(
            line for line in feedback.snippet.splitlines() if line.startswith(f"  {name}:"))
    # pasted into the starter contract, it validates
    data = yaml.safe_load(starter_contract_text())
    data.update(parsed)
    pasted = compile_text(yaml.safe_dump(data, sort_keys=False)).source
    assert pasted.icps["core"].criteria["employees"].between == (50, 1000)
    assert list(pasted.icps["core"].tiers) == ["A", "B", "C"]


def test_same_seed_same_snippet_other_seed_other_split(company: Store,
                                                       feedback: ScoringFeedback) -> None:
    again = scoring_feedback(company, STARTER, by="channel")
    assert again.snippet == feedback.snippet and again.as_dict() == feedback.as_dict()
    other = scoring_feedback(company, STARTER, seed=1, l2=feedback.l2)
    assert other.holdout_leads != feedback.holdout_leads
    assert other.leads == feedback.leads


def test_a_wrong_contract_gets_its_points_corrected(company: Store) -> None:
    data = yaml.safe_load(starter_contract_text())
    data["icps"]["core"]["criteria"]["industry"]["points"] = 0
    data["signals"]["demo_request"]["points"] = 2
    data["signals"]["email_click"]["points"] = 50
    wrong = compile_text(yaml.safe_dump(data, sort_keys=False))
    result = scoring_feedback(company, wrong)
    by_key = {f.key: f for f in result.features}
    assert by_key["core.industry"].proposed_points >= 20
    assert by_key["demo_request"].proposed_points >= 20
    assert by_key["email_click"].proposed_points <= 20
    assert "industry: {in: [software, fintech], points:" in result.snippet
    assert "# 0 → " in result.snippet


def test_calibration_bands_and_groups_add_up(feedback: ScoringFeedback) -> None:
    assert sum(b.leads for b in feedback.tier_bands) == feedback.leads
    assert sum(b.outcomes for b in feedback.score_bands) == feedback.outcomes
    assert sum(b.leads for b in feedback.proposed_bands) == feedback.holdout_leads
    assert [b.label for b in feedback.tier_bands] == ["A", "B", "C", "(none)"]
    # the top current decile converts several times better than the bottom one
    low, high = feedback.score_bands[0].rate, feedback.score_bands[-1].rate
    assert low is not None and high is not None and high > 3 * low
    assert sum(g.leads for g in feedback.groups) == feedback.holdout_leads
    channels = {g.value: g for g in feedback.groups}
    # the default planted effect: content syndication never gets past SQL
    assert channels["content_syndication"].outcomes == 0
    assert channels["content_syndication"].current is None


def test_won_leaves_out_open_opportunities(company: Store) -> None:
    result = scoring_feedback(company, STARTER, "won")
    # 71 training wins for 12 rules: fewer than 10 per rule
    assert "# Caution: 71 training outcomes for 12 rules" in result.snippet
    assert result.observed_until is not None
    last_created = result.observed_until - timedelta(days=30)
    depth = {d["lead_id"]: d["depth"]
             for d in lead_depth(company, STARTER).to_pyarrow().to_pylist()}
    created = {r["lead_id"]: r["created_at"]
               for r in company.table("leads").to_pyarrow().to_pylist()}
    open_leads = {o["lead_id"] for o in company.table("opportunities").to_pyarrow().to_pylist()
                  if o["status"] == "open"}
    old = {k for k, at in created.items() if at <= last_created}
    undecided = {k for k in old if k in open_leads and depth[k] < 5}
    assert result.excluded_recent == len(created) - len(old)
    assert result.excluded_undecided == len(undecided) > 0
    assert result.leads == len(old) - len(undecided)
    assert result.outcomes == sum(1 for k in old if depth[k] == 5)


def test_period_and_unknown_dimension(company: Store) -> None:
    q1 = scoring_feedback(company, STARTER, period=parse_period("2025-Q1"), l2=10.0)
    created = company.table("leads").created_at
    in_q1 = int(company.table("leads").filter((created >= datetime(2025, 1, 1))
                                              & (created < datetime(2025, 4, 1)))
                .count().execute())
    assert q1.leads == in_q1 and q1.excluded_recent == 0  # Q1 leads are all old enough
    with pytest.raises(UnknownDimensionError, match=r"did you mean 'channel'\?; known: "):
        scoring_feedback(company, STARTER, by="chanel")
    with pytest.raises(UnknownNameError, match=r"unknown outcome 'sql'.*known: opportunity"):
        scoring_feedback(company, STARTER, "sql")


# --- CLI wiring ---------------------------------------------------------------------------


def test_cli_feedback_json_snippet_and_errors(company: Store, tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(scoring_app, name="scoring")
    (tmp_path / "accord.yaml").write_text(starter_contract_text())
    url = company.url.removeprefix("duckdb:///")
    base = ["scoring", "feedback", "-w", str(tmp_path), "--store", url]
    runner = CliRunner()
    res = runner.invoke(root, [*base, "--json", "--by", "channel", "--l2", "100"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.stdout)
    assert data["outcome"] == "opportunity" and data["by"] == "channel" and data["l2"] == 100
    assert data["view"] == "actual" and data["view_label"].startswith("actual view")
    assert {a["score"] for a in data["auc"]} == {"fit", "engagement", "fit + engagement"}
    res = runner.invoke(root, [*base, "--snippet", "--l2", "100"])
    assert res.exit_code == 0 and set(yaml.safe_load(res.stdout)) == {"icps", "signals"}
    res = runner.invoke(root, [*base, "--l2", "100"])
    assert res.exit_code == 0 and "AUC for reaching opportunity" in res.stdout
    assert runner.invoke(root, [*base, "--by", "chanel"]).exit_code == 2
    assert runner.invoke(root, [*base, "--outcome", "sql"]).exit_code == 2
    help_text = runner.invoke(root, ["scoring", "feedback", "--help"]).stdout
    assert "accord scoring feedback --outcome won" in help_text



# --- docs/scoring-feedback.md -------------------------------------------------------------

DOC = Path(__file__).resolve().parents[2] / "docs" / "scoring-feedback.md"


def doc_blocks(lang: str) -> list[str]:
    return fenced_blocks(DOC, lang)


def test_doc_python_example_runs() -> None:
    (code,) = doc_blocks("python")
    exec(compile(code, str(DOC), "exec"), {})


def test_doc_command_lines_run(company: Store, tmp_path: Path) -> None:
    root = typer.Typer()
    root.add_typer(scoring_app, name="scoring")
    (tmp_path / "accord.yaml").write_text(starter_contract_text())
    url = company.url.removeprefix("duckdb:///")
    lines = [line.split("#")[0].split(">")[0].strip() for block in doc_blocks("")
             for line in block.splitlines() if line.startswith("accord scoring")]
    assert len(lines) == 4
    for line in lines:
        args = shlex.split(line)[1:]
        result = CliRunner().invoke(root, [*args, "-w", str(tmp_path), "--store", url,
                                           "--l2", "100"])
        assert result.exit_code == 0, (line, result.output)


def test_doc_snippet_is_a_valid_contract_section() -> None:
    (snippet,) = doc_blocks("yaml")
    parsed = yaml.safe_load(snippet)
    assert set(parsed["icps"]["core"]["criteria"]) == set(
        STARTER.source.icps["core"].criteria)
    assert set(parsed["signals"]) == set(STARTER.source.signals)
    data = yaml.safe_load(starter_contract_text())
    data.update(parsed)
    compile_text(yaml.safe_dump(data, sort_keys=False))
