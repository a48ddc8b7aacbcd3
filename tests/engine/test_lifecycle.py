"""The lifecycle state machine: hand-worked stage histories, batch on every backend, the
live engine on the same facts, and the exact messages of refused moves.

Contract (below): ICP `core` gives 50 points for industry software (tier A at 50).
Signals: `a` 30 points, no decay; `b` 10 points, half-life 1 day; `demo` hand-raise 50.
MQL entry: fit >= 50 and (engagement >= 40 or signal('demo')).
Stages: the starter contract's (Lead, MQL, SAL, SQL, Opportunity, Customer, Nurture,
Disqualified) and its `next` lists. Lead creation T0 = Mon 2025-01-06 09:00 UTC.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from accord.contract.compiled import CompiledContract, compile_contract
from accord.contract.schema import Contract
from accord.engine.lead_frame import lead_profile, with_fit
from accord.engine.lifecycle import (
    IllegalTransitionError,
    Lifecycle,
    RejectionReasonError,
    could_hold,
    derive_stages,
)
from accord.engine.live import (
    Engine,
    LeadCreated,
    OpportunityClosed,
    OpportunityCreated,
    StageDecision,
    Touch,
)
from accord.facts import FACT_TABLES
from accord.store import Store

T0 = datetime(2025, 1, 6, 9, 0)
H = timedelta(hours=1)
D = timedelta(days=1)
AS_OF = T0 + 30 * D

STAGES: dict[str, Any] = {
    "Lead": {"owner": "marketing", "next": ["MQL", "Nurture", "Disqualified"]},
    "MQL": {"owner": "marketing",
            "entry": "fit >= 50 and (engagement >= 40 or signal('demo'))",
            "next": ["SAL", "Nurture", "Disqualified"]},
    "SAL": {"owner": "sdr", "entry": "accepted", "next": ["SQL", "Nurture", "Disqualified"]},
    "SQL": {"owner": "sdr", "next": ["Opportunity", "Nurture", "Disqualified"]},
    "Opportunity": {"owner": "ae", "next": ["Customer", "Nurture", "Disqualified"]},
    "Customer": {"owner": "ae"},
    "Nurture": {"owner": "marketing", "next": ["MQL", "Disqualified"]},
    "Disqualified": {"owner": "marketing"},
}


def make_contract(mql_entry: str | None = None) -> CompiledContract:
    stages = {k: dict(v) for k, v in STAGES.items()}
    if mql_entry is not None:
        stages["MQL"]["entry"] = mql_entry
    return compile_contract(Contract.model_validate({
        "version": 7,
        "effective": "2025-01-01",
        "owners": {"marketing": "VP Marketing", "sdr": "SDR Manager", "ae": "Head of AE"},
        "icps": {"core": {"criteria": {"industry": {"in": ["software"], "points": 50}},
                          "tiers": {"A": 50}}},
        "signals": {
            "a": {"intent": "high", "points": 30},
            "b": {"intent": "medium", "points": 10, "half_life_days": 1},
            "demo": {"intent": "hand_raise", "points": 50},
        },
        "stages": stages,
        "rejection_reasons": ["bad_fit", "timing"],
    }))


CONTRACT = make_contract()
LIFECYCLE = Lifecycle.from_contract(CONTRACT)


# --- facts ----------------------------------------------------------------------------------


class Facts:
    """Hand-made facts, written to a store or replayed live."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {n: [] for n in FACT_TABLES}
        self.events: list[Any] = []
        self.n = 0

    def _id(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n:04d}"

    def lead(self, lead_id: str, *, software: bool = True, at: datetime = T0) -> Facts:
        account = f"A-{lead_id}"
        self.rows["accounts"].append({"account_id": account, "name": account,
                                      "industry": "software" if software else "retail"})
        event = LeadCreated(lead_id, at, email=f"{lead_id}@example.com", channel="web",
                            account_id=account)
        self.rows["leads"].append(event.fact())
        self.events.append(event)
        return self

    def touch(self, lead_id: str, signal: str, at: datetime) -> Facts:
        event = Touch(self._id("T"), lead_id, signal, at)
        self.rows["touches"].append(event.fact())
        self.events.append(event)
        return self

    def stage(self, lead_id: str, to_stage: str, at: datetime, reason: str | None = None,
              *, live: bool = True) -> Facts:
        event = StageDecision(self._id("E"), lead_id, to_stage, at, "sdr_1", reason)
        self.rows["stage_events"].append({
            "event_id": event.event_id, "lead_id": lead_id, "from_stage": None,
            "to_stage": to_stage, "occurred_at": at, "actor": "sdr_1", "reason": reason,
            "contract_version": 7})
        if live:
            self.events.append(event)
        return self

    def opportunity(self, lead_id: str, created: datetime, status: str = "open",
                    closed: datetime | None = None) -> Facts:
        opp_id = self._id("O")
        self.rows["opportunities"].append({
            "opportunity_id": opp_id, "lead_id": lead_id, "created_at": created,
            "amount": 1000.0, "status": status, "closed_at": closed})
        self.events.append(OpportunityCreated(opp_id, lead_id, created))
        if closed is not None:
            self.events.append(OpportunityClosed(opp_id, lead_id, closed, status == "won"))
        return self

    def write(self, store: Store) -> None:
        batch = {}
        for name, rows in self.rows.items():
            if rows:
                schema = FACT_TABLES[name].arrow_schema()
                full = [{c: r.get(c) for c in schema.names} for r in rows]
                batch[name] = pa.Table.from_pylist(full, schema=schema)
        store.write_facts(batch)

    def live(self, contract: CompiledContract = CONTRACT) -> Engine:
        accounts = {r["account_id"]: r for r in self.rows["accounts"]}
        engine = Engine(contract, accounts=accounts, clock=lambda: AS_OF)
        for event in sorted(self.events, key=lambda e: (e.at, e.rank)):
            engine.handle(event)
        return engine


