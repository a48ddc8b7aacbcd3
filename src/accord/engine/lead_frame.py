"""The lead frame: one wide row per lead with every name the criteria language reads.

Keys (`contract/criteria.py`, `column_key`) and where each comes from:

- `lead_id`, `account_id` and the lead fields `title`, `company`, `country`, `channel`,
  `campaign_id`, `landing_page`, `email`, `created_at` — the `leads` fact;
- `industry` and `employees` — lead fields of the criteria language that the `leads` fact
  does not carry: read from the lead's account;
- `account_<field>` for every account field (`accounts` fact) of the lead's account: the
  matched account (derived table `lead_accounts`, `engine/matching.py`) when the store has
  one, else the lead's own `account_id`;
- `fit_<icp>` per ICP, `fit`, `tier`, `icp` (`engine/scoring.py`);
- `engagement`, and per contract signal `signal_<x>` / `signal_count_<x>`, as of a time;
- `accepted` / `rejected`: a stage event into the accepted stage (SAL) / into a send-back
  stage (Nurture, Disqualified, a lost stage) at or before that time (`engine/lifecycle.py`).

Batch: `lead_profile` (facts only, time-independent) and `lead_frame` (profile + scores
as of a time) are Ibis expressions. Live: `profile_row` builds the same keys as a dict
from one lead and its account, and the live engine adds the scores.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, Final, Literal

import ibis
import ibis.expr.types as ir

from accord.contract.criteria import ACCOUNT_FIELDS
from accord.engine.lifecycle import Lifecycle
from accord.engine.scoring import (
    ScoringModel,
    engagement_by_lead,
    fit_columns,
    signal_count,
    signal_flag,
)
from accord.store.base import Store

__all__ = [
    "ACCOUNT_KEYS",
    "FROM_ACCOUNT",
    "LEAD_KEYS",
    "AccountSource",
    "lead_frame",
    "lead_profile",
    "profile_row",
]

#: Lead fields read from the `leads` fact, in frame order.
LEAD_KEYS: Final = ("title", "company", "country", "channel", "campaign_id", "landing_page",
                    "email", "created_at")
#: Lead fields of the criteria language that the `leads` fact lacks: taken from the account.
FROM_ACCOUNT: Final = ("industry", "employees")
#: Account fields, in `accounts` fact order (frame keys `account_<field>`).
ACCOUNT_KEYS: Final = ("name", "domain", "industry", "employees", "annual_revenue", "country",
                       "region", "segment", "abm_target", "owner_rep_id", "created_at")
assert set(ACCOUNT_KEYS) == ACCOUNT_FIELDS

AccountSource = Literal["matched", "known"]


def _has_derived(store: Store, name: str) -> bool:
    try:
        store.derived(name)
    except KeyError:
        return False
    return True


def lead_profile(store: Store, *, as_of: datetime | None = None,
                 accounts: AccountSource = "matched",
                 keys: Collection[str] | None = None) -> ibis.Table:
    """Leads (created at or before `as_of`) with their lead and account fields (batch).

    `accounts="matched"` uses derived `lead_accounts` when the store has it (a lead it
    does not list keeps its own `account_id`); `"known"` uses only `leads.account_id`.
    `keys` limits the columns to those (plus `lead_id`, `account_id`, `created_at`).
    """
    leads = store.table("leads")
    if as_of is not None:
        leads = leads.filter(leads.created_at <= ibis.literal(as_of, type="timestamp(6)"))
    account_id: ir.StringValue = leads.account_id
    if accounts == "matched" and _has_derived(store, "lead_accounts"):
        matched = store.derived("lead_accounts").select(
            lead_id="lead_id", matched_account_id="account_id")
        leads = leads.left_join(matched, "lead_id").drop("lead_id_right")
        account_id = ibis.coalesce(leads.matched_account_id, leads.account_id)
    base = leads.select("lead_id", *LEAD_KEYS, account_id=account_id)
    acc = store.table("accounts")
    acc = acc.select(account_key=acc.account_id,
                     **{f"account_{f}": acc[f] for f in ACCOUNT_KEYS})
    joined = base.left_join(acc, base.account_id == acc.account_key)
    cols: dict[str, ir.Value] = {"lead_id": joined.lead_id, "account_id": joined.account_id}
    for key in LEAD_KEYS:
        cols[key] = joined[key]
    for key in FROM_ACCOUNT:
        cols[key] = joined[f"account_{key}"]
    for f in ACCOUNT_KEYS:
        cols[f"account_{f}"] = joined[f"account_{f}"]
    if keys is not None:
        keep = set(keys) | {"lead_id", "account_id", "created_at"}
        cols = {k: v for k, v in cols.items() if k in keep}
    return joined.select(**cols)


def with_fit(model: ScoringModel, profile: ibis.Table) -> ibis.Table:
    """The profile plus `fit_<icp>`, `fit`, `tier` and `icp`."""
    return profile.mutate(**fit_columns(model, profile))


def lead_frame(store: Store, model: ScoringModel, lifecycle: Lifecycle, as_of: datetime, *,
               accounts: AccountSource = "matched") -> ibis.Table:
    """The whole frame as of `as_of` (batch): profile, fit, engagement, signals and the
    `accepted` / `rejected` flags, one row per lead created at or before `as_of`."""
    frame = with_fit(model, lead_profile(store, as_of=as_of, accounts=accounts))
    touches = store.table("touches")
    eng = engagement_by_lead(model, touches, as_of)
    frame = frame.left_join(eng, "lead_id").drop("lead_id_right")
    fills: dict[str, ir.Value] = {"engagement": frame.engagement.fill_null(0.0)}
    for name in model.signal_names:
        fills[signal_flag(name)] = frame[signal_flag(name)].fill_null(False)
        fills[signal_count(name)] = frame[signal_count(name)].fill_null(0)
    frame = frame.mutate(**fills)
    flags = _decision_flags(store, lifecycle, as_of)
    frame = frame.left_join(flags, "lead_id").drop("lead_id_right")
    return frame.mutate(accepted=frame.accepted.fill_null(False),
                        rejected=frame.rejected.fill_null(False))


def _decision_flags(store: Store, lifecycle: Lifecycle, as_of: datetime) -> ibis.Table:
    ev = store.table("stage_events")
    ev = ev.filter(ev.occurred_at <= ibis.literal(as_of, type="timestamp(6)"))
    never = ev.to_stage != ev.to_stage  # a column that is never true
    accepted = ev.to_stage == lifecycle.accepted if lifecycle.accepted else never
    rejected = ev.to_stage.isin(list(lifecycle.send_back)) if lifecycle.send_back else never
    return ev.group_by("lead_id").aggregate(accepted=accepted.fill_null(False).any(),
                                            rejected=rejected.fill_null(False).any())


def profile_row(lead: Mapping[str, Any], account: Mapping[str, Any] | None) -> dict[str, Any]:
    """The profile keys for one lead (live), from its `leads` fields and its account's
    `accounts` fields (None when it has none) — the same keys as `lead_profile`."""
    row: dict[str, Any] = {"lead_id": lead["lead_id"], "account_id": lead.get("account_id")}
    for key in LEAD_KEYS:
        row[key] = lead.get(key)
    account = account or {}
    for key in FROM_ACCOUNT:
        row[key] = account.get(key)
    for f in ACCOUNT_KEYS:
        row[f"account_{f}"] = account.get(f)
    return row
