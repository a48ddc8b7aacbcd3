"""Lead-to-account matching and duplicate leads: hand cases, batch = live, ground truth.

Scores in the comments are worked by hand with the Indel similarity rapidfuzz's `ratio`
uses: 100 * (1 - (insertions + deletions) / (len(a) + len(b))) on normalised names.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz import fuzz, process

from accord.contract.schema import Matching
from accord.engine.matching import (
    DEFAULT_MIN_MARGIN,
    DEFAULT_MIN_NAME_SCORE,
    MATCH_SCHEMA,
    AccountIndex,
    Match,
    MatchMethod,
    build_account_index,
    email_domains,
    find_duplicate_leads,
    find_store_duplicate_leads,
    is_free_mail,
    match_accounts,
    match_lead,
    match_leads_to_accounts,
    match_store,
    name_scores,
    normalise_company_names,
    normalise_domains,
    normalise_emails,
)
from accord.facts import FACT_TABLES
from accord.sim import simulate
from accord.store import Store

ACCOUNTS = pa.table({
    "account_id": ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10"],
    "name": ["Acme GmbH", "Acne Ltd", "Orbit Robotics AG", "Gmail Fan Club",
             "Nova Data Global", "Nova Data Europe", "Helix Labs, Inc.", "Twin Corp",
             "Twin Ltd", "Société Générale SA"],
    "domain": ["acme.de", "https://www.Acne.co.uk/", "orbitrobotics.com", "gmail.com", None,
               "novadata.eu", "helix.io", "twin.com", "twin.com", "sg.fr"],
})


INDEX = build_account_index(ACCOUNTS)


@pytest.fixture(scope="module")
def index() -> AccountIndex:
    return INDEX


# -- normalisation ---------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "expected"), [
    ("ACME, Inc.", "acme"),
    ("Acme Inc", "acme"),
    ("  acme   gmbh ", "acme"),
    ("Acme Co Ltd", "acme"),  # every trailing legal form goes
    ("Nova B.V.", "nova"),
    ("Acme Pty. Ltd.", "acme"),
    ("Müller & Söhne GmbH", "muller and sohne"),
    ("Société Générale SA", "societe generale"),
    ("AG", "ag"),  # the first word is never stripped
    ("Acme AG Holdings", "acme ag holdings"),  # only trailing legal forms
    ("O'Brien-Smith Partners", "obrien smith partners"),
    ("Acme Tech Intl Inc.", "acme technologies international"),  # short forms written out
    ("Blue Log. Grp", "blue logistics group"),
    ("Logbook Systems", "logbook systems"),  # whole words only
    ("北京科技有限公司", "北京科技有限公司"),
    ("", None),
    (" , ", None),
    (None, None),
])
def test_company_names_normalise_case_punctuation_accents_and_legal_forms(
        raw: str | None, expected: str | None) -> None:
    assert normalise_company_names([raw]).to_pylist() == [expected]


@pytest.mark.parametrize(("raw", "expected"), [
    ("https://www.Acme.com/about", "acme.com"),
    ("ACME.COM.", "acme.com"),
    ("www2.acme.co.uk:443", "acme.co.uk"),
    ("  ", None),
])
def test_account_domains_normalise(raw: str, expected: str | None) -> None:
    assert normalise_domains([raw]).to_pylist() == [expected]


@pytest.mark.parametrize(("email", "domain", "free"), [
    ("Jo@Acme.COM ", "acme.com", False),
    ("jo@gmail.com", "gmail.com", True),
    ("jo@googlemail.com", "googlemail.com", True),
    ("jo@yahoo.co.uk", "yahoo.co.uk", True),
    ("jo@yahoo.com.br", "yahoo.com.br", True),
    ("jo@hotmail.fr", "hotmail.fr", True),
    ("jo@gmx.net", "gmx.net", True),
    ("jo@yandex.ru", "yandex.ru", True),
    ("jo@web.de", "web.de", True),
    ("jo@qq.com", "qq.com", True),
    ("jo@163.com", "163.com", True),
    ("jo@proton.me", "proton.me", True),
    ("jo@live.com", "live.com", True),
    ("jo@eu.gmail.com", "eu.gmail.com", True),  # subdomain of a listed domain
    ("jo@livestream.com", "livestream.com", False),  # a brand only as a whole label
    ("jo@live.acme.de", "live.acme.de", False),  # a brand label inside a company domain
    ("jo@mail.acme.com", "mail.acme.com", False),
    ("not-an-email", None, False),
])
def test_email_domains_and_free_mail(email: str, domain: str | None, free: bool) -> None:
    assert email_domains([email]).to_pylist() == [domain]
    if domain is not None:
        assert is_free_mail([domain]).to_pylist() == [free]


# -- hand cases: batch and live --------------------------------------------------------------
# (case, lead fields, expected account_id, method, confidence, score; "<x": below x)
CASES: list[tuple[str, dict[str, Any], str | None, MatchMethod, float, float | str | None]] = [
    ("free mail never matches by domain, even an account's",
     {"email": "jo@gmail.com"}, None, MatchMethod.NONE, 0.0, None),
    ("free-mail lead matched by its company instead",
     {"email": "jo@yahoo.co.uk", "company": "Helix Labs"}, "A7", MatchMethod.COMPANY_NAME,
     0.9, 100.0),
    ("ACME Inc. is Acme GmbH: legal forms and case are ignored",
     {"email": "p@gmail.com", "company": "ACME Inc."}, "A1", MatchMethod.COMPANY_NAME,
     0.9, 100.0),
    ("exact email domain, account domain written as a URL",
     {"email": "c@ACNE.CO.UK "}, "A2", MatchMethod.EMAIL_DOMAIN, 0.95, None),
    ("subdomain stripped when the shorter domain is an account's",
     {"email": "a@mail.acme.de"}, "A1", MatchMethod.EMAIL_DOMAIN, 0.9, None),
    ("two subdomain labels stripped",
     {"email": "a@eu.mail.acme.de"}, "A1", MatchMethod.EMAIL_DOMAIN, 0.9, None),
    ("three subdomain labels are too many",
     {"email": "a@x.eu.mail.acme.de"}, None, MatchMethod.NONE, 0.0, None),
    ("domain wins over a company name pointing elsewhere",
     {"email": "a@acme.de", "company": "Acne Ltd"}, "A1", MatchMethod.EMAIL_DOMAIN, 0.95,
     None),
    ("domain two accounts share never matches; nor does their shared name",
     {"email": "t@twin.com", "company": "Twin"}, None, MatchMethod.NONE, 0.0, 100.0),
    ("known account_id wins over domain and name",
     {"email": "x@acme.de", "company": "Acme", "account_id": "A6"}, "A6", MatchMethod.KNOWN,
     1.0, None),
    ("blank account_id is not known",
     {"email": "x@acme.de", "account_id": "  "}, "A1", MatchMethod.EMAIL_DOMAIN, 0.95, None),
    # acmne vs acme: 1 deletion → 1 - 1/9 = 88.89; vs acne: 1 deletion → 88.89: a tie.
    ("Acme GmbH vs Acne Ltd: a name as close to both is refused",
     {"company": "Acmne"}, None, MatchMethod.NONE, 0.0, 88.89),
    # orbti robotics vs orbit robotics: 2 edits in 28 letters → 92.86; confidence 0.9 × it.
    ("a typo still matches when no other account is close",
     {"company": "Orbti Robotics"}, "A3", MatchMethod.COMPANY_NAME, 0.835714, 92.86),
    ("abbreviation of one account matches with lower confidence",
     {"company": "Helix"}, "A7", MatchMethod.COMPANY_NAME, 0.8, 100.0),
    ("abbreviation shared by two accounts is refused",
     {"company": "Nova Data"}, None, MatchMethod.NONE, 0.0, 100.0),
    ("full name outranks another account's abbreviation",
     {"company": "Nova Data Europe Ltd"}, "A6", MatchMethod.COMPANY_NAME, 0.9, 100.0),
    ("accents are ignored",
     {"company": "SOCIETE GENERALE"}, "A10", MatchMethod.COMPANY_NAME, 0.9, 100.0),
    # zebra foods (11 letters) shares at most 4 letters in order with any key (ze..a.o..s
    # with "orbit robotics" or fewer): at most 2 * 4 / 25 = 32 against the longer keys.
    ("an unknown company matches nothing",
     {"company": "Zebra Foods"}, None, MatchMethod.NONE, 0.0, "<60"),
    ("no email, no company", {}, None, MatchMethod.NONE, 0.0, None),
]


def _lead_table(leads: list[dict[str, Any]]) -> pa.Table:
    return pa.table({
        "lead_id": [lead["lead_id"] for lead in leads],
        "email": pa.array([lead.get("email") for lead in leads], pa.string()),
        "company": pa.array([lead.get("company") for lead in leads], pa.string()),
        "account_id": pa.array([lead.get("account_id") for lead in leads], pa.string()),
    })


def _row(m: Match) -> dict[str, Any]:
    return {"lead_id": m.lead_id, "account_id": m.account_id, "method": m.method.value,
            "confidence": m.confidence, "score": m.score}


@pytest.mark.parametrize(("case", "fields", "account", "method", "confidence", "score"),
                         CASES, ids=[c[0] for c in CASES])
def test_hand_case_batch_and_live(index: AccountIndex, case: str, fields: dict[str, Any],
                                  account: str | None, method: MatchMethod, confidence: float,
                                  score: float | str | None) -> None:
    lead = {"lead_id": "L1", **fields}
    live = match_lead(lead, index)
    batch = match_leads_to_accounts(_lead_table([lead]), ACCOUNTS).to_pylist()[0]
    assert (live.account_id, live.method, live.confidence) == (account, method, confidence)
    if isinstance(score, str):
        assert live.score is not None and live.score < float(score.removeprefix("<"))
    else:
        assert live.score == score
    assert batch == _row(live)


def test_batch_keeps_lead_order_and_schema(index: AccountIndex) -> None:
    leads = [{"lead_id": f"L{i}", **fields} for i, (_, fields, *_rest) in enumerate(CASES)]
    out = match_leads_to_accounts(_lead_table(leads), index)
    assert out.schema == MATCH_SCHEMA
    assert out.column("lead_id").to_pylist() == [lead["lead_id"] for lead in leads]
    assert out.column("account_id").to_pylist() == [c[2] for c in CASES]


def test_empty_inputs() -> None:
    empty_accounts = ACCOUNTS.slice(0, 0)
    leads = _lead_table([{"lead_id": "L1", "email": "a@acme.de", "company": "Acme"}])
    out = match_leads_to_accounts(leads, empty_accounts)
    assert out.to_pylist() == [{"lead_id": "L1", "account_id": None, "method": "none",
                                "confidence": 0.0, "score": None}]
    assert match_leads_to_accounts(_lead_table([]), ACCOUNTS).num_rows == 0
    assert match_lead({"lead_id": "L1", "company": "Acme"},
                      build_account_index(empty_accounts)).method is MatchMethod.NONE


# -- batch = live ----------------------------------------------------------------------------
_NAMES = ACCOUNTS.column("name").to_pylist()
_DOMAINS = ["acme.de", "acne.co.uk", "orbitrobotics.com", "gmail.com", "novadata.eu",
            "helix.io", "twin.com", "sg.fr", "yahoo.fr", "other.org"]


@st.composite
def noisy_name(draw: st.DrawFn) -> str | None:
    name = draw(st.sampled_from([*_NAMES, "Acme", "Nova Data", "Twin", "Zebra Foods", ""]))
    match draw(st.integers(0, 5)):
        case 0:
            return name
        case 1:
            return name.lower() + draw(st.sampled_from([" inc", ", Ltd.", " GmbH", ""]))
        case 2:
            return name.upper()
        case 3:  # swap two neighbouring letters
            if len(name) < 3:
                return name
            i = draw(st.integers(0, len(name) - 2))
            return name[:i] + name[i + 1] + name[i] + name[i + 2:]
        case 4:
            return name.rsplit(" ", 1)[0]
        case _:
            return draw(st.one_of(st.none(), st.text("acmenovbrt .,&-", max_size=14)))


@st.composite
def lead_fields(draw: st.DrawFn) -> dict[str, Any]:
    sub = draw(st.sampled_from(["", "mail.", "eu.mail.", "a.b.c."]))
    email = draw(st.one_of(st.none(), st.just("nobody"), st.builds(
        lambda local, dom: f"{local}@{sub}{dom}", st.sampled_from(["jo", "J.Doe"]),
        st.sampled_from(_DOMAINS))))
    account = draw(st.one_of(st.none(), st.sampled_from(["A1", "A9", " ", ""])))
    return {"email": email, "company": draw(noisy_name()), "account_id": account}


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lead_fields(), min_size=1, max_size=8))
def test_batch_equals_live_on_generated_leads(fields: list[dict[str, Any]]) -> None:
    leads = [{"lead_id": f"L{i}", **f} for i, f in enumerate(fields)]
    batch = match_leads_to_accounts(_lead_table(leads), INDEX).to_pylist()
    assert batch == [_row(match_lead(lead, INDEX)) for lead in leads]


# -- duplicates ------------------------------------------------------------------------------
def _leads_with_times(rows: list[tuple[str, str | None, datetime | None]]) -> pa.Table:
    return pa.table({
        "lead_id": [r[0] for r in rows],
        "email": pa.array([r[1] for r in rows], pa.string()),
        "created_at": pa.array([r[2] for r in rows], pa.timestamp("us")),
    })


def test_duplicates_point_at_the_earliest_lead_with_the_same_email() -> None:
    leads = _leads_with_times([
        ("L1", "Jo@Acme.com", datetime(2025, 3, 2)),
        ("L2", " jo@acme.com ", datetime(2025, 3, 1)),  # earliest, though listed second
        ("L3", "JO@ACME.COM", datetime(2025, 3, 5)),
        ("L4", "ann@acme.com", datetime(2025, 3, 1)),
        ("L5", "", datetime(2025, 3, 1)),  # blank emails are never duplicates
        ("L6", None, datetime(2025, 3, 1)),
        ("L7", "", datetime(2025, 3, 2)),
        ("L9", "bo@x.org", datetime(2025, 4, 1)),
        ("L8", "bo@x.org", datetime(2025, 4, 1)),  # same time: lower lead_id first
        ("LA", "j.o+news@gmail.com", datetime(2025, 4, 1)),
        ("LB", "jo@googlemail.com", datetime(2025, 4, 2)),
    ])
    assert find_duplicate_leads(leads).to_pylist() == [
        {"lead_id": "L1", "duplicate_of": "L2", "reason": "same_email"},
        {"lead_id": "L3", "duplicate_of": "L2", "reason": "same_email"},
        {"lead_id": "L9", "duplicate_of": "L8", "reason": "same_email"},
    ]
    with_gmail = find_duplicate_leads(leads, gmail_canonical=True).to_pylist()
    assert with_gmail[-1] == {"lead_id": "LB", "duplicate_of": "LA",
                              "reason": "same_gmail_mailbox"}
    assert len(with_gmail) == 4


def test_duplicates_without_created_at_use_lead_id() -> None:
    leads = pa.table({"lead_id": ["L2", "L1"], "email": ["a@b.c", "A@B.C"]})
    assert find_duplicate_leads(leads).to_pylist() == [
        {"lead_id": "L2", "duplicate_of": "L1", "reason": "same_email"}]


def test_gmail_canonical_only_touches_gmail() -> None:
    out = normalise_emails(["J.Doe+x@GoogleMail.com", "j.doe+x@acme.com"],
                           gmail_canonical=True)
    assert out.to_pylist() == ["jdoe@gmail.com", "j.doe+x@acme.com"]


# -- store ----------------------------------------------------------------------------------
def test_match_store_writes_lead_accounts(store: Store) -> None:
    leads = [{"lead_id": f"L{i}", **fields} for i, (_, fields, *_rest) in enumerate(CASES)]
    t = datetime(2025, 1, 6, 9, 0)
    lead_rows = [{"lead_id": lead["lead_id"], "email": lead.get("email") or "",
                  "company": lead.get("company"), "account_id": lead.get("account_id"),
                  "channel": "webinar", "created_at": t} for lead in leads]
    lead_rows.append({**lead_rows[0], "lead_id": "L99"})  # same email as L0
    store.write_facts({
        "accounts": pa.Table.from_pylist(ACCOUNTS.to_pylist(),
                                         schema=FACT_TABLES["accounts"].arrow_schema()),
        "leads": pa.Table.from_pylist(lead_rows, schema=FACT_TABLES["leads"].arrow_schema()),
    })
    out = match_store(store).matches
    stored = store.derived("lead_accounts").order_by("lead_id").to_pyarrow()
    assert stored.to_pylist() == out.sort_by("lead_id").to_pylist()
    by_id = {r["lead_id"]: r["account_id"] for r in out.to_pylist()}
    assert [by_id[f"L{i}"] for i in range(len(CASES))] == [c[2] for c in CASES]

    # L9 and L10 share x@acme.de at the same time: "L10" < "L9", so L10 is the original.
    dups = find_store_duplicate_leads(store).sort_by("lead_id")
    assert dups.to_pylist() == [
        {"lead_id": "L9", "duplicate_of": "L10", "reason": "same_email"},
        {"lead_id": "L99", "duplicate_of": "L0", "reason": "same_email"},
    ]
    stored_dups = store.derived("duplicate_leads").order_by("lead_id").to_pyarrow()
    assert stored_dups.to_pylist() == dups.to_pylist()


# -- docs ---------------------------------------------------------------------------------
DOC = Path(__file__).resolve().parents[2] / "docs" / "matching.md"


def test_doc_python_examples_run() -> None:
    """Every ```python block of docs/matching.md runs (its asserts are the checks)."""
    blocks: list[str] = []
    current: list[str] | None = None
    for line in DOC.read_text("utf-8").splitlines():
        if current is None and line.strip() == "```python":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current) + "\n")
            current = None
        elif current is not None:
            current.append(line)
    assert blocks
    for code in blocks:
        exec(compile(code, str(DOC), "exec"), {})


