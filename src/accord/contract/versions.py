"""Signed contract versions: what changed between two versions and which one decides when
(issue 13, item 5; seed 002: "definitions both teams signed off on").

A `ContractVersion` is one proposed text of the contract: the text, its SHA-256, its
`version` number, its `effective` date and the compiled contract. `diff_contracts(old,
new)` lists what a new version changes, key by key (stages by name with their resolved
role, owners, SLAs, KPI targets, ...): each `Change` is `added`, `removed` or `changed`
with the old and the new value.

Which version decides (`active_version`): a version decides only once both sides named by
the contract's owners keys `marketing` and `sales` have signed it, and only from its
`effective` date (from midnight UTC of that day). At a time `at`, the deciding version is
the fully signed one with the latest effective date at or before `at` (on a tie, the higher
version number); before any such date the previous active version still decides. A
version signed by one side only never decides anything. Pure: no store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

from accord.contract.compiled import CompiledContract, compile_text
from accord.errors import ContractError, UnknownNameError

__all__ = ["SIDES", "Change", "ContractVersion", "Signature", "active_version",
           "check_side", "diff_contracts", "is_signed", "parse_version", "signed_sides"]

Side = Literal["marketing", "sales"]

#: The two sides that sign a version: the contract's owners keys (seed 002).
SIDES: Final[tuple[str, ...]] = ("marketing", "sales")


@dataclass(frozen=True)
class ContractVersion:
    """One proposed version: its text, SHA-256, number, effective date and compiled form."""

    version: int
    effective: date
    text: str
    sha256: str
    contract: CompiledContract


@dataclass(frozen=True)
class Signature:
    """One side's signature of one version."""

    version: int
    side: str
    signer: str
    signed_at: datetime


@dataclass(frozen=True)
class Change:
    """One key a new version adds, removes or changes (`key` is a dotted path)."""

    key: str
    change: Literal["added", "removed", "changed"]
    old: Any
    new: Any

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "change": self.change, "old": self.old, "new": self.new}

    def __str__(self) -> str:
        if self.change == "added":
            return f"+ {self.key}: {self.new!r}"
        if self.change == "removed":
            return f"- {self.key}: {self.old!r}"
        return f"~ {self.key}: {self.old!r} → {self.new!r}"


def parse_version(text: str, file: str = "accord.yaml") -> ContractVersion:
    """Validate and compile a proposed contract text (`ContractError` lists its problems;
    a contract without the owners `marketing` and `sales` cannot be signed, so it is
    refused too)."""
    compiled = compile_text(text, file)
    missing = [s for s in SIDES if s not in compiled.source.owners]
    if missing:
        raise ContractError([f"{file}: owners: a signed version needs the owners "
                             f"{' and '.join(repr(s) for s in SIDES)}; missing "
                             f"{', '.join(repr(m) for m in missing)}"], file)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return ContractVersion(compiled.version, compiled.source.effective, text, digest, compiled)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping) and value:
        for k, v in value.items():
            _flatten(v, f"{prefix}.{k}" if prefix else str(k), out)
    else:
        out[prefix] = value


def _keys(contract: CompiledContract) -> dict[str, Any]:
    data = contract.source.model_dump(mode="json", by_alias=True, exclude_none=True)
    for name in contract.stages.names:  # the resolved role, also when taken from the name
        role = contract.stages.role_of.get(name)
        stage = data["stages"].setdefault(name, {})
        stage["role"] = None if role is None else str(getattr(role, "value", role))
    out: dict[str, Any] = {}
    _flatten(data, "", out)
    return out


def diff_contracts(old: CompiledContract | None, new: CompiledContract) -> list[Change]:
    """What `new` changes against `old`, key by key in the new contract's order (keys only
    in `old` last); every key is `added` when there is no `old` version."""
    before = _keys(old) if old is not None else {}
    after = _keys(new)
    changes = [Change(k, "added", None, v) if k not in before
               else Change(k, "changed", before[k], v)
               for k, v in after.items() if k not in before or before[k] != v]
    changes += [Change(k, "removed", v, None) for k, v in before.items() if k not in after]
    return changes


def signed_sides(version: int, signatures: Iterable[Signature]) -> dict[str, Signature]:
    """The signatures of `version`, by side."""
    return {s.side: s for s in signatures if s.version == version}


def is_signed(version: int, signatures: Iterable[Signature]) -> bool:
    """Whether both sides (`SIDES`) signed `version`."""
    return all(side in signed_sides(version, signatures) for side in SIDES)


def check_side(side: str) -> str:
    """`side` if it is `marketing` or `sales`; else `UnknownNameError`."""
    if side not in SIDES:
        raise UnknownNameError("side", side, SIDES, where="side")
    return side


def active_version(versions: Iterable[ContractVersion], signatures: Iterable[Signature],
                   at: datetime) -> ContractVersion | None:
    """The version that decides at `at` (naive UTC) by the rule in the module docstring;
    None when no fully signed version is effective yet."""
    sigs = list(signatures)
    day = at.date()
    best: ContractVersion | None = None
    for v in versions:
        if not is_signed(v.version, sigs) or v.effective > day:
            continue
        if best is None or (v.effective, v.version) > (best.effective, best.version):
            best = v
    return best
