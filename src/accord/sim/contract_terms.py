"""The contract terms the simulator speaks, read from the compiled contract.

The simulator writes the facts a real company running a contract would produce, so every
signal name, stage name and rejection reason code it emits comes from a
`CompiledContract` (`accord.contract.compiled`; the starter contract by default). It
never reads YAML or criteria text: it asks the compiled contract.

What it takes:
- signals (`contract.scoring.signals`, intent from `contract.source.signals`): name,
  intent level (hand_raise, high, medium, low; any other counts as low) and points;
- stages by role (`contract.stages`): the stage playing each role the simulator drives
  (`DRIVEN_ROLES`: lead, handoff, accepted, qualified, opportunity, won, recycled,
  disqualified), so stage events carry the contract's own names ("Marketing Qualified
  Lead", "Closed Won", …); a contract lacking one of those roles is refused with an
  `UnknownNameError` naming the role. Every move the simulator makes (`MOVES`) must be
  one the contract's `next` lists allow, else `ContractTermsError` names the move;
- `rejection_reasons`: the codes a rejection may carry;
- the first ICP (`contract.scoring.icps[0]`): the fit criteria scored on simulated leads;
- the handoff thresholds: the first `fit >= x` and `engagement >= y` of the handoff
  stage's parsed entry criteria (`contract.handoff_entry`, read with
  `criteria.lower_bounds`); where the criteria set none, the documented defaults 45 and
  40 apply (the starter contract's values);
- the work day (`contract.source.calendar`: `hours` and `days`) reps answer in, in their
  own time zone (the simulator ignores holidays and daylight saving).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from accord.contract.compiled import CompiledContract
from accord.contract.criteria import lower_bounds
from accord.contract.icp import IcpModel
from accord.contract.roles import StageRole
from accord.errors import AccordError

R = StageRole
#: The roles whose stages the simulator moves leads through (a `lost` stage is not used:
#: lost deals go back to marketing or out, by reason code, as in the starter contract).
DRIVEN_ROLES: tuple[StageRole, ...] = (
    R.LEAD, R.HANDOFF, R.ACCEPTED, R.QUALIFIED, R.OPPORTUNITY, R.WON, R.RECYCLED,
    R.DISQUALIFIED,
)
#: Every move the simulator writes, as (from role, to role).
MOVES: tuple[tuple[StageRole, StageRole], ...] = (
    (R.LEAD, R.HANDOFF), (R.LEAD, R.DISQUALIFIED),
    (R.HANDOFF, R.ACCEPTED), (R.HANDOFF, R.RECYCLED), (R.HANDOFF, R.DISQUALIFIED),
    (R.ACCEPTED, R.QUALIFIED), (R.ACCEPTED, R.RECYCLED), (R.ACCEPTED, R.DISQUALIFIED),
    (R.QUALIFIED, R.OPPORTUNITY), (R.QUALIFIED, R.RECYCLED), (R.QUALIFIED, R.DISQUALIFIED),
    (R.OPPORTUNITY, R.WON), (R.OPPORTUNITY, R.RECYCLED), (R.OPPORTUNITY, R.DISQUALIFIED),
    (R.RECYCLED, R.HANDOFF),
)
DEFAULT_MIN_FIT = 45.0
DEFAULT_MIN_ENGAGEMENT = 40.0
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Signal:
    name: str
    intent: str
    points: float


@dataclass(frozen=True)
class ContractTerms:
    """The compiled contract in the simulator's vocabulary: stage events are coded by
    position in `stage_names` (the contract's stages in contract order)."""

    version: int
    signals: tuple[Signal, ...]
    stage_names: tuple[str, ...]
    stage_of: Mapping[StageRole, str]  # the stage playing each driven role
    rejection_reasons: tuple[str, ...]
    icp: IcpModel | None
    mql_min_fit: float
    mql_min_engagement: float
    work_start_minute: int = 9 * 60
    work_end_minute: int = 18 * 60
    weekmask: str = "1111100"

    @property
    def signal_names(self) -> list[str]:
        return [s.name for s in self.signals]

    def name(self, role: StageRole) -> str:
        """The contract's name of the stage playing `role`."""
        return self.stage_of[role]

    def code(self, role: StageRole) -> int:
        """The stage-event code of `role`'s stage (its index in `stage_names`)."""
        return self.stage_names.index(self.stage_of[role])


class ContractTermsError(AccordError, ValueError):
    """The contract lacks something the simulator needs; the message names it."""


def terms_from(contract: CompiledContract) -> ContractTerms:
    """The simulator's terms from a compiled contract (module docstring)."""
    where = str(contract.path) if contract.path is not None else "the contract"
    intents = {name: s.intent for name, s in contract.source.signals.items()}
    signals = tuple(Signal(s.name, intents.get(s.name, "low"), float(s.points))
                    for s in contract.scoring.signals)
    if not signals:
        raise ContractTermsError(f"{where}: `signals` is empty; the simulator needs signals")
    stages = contract.stages
    stage_of = {role: stages.require(role, "the simulator") for role in DRIVEN_ROLES}
    for a, b in MOVES:
        if not stages.allows(stage_of[a], stage_of[b]):
            raise ContractTermsError(
                f"{where}: the simulator moves leads from {stage_of[a]!r} ({a.value}) to "
                f"{stage_of[b]!r} ({b.value}), which `stages.{stage_of[a]}.next` does not "
                f"allow; add {stage_of[b]!r} there")
    reasons = tuple(contract.source.rejection_reasons)
    if not reasons:
        raise ContractTermsError(f"{where}: `rejection_reasons` is empty")
    entry = contract.handoff_entry
    fit = lower_bounds(entry, "fit") if entry is not None else ()
    engagement = lower_bounds(entry, "engagement") if entry is not None else ()
    cal = contract.source.calendar
    weekmask = "".join("1" if d in cal.days else "0" for d in _DAYS)
    if "1" not in weekmask:
        raise ContractTermsError(f"{where}: calendar.days has no working day")
    return ContractTerms(
        version=contract.version,
        signals=signals,
        stage_names=stages.names,
        stage_of=MappingProxyType(stage_of),
        rejection_reasons=reasons,
        icp=contract.scoring.icps[0] if contract.scoring.icps else None,
        mql_min_fit=fit[0] if fit else DEFAULT_MIN_FIT,
        mql_min_engagement=engagement[0] if engagement else DEFAULT_MIN_ENGAGEMENT,
        work_start_minute=cal.start_minute,
        work_end_minute=cal.end_minute,
        weekmask=weekmask,
    )