# -- ground truth ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("matching_sim")
    simulate(out, leads=20_000, seed=11)
    return out


def _precision_recall(matched: pa.Table, truth: pa.Table) -> tuple[float, float, int]:
    """precision = correct / matches made; recall = correct / leads with a true account."""
    j = matched.join(truth.rename_columns(["lead_id", "true_account_id"]), "lead_id")
    made = pc.is_valid(j.column("account_id"))
    correct = pc.fill_null(pc.equal(j.column("account_id"), j.column("true_account_id")),
                           False)
    n_made = pc.sum(made).as_py() or 0
    n_correct = pc.sum(correct).as_py() or 0
    n_true = pc.sum(pc.is_valid(j.column("true_account_id"))).as_py()
    return n_correct / n_made, n_correct / n_true, j.num_rows


def test_precision_and_recall_on_simulated_ground_truth(simulated: Path) -> None:
    """On leads whose account_id was not given (20,000 simulated leads, 2,500 accounts,
    seed 11). Measured (docs/matching.md): all such leads P 0.9999 R 0.984; free-mail
    leads (name rule only) P 0.999 R 0.868; names alone with emails hidden P 0.999 R 0.873.
    Seeds 1–5 give P ≥ 0.998 everywhere and recalls 0.985–0.987, 0.868–0.890 and
    0.874–0.881; the thresholds sit below all of these and match the issue's targets
    (precision ≥ 0.97, recall ≥ 0.85) on the harder subsets; the free-mail and ambiguity
    guards have their own hand cases above."""
    leads = pq.read_table(simulated / "leads.parquet")
    accounts = pq.read_table(simulated / "accounts.parquet")
    truth = pq.read_table(simulated / "_truth" / "lead_accounts.parquet")
    open_leads = leads.filter(pc.is_null(leads.column("account_id")))
    matched = match_leads_to_accounts(open_leads, accounts)

    p_all, r_all, n_all = _precision_recall(matched, truth)
    free = is_free_mail(email_domains(open_leads.column("email")))
    p_free, r_free, n_free = _precision_recall(matched.filter(free), truth)
    names_only = match_leads_to_accounts(open_leads.select(["lead_id", "company"]), accounts)
    p_name, r_name, _ = _precision_recall(names_only, truth)
    print(f"\nmatching on {n_all} leads without account_id: precision {p_all:.4f} "
          f"recall {r_all:.4f}; free-mail leads ({n_free}): precision {p_free:.4f} recall "
          f"{r_free:.4f}; names alone: precision {p_name:.4f} recall {r_name:.4f}")
    assert p_all >= 0.99 and r_all >= 0.97
    assert p_free >= 0.98 and r_free >= 0.85
    assert p_name >= 0.98 and r_name >= 0.85
    assert n_free > 500  # the sample that exercises the name rule is not trivial


