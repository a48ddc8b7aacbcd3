"""Salesforce CSV exports (API field names) → canonical facts.

A file is named after its object (`Lead.csv`, `Opportunity.csv`, ...) or recognised by
fields only that object has. Each object is optional; an export of only accounts, users
and opportunities imports those:

- Lead → `leads` (channel from `LeadSource`); Contact → `leads` too, except the contacts
  a converted lead became (`ConvertedContactId`), which are that lead;
- Account → `accounts`; User → `reps` (role from the title: SDR/BDR → `sdr`, manager,
  director, head or VP → `manager`, else `ae`);
- Opportunity → `opportunities`: status from `IsClosed`/`IsWon` (else the stage's role),
  `closed_at` from `CloseDate`, the lead converted into it, the type from `Type`;
- LeadHistory (`Field` = `Status`) and OpportunityHistory → `stage_events` at their
  `CreatedDate`, for leads (an opportunity's moves count for the lead converted into it);
- Task and Event → `activities` of the rep who owns them with the lead they are about
  (`WhoId`: a lead, or a contact a lead was converted into): a task's kind from its
  `TaskSubtype` (else `Type`), at `CompletedDateTime` (else `CreatedDate`); an event is a
  meeting at its `StartDateTime`. Those about no lead, or of another kind, are left out
  and counted in the notes;
- Campaign → `campaigns` (channel from `Type`); CampaignMember gives each lead the
  campaign it joined first (`leads.campaign_id`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from accord.contract.roles import StageRole
from accord.errors import ImportFactsError
from accord.facts import ACCOUNTS, ACTIVITIES, CAMPAIGNS, LEADS, OPPORTUNITIES, REPS
from accord.ingest.vendors.common import VendorFile, fact_table, key, snake
from accord.ingest.vendors.events import stage_event_table
from accord.ingest.vendors.stage_maps import StageMap

OBJECTS = ("Lead", "Contact", "Account", "Opportunity", "OpportunityHistory", "LeadHistory",
           "User", "Task", "Event", "Campaign", "CampaignMember")

#: Fields that tell an object's file apart when it is not named after the object.
SIGNATURES: Mapping[str, tuple[str, ...]] = {
    "OpportunityHistory": ("OpportunityId", "StageName"),
    "LeadHistory": ("LeadId", "Field", "NewValue"),
    "Opportunity": ("StageName", "IsWon"),
    "Event": ("WhoId", "StartDateTime"),
    "CampaignMember": ("CampaignId", "HasResponded"),
    "Campaign": ("NumberOfLeads", "StartDate"),
    "Task": ("WhoId", "TaskSubtype"),
    "Lead": ("IsConverted", "Status"),
    "User": ("Username", "IsActive"),
    "Contact": ("AccountId", "Email"),
    "Account": ("BillingCountry",),
}


def object_of(path: Path, header: list[str]) -> str | None:
    by_name = {key(o): o for o in OBJECTS}
    stem = key(path.stem)
    for candidate in (stem, stem.rstrip("s")):
        if candidate in by_name:
            return by_name[candidate]
    keys = {key(h) for h in header}
    for obj, fields in SIGNATURES.items():
        if all(key(f) in keys for f in fields):
            return obj
    return None


def looks_like(path: Path, header: list[str]) -> bool:
    """Whether a file is a Salesforce object's export (by its name or its fields)."""
    return object_of(path, header) is not None


def classify(paths: list[Path]) -> dict[str, VendorFile]:
    """Object → file for every CSV of a Salesforce export; a file of no object, or two
    of one, is refused naming it."""
    from accord.ingest.vendors.common import read_header

    found: dict[str, VendorFile] = {}
    for path in paths:
        obj = object_of(path, read_header(path))
        if obj is None:
            raise ImportFactsError(
                f"not a Salesforce export of {', '.join(OBJECTS)} (name the file after "
                "its object, e.g. Opportunity.csv)", file=str(path))
        if obj in found:
            raise ImportFactsError(f"two {obj} exports: {found[obj].path.name} and "
                                   f"{path.name}; keep one", file=str(path))
        found[obj] = VendorFile.read(path)
    return found


