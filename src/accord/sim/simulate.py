"""`simulate`: write a synthetic B2B company's year of facts, with planted effects.

Output folder:
- `<table>.parquet` (or `.csv`) for each of the ten fact tables of `accord.facts`,
  columns and Arrow types exactly as there (timestamps UTC, naive, microseconds);
- `effects_applied.yaml`: the seed, the arguments and every planted effect with its
  parameters (the ground truth an insight finder should recover), and under `retention`
  the planted churn, downsell, uplift and expansion of the customers (`renewals.py`);
- `_truth/` (ignored by the importer): `lead_accounts.parquet` (lead_id, true account_id),
  `duplicate_leads.parquet` (lead_id, duplicate_of) and `lead_latent.parquet` (fit, intent,
  first SDR, first-touch delay per lead).

Names come from the compiled contract (`contract`, the starter contract by default):
stage events carry the contract's name of each role's stage, touches its signals,
rejections its reason codes (`contract_terms.py`). The simulator imports nothing of the
store: the fact schema is `accord.facts`.

Deterministic: one `SeedSequence(seed)` is split into independent streams per component, so
the same seed and arguments give byte-identical files, and two runs that differ only in
effects share the company, the leads, the touches and the random numbers of each decision.
The renewals and expansions (`renewals.py`) draw from a stream of their own, the last one:
the opportunities table is the funnel's new-business rows, unchanged, followed by them.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import yaml

from accord import facts
from accord.contract.compiled import CompiledContract, starter_contract
from accord.contract.roles import StageRole
from accord.sim import arrow_columns as ac
from accord.sim import base_model as bm
from accord.sim import catalogue as cat
from accord.sim import text_columns as tc
from accord.sim.company import build_accounts, build_campaigns, build_team
from accord.sim.contract_terms import ContractTerms, terms_from
from accord.sim.effects import Effects, default_effects, load_effects
from accord.sim.funnel import ACTIVITY_KINDS, WON_REASONS, Funnel, run_funnel
from accord.sim.leads import Leads, build_leads
from accord.sim.period import make_period
from accord.sim.planting import plant_effects
from accord.sim.renewals import plant_customer_deals
from accord.sim.spend import build_spend
from accord.sim.touches import Touches, build_touches, mql_moments, touches_table

Format = Literal["parquet", "csv"]
ProgressHook = Callable[[str, int, int], None]
EffectsArg = Effects | None | Literal["default"] | Path

TRUTH_DIR = "_truth"
EFFECTS_FILE = "effects_applied.yaml"
STEPS: tuple[str, ...] = (
    "company", "leads", "touches", "funnel", "spend",
    *facts.FACT_TABLES, "ground truth",
)
_STREAMS = ("team", "accounts", "leads", "touches", "funnel", "spend", "renewals")


@dataclass(frozen=True)
class SimulationSummary:
    out: Path
    leads: int
    seed: int
    fmt: str
    start: date
    months: int
    rows: dict[str, int]
    effects: tuple[dict[str, Any], ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "out": str(self.out), "leads": self.leads, "seed": self.seed, "format": self.fmt,
            "start": self.start.isoformat(), "months": self.months, "rows": dict(self.rows),
            "effects": [dict(e) for e in self.effects],
        }


def _resolve_effects(effects: EffectsArg) -> tuple[Effects, str, str]:
    """(effects, mode for the ground-truth file, source name for error messages)."""
    if effects is None:
        return Effects(), "none", "effects"
    if isinstance(effects, str) and effects == "default":
        return default_effects(), "default", "accord/sim/default_effects.yaml"
    if isinstance(effects, Path):
        return load_effects(effects), f"file:{effects}", str(effects)
    return effects, "given", "effects"


def simulate(out: Path, leads: int = 20_000, seed: int = 7, effects: EffectsArg = "default",
             fmt: Format = "parquet", start: date = date(2025, 1, 1), months: int = 12,
             progress: ProgressHook | None = None, contract: CompiledContract | None = None
             ) -> SimulationSummary:
    """Simulate `leads` leads over `months` months from `start` and write them to `out`.

    `effects`: "default" (the shipped default set), None (plant nothing), an `Effects`
    value, or a path to an effects YAML file. `progress(step, done, total)` is called as
    each step finishes. `contract` is the compiled contract whose stages (by role),
    signals, reason codes, ICP, handoff thresholds and work day are used (the starter
    contract by default); one lacking a role the simulator drives raises
    `UnknownNameError` naming the role.
    """
    if leads < 1:
        raise ValueError("leads must be at least 1")
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"format must be parquet or csv, not {fmt!r}")
    chosen, mode, source = _resolve_effects(effects)
    terms = terms_from(contract if contract is not None else starter_contract())
    done = 0

    def step(name: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(name, done, len(STEPS))

    seqs = dict(zip(_STREAMS, np.random.SeedSequence(seed).spawn(len(_STREAMS)), strict=True))
    rngs = {k: np.random.default_rng(s) for k, s in seqs.items()}
    period = make_period(start, months)
    team = build_team(leads, period, rngs["team"])
    accounts = build_accounts(leads, team, period, rngs["accounts"])
    step("company")
    lead_frame = build_leads(leads, accounts, terms, period, rngs["leads"])
    planted = plant_effects(chosen, lead_frame, team, period, terms, source)
    step("leads")
    touches = build_touches(lead_frame, terms, period, rngs["touches"])
    mql_at = mql_moments(touches, lead_frame, terms)
    step("touches")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # The touch table is the largest; encode and write it on a second thread while the
    # funnel runs (NumPy and Arrow release the GIL). File contents do not depend on timing.
    pool = ThreadPoolExecutor(max_workers=1)
    touch_job = pool.submit(_write_table, touches_table, (touches, lead_frame, terms, period),
                            out / f"touches.{fmt}", fmt)
    funnel = run_funnel(lead_frame, accounts, team, terms, period, planted, mql_at,
                        seqs["funnel"])
    step("funnel")
    spend = build_spend(lead_frame, period, rngs["spend"])
    customers = plant_customer_deals(accounts, funnel.opportunities, period,
                                     _latest_fact_us(lead_frame, touches, funnel),
                                     rngs["renewals"])
    step("spend")

    rows: dict[str, int] = {}
    builders: dict[str, Callable[[], pa.Table]] = {
        "accounts": lambda: accounts.table,
        "leads": lambda: lead_frame.table,
        "activities": lambda: _activities_table(funnel, lead_frame, team.rep_ids),
        "stage_events": lambda: _stage_events_table(funnel, lead_frame, team.rep_ids, terms),
        "opportunities": lambda: pa.concat_tables([
            _opportunities_table(funnel, lead_frame, accounts.table, team.rep_ids, terms),
            customers.table]),
        "reps": lambda: team.table,
        "rep_availability": lambda: team.availability,
        "campaigns": lambda: build_campaigns(period),
        "spend": lambda: spend,
    }
    try:
        for name in facts.FACT_TABLES:
            if name == "touches":
                rows[name] = touch_job.result()
            else:
                table = builders[name]()
                _write(table, out / f"{name}.{fmt}", fmt)
                rows[name] = table.num_rows
                del table
            step(name)
    finally:
        pool.shutdown(wait=True)
    del touches

    applied = _applied_effects(planted.applied, funnel, team.rep_ids)
    _write_truth(out / TRUTH_DIR, lead_frame, accounts.table, funnel, team.rep_ids)
    meta = {
        "generator": "accord simulate",
        "seed": seed, "leads": leads, "format": fmt, "start": start.isoformat(),
        "months": months, "effects_mode": mode,
        "description": chosen.description,
        "effects": list(applied),
        "retention": customers.truth,
        "base_model": {**_base_model_summary(terms), "sdr_median_delay_business_minutes": {
            team.rep_ids[r]: round(float(m), 2)
            for r, m in zip(team.sdr, team.sdr_median_delay, strict=True)}},
        "rows": rows,
    }
    (out / EFFECTS_FILE).write_text(
        yaml.safe_dump(meta, sort_keys=False, allow_unicode=True), "utf-8")
    step("ground truth")
    return SimulationSummary(out, leads, seed, fmt, start, months, rows, tuple(applied))


def _write(table: pa.Table, path: Path, fmt: Format) -> None:
    if fmt == "parquet":
        # Dictionary-encode repeated values only; unique ids would just fall back.
        ids = {spec.id_column for spec in facts.FACT_TABLES.values()} | {"email"}
        dictionary = [f.name for f in table.schema
                      if f.type == pa.string() and f.name not in ids]
        pq.write_table(table, path, compression="zstd", use_dictionary=dictionary)
    else:
        pacsv.write_csv(table, path)


def _write_table(build: Callable[..., pa.Table], args: tuple[Any, ...], path: Path,
                 fmt: Format) -> int:
    table = build(*args)
    _write(table, path, fmt)
    return int(table.num_rows)


def _activities_table(funnel: Funnel, leads: Leads, rep_ids: tuple[str, ...]) -> pa.Table:
    a = funnel.activities
    n = len(a["lead"])
    return ac.fact_table(facts.ACTIVITIES, {
        "activity_id": tc.id_column("C", n),
        "lead_id": leads.lead_id.take(pa.array(a["lead"])),
        "rep_id": ac.strings_at(rep_ids, a["rep"]),
        "kind": ac.strings_at(ACTIVITY_KINDS, a["kind"]),
        "occurred_at": ac.timestamps(a["at"]),
    })


def _stage_events_table(funnel: Funnel, leads: Leads, rep_ids: tuple[str, ...],
                        terms: ContractTerms) -> pa.Table:
    e = funnel.events
    n = len(e["lead"])
    actors = ("marketing_automation", *rep_ids)
    return ac.fact_table(facts.STAGE_EVENTS, {
        "event_id": tc.id_column("E", n),
        "lead_id": leads.lead_id.take(pa.array(e["lead"])),
        "from_stage": ac.strings_at(terms.stage_names, e["from_stage"]),
        "to_stage": ac.strings_at(terms.stage_names, e["to_stage"]),
        "occurred_at": ac.timestamps(e["at"]),
        "actor": ac.strings_at(actors, e["actor"] + 1),
        "reason": ac.strings_at(terms.rejection_reasons, e["reason"]),
        "contract_version": ac.ints(np.full(n, terms.version)),
    })


def _opportunities_table(funnel: Funnel, leads: Leads, accounts: pa.Table,
                         rep_ids: tuple[str, ...], terms: ContractTerms) -> pa.Table:
    o = funnel.opportunities
    n = len(o["lead"])
    is_open = np.asarray(o["open"], dtype=bool)
    won = np.asarray(o["won"], dtype=bool)
    status = np.where(is_open, 0, np.where(won, 1, 2))
    close_labels = (*WON_REASONS, *terms.rejection_reasons)
    close_code = np.where(is_open, -1, np.asarray(o["close_code"], dtype=np.int64))
    return ac.fact_table(facts.OPPORTUNITIES, {
        "opportunity_id": tc.id_column("O", n),
        "lead_id": leads.lead_id.take(pa.array(o["lead"])),
        "account_id": accounts.column("account_id").combine_chunks().take(pa.array(o["account"])),
        "owner_rep_id": ac.strings_at(rep_ids, np.asarray(o["owner"], dtype=np.int64)),
        "created_at": ac.timestamps(np.asarray(o["created"], dtype=np.int64)),
        "amount": ac.floats(np.asarray(o["amount"], dtype=np.float64)),
        "status": ac.strings_at(("open", "won", "lost"), status),
        "closed_at": ac.timestamps(np.asarray(o["closed"], dtype=np.int64), is_open),
        "close_reason": ac.strings_at(close_labels, close_code),
        "source": ac.strings_at(("marketing", "sales", "partner"),
                                np.asarray(o["source"], dtype=np.int64)),
        "type": ac.strings_at(facts.OPPORTUNITY_TYPES, np.zeros(n, dtype=np.int64)),
        "prior_amount": ac.nulls(n, pa.float64()),
    })


def _latest_fact_us(leads: Leads, touches: Touches, funnel: Funnel) -> int:
    """The latest time among the leads, touches, stage events, activities and opportunity
    creations and closes: the store's "now" (`store/as_of.py`), which the renewals and
    expansions stay before."""
    o = funnel.opportunities
    closed = np.asarray(o["closed"], dtype=np.int64)[~np.asarray(o["open"], dtype=bool)]
    parts = [leads.created, touches.at, funnel.events["at"], funnel.activities["at"],
             np.asarray(o["created"], dtype=np.int64), closed]
    return max(int(p.max()) for p in parts if len(p))


def _write_truth(folder: Path, leads: Leads, accounts: pa.Table, funnel: Funnel,
                 rep_ids: tuple[str, ...]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    account_ids = accounts.column("account_id").combine_chunks()
    pq.write_table(pa.table({
        "lead_id": leads.lead_id,
        "account_id": account_ids.take(pa.array(leads.account)),
    }), folder / "lead_accounts.parquet")
    dup = np.flatnonzero(leads.duplicate_of >= 0)
    pq.write_table(pa.table({
        "lead_id": leads.lead_id.take(pa.array(dup)),
        "duplicate_of": leads.lead_id.take(pa.array(leads.duplicate_of[dup])),
    }), folder / "duplicate_leads.parquet")
    delay = funnel.first_delay_minutes
    pq.write_table(pa.table({
        "lead_id": leads.lead_id,
        "fit": ac.floats(leads.fit),
        "intent": ac.floats(leads.intent),
        "sdr_rep_id": ac.strings_at(rep_ids, funnel.first_sdr),
        "first_touch_delay_minutes": ac.floats(np.nan_to_num(delay), np.isnan(delay)),
        "first_touch_business_minutes": ac.floats(
            np.nan_to_num(funnel.first_delay_business_minutes),
            np.isnan(funnel.first_delay_business_minutes)),
    }), folder / "lead_latent.parquet")


def _applied_effects(applied: tuple[dict[str, Any], ...], funnel: Funnel,
                     rep_ids: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
    out = []
    for record in applied:
        rec = dict(record)
        if rec["kind"] == "slow_rep":
            rep = rep_ids.index(rec["rep_id"])
            rec["leads_affected"] = int((funnel.first_sdr == rep).sum())
        out.append(rec)
    return tuple(out)


def _base_model_summary(terms: ContractTerms) -> dict[str, Any]:
    """The base model's parameters, stages under the contract's names for their roles."""
    return {
        "speed_to_lead": {
            "knee_minutes": bm.SPEED_KNEE_MINUTES,
            "half_life_minutes": bm.SPEED_HALF_LIFE_MINUTES,
            "floor": bm.SPEED_FLOOR,
            "applies_to": terms.name(StageRole.QUALIFIED),
        },
        "fit_floor": {terms.name(r): v for r, v in bm.FIT_FLOOR.items()},
        "channel_quality": dict(bm.CHANNEL_QUALITY),
        "base_probabilities": {terms.name(r): v for r, v in bm.BASE_P.items()},
        "probability_cap": bm.P_CAP,
        "channels": list(cat.ACQUISITION_CHANNELS),
    }
