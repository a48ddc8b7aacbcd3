"""`accord sync pull`: an incremental pull of a CRM's objects into vendor-shaped export
files, the files `accord import DIR --format hubspot|salesforce` reads.

Paging, the saved cursor and retries are dlt's (`dlt.sources.rest_api`), not accord's:

- HubSpot: `POST /crm/v3/objects/{contacts|companies|deals}/search`, filtered on
  `hs_lastmodifieddate >= cursor` and sorted by it, paged by `paging.next.after` in the
  response sent back as `after` in the next request's body;
- Salesforce: `GET /services/data/vXX.X/query?q=SOQL` with
  `WHERE SystemModstamp >= cursor ORDER BY SystemModstamp`, paged by `nextRecordsUrl`.

A 429 (or a 5xx) is retried after the response's `Retry-After` (else an exponential
wait), up to five attempts. The cursor of each object is dlt's pipeline state, kept in
`DIR/.accord-sync/accord_<vendor>/` (no copy of the records stays there): the next pull
asks only for records modified since the latest one seen (a record at the cursor itself
is asked again and merged, never lost).

Each object is one CSV in DIR (`contacts.csv`, `Lead.csv`, …) with the vendor's own
field names (HubSpot internal property names with `hs_object_id` first; Salesforce API
names with `Id` first), merged over the file a previous pull left: the latest version of
each record wins; rows are sorted by id, so the same records give the same bytes. An
object that never returned a record gets no file. Salesforce's history objects
(`LeadHistory`, `OpportunityHistory`), `User`, the activities (`Task`, `Event`) and
the campaigns (`Campaign`, `CampaignMember`) are pulled too (LeadHistory's cursor is
its `CreatedDate`: history rows are only ever created).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from accord.errors import UsageError
from accord.ingest.sync import SyncError, no_usage_reports
from accord.ingest.sync.credentials import Credentials

__all__ = ["HUBSPOT_OBJECTS", "SALESFORCE_API_VERSION", "SALESFORCE_OBJECTS", "STATE_DIR",
           "ObjectPull", "PullResult", "pull"]

#: Folder inside DIR holding the cursors (dlt's pipeline state).
STATE_DIR = ".accord-sync"
SALESFORCE_API_VERSION = "v60.0"
_PAGE = {"hubspot": 100, "salesforce": 2000}

#: HubSpot object → the properties asked for (internal names), cursor property last.
HUBSPOT_OBJECTS: dict[str, tuple[str, ...]] = {
    "contacts": ("email", "firstname", "lastname", "company", "jobtitle", "phone",
                 "lifecyclestage", "hs_lead_status", "hubspot_owner_id",
                 "associatedcompanyid", "hs_analytics_source", "country", "industry",
                 "numemployees", "annualrevenue", "createdate",
                 *(f"hs_lifecyclestage_{stage}_date" for stage in (
                     "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead",
                     "opportunity", "customer", "evangelist", "other")),
                 "hs_lastmodifieddate"),
    "companies": ("name", "domain", "website", "industry", "numberofemployees", "annualrevenue",
                  "country", "hubspot_owner_id", "createdate",
                  "hs_lastmodifieddate"),
    "deals": ("dealname", "amount", "dealstage", "pipeline", "closedate", "dealtype",
              "hubspot_owner_id", "createdate", "hs_lastmodifieddate"),
}

#: Salesforce object → the fields selected (API names), `Id` first, cursor last.
SALESFORCE_OBJECTS: dict[str, tuple[str, ...]] = {
    "Lead": ("Id", "FirstName", "LastName", "Email", "Company", "Title", "Status",
             "LeadSource", "OwnerId", "Industry", "NumberOfEmployees", "AnnualRevenue",
             "Country", "IsConverted", "ConvertedDate", "ConvertedAccountId",
             "ConvertedContactId", "ConvertedOpportunityId", "CreatedDate",
             "SystemModstamp"),
    "Contact": ("Id", "FirstName", "LastName", "Email", "Title", "AccountId", "OwnerId",
                "LeadSource", "MailingCountry", "CreatedDate", "SystemModstamp"),
    "Account": ("Id", "Name", "Website", "Industry", "NumberOfEmployees", "AnnualRevenue",
                "BillingCountry", "OwnerId", "CreatedDate", "SystemModstamp"),
    "Opportunity": ("Id", "Name", "AccountId", "Amount", "StageName", "CloseDate", "Type",
                    "IsClosed", "IsWon", "LeadSource", "OwnerId", "CreatedDate",
                    "SystemModstamp"),
    "OpportunityHistory": ("Id", "OpportunityId", "StageName", "Amount", "CloseDate",
                           "CreatedDate", "SystemModstamp"),
    "LeadHistory": ("Id", "LeadId", "Field", "OldValue", "NewValue", "CreatedDate"),
    "User": ("Id", "Username", "Name", "Email", "Title", "IsActive", "ManagerId",
             "Division", "CreatedDate", "SystemModstamp"),
    "Task": ("Id", "WhoId", "OwnerId", "Subject", "Type", "TaskSubtype", "Status",
             "CompletedDateTime", "CreatedDate", "SystemModstamp"),
    "Event": ("Id", "WhoId", "OwnerId", "Subject", "Type", "StartDateTime",
              "ActivityDateTime", "CreatedDate", "SystemModstamp"),
    "Campaign": ("Id", "Name", "Type", "Status", "StartDate", "EndDate", "NumberOfLeads",
                 "CreatedDate", "SystemModstamp"),
    "CampaignMember": ("Id", "CampaignId", "LeadId", "ContactId", "HasResponded", "Status",
                       "CreatedDate", "SystemModstamp"),
}
#: The field a Salesforce object's cursor is on (SystemModstamp unless listed here:
#: history rows are never modified, only created).
SALESFORCE_CURSOR: dict[str, str] = {"LeadHistory": "CreatedDate"}

_ID = {"hubspot": "hs_object_id", "salesforce": "Id"}


@dataclass(frozen=True)
class ObjectPull:
    """One object's pull: records received, the file, its rows after the merge."""

    name: str
    received: int
    file: str | None  # None: no record ever came, no file
    rows: int
    cursor: str | None


