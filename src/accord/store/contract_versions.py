"""Proposed and signed contract versions in the store (issue 13, item 5).

Two service tables (`facts.CONTRACT_PROPOSALS`, `facts.CONTRACT_SIGNATURES`) hold every
proposed text and every signature. Their primary keys make the rules the store's own: a
version number names one text (proposing it again with another text is refused naming
it; the same text again changes nothing), and each side signs a version once. Which
version decides at a time is `accord.contract.versions.active_version`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.contract.compiled import CompiledContract
from accord.contract.instants import naive_utc, utc_now
from accord.contract.versions import (
    SIDES,
    Change,
    ContractVersion,
    Signature,
    active_version,
    check_side,
    diff_contracts,
    is_signed,
    parse_version,
    signed_sides,
)
from accord.errors import UnknownNameError, UsageError
from accord.store.base import DuplicateKeyError, Store

__all__ = ["Proposal", "SignatureConflictError", "VersionBook", "VersionConflictError",
           "history", "load_book", "propose", "sign"]


class VersionConflictError(UsageError):
    """A version number already proposed with another text (HTTP 409)."""

    def __init__(self, version: int) -> None:
        super().__init__(f"contract version {version} was already proposed with another "
                         "text; a version number names one text — bump `version`")
        self.version = version


class SignatureConflictError(UsageError):
    """A side that already signed the version (HTTP 409)."""

    def __init__(self, version: int, side: str) -> None:
        super().__init__(f"contract version {version} is already signed by the {side} side; "
                         "a side signs a version once")


OnWrite = Callable[[Any], None]


@dataclass(frozen=True)
class VersionBook:
    """Every stored version and signature, read once."""

    versions: tuple[ContractVersion, ...]
    signatures: tuple[Signature, ...]

    def active(self, at: datetime) -> ContractVersion | None:
        """The version that decides at `at` (None: no signed version effective yet)."""
        return active_version(self.versions, self.signatures, naive_utc(at))

    def version(self, number: int) -> ContractVersion:
        for v in self.versions:
            if v.version == number:
                return v
        raise UnknownNameError("contract version", str(number),
                               [str(v.version) for v in self.versions], where="version")


@dataclass(frozen=True)
class Proposal:
    """A stored proposal and its changes against the version active when proposed."""

    version: ContractVersion
    against: int | None
    changes: tuple[Change, ...]
    stored: bool

    def as_dict(self) -> dict[str, Any]:
        return {"version": self.version.version,
                "effective": self.version.effective.isoformat(),
                "sha256": self.version.sha256, "against": self.against,
                "stored": self.stored, "changes": [c.as_dict() for c in self.changes]}


def load_book(store: Store, *, ensure: bool = True) -> VersionBook:
    """All proposals (oldest version first) and signatures of the store (`ensure=False`
    inside a transaction, when the service tables are known to exist)."""
    if ensure:
        store.ensure_service_tables()
    p = store.service_table("contract_proposals").to_pyarrow().to_pylist()
    s = store.service_table("contract_signatures").to_pyarrow().to_pylist()
    versions = tuple(parse_version(r["text"], f"contract version {r['version']}")
                     for r in sorted(p, key=lambda r: r["version"]))
    sigs = tuple(Signature(r["version"], r["side"], r["signer"], r["signed_at"])
                 for r in sorted(s, key=lambda r: (r["signed_at"], r["signature_id"])))
    return VersionBook(versions, sigs)


_written = [0]  # proposals and signatures this process stored (see `written_here`)


def written_here() -> int:
    """How many proposals and signatures this process has stored: a store with one writing
    process (DuckDB) changes its versions only when this number moves, so a live intake
    looks again only then."""
    return _written[0]


def propose(store: Store, text: str, *, proposed_by: str, file: str = "accord.yaml",
            at: datetime | None = None, workspace: CompiledContract | None = None,
            on_write: OnWrite | None = None) -> Proposal:
    """Validate and store a proposed contract text; its diff is against the version active
    at `at` (now), else the workspace contract. The same number with another text raises
    `VersionConflictError`."""
    new = parse_version(text, file)
    now = naive_utc(at or utc_now())
    book = load_book(store)
    active = book.active(now)
    old = active.contract if active is not None else workspace
    changes = tuple(diff_contracts(old, new.contract))
    against = active.version if active is not None else (
        workspace.version if workspace is not None else None)
    for v in book.versions:
        if v.version == new.version:
            if v.sha256 != new.sha256:
                raise VersionConflictError(new.version)
            return Proposal(v, against, changes, stored=False)
    try:
        with store.transaction() as cur:
            store.insert_rows(cur, "contract_proposals", [{
                "version": new.version, "text": text, "sha256": new.sha256,
                "effective": new.effective, "proposed_by": proposed_by, "proposed_at": now}])
            if on_write is not None:
                on_write(cur)
    except DuplicateKeyError:
        again = {v.version: v for v in load_book(store).versions}.get(new.version)
        if again is None or again.sha256 != new.sha256:
            raise VersionConflictError(new.version) from None
        return Proposal(again, against, changes, stored=False)
    _written[0] += 1
    return Proposal(new, against, changes, stored=True)


def sign(store: Store, version: int, *, side: str, signer: str,
         at: datetime | None = None, on_write: OnWrite | None = None) -> Signature:
    """Sign a proposed `version` for `side` (`marketing` or `sales`); a side signs once
    (`UsageError` naming the version and side); an unknown version is `UnknownNameError`."""
    check_side(side)
    if not signer.strip():
        raise UsageError("name: a signature needs the signer's name")
    book = load_book(store)
    book.version(version)
    sig = Signature(version, side, signer.strip(), naive_utc(at or utc_now()))
    try:
        with store.transaction() as cur:
            store.insert_rows(cur, "contract_signatures", [{
                "signature_id": f"{version}:{side}", "version": version, "side": side,
                "signer": sig.signer, "signed_at": sig.signed_at}])
            if on_write is not None:
                on_write(cur)
    except DuplicateKeyError:
        raise SignatureConflictError(version, side) from None
    _written[0] += 1
    return sig


def history(store: Store, at: datetime | None = None) -> dict[str, Any]:
    """Every version with its signers, times and effective date, and which decides now."""
    now = naive_utc(at or utc_now())
    book = load_book(store)
    active = book.active(now)
    rows = []
    for v in book.versions:
        sides = signed_sides(v.version, book.signatures)
        rows.append({
            "version": v.version, "effective": v.effective.isoformat(), "sha256": v.sha256,
            "owners": {s: v.contract.source.owners.get(s) for s in SIDES},
            "signatures": {s: ({"signer": sides[s].signer,
                                "signed_at": sides[s].signed_at.isoformat()}
                               if s in sides else None) for s in SIDES},
            "signed": is_signed(v.version, book.signatures),
            "active": active is not None and active.version == v.version})
    return {"as_of": now.isoformat(), "active": active.version if active else None,
            "versions": rows}
