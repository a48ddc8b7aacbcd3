"""Leads: who arrived, when, through which channel, and how noisy their records are.

Arrival: channel by share (`catalogue.CHANNELS`); day by month seasonality × weekday weight ×
the channel's campaign calendar (webinars and events come in waves); local time of day
mostly in office hours, shifted to UTC by region. Leads are numbered in arrival order.

Records are as messy as real form fills: `company` is a noisy version of the account name
(suffixes, case, typos, abbreviations, a dropped word, sometimes blank); `account_id` is known for
`KNOWN_ACCOUNT_SHARE` of leads; `FREE_MAIL_SHARE` use a free-mail address; and
`DUPLICATE_SHARE` are the same person filling in a form again (same email, new lead id).
The truth (true account, duplicates) goes to `_truth/`.

Latent quality: ICP fit is scored from the contract's ICP criteria on the true account and
the lead's title and country; intent is a standard normal draw that drives engagement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord import facts
from accord.contract.icp import condition_holds
from accord.sim import arrow_columns as ac
from accord.sim import catalogue as cat
from accord.sim import text_columns as tc
from accord.sim.base_model import (
    AUTO_DISQUALIFY_BAD_DATA_SHARE,
    DUPLICATE_SHARE,
    FREE_MAIL_SHARE,
    KNOWN_ACCOUNT_SHARE,
)
from accord.sim.company import (
    Accounts,
    campaign_month_weights,
    campaigns_in_period,
    pick_campaigns,
)
from accord.sim.contract_terms import ContractTerms, ContractTermsError
from accord.sim.period import US_PER_HOUR, US_PER_SECOND, Period

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

# Local hour-of-day weights for form fills (0..23).
LOCAL_HOUR_WEIGHTS = np.array(
    [0.2] * 7 + [0.6, 1.2] + [2.0] * 8 + [1.3, 0.8, 0.8, 0.8, 0.4, 0.4, 0.4], dtype=float
)
# Company-name noise: share of leads per variant.
COMPANY_VARIANTS: dict[str, float] = {
    "exact": 0.37, "suffix": 0.15, "lower": 0.11, "upper": 0.05, "typo": 0.10,
    "drop_word": 0.08, "abbreviation": 0.05, "suffix_lower": 0.05, "blank": 0.04,
}
# Abbreviations people type; a name without any of these words loses its last word instead.
ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    ("Technologies", "Tech"), ("International", "Intl"), ("Solutions", "Solns"),
    ("Consulting", "Consult."), ("Systems", "Sys"), ("Industries", "Ind."),
    ("Holdings", "Hldgs"), ("Engineering", "Eng."), ("Logistics", "Log."),
    ("Partners", "Ptnrs"), ("Global", "Glbl"), ("Group", "Grp"), ("Associates", "Assoc."),
    ("Therapeutics", "Thera."), ("Pharma", "Pharm."), ("Analytics", "Anlytcs"),
)
ACCOUNT_COUNTRY_SHARE = 0.95  # leads in their account's country


@dataclass(frozen=True)
class Leads:
    n: int
    lead_id: pa.Array
    created: I64
    channel: I64
    campaign: I64  # index into campaigns_in_period, -1 none
    landing_page: I64  # index into landing_pages(), -1 none
    account: I64
    region: I64
    industry: I64
    segment: I64
    country: I64
    title: I64
    fit: F64
    intent: F64
    bad_data: B
    duplicate_of: I64  # earliest lead of the same person, -1 if none
    free_mail: B
    table: pa.Table


def landing_pages(period: Period) -> tuple[str, ...]:
    pages: list[str] = []
    for c in campaigns_in_period(period):
        if c.landing_page not in pages:
            pages.append(c.landing_page)
    pages.extend(p for p in cat.ORGANIC_LANDING_PAGES if p not in pages)
    return tuple(pages)


def score_fit(terms: ContractTerms, accounts: Accounts, account: I64, country: I64,
              title: I64) -> F64:
    """Fit points from the contract's first ICP, per lead (0 when none is met).

    Each criterion's conditions are decided by `contract.icp.condition_holds` (the one
    meaning of an ICP operator) on every distinct simulated value, then spread to leads:
    industry, region, segment, employees and annual revenue are the true account's;
    country and title the lead's own."""
    fit = np.zeros(len(account))
    if terms.icp is None:
        return fit
    fields: dict[str, tuple[list[str] | list[float], I64]] = {
        "industry": ([i[0] for i in cat.INDUSTRIES], accounts.industry[account]),
        "country": ([c[0] for c in cat.COUNTRIES], country),
        "title": ([t[0] for t in cat.TITLES], title),
        "region": (list(cat.REGIONS), accounts.region[account]),
        "segment": (list(cat.SEGMENTS), accounts.segment[account]),
    }
    for name, values in (("employees", accounts.employees.astype(float)),
                         ("annual_revenue", accounts.revenue)):
        distinct, inverse = np.unique(values, return_inverse=True)
        fields[name] = ([float(v) for v in distinct], inverse.astype(np.int64)[account])
    for c in terms.icp.criteria:
        if c.field not in fields:
            raise ContractTermsError(
                f"icps criterion `{c.field}` ({c.describe()}) has no simulated field to "
                f"score; the simulator scores {', '.join(fields)}")
        labels, codes = fields[c.field]
        hit = np.array([all(condition_holds(op, operand, v) for op, operand in c.conditions)
                        for v in labels], dtype=bool)
        fit += np.where(hit[codes], float(c.points), 0.0)
    return fit