@dataclass(frozen=True)
class PullResult:
    vendor: str
    out: str
    state: str
    objects: tuple[ObjectPull, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"vendor": self.vendor, "out": self.out, "state": self.state,
                "objects": [o.__dict__ for o in self.objects]}


def _since_value(vendor: str, since: datetime | None) -> str:
    """The first pull's cursor in the vendor's own timestamp format (naive = UTC)."""
    at = since or datetime(1970, 1, 1)
    if vendor == "hubspot":
        return at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return at.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def _soql_instant(value: str) -> str:
    """A SystemModstamp (`2025-01-02T03:04:05.000+0000`) as a SOQL dateTime literal."""
    return f"{str(value)[:19]}Z"


def _hubspot_resource(name: str, properties: Sequence[str], since: str) -> dict[str, Any]:
    return {
        "name": name, "primary_key": "id", "write_disposition": "merge",
        "endpoint": {
            "path": f"crm/v3/objects/{name}/search", "method": "POST",
            "data_selector": "results",
            "json": {"filterGroups": [{"filters": [{
                "propertyName": "hs_lastmodifieddate", "operator": "GTE",
                "value": "{incremental.start_value}"}]}],
                "sorts": [{"propertyName": "hs_lastmodifieddate", "direction": "ASCENDING"}],
                "properties": list(properties), "limit": _PAGE["hubspot"]},
            "paginator": {"type": "cursor", "cursor_path": "paging.next.after",
                          "cursor_body_path": "after"},
            "incremental": {"cursor_path": "properties.hs_lastmodifieddate",
                            "initial_value": since},
        },
    }


def _salesforce_resource(name: str, fields: Sequence[str], since: str,
                         version: str) -> dict[str, Any]:
    on = SALESFORCE_CURSOR.get(name, "SystemModstamp")
    soql = (f"SELECT {', '.join(fields)} FROM {name} WHERE {on} >= "
            f"{{incremental.start_value}} ORDER BY {on} ASC")
    return {
        "name": name, "primary_key": "Id", "write_disposition": "merge",
        "endpoint": {
            "path": f"services/data/{version}/query", "method": "GET",
            "params": {"q": soql}, "data_selector": "records",
            "paginator": {"type": "json_link", "next_url_path": "nextRecordsUrl"},
            "incremental": {"cursor_path": on, "initial_value": since,
                            "convert": _soql_instant},
        },
    }


def _flat(vendor: str, item: dict[str, Any]) -> dict[str, Any]:
    """A record as one CSV row: HubSpot's properties beside hs_object_id; Salesforce's
    fields without `attributes` (booleans as true/false)."""
    if vendor == "hubspot":
        return {**(item.get("properties") or {}), "hs_object_id": str(item["id"])}
    row = {k: v for k, v in item.items() if k != "attributes" and not isinstance(v, dict)}
    return {k: ("true" if v is True else "false" if v is False else v)
            for k, v in row.items()}