def test_duplicates_equal_simulated_ground_truth(simulated: Path) -> None:
    leads = pq.read_table(simulated / "leads.parquet")
    truth = pq.read_table(simulated / "_truth" / "duplicate_leads.parquet")
    found = find_duplicate_leads(leads).select(["lead_id", "duplicate_of"])
    assert truth.num_rows > 100
    assert found.sort_by("lead_id").to_pylist() == truth.sort_by("lead_id").to_pylist()


def test_batch_equals_live_on_simulated_leads(simulated: Path) -> None:
    leads = pq.read_table(simulated / "leads.parquet").slice(0, 400)
    index = build_account_index(pq.read_table(simulated / "accounts.parquet"))
    batch = match_leads_to_accounts(leads, index).to_pylist()
    assert batch == [_row(match_lead(lead, index)) for lead in leads.to_pylist()]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text("abcde xyz&.,-", min_size=1, max_size=24), min_size=1, max_size=6),
       st.lists(st.text("abcde xyz&.,-", min_size=1, max_size=24), min_size=1, max_size=6))
def test_name_scores_are_the_higher_of_ratio_and_token_sort_ratio(
        left: list[str], right: list[str]) -> None:
    # name_scores sorts each name's words once instead of per pair; the scores must be
    # rapidfuzz's own, computed pair by pair on normalised names.
    queries = [q for q in normalise_company_names(left).to_pylist() if q is not None]
    choices = [c for c in normalise_company_names(right).to_pylist() if c is not None]
    if not queries or not choices:
        return
    expected = np.maximum(
        process.cdist(queries, choices, scorer=fuzz.ratio, dtype=np.float32),
        process.cdist(queries, choices, scorer=fuzz.token_sort_ratio, dtype=np.float32))
    assert np.array_equal(name_scores(queries, choices), expected)


