"""The sales process after the handoff: first touch, acceptance, qualification, deals,
recycling.

Stages are roles (`accord.contract.roles`); each event carries the contract's name of the
role's stage (in the starter: handoff MQL, accepted SAL, qualified SQL, opportunity
Opportunity, won Customer, recycled Nurture, disqualified Disqualified). For each lead
handed off:

1. The lead's SDR (region + stable hash; a covering SDR of the region while the SDR is out
   of office) makes the first touch after a log-normal delay in working minutes (the rep's
   median × e^(1.4·Z), times any `slow_rep` multiplier), counted inside the contract's
   `calendar.hours` in the rep's time zone — an evening handoff waits for the morning.
   Speed to lead acts on the clock delay, as the buyer lives it.
2. A few hours later the SDR accepts (handoff → accepted) or rejects with a reason code,
   to the recycled or the disqualified stage by `REJECT_DESTINATION`.
3. Days later the accepted lead is qualified (accepted → qualified) — the step where speed
   to lead counts — or sent back with a reason; accepted leads get follow-up activities.
4. An AE (the account owner for ABM accounts, else by region and segment) opens an
   opportunity for the qualified lead (an opportunities row: amount and cycle length by
   segment) or declines.
5. The opportunity closes after its cycle: won, or lost (to the recycled or disqualified
   stage with the loss reason; a `lost` stage is not used); still open when the period
   ends otherwise.

Planted gaps between the agreement and what the company does (`effects.GAP_KINDS`, each
drawn from its own random stream, so planting one leaves every other draw as it was):
leads below the handoff fit threshold handed off anyway (`handoff_below_criteria`, a
funnel of their own, one to 48 hours after they arrive), rejections by reps recorded
without a reason code (`rejection_without_code`), and leads worked by another SDR than the
one they are routed to (`owner_override`). Their counts go into `Planted.tally`.

Reps record their decisions and do their activities in working time (`work_hours.py`).
A share of leads sent to the recycled stage are handed off again weeks later and go round
again (at most `MAX_ROUNDS` rounds). Anything that would happen after the period ends does
not happen. Every random draw of a round is made up front for all its leads, so two runs
with the same seed and different effects use the same random numbers for the same
decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from accord.contract.roles import StageRole
from accord.sim import base_model as bm
from accord.sim import catalogue as cat
from accord.sim.company import Accounts, Team, route_ae
from accord.sim.contract_terms import ContractTerms
from accord.sim.leads import Leads
from accord.sim.period import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE, Period
from accord.sim.planting import STAGE_RANK, Planted
from accord.sim.work_hours import add_business_minutes

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

MAX_ROUNDS = 3
ACTOR_AUTOMATION = -1  # `marketing_automation`
#: A lead below the handoff criteria handed off anyway goes over this many hours after it
#: arrives: uniform between the two.
BELOW_CRITERIA_LAG_HOURS = (1.0, 48.0)
ACTIVITY_KINDS: tuple[str, ...] = ("call", "email", "meeting", "linkedin")
WON_REASONS: tuple[str, ...] = ("product_fit", "champion", "price", "integration")
WON_REASON_WEIGHTS = np.array([0.45, 0.25, 0.15, 0.15])

R = StageRole
# Where a rejection sends the lead (the role of the destination), by reason code; codes
# not listed go back to marketing (recycled).
REJECT_DESTINATION: dict[str, StageRole] = {
    "bad_fit": R.DISQUALIFIED, "student": R.DISQUALIFIED, "competitor": R.DISQUALIFIED,
    "duplicate": R.DISQUALIFIED, "bad_data": R.DISQUALIFIED,
    "timing": R.RECYCLED, "no_budget": R.RECYCLED, "no_response": R.RECYCLED,
}
# Base weights of rejection reasons by the role of the stage the lead is rejected from;
# codes of the contract not listed get UNLISTED_REASON_WEIGHT.
REJECT_WEIGHTS: dict[StageRole, dict[str, float]] = {
    R.HANDOFF: {"bad_fit": 2.0, "student": 0.2, "competitor": 0.3, "duplicate": 0.2,
            "bad_data": 0.6, "timing": 1.5, "no_budget": 1.0, "no_response": 1.0},
    R.ACCEPTED: {"no_response": 2.0, "timing": 2.0, "no_budget": 2.0, "bad_fit": 1.0,
            "competitor": 0.5},
    R.QUALIFIED: {"no_budget": 2.0, "timing": 2.0, "competitor": 1.0, "bad_fit": 1.0,
            "no_response": 0.5},
    R.OPPORTUNITY: {"competitor": 3.0, "no_budget": 2.0, "timing": 2.0, "no_response": 1.0,
                    "bad_fit": 0.5},
}
UNLISTED_REASON_WEIGHT = 0.1


@dataclass
class _Log:
    ev_lead: list[I64] = field(default_factory=list)
    ev_from: list[I64] = field(default_factory=list)
    ev_to: list[I64] = field(default_factory=list)
    ev_at: list[I64] = field(default_factory=list)
    ev_actor: list[I64] = field(default_factory=list)
    ev_reason: list[I64] = field(default_factory=list)
    act_lead: list[I64] = field(default_factory=list)
    act_rep: list[I64] = field(default_factory=list)
    act_kind: list[I64] = field(default_factory=list)
    act_at: list[I64] = field(default_factory=list)
    opp: list[dict[str, npt.NDArray[np.generic]]] = field(default_factory=list)

    def event(self, lead: I64, from_stage: I64 | int, to_stage: I64 | int, at: I64,
              actor: I64 | int, reason: I64 | int = -1) -> None:
        n = len(lead)
        self.ev_lead.append(lead)
        self.ev_from.append(np.broadcast_to(np.asarray(from_stage, np.int64), n).copy())
        self.ev_to.append(np.broadcast_to(np.asarray(to_stage, np.int64), n).copy())
        self.ev_at.append(at)
        self.ev_actor.append(np.broadcast_to(np.asarray(actor, np.int64), n).copy())
        self.ev_reason.append(np.broadcast_to(np.asarray(reason, np.int64), n).copy())

    def activity(self, lead: I64, rep: I64, kind: I64, at: I64) -> None:
        self.act_lead.append(lead)
        self.act_rep.append(rep)
        self.act_kind.append(kind)
        self.act_at.append(at)


@dataclass(frozen=True)
class Funnel:
    """Columns of stage events, activities and opportunities (codes, not strings)."""

    events: dict[str, I64]  # lead, from_stage, to_stage, at, actor, reason
    activities: dict[str, I64]  # lead, rep, kind, at
    opportunities: dict[str, npt.NDArray[np.generic]]
    first_sdr: I64  # per lead, SDR rep index of the first MQL round (-1 never MQL)
    first_delay_minutes: F64  # per lead, clock minutes MQL → first touch (nan never MQL)
    first_delay_business_minutes: F64  # the same in the SDR's working minutes


class _World:
    def __init__(self, leads: Leads, accounts: Accounts, team: Team, terms: ContractTerms,
                 period: Period, planted: Planted,
                 override: tuple[B, I64] | None = None) -> None:
        self.leads, self.accounts, self.team, self.terms = leads, accounts, team, terms
        self.period, self.planted = period, planted
        self.stage = {role: terms.code(role) for role in terms.stage_of}
        self.reasons = terms.rejection_reasons
        self.sdr_pos = np.full(len(team.rep_ids), -1, dtype=np.int64)
        self.sdr_pos[team.sdr] = np.arange(len(team.sdr))
        self.lead_key = (np.arange(leads.n, dtype=np.uint64) * np.uint64(2654435761)
                         % np.uint64(2**32)).astype(np.int64)
        self.is_student = np.array([t[2] for t in cat.TITLES])[leads.title]
        dest = [REJECT_DESTINATION.get(r, R.RECYCLED) for r in self.reasons]
        self.reason_dest = np.array([self.stage[d] for d in dest], dtype=np.int64)
        # `owner_override`: per lead, whether another SDR works it, and how many places
        # along the SDR list (1 … SDRs - 1) that SDR is from the one routed.
        self.override = override

    def override_owner(self, lead: I64, sdr: I64) -> I64:
        """The SDR who works each lead: the routed one, or for an overridden lead the SDR
        its offset away in the SDR list (never the routed one)."""
        if self.override is None:
            return sdr
        hit, step = self.override
        sdrs = self.team.sdr
        other = sdrs[(self.sdr_pos[sdr] + step[lead]) % len(sdrs)]
        out: I64 = np.where(hit[lead], other, sdr)
        return out

    def assign_sdr(self, lead: I64, at: I64) -> I64:
        team = self.team
        region = self.leads.region[lead]
        key = self.lead_key[lead]
        sdr = np.full(len(lead), -1, dtype=np.int64)
        for r in range(len(cat.REGIONS)):
            pool = team.sdr_by_region(r)
            sel = region == r
            sdr[sel] = pool[key[sel] % len(pool)]
        for rep, start, end in team.absences:
            if team.role[rep] != 0:
                continue
            away = (sdr == rep) & (at >= start) & (at < end)
            if away.any():
                pool = team.sdr_by_region(int(team.region[rep]))
                if len(pool) > 1:
                    sdr[away] = pool[(np.searchsorted(pool, rep) + 1) % len(pool)]
        return sdr

    def reasons_for(self, stage: StageRole, rows: I64, u: F64, speed: F64 | None = None
                    ) -> I64:
        """A reason code per rejected lead, drawn from the weights of the role `stage`
        it is rejected from (at the handoff, leaning on the lead's own failings)."""
        weights = REJECT_WEIGHTS[stage]
        leads = self.leads
        w = np.empty((len(rows), len(self.reasons)))
        for j, code in enumerate(self.reasons):
            w[:, j] = weights.get(code, UNLISTED_REASON_WEIGHT)
            if stage is R.HANDOFF:
                if code == "bad_fit":
                    w[:, j] += 6.0 * (1.0 - leads.fit[rows] / 100.0)
                elif code == "student":
                    w[:, j] += 30.0 * self.is_student[rows]
                elif code == "duplicate":
                    w[:, j] += 8.0 * (leads.duplicate_of[rows] >= 0)
                elif code == "bad_data":
                    w[:, j] += 3.0 * leads.free_mail[rows]
            if stage is R.ACCEPTED and code == "no_response" and speed is not None:
                w[:, j] += 4.0 * (1.0 - speed)
        cdf = np.cumsum(w, axis=1)
        codes: I64 = np.minimum((u[:, None] * cdf[:, -1:] > cdf).sum(axis=1),
                                len(self.reasons) - 1)
        return codes

    def probability(self, stage: StageRole, lead: I64, base: float, extra: F64 | float = 1.0
                    ) -> F64:
        p = (base * bm.fit_factor(self.leads.fit[lead], stage) * extra
             * self.planted.multiplier[stage][lead])
        p = np.where(self.planted.ceiling[lead] >= STAGE_RANK[stage], p, 0.0)
        return np.clip(p, 0.0, bm.P_CAP)


def _lag(z: F64, median_hours: float, sigma: float = bm.LAG_SIGMA) -> I64:
    return (median_hours * US_PER_HOUR * np.exp(sigma * z)).astype(np.int64) + US_PER_MINUTE


def _spread_activities(w: _World, log: _Log, lead: I64, rep: I64, start: I64,
                       span_minutes: F64, count: I64, kind_p: F64, rng: np.random.Generator
                       ) -> None:
    """`count[i]` activities by `rep[i]` at uniform working minutes within `span_minutes[i]`
    of working time after `start[i]`."""
    rows = np.repeat(np.arange(len(lead)), count)
    offset = w.team.utc_offset[rep[rows]]
    at = add_business_minutes(start[rows], offset, rng.random(len(rows)) * span_minutes[rows],
                              w.terms)
    kind = rng.choice(len(ACTIVITY_KINDS), size=len(rows), p=kind_p)
    log.activity(lead[rows], rep[rows], kind, at)


def _round(w: _World, log: _Log, lead: I64, at: I64, from_stage: StageRole,
           rng: np.random.Generator) -> tuple[I64, I64, I64, F64, F64]:
    """One pass through the funnel; returns leads entering Nurture (lead, at) and the SDR and
    delay used for each input lead."""
    st = w.stage
    n = len(lead)
    # Every draw up front (common random numbers across effect sets).
    z_delay, z_accept, z_qualify, z_opp, z_cycle, z_amount = rng.normal(size=(6, n))
    u_sal, u_sql, u_opp, u_win, u_r1, u_r2, u_r3, u_r4, u_won, u_kind = rng.random((10, n))
    n_follow = rng.poisson(4.0, n)
    act_rng = np.random.default_rng(rng.integers(2**63))

    log.event(lead, st[from_stage], st[R.HANDOFF], at, ACTOR_AUTOMATION)
    sdr = w.override_owner(lead, w.assign_sdr(lead, at))
    pos = w.sdr_pos[sdr]
    business_delay = (w.team.sdr_median_delay[pos] * np.exp(bm.LEAD_DELAY_SIGMA * z_delay)
                      * w.planted.sdr_delay[pos])
    sdr_off = w.team.utc_offset[sdr]
    t1 = np.maximum(add_business_minutes(at, sdr_off, business_delay, w.terms), at + 1)
    delay_min = (t1 - at) / US_PER_MINUTE
    first_kind = np.where(u_kind < 0.5, 0, np.where(u_kind < 0.9, 1, 3))
    log.activity(lead, sdr, first_kind, t1)

    # MQL → SAL, or rejection by the SDR.
    t2 = add_business_minutes(t1, sdr_off, _lag(z_accept, bm.ACCEPT_LAG_HOURS) / US_PER_MINUTE,
                              w.terms)
    accepted = u_sal < w.probability(R.ACCEPTED, lead, bm.BASE_P_SAL)
    rej = np.flatnonzero(~accepted)
    code = w.reasons_for(R.HANDOFF, lead[rej], u_r1[rej])
    log.event(lead[rej], st[R.HANDOFF], w.reason_dest[code], t2[rej], sdr[rej], code)
    nurture = [(lead[rej][w.reason_dest[code] == st[R.RECYCLED]],
                t2[rej][w.reason_dest[code] == st[R.RECYCLED]])]
    a = np.flatnonzero(accepted)
    log.event(lead[a], st[R.HANDOFF], st[R.ACCEPTED], t2[a], sdr[a])
    day_minutes = float(w.terms.work_end_minute - w.terms.work_start_minute)
    _spread_activities(w, log, lead[a], sdr[a], t2[a], np.full(len(a), 8 * day_minutes),
                       n_follow[a], np.array([0.45, 0.4, 0.0, 0.15]), act_rng)

    # SAL → SQL: qualification, where speed to lead counts.
    speed = bm.speed_factor(delay_min)
    channel_q = np.array([bm.CHANNEL_QUALITY[c] for c in cat.ACQUISITION_CHANNELS])
    chq = channel_q[w.leads.channel[lead]]
    t3 = add_business_minutes(t2 + _lag(z_qualify, bm.QUALIFY_LAG_HOURS), sdr_off,
                              np.zeros(n), w.terms)
    p_sql = w.probability(R.QUALIFIED, lead, bm.BASE_P_SQL, chq * speed)
    qualified = accepted & (u_sql < p_sql)
    rej = np.flatnonzero(accepted & ~qualified)
    code = w.reasons_for(R.ACCEPTED, lead[rej], u_r2[rej], speed[rej])
    log.event(lead[rej], st[R.ACCEPTED], w.reason_dest[code], t3[rej], sdr[rej], code)
    nurture.append((lead[rej][w.reason_dest[code] == st[R.RECYCLED]],
                    t3[rej][w.reason_dest[code] == st[R.RECYCLED]]))
    q = np.flatnonzero(qualified)
    log.event(lead[q], st[R.ACCEPTED], st[R.QUALIFIED], t3[q], sdr[q])

    # SQL → Opportunity, by the AE.
    acc = w.leads.account
    seg = w.leads.segment[lead]
    owner = w.accounts.owner[acc[lead]]
    ae = np.where(owner >= 0, owner,
                  route_ae(w.team, w.leads.region[lead], seg, w.lead_key[lead]))
    ae_off = w.team.utc_offset[ae]
    t4 = add_business_minutes(t3 + _lag(z_opp, bm.OPPORTUNITY_LAG_HOURS), ae_off, np.zeros(n),
                              w.terms)
    opened = qualified & (u_opp < w.probability(R.OPPORTUNITY, lead, bm.BASE_P_OPP, chq))
    rej = np.flatnonzero(qualified & ~opened)
    code = w.reasons_for(R.QUALIFIED, lead[rej], u_r3[rej])
    log.event(lead[rej], st[R.QUALIFIED], w.reason_dest[code], t4[rej], ae[rej], code)
    nurture.append((lead[rej][w.reason_dest[code] == st[R.RECYCLED]],
                    t4[rej][w.reason_dest[code] == st[R.RECYCLED]]))
    o = np.flatnonzero(opened)
    log.event(lead[o], st[R.QUALIFIED], st[R.OPPORTUNITY], t4[o], ae[o])

    # Opportunity → won or lost, after a cycle by segment.
    cycle_days = np.array([bm.CYCLE_MEDIAN_DAYS[s] for s in cat.SEGMENTS])[seg] * np.exp(
        bm.CYCLE_SIGMA * z_cycle)
    t5 = add_business_minutes(t4 + (cycle_days * US_PER_DAY).astype(np.int64), ae_off,
                              np.zeros(n), w.terms)
    won = opened & (u_win < w.probability(R.WON, lead, bm.BASE_P_WIN))
    lost = opened & ~won
    wi = np.flatnonzero(won)
    log.event(lead[wi], st[R.OPPORTUNITY], st[R.WON], t5[wi], ae[wi])
    li = np.flatnonzero(lost)
    loss = w.reasons_for(R.OPPORTUNITY, lead[li], u_r4[li])
    log.event(lead[li], st[R.OPPORTUNITY], w.reason_dest[loss], t5[li], ae[li], loss)
    nurture.append((lead[li][w.reason_dest[loss] == st[R.RECYCLED]],
                    t5[li][w.reason_dest[loss] == st[R.RECYCLED]]))
    meetings = 1 + act_rng.poisson(cycle_days[o] / 12.0)
    working_share = w.terms.weekmask.count("1") / 7.0
    _spread_activities(w, log, lead[o], ae[o], t4[o],
                       (t5[o] - t4[o]) / US_PER_DAY * working_share * day_minutes, meetings,
                       np.array([0.3, 0.2, 0.5, 0.0]), act_rng)

    amount = np.round(np.array([bm.DEAL_MEDIAN[s] for s in cat.SEGMENTS])[seg]
                      * np.exp(bm.DEAL_SIGMA * z_amount), -2)
    won_reason = np.minimum(
        (u_won[:, None] > np.cumsum(WON_REASON_WEIGHTS)[None, :]).sum(axis=1), 3)
    close_code = np.full(n, -1, dtype=np.int64)
    close_code[wi] = won_reason[wi]
    close_code[li] = len(WON_REASONS) + loss
    partner = w.leads.channel[lead] == cat.ACQUISITION_CHANNELS.index("partner")
    log.opp.append({
        "lead": lead[o], "account": acc[lead[o]], "owner": ae[o], "created": t4[o],
        "amount": amount[o], "closed": t5[o], "won": won[o], "close_code": close_code[o],
        "source": np.where(partner[o], 2, 0),
    })
    n_lead = np.concatenate([x[0] for x in nurture])
    n_at = np.concatenate([x[1] for x in nurture])
    return n_lead, n_at, sdr, delay_min, business_delay


def run_funnel(leads: Leads, accounts: Accounts, team: Team, terms: ContractTerms,
               period: Period, planted: Planted, mql_at: I64, seed_seq: np.random.SeedSequence
               ) -> Funnel:
    round_seqs = seed_seq.spawn(MAX_ROUNDS + 1)
    # The gap kinds' streams come after the base model's, one per kind.
    below_seq, uncoded_seq, override_seq = seed_seq.spawn(3)
    w = _World(leads, accounts, team, terms, period, planted,
               _owner_overrides(planted, leads.n, len(team.sdr), override_seq))
    log = _Log()
    st = w.stage
    pre = np.random.default_rng(round_seqs[-1])

    # Marketing automation drops unusable records on arrival.
    bad = np.flatnonzero(leads.bad_data)
    if "bad_data" in terms.rejection_reasons:
        log.event(bad, st[R.LEAD], st[R.DISQUALIFIED],
                  leads.created[bad] + pre.integers(1, 10, len(bad)) * US_PER_MINUTE,
                  ACTOR_AUTOMATION, terms.rejection_reasons.index("bad_data"))

    first = (np.full(leads.n, -1, dtype=np.int64), np.full(leads.n, np.nan),
             np.full(leads.n, np.nan))
    lead = np.flatnonzero(mql_at >= 0)
    _rounds(w, log, lead, mql_at[lead], round_seqs[:MAX_ROUNDS], first)
    if planted.below_criteria_share > 0:
        below_seqs = below_seq.spawn(MAX_ROUNDS + 1)
        lead, at = _below_criteria(w, np.random.default_rng(below_seqs[-1]))
        _rounds(w, log, lead, at, below_seqs[:MAX_ROUNDS], first)
    if w.override is not None:
        handed = first[0] >= 0
        planted.tally["owner_override"] = {
            "leads_handed_off": int(handed.sum()),
            "leads_affected": int((w.override[0] & handed).sum())}
    uncoded = np.random.default_rng(uncoded_seq) if planted.uncoded_rejection_share > 0 \
        else None
    return _collect(log, period, *first, w, uncoded)


def _rounds(w: _World, log: _Log, lead: I64, at: I64,
            seqs: list[np.random.SeedSequence], first: tuple[I64, F64, F64]) -> None:
    """Up to `MAX_ROUNDS` funnel rounds from the handoff of `lead` at `at`: recycled leads
    come back weeks later. `first` (SDR, clock delay, business delay per lead) is filled
    for the leads of the first round."""
    first_sdr, first_delay, first_business = first
    from_stage = R.LEAD
    for r in range(MAX_ROUNDS):
        rng = np.random.default_rng(seqs[r])
        n_lead, n_at, sdr, delay, business = _round(w, log, lead, at, from_stage, rng)
        if r == 0:
            first_sdr[lead] = sdr
            first_delay[lead] = delay
            first_business[lead] = business
        back = rng.random(len(n_lead)) < bm.RECYCLE_SHARE
        back_at = n_at + ((bm.RECYCLE_MIN_DAYS + bm.RECYCLE_MEDIAN_EXTRA_DAYS * np.exp(
            0.6 * rng.normal(size=len(n_lead)))) * US_PER_DAY).astype(np.int64)
        keep = back & (back_at < w.period.end_us)
        order = np.argsort(n_lead[keep], kind="stable")
        lead, at, from_stage = n_lead[keep][order], back_at[keep][order], R.RECYCLED
        if len(lead) == 0:
            break


def _owner_overrides(planted: Planted, n: int, n_sdr: int, seq: np.random.SeedSequence
                     ) -> tuple[B, I64] | None:
    """`owner_override`: per lead, whether another SDR works it (a `share` of all leads)
    and that SDR's offset in the SDR list from the routed one (uniform over the others)."""
    share = planted.owner_override_share
    if share <= 0 or n_sdr < 2:
        return None
    rng = np.random.default_rng(seq)
    hit: B = rng.random(n) < share
    step: I64 = rng.integers(1, n_sdr, n)
    return hit, step


def _below_criteria(w: _World, rng: np.random.Generator) -> tuple[I64, I64]:
    """`handoff_below_criteria`: the leads handed off although their fit is below the
    handoff criteria's threshold (a `share` of them; unusable records excepted), and when:
    uniformly 1–48 hours after they arrive, within the period. Counts go to the tally."""
    leads = w.leads
    eligible = (leads.fit < w.terms.mql_min_fit) & ~leads.bad_data
    u, v = rng.random((2, leads.n))
    low, high = BELOW_CRITERIA_LAG_HOURS
    at = leads.created + ((low + (high - low) * v) * US_PER_HOUR).astype(np.int64)
    hit = eligible & (u < w.planted.below_criteria_share) & (at < w.period.end_us)
    lead = np.flatnonzero(hit)
    w.planted.tally["handoff_below_criteria"] = {
        "leads_below_criteria": int(eligible.sum()), "leads_affected": len(lead)}
    return lead, at[lead]


def _collect(log: _Log, period: Period, first_sdr: I64, first_delay: F64,
             first_business: F64, w: _World, uncoded: np.random.Generator | None) -> Funnel:
    end = period.end_us
    ev = {
        "lead": np.concatenate(log.ev_lead), "from_stage": np.concatenate(log.ev_from),
        "to_stage": np.concatenate(log.ev_to), "at": np.concatenate(log.ev_at),
        "actor": np.concatenate(log.ev_actor), "reason": np.concatenate(log.ev_reason),
    }
    keep = ev["at"] < end
    order = np.lexsort((ev["lead"][keep], ev["at"][keep]))
    ev = {k: v[keep][order] for k, v in ev.items()}
    if uncoded is not None:
        ev["reason"] = _drop_reason_codes(ev, w, uncoded)
    act = {
        "lead": np.concatenate(log.act_lead), "rep": np.concatenate(log.act_rep),
        "kind": np.concatenate(log.act_kind), "at": np.concatenate(log.act_at),
    }
    keep = act["at"] < end
    order = np.lexsort((act["lead"][keep], act["at"][keep]))
    act = {k: v[keep][order] for k, v in act.items()}
    opp = {k: np.concatenate([o[k] for o in log.opp]) for k in log.opp[0]}
    keep = opp["created"] < end
    opp = {k: v[keep] for k, v in opp.items()}
    order = np.lexsort((opp["lead"], opp["created"]))
    opp = {k: v[order] for k, v in opp.items()}
    opp["open"] = opp["closed"] >= end
    return Funnel(ev, act, opp, first_sdr, first_delay, first_business)


def _drop_reason_codes(ev: dict[str, I64], w: _World, rng: np.random.Generator) -> I64:
    """`rejection_without_code`: a `share` of the rejections reps record (moves by a rep
    into the recycled or the disqualified stage) lose their reason code. Counts go to the
    tally."""
    send_back = np.array([w.stage[R.RECYCLED], w.stage[R.DISQUALIFIED]])
    rejection = (ev["actor"] >= 0) & np.isin(ev["to_stage"], send_back) & (ev["reason"] >= 0)
    hit = rejection & (rng.random(len(rejection)) < w.planted.uncoded_rejection_share)
    w.planted.tally["rejection_without_code"] = {
        "rejections": int(rejection.sum()), "rejections_affected": int(hit.sum()),
        "leads_affected": len(np.unique(ev["lead"][hit]))}
    out: I64 = np.where(hit, -1, ev["reason"])
    return out