def batch_stages(store: Store, contract: CompiledContract = CONTRACT
                 ) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[Any, ...]]]]:
    model = contract.scoring
    lifecycle = Lifecycle.from_contract(contract)
    profile = with_fit(model, lead_profile(store, as_of=AS_OF, accounts="known"))
    tables = derive_stages(store, lifecycle, model, profile, AS_OF)
    stages = {r["lead_id"]: r for r in tables.stages.to_pyarrow().to_pylist()}
    history: dict[str, list[tuple[Any, ...]]] = {}
    for r in sorted(tables.history.to_pyarrow().to_pylist(),
                    key=lambda r: (r["lead_id"], r["seq"])):
        history.setdefault(r["lead_id"], []).append(
            (r["from_stage"], r["to_stage"], r["occurred_at"], r["source"], r["legal"]))
    return stages, history


# --- batch, hand-worked -----------------------------------------------------------------------


def test_full_journey_from_lead_to_customer(store: Store) -> None:
    facts = (Facts().lead("L1")
             .touch("L1", "a", T0 + H)  # 30 < 40, no demo: stays Lead
             .touch("L1", "b", T0 + D)  # 30 + 10 * 0.5^0 = 40 >= 40: MQL at T0+1d
             .stage("L1", "SAL", T0 + 2 * D)
             .stage("L1", "SQL", T0 + 3 * D)
             .opportunity("L1", T0 + 4 * D, "won", T0 + 10 * D))
    facts.write(store)
    stages, history = batch_stages(store)
    row = stages["L1"]
    assert (row["stage"], row["stage_owner"], row["entered_at"], row["handoff_at"],
            row["transitions"], row["off_contract"]) == (
        "Customer", "ae", T0 + 10 * D, T0 + D, 5, 0)
    assert history["L1"] == [
        (None, "Lead", T0, "created", True),
        ("Lead", "MQL", T0 + D, "criteria", True),
        ("MQL", "SAL", T0 + 2 * D, "stage_event", True),
        ("SAL", "SQL", T0 + 3 * D, "stage_event", True),
        ("SQL", "Opportunity", T0 + 4 * D, "opportunity", True),
        ("Opportunity", "Customer", T0 + 10 * D, "opportunity_won", True),
    ]


def test_decay_delays_mql_and_recycled_lead_requalifies(store: Store) -> None:
    facts = (Facts().lead("L2")
             .touch("L2", "b", T0)  # 10
             .touch("L2", "a", T0 + D)  # 10 * 0.5^1 + 30 = 35 < 40: no MQL
             .touch("L2", "demo", T0 + 2 * D)  # signal('demo'): MQL at T0+2d
             .stage("L2", "Nurture", T0 + 3 * D, "timing")
             .touch("L2", "b", T0 + 5 * D))  # demo flag still set: back to MQL at T0+5d
    facts.write(store)
    stages, history = batch_stages(store)
    row = stages["L2"]
    assert (row["stage"], row["entered_at"], row["handoff_at"], row["transitions"],
            row["off_contract"]) == ("MQL", T0 + 5 * D, T0 + 2 * D, 3, 0)
    assert [h[:3] for h in history["L2"]] == [
        (None, "Lead", T0), ("Lead", "MQL", T0 + 2 * D), ("MQL", "Nurture", T0 + 3 * D),
        ("Nurture", "MQL", T0 + 5 * D)]


