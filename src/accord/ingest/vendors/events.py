"""Stage events from a CRM's stage times: each lead's moves in time order, under the
contract's stage names, with the stage before each move."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import pyarrow as pa

from accord.contract.roles import StageRole
from accord.facts import STAGE_EVENTS
from accord.ingest.vendors.common import fact_table

_ORDER = {r.value: i for i, r in enumerate(StageRole)}


def stage_event_table(events: pd.DataFrame, names: Mapping[str, str], actor: str,
                      hint: str, notes: list[str]) -> pa.Table:
    """`events` has event_id, lead_id, role (a role value or None), occurred_at (UTC) and
    file. Moves into no role or into the lead role (every lead starts there, at its
    creation) are left out, as is a move into the stage the lead is already in; moves into
    a role the contract has no stage for are left out and counted in `notes`."""
    ev = events[events["role"].notna() & (events["role"] != StageRole.LEAD.value)
                & events["occurred_at"].notna()].copy()
    missing = ev[~ev["role"].isin(list(names))]
    for role, count in missing["role"].value_counts().sort_index().items():
        moves = "move" if count == 1 else "moves"
        notes.append(f"{count} {moves} into role {role!r} left out: the contract has no "
                     f"stage with `role: {role}` (add one to accord.yaml, or map the values "
                     f"to another role with {hint})")
    ev = ev[ev["role"].isin(list(names))].copy()
    ev["to_stage"] = ev["role"].map(dict(names))
    ev["order"] = ev["role"].map(_ORDER)
    ev = ev.sort_values(["lead_id", "occurred_at", "order", "event_id"], kind="stable")
    before = ev.groupby("lead_id", sort=False)["to_stage"].shift(1)
    ev = ev[before.isna() | (before != ev["to_stage"])]
    ev["from_stage"] = ev.groupby("lead_id", sort=False)["to_stage"].shift(1)
    ev = ev.drop_duplicates("event_id").reset_index(drop=True)
    return fact_table(STAGE_EVENTS, {
        "event_id": ev["event_id"], "lead_id": ev["lead_id"],
        "from_stage": ev["from_stage"].astype(object).where(ev["from_stage"].notna(), None),
        "to_stage": ev["to_stage"], "occurred_at": ev["occurred_at"],
        "actor": pd.Series([actor] * len(ev), dtype=object)}, len(ev))
