"""Contract: the version deciding now, pending versions with their changes against it and
who has signed, the history (`store.contract_versions`, as `accord contract history
--json`), and the stages with their roles and owners. The marketing and the sales owner
see a sign button on a pending version; revops and admin see a propose form."""

from __future__ import annotations

from typing import Any

from accord.contract.describe import describe
from accord.contract.versions import SIDES, diff_contracts
from accord.dashboard.page import Column, Facts, Field, Form, Note, PageContent, Section, Table
from accord.dashboard.pages.common import PageContext, freshness
from accord.store.contract_versions import history, load_book

#: Who may sign (their own side) and who may propose, as the API allows.
SIGN_ROLES = ("marketing", "sales")
PROPOSE_ROLES = ("revops", "admin")


def _versions(data: dict[str, Any]) -> tuple[dict[str, Any], ...]:
    rows = []
    for v in data["versions"]:
        row = {"version": v["version"], "effective": v["effective"], "signed": v["signed"],
               "active": v["active"], "sha256": v["sha256"][:12]}
        for side in SIDES:
            sig = v["signatures"][side]
            row[f"{side}_owner"] = v["owners"].get(side)
            row[f"{side}_signer"] = sig["signer"] if sig else None
            row[f"{side}_signed_at"] = sig["signed_at"] if sig else None
        rows.append(row)
    return tuple(rows)


def build(ctx: PageContext) -> PageContent:
    data = history(ctx.store)
    book = load_book(ctx.store)
    active_no = data["active"]
    active = book.version(active_no).contract if active_no is not None else ctx.contract
    sections: list[Section] = [Facts("contract-active", (
        ("Deciding now", f"version {active_no}" if active_no is not None else
         f"the workspace file (version {ctx.contract.version}); no signed version yet"),
        ("Versions stored", str(len(data["versions"]))),
        ("Signed and effective needs", "both the marketing and the sales owner")))]
    side_cols = tuple(c for side in SIDES for c in (
        Column(f"{side}_owner", f"{side.title()} owner"),
        Column(f"{side}_signer", f"{side.title()} signed by"),
        Column(f"{side}_signed_at", "at", "when")))
    sections.append(Table("versions", "History", (
        Column("version", "Version", "int"), Column("effective", "Effective", "when"),
        *side_cols, Column("signed", "Signed by both"), Column("active", "Deciding now"),
        Column("sha256", "Text SHA-256")), _versions(data),
        empty="No version proposed yet: the workspace's accord.yaml decides."))

    for v in data["versions"]:
        if v["signed"]:
            continue
        proposed = book.version(v["version"])
        changes = tuple(c.as_dict() for c in diff_contracts(active, proposed.contract))
        for c in changes:
            c["old"], c["new"] = _short(c["old"]), _short(c["new"])
        waiting = [s for s in SIDES if v["signatures"][s] is None]
        sections.append(Table(f"pending-{v['version']}",
                              f"Pending version {v['version']}: changes against what "
                              f"decides now; waiting for {' and '.join(waiting)}",
                              (Column("key", "Key"), Column("change", "Change"),
                               Column("old", "Now"), Column("new", "Proposed")), changes,
                              empty="No change against the version deciding now."))
        if ctx.role in SIGN_ROLES and ctx.role in waiting:
            sections.append(Form(f"sign-{v['version']}", "/dashboard/contract/sign",
                                 f"Sign version {v['version']} for {ctx.role}", (
                                     Field("version", "", "hidden", str(v["version"])),
                                     Field("name", "Signer", "text", ctx.session.who.name))))
    if ctx.role in PROPOSE_ROLES:
        sections.append(Form("propose", "/dashboard/contract/propose", "Propose", (
            Field("text", "Contract YAML (a new version number and effective date)",
                  "textarea"),), title="Propose a new version"))
    elif ctx.role not in SIGN_ROLES:
        sections.append(Note(f"Role {ctx.role} reads the contract; the marketing and the "
                             "sales owner sign, revops and admin propose."))

    described = describe(ctx.contract).as_dict()
    stages = tuple({"stage": s.get("name"), "role": s.get("role"), "owner": s.get("owner")}
                   for s in described.get("stages", ()))
    sections.append(Table("stages", "Lifecycle stages (the workspace contract)", (
        Column("stage", "Stage"), Column("role", "Role"), Column("owner", "Owner")), stages))
    return PageContent(
        "Contract", "actual",
        "The agreement both teams signed: a version decides only once its marketing and "
        "sales owners have both signed it, from its effective date.",
        tuple(sections), (), freshness(ctx))


def _short(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"
