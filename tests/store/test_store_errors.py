"""The store's own mistakes are accord errors (never a bare KeyError), and a store URL is
never shown with its password."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.errors import AccordError, NotComputedError, UnknownNameError
from accord.store import Store, open_store, public_url


def test_unknown_fact_table_names_it_and_the_tables(store: Store) -> None:
    with pytest.raises(UnknownNameError) as exc:
        store.table("lead")
    assert str(exc.value) == (
        "unknown fact table 'lead'; did you mean 'leads'?; known: accounts, leads, touches, "
        "activities, stage_events, opportunities, reps, rep_availability, campaigns, spend")
    assert exc.value.exit_code == 2


def test_a_derived_table_never_computed_says_which_command_computes_it(store: Store) -> None:
    with pytest.raises(NotComputedError) as exc:
        store.derived("scores")
    assert str(exc.value) == "derived table 'scores' has not been computed; run `accord run`"
    assert isinstance(exc.value, KeyError) and isinstance(exc.value, AccordError)
    assert exc.value.exit_code == 1


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://accord:s3cret@db.internal:5432/revenue?schema=acme",
     "postgresql://accord:***@db.internal:5432/revenue?schema=acme"),
    ("postgresql://accord:p@ss@db/revenue", "postgresql://accord:***@db/revenue"),
    ("postgresql://db/revenue?schema=acme&password=s3cret&sslmode=require",
     "postgresql://db/revenue?schema=acme&password=***&sslmode=require"),
    ("postgresql://accord@db/revenue", "postgresql://accord@db/revenue"),
    ("/srv/accord/.accord/accord.duckdb", "/srv/accord/.accord/accord.duckdb"),
    ("duckdb:///srv/a.duckdb", "duckdb:///srv/a.duckdb"),
])
def test_public_url_hides_the_password(url: str, shown: str) -> None:
    assert public_url(url) == shown


def test_describe_never_shows_a_password(tmp_path: Path) -> None:
    st = open_store(tmp_path / "s.duckdb")
    try:
        st.url = "postgresql://accord:s3cret@db/revenue"  # as a PostgreSQL store keeps it
        assert "s3cret" not in st.describe()
    finally:
        st.url = str(tmp_path / "s.duckdb")
        st.close()