def test_long_name_columns_normalise_like_short_ones() -> None:
    # Past 10,000 rows names are normalised per distinct value; the result is the same.
    names = ["ACME, Inc.", None, "Müller & Söhne GmbH", "", "Acme Intl Ltd", "b.v. Zeta"]
    long = names * 2_000  # 12,000 rows
    expected = normalise_company_names(names).to_pylist() * 2_000
    assert normalise_company_names(long).to_pylist() == expected


# -- thresholds from the contract, and names to review ----------------------------------------
REVIEW_ACCOUNTS = pa.table({"account_id": ["A1", "A2", "A3"],
                            "name": ["Acme GmbH", "Acne Ltd", "Initech"],
                            "domain": ["acme.de", "acne.co.uk", "initech.com"]})
REVIEW_LEADS = pa.table({
    "lead_id": ["R1", "R2", "R3", "R4"],
    "email": ["a@gmail.com", "b@gmail.com", "c@gmail.com", "d@gmail.com"],
    # R1 `acmne`: one deletion from `acme` and from `acne`: 1 − 1/9 = 88.89 against both,
    #    margin 0 < 8 → refused, and 88.89 ≥ review_score 70 → to review;
    # R2 `initek` against `initech`: common subsequence `inite` (5), indel distance
    #    6 + 7 − 2 × 5 = 3 → 1 − 3/13 = 76.92: below min_name_score 80, above 70 → review;
    #    the best other account, `acne`, shares `ne`: 6 + 4 − 4 = 6 → 1 − 6/10 = 40, so the
    #    margin is 36.92;
    # R3 `acme`: equal to A1's name → linked (score 100), nothing to review;
    # R4 `zebra`: scores far below 70 against every name → not linked, not reviewed.
    "company": ["Acmne", "Initek", "ACME Inc.", "Zebra"],
    "account_id": pa.array([None] * 4, pa.string()),
})