def test_moves_the_contract_does_not_allow_apply_and_are_counted(store: Store) -> None:
    facts = (Facts()
             .lead("L3", software=False)  # fit 0: never MQL
             .touch("L3", "demo", T0 + H)
             .stage("L3", "SAL", T0 + 2 * D, live=False)  # Lead -> SAL: not in Lead.next
             .lead("L4")
             .touch("L4", "demo", T0 + H)  # MQL at T0+1h
             .stage("L4", "Disqualified", T0 + D, None, live=False))  # no reason code
    facts.write(store)
    stages, history = batch_stages(store)
    assert (stages["L3"]["stage"], stages["L3"]["off_contract"]) == ("SAL", 1)
    assert history["L3"][1] == ("Lead", "SAL", T0 + 2 * D, "stage_event", False)
    assert (stages["L4"]["stage"], stages["L4"]["off_contract"]) == ("Disqualified", 1)
    assert history["L4"][2] == ("MQL", "Disqualified", T0 + D, "stage_event", False)


def test_stage_events_into_derived_stages_are_not_read(store: Store) -> None:
    # MQL, Opportunity and Customer events in the facts (the actual view): the criteria
    # never qualify L5, and it has no opportunity
    facts = (Facts().lead("L5", software=False)
             .stage("L5", "MQL", T0 + D, live=False)
             .stage("L5", "Opportunity", T0 + 2 * D, live=False)
             .stage("L5", "Customer", T0 + 3 * D, live=False))
    facts.write(store)
    stages, _ = batch_stages(store)
    assert (stages["L5"]["stage"], stages["L5"]["transitions"]) == ("Lead", 0)


def test_lost_opportunity_stays_until_sales_recycles(store: Store) -> None:
    facts = (Facts().lead("L6")
             .touch("L6", "demo", T0)  # MQL at T0
             .stage("L6", "SAL", T0 + D)
             .stage("L6", "SQL", T0 + 2 * D)
             .opportunity("L6", T0 + 3 * D, "lost", T0 + 6 * D)  # lost: still Opportunity
             .lead("L7")
             .touch("L7", "demo", T0)
             .stage("L7", "SAL", T0 + D)
             .stage("L7", "SQL", T0 + 2 * D)
             .opportunity("L7", T0 + 3 * D, "lost", T0 + 6 * D)
             .stage("L7", "Nurture", T0 + 7 * D, "timing"))
    facts.write(store)
    stages, _ = batch_stages(store)
    assert (stages["L6"]["stage"], stages["L6"]["entered_at"]) == ("Opportunity",
                                                                   T0 + 3 * D)
    # L7: Nurture at T0+7d; no touch after it, so no new MQL
    assert (stages["L7"]["stage"], stages["L7"]["off_contract"]) == ("Nurture", 0)


def test_fit_only_rule_is_met_at_creation(store: Store) -> None:
    contract = make_contract("fit >= 50")
    Facts().lead("L8").lead("L9", software=False).write(store)
    stages, history = batch_stages(store, contract)
    assert (stages["L8"]["stage"], stages["L8"]["handoff_at"]) == ("MQL", T0)
    assert history["L8"][1] == ("Lead", "MQL", T0, "criteria", True)
    assert stages["L9"]["stage"] == "Lead"


def test_rejected_in_criteria_is_as_of_each_touch(store: Store) -> None:
    contract = make_contract("fit >= 50 and signal('demo') and not rejected")
    facts = (Facts().lead("L10")
             .touch("L10", "demo", T0)  # MQL at T0
             .stage("L10", "Nurture", T0 + D, "timing")  # rejected from here on
             .touch("L10", "a", T0 + 2 * D))  # criteria false now: stays Nurture
    facts.write(store)
    stages, _ = batch_stages(store, contract)
    assert (stages["L10"]["stage"], stages["L10"]["transitions"]) == ("Nurture", 2)


