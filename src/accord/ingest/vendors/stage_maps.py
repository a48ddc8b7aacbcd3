"""Which contract stage role each CRM value plays, per vendor, and the override file.

A CRM names its stages in its own words (HubSpot's `marketingqualifiedlead`, Salesforce's
`Closed Won`). Each vendor has a default map from those values to the contract's stage
ROLES (`contract/roles.py`); the contract then gives each role's stage name, so imported
facts use the company's names. A value maps to a role, or to nothing (`null`: the value
is known but makes no stage event, e.g. HubSpot's `other`). Values compare without case,
spaces or punctuation, so an export's label (`Marketing Qualified Lead`, `Closed Won`)
matches the internal value (`marketingqualifiedlead`, `closedwon`).

An override file (`accord import --stage-map FILE`) changes or adds values per list:

```yaml
lifecycle:                 # HubSpot: lifecycle, deal_stages, deal_types
  evangelist: won
deal_stages:
  demoscheduled: opportunity
  onhold: null
```

Salesforce's lists are `lead_status`, `opportunity_stages` and `opportunity_types`. The
`*_types` lists map to an opportunity type (`new_business`, `renewal`, `expansion`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from accord.contract.compiled import CompiledContract
from accord.contract.issues import did_you_mean
from accord.contract.roles import StageRole
from accord.contract.yaml_source import YamlSyntaxError, load_yaml_source
from accord.errors import ImportFactsError
from accord.facts import OPPORTUNITY_TYPES
from accord.ingest.vendors.common import key

_L, _H, _A, _Q, _O, _W, _X, _R, _D = (
    StageRole.LEAD, StageRole.HANDOFF, StageRole.ACCEPTED, StageRole.QUALIFIED,
    StageRole.OPPORTUNITY, StageRole.WON, StageRole.LOST, StageRole.RECYCLED,
    StageRole.DISQUALIFIED)

#: vendor -> list -> value -> role (None: known, no stage event). Values as the vendor
#: writes them; compared by `common.key`.
DEFAULT_STAGE_MAPS: Mapping[str, Mapping[str, Mapping[str, StageRole | None]]] = {
    "hubspot": {
        "lifecycle": {
            "subscriber": _L, "lead": _L, "marketingqualifiedlead": _H,
            "salesqualifiedlead": _Q, "opportunity": _O, "customer": _W,
            "evangelist": None, "other": None,
        },
        "deal_stages": {
            "appointmentscheduled": _O, "qualifiedtobuy": _O, "presentationscheduled": _O,
            "decisionmakerboughtin": _O, "contractsent": _O, "closedwon": _W,
            "closedlost": _X,
        },
    },
    "salesforce": {
        "lead_status": {
            "Open - Not Contacted": _L, "Working - Contacted": _A,
            "Closed - Converted": _Q, "Closed - Not Converted": _D,
        },
        "opportunity_stages": {
            "Prospecting": _O, "Qualification": _O, "Needs Analysis": _O,
            "Value Proposition": _O, "Id. Decision Makers": _O, "Perception Analysis": _O,
            "Proposal/Price Quote": _O, "Negotiation/Review": _O, "Closed Won": _W,
            "Closed Lost": _X,
        },
    },
}

#: vendor -> list -> value -> opportunity type (`facts.OPPORTUNITY_TYPES`).
DEFAULT_TYPE_MAPS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "hubspot": {"deal_types": {"newbusiness": "new_business",
                               "existingbusiness": "renewal"}},
    "salesforce": {"opportunity_types": {
        "New Business": "new_business", "New Customer": "new_business",
        "Existing Business": "renewal", "Renewal": "renewal",
        "Existing Customer - Replacement": "renewal",
        "Existing Customer - Downgrade": "renewal",
        "Existing Customer - Upgrade": "expansion", "Expansion": "expansion",
        "Upsell": "expansion"}},
}


@dataclass(frozen=True)
class StageMap:
    """One vendor's value → role (and value → type) lists, defaults plus overrides."""

    vendor: str
    roles: Mapping[str, Mapping[str, StageRole | None]]
    types: Mapping[str, Mapping[str, str]]
    override: str | None = None
    labels: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # key -> as written

    def _unknown(self, kind: str, value: str, known: Mapping[str, str], file: str,
                 column: str | None, row: int) -> ImportFactsError:
        where = (f"the override file {self.override}" if self.override
                 else "an override file (--stage-map FILE, see docs/import.md)")
        return ImportFactsError(
            f"unknown {self.vendor} {kind.replace('_', ' ')} value {value!r}; known: "
            f"{', '.join(sorted(known.values()))}; map it to a stage role in {where} "
            f"under `{kind}:`", file=file, row=row, column=column)

    def map_roles(self, kind: str, values: pd.Series, file: str,
                  column: str | None) -> pd.Series:
        """Each value's role (its `.value`), None where empty or mapped to nothing;
        an unknown value is refused naming it, the known ones and the override file."""
        table = self.roles[kind]
        keys = values.map(key, na_action="ignore")
        known = keys.isin(list(table)) | values.isna()
        if not known.all():
            i = int((~known).to_numpy().nonzero()[0][0])
            raise self._unknown(kind, str(values.iloc[i]), self.labels[kind], file, column,
                                i + 1)
        lookup = {k: (r.value if r is not None else None) for k, r in table.items()}
        return keys.map(lookup, na_action="ignore").astype(object).where(keys.notna(), None)

    def map_types(self, kind: str, values: pd.Series, file: str,
                  column: str | None) -> pd.Series:
        table = self.types[kind]
        keys = values.map(key, na_action="ignore")
        known = keys.isin(list(table)) | values.isna()
        if not known.all():
            i = int((~known).to_numpy().nonzero()[0][0])
            raise self._unknown(kind, str(values.iloc[i]), self.labels[kind], file, column,
                                i + 1)
        return keys.map(dict(table), na_action="ignore").astype(object).where(
            keys.notna(), None)