def read(files: Mapping[str, VendorFile], stage_map: StageMap,
         names: Mapping[str, str], notes: list[str]) -> dict[str, pa.Table]:
    """The canonical tables of the exports in `files` (object → file)."""
    out: dict[str, pa.Table] = {}
    lead = files.get("Lead")
    if "Account" in files:
        out["accounts"] = _accounts(files["Account"])
    if "User" in files:
        out["reps"] = _users(files["User"])
    leads = [_leads(lead, stage_map)] if lead is not None else []
    if "Contact" in files:
        converted = lead.text(("ConvertedContactId",)) if lead is not None else pd.Series(
            [], dtype=object)
        leads.append(_contacts(files["Contact"], set(converted.dropna())))
    if "Campaign" in files:
        out["campaigns"] = _campaigns(files["Campaign"])
    if leads:
        out["leads"] = _first_campaign(pa.concat_tables(leads), files.get("CampaignMember"),
                                       lead)
    converted_opp = pd.Series(dtype=object)
    if lead is not None and lead.has(("ConvertedOpportunityId",)):
        frame = pd.DataFrame({"opp": lead.text(("ConvertedOpportunityId",)),
                              "lead": lead.text(("Id",))}).dropna()
        converted_opp = frame.drop_duplicates("opp").set_index("opp")["lead"]
    if "Opportunity" in files:
        out["opportunities"] = _opportunities(files["Opportunity"], stage_map, converted_opp)
    person = pd.Series(dtype=object)
    if lead is not None:
        frame = pd.DataFrame({"contact": lead.text(("ConvertedContactId",)),
                              "lead": lead.text(("Id",))}).dropna()
        person = frame.drop_duplicates("contact").set_index("contact")["lead"]
    lead_ids = (set(pa.concat_tables(leads).column("lead_id").to_pylist()) if leads
                else None)
    activities = _activities(files, person, lead_ids, notes)
    if activities is not None:
        out["activities"] = activities
    events = _events(files, stage_map, converted_opp)
    if events is not None:
        hint = stage_map.override or "--stage-map FILE"
        out["stage_events"] = stage_event_table(events, names, "salesforce", hint, notes)
    return out


def _channel(values: pd.Series) -> pd.Series:
    return snake(values).fillna("unknown").astype(object)


def _leads(vf: VendorFile, stage_map: StageMap) -> pa.Table:
    stage_map.map_roles("lead_status", vf.text(("Status",)), str(vf.path), vf.find(("Status",)))
    return fact_table(LEADS, {
        "lead_id": vf.text(("Id",), required=True),
        "email": vf.text(("Email",), required=True), "first_name": vf.text(("FirstName",)),
        "last_name": vf.text(("LastName",)), "title": vf.text(("Title",)),
        "company": vf.text(("Company",)), "account_id": vf.text(("ConvertedAccountId",)),
        "country": vf.text(("Country", "CountryCode")),
        "channel": _channel(vf.text(("LeadSource",))),
        "created_at": vf.times(("CreatedDate",), required=True)}, vf.rows, vf)


def _contacts(vf: VendorFile, converted: set[str]) -> pa.Table:
    ids = vf.text(("Id",), required=True)
    keep = ~ids.isin(list(converted))
    def col(s: pd.Series) -> pd.Series:
        return s[keep].reset_index(drop=True)
    return fact_table(LEADS, {
        "lead_id": col(ids), "email": col(vf.text(("Email",), required=True)),
        "first_name": col(vf.text(("FirstName",))), "last_name": col(vf.text(("LastName",))),
        "title": col(vf.text(("Title",))), "account_id": col(vf.text(("AccountId",))),
        "country": col(vf.text(("MailingCountry", "MailingCountryCode"))),
        "channel": col(_channel(vf.text(("LeadSource",)))),
        "created_at": col(vf.times(("CreatedDate",), required=True))}, int(keep.sum()), vf)


def _accounts(vf: VendorFile) -> pa.Table:
    site = vf.text(("Website",)).str.lower().str.replace(r"^https?://", "", regex=True)
    site = site.str.replace(r"^www\.", "", regex=True).str.split("/").str[0]
    return fact_table(ACCOUNTS, {
        "account_id": vf.text(("Id",), required=True),
        "name": vf.text(("Name",), required=True), "domain": site,
        "industry": snake(vf.text(("Industry",))),
        "employees": vf.numbers(("NumberOfEmployees",)),
        "annual_revenue": vf.numbers(("AnnualRevenue",)),
        "country": vf.text(("BillingCountry", "BillingCountryCode")),
        "owner_rep_id": vf.text(("OwnerId",)), "created_at": vf.times(("CreatedDate",))},
        vf.rows, vf)


