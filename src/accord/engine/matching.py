"""Lead-to-account matching and duplicate leads (engine; derived table `lead_accounts`).

A lead is matched to at most one account, by the first of these rules that applies:

1. **known** — the lead's own `account_id`, when the source system filled it (trusted as
   given; confidence 1.0).
2. **email_domain** — the domain of the lead's email equals an account's `domain`
   (confidence 0.95). When it does not, leading labels are stripped one at a time, at most
   `SUBDOMAIN_LEVELS` times and never below two labels, so `jo@mail.acme.com` matches the
   account of `acme.com` (confidence 0.90) — but only when that shorter domain is an
   account's domain; nothing else is inferred about registered domains. Free-mail domains
   (`engine/free_mail.py`) never match, nor do domains that several accounts share.
3. **company_name** — the lead's `company`, normalised (`normalise_company_names`: `ACME,
   Inc.` → `acme`), is compared with the name keys of the accounts: each account's
   normalised name and its abbreviations (the name with trailing words dropped, `acme
   data` and `acme` for *Acme Data Global*; a full name outranks an abbreviation). An equal
   key matches (score 100); otherwise the most similar key by `NAME_SCORERS` (0–100) matches
   when its score is at least `min_name_score` **and** beats every other account's best
   key by at least `min_margin` points — the ambiguity guard: with accounts *Acme Robotics
   GmbH* and *Acne Robotics Ltd*, `Acxe Robotics` scores 92.3 against both and is refused.
   A key that several accounts share (two *Acme* accounts, or `acme` abbreviating both
   *Acme Data* and *Acme Labs*) is ambiguous and never matches. Confidence: score / 100
   times 0.90 for a full name, 0.80 for an abbreviation.
4. **none** — no account.

The output (`MATCH_SCHEMA`) has one row per lead: lead_id, account_id (null for none),
method, confidence (0–1) and score — the name similarity of the best account name (0–100)
whenever the name rule ran, also when it refused, and null otherwise.

**Thresholds** come from the contract (`matching:` — `min_name_score`, `min_margin`,
`review_score`; defaults 80, 8 and 70); `accord run --min-name-score/--min-margin`
override them for one run. **Review**: a lead the name rule refused although its best
account scored at least `review_score` is listed for a person to decide (derived table
`match_reviews`, `REVIEW_SCHEMA`: the candidate account, the score, the margin over the
next account and why it was not linked), and counted in the run summary.

Batch (`match_leads_to_accounts`) and live (`match_lead`) share the normalisation (the same
Arrow kernels), the account index, the scorer and the acceptance rule, and give the same
answer; the tests check it. The batch path loops over no rows in Python: normalisation is
Arrow compute, the domain and exact-name rules are hash joins (`pyarrow.compute.index_in`),
and the fuzzy rule runs `rapidfuzz.process.cdist` on the distinct unmatched company names
against the distinct name keys, in blocks of rows to bound memory.

Duplicate leads (`find_duplicate_leads`): leads with the same normalised email (lower case,
trimmed); each later lead points at the earliest (by `created_at`, then `lead_id`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from typing import Any, TypeAlias, cast

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from rapidfuzz import fuzz, process

from accord.contract.schema import Matching
from accord.engine.free_mail import FREE_MAIL_BRAND_PATTERN, FREE_MAIL_DOMAINS
from accord.store.base import Store

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]
ArrowStrings: TypeAlias = pa.Array | pa.ChunkedArray


class MatchMethod(StrEnum):
    """How a lead was matched to its account (column `method`)."""

    KNOWN = "known"
    EMAIL_DOMAIN = "email_domain"
    COMPANY_NAME = "company_name"
    NONE = "none"


_METHODS = tuple(MatchMethod)
_M_KNOWN, _M_DOMAIN, _M_NAME, _M_NONE = range(4)

LEGAL_SUFFIXES: tuple[str, ...] = (
    # English-speaking
    "inc", "incorporated", "llc", "llp", "lp", "ltd", "limited", "plc", "corp",
    "corporation", "co", "company", "pty", "pte", "pvt", "private",
    # German, Dutch, Nordic
    "gmbh", "mbh", "ag", "kg", "ug", "bv", "nv", "ab", "as", "asa", "oy", "oyj", "aps",
    # French, Spanish, Italian, Portuguese
    "sa", "sas", "sarl", "sl", "srl", "spa", "sca", "lda",
    # others
    "se", "kk", "bhd", "sdn",
)
"""Legal-form words stripped from the end of a company name, as many as trail it
(`Acme Co Ltd` → `acme`), never the first word (`AG` alone stays `ag`). Compared after
punctuation is removed, so `Inc.` is `inc` and `B.V.` is `bv`."""

WORD_FORMS: dict[str, tuple[str, ...]] = {
    "technologies": ("tech", "techs"),
    "international": ("intl", "internat"),
    "solutions": ("solns", "soln"),
    "consulting": ("consult",),
    "systems": ("sys", "syst"),
    "industries": ("ind", "inds"),
    "holdings": ("hldgs", "hldg"),
    "engineering": ("eng", "engg"),
    "logistics": ("log",),
    "partners": ("ptnrs", "ptnr"),
    "global": ("glbl",),
    "group": ("grp",),
    "associates": ("assoc", "assocs"),
    "therapeutics": ("thera", "therap"),
    "pharma": ("pharm",),
    "analytics": ("anlytcs",),
    "manufacturing": ("mfg",),
    "services": ("svcs", "svc"),
    "management": ("mgmt",),
    "national": ("natl",),
    "brothers": ("bros",),
    "communications": ("comms",),
    "center": ("ctr",),
}
"""Shortened business words, each written out before comparing (`Acme Tech Intl` →
`acme technologies international`). Only short forms are rewritten, towards the long form:
full words are left alone, so a typo in one (`internatinoal`) stays one swap away from
the account's spelling. Whole words only, applied to accounts and leads alike, so a
company really called *Acme Tech* still matches itself."""

KNOWN_CONFIDENCE = 1.0
DOMAIN_CONFIDENCE = 0.95
PARENT_DOMAIN_CONFIDENCE = 0.90
NAME_CONFIDENCE = 0.90
ABBREVIATION_CONFIDENCE = 0.80
SUBDOMAIN_LEVELS = 2
MIN_ABBREVIATION_CHARS = 4
SCORE_DECIMALS = 2
_DISTINCT_FIRST = 10_000  # longer inputs are normalised per distinct value

DEFAULT_MIN_NAME_SCORE = 80.0
"""Least fuzzy name score accepted (docs/matching.md: chosen with `DEFAULT_MIN_MARGIN` on
the stress set of bench/matching/stress.py, where 30% of leads are strangers)."""
DEFAULT_MIN_MARGIN = 8.0
"""Least lead of the best account over any other account, in score points. The margin
does more for precision than the score: at 80/8, precision 0.995 and recall 0.85 on the
stress set; at 88/4, 0.989 and 0.78."""

NAME_SCORERS: tuple[Any, ...] = (fuzz.ratio, fuzz.token_sort_ratio)
"""Similarity of two normalised company names, 0–100: the higher of the normalised Indel
similarity (`ratio`: `1 - (insertions + deletions) / (len(a) + len(b))`; one swapped pair
of letters in a 20-letter name scores 95) and the same on words sorted alphabetically
(`token_sort_ratio`: `systems acme` = `acme systems`). rapidfuzz scores many pairs at once
with SIMD; token-set, partial and WRatio scorers are 30–100 times slower and no better
here (docs/matching.md, bench/matching/scorers.py)."""

_CDIST_CELLS = 4_000_000  # score-matrix cells per cdist block (16 MB of float32)

MATCH_SCHEMA = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("account_id", pa.string()),
    pa.field("method", pa.string(), nullable=False),
    pa.field("confidence", pa.float64(), nullable=False),
    pa.field("score", pa.float64()),
])

REVIEW_SCHEMA = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("company", pa.string()),
    pa.field("account_id", pa.string()),  # the best-scoring account; null: a shared name
    pa.field("score", pa.float64(), nullable=False),
    pa.field("margin", pa.float64()),  # best score minus the next account's; null: exact
    pa.field("why", pa.string(), nullable=False),
])

DUPLICATE_SCHEMA = pa.schema([
    pa.field("lead_id", pa.string(), nullable=False),
    pa.field("duplicate_of", pa.string(), nullable=False),
    pa.field("reason", pa.string(), nullable=False),
])

_SUFFIX_PATTERN = r"( (" + "|".join(LEGAL_SUFFIXES) + r"))+$"
_WORD_PATTERNS = tuple((r"\b(" + "|".join(forms) + r")\b", word)
                       for word, forms in WORD_FORMS.items())
# Explicit code-point ranges rather than Unicode classes (\p{L}): RE2 compiles these in
# microseconds, which keeps the live path (one lead, same kernels) fast.
_COMBINING_MARKS = (r"[\x{0300}-\x{036F}\x{1AB0}-\x{1AFF}\x{1DC0}-\x{1DFF}"
                    r"\x{20D0}-\x{20FF}\x{FE20}-\x{FE2F}]+")
_PUNCTUATION = (  # ASCII and Latin-1 punctuation and symbols, × ÷, general punctuation,
    # arrows to misc. symbols, CJK and full-width punctuation; spaces and controls too.
    r"[\x00-\x2F\x3A-\x40\x5B-\x60\x7B-\x7F\x{0080}-\x{00BF}\x{00D7}\x{00F7}"
    r"\x{2000}-\x{206F}\x{2190}-\x{2BFF}\x{3000}-\x{303F}\x{FE10}-\x{FE1F}"
    r"\x{FE30}-\x{FE4F}\x{FF01}-\x{FF0F}]+")
_FREE_MAIL_VALUES = pa.array(sorted(FREE_MAIL_DOMAINS), pa.string())


@dataclass(frozen=True)
class Match:
    """One lead's account, as a row of `MATCH_SCHEMA`."""

    lead_id: str
    account_id: str | None
    method: MatchMethod
    confidence: float
    score: float | None