def _keeper(vendor: str, into: list[dict[str, Any]]
            ) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A map step that keeps each record as a CSV row (dlt passes items through it)."""
    def keep(item: dict[str, Any]) -> dict[str, Any]:
        into.append(_flat(vendor, item))
        return item
    return keep


def _merge(path: Path, id_column: str, columns: Sequence[str],
           records: list[dict[str, Any]]) -> int:
    """Merge `records` over the CSV at `path` (latest wins by id); write it sorted by id.
    Returns the rows written."""
    new = pd.DataFrame.from_records(records).astype("string") if records else None
    old = (pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
           .astype("string") if path.exists() else None)
    frames = [f for f in (old, new) if f is not None]
    if not frames:  # nothing ever received: no file (an empty export is no export)
        return 0
    frame = pd.concat(frames, ignore_index=True)
    frame = frame.drop_duplicates(subset=[id_column], keep="last")
    extra = sorted(c for c in frame.columns if c not in columns)
    frame = frame.reindex(columns=[*columns, *extra])
    frame = frame.sort_values(id_column, kind="stable")
    tmp = path.with_suffix(".csv.tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n", na_rep="")
    tmp.replace(path)
    return len(frame)


def _failure(exc: BaseException) -> str:
    """What went wrong, from the innermost cause: `HTTP <status>` when the API answered,
    else the error's class (its message could quote a request)."""
    seen: BaseException | None = exc
    last = exc
    while seen is not None:
        status = getattr(getattr(seen, "response", None), "status_code", None)
        if status:
            return f"HTTP {status}"
        last = seen
        seen = seen.__cause__ or seen.__context__ or getattr(seen, "exception", None)
        if seen is last:
            break
    return type(last).__name__


def pull(vendor: str, out: Path, credentials: Credentials, *,
         objects: Sequence[str] | None = None, since: datetime | None = None,
         reset: bool = False, api_version: str = SALESFORCE_API_VERSION,
         progress: Callable[[str], None] | None = None) -> PullResult:
    """Pull `objects` (default: every object of the vendor, module docstring) modified
    since the saved cursor (the first pull: since `since`, else everything) into `out`.
    `reset` forgets the cursors first (the next pull is a full one)."""
    no_usage_reports()
    import dlt
    from dlt.pipeline.exceptions import PipelineStepFailed
    from dlt.sources.rest_api import rest_api_source

    known = HUBSPOT_OBJECTS if vendor == "hubspot" else SALESFORCE_OBJECTS
    chosen = list(objects or known)
    for name in chosen:
        if name not in known:
            raise UsageError(f"{vendor}: unknown object {name!r}; expected one of: "
                             f"{', '.join(known)}")
    out.mkdir(parents=True, exist_ok=True)
    state_dir = out / STATE_DIR
    pipeline_name = f"accord_{vendor}"
    if reset:
        shutil.rmtree(state_dir / pipeline_name, ignore_errors=True)
    elif since is not None and (state_dir / pipeline_name / "state.json").exists():
        raise UsageError(f"{vendor}: {out} already has saved cursors, and --since only sets "
                         "where a first pull starts; add --reset to pull again from it")
    start = _since_value(vendor, since)
    resources = [_hubspot_resource(n, known[n], start) if vendor == "hubspot"
                 else _salesforce_resource(n, known[n], start, api_version) for n in chosen]
    source = rest_api_source({
        "client": {"base_url": f"{credentials.base_url}/",
                   "auth": {"type": "bearer", "token": credentials.token.reveal()}},
        "resources": resources})  # type: ignore[typeddict-item]
    received: dict[str, list[dict[str, Any]]] = {n: [] for n in chosen}
    for name, resource in source.resources.items():
        resource.add_map(_keeper(vendor, received[name]))
    pipeline = dlt.pipeline(pipeline_name=pipeline_name, pipelines_dir=str(state_dir),
                            destination=dlt.destinations.dummy(completed_prob=1.0))
    if progress:
        progress(f"{vendor}: pulling {', '.join(chosen)} from {credentials.base_url}")
    try:
        pipeline.run(source)
    except PipelineStepFailed as exc:
        what = _failure(exc)
        raise SyncError(f"{vendor}: the pull failed ({what}) at {credentials.base_url}; "
                        "nothing was written to " f"{out}") from None
    finally:
        pipeline.deactivate()
    # dlt keeps a copy of every loaded package (the records themselves); DIR's files are
    # the copy kept, so only the cursors stay in the state folder
    shutil.rmtree(Path(pipeline.working_dir) / "load" / "loaded", ignore_errors=True)
    sources: dict[str, Any] = dict(pipeline.state).get("sources") or {}  # type: ignore[assignment]
    state: dict[str, Any] = (sources.get(source.name) or {}).get("resources") or {}
    results = []
    for name in chosen:
        id_column = _ID[vendor]
        columns = ([id_column, *known[name]] if vendor == "hubspot" else list(known[name]))
        path = out / f"{name}.csv"
        unique = {r[id_column]: r for r in received[name]}
        rows = _merge(path, id_column, columns, list(unique.values()))
        cursor: dict[str, Any] = (state.get(name) or {}).get("incremental") or {}
        first: dict[str, Any] = next(iter(cursor.values()), {})
        last = first.get("last_value")
        results.append(ObjectPull(name, len(unique), str(path) if path.exists() else None,
                                  rows,
                                  None if last is None else str(last)))
    return PullResult(vendor, str(out), str(state_dir / pipeline_name), tuple(results))