def _users(vf: VendorFile) -> pa.Table:
    name = vf.text(("Name",))
    full = (vf.text(("FirstName",)).fillna("") + " " + vf.text(("LastName",)).fillna(""))
    name = name.fillna(full.str.strip().replace("", None))
    title = vf.text(("Title", "UserRole.Name", "UserRoleName")).fillna("").str.lower()
    role = pd.Series("ae", index=title.index, dtype=object)
    role[title.str.contains(r"\b(?:manager|director|head|vp|vice president)\b",
                            regex=True)] = "manager"
    role[title.str.contains(r"\b(?:sdr|bdr|development)\b", regex=True)] = "sdr"
    active = vf.bools(("IsActive",))
    return fact_table(REPS, {
        "rep_id": vf.text(("Id",), required=True), "name": name, "role": role,
        "region": snake(vf.text(("Division",))), "manager_id": vf.text(("ManagerId",)),
        "active": active}, vf.rows, vf)


def _opportunities(vf: VendorFile, stage_map: StageMap, converted: pd.Series) -> pa.Table:
    ids = vf.text(("Id",), required=True)
    roles = stage_map.map_roles("opportunity_stages", vf.text(("StageName",)), str(vf.path),
                                vf.find(("StageName",)))
    by_stage = roles.map({StageRole.WON.value: "won", StageRole.LOST.value: "lost"})
    closed_flag, won_flag = vf.bools(("IsClosed",)), vf.bools(("IsWon",))
    by_flags = pd.Series(None, index=ids.index, dtype=object)
    by_flags[closed_flag == False] = "open"  # noqa: E712 (object column of True/False/None)
    by_flags[(closed_flag == True) & (won_flag == True)] = "won"  # noqa: E712
    by_flags[(closed_flag == True) & (won_flag != True)] = "lost"  # noqa: E712
    status = by_flags.fillna(by_stage).fillna("open").astype(object)
    closed = vf.times(("CloseDate",)).where(status != "open")
    kind = stage_map.map_types("opportunity_types", vf.text(("Type",)), str(vf.path),
                               vf.find(("Type",)))
    return fact_table(OPPORTUNITIES, {
        "opportunity_id": ids, "lead_id": ids.map(converted).astype(object).where(
            ids.map(converted).notna(), None),
        "account_id": vf.text(("AccountId",)), "owner_rep_id": vf.text(("OwnerId",)),
        "created_at": vf.times(("CreatedDate",), required=True),
        "amount": vf.numbers(("Amount",)).fillna(0.0), "status": status,
        "closed_at": closed, "type": kind}, vf.rows, vf)


def _events(files: Mapping[str, VendorFile], stage_map: StageMap,
            converted: pd.Series) -> pd.DataFrame | None:
    parts = []
    if "LeadHistory" in files:
        vf = files["LeadHistory"]
        status = vf.text(("Field",)).str.lower() == "status"
        hist = pd.DataFrame({"id": vf.text(("Id",)), "lead": vf.text(("LeadId",), required=True),
                             "value": vf.text(("NewValue",)),
                             "at": vf.times(("CreatedDate",), required=True)})[status]
        roles = stage_map.map_roles("lead_status", hist["value"].reset_index(drop=True),
                                    str(vf.path), vf.find(("NewValue",)))
        hist = hist.reset_index(drop=True)
        parts.append(pd.DataFrame({
            "event_id": "salesforce:" + hist["id"].fillna(hist["lead"] + ":" + hist["at"]
                                                          .astype(str)),
            "lead_id": hist["lead"], "role": roles, "occurred_at": hist["at"],
            "file": str(vf.path)}))
    if "OpportunityHistory" in files:
        vf = files["OpportunityHistory"]
        opp = vf.text(("OpportunityId",), required=True)
        roles = stage_map.map_roles("opportunity_stages", vf.text(("StageName",),
                                    required=True), str(vf.path), vf.find(("StageName",)))
        at = vf.times(("CreatedDate",), required=True)
        hid = vf.text(("Id",))
        frame = pd.DataFrame({
            "event_id": "salesforce:" + hid.fillna(opp + ":" + at.astype(str)),
            "lead_id": opp.map(converted), "role": roles, "occurred_at": at,
            "file": str(vf.path)})
        parts.append(frame[frame["lead_id"].notna()])
    if not parts:
        return None
    events = pd.concat(parts, ignore_index=True)
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True)
    return events


