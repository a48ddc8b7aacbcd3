"""HubSpot CSV exports of contacts, companies and deals → canonical facts.

Each column is accepted under its export label and its internal property name (`Record
ID`/`hs_object_id`, `Lifecycle Stage`/`lifecyclestage`, ...). A file is a contacts export
when it has an email or lifecycle stage column, a deals export when it has a deal stage,
and a companies export when it has a company name or domain:

- contacts → `leads` (channel from `hs_analytics_source`, the original source) and
  `stage_events`: one per filled `hs_lifecyclestage_<stage>_date` ("Became a ... Date"),
  at that time, into the contract's stage for the lifecycle stage's role;
- companies → `accounts`;
- deals → `opportunities`: status from the deal stage's role (won, lost, else open),
  `closed_at` from the close date of a closed deal, the first associated contact and
  company, the type from the deal type.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import pyarrow as pa

from accord.contract.roles import StageRole
from accord.errors import ImportFactsError
from accord.facts import ACCOUNTS, LEADS, OPPORTUNITIES
from accord.ingest.vendors.common import VendorFile, fact_table, first_id, key, snake
from accord.ingest.vendors.events import stage_event_table
from accord.ingest.vendors.stage_maps import StageMap

ID = ("Record ID", "hs_object_id", "Contact ID", "Company ID", "Deal ID")
CREATED = ("Create Date", "createdate")
OWNER = ("hubspot_owner_id", "HubSpot Owner ID", "Owner ID", "Contact owner", "Deal owner",
         "Company owner")
COUNTRY = ("Country/Region", "country", "Country")
LIFECYCLE = ("Lifecycle Stage", "lifecyclestage")
DEAL_STAGE = ("Deal Stage", "dealstage")
EMAIL = ("Email", "email")
COMPANY_NAME = ("Company name", "name")
DOMAIN = ("Company Domain Name", "domain", "Website URL", "website")
COMPANY_IDS = ("Associated Company IDs", "Associated Company IDs (Primary)",
               "Associated Company ID", "associatedcompanyid", "associatedcompanyids")
CONTACT_IDS = ("Associated Contact IDs", "Associated Contact IDs (Primary)",
               "Associated Contact ID", "associatedcontactid", "associatedcontactids")

#: `hs_analytics_source` (Original Source) → channel, by value or label.
CHANNELS: Mapping[str, str] = {
    "organicsearch": "organic_search", "paidsearch": "paid_search",
    "emailmarketing": "email", "socialmedia": "organic_social", "referrals": "referral",
    "othercampaigns": "other_campaigns", "directtraffic": "direct", "offline": "offline",
    "offlinesources": "offline", "paidsocial": "paid_social",
}
_STAGE_DATE = re.compile(r"^(?:hs_lifecyclestage_(.+)_date|became an? (.+?)(?: lifecycle)? "
                         r"date)$", re.IGNORECASE)


def kind_of(vf: VendorFile) -> str | None:
    """`contacts`, `companies` or `deals`, from the file's columns."""
    if vf.has(DEAL_STAGE):
        return "deals"
    if vf.has(EMAIL) or vf.has(LIFECYCLE):
        return "contacts"
    if vf.has(COMPANY_NAME) or vf.has(DOMAIN):
        return "companies"
    return None


def looks_like(header: list[str]) -> bool:
    """Whether a file's header is a HubSpot export's (its record id and one of the
    properties only HubSpot names so)."""
    keys = {key(h) for h in header}
    return bool(keys & {key(n) for n in ID}) and bool(
        keys & {key(n) for n in (*LIFECYCLE, *DEAL_STAGE, *CREATED, *COMPANY_IDS)})


def channels(values: pd.Series) -> pd.Series:
    mapped = values.map(key, na_action="ignore").map(dict(CHANNELS))
    return mapped.fillna(snake(values)).fillna("unknown").astype(object)


def read(files: Mapping[str, VendorFile], stage_map: StageMap,
         names: Mapping[str, str], notes: list[str]) -> dict[str, pa.Table]:
    """The canonical tables of the exports in `files` (kind → file)."""
    out: dict[str, pa.Table] = {}
    if "companies" in files:
        out["accounts"] = _companies(files["companies"])
    if "contacts" in files:
        out["leads"], out["stage_events"] = _contacts(files["contacts"], stage_map, names,
                                                      notes)
    if "deals" in files:
        out["opportunities"] = _deals(files["deals"], stage_map)
    return out


