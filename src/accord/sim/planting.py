"""Resolve an effects set against the simulated world into per-lead and per-rep factors.

Names in the effects file (industries, channels, campaigns, landing pages, reps) are checked
against the world here; an unknown one raises `EffectsFileError` naming the file, the field
(`effects[2].campaign`) and the values that exist.

The gap kinds (`effects.GAP_KINDS`) act inside the funnel, so their lead counts are only
known once it has run: the funnel writes them into `Planted.tally`, and `Planted.applied`
(read after the funnel) carries them in each effect's record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, assert_never

import numpy as np
import numpy.typing as npt

from accord.contract.roles import FUNNEL_ROLES, StageRole
from accord.sim import catalogue as cat
from accord.sim.company import Team, campaigns_in_period
from accord.sim.contract_terms import ContractTerms
from accord.sim.effects import (
    CONVERT_ROLES,
    CampaignConversion,
    ChannelCeiling,
    Effects,
    EffectsFileError,
    HandoffBelowCriteria,
    LandingPageConversion,
    OwnerOverride,
    RejectionWithoutCode,
    SegmentConversion,
    SlowRep,
    effect_to_dict,
)
from accord.sim.leads import Leads, landing_pages
from accord.sim.period import Period

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: Funnel depth of each funnel role: lead 0, handoff 1, …, won 5 (a ceiling compares ranks).
STAGE_RANK: dict[StageRole, int] = {role: i for i, role in enumerate(FUNNEL_ROLES)}
CONVERT_STAGES: tuple[StageRole, ...] = CONVERT_ROLES


@dataclass(frozen=True)
class Planted:
    multiplier: dict[StageRole, F64]  # role of the stage entered → per-lead multiplier
    ceiling: I64  # per lead: highest stage rank the lead may reach
    sdr_delay: F64  # per SDR (team.sdr order): response-delay multiplier
    records: tuple[dict[str, Any], ...]  # effect parameters, resolved, with lead counts
    # Gap kinds (0 = not planted): the share of below-threshold leads handed off anyway,
    # of reps' rejections recorded without a code, of handed-off leads worked by another SDR.
    below_criteria_share: float = 0.0
    uncoded_rejection_share: float = 0.0
    owner_override_share: float = 0.0
    # Counts the funnel observed for the gap kinds, by kind (see the module docstring).
    tally: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def applied(self) -> tuple[dict[str, Any], ...]:
        """Each effect's record, with the funnel's counts for the gap kinds."""
        return tuple({**r, **self.tally.get(r["kind"], {})} for r in self.records)


def _segment_codes(field: str, leads: Leads) -> tuple[list[str], I64]:
    match field:
        case "industry":
            return [i[0] for i in cat.INDUSTRIES], leads.industry
        case "segment":
            return list(cat.SEGMENTS), leads.segment
        case "region":
            return list(cat.REGIONS), leads.region
        case "country":
            return [c[0] for c in cat.COUNTRIES], leads.country
        case _:
            raise AssertionError(field)


def _unknown(kind: str, value: object, known: list[str], source: str, field: str
             ) -> EffectsFileError:
    shown = ", ".join(known[:20]) + (" …" if len(known) > 20 else "")
    return EffectsFileError(f"unknown {kind} {value!r}; known: {shown}", source, field)


def plant_effects(effects: Effects, leads: Leads, team: Team, period: Period,
                  terms: ContractTerms, source: str = "effects") -> Planted:
    """Per-lead multipliers and ceilings, per-SDR delays, and the ground-truth records
    (stages under the contract's names for their roles)."""
    n = leads.n
    mult = {s: np.ones(n) for s in CONVERT_STAGES}
    ceiling = np.full(n, STAGE_RANK[StageRole.WON], dtype=np.int64)
    sdr_delay = np.ones(len(team.sdr))
    applied: list[dict[str, Any]] = []
    shares: dict[str, float] = {}
    campaign_ids = [c.campaign_id for c in campaigns_in_period(period)]
    pages = list(landing_pages(period))
    for i, effect in enumerate(effects.effects):
        record = effect_to_dict(effect)
        for key in ("stage", "never_past"):
            if key in record:
                record[key] = terms.name(StageRole(record[key]))
        at = f"effects[{i}]"
        match effect:
            case SegmentConversion():
                labels, codes = _segment_codes(effect.field, leads)
                if effect.value not in labels:
                    raise _unknown(effect.field, effect.value, labels, source, f"{at}.value")
                hit = codes == labels.index(effect.value)
                mult[effect.stage] = np.where(hit, mult[effect.stage] * effect.multiplier,
                                              mult[effect.stage])
            case ChannelCeiling():
                if effect.channel not in cat.ACQUISITION_CHANNELS:
                    raise _unknown("channel", effect.channel, list(cat.ACQUISITION_CHANNELS),
                                   source, f"{at}.channel")
                hit = leads.channel == cat.ACQUISITION_CHANNELS.index(effect.channel)
                ceiling = np.where(hit, np.minimum(ceiling, STAGE_RANK[effect.never_past]),
                                   ceiling)
            case SlowRep():
                sdr_ids = [team.rep_ids[j] for j in team.sdr]
                if isinstance(effect.rep, int):
                    if not 0 <= effect.rep < len(sdr_ids):
                        raise EffectsFileError(
                            f"SDR index {effect.rep} out of range; this run has "
                            f"{len(sdr_ids)} SDRs (0-{len(sdr_ids) - 1})", source, f"{at}.rep")
                    pos = effect.rep
                elif effect.rep in sdr_ids:
                    pos = sdr_ids.index(effect.rep)
                elif effect.rep in team.rep_ids:
                    raise EffectsFileError(
                        f"rep {effect.rep!r} is not an SDR; slow_rep acts on the first "
                        "touch, which SDRs make", source, f"{at}.rep")
                else:
                    raise _unknown("SDR", effect.rep, sdr_ids, source, f"{at}.rep")
                sdr_delay[pos] *= effect.delay_multiplier
                record["rep_id"] = sdr_ids[pos]
                hit = np.zeros(n, dtype=bool)  # counted after routing; see funnel
            case CampaignConversion():
                if effect.campaign not in campaign_ids:
                    raise _unknown("campaign", effect.campaign, campaign_ids, source,
                                   f"{at}.campaign")
                hit = leads.campaign == campaign_ids.index(effect.campaign)
                mult[effect.stage] = np.where(hit, mult[effect.stage] * effect.multiplier,
                                              mult[effect.stage])
            case LandingPageConversion():
                if effect.landing_page not in pages:
                    raise _unknown("landing page", effect.landing_page, pages, source,
                                   f"{at}.landing_page")
                hit = leads.landing_page == pages.index(effect.landing_page)
                mult[effect.stage] = np.where(hit, mult[effect.stage] * effect.multiplier,
                                              mult[effect.stage])
            case HandoffBelowCriteria() | RejectionWithoutCode() | OwnerOverride():
                if effect.kind in shares:
                    raise EffectsFileError(
                        f"a second {effect.kind} effect; give one, with the share wanted",
                        source, f"{at}.kind")
                shares[effect.kind] = effect.share
                applied.append(record)  # lead counts come from the funnel (`tally`)
                continue
            case _:
                assert_never(effect)
        if not isinstance(effect, SlowRep):
            record["leads_affected"] = int(hit.sum())
        applied.append(record)
    return Planted(mult, ceiling, sdr_delay, tuple(applied),
                   below_criteria_share=shares.get("handoff_below_criteria", 0.0),
                   uncoded_rejection_share=shares.get("rejection_without_code", 0.0),
                   owner_override_share=shares.get("owner_override", 0.0))
