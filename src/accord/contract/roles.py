"""Stage roles: what a lifecycle stage *is* to accord, whatever the company calls it.

The contract names stages as the company does ("MQL" or "Marketing Qualified Lead",
"Customer" or "Closed Won"); code asks for the stage that plays a role, never for a name.
Each stage of `stages` may say `role:`; without one, a stage whose name is a well-known
name of a role (case-insensitive, see `ROLE_NAMES`) takes that role, and the first stage
listed is the `lead` stage when no stage claims `lead`. Each role is played by at most
one stage; a stage may play none (a company-specific step such as "Discovery").

- `lead`: where a lead starts; every lead is in it at creation.
- `handoff`: marketing hands the lead to sales (MQL); entered when its `entry` criteria
  hold. The speed-to-lead and accept-or-reject clocks start here by default.
- `accepted`: sales accepted the lead (SAL); the criteria name `accepted`. The follow-up
  clock starts here by default.
- `qualified`: sales qualified it (SQL).
- `opportunity`: a deal is open; entered when an opportunity is created for the lead.
- `won`: the deal is won (Customer, Closed Won); entered when an opportunity is won.
- `lost`: the deal is lost (Closed Lost); a move into it needs a reason code.
- `recycled`: back to marketing (Nurture); a move into it is a rejection and needs a
  reason code (seed 004).
- `disqualified`: out (Disqualified); a rejection too, with a reason code.

The funnel is the roles `lead → handoff → accepted → qualified → opportunity → won`, in
that order, each shown under its stage's name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum


class StageRole(StrEnum):
    LEAD = "lead"
    HANDOFF = "handoff"
    ACCEPTED = "accepted"
    QUALIFIED = "qualified"
    OPPORTUNITY = "opportunity"
    WON = "won"
    LOST = "lost"
    RECYCLED = "recycled"
    DISQUALIFIED = "disqualified"


#: The funnel, in order (DOMAIN §1: Lead → MQL → SAL → SQL → Opportunity → Won).
FUNNEL_ROLES: tuple[StageRole, ...] = (
    StageRole.LEAD, StageRole.HANDOFF, StageRole.ACCEPTED, StageRole.QUALIFIED,
    StageRole.OPPORTUNITY, StageRole.WON,
)
#: Roles a move into which sends a lead back and needs a reason code (seed 004).
SEND_BACK_ROLES: tuple[StageRole, ...] = (
    StageRole.RECYCLED, StageRole.DISQUALIFIED, StageRole.LOST,
)
#: Roles the engine derives from facts (never read from stage events, never set by hand).
DERIVED_ROLES: tuple[StageRole, ...] = (StageRole.HANDOFF, StageRole.OPPORTUNITY,
                                        StageRole.WON)
#: Roles whose stage holds open pipeline: a lead sitting there waits on someone (seed 000's
#: "pipeline stalled at one stage", seed 003's work without an owner).
PIPELINE_ROLES: tuple[StageRole, ...] = (StageRole.HANDOFF, StageRole.ACCEPTED,
                                         StageRole.QUALIFIED, StageRole.OPPORTUNITY)

#: Well-known stage names and the role each takes when the contract gives none
#: (lower case; the starter's names, common CRM names and HubSpot's lifecycle stages).
ROLE_NAMES: Mapping[str, StageRole] = {
    "lead": StageRole.LEAD, "new": StageRole.LEAD, "subscriber": StageRole.LEAD,
    "mql": StageRole.HANDOFF, "marketing qualified lead": StageRole.HANDOFF,
    "marketingqualifiedlead": StageRole.HANDOFF,
    "sal": StageRole.ACCEPTED, "sales accepted lead": StageRole.ACCEPTED,
    "sql": StageRole.QUALIFIED, "sales qualified lead": StageRole.QUALIFIED,
    "salesqualifiedlead": StageRole.QUALIFIED,
    "opportunity": StageRole.OPPORTUNITY,
    "customer": StageRole.WON, "won": StageRole.WON, "closed won": StageRole.WON,
    "lost": StageRole.LOST, "closed lost": StageRole.LOST,
    "nurture": StageRole.RECYCLED, "recycled": StageRole.RECYCLED,
    "disqualified": StageRole.DISQUALIFIED, "unqualified": StageRole.DISQUALIFIED,
}

#: The name a role's stage has in the starter contract (for messages and the simulator's
#: defaults only; code never compares with these).
STARTER_NAMES: Mapping[StageRole, str] = {
    StageRole.LEAD: "Lead", StageRole.HANDOFF: "MQL", StageRole.ACCEPTED: "SAL",
    StageRole.QUALIFIED: "SQL", StageRole.OPPORTUNITY: "Opportunity",
    StageRole.WON: "Customer", StageRole.LOST: "Lost", StageRole.RECYCLED: "Nurture",
    StageRole.DISQUALIFIED: "Disqualified",
}


def default_role(name: str) -> StageRole | None:
    """The role a stage called `name` takes when the contract gives it none."""
    return ROLE_NAMES.get(" ".join(name.replace("_", " ").split()).lower())


def resolve_roles(stages: Sequence[tuple[str, StageRole | None]]
                  ) -> tuple[dict[str, StageRole | None], list[tuple[str, str]]]:
    """Each stage's role from its explicit `role` or its name; and the conflicts found,
    as (stage, message) pairs, for validation to report.

    An explicit role wins over a name's default; a default that another stage claims
    explicitly, or that a stage earlier in the list already took, is dropped (no
    conflict: the name merely looked familiar)."""
    explicit: dict[StageRole, str] = {}
    problems: list[tuple[str, str]] = []
    for name, role in stages:
        if role is None:
            continue
        if role in explicit:
            problems.append((name, f"role {role.value!r} is already played by stage "
                                   f"{explicit[role]!r}; each role belongs to one stage"))
            continue
        explicit[role] = name
    taken = dict(explicit)
    out: dict[str, StageRole | None] = {}
    for name, role in stages:
        if role is not None:
            out[name] = role if explicit.get(role) == name else None
            continue
        guess = default_role(name)
        if guess is not None and guess not in taken:
            taken[guess] = name
            out[name] = guess
        else:
            out[name] = None
    if stages and StageRole.LEAD not in taken:
        first = stages[0][0]
        if out.get(first) is None:
            out[first] = StageRole.LEAD
    return out, problems