# -- normalisation (shared by batch and live) ----------------------------------------------
def _strings(values: ArrowStrings | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        arr = values.combine_chunks()
    elif isinstance(values, pa.Array):
        arr = values
    else:
        arr = pa.array(list(values), pa.string())
    if pa.types.is_large_string(arr.type) or pa.types.is_dictionary(arr.type):
        arr = arr.cast(pa.string())
    if pa.types.is_null(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _blank_to_null(arr: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(arr, ""), pa.scalar(None, pa.string()), arr)


def normalise_company_names(names: ArrowStrings | Sequence[str | None]) -> pa.Array:
    """Company names as compared: `ACME, Inc.` → `acme`, `Müller & Söhne GmbH` →
    `muller and sohne`.

    Steps: Unicode NFKD (`ﬁ` → `fi`, full-width → ASCII) with combining accents dropped;
    lower case; `&` → `and`; full stops and apostrophes removed (`B.V.` → `bv`); every run
    of punctuation, symbols and spaces (`_PUNCTUATION`) → one space; trimmed; trailing
    `LEGAL_SUFFIXES` removed; `WORD_FORMS` written in their long form (`Intl` → `international`; see
    there). Blank results are null. Letters of every script are kept.
    """
    x = _strings(names)
    if len(x) > _DISTINCT_FIRST:  # rows repeat names: normalise each distinct name once
        encoded = pc.dictionary_encode(x)
        return _normalise_company_names(encoded.dictionary).take(encoded.indices)
    return _normalise_company_names(x)


def _normalise_company_names(x: pa.Array) -> pa.Array:
    x = pc.utf8_normalize(x, "NFKD")
    x = pc.replace_substring_regex(x, _COMBINING_MARKS, "")
    x = pc.utf8_lower(x)
    x = pc.replace_substring(x, "&", " and ")
    x = pc.replace_substring_regex(x, r"[.'`\x{2019}]", "")
    x = pc.replace_substring_regex(x, _PUNCTUATION, " ")
    x = pc.utf8_trim_whitespace(x)
    x = pc.replace_substring_regex(x, _SUFFIX_PATTERN, "")
    for pattern, word in _WORD_PATTERNS:
        x = pc.replace_substring_regex(x, pattern, word)
    return _blank_to_null(x)


def normalise_domains(domains: ArrowStrings | Sequence[str | None]) -> pa.Array:
    """Account domains as compared: lower case, trimmed, without scheme, `www.`, port,
    path or trailing dot (`https://www.Acme.com/about` → `acme.com`). Blank → null."""
    x = pc.utf8_lower(_strings(domains))
    x = pc.utf8_trim_whitespace(x)
    x = pc.replace_substring_regex(x, r"^[a-z][a-z0-9+.-]*://", "")
    x = pc.replace_substring_regex(x, r"[/?#:].*$", "")
    x = pc.replace_substring_regex(x, r"^www\d*\.", "")
    x = pc.replace_substring_regex(x, r"\.+$", "")
    return _blank_to_null(x)


def email_domains(emails: ArrowStrings | Sequence[str | None]) -> pa.Array:
    """The domain of each email (after the last `@`), normalised as `normalise_domains`;
    null when there is no `@`."""
    e = _strings(emails)
    has_at = pc.fill_null(pc.match_substring(e, "@"), False)
    d = pc.replace_substring_regex(e, r"^.*@", "")
    d = pc.if_else(has_at, d, pa.scalar(None, pa.string()))
    return normalise_domains(d)


def domain_levels(domains: pa.Array) -> list[pa.Array]:
    """`domains`, then each with one more leading label stripped while two labels remain
    (`a.mail.acme.com` → `mail.acme.com` → `acme.com`); null once nothing is left to strip."""
    levels = [domains]
    current = domains
    for _ in range(SUBDOMAIN_LEVELS):
        shorter = pc.replace_substring_regex(current, r"^[^.]+\.([^.]+\..+)$", r"\1")
        current = pc.if_else(pc.equal(shorter, current), pa.scalar(None, pa.string()),
                             shorter)
        levels.append(current)
    return levels


def is_free_mail(domains: ArrowStrings | Sequence[str | None]) -> pa.Array:
    """True where a normalised domain is free mail (`engine/free_mail.py`): on the list
    (or a subdomain of a listed domain) or a free-mail brand's country domain."""
    d = _strings(domains)
    free = pc.fill_null(pc.match_substring_regex(d, FREE_MAIL_BRAND_PATTERN), False)
    for level in domain_levels(d):
        free = pc.or_(free, pc.fill_null(pc.is_in(level, value_set=_FREE_MAIL_VALUES), False))
    return free


def normalise_emails(emails: ArrowStrings | Sequence[str | None], *,
                     gmail_canonical: bool = False) -> pa.Array:
    """Emails as compared for duplicates: trimmed, lower case, blank → null.

    With `gmail_canonical`, Gmail addresses are reduced to the mailbox Google delivers to:
    dots and any `+tag` dropped from the local part, `googlemail.com` → `gmail.com`
    (`J.Doe+news@GoogleMail.com` → `jdoe@gmail.com`). Other providers' rules differ, so
    other addresses are left as they are.
    """
    e = _blank_to_null(pc.utf8_trim_whitespace(pc.utf8_lower(_strings(emails))))
    if not gmail_canonical:
        return e
    is_gmail = pc.fill_null(pc.match_substring_regex(e, r"^[^@]*@(gmail|googlemail)\.com$"),
                            False)
    local = pc.replace_substring_regex(e, r"@[^@]*$", "")
    local = pc.replace_substring_regex(pc.replace_substring_regex(local, r"\+.*$", ""),
                                       r"\.", "")
    canonical = pc.binary_join_element_wise(local, pa.scalar("gmail.com"), "@")
    return pc.if_else(is_gmail, canonical, e)


# -- account index -------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class AccountIndex:
    """Accounts prepared for matching; build once with `build_account_index`.

    `domains`/`domain_accounts`: normalised domains carried by exactly one account, and
    that account. `names`: the distinct name keys, sorted — every normalised account name
    and every abbreviation of one (see `abbreviations`); `name_accounts[i]` is the account
    of key i, or null when the key is ambiguous. A full name outranks an abbreviation: a
    key that is one account's full name and another's abbreviation belongs to the first.
    `name_is_abbreviation[i]` is true when key i is only an abbreviation; `name_groups[i]`
    is equal for keys of the same account (and unique for ambiguous keys), and row i of
    `name_group_members` lists every key of that group (padded by repeating one), so the
    runner-up is always another account. `name_choices`, `domain_lookup` and `name_lookup`
    hold the same data as Python objects for rapidfuzz and the live path;
    `name_choices_words_sorted` the keys with their words sorted (`words_sorted`).
    """

    domains: pa.Array
    domain_accounts: pa.Array
    names: pa.Array
    name_accounts: pa.Array
    name_is_abbreviation: B
    name_groups: I64
    name_group_members: I64
    name_choices: tuple[str, ...]
    name_choices_words_sorted: tuple[str, ...]
    domain_lookup: Mapping[str, str]
    name_lookup: Mapping[str, int]

    @property
    def size(self) -> int:
        return len(self.name_choices)


def abbreviations(names: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Word prefixes of normalised names (`acme data global` → `acme data`, `acme`), with
    the row of `names` each comes from. Forms get shortened this way (`Acme` for *Acme Data
    Global*); a prefix shorter than `MIN_ABBREVIATION_CHARS` is too generic to keep."""
    words = pc.split_pattern(names, " ")
    count = np.asarray(pc.fill_null(pc.list_value_length(words), 0).to_numpy(
        zero_copy_only=False), dtype=np.int64)
    parts: list[pa.Array] = []
    rows: list[I64] = []
    for k in range(1, int(count.max(initial=0))):
        keep = np.flatnonzero(count > k)
        prefix = pc.binary_join(pc.list_slice(words.take(pa.array(keep)), 0, k), " ")
        long_enough = np.asarray(pc.greater_equal(pc.utf8_length(prefix),
                                                  MIN_ABBREVIATION_CHARS).to_numpy(
            zero_copy_only=False), dtype=bool)
        parts.append(_strings(prefix).filter(pa.array(long_enough)))
        rows.append(keep[long_enough])
    if not parts:
        return pa.array([], pa.string()), np.zeros(0, dtype=np.int64)
    return pa.concat_arrays(parts), np.concatenate(rows)


def _owners(keys: pa.Array, account_ids: pa.Array) -> pa.Table:
    """Per distinct non-null key: its one account, or null when several share it."""
    t = pa.table({"key": keys, "account_id": account_ids}).filter(pc.is_valid(keys))
    g = t.group_by("key").aggregate([("account_id", "min"), ("account_id", "max")])
    single = pc.equal(g.column("account_id_min"), g.column("account_id_max"))
    owner = pc.if_else(single, g.column("account_id_min"), pa.scalar(None, pa.string()))
    return pa.table({"key": g.column("key"), "account_id": owner})


def _group_members(groups: I64) -> I64:
    """`(len(groups), width)`: row i holds the positions of every key in i's group, padded
    with the group's first key."""
    if len(groups) == 0:
        return np.zeros((0, 1), dtype=np.int64)
    _, inverse, counts = np.unique(groups, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.cumsum(counts) - counts
    rank = np.arange(len(groups)) - starts[inverse[order]]
    table = np.full((len(counts), int(counts.max())), -1, dtype=np.int64)
    table[inverse[order], rank] = order
    table = np.where(table < 0, table[:, :1], table)
    return table[inverse]


def build_account_index(accounts: pa.Table) -> AccountIndex:
    """Prepare `accounts` (columns account_id, name, domain) for matching."""
    ids = _strings(accounts.column("account_id"))
    domains = _owners(normalise_domains(_column(accounts, "domain")), ids)
    domains = domains.filter(pc.is_valid(domains.column("account_id"))).sort_by("key")

    full_names = normalise_company_names(_column(accounts, "name"))
    short, short_rows = abbreviations(full_names)
    full = _owners(full_names, ids)
    abbrev = _owners(short, ids.take(pa.array(short_rows)))
    abbrev = abbrev.filter(pc.invert(pc.is_in(abbrev.column("key"),
                                              value_set=full.column("key").combine_chunks())))
    names = pa.concat_tables([full.append_column("abbreviation", pa.array(
        np.zeros(full.num_rows, dtype=bool))), abbrev.append_column("abbreviation", pa.array(
            np.ones(abbrev.num_rows, dtype=bool)))]).sort_by("key")
    name_accounts = _strings(names.column("account_id"))
    codes = pc.dictionary_encode(name_accounts).indices
    groups = np.asarray(pc.fill_null(codes, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    ambiguous = groups < 0
    groups[ambiguous] = -1 - np.flatnonzero(ambiguous)
    members = _group_members(groups)
    choices = tuple(names.column("key").to_pylist())
    domain_keys = _strings(domains.column("key"))
    domain_accounts = _strings(domains.column("account_id"))
    return AccountIndex(
        domains=domain_keys,
        domain_accounts=domain_accounts,
        names=_strings(names.column("key")),
        name_accounts=name_accounts,
        name_is_abbreviation=np.asarray(names.column("abbreviation").to_numpy(), dtype=bool),
        name_groups=groups,
        name_group_members=members,
        name_choices=choices,
        name_choices_words_sorted=words_sorted(choices),
        domain_lookup=dict(zip(domain_keys.to_pylist(), domain_accounts.to_pylist(),
                               strict=True)),
        name_lookup={n: i for i, n in enumerate(choices)},
    )


# -- shared decisions ----------------------------------------------------------------------
def words_sorted(names: Sequence[str]) -> tuple[str, ...]:
    """Each name with its words in alphabetical order (`systems acme` → `acme systems`)."""
    return tuple(" ".join(sorted(name.split())) for name in names)


def name_scores(queries: Sequence[str], choices: Sequence[str], *, workers: int = 1,
                choices_words_sorted: Sequence[str] | None = None) -> F32:
    """The `(len(queries), len(choices))` matrix of name similarities (`NAME_SCORERS`).

    `token_sort_ratio` is computed as `ratio` on names whose words were sorted once
    (`words_sorted`; pass `choices_words_sorted` to reuse them) rather than once per pair:
    the same score (normalised names have single spaces), in about half the time."""
    out: F32 | None = None
    for scorer in NAME_SCORERS:
        q, c = queries, choices
        if scorer is fuzz.token_sort_ratio:
            scorer, q = fuzz.ratio, words_sorted(queries)
            c = words_sorted(choices) if choices_words_sorted is None else choices_words_sorted
        s = process.cdist(q, c, scorer=scorer, processor=None, dtype=np.float32,
                          workers=workers)
        out = s if out is None else np.maximum(out, s, out=out)
    assert out is not None
    return out


def best_two_names(queries: Sequence[str], index: AccountIndex, *, workers: int = 1
                   ) -> tuple[F32, F32, I64]:
    """For each query: the best score, the best score of any *other* account (or
    ambiguous key), and the position in `index.names` of the best key (-1 when the index
    is empty). Ties go to the first key in sorted order.

    `rapidfuzz.process.cdist` over a whole block of queries at once; blocks bound the
    score matrix to `_CDIST_CELLS` cells.
    """
    n, m = len(queries), index.size
    best = np.zeros(n, dtype=np.float32)
    second = np.zeros(n, dtype=np.float32)
    pos = np.full(n, -1, dtype=np.int64)
    if n == 0 or m == 0:
        return best, second, pos
    block = max(1, _CDIST_CELLS // m)
    for start in range(0, n, block):
        stop = min(n, start + block)
        scores = name_scores(queries[start:stop], index.name_choices, workers=workers,
                             choices_words_sorted=index.name_choices_words_sorted)
        rows = np.arange(stop - start)
        top = np.argmax(scores, axis=1)
        best[start:stop] = scores[rows, top]
        pos[start:stop] = top
        scores[rows[:, None], index.name_group_members[top]] = 0.0
        second[start:stop] = scores.max(axis=1)
    return best, second, pos


def accept_name(best: F32, second: F32, has_account: B, *, min_name_score: float,
                min_margin: float) -> B:
    """The ambiguity guard: score high enough, clearly ahead of every other account, and
    the key belongs to one account only."""
    return (best >= min_name_score) & ((best - second) >= min_margin) & has_account


def name_confidence(score: npt.NDArray[np.floating], abbreviation: B
                    ) -> npt.NDArray[np.float64]:
    """Confidence of a name match: `score / 100` times 0.90 for an account's full name or
    0.80 for an abbreviation of it."""
    base = np.where(abbreviation, ABBREVIATION_CONFIDENCE, NAME_CONFIDENCE)
    return np.round(base * score.astype(np.float64) / 100.0, 6)


def _score_column(score: npt.NDArray[np.floating]) -> npt.NDArray[np.float64]:
    """Scores as reported (column `score`): float64, `SCORE_DECIMALS` decimals."""
    return np.asarray(score, dtype=np.float64).round(SCORE_DECIMALS)


def _known_ids(values: ArrowStrings) -> pa.Array:
    return _blank_to_null(pc.utf8_trim_whitespace(_strings(values)))


def _positions(values: pa.Array, value_set: pa.Array) -> I64:
    """Position of each value in `value_set` (a hash join), -1 when absent or null."""
    if len(value_set) == 0:
        return np.full(len(values), -1, dtype=np.int64)
    idx = pc.index_in(values, value_set=value_set)
    return np.asarray(pc.fill_null(idx, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def _bools(values: pa.Array) -> B:
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _column(t: pa.Table, name: str) -> pa.Array:
    if name in t.column_names:
        return _strings(t.column(name))
    return pa.nulls(t.num_rows, pa.string())


# -- batch ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatchResult:
    """Batch matching: `matches` (`MATCH_SCHEMA`, one row per lead in input order) and
    `reviews` (`REVIEW_SCHEMA`: leads the name rule refused although their best account
    scored at least `review_score`)."""

    matches: pa.Table
    reviews: pa.Table


def match_leads_to_accounts(leads: pa.Table, accounts: pa.Table | AccountIndex, *,
                            min_name_score: float = DEFAULT_MIN_NAME_SCORE,
                            min_margin: float = DEFAULT_MIN_MARGIN,
                            workers: int = -1) -> pa.Table:
    """Match every lead (columns lead_id, email, company, account_id) to an account.

    `accounts` is the accounts table (account_id, name, domain) or an index already built
    from it. Returns `MATCH_SCHEMA`, one row per lead in input order. See the module
    docstring for the rules. `workers` is passed to rapidfuzz (-1: every core).
    """
    thresholds = Matching(min_name_score=min_name_score, min_margin=min_margin,
                          review_score=min(min_name_score, Matching().review_score))
    return match_accounts(leads, accounts, thresholds, workers=workers).matches


def match_accounts(leads: pa.Table, accounts: pa.Table | AccountIndex,
                   thresholds: Matching, *, workers: int = -1) -> MatchResult:
    """`match_leads_to_accounts` with the contract's `matching` thresholds, and the leads
    to review: refused by the name rule with a best score of at least `review_score`."""
    index = accounts if isinstance(accounts, AccountIndex) else build_account_index(accounts)
    min_name_score, min_margin = thresholds.min_name_score, thresholds.min_margin
    n = leads.num_rows
    lead_ids = _strings(leads.column("lead_id"))
    known = _known_ids(_column(leads, "account_id"))
    is_known = _bools(pc.is_valid(known))

    # Email domain, most specific level first; free mail never matches.
    levels = domain_levels(email_domains(_column(leads, "email")))
    free = _bools(is_free_mail(levels[0]))
    domain_pos = np.full(n, -1, dtype=np.int64)
    domain_level = np.full(n, -1, dtype=np.int64)
    for k, level in enumerate(levels):
        pos = _positions(level, index.domains)
        take = (domain_pos < 0) & (pos >= 0)
        domain_pos[take] = pos[take]
        domain_level[take] = k
    by_domain = ~is_known & ~free & (domain_pos >= 0)

    # Company name: exact key, then fuzzy on the distinct names still open.
    raw_company = _column(leads, "company")
    company = normalise_company_names(raw_company)
    key_has_account = _bools(pc.is_valid(index.name_accounts))
    open_rows = ~is_known & ~by_domain & _bools(pc.is_valid(company))
    exact_pos = _positions(company, index.names)
    name_pos = np.where(open_rows, exact_pos, -1)
    score = np.where(name_pos >= 0, 100.0, np.nan)
    runner_up = np.full(n, np.nan)
    accepted = name_pos >= 0

    fuzzy_rows = np.flatnonzero(open_rows & (exact_pos < 0))
    if len(fuzzy_rows) and index.size:
        wanted = company.take(pa.array(fuzzy_rows))
        queries = pc.unique(wanted)
        best, second, pos = best_two_names(queries.to_pylist(), index, workers=workers)
        ok = accept_name(best, second, key_has_account[pos], min_name_score=min_name_score,
                         min_margin=min_margin)
        q = _positions(wanted, queries)
        score[fuzzy_rows] = best[q]
        runner_up[fuzzy_rows] = second[q]
        name_pos[fuzzy_rows] = pos[q]
        accepted[fuzzy_rows] = ok[q]
    safe_pos = np.maximum(name_pos, 0)
    by_name = accepted & (name_pos >= 0) & key_has_account[safe_pos] if index.size else \
        np.zeros(n, dtype=bool)

    # Assemble.
    method = np.full(n, _M_NONE, dtype=np.int64)
    method[by_name] = _M_NAME
    method[by_domain] = _M_DOMAIN
    method[is_known] = _M_KNOWN
    confidence = np.zeros(n, dtype=np.float64)
    confidence[is_known] = KNOWN_CONFIDENCE
    confidence[by_domain] = np.where(domain_level[by_domain] == 0, DOMAIN_CONFIDENCE,
                                     PARENT_DOMAIN_CONFIDENCE)
    if index.size:
        confidence[by_name] = name_confidence(score[by_name],
                                              index.name_is_abbreviation[name_pos[by_name]])
    null = pa.scalar(None, pa.string())
    domain_acc = (index.domain_accounts.take(pa.array(np.maximum(domain_pos, 0)))
                  if len(index.domains) else pa.nulls(n, pa.string()))
    name_acc = (index.name_accounts.take(pa.array(safe_pos)) if index.size
                else pa.nulls(n, pa.string()))
    account = pc.if_else(pa.array(is_known), known,
                         pc.if_else(pa.array(by_domain), domain_acc,
                                    pc.if_else(pa.array(by_name), name_acc, null)))
    score_out = _score_column(np.where(is_known | by_domain, np.nan, score))
    matches = pa.table({
        "lead_id": lead_ids,
        "account_id": _strings(account),
        "method": pa.array([m.value for m in _METHODS], pa.string()).take(pa.array(method)),
        "confidence": pa.array(confidence, pa.float64()),
        "score": pa.array(score_out, pa.float64(), mask=np.isnan(score_out)),
    }, schema=MATCH_SCHEMA)

    # Review: refused by the name rule, yet scoring at least review_score.
    review = (method == _M_NONE) & ~np.isnan(score_out) & (score_out >= thresholds.review_score)
    rows = pa.array(np.flatnonzero(review))
    candidate = _strings(name_acc).take(rows) if index.size else pa.nulls(len(rows), pa.string())
    shared = np.asarray(pc.is_null(candidate).to_numpy(zero_copy_only=False), dtype=bool)
    best_r = score_out[review]
    margin = _score_column(score[review] - runner_up[review])
    why = np.where(shared, "the name belongs to several accounts",
                   np.where(best_r < min_name_score, f"score below min_name_score "
                                                     f"{min_name_score:g}",
                            f"another account within min_margin {min_margin:g} points"))
    reviews = pa.table({
        "lead_id": lead_ids.take(rows),
        "company": _strings(raw_company).take(rows),
        "account_id": candidate,
        "score": pa.array(best_r, pa.float64()),
        "margin": pa.array(margin, pa.float64(), mask=np.isnan(margin)),
        "why": pa.array(why.tolist(), pa.string()),
    }, schema=REVIEW_SCHEMA)
    return MatchResult(matches, reviews)


# -- live ----------------------------------------------------------------------------------
def _first(fn: Any, value: Any) -> Any:
    """`fn` applied to a one-row Arrow array: the batch kernels, on a single value."""
    return fn(pa.array([value], pa.string()))[0].as_py()


@lru_cache(maxsize=65_536)
def _live_company(company: str | None) -> str | None:
    return cast(str | None, _first(normalise_company_names, company))


@lru_cache(maxsize=65_536)
def _live_domains(email: str | None) -> tuple[str | None, ...]:
    """Domain levels of an email, most specific first; empty for free mail or no domain."""
    domain = _first(email_domains, email)
    if domain is None or _first(is_free_mail, domain):
        return ()
    return tuple(lv[0].as_py() for lv in domain_levels(pa.array([domain], pa.string())))


def match_lead(lead: Mapping[str, Any], index: AccountIndex, *,
               min_name_score: float = DEFAULT_MIN_NAME_SCORE,
               min_margin: float = DEFAULT_MIN_MARGIN, workers: int = 1) -> Match:
    """Match one lead (a mapping with lead_id and any of email, company, account_id) by the
    same rules, normalisation and index as `match_leads_to_accounts`.

    Normalised companies and email domains are cached by raw value (they depend on
    nothing else), so repeat companies cost a dictionary look-up.
    """
    lead_id = str(lead["lead_id"])
    raw_known = lead.get("account_id")
    known = None if raw_known is None else _first(_known_ids, raw_known)
    if known is not None:
        return Match(lead_id, known, MatchMethod.KNOWN, KNOWN_CONFIDENCE, None)

    for k, level in enumerate(_live_domains(lead.get("email"))):
        account = index.domain_lookup.get(level) if level is not None else None
        if account is not None:
            conf = DOMAIN_CONFIDENCE if k == 0 else PARENT_DOMAIN_CONFIDENCE
            return Match(lead_id, account, MatchMethod.EMAIL_DOMAIN, conf, None)

    company = _live_company(lead.get("company"))
    if company is None or index.size == 0:
        return Match(lead_id, None, MatchMethod.NONE, 0.0, None)
    exact = index.name_lookup.get(company)
    if exact is not None:
        best = np.array([100.0], dtype=np.float32)
        pos = np.array([exact], dtype=np.int64)
        ok = np.array([True])
    else:
        best, second, pos = best_two_names([company], index, workers=workers)
        ok = accept_name(best, second, np.array([True]), min_name_score=min_name_score,
                         min_margin=min_margin)
    account = index.name_accounts[int(pos[0])].as_py()
    score = float(_score_column(best)[0])
    if not ok[0] or account is None:
        return Match(lead_id, None, MatchMethod.NONE, 0.0, score)
    confidence = name_confidence(best, index.name_is_abbreviation[pos])
    return Match(lead_id, account, MatchMethod.COMPANY_NAME, float(confidence[0]), score)


# -- duplicates ----------------------------------------------------------------------------
def find_duplicate_leads(leads: pa.Table, *, gmail_canonical: bool = False) -> pa.Table:
    """Leads that repeat an earlier lead's email (`DUPLICATE_SCHEMA`, input order).

    Emails are compared normalised (`normalise_emails`); blank emails are never
    duplicates. `duplicate_of` is the earliest lead with that email — by `created_at` when
    the column is there (nulls last), then by `lead_id`. `reason` is `same_email`, or
    `same_gmail_mailbox` when the addresses differ and only agree after `gmail_canonical`.
    """
    n = leads.num_rows
    lower = normalise_emails(_column(leads, "email"))
    key = normalise_emails(_column(leads, "email"), gmail_canonical=True) if gmail_canonical \
        else lower
    cols: dict[str, Any] = {"key": key, "lead_id": _strings(leads.column("lead_id")),
                            "row": pa.array(np.arange(n, dtype=np.int64))}
    sort_keys: list[tuple[str, str]] = [("key", "ascending")]
    if "created_at" in leads.column_names:
        cols["created_at"] = leads.column("created_at")
        sort_keys.append(("created_at", "ascending"))
    sort_keys.append(("lead_id", "ascending"))
    t = pa.table(cols).filter(pc.is_valid(key))
    order = pc.sort_indices(t, sort_keys=sort_keys)
    s = t.take(order)
    keys = s.column("key").combine_chunks()
    m = s.num_rows
    starts = np.ones(m, dtype=bool)
    if m > 1:
        same = pc.equal(keys.slice(1), keys.slice(0, m - 1))
        starts[1:] = ~np.asarray(same.to_numpy(zero_copy_only=False), dtype=bool)
    first = np.maximum.accumulate(np.where(starts, np.arange(m), 0))
    dup = ~starts
    rows = np.asarray(s.column("row").to_numpy(), dtype=np.int64)
    dup_rows = rows[dup]
    orig_rows = rows[first[dup]]
    order_out = np.argsort(dup_rows, kind="stable")
    dup_rows, orig_rows = dup_rows[order_out], orig_rows[order_out]
    lead_ids = _strings(leads.column("lead_id"))
    same_raw = pc.fill_null(pc.equal(lower.take(pa.array(dup_rows)),
                                     lower.take(pa.array(orig_rows))), False)
    reason = pc.if_else(same_raw, pa.scalar("same_email"), pa.scalar("same_gmail_mailbox"))
    return pa.table({
        "lead_id": lead_ids.take(pa.array(dup_rows)),
        "duplicate_of": lead_ids.take(pa.array(orig_rows)),
        "reason": _strings(reason),
    }, schema=DUPLICATE_SCHEMA)


# -- store ---------------------------------------------------------------------------------
def match_store(store: Store, thresholds: Matching | None = None, *,
                workers: int = -1) -> MatchResult:
    """Match every stored lead to an account by `thresholds` (the contract's `matching`;
    default: the documented defaults) and write the derived tables `lead_accounts` and
    `match_reviews`."""
    leads = store.table("leads").select("lead_id", "email", "company", "account_id")
    accounts = store.table("accounts").select("account_id", "name", "domain")
    result = match_accounts(leads.to_pyarrow(), accounts.to_pyarrow(),
                            thresholds if thresholds is not None else Matching(),
                            workers=workers)
    store.write_derived("lead_accounts", result.matches)
    store.write_derived("match_reviews", result.reviews)
    return result


def find_store_duplicate_leads(store: Store, *, gmail_canonical: bool = False) -> pa.Table:
    """Duplicate stored leads; writes derived table `duplicate_leads`."""
    leads = store.table("leads").select("lead_id", "email", "created_at")
    result = find_duplicate_leads(leads.to_pyarrow(), gmail_canonical=gmail_canonical)
    store.write_derived("duplicate_leads", result)
    return result