#: Task `TaskSubtype` / `Type` values → activity kind (compared by `common.key`).
ACTIVITY_KINDS: Mapping[str, str] = {"call": "call", "email": "email", "listemail": "email",
                                     "linkedin": "linkedin", "meeting": "meeting"}


def _activities(files: Mapping[str, VendorFile], person: pd.Series,
                lead_ids: set[str] | None, notes: list[str]) -> pa.Table | None:
    """Tasks and events about a lead: a lead or contact imported (a converted lead's
    contact is that lead), or any `WhoId` when the export has no leads or contacts."""
    parts = []
    if "Task" in files:
        vf = files["Task"]
        sub = vf.text(("TaskSubtype",)).map(key, na_action="ignore").map(dict(ACTIVITY_KINDS))
        typ = vf.text(("Type",)).map(key, na_action="ignore").map(dict(ACTIVITY_KINDS))
        at = vf.times(("CompletedDateTime",)).fillna(vf.times(("CreatedDate",), required=True))
        parts.append(("Task", pd.DataFrame({
            "activity_id": "salesforce:" + vf.text(("Id",), required=True),
            "who": vf.text(("WhoId",)), "rep_id": vf.text(("OwnerId",)),
            "kind": sub.fillna(typ), "occurred_at": at})))
    if "Event" in files:
        vf = files["Event"]
        at = vf.times(("StartDateTime", "ActivityDateTime"), required=True)
        parts.append(("Event", pd.DataFrame({
            "activity_id": "salesforce:" + vf.text(("Id",), required=True),
            "who": vf.text(("WhoId",)), "rep_id": vf.text(("OwnerId",)),
            "kind": "meeting", "occurred_at": at})))
    if not parts:
        return None
    frames = []
    for obj, frame in parts:
        own = frame["who"] if lead_ids is None else frame["who"].where(
            frame["who"].isin(list(lead_ids)))
        frame["lead_id"] = frame["who"].map(person).fillna(own)
        keep = frame["lead_id"].notna() & frame["kind"].notna() & frame["rep_id"].notna()
        if (~keep).any():
            n = int((~keep).sum())
            records = "record" if n == 1 else "records"
            notes.append(f"{n} {obj} {records} left out: about no lead or contact of the "
                         "export (WhoId), without an owner, or not a call, email, meeting or "
                         "LinkedIn message")
        frames.append(frame[keep])
    act = pd.concat(frames, ignore_index=True)
    act["occurred_at"] = pd.to_datetime(act["occurred_at"], utc=True)
    return fact_table(ACTIVITIES, {c: act[c] for c in ("activity_id", "lead_id", "rep_id",
                                                       "kind", "occurred_at")}, len(act))


def _campaigns(vf: VendorFile) -> pa.Table:
    return fact_table(CAMPAIGNS, {
        "campaign_id": vf.text(("Id",), required=True),
        "name": vf.text(("Name",), required=True),
        "channel": _channel(vf.text(("Type",))),
        "started_at": vf.times(("StartDate",)), "ended_at": vf.times(("EndDate",))},
        vf.rows, vf)


def _first_campaign(leads: pa.Table, members: VendorFile | None,
                    lead: VendorFile | None) -> pa.Table:
    """`leads` with `campaign_id`: the campaign each lead (or its contact) joined first."""
    if members is None:
        return leads
    person = members.text(("LeadId",)).fillna(members.text(("ContactId",)))
    if lead is not None and lead.has(("ConvertedContactId",)):
        frame = pd.DataFrame({"contact": lead.text(("ConvertedContactId",)),
                              "lead": lead.text(("Id",))}).dropna()
        to_lead = frame.drop_duplicates("contact").set_index("contact")["lead"]
        person = person.map(to_lead).fillna(person)
    joined = pd.DataFrame({"person": person,
                           "campaign": members.text(("CampaignId",), required=True),
                           "at": members.times(("CreatedDate",), required=True),
                           "id": members.text(("Id",))}).dropna(subset=["person"])
    first = joined.sort_values(["person", "at", "id"], kind="stable").drop_duplicates(
        "person").set_index("person")["campaign"]
    ids = pd.Series(leads.column("lead_id").to_pylist(), dtype=object)
    campaign = ids.map(first)
    at = leads.schema.get_field_index("campaign_id")
    return leads.set_column(at, leads.schema.field(at), pa.array(
        campaign.astype(object).where(campaign.notna(), None), type=pa.string()))