def load_stage_map(vendor: str, path: str | Path | None = None) -> StageMap:
    """`vendor`'s default map, changed by the override file at `path` when given."""
    roles = {k: {key(v): r for v, r in m.items()} for k, m in DEFAULT_STAGE_MAPS[vendor].items()}
    types = {k: {key(v): t for v, t in m.items()} for k, m in DEFAULT_TYPE_MAPS[vendor].items()}
    labels = {k: {key(v): v for v in m} for k, m in
              {**DEFAULT_STAGE_MAPS[vendor], **DEFAULT_TYPE_MAPS[vendor]}.items()}
    if path is None:
        return StageMap(vendor, roles, types, None, labels)
    file = Path(path)
    if not file.is_file():
        raise ImportFactsError("no such stage-map file", file=str(file))
    try:
        src = load_yaml_source(file.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        raise ImportFactsError(f"not valid YAML: {exc}", file=str(file)) from exc
    data = src.data if src.data is not None else {}
    lists = [*roles, *types]
    if not isinstance(data, dict):
        raise ImportFactsError(f"expected a mapping of lists ({', '.join(lists)})",
                               file=str(file), row=1)
    for kind, entries in data.items():
        line = src.position((kind,), prefer_key=True).line
        if kind not in lists:
            hint = did_you_mean(str(kind), lists)
            raise ImportFactsError(
                f"unknown list {kind!r} for {vendor}; expected one of {', '.join(lists)}"
                + (f" ({hint})" if hint else ""), file=str(file), row=line)
        if not isinstance(entries, dict):
            raise ImportFactsError(f"{kind}: expected `value: role` lines", file=str(file),
                                   row=line)
        for value, target in entries.items():
            at = src.position((kind, value)).line
            labels[kind][key(str(value))] = str(value)
            if kind in types:
                if target not in OPPORTUNITY_TYPES:
                    raise ImportFactsError(
                        f"{kind}.{value}: expected an opportunity type "
                        f"({', '.join(OPPORTUNITY_TYPES)}), got {target!r}", file=str(file),
                        row=at)
                types[kind][key(str(value))] = str(target)
                continue
            if target is None:
                roles[kind][key(str(value))] = None
                continue
            try:
                roles[kind][key(str(value))] = StageRole(str(target))
            except ValueError:
                raise ImportFactsError(
                    f"{kind}.{value}: expected a stage role "
                    f"({', '.join(r.value for r in StageRole)}) or null, got {target!r}",
                    file=str(file), row=at) from None
    return StageMap(vendor, roles, types, str(file), labels)


def stage_names(contract: CompiledContract) -> dict[str, str]:
    """Role value → the contract's stage name, for the roles the contract has."""
    return {role.value: name for role, name in contract.stages.by_role.items()}