def _companies(vf: VendorFile) -> pa.Table:
    domain = vf.text(DOMAIN).str.lower().str.replace(r"^https?://", "", regex=True)
    domain = domain.str.replace(r"^www\.", "", regex=True).str.split("/").str[0]
    return fact_table(ACCOUNTS, {
        "account_id": vf.text(ID, required=True), "name": vf.text(COMPANY_NAME, required=True),
        "domain": domain, "industry": snake(vf.text(("Industry", "industry"))),
        "employees": vf.numbers(("Number of Employees", "numberofemployees")),
        "annual_revenue": vf.numbers(("Annual Revenue", "annualrevenue")),
        "country": vf.text(COUNTRY), "owner_rep_id": vf.text(OWNER),
        "created_at": vf.times(CREATED)}, vf.rows, vf)


def _contacts(vf: VendorFile, stage_map: StageMap, names: Mapping[str, str],
              notes: list[str]) -> tuple[pa.Table, pa.Table]:
    ids = vf.text(ID, required=True)
    leads = fact_table(LEADS, {
        "lead_id": ids, "email": vf.text(EMAIL, required=True),
        "first_name": vf.text(("First Name", "firstname")),
        "last_name": vf.text(("Last Name", "lastname")),
        "title": vf.text(("Job Title", "jobtitle")),
        "company": vf.text(("Company Name", "company")),
        "account_id": first_id(vf.text(COMPANY_IDS)), "country": vf.text(COUNTRY),
        "channel": channels(vf.text(("Original Source", "hs_analytics_source",
                                     "Original Source Type"))),
        "created_at": vf.times(CREATED, required=True)}, vf.rows, vf)
    # the current stage must be a known one, even though only the dated moves are events
    stage_map.map_roles("lifecycle", vf.text(LIFECYCLE), str(vf.path), vf.find(LIFECYCLE))
    parts = []
    for column in vf.frame.columns:
        match = _STAGE_DATE.match(column.strip())
        if not match:
            continue
        stage = match.group(1) or match.group(2)
        role = stage_map.map_roles("lifecycle", pd.Series([stage], dtype=object),
                                   str(vf.path), column).iloc[0]
        parts.append(pd.DataFrame({
            "event_id": "hubspot:" + ids + ":lifecycle:" + key(stage),
            "lead_id": ids, "role": role, "occurred_at": vf.times((column,)),
            "file": str(vf.path)}))
    events = (pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["event_id", "lead_id", "role", "occurred_at", "file"]))
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True)
    hint = stage_map.override or "--stage-map FILE"
    return leads, stage_event_table(events, names, "hubspot", hint, notes)


def _deals(vf: VendorFile, stage_map: StageMap) -> pa.Table:
    column = vf.find(DEAL_STAGE)
    roles = stage_map.map_roles("deal_stages", vf.text(DEAL_STAGE, required=True),
                                str(vf.path), column)
    status = roles.map({StageRole.WON.value: "won", StageRole.LOST.value: "lost"}).fillna(
        "open").astype(object)
    closed = vf.times(("Close Date", "closedate")).where(status != "open")
    amount = vf.numbers(("Amount", "amount")).fillna(0.0)
    deal_type = stage_map.map_types("deal_types", vf.text(("Deal Type", "dealtype")),
                                    str(vf.path), vf.find(("Deal Type", "dealtype")))
    return fact_table(OPPORTUNITIES, {
        "opportunity_id": vf.text(ID, required=True),
        "lead_id": first_id(vf.text(CONTACT_IDS)),
        "account_id": first_id(vf.text(COMPANY_IDS)), "owner_rep_id": vf.text(OWNER),
        "created_at": vf.times(CREATED, required=True), "amount": amount, "status": status,
        "closed_at": closed, "type": deal_type}, vf.rows, vf)


def classify(paths: list[Path]) -> dict[str, VendorFile]:
    """Kind → file for every CSV of a HubSpot export; two of a kind, or a file of no
    kind, is refused naming it."""
    found: dict[str, VendorFile] = {}
    for path in paths:
        vf = VendorFile.read(path)
        kind = kind_of(vf)
        if kind is None:
            raise ImportFactsError(
                "not a HubSpot export of contacts (Email/email), companies (Company "
                "name/name) or deals (Deal Stage/dealstage)", file=str(path))
        if kind in found:
            raise ImportFactsError(f"two {kind} exports: {found[kind].path.name} and "
                                   f"{path.name}; keep one", file=str(path))
        found[kind] = vf
    return found
