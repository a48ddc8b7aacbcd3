"""CRM exports by their vendor's own field names: HubSpot and Salesforce, and the choice
of format for `accord import` (`facts`, `mapped`, `hubspot`, `salesforce`), detected from
the files when not given.

A vendor import reads every file, maps the vendor's stage values to the contract's stage
roles (`stage_maps`) and so to the contract's stage names, checks everything, then writes
all tables through `Store.write_facts` in one transaction, like a fact-folder import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.contract.compiled import CompiledContract
from accord.errors import ImportFactsError, UnknownNameError, UsageError
from accord.facts import FACT_TABLES
from accord.ingest.fact_folder import DATA_SUFFIXES, ImportResult
from accord.ingest.vendors import hubspot, salesforce
from accord.ingest.vendors.common import read_header
from accord.ingest.vendors.stage_maps import load_stage_map, stage_names
from accord.store.base import Store

FORMATS: tuple[str, ...] = ("facts", "mapped", "hubspot", "salesforce")
VENDOR_FORMATS: tuple[str, ...] = ("hubspot", "salesforce")


@dataclass(frozen=True)
class Detection:
    """The format an import reads, and why (`given` when named by `--format`)."""

    format: str
    reason: str
    detected: bool

    def as_dict(self) -> dict[str, object]:
        return {"format": self.format, "detected": self.detected, "reason": self.reason}


@dataclass(frozen=True)
class VendorImport:
    """What an import did: its format, the files read for each object, what was written."""

    detection: Detection
    result: ImportResult
    objects: Mapping[str, str] = field(default_factory=dict)  # vendor object -> file
    notes: tuple[str, ...] = ()  # what was left out, and why

    def as_dict(self) -> dict[str, object]:
        return {**self.detection.as_dict(), "objects": dict(self.objects),
                **self.result.as_dict(), "notes": list(self.notes)}


def _data_files(folder: Path) -> list[Path]:
    if not folder.exists():
        raise ImportFactsError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise ImportFactsError("expected a folder of export files", file=str(folder))
    return [p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix.lower() in DATA_SUFFIXES]


def detect_format(folder: str | Path, given: str | None = None,
                  mapping: str | Path | None = None) -> Detection:
    """The format of the files in `folder`: `given` when named (checked against
    `mapping`), `mapped` with a mapping, else `facts` when every file is named after a
    fact table, `hubspot` when every file has a HubSpot export's columns, `salesforce`
    when every file is a Salesforce object's export; else `facts` (whose import then
    names what is wrong with each file)."""
    if given is not None:
        if given not in FORMATS:
            raise UnknownNameError("import format", given, FORMATS, where="--format")
        if (given == "mapped") != (mapping is not None):
            raise UsageError("--format mapped goes with --mapping FILE (and --mapping with "
                             "--format mapped or no --format)")
        return Detection(given, f"--format {given}", False)
    if mapping is not None:
        return Detection("mapped", f"--mapping {mapping}", True)
    root = Path(folder)
    files = _data_files(root)
    names = ", ".join(p.name for p in files)
    if files and not all(p.stem in FACT_TABLES for p in files):
        headers = {p: read_header(p) if p.suffix.lower() == ".csv" else [] for p in files}
        if all(hubspot.looks_like(h) for h in headers.values()):
            return Detection("hubspot", f"HubSpot's record ids and properties in {names}",
                             True)
        if all(salesforce.looks_like(p, h) for p, h in headers.items()):
            return Detection("salesforce", f"Salesforce objects in {names}", True)
    if not files or all(p.stem in FACT_TABLES for p in files):
        return Detection("facts", f"every file is named after a fact table ({names})"
                         if files else "no export files", True)
    return Detection("facts", "neither a HubSpot nor a Salesforce export; read as fact "
                              "files", True)


def import_vendor(store: Store, contract: CompiledContract, folder: str | Path,
                  vendor: str, stage_map: str | Path | None = None,
                  detection: Detection | None = None, timezone: str = "UTC"
                  ) -> VendorImport:
    """Import a `vendor` export folder in one transaction (nothing is written when any
    file is refused). Times written without an offset are in `timezone` (IANA)."""
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(f"unknown time zone {timezone!r}; expected an IANA name such as "
                         "Europe/Berlin or America/New_York") from None
    smap = load_stage_map(vendor, stage_map)
    files = _data_files(Path(folder))
    others = [p for p in files if p.suffix.lower() != ".csv"]
    if others:
        raise ImportFactsError(f"a {vendor} export is CSV files; this is not",
                               file=str(others[0]))
    if not files:
        raise ImportFactsError(f"no .csv files in {folder}")
    names = stage_names(contract)
    notes: list[str] = []
    objs = hubspot.classify(files) if vendor == "hubspot" else salesforce.classify(files)
    for vf in objs.values():
        vf.zone = timezone
    if vendor == "hubspot":
        batch = hubspot.read(objs, smap, names, notes)
    else:
        batch = salesforce.read(objs, smap, names, notes)
    write = store.write_facts(batch)
    objects = {k: str(v.path) for k, v in objs.items()}
    tables = {t: objects[o] for t, o in _SOURCES[vendor].items() if o in objects and t in batch}
    return VendorImport(detection or Detection(vendor, f"--format {vendor}", False),
                        ImportResult(tables, write), objects, tuple(notes))


#: Which vendor object a table comes from first (for the summary's files).
_SOURCES: Mapping[str, Mapping[str, str]] = {
    "hubspot": {"accounts": "companies", "leads": "contacts", "stage_events": "contacts",
                "opportunities": "deals"},
    "salesforce": {"accounts": "Account", "reps": "User", "leads": "Lead",
                   "opportunities": "Opportunity", "stage_events": "OpportunityHistory",
                   "activities": "Task", "campaigns": "Campaign"},
}

__all__ = ["FORMATS", "VENDOR_FORMATS", "Detection", "VendorImport", "detect_format",
           "import_vendor"]
