"""The simulator speaks the compiled contract: its stage names by role, its signals, ICP,
handoff thresholds and work day; and it never touches the store."""

from __future__ import annotations

import io
import re
import subprocess
import sys
import tokenize
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
import yaml
from simulated_run import Run

from accord.contract.compiled import compile_text, starter_contract
from accord.contract.criteria import lower_bounds, parse_criteria
from accord.contract.roles import StageRole
from accord.errors import AccordError, UnknownNameError
from accord.sim import parse_effects, simulate
from accord.sim.contract_terms import ContractTermsError, terms_from
from accord.sim.work_hours import add_business_minutes
from accord.workspace import starter_contract_text

SIM_DIR = Path(__file__).resolve().parents[2] / "src" / "accord" / "sim"
# A real CRM's names for the starter's stages (the starter name each replaces).
CRM_NAMES = {"MQL": "Marketing Qualified Lead", "SAL": "Sales Accepted Lead",
             "SQL": "Sales Qualified Lead", "Customer": "Closed Won"}


def crm_contract_text() -> str:
    """The starter with its stages renamed wherever they are referred to, and a
    `Closed Lost` stage (role lost, owner ae) reachable from Opportunity."""
    text = starter_contract_text()
    for old, new in CRM_NAMES.items():
        text = re.sub(rf"(?m)^  {old}:$", f"  {new}:", text)  # the stage's key
        text = re.sub(rf"(?<=[\[ ]){old}(?=[,\]\n])", new, text)  # next lists, start: …
    text = text.replace("next: [Closed Won, Nurture, Disqualified]",
                        "next: [Closed Won, Nurture, Disqualified, Closed Lost]")
    text = text.replace("  Nurture:\n", "  Closed Lost:\n    owner: ae\n    role: lost\n"
                                        "    next: [Nurture, Disqualified]\n  Nurture:\n", 1)
    assert "  MQL:" not in text and "  Sales Qualified Lead:" in text
    return text


def _starter_with(old: str, new: str) -> str:
    text = starter_contract_text()
    assert old in text, old
    return text.replace(old, new)


# --- the renamed contract ---------------------------------------------------------------

@pytest.fixture(scope="module")
def starter_and_crm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("renamed")
    simulate(root / "starter", leads=2500, seed=9)
    simulate(root / "crm", leads=2500, seed=9, contract=compile_text(crm_contract_text()))
    return root / "starter", root / "crm"


def test_renamed_contract_compiles_to_the_same_roles() -> None:
    crm = compile_text(crm_contract_text()).stages
    assert dict(crm.by_role) == {
        StageRole.LEAD: "Lead", StageRole.HANDOFF: "Marketing Qualified Lead",
        StageRole.ACCEPTED: "Sales Accepted Lead", StageRole.QUALIFIED: "Sales Qualified Lead",
        StageRole.OPPORTUNITY: "Opportunity", StageRole.WON: "Closed Won",
        StageRole.LOST: "Closed Lost", StageRole.RECYCLED: "Nurture",
        StageRole.DISQUALIFIED: "Disqualified"}


def test_renamed_contract_gives_the_same_stage_events_under_its_own_names(
        starter_and_crm: tuple[Path, Path]) -> None:
    starter_dir, crm_dir = starter_and_crm
    starter = pq.read_table(starter_dir / "stage_events.parquet")
    crm = pq.read_table(crm_dir / "stage_events.parquet")
    names = set(pc.unique(crm.column("to_stage")).to_pylist())
    assert names == {"Marketing Qualified Lead", "Sales Accepted Lead", "Sales Qualified Lead",
                     "Opportunity", "Closed Won", "Nurture", "Disqualified"}
    back = {new: old for old, new in CRM_NAMES.items()}
    for column in ("from_stage", "to_stage"):
        mapped = [back.get(v, v) for v in crm.column(column).to_pylist()]
        assert mapped == starter.column(column).to_pylist(), column
    rest = [c for c in starter.column_names if c not in ("from_stage", "to_stage")]
    assert crm.select(rest).equals(starter.select(rest))


def test_renamed_contract_leaves_every_other_file_byte_for_byte_equal(
        starter_and_crm: tuple[Path, Path]) -> None:
    starter_dir, crm_dir = starter_and_crm
    files = sorted(p.relative_to(starter_dir) for p in starter_dir.rglob("*.parquet"))
    assert len(files) == 13  # ten fact tables and three truth files
    for f in files:
        if f.name != "stage_events.parquet":
            assert (crm_dir / f).read_bytes() == (starter_dir / f).read_bytes(), f