def test_names_close_to_an_account_but_not_linked_are_listed_for_review() -> None:
    result = match_accounts(REVIEW_LEADS, REVIEW_ACCOUNTS, Matching())
    assert result.matches.column("account_id").to_pylist() == [None, None, "A1", None]
    assert result.reviews.to_pylist() == [
        {"lead_id": "R1", "company": "Acmne", "account_id": "A1", "score": 88.89,
         "margin": 0.0, "why": "another account within min_margin 8 points"},
        {"lead_id": "R2", "company": "Initek", "account_id": "A3", "score": 76.92,
         "margin": 36.92, "why": "score below min_name_score 80"},
    ]


def test_contract_thresholds_decide_and_a_run_may_override_them(store: Store) -> None:
    from accord.contract.compiled import compile_text
    from accord.engine.batch import run
    from accord.workspace import starter_contract_text

    store.write_facts({
        "accounts": pa.Table.from_pylist(REVIEW_ACCOUNTS.to_pylist(),
                                         schema=FACT_TABLES["accounts"].arrow_schema()),
        "leads": pa.Table.from_pylist(
            [{**r, "channel": "web", "created_at": datetime(2025, 1, 6)}
             for r in REVIEW_LEADS.to_pylist()], schema=FACT_TABLES["leads"].arrow_schema()),
    })
    # matching.min_name_score 75 in the contract links R2 (76.92 ≥ 75)
    loose = compile_text(starter_contract_text()
                         + "\nmatching: {min_name_score: 75, review_score: 70}\n")
    summary = run(store, loose, datetime(2025, 2, 1), steps=["match"])
    linked = {r["lead_id"]: r["account_id"]
              for r in store.derived("lead_accounts").to_pyarrow().to_pylist()}
    assert (linked["R2"], summary.match_reviews) == ("A3", 1)  # only R1 left to review
    # the starter's 80 refuses it again; a run with --min-margin 0 links R1 (ties go to the
    # first key in sorted order: `acme`)
    starter = compile_text(starter_contract_text())
    summary = run(store, starter, datetime(2025, 2, 1), steps=["match"],
                  matching=starter.matching.model_copy(update={"min_margin": 0.0}))
    linked = {r["lead_id"]: r["account_id"]
              for r in store.derived("lead_accounts").to_pyarrow().to_pylist()}
    assert (linked["R1"], linked["R2"], summary.match_reviews) == ("A1", None, 1)
    reviews = store.derived("match_reviews").to_pyarrow().to_pylist()
    assert [(r["lead_id"], r["why"]) for r in reviews] == [
        ("R2", "score below min_name_score 80")]
    assert summary.as_dict()["match_reviews"] == 1


def test_doc_contract_section_is_the_default_and_its_command_runs(tmp_path: Path) -> None:
    """docs/matching.md's `matching:` block compiles to the documented defaults, and its
    `accord run` line runs on a workspace."""
    import re

    from typer.testing import CliRunner

    from accord.cli import app
    from accord.contract.compiled import compile_text
    from accord.workspace import init_workspace, starter_contract_text

    doc = DOC.read_text("utf-8")
    block = re.search(r"```yaml\n(matching:.*?)```", doc, flags=re.S)
    assert block is not None
    m = compile_text(starter_contract_text() + "\n" + block.group(1)).matching
    assert (m.min_name_score, m.min_margin, m.review_score) == (80, 8, 70) == (
        DEFAULT_MIN_NAME_SCORE, DEFAULT_MIN_MARGIN, Matching().review_score)
    init_workspace(tmp_path)
    lines = re.findall(r"(?m)^accord run .*$", doc)
    assert lines
    for line in lines:
        result = CliRunner().invoke(app, [*line.split()[1:], "-w", str(tmp_path)])
        assert result.exit_code == 0, (line, result.output)
