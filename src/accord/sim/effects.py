"""Planted effects: deliberate, documented departures from the base model.

An effects file is YAML with a top-level `effects:` list (a bare list is accepted too).
Each item has a `kind` and its parameters:

- `segment_conversion`: leads whose `field` (industry, segment, region or country)
  equals `value` convert into `stage` `multiplier` times as often.
- `channel_ceiling`: leads acquired through `channel` never get past `never_past`.
- `slow_rep`: the SDR `rep` (rep id, or 0-based index among SDRs) answers
  `delay_multiplier` times more slowly (acts on conversion through speed to lead).
- `campaign_conversion`: leads created by `campaign` convert into `stage` `multiplier`
  times as often.
- `landing_page_conversion`: the same for leads whose first conversion was on `landing_page`.

Gaps between the agreement and what the company does (what `accord audit` finds), each with
a `share` in (0, 1] and at most one of each kind per file:

- `handoff_below_criteria`: `share` of the leads whose fit is below the handoff criteria's
  fit threshold (so they never meet the criteria) are handed to sales anyway, one to 48
  hours after they arrive, and go through the funnel like any other handoff.
- `rejection_without_code`: `share` of the rejections reps record (moves by a rep into a
  send-back stage) carry no reason code; the lead still goes where the code would have
  sent it.
- `owner_override`: `share` of the leads handed off are worked by another SDR than the one
  the simulator routes them to (one of the other SDRs, picked at random, the same one
  relative to the routed SDR in every round).

`stage` is the stage entered, and `never_past` the last stage a lead may reach, each
given by its role (`accord.contract.roles.StageRole`), so one effects file fits every
contract whatever it calls its stages. A file may write the role (`accepted`,
`qualified`, `opportunity`, `won`; `never_past` also `handoff`) or a well-known stage
name that takes the role (`accord.contract.roles.ROLE_NAMES`, case-insensitive: SAL, SQL,
Opportunity, Customer, MQL, "Sales Qualified Lead", "Closed Won", …). The ground-truth
file names each under the simulated contract's own name for the role. The default set
ships as `default_effects.yaml`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from accord.contract.roles import STARTER_NAMES, StageRole, default_role
from accord.errors import AccordError

#: Roles a conversion multiplier may act on: the stage entered.
CONVERT_ROLES: tuple[StageRole, ...] = (
    StageRole.ACCEPTED, StageRole.QUALIFIED, StageRole.OPPORTUNITY, StageRole.WON)
#: Roles a channel ceiling may stop at: the last stage its leads reach.
CEILING_ROLES: tuple[StageRole, ...] = (
    StageRole.HANDOFF, StageRole.ACCEPTED, StageRole.QUALIFIED, StageRole.OPPORTUNITY)


_ROLE_VALUES = frozenset(r.value for r in StageRole)


def _role_reader(allowed: tuple[StageRole, ...], what: str) -> BeforeValidator:
    """A validator turning a role value or a well-known stage name into one of `allowed`."""
    shown = ", ".join(f"{r.value} ({STARTER_NAMES[r]})" for r in allowed)

    def read(value: Any) -> StageRole:
        if isinstance(value, str):
            text = value.strip()
            role = StageRole(text.lower()) if text.lower() in _ROLE_VALUES else (
                default_role(text))
            if role in allowed:
                return role
        raise ValueError(f"{value!r} is not a stage {what}; use a role or a well-known "
                         f"name: {shown}")

    return BeforeValidator(read)


ConvertStage = Annotated[StageRole, _role_reader(CONVERT_ROLES, "a conversion acts on")]
CeilingStage = Annotated[StageRole, _role_reader(CEILING_ROLES, "a ceiling may stop at")]
SegmentField = Literal["industry", "segment", "region", "country"]
DEFAULT_EFFECTS_FILE = "default_effects.yaml"


class _Effect(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SegmentConversion(_Effect):
    kind: Literal["segment_conversion"]
    field: SegmentField
    value: str
    stage: ConvertStage
    multiplier: float = Field(gt=0)


class ChannelCeiling(_Effect):
    kind: Literal["channel_ceiling"]
    channel: str
    never_past: CeilingStage


class SlowRep(_Effect):
    kind: Literal["slow_rep"]
    rep: str | int
    delay_multiplier: float = Field(gt=0)


class CampaignConversion(_Effect):
    kind: Literal["campaign_conversion"]
    campaign: str
    stage: ConvertStage
    multiplier: float = Field(gt=0)


class LandingPageConversion(_Effect):
    kind: Literal["landing_page_conversion"]
    landing_page: str
    stage: ConvertStage
    multiplier: float = Field(gt=0)


Share = Annotated[float, Field(gt=0, le=1)]


class HandoffBelowCriteria(_Effect):
    kind: Literal["handoff_below_criteria"]
    share: Share


class RejectionWithoutCode(_Effect):
    kind: Literal["rejection_without_code"]
    share: Share


class OwnerOverride(_Effect):
    kind: Literal["owner_override"]
    share: Share


#: Kinds that act on the agreement's commitments; a file holds at most one of each.
GAP_KINDS: tuple[str, ...] = ("handoff_below_criteria", "rejection_without_code",
                              "owner_override")

Effect = Annotated[
    SegmentConversion | ChannelCeiling | SlowRep | CampaignConversion | LandingPageConversion
    | HandoffBelowCriteria | RejectionWithoutCode | OwnerOverride,
    Field(discriminator="kind"),
]


class Effects(BaseModel):
    """A set of planted effects, applied together (multipliers on one stage multiply)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    description: str | None = None
    effects: tuple[Effect, ...] = ()


class EffectsFileError(AccordError, ValueError):
    """An effects file is unreadable or invalid. Carries the file and the field path."""

    def __init__(self, message: str, file: str | None = None, field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.field = field
        where = file or "effects"
        at = f" at `{field}`" if field else ""
        super().__init__(f"{where}{at}: {message}")


def load_effects(path: Path | str) -> Effects:
    """Read and validate an effects file; raise `EffectsFileError` naming file and field."""
    p = Path(path)
    try:
        text = p.read_text("utf-8")
    except OSError as e:
        raise EffectsFileError(f"cannot read the file ({e.strerror})", str(p)) from e
    return parse_effects(text, str(p))


def parse_effects(text: str, source: str = "effects") -> Effects:
    try:
        data: Any = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise EffectsFileError(f"not valid YAML: {e}", source) from e
    if data is None:
        data = {"effects": []}
    if isinstance(data, list):
        data = {"effects": data}
    if not isinstance(data, dict):
        raise EffectsFileError("expected a mapping with an `effects:` list", source)
    try:
        return Effects.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        more = f" (and {e.error_count() - 1} more)" if e.error_count() > 1 else ""
        raise EffectsFileError(f"{first['msg']}{more}", source, field) from e


def default_effects() -> Effects:
    """The documented default set (`accord/sim/default_effects.yaml`)."""
    text = resources.files("accord.sim").joinpath(DEFAULT_EFFECTS_FILE).read_text("utf-8")
    return parse_effects(text, f"accord/sim/{DEFAULT_EFFECTS_FILE}")


def effect_to_dict(effect: _Effect) -> dict[str, Any]:
    return effect.model_dump(mode="json")
