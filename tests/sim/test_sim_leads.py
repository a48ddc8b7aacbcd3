"""Lead records are as messy as real ones, and the truth behind them is kept."""

from __future__ import annotations

from simulated_run import Run


def test_account_id_is_known_for_about_sixty_percent(planted_run: Run) -> None:
    share = planted_run.one("select avg((account_id is not null)::int) from leads")
    assert 0.57 < share < 0.63


def test_known_account_ids_are_the_true_ones(planted_run: Run) -> None:
    wrong = planted_run.one(
        "select count(*) from leads l join truth_lead_accounts t using (lead_id) "
        "where l.account_id is not null and l.account_id <> t.account_id")
    assert wrong == 0


def test_company_is_a_noisy_version_of_the_account_name(planted_run: Run) -> None:
    exact, differs, suffixed, blank = planted_run.rows("""
        select avg((l.company = a.name)::int),
               avg((l.company <> a.name)::int),
               avg((l.company similar to '.*(Inc|GmbH|Ltd|LLC|AG|SAS|BV|AB|KK)\\.?')::int),
               avg((l.company is null)::int)
        from leads l join truth_lead_accounts t using (lead_id)
        join accounts a on a.account_id = t.account_id""")[0]
    assert 0.3 < exact < 0.45
    assert differs > 0.4
    assert suffixed > 0.1
    assert 0.02 < blank < 0.1


def test_some_company_names_are_abbreviated(planted_run: Run) -> None:
    abbreviated = planted_run.one("""
        select count(*) from leads l join truth_lead_accounts t using (lead_id)
        join accounts a on a.account_id = t.account_id
        where a.name like '%Technologies%' and l.company = replace(a.name, 'Technologies',
                                                                   'Tech')""")
    assert abbreviated > 5


def test_most_emails_use_the_account_domain_some_free_mail(planted_run: Run) -> None:
    own, free = planted_run.rows("""
        select avg((split_part(l.email, '@', 2) = a.domain)::int),
               avg((split_part(l.email, '@', 2) in ('gmail.com', 'yahoo.com',
                    'outlook.com'))::int)
        from leads l join truth_lead_accounts t using (lead_id)
        join accounts a on a.account_id = t.account_id""")[0]
    assert own > 0.8
    assert 0.08 < free < 0.16


def test_duplicates_share_the_email_and_nobody_else_does(planted_run: Run) -> None:
    n_dup, same_email = planted_run.rows("""
        select count(*), avg((a.email = b.email)::int)
        from truth_duplicate_leads d join leads a on a.lead_id = d.lead_id
        join leads b on b.lead_id = d.duplicate_of""")[0]
    assert 0.02 * 20_000 < n_dup < 0.05 * 20_000
    assert same_email == 1
    # Every repeated email belongs to one duplicate cluster.
    repeated = planted_run.one(
        "select sum(n - 1) from (select count(*) n from leads group by email having n > 1)")
    assert repeated == n_dup


def test_duplicates_point_at_an_earlier_lead(planted_run: Run) -> None:
    later = planted_run.one(
        "select count(*) from truth_duplicate_leads d join leads a on a.lead_id = d.lead_id "
        "join leads b on b.lead_id = d.duplicate_of where b.created_at > a.created_at")
    assert later == 0


def test_abm_accounts_are_owned_by_aes(planted_run: Run) -> None:
    rows = planted_run.rows(
        "select abm_target, count(*), count(owner_rep_id) from accounts group by 1")
    counts = {abm: (n, owned) for abm, n, owned in rows}
    assert counts[True][0] == counts[True][1] > 0
    assert counts[False][1] == 0