def _arrivals(n: int, period: Period, rng: np.random.Generator) -> tuple[I64, I64]:
    shares = np.array([c.share for c in cat.CHANNELS])
    channel = rng.choice(len(cat.CHANNELS), size=n, p=shares / shares.sum())
    day = np.zeros(n, dtype=np.int64)
    base = (np.array(cat.MONTH_SEASONALITY)[period.day_calendar_month - 1]
            * np.array(cat.WEEKDAY_WEIGHTS)[period.day_weekday])
    for c, ch in enumerate(cat.CHANNELS):
        sel = np.flatnonzero(channel == c)
        _, w = campaign_month_weights(period, ch.name)
        tot = w.sum(axis=1)
        windowed = ch.name in ("webinar", "events")
        month_factor = (np.where(tot > 0, tot / max(tot.mean(), 1e-9), 0.05) if windowed
                        else np.ones(period.months))
        p = base * month_factor[period.day_month]
        day[sel] = rng.choice(period.n_days, size=len(sel), p=p / p.sum())
    return channel, day


def build_leads(n: int, accounts: Accounts, terms: ContractTerms, period: Period,
                rng: np.random.Generator) -> Leads:
    channel, day = _arrivals(n, period, rng)
    weight = np.exp(rng.normal(0, 1.0, accounts.n)) * np.where(accounts.abm, 3.0, 1.0)
    account = rng.choice(accounts.n, size=n, p=weight / weight.sum())
    region = accounts.region[account]
    hour = rng.choice(24, size=n, p=LOCAL_HOUR_WEIGHTS / LOCAL_HOUR_WEIGHTS.sum())
    offset = np.array(cat.REGION_UTC_OFFSET_HOURS)[region]
    created = (period.day_starts[day] + (hour + offset) * US_PER_HOUR
               + rng.integers(0, 3600 * US_PER_SECOND, n))
    created = np.clip(created, period.start_us, period.end_us - 1)

    # Number leads in arrival order.
    order = np.lexsort((np.arange(n), created))
    created, channel, account, region = created[order], channel[order], account[order], \
        region[order]

    title_w = np.array([t[1] for t in cat.TITLES])
    title = rng.choice(len(cat.TITLES), size=n, p=title_w / title_w.sum())
    first = rng.integers(0, len(cat.FIRST_NAMES), n)
    last = rng.integers(0, len(cat.LAST_NAMES), n)
    country = np.where(rng.random(n) < ACCOUNT_COUNTRY_SHARE, accounts.country[account],
                       rng.integers(0, len(cat.COUNTRIES), n))
    free_mail = rng.random(n) < FREE_MAIL_SHARE
    free_dom = rng.integers(0, len(cat.FREE_MAIL_DOMAINS), n)
    pattern = rng.choice(3, size=n, p=[0.6, 0.3, 0.1])  # first.last, flast, first
    intent = rng.normal(0.0, 1.0, n)

    # Duplicates: the same person again (copied from an original that is not itself a copy).
    is_copy = rng.random(n) < DUPLICATE_SHARE
    originals = np.flatnonzero(~is_copy)
    source = np.arange(n)
    source[is_copy] = rng.choice(originals, size=int(is_copy.sum()))
    for arr in (account, region, title, first, last, country, free_mail, free_dom, pattern,
                intent):
        arr[is_copy] = arr[source[is_copy]]
    earliest = np.arange(n)
    np.minimum.at(earliest, source, np.arange(n))
    duplicate_of = np.where(earliest[source] != np.arange(n), earliest[source], -1)

    month = period.month_index(created)
    campaign = np.full(n, -1, dtype=np.int64)
    u = rng.random(n)
    for c, ch in enumerate(cat.CHANNELS):
        sel = np.flatnonzero(channel == c)
        campaign[sel] = pick_campaigns(period, ch.name, month[sel], u[sel])
    pages = landing_pages(period)
    cs = campaigns_in_period(period)
    cmp_page = np.array([pages.index(c.landing_page) for c in cs] + [-1], dtype=np.int64)
    organic = np.array([pages.index(p) for p in cat.ORGANIC_LANDING_PAGES], dtype=np.int64)
    landing = np.where(campaign >= 0, cmp_page[campaign],
                       organic[rng.integers(0, len(organic), n)])

    fit = score_fit(terms, accounts, account, country, title)
    bad_data = (rng.random(n) < AUTO_DISQUALIFY_BAD_DATA_SHARE) & (duplicate_of < 0)

    lead_id = tc.id_column("L", n)
    email = _emails(accounts, account, first, last, pattern, free_mail, free_dom, source, n)
    company = _noisy_company(accounts, account, country, rng, n)
    company = pc.if_else(pa.array(bad_data), pa.scalar(None, pa.string()), company)
    known = rng.random(n) < KNOWN_ACCOUNT_SHARE
    acc_ids = accounts.table.column("account_id").combine_chunks()
    first_names = ac.strings_at(cat.FIRST_NAMES, np.where(bad_data, -1, first))
    table = ac.fact_table(facts.LEADS, {
        "lead_id": lead_id,
        "email": email,
        "first_name": first_names,
        "last_name": ac.strings_at(cat.LAST_NAMES, last),
        "title": ac.strings_at([t[0] for t in cat.TITLES], title),
        "company": company,
        "account_id": ac.strings_at(acc_ids, np.where(known, account, -1)),
        "country": ac.strings_at([c[0] for c in cat.COUNTRIES], country),
        "channel": ac.strings_at(cat.ACQUISITION_CHANNELS, channel),
        "campaign_id": ac.strings_at([c.campaign_id for c in cs], campaign),
        "landing_page": ac.strings_at(pages, landing),
        "created_at": ac.timestamps(created),
    })
    return Leads(n, lead_id, created, channel, campaign, landing, account, region,
                 accounts.industry[account], accounts.segment[account], country, title, fit,
                 intent, bad_data, duplicate_of, free_mail, table)