def test_renamed_contracts_ground_truth_uses_its_names(
        starter_and_crm: tuple[Path, Path]) -> None:
    starter_dir, crm_dir = starter_and_crm
    crm = (crm_dir / "effects_applied.yaml").read_text()
    meta = yaml.safe_load(crm)
    assert meta["effects"][0]["stage"] == "Sales Qualified Lead"
    assert meta["effects"][1]["never_past"] == "Sales Qualified Lead"
    assert set(meta["base_model"]["base_probabilities"]) == {
        "Sales Accepted Lead", "Sales Qualified Lead", "Opportunity", "Closed Won"}
    for old, new in CRM_NAMES.items():
        crm = crm.replace(f"'{new}'", old).replace(new, old)
    assert crm == (starter_dir / "effects_applied.yaml").read_text()


def test_starter_is_the_default_contract(tmp_path: Path) -> None:
    simulate(tmp_path / "default", leads=400, seed=2)
    simulate(tmp_path / "given", leads=400, seed=2, contract=starter_contract())
    for f in sorted((tmp_path / "default").rglob("*")):
        if f.is_file():
            assert (tmp_path / "given" / f.relative_to(tmp_path / "default")).read_bytes() \
                == f.read_bytes(), f


# --- what the simulator refuses ---------------------------------------------------------

def test_contract_without_a_won_stage_is_refused_naming_the_role(tmp_path: Path) -> None:
    contract = compile_text(starter_contract_text().replace("Customer", "Paying"))
    with pytest.raises(UnknownNameError) as info:
        simulate(tmp_path, leads=200, seed=1, contract=contract)
    assert isinstance(info.value, AccordError)
    assert "'won'" in str(info.value) and "role: won" in str(info.value)


def test_contract_without_a_recycled_stage_is_refused_naming_the_role() -> None:
    text = starter_contract_text().replace("Nurture", "Later")
    with pytest.raises(UnknownNameError, match="role: recycled"):
        terms_from(compile_text(text))


def test_move_the_contract_does_not_allow_is_refused_naming_it() -> None:
    text = _starter_with("next: [Opportunity, Nurture, Disqualified]",
                         "next: [Opportunity, Disqualified]")
    with pytest.raises(ContractTermsError) as info:
        terms_from(compile_text(text))
    assert "'SQL' (qualified) to 'Nurture' (recycled)" in str(info.value)


def test_icp_field_the_simulator_cannot_score_is_refused(tmp_path: Path) -> None:
    text = _starter_with("      title: {contains_any: [vp, head, director, chief], points: 20}",
                         "      channel: {in: [webinar], points: 20}")
    with pytest.raises(ContractTermsError, match="`channel`"):
        simulate(tmp_path, leads=200, seed=1, contract=compile_text(text))


# --- terms read from the compiled contract ----------------------------------------------

def test_lower_bounds_read_thresholds_from_the_parsed_tree() -> None:
    tree = parse_criteria("fit >= 45 and (engagement >= 40 or signal('demo_request'))")
    assert lower_bounds(tree, "fit") == (45.0,)
    assert lower_bounds(tree, "engagement") == (40.0,)
    assert lower_bounds(tree, "tier") == ()
    # written the other way round, strict, and under `not` (an upper bound: ignored)
    tree = parse_criteria("60 <= fit and engagement > 12.5 and not fit >= 90")
    assert lower_bounds(tree, "fit") == (60.0,)
    assert lower_bounds(tree, "engagement") == (12.5,)
    assert lower_bounds(parse_criteria("account.employees >= 50"), "account_employees") == (
        50.0,)


def test_handoff_thresholds_come_from_the_handoff_entry() -> None:
    starter = terms_from(starter_contract())
    assert (starter.mql_min_fit, starter.mql_min_engagement) == (45.0, 40.0)
    text = _starter_with("fit >= 45 and (engagement >= 40", "fit >= 65 and (engagement >= 30")
    changed = terms_from(compile_text(text))
    assert (changed.mql_min_fit, changed.mql_min_engagement) == (65.0, 30.0)


def test_mqls_meet_the_contracts_fit_threshold(tmp_path: Path) -> None:
    text = _starter_with("fit >= 45 and", "fit >= 70 and")
    simulate(tmp_path, leads=3000, seed=4, contract=compile_text(text))
    run = Run(tmp_path)
    fits = run.rows("select t.fit from stage_events e join truth_lead_latent t using (lead_id) "
                    "where e.to_stage = 'MQL'")
    assert fits and min(f for (f,) in fits) >= 70


def test_fit_is_scored_with_every_icp_operator(tmp_path: Path) -> None:
    text = _starter_with(
        """      industry: {in: [software, fintech], points: 30}
      employees: {between: [50, 1000], points: 30}
      country: {in: [US, CA, GB, DE, FR, NL], points: 20}
      title: {contains_any: [vp, head, director, chief], points: 20}""",
        """      industry: {eq: fintech, points: 40}
      employees: {gte: 1000, points: 30}
      country: {not_in: [US], points: 20}""")
    simulate(tmp_path, leads=1500, seed=6, effects=None, contract=compile_text(text))
    run = Run(tmp_path)
    wrong = run.one("""
        select count(*) from truth_lead_latent t join leads l using (lead_id)
        join truth_lead_accounts ta using (lead_id) join accounts a
          on a.account_id = ta.account_id
        where t.fit <> (case when a.industry = 'fintech' then 40 else 0 end)
                     + (case when a.employees >= 1000 then 30 else 0 end)
                     + (case when l.country <> 'US' then 20 else 0 end)""")
    assert wrong == 0
    fits = {f for (f,) in run.rows("select distinct fit from truth_lead_latent")}
    assert {0.0, 20.0, 40.0, 60.0} <= fits <= {0.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 90.0}