def test_decision_flags_in_monotone_criteria(store: Store) -> None:
    # `rejected` only grows, so these criteria are monotone: the batch bounds each lead's
    # MQL moment from the first time of `demo` and of the rejection before the window
    contract = make_contract("fit >= 50 and (signal('demo') or rejected)")
    facts = (Facts().lead("L11")
             .touch("L11", "a", T0 + H)  # no demo, not rejected: stays Lead
             .stage("L11", "Nurture", T0 + D, "timing")  # rejected from here on
             .touch("L11", "a", T0 + 2 * D)  # rejected: MQL at T0+2d
             .touch("L11", "demo", T0 + 3 * D))
    facts.write(store)
    stages, history = batch_stages(store, contract)
    assert [h[:3] for h in history["L11"]] == [
        (None, "Lead", T0), ("Lead", "Nurture", T0 + D), ("Nurture", "MQL", T0 + 2 * D)]
    assert stages["L11"]["stage"] == "MQL"
    live = facts.live(contract)
    assert [(e.from_stage, e.to_stage, e.occurred_at) for e in live.history("L11")] == [
        h[:3] for h in history["L11"]]


# --- live agrees with batch on the same facts -------------------------------------------------


def test_live_replay_gives_the_batch_history(store: Store) -> None:
    facts = (Facts().lead("L1")
             .touch("L1", "a", T0 + H).touch("L1", "b", T0 + D)
             .stage("L1", "SAL", T0 + 2 * D).stage("L1", "SQL", T0 + 3 * D)
             .opportunity("L1", T0 + 4 * D, "won", T0 + 10 * D)
             .lead("L2")
             .touch("L2", "b", T0).touch("L2", "a", T0 + D).touch("L2", "demo", T0 + 2 * D)
             .stage("L2", "Nurture", T0 + 3 * D, "timing").touch("L2", "b", T0 + 5 * D))
    facts.write(store)
    _, history = batch_stages(store)
    engine = facts.live()
    for lead_id in ("L1", "L2"):
        live = [(e.from_stage, e.to_stage, e.occurred_at) for e in engine.history(lead_id)]
        assert live == [h[:3] for h in history[lead_id]]
        # every recorded transition carries the contract version
        assert {e.contract_version for e in engine.history(lead_id)} == {7}


# --- refusals, exactly ------------------------------------------------------------------------


def test_illegal_move_names_stage_lead_and_allowed_next_stages() -> None:
    with pytest.raises(IllegalTransitionError) as err:
        LIFECYCLE.check_decision("L1", "MQL", "SQL", None, "stage event E9")
    assert str(err.value) == (
        "lead 'L1' (stage event E9) is in stage 'MQL' and cannot move to 'SQL'; "
        "allowed next stages: SAL, Nurture, Disqualified")
    with pytest.raises(IllegalTransitionError) as err:
        LIFECYCLE.check_decision("L1", "Customer", "Nurture", "timing")
    assert str(err.value) == (
        "lead 'L1' is in stage 'Customer' and cannot move to 'Nurture'; "
        "allowed next stages: none (it is a final stage)")


def test_rejection_needs_a_contract_reason_code() -> None:
    with pytest.raises(RejectionReasonError) as err:
        LIFECYCLE.check_decision("L1", "MQL", "Nurture", "too_busy", "stage event E3")
    assert str(err.value) == (
        "sending lead 'L1' (stage event E3) to 'Nurture' is a rejection and needs a reason "
        "code from rejection_reasons (bad_fit, timing); got unknown reason 'too_busy'")
    with pytest.raises(RejectionReasonError, match="got no reason"):
        LIFECYCLE.check_decision("L1", "MQL", "Disqualified", None)
    LIFECYCLE.check_decision("L1", "MQL", "Disqualified", "bad_fit")  # fine


def test_could_hold_prunes_only_leads_that_can_never_qualify(store: Store) -> None:
    node = CONTRACT.handoff_entry  # fit >= 50 and (engagement >= 40 or signal('demo'))
    assert node is not None
    Facts().lead("L1").lead("L2", software=False).write(store)
    model = CONTRACT.scoring
    profile = with_fit(model, lead_profile(store, accounts="known"))
    kept = profile.filter(could_hold(node, profile)).lead_id.to_pyarrow().to_pylist()
    assert kept == ["L1"]  # L2's fit 0 rules it out whatever it does later