def _emails(accounts: Accounts, account: I64, first: I64, last: I64, pattern: I64,
            free_mail: B, free_dom: I64, source: I64, n: int) -> pa.Array:
    first_l = pc.utf8_lower(ac.strings_at(cat.FIRST_NAMES, first))
    last_l = pc.utf8_lower(ac.strings_at(cat.LAST_NAMES, last))
    initial = pc.utf8_slice_codeunits(first_l, 0, 1)
    local = pc.choose(pa.array(pattern.astype(np.int8)),
                      pc.binary_join_element_wise(first_l, last_l, "."),
                      pc.binary_join_element_wise(initial, last_l, ""),
                      first_l)
    # Free-mail addresses are global: tag them with a per-person number.
    tag = pc.cast(pa.array(source % 9973 + 10), pa.string())
    local = pc.if_else(pa.array(free_mail), pc.binary_join_element_wise(local, tag, ""), local)
    domain = pc.if_else(pa.array(free_mail), ac.strings_at(cat.FREE_MAIL_DOMAINS, free_dom),
                        accounts.domain.take(pa.array(account)))
    email = pc.binary_join_element_wise(local, domain, "@")
    # Two different people must not share an address: where they would, append the person's
    # number (a copy keeps its original's address, so duplicates stay exact).
    codes = pc.dictionary_encode(email).indices.to_numpy(zero_copy_only=False).astype(np.int64)
    first_person = np.full(codes.max() + 1 if n else 0, n, dtype=np.int64)
    np.minimum.at(first_person, codes, source)
    clash = first_person[codes] != source
    if clash.any():
        person = pc.cast(pa.array(source), pa.string())
        tagged = pc.binary_join_element_wise(
            pc.binary_join_element_wise(local, person, "."), domain, "@")
        email = pc.if_else(pa.array(clash), tagged, email)
    return email


