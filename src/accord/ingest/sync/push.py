"""`accord sync push`: accord's decisions written to the CRM's contact and lead records.

The decisions come from the derived view (the tables `accord run` writes): the owner
(`assignments`), fit, engagement and tier (`scores`), the lifecycle stage (`stages`) and
the SLA due time and breach flag of the lead's latest clock (`sla_states`, the clock that
started last). A lead imported from a CRM export keeps the CRM's record id as its
`lead_id`, so that id is the record written; in Salesforce an id starting `003` is a
Contact, `00Q` a Lead. A lead whose id does not have the CRM's id shape (`RECORD_ID`:
an id of accord's own fact files, or of the other CRM) is counted, never sent.

Records go in batches — HubSpot `POST /crm/v3/objects/contacts/batch/update` (100
inputs `{id, properties}`), Salesforce `PATCH /services/data/vXX.X/composite/sobjects`
(200 records) — retried on 429 or 5xx after `Retry-After`. What was last pushed per
record is the store's table `accord_sync_pushed` (vendor, record id, the seven values,
when): a record whose values are all as last pushed is not sent, so a second push with
nothing changed sends nothing. Each batch sent records its values and an audit row
(`sync-push:<vendor>:…`) in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.instants import naive_utc, utc_now
from accord.ingest.sync import SyncError, no_usage_reports
from accord.ingest.sync.credentials import Credentials
from accord.ingest.sync.pull import SALESFORCE_API_VERSION
from accord.store.audit import write_audit
from accord.store.base import Store

__all__ = ["BATCH_SIZE", "DECISIONS", "PROPERTY_NAMES", "PUSHED_TABLE", "RECORD_ID",
           "PushPlan", "PushResult", "decision_table", "plan_push", "push"]

PUSHED_TABLE = "accord_sync_pushed"
#: The decisions pushed, in order (column names of `decision_table`).
DECISIONS = ("owner", "fit", "engagement", "tier", "stage", "sla_due_at", "sla_breached")
#: The CRM property (HubSpot) or field (Salesforce custom field) each decision goes to.
PROPERTY_NAMES: dict[str, dict[str, str]] = {
    "hubspot": {"owner": "accord_owner", "fit": "accord_fit_score",
                "engagement": "accord_engagement_score", "tier": "accord_tier",
                "stage": "accord_lifecycle_stage", "sla_due_at": "accord_sla_due_at",
                "sla_breached": "accord_sla_breached"},
    "salesforce": {"owner": "Accord_Owner__c", "fit": "Accord_Fit_Score__c",
                   "engagement": "Accord_Engagement_Score__c", "tier": "Accord_Tier__c",
                   "stage": "Accord_Lifecycle_Stage__c", "sla_due_at": "Accord_SLA_Due_At__c",
                   "sla_breached": "Accord_SLA_Breached__c"},
}
BATCH_SIZE = {"hubspot": 100, "salesforce": 200}
#: The shape of a record id in each CRM: a lead whose id has another shape did not come
#: from that CRM and is not sent (HubSpot: digits; Salesforce: a Lead `00Q` or Contact
#: `003` id of 15 or 18 letters and digits).
RECORD_ID = {"hubspot": r"^[0-9]+$",
             "salesforce": r"^00[3Q][0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?$"}


def decision_table(store: Store) -> pa.Table:
    """lead_id and the seven decisions as text (empty = none), sorted by lead_id, from
    the derived view. Engagement is rounded to 6 decimals, the due time to the second
    (ISO, UTC, `Z`)."""
    scores = store.derived("scores")
    owners = store.derived("assignments").select(a_lead="lead_id", owner="owner")
    stages = store.derived("stages").select(s_lead="lead_id", stage="stage")
    sla = store.derived("sla_states")
    latest = sla.mutate(n=ibis.row_number().over(
        group_by=sla.lead_id, order_by=[ibis.desc(sla.start_at), ibis.desc(sla.sla)]))
    latest = latest.filter(latest.n == 0).select(
        c_lead="lead_id", sla_due_at="due_at", sla_breached=latest.status == "breached")
    j = scores.left_join(owners, scores.lead_id == owners.a_lead)
    j = j.left_join(stages, j.lead_id == stages.s_lead)
    j = j.left_join(latest, j.lead_id == latest.c_lead)
    t = j.select("lead_id", "owner", "fit", "engagement", "tier", "stage", "sla_due_at",
                 "sla_breached").order_by("lead_id").to_pyarrow()
    due = pc.cast(pc.floor_temporal(t["sla_due_at"], unit="second"), pa.timestamp("s"))
    cols = {
        "lead_id": pc.cast(t["lead_id"], pa.string()),
        "owner": pc.cast(t["owner"], pa.string()),
        "fit": pc.cast(t["fit"], pa.string()),
        "engagement": pc.cast(pc.round(t["engagement"], 6), pa.string()),
        "tier": pc.cast(t["tier"], pa.string()),
        "stage": pc.cast(t["stage"], pa.string()),
        "sla_due_at": pc.binary_join_element_wise(
            pc.strftime(due, format="%Y-%m-%dT%H:%M:%S"), pa.scalar("Z"), ""),
        "sla_breached": pc.if_else(pc.is_null(t["sla_breached"]), None,
                                   pc.if_else(t["sla_breached"], "true", "false")),
    }
    return pa.table({k: pc.fill_null(v, "") for k, v in cols.items()})


def _ensure_pushed_table(store: Store) -> None:
    cols = ", ".join(f"{c} VARCHAR" for c in DECISIONS)
    with store.transaction() as cur:
        store.execute(cur, f"CREATE TABLE IF NOT EXISTS {PUSHED_TABLE} (vendor VARCHAR NOT "
                           f"NULL, record_id VARCHAR NOT NULL, {cols}, pushed_at TIMESTAMP, "
                           "PRIMARY KEY (vendor, record_id))")


def _last_pushed(store: Store, vendor: str) -> pd.DataFrame:
    t = store.con.table(PUSHED_TABLE)
    frame: pd.DataFrame = (t.filter(t.vendor == vendor).select("record_id", *DECISIONS)
                           .to_pyarrow().to_pandas())
    return frame


@dataclass(frozen=True)
class PushPlan:
    """The records whose values differ from what was last pushed: their id and every
    decision (`changes`: the decisions that differ, old → new)."""

    vendor: str
    records: list[dict[str, str]]
    changes: list[dict[str, tuple[str | None, str]]]
    unchanged: int
    other_ids: int = 0  # leads whose id is not this CRM's (RECORD_ID): never sent

    def as_dict(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "to_send": len(self.records),
                "unchanged": self.unchanged, "other_ids": self.other_ids,
                "records": [{"id": r["lead_id"],
                             "changes": {k: {"from": a, "to": b} for k, (a, b) in c.items()}}
                            for r, c in zip(self.records, self.changes, strict=True)]}


@dataclass(frozen=True)
class PushResult:
    vendor: str
    dry_run: bool
    plan: PushPlan
    sent: int = 0
    batches: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {**self.plan.as_dict(), "dry_run": self.dry_run, "sent": self.sent,
                "batches": self.batches, "failed": self.failed}


def plan_push(store: Store, vendor: str) -> PushPlan:
    """The records to send: the derived decisions compared with what was last pushed
    (all columns, vectorised); a record never pushed is sent whole."""
    _ensure_pushed_table(store)
    table = decision_table(store)
    ours = pc.match_substring_regex(table["lead_id"], RECORD_ID[vendor])
    now = table.filter(ours).to_pandas()
    before = _last_pushed(store, vendor).rename(columns={c: f"{c}_was" for c in DECISIONS})
    j = now.merge(before, how="left", left_on="lead_id", right_on="record_id")
    differs = pd.DataFrame({c: j[c].astype(object) != j[f"{c}_was"].astype(object)
                            for c in DECISIONS})
    changed = differs.any(axis=1)
    sent = j[changed]
    records = sent[["lead_id", *DECISIONS]].to_dict("records")
    changes = [{c: (None if pd.isna(row[f"{c}_was"]) else row[f"{c}_was"], row[c])
                for c in DECISIONS if d[c]}
               for row, d in zip(sent.to_dict("records"),
                                 differs[changed].to_dict("records"), strict=True)]
    return PushPlan(vendor, records, changes, int((~changed).sum()),
                    table.num_rows - len(now))


def _payload(vendor: str, batch: list[dict[str, str]], api_version: str
             ) -> tuple[str, str, dict[str, Any]]:
    names = PROPERTY_NAMES[vendor]
    if vendor == "hubspot":
        return "POST", "crm/v3/objects/contacts/batch/update", {"inputs": [
            {"id": r["lead_id"], "properties": {names[c]: r[c] for c in DECISIONS}}
            for r in batch]}
    records = []
    for r in batch:
        values: dict[str, Any] = {names[c]: (r[c] or None) for c in DECISIONS}
        values[names["sla_breached"]] = r["sla_breached"] == "true"
        values[names["fit"]] = int(r["fit"]) if r["fit"] else None
        values[names["engagement"]] = float(r["engagement"]) if r["engagement"] else None
        kind = "Contact" if r["lead_id"].startswith("003") else "Lead"
        records.append({"attributes": {"type": kind}, "id": r["lead_id"], **values})
    return ("PATCH", f"services/data/{api_version}/composite/sobjects",
            {"allOrNone": False, "records": records})


def _failures(vendor: str, batch: list[dict[str, str]], response: Any) -> list[dict[str, str]]:
    """The records a batch response reports as not written (id, message)."""
    body = response.json() if response.content else {}
    if vendor == "hubspot":
        out = []
        for err in (body.get("errors") or []) if isinstance(body, dict) else []:
            ids = (err.get("context") or {}).get("ids") or [""]
            out += [{"id": str(i), "error": str(err.get("message", ""))} for i in ids]
        return out
    return [{"id": str(r.get("id") or b["lead_id"]),
             "error": "; ".join(str(e.get("message", "")) for e in r.get("errors") or [])}
            for r, b in zip(body if isinstance(body, list) else [], batch, strict=False)
            if not r.get("success", False)]


def push(store: Store, vendor: str, credentials: Credentials | None, *,
         dry_run: bool = False, api_version: str = SALESFORCE_API_VERSION,
         who: tuple[str, str] | None = None,
         progress: Callable[[str], None] | None = None) -> PushResult:
    """Send the planned records in batches (module docstring); `dry_run` sends nothing
    and writes nothing. A batch the CRM refuses whole raises `SyncError` (batches sent
    before it stay recorded); records a batch reports as failed are listed and not
    recorded, so the next push sends them again."""
    plan = plan_push(store, vendor)
    if dry_run:
        return PushResult(vendor, True, plan)
    if credentials is None:
        raise SyncError(f"{vendor}: no credentials to push with")
    store.ensure_service_tables()
    no_usage_reports()
    from dlt.sources.helpers.requests import Client

    session = Client(request_max_attempts=5, request_backoff_factor=1, request_max_retry_delay=30,
                     raise_for_status=False).session
    headers = {"Authorization": f"Bearer {credentials.token.reveal()}",
               "Content-Type": "application/json"}
    size = BATCH_SIZE[vendor]
    sent, batches, failed = 0, 0, []
    for start in range(0, len(plan.records), size):
        batch = plan.records[start:start + size]
        method, path, body = _payload(vendor, batch, api_version)
        if progress:
            progress(f"{vendor}: sending {len(batch)} record(s)")
        response = session.request(method, f"{credentials.base_url}/{path}", json=body,
                                   headers=headers, timeout=60)
        if response.status_code >= 400 and response.status_code != 207:
            raise SyncError(f"{vendor}: batch of {len(batch)} record(s) from "
                            f"{batch[0]['lead_id']} refused (HTTP {response.status_code}); "
                            f"{sent} record(s) sent before it are recorded")
        bad = _failures(vendor, batch, response)
        bad_ids = {b["id"] for b in bad}
        good = [r for r in batch if r["lead_id"] not in bad_ids]
        _record(store, vendor, good, f"sync-push:{vendor}:{batches + 1}:{len(good)}:"
                                     f"{batch[0]['lead_id']}", who)
        sent += len(good)
        batches += 1
        failed += bad
    if batches == 0:
        with store.transaction() as cur:
            write_audit(store, cur, f"sync-push:{vendor}:nothing-to-send", who)
    return PushResult(vendor, False, plan, sent, batches, failed)


def _record(store: Store, vendor: str, rows: list[dict[str, str]], write_id: str,
            who: tuple[str, str] | None) -> None:
    """What was pushed for `rows`, and the audit row, in one transaction."""
    now = naive_utc(utc_now())
    with store.transaction() as cur:
        if rows:
            ids = [r["lead_id"] for r in rows]
            store.execute(cur, f"DELETE FROM {PUSHED_TABLE} WHERE vendor = %s AND record_id "
                               f"IN ({', '.join(['%s'] * len(ids))})", (vendor, *ids))
            one = f"({', '.join(['%s'] * (len(DECISIONS) + 3))})"
            store.execute(cur, f"INSERT INTO {PUSHED_TABLE} (vendor, record_id, "
                               f"{', '.join(DECISIONS)}, pushed_at) VALUES "
                               f"{', '.join([one] * len(rows))}",
                          tuple(v for r in rows
                                for v in (vendor, r["lead_id"], *(r[c] for c in DECISIONS),
                                          now)))
        write_audit(store, cur, write_id, who)
