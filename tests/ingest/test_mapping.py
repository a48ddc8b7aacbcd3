"""Column-mapping import: every column form, joins, and errors that point at their place."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from accord.errors import ImportFactsError
from accord.ingest.mapping import MappingError, import_mapping, load_mapping, map_sources
from accord.store import Store

PEOPLE = """\
id,origin,signed_up,owner
p1,ads,2026-03-01 14:30,r9
p2,,2026-03-02 09:00,r9
p3,Web,2026-03-29 01:30,
"""
DEALS = """\
deal,person,closed,value
d1,p1,05/03/2026,1200.5
d2,p3,07/04/2026,80
d3,px,08/04/2026,10
"""
MAPPING = """\
name: crm-export
sources:
  people: {file: people.csv}
  deals: {file: deals.csv}
tables:
  leads:
    from: people
    columns:
      lead_id: id
      email: {template: "{id}@example.invalid"}
      channel: {column: origin, default: not_set, map: {ads: paid_search, Web: organic}}
      created_at: {column: signed_up, format: "%Y-%m-%d %H:%M", timezone: Europe/Berlin}
  opportunities:
    from: deals
    join: {source: people, key: {person: id}}
    columns:
      opportunity_id: {template: "opp-{deal}"}
      lead_id: person
      owner_rep_id: people.owner
      created_at: {column: people.signed_up, format: "%Y-%m-%d %H:%M"}
      amount: value
      status: {value: won}
      closed_at: {column: closed, format: "%d/%m/%Y"}
"""


def _write(tmp: Path, mapping: str = MAPPING, people: str = PEOPLE,
           deals: str = DEALS) -> Path:
    (tmp / "people.csv").write_text(people)
    (tmp / "deals.csv").write_text(deals)
    path = tmp / "map.yaml"
    path.write_text(mapping)
    return path


MATCHED_DEALS = DEALS.replace("d3,px,08/04/2026,10\n", "")


def test_every_column_form_becomes_canonical_facts(tmp_path: Path) -> None:
    tables = map_sources(load_mapping(_write(tmp_path, deals=MATCHED_DEALS)))
    leads = tables["leads"].to_pylist()
    assert [r["lead_id"] for r in leads] == ["p1", "p2", "p3"]
    assert [r["email"] for r in leads] == ["p1@example.invalid", "p2@example.invalid",
                                          "p3@example.invalid"]
    # map: ads -> paid_search, Web -> organic; empty -> default
    assert [r["channel"] for r in leads] == ["paid_search", "not_set", "organic"]
    # Berlin is UTC+1 in early March; 2026-03-29 01:30 is before the switch to UTC+2 at 02:00
    assert [r["created_at"] for r in leads] == [
        datetime(2026, 3, 1, 13, 30), datetime(2026, 3, 2, 8, 0), datetime(2026, 3, 29, 0, 30)]
    opps = tables["opportunities"].to_pylist()
    assert [(r["opportunity_id"], r["lead_id"], r["owner_rep_id"], r["amount"], r["status"])
            for r in opps] == [("opp-d1", "p1", "r9", 1200.5, "won"),
                               ("opp-d2", "p3", None, 80.0, "won")]
    assert opps[0]["closed_at"] == datetime(2026, 3, 5)
    # joined column, no timezone given: read as UTC
    assert opps[0]["created_at"] == datetime(2026, 3, 1, 14, 30)
    assert tables["opportunities"].schema.field("account_id").type == "string"  # unmapped: null


def test_an_unmatched_join_leaves_joined_columns_empty_and_required_ones_fail(
        tmp_path: Path) -> None:
    # d3's person px is not in people.csv: its created_at (from people) is empty
    mapping = load_mapping(_write(tmp_path))
    with pytest.raises(ImportFactsError) as err:
        map_sources(mapping)
    e = err.value
    assert (Path(e.file or "").name, e.row, e.column) == ("deals.csv", 3, "people.signed_up")
    assert "required value for opportunities.created_at is empty" in e.message


def test_import_writes_all_tables_in_one_transaction_and_is_idempotent(
        tmp_path: Path, store: Store) -> None:
    path = _write(tmp_path, deals=MATCHED_DEALS)
    first = import_mapping(store, path)
    assert dict(first.write.added) == {"leads": 3, "opportunities": 2}
    assert import_mapping(store, path).write.total_added == 0


def test_a_bad_value_names_the_source_file_row_and_column_and_writes_nothing(
        tmp_path: Path, store: Store) -> None:
    people = PEOPLE.replace("2026-03-02 09:00", "2026-13-02 09:00")
    path = _write(tmp_path, people=people, deals=MATCHED_DEALS)
    with pytest.raises(ImportFactsError) as err:
        import_mapping(store, path)
    e = err.value
    assert (Path(e.file or "").name, e.row, e.column) == ("people.csv", 2, "signed_up")
    assert "format '%Y-%m-%d %H:%M'" in e.message
    assert store.counts()["leads"] == 0


def test_a_duplicate_join_key_is_refused(tmp_path: Path) -> None:
    people = PEOPLE + "p1,ads,2026-03-05 10:00,r1\n"
    with pytest.raises(ImportFactsError, match="join key 'p1' appears more than once") as err:
        map_sources(load_mapping(_write(tmp_path, people=people)))
    assert err.value.row == 1 and err.value.column == "id"


@pytest.mark.parametrize(("change", "line", "path", "message"), [
    (("tables:\n  leads:", "tables:\n  lead:"), 6, "tables.lead", "did you mean 'leads'?"),
    (("      lead_id: id\n", "      lead_id: id\n      chanel: origin\n"), 10,
     "tables.leads.columns.chanel", "did you mean 'channel'?"),
    (("      email: {template: \"{id}@example.invalid\"}\n", ""), 7, "tables.leads",
     "required column 'email' of 'leads' is not mapped"),
    (("    from: deals", "    from: deal"), 14, "tables.opportunities.from",
     "unknown source 'deal'"),
    (("key: {person: id}", "on: person"), 15, "tables.opportunities.join.True",
     "YAML reads `on` as true"),
    (("status: {value: won}", "status: {value: won, column: x}"), 22,
     "tables.opportunities.columns.status", "exactly one of"),
    (("amount: value", "amount: {column: value, format: '%d'}"), 21,
     "tables.opportunities.columns.amount.format", "applies to timestamps and dates"),
])
def test_mapping_mistakes_point_at_their_line_and_path(
        tmp_path: Path, change: tuple[str, str], line: int, path: str, message: str) -> None:
    text = MAPPING.replace(*change)
    assert text != MAPPING
    with pytest.raises(MappingError) as err:
        load_mapping(_write(tmp_path, mapping=text))
    assert (err.value.line, err.value.path) == (line, path)
    assert message in str(err.value)


def test_a_missing_source_file_is_named(tmp_path: Path) -> None:
    path = _write(tmp_path)
    (tmp_path / "deals.csv").unlink()
    with pytest.raises(ImportFactsError, match="source 'deals': no such file"):
        map_sources(load_mapping(path))


def test_the_olist_mapping_loads() -> None:
    mapping = load_mapping(Path(__file__).resolve().parents[2] / "mappings" / "olist.yaml")
    assert set(mapping.tables) == {"leads", "stage_events", "opportunities"}
    assert mapping.sources["deals"] == "olist_closed_deals_dataset.csv"