def _noisy_company(accounts: Accounts, account: I64, country: I64, rng: np.random.Generator,
                   n: int) -> pa.Array:
    width = 48
    acc_mat, acc_len = ac.matrix_from_arrow(accounts.name, width)
    abbreviated = accounts.name
    for word, short in ABBREVIATIONS:
        abbreviated = pc.replace_substring(abbreviated, word, short)
    abbr_mat, abbr_len = ac.matrix_from_arrow(abbreviated, width)
    has_abbr = np.asarray(pc.not_equal(abbreviated, accounts.name).to_numpy(
        zero_copy_only=False), dtype=bool)
    names = list(COMPANY_VARIANTS)
    p = np.array(list(COMPANY_VARIANTS.values()))
    variant = rng.choice(len(names), size=n, p=p / p.sum())
    v = {name: variant == i for i, name in enumerate(names)}
    use_abbr = v["abbreviation"] & has_abbr[account]
    v["drop_word"] = v["drop_word"] | (v["abbreviation"] & ~use_abbr)
    mat = acc_mat[account]
    length = acc_len[account].copy()
    mat[use_abbr] = abbr_mat[account[use_abbr]]
    length[use_abbr] = abbr_len[account[use_abbr]]

    # Legal suffix of the account's country, with a space or a comma.
    suffixes = sorted({f"{sep}{s}" for c in cat.COUNTRIES for s in c[4] for sep in (" ", ", ")})
    per_country = [[suffixes.index(f"{sep}{s}") for s in c[4] for sep in (" ", ", ")]
                   for c in cat.COUNTRIES]
    k = max(len(x) for x in per_country)
    table = np.array([x + [x[0]] * (k - len(x)) for x in per_country])
    cnt = np.array([len(x) for x in per_country])
    acc_country = accounts.country[account]
    pick = (rng.random(n) * cnt[acc_country]).astype(np.int64)
    suffix_idx = table[acc_country, pick]
    suf_mat, suf_len = tc.matrix_from_strings(suffixes, 12)
    tc.append_text(mat, length, v["suffix"] | v["suffix_lower"], suf_mat[suffix_idx],
                   suf_len[suffix_idx])
    tc.lower_case(mat, v["lower"] | v["suffix_lower"])
    tc.upper_case(mat, v["upper"])
    tc.swap_adjacent(mat, length, v["typo"], rng.random(n))
    tc.drop_last_word(mat, length, v["drop_word"])
    out = tc.strings_from_matrix(mat, length)
    return pc.if_else(pa.array(v["blank"]), pa.scalar(None, pa.string()), out)