def test_signals_come_from_the_contract(tmp_path: Path) -> None:
    text = _starter_with("  email_click:      {intent: low, points: 2, half_life_days: 7}",
                         "  email_click:      {intent: low, points: 2, half_life_days: 7}\n"
                         "  podcast_listen:   {intent: low, points: 1, half_life_days: 7}")
    simulate(tmp_path, leads=1000, seed=2, contract=compile_text(text))
    seen = {r[0] for r in Run(tmp_path).rows("select distinct signal from touches")}
    assert "podcast_listen" in seen
    assert seen <= set(compile_text(text).scoring.signal_names)


def test_work_day_comes_from_the_contract_calendar() -> None:
    text = _starter_with('  hours: "09:00-18:00"\n  days: [mon, tue, wed, thu, fri]',
                         '  hours: "08:00-16:30"\n  days: [mon, tue, wed, thu]')
    terms = terms_from(compile_text(text))
    assert (terms.work_start_minute, terms.work_end_minute, terms.weekmask) == (
        480, 990, "1111000")
    # A New York rep (UTC-5): Thursday 16:00 local + 45 working minutes = 30 minutes
    # before closing, then 15 minutes on Monday (Friday is off) = Mon 08:15 local.
    start = np.array([np.datetime64("2025-01-09T21:00", "us").astype(np.int64)])
    got = add_business_minutes(start, np.array([5]), np.array([45.0]), terms)
    assert got[0] == np.datetime64("2025-01-13T13:15", "us").astype(np.int64)


# --- effects files speak roles ----------------------------------------------------------

@pytest.mark.parametrize("written", ["SQL", "qualified", "Sales Qualified Lead", "sql",
                                     " Qualified "])
def test_effect_stage_is_a_role_or_a_well_known_name(written: str) -> None:
    effects = parse_effects(f"- {{kind: campaign_conversion, campaign: c, stage: '{written}', "
                            "multiplier: 2}")
    assert effects.effects[0].stage is StageRole.QUALIFIED  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "field"), [
    ("- {kind: campaign_conversion, campaign: c, stage: MQL, multiplier: 2}",
     "effects.0.campaign_conversion.stage"),
    ("- {kind: campaign_conversion, campaign: c, stage: Discovery, multiplier: 2}",
     "effects.0.campaign_conversion.stage"),
    ("- {kind: channel_ceiling, channel: webinar, never_past: won}",
     "effects.0.channel_ceiling.never_past"),
])
def test_effect_stage_outside_its_roles_is_refused(text: str, field: str) -> None:
    from accord.sim import EffectsFileError

    with pytest.raises(EffectsFileError) as info:
        parse_effects(text, "e.yaml")
    assert info.value.field == field
    assert "qualified (SQL)" in str(info.value) and "opportunity (Opportunity)" in str(
        info.value)


# --- the ladder: no store ---------------------------------------------------------------

def test_simulator_imports_nothing_of_the_store(tmp_path: Path) -> None:
    code = (
        "import sys, pathlib\n"
        "import accord.sim, accord.sim.simulate, accord.sim.contract_terms\n"
        "from accord.sim import simulate\n"
        f"simulate(pathlib.Path({str(tmp_path)!r}), leads=150, seed=1)\n"
        "bad = sorted(m for m in sys.modules if m == 'accord.store' "
        "or m.startswith('accord.store.') or m.startswith('accord.engine') "
        "or m.startswith('accord.analytics') or m.startswith('accord.cli'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "leads.parquet").exists()


def _string_literals(path: Path) -> list[str]:
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text("utf-8")).readline)
    out = []
    for tok in tokens:
        if tok.type == tokenize.STRING:
            out.append(tok.string.strip("'\"rbfu"))
    return out


def test_no_stage_name_is_written_in_the_simulators_code() -> None:
    names = {"MQL", "SAL", "SQL", "Opportunity", "Customer", "Won", "Lead", "Nurture",
             "Disqualified", "Lost"}
    files = sorted(SIM_DIR.glob("*.py"))
    assert len(files) > 10
    found = {f.name: [s for s in _string_literals(f) if s in names] for f in files}
    assert {k: v for k, v in found.items() if v} == {}
    imports = {f.name for f in files if "accord.store" in f.read_text("utf-8")}
    assert imports == set()
