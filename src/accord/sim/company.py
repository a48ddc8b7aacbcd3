"""The simulated company's sales team, target accounts and campaign calendar.

Team size scales with the square root of lead volume (12 SDRs and 8 AEs at 20,000 leads,
at least 6 and 4), spread over regions by lead share; one SDR manager and one AE manager per
region. Accounts are one per eight leads (300 at least, 120,000 at most), log-normal in size;
about 3% of them, leaning to ICP-like firms, are on the ABM target list and owned by an AE.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord import facts
from accord.sim import arrow_columns as ac
from accord.sim import catalogue as cat
from accord.sim.base_model import (
    REP_DELAY_MEDIAN_MINUTES,
    REP_DELAY_MEDIAN_SPREAD,
    SLOW_REP_FACTOR,
    SLOW_REP_SHARE,
)
from accord.sim.period import US_PER_DAY, Period

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

MAX_ACCOUNTS = 120_000
LEADS_PER_ACCOUNT = 8
ABM_SHARE = 0.03
AE_QUOTA: dict[str, float] = {"smb": 450_000.0, "mid_market": 900_000.0,
                              "enterprise": 1_600_000.0}
SDR_QUOTA = 1_200_000.0  # annual pipeline created
OUT_OF_OFFICE_SHARE = 1 / 3


@dataclass(frozen=True)
class Team:
    rep_ids: tuple[str, ...]
    role: npt.NDArray[np.int8]  # 0 sdr, 1 ae, 2 manager
    region: I64
    segment: I64  # -1 for none
    sdr: I64  # rep indices of SDRs, in SDR order (index used by effects)
    ae: I64
    sdr_median_delay: F64  # per SDR, business minutes
    utc_offset: I64  # per rep, hours to add to local time for UTC
    absences: tuple[tuple[int, int, int], ...]  # (rep index, starts_us, ends_us)
    table: pa.Table
    availability: pa.Table

    def sdr_by_region(self, region: int) -> I64:
        pool: I64 = self.sdr[self.region[self.sdr] == region]
        return pool


@dataclass(frozen=True)
class Accounts:
    n: int
    name: pa.Array
    domain: pa.Array
    industry: I64
    employees: I64
    revenue: F64
    country: I64
    region: I64
    segment: I64
    abm: B
    owner: I64  # rep index or -1
    table: pa.Table


def team_size(leads: int) -> tuple[int, int]:
    scale = math.sqrt(max(leads, 1) / 20_000)
    return max(6, round(12 * scale)), max(4, round(8 * scale))


def _split_by_region(total: int) -> list[int]:
    """Largest-remainder split of `total` over regions, at least one per region."""
    raw = [total * w for w in cat.REGION_WEIGHTS]
    counts = [max(1, int(r)) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: raw[i] - int(raw[i]), reverse=True)
    i = 0
    while sum(counts) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    return counts


def build_team(leads: int, period: Period, rng: np.random.Generator) -> Team:
    n_sdr, n_ae = team_size(leads)
    regions = list(range(len(cat.REGIONS)))
    rows: list[tuple[str, int, int, int]] = []  # (id, role, region, segment)
    for r in regions:
        rows.append((f"mgr_{2 * r + 1:03d}", 2, r, -1))
        rows.append((f"mgr_{2 * r + 2:03d}", 2, r, -1))
    k = 0
    for r, cnt in zip(regions, _split_by_region(n_sdr), strict=True):
        for _ in range(cnt):
            k += 1
            rows.append((f"sdr_{k:03d}", 0, r, -1))
    k = 0
    ae_segments = (1, 2, 0)  # mid_market, enterprise, smb, repeating
    for r, cnt in zip(regions, _split_by_region(n_ae), strict=True):
        for j in range(cnt):
            k += 1
            rows.append((f"ae_{k:03d}", 1, r, ae_segments[j % 3]))
    n = len(rows)
    rep_ids = tuple(r[0] for r in rows)
    role = np.array([r[1] for r in rows], dtype=np.int8)
    region = np.array([r[2] for r in rows], dtype=np.int64)
    segment = np.array([r[3] for r in rows], dtype=np.int64)
    sdr = np.flatnonzero(role == 0).astype(np.int64)
    ae = np.flatnonzero(role == 1).astype(np.int64)

    medians = REP_DELAY_MEDIAN_MINUTES * np.exp(rng.normal(0.0, REP_DELAY_MEDIAN_SPREAD, len(sdr)))
    slow = rng.random(len(sdr)) < SLOW_REP_SHARE
    medians = np.where(slow, medians * SLOW_REP_FACTOR, medians)

    manager = np.full(n, -1, dtype=np.int64)
    manager[sdr] = 2 * region[sdr]
    manager[ae] = 2 * region[ae] + 1
    first = rng.integers(0, len(cat.FIRST_NAMES), n)
    last = rng.integers(0, len(cat.LAST_NAMES), n)
    names = [f"{cat.FIRST_NAMES[f]} {cat.LAST_NAMES[g]}" for f, g in zip(first, last, strict=True)]
    roles = ("sdr", "ae", "manager")
    tz = [cat.REGION_TIMEZONES[cat.REGIONS[region[i]]][i % 3] for i in range(n)]
    expected_mql_per_day = 0.3 * leads / 250.0
    sdr_cap = max(10, math.ceil(1.5 * expected_mql_per_day / len(sdr)))
    ae_cap = max(3, math.ceil(1.5 * 0.05 * expected_mql_per_day / len(ae)))
    capacity = np.where(role == 0, sdr_cap, np.where(role == 1, ae_cap, 0))
    quota = np.where(role == 0, SDR_QUOTA, 0.0)
    for s, q in enumerate(cat.SEGMENTS):
        quota = np.where((role == 1) & (segment == s), AE_QUOTA[q], quota)
    table = ac.fact_table(facts.REPS, {
        "rep_id": pa.array(rep_ids, pa.string()),
        "name": pa.array(names, pa.string()),
        "role": ac.strings_at(roles, role),
        "region": ac.strings_at(cat.REGIONS, region),
        "segment": ac.strings_at(cat.SEGMENTS, segment),
        "manager_id": ac.strings_at(rep_ids, manager),
        "capacity_per_day": ac.ints(capacity, role == 2),
        "quota": ac.floats(quota, role == 2),
        "timezone": pa.array(tz, pa.string()),
        "active": ac.bools(np.ones(n, dtype=bool)),
        # the contract's hours and holidays apply in each rep's own time zone
        "work_hours": pa.nulls(n, pa.string()),
        "holidays": pa.nulls(n, pa.string()),
    })

    # Out-of-office spells: a third of SDRs and AEs (two at least) take one 5-12 day break.
    workers = np.concatenate([sdr, ae])
    n_away = min(len(workers), max(2, round(OUT_OF_OFFICE_SHARE * len(workers))))
    away = np.sort(rng.choice(workers, size=n_away, replace=False))
    start_day = rng.integers(0, max(1, period.n_days - 14), len(away))
    length = rng.integers(5, 13, len(away))
    starts = period.day_starts[start_day] + 8 * 3_600_000_000
    ends = starts + length * US_PER_DAY
    order = np.lexsort((away, starts))
    absences = tuple(
        (int(away[i]), int(starts[i]), int(ends[i])) for i in order
    )
    availability = ac.fact_table(facts.REP_AVAILABILITY, {
        "absence_id": pa.array([f"ooo_{i + 1:04d}" for i in range(len(absences))], pa.string()),
        "rep_id": pa.array([rep_ids[a[0]] for a in absences], pa.string()),
        "starts_at": ac.timestamps(np.array([a[1] for a in absences], dtype=np.int64)),
        "ends_at": ac.timestamps(np.array([a[2] for a in absences], dtype=np.int64)),
    })
    offset = np.array([cat.TIMEZONE_UTC_OFFSET_HOURS[z] for z in tz], dtype=np.int64)
    return Team(rep_ids, role, region, segment, sdr, ae, medians, offset, absences, table,
                availability)


def segment_of(employees: I64) -> I64:
    lo, hi = cat.SEGMENT_EMPLOYEE_BOUNDS
    return np.where(employees < lo, 0, np.where(employees < hi, 1, 2)).astype(np.int64)


def route_ae(team: Team, region: I64, segment: I64, key: I64) -> I64:
    """AE for each (region, segment): same region and segment when there is one, else any AE
    of the region; ties broken by `key` (a stable per-lead hash)."""
    out = np.full(len(region), -1, dtype=np.int64)
    for r in range(len(cat.REGIONS)):
        region_aes = team.ae[team.region[team.ae] == r]
        for s in range(len(cat.SEGMENTS)):
            pool = region_aes[team.segment[region_aes] == s]
            if len(pool) == 0:
                pool = region_aes
            sel = (region == r) & (segment == s)
            out[sel] = pool[key[sel] % len(pool)]
    return out


def _company_names(n: int, rng: np.random.Generator) -> pa.Array:
    a_n, b_n, c_n = len(cat.COMPANY_WORDS_A), len(cat.COMPANY_WORDS_B), len(cat.COMPANY_WORDS_C)
    capacity = a_n * b_n * (1 + 2 * c_n)
    pick = rng.choice(capacity, size=n, replace=False)
    template = pick // (a_n * b_n)  # 0: A B; 1..c_n: A C B; c_n+1..: A B C
    rest = pick % (a_n * b_n)
    a_idx, b_idx = rest // b_n, rest % b_n
    c_idx = np.where(template == 0, 0, (template - 1) % c_n)
    words_a = pa.array(cat.COMPANY_WORDS_A).take(pa.array(a_idx))
    words_b = pa.array(cat.COMPANY_WORDS_B).take(pa.array(b_idx))
    words_c = pa.array(cat.COMPANY_WORDS_C).take(pa.array(c_idx))
    two = pc.binary_join_element_wise(words_a, words_b, " ")
    acb = pc.binary_join_element_wise(words_a, words_c, words_b, " ")
    abc = pc.binary_join_element_wise(words_a, words_b, words_c, " ")
    is_two = pa.array(template == 0)
    is_acb = pa.array((template >= 1) & (template <= c_n))
    return pc.if_else(is_two, two, pc.if_else(is_acb, acb, abc))


def build_accounts(leads: int, team: Team, period: Period, rng: np.random.Generator) -> Accounts:
    n = min(MAX_ACCOUNTS, max(300, leads // LEADS_PER_ACCOUNT))
    name = _company_names(n, rng)
    region = rng.choice(len(cat.REGIONS), size=n, p=np.array(cat.REGION_WEIGHTS))
    country = np.zeros(n, dtype=np.int64)
    for r, reg in enumerate(cat.REGIONS):
        idx = [i for i, c in enumerate(cat.COUNTRIES) if c[1] == reg]
        w = np.array([cat.COUNTRIES[i][2] for i in idx])
        sel = region == r
        country[sel] = np.array(idx)[rng.choice(len(idx), size=int(sel.sum()), p=w / w.sum())]
    ind_w = np.array([i[1] for i in cat.INDUSTRIES])
    industry = rng.choice(len(cat.INDUSTRIES), size=n, p=ind_w / ind_w.sum())
    employees = np.clip(np.round(np.exp(rng.normal(np.log(150), 1.4, n))), 5, 250_000
                        ).astype(np.int64)
    rev_per_emp = np.array([i[2] for i in cat.INDUSTRIES])[industry]
    revenue = np.round(employees * rev_per_emp * np.exp(rng.normal(0, 0.35, n)), -3)
    segment = segment_of(employees)
    tld = pa.array(["." + c[3] for c in cat.COUNTRIES]).take(pa.array(country))
    domain = pc.binary_join_element_wise(
        pc.replace_substring(pc.utf8_lower(name), " ", ""), tld, "")

    # ABM list: leaning to ICP-like industries and larger firms.
    icp_like = np.isin(industry, [0, 1]).astype(float)
    w = (1 + 3 * icp_like) * (1 + 3 * (employees >= 200))
    n_abm = max(10, round(ABM_SHARE * n))
    abm_idx = rng.choice(n, size=n_abm, replace=False, p=w / w.sum())
    abm = np.zeros(n, dtype=bool)
    abm[abm_idx] = True
    owner = np.where(abm, route_ae(team, region, segment, np.arange(n)), -1)
    created = period.start_us - rng.integers(1, 3 * 365, n) * US_PER_DAY + rng.integers(
        0, US_PER_DAY, n)
    ids = pa.array([f"A{i + 1:06d}" for i in range(n)], pa.string())
    table = ac.fact_table(facts.ACCOUNTS, {
        "account_id": ids,
        "name": name,
        "domain": domain,
        "industry": ac.strings_at([i[0] for i in cat.INDUSTRIES], industry),
        "employees": ac.ints(employees),
        "annual_revenue": ac.floats(revenue),
        "country": ac.strings_at([c[0] for c in cat.COUNTRIES], country),
        "region": ac.strings_at(cat.REGIONS, region),
        "segment": ac.strings_at(cat.SEGMENTS, segment),
        "abm_target": ac.bools(abm),
        "owner_rep_id": ac.strings_at(team.rep_ids, owner),
        "created_at": ac.timestamps(created),
    })
    return Accounts(n, name, domain, industry, employees, revenue, country, region, segment,
                    abm, owner, table)


def campaigns_in_period(period: Period) -> tuple[cat.Campaign, ...]:
    return tuple(c for c in cat.CAMPAIGNS if c.first_month < period.months)


def build_campaigns(period: Period) -> pa.Table:
    cs = campaigns_in_period(period)
    month_days = period.month_dates_days()
    end_days = (period.month_starts[1:] // US_PER_DAY - 1).astype(np.int32)
    last = [min(c.last_month if c.last_month is not None else period.months - 1,
                period.months - 1) for c in cs]
    return ac.fact_table(facts.CAMPAIGNS, {
        "campaign_id": pa.array([c.campaign_id for c in cs], pa.string()),
        "name": pa.array([c.name for c in cs], pa.string()),
        "channel": pa.array([c.channel for c in cs], pa.string()),
        "landing_page": pa.array([c.landing_page for c in cs], pa.string()),
        "started_at": ac.dates(np.array([month_days[c.first_month] for c in cs])),
        "ended_at": ac.dates(np.array([end_days[m] for m in last])),
    })


def campaign_month_weights(period: Period, channel: str) -> tuple[I64, F64]:
    """Campaign indices (into `campaigns_in_period`) of a channel and a (months, k) matrix of
    their weights per month (zero when not running)."""
    cs = campaigns_in_period(period)
    idx = np.array([i for i, c in enumerate(cs) if c.channel == channel], dtype=np.int64)
    w = np.zeros((period.months, len(idx)))
    for j, i in enumerate(idx):
        c = cs[i]
        last = c.last_month if c.last_month is not None else period.months - 1
        w[c.first_month: last + 1, j] = c.weight
    return idx, w


def pick_campaigns(period: Period, channel: str, month: I64, u: F64) -> I64:
    """A running campaign of `channel` for each row in `month` (-1 when none runs)."""
    c = cat.TOUCH_CHANNELS.index(channel)
    return pick_campaigns_by_channel(period, np.full(len(month), c, dtype=np.int64), month, u)


def pick_campaigns_by_channel(period: Period, channel: npt.NDArray[np.integer],
                              month: npt.NDArray[np.integer], u: F64) -> I64:
    """A running campaign for each row's channel (index into TOUCH_CHANNELS) and month,
    drawn by campaign weight from `u` (uniform draws); -1 when none runs."""
    channels = cat.TOUCH_CHANNELS
    tables = [campaign_month_weights(period, ch) for ch in channels]
    k = max(1, max(len(idx) for idx, _ in tables))
    ids = np.full((len(channels), period.months, k), -1, dtype=np.int64)
    cdf = np.full((len(channels), period.months, k), 2.0)
    for c, (idx, w) in enumerate(tables):
        if len(idx) == 0:
            continue
        tot = w.sum(axis=1)
        running = tot > 0
        cum = np.cumsum(w, axis=1) / np.where(running, tot, 1.0)[:, None]
        cum[:, -1] = np.where(running, 1.0, 2.0)
        cdf[c, :, : len(idx)] = cum
        ids[c, :, : len(idx)] = np.where(running[:, None], idx[None, :], -1)
    key = np.asarray(channel, dtype=np.int64) * period.months + np.asarray(month, np.int64)
    flat_cdf = cdf.reshape(-1, k)
    slot = key * k
    for j in range(k - 1):
        slot += u > np.ascontiguousarray(flat_cdf[:, j])[key]
    return ids.reshape(-1)[slot]
