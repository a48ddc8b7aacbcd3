"""Bad input gets a clear error and loses nothing: each kind of bad file or value is refused
with its file (and row and column when one is to blame), and the store is left exactly as
it was — checked by comparing row counts before and after on a store that already holds a
good import."""

from __future__ import annotations

import gzip
import math
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.errors import ImportFactsError
from accord.ingest.fact_folder import import_fact_folder
from accord.ingest.mapping import import_mapping
from accord.store import Store, open_store

LEADS = """lead_id,email,channel,created_at,country
L1,ann@acme.com,webinar,2025-03-01T09:00:00Z,US
L2,bob@globex.io,paid_search,2025-03-02T10:30:00Z,GB
"""
TOUCHES = """touch_id,lead_id,signal,occurred_at
T1,L1,webinar_attended,2025-03-01T14:00:00Z
T2,L2,demo_request,2025-03-04T15:00:00Z
"""
OPPS = """opportunity_id,lead_id,created_at,amount,status
O1,L1,2025-03-10T10:00:00Z,1200.50,open
O2,L2,2025-03-11T10:00:00Z,800,won
"""
ACCOUNTS = """account_id,name,employees
A1,Acme,120
A2,Globex,45
"""


@pytest.fixture
def stocked(tmp_path: Path) -> Iterator[Store]:
    """A DuckDB store already holding a good import (two leads, touches, deals, accounts)."""
    st = open_store(tmp_path / "store.duckdb")
    good = _folder(tmp_path / "good", **{"leads.csv": LEADS, "touches.csv": TOUCHES,
                                         "opportunities.csv": OPPS, "accounts.csv": ACCOUNTS})
    import_fact_folder(st, good)
    yield st
    st.close()


def _folder(folder: Path, **files: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, encoding="utf-8")
    return folder


def _refused(store: Store, folder: Path, mapping: Path | None = None) -> ImportFactsError:
    before = store.counts()
    with pytest.raises(ImportFactsError) as info:
        if mapping is None:
            import_fact_folder(store, folder)
        else:
            import_mapping(store, mapping, folder)
    assert store.counts() == before, "a refused import must leave the store as it was"
    return info.value


def _where(err: ImportFactsError) -> tuple[str, int | None, str | None]:
    return Path(err.file or "").name, err.row, err.column


# --- files that are not UTF-8 CSV ---------------------------------------------------------

def _parquet_bytes(tmp_path: Path) -> bytes:
    pq.write_table(pa.table({"lead_id": ["L9"]}), tmp_path / "x.parquet")
    return (tmp_path / "x.parquet").read_bytes()


@pytest.mark.parametrize("kind", ["utf16", "gzip", "parquet", "binary", "latin1"])
def test_a_file_that_is_not_utf8_csv_is_named(stocked: Store, tmp_path: Path,
                                              kind: str) -> None:
    content = {
        "utf16": LEADS.replace("L1", "L3").encode("utf-16"),
        "gzip": gzip.compress(LEADS.encode()),
        "parquet": _parquet_bytes(tmp_path),
        "binary": b"lead_id,email\x00\x01\x02\xff\n",
        "latin1": "lead_id,émail\n".encode("latin-1"),
    }[kind]
    files: dict[str, str | bytes] = {"touches.csv": TOUCHES, "leads.csv": content}
    folder = _folder(tmp_path / "f", **files)
    err = _refused(stocked, folder)
    assert Path(err.file or "").name == "leads.csv"
    assert "not a UTF-8 CSV file" in err.message and "UTF-8 CSV" in err.message


def test_a_utf8_bom_is_read_as_utf8(stocked: Store, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "f", **{"leads.csv": "\ufeff" + LEADS.replace("L2", "L3")})
    result = import_fact_folder(stocked, folder)
    assert result.write.added["leads"] == 1  # L3 is new; L1 is already stored


# --- numbers ------------------------------------------------------------------------------

def test_an_integer_beyond_64_bits_names_row_and_column(stocked: Store, tmp_path: Path) -> None:
    accounts = ACCOUNTS + f"A3,Initech,{2**63}\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"accounts.csv": accounts}))
    assert _where(err) == ("accounts.csv", 3, "employees")
    assert "out of range for a 64-bit integer" in err.message and str(2**63) in err.message


def test_the_largest_64_bit_integer_is_accepted(stocked: Store, tmp_path: Path) -> None:
    accounts = ACCOUNTS + f"A3,Initech,{2**63 - 1}\n"
    import_fact_folder(stocked, _folder(tmp_path / "f", **{"accounts.csv": accounts}))
    rows = stocked.table("accounts").to_pyarrow().to_pylist()
    assert {r["account_id"]: r["employees"] for r in rows}["A3"] == 2**63 - 1


def test_a_parquet_integer_beyond_64_bits_names_its_row(stocked: Store, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(pa.table({"account_id": ["A3", "A4"], "name": ["I", "J"],
                             "employees": pa.array([5, 2**63], pa.uint64())}),
                   folder / "accounts.parquet")
    err = _refused(stocked, folder)
    assert _where(err) == ("accounts.parquet", 2, "employees")
    assert "out of range for a 64-bit integer" in err.message


@pytest.mark.parametrize(("file", "text", "row", "column"), [
    ("opportunities.csv", OPPS + "O3,L1,2025-03-12T10:00:00Z,-5,open\n", 3, "amount"),
    ("accounts.csv", ACCOUNTS + "A3,Initech,-1\n", 3, "employees"),
])
def test_a_negative_amount_or_count_is_refused(stocked: Store, tmp_path: Path, file: str,
                                               text: str, row: int, column: str) -> None:
    err = _refused(stocked, _folder(tmp_path / "f", **{file: text}))
    assert _where(err) == (file, row, column)
    assert "≥ 0" in err.message


@pytest.mark.parametrize("value", ["1e309", "-1e309"])
def test_a_number_too_large_for_a_float_is_refused(stocked: Store, tmp_path: Path,
                                                   value: str) -> None:
    opps = OPPS + f"O3,L1,2025-03-12T10:00:00Z,{value},open\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"opportunities.csv": opps}))
    assert _where(err) == ("opportunities.csv", 3, "amount")
    assert "a finite number" in err.message


def test_nan_and_infinity_in_parquet_are_refused(stocked: Store, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(pa.table({"spend_id": ["S1", "S2"], "month": ["2025-03-01", "2025-04-01"],
                             "channel": ["ads", "ads"], "amount": [10.0, math.nan]}),
                   folder / "spend.parquet")
    err = _refused(stocked, folder)
    assert _where(err) == ("spend.parquet", 2, "amount")
    assert "finite" in err.message


# --- nulls --------------------------------------------------------------------------------

def test_only_an_empty_cell_is_null_so_namibia_keeps_na(stocked: Store, tmp_path: Path) -> None:
    leads = ("lead_id,email,channel,created_at,country,company,title\n"
             "L3,c@x.na,webinar,2025-03-05T09:00:00Z,NA,NULL,N/A\n"
             "L4,d@x.io,webinar,2025-03-05T09:00:00Z,,nan,\"\"\n")
    import_fact_folder(stocked, _folder(tmp_path / "f", **{"leads.csv": leads}))
    rows = {r["lead_id"]: r for r in stocked.table("leads").to_pyarrow().to_pylist()}
    assert (rows["L3"]["country"], rows["L3"]["company"], rows["L3"]["title"]) == (
        "NA", "NULL", "N/A")
    assert (rows["L4"]["country"], rows["L4"]["company"], rows["L4"]["title"]) == (
        None, "nan", "")


def test_a_null_spelling_in_a_number_column_is_refused(stocked: Store, tmp_path: Path) -> None:
    accounts = ACCOUNTS + "A3,Initech,NULL\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"accounts.csv": accounts}))
    assert _where(err) == ("accounts.csv", 3, "employees")
    assert "'NULL'" in err.message


# --- empty tables, long cells, delimiters, field counts ------------------------------------

def test_a_header_only_file_is_named(stocked: Store, tmp_path: Path) -> None:
    folder = _folder(tmp_path / "f", **{"leads.csv": LEADS.replace("L2", "L3"),
                                        "touches.csv": TOUCHES.splitlines()[0] + "\n"})
    err = _refused(stocked, folder)
    assert Path(err.file or "").name == "touches.csv" and "no data rows" in err.message


def test_a_cell_of_several_megabytes_is_read(stocked: Store, tmp_path: Path) -> None:
    page = "https://example.com/?" + "x" * 3_000_000
    leads = ("lead_id,email,channel,created_at,landing_page\n"
             f"L3,c@x.io,webinar,2025-03-05T09:00:00Z,{page}\n"
             "L4,d@x.io,webinar,2025-03-05T09:00:00Z,/short\n")
    import_fact_folder(stocked, _folder(tmp_path / "f", **{"leads.csv": leads}))
    rows = {r["lead_id"]: r for r in stocked.table("leads").to_pyarrow().to_pylist()}
    assert len(rows["L3"]["landing_page"]) == len(page) and rows["L4"]["landing_page"] == "/short"


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
def test_a_wrong_delimiter_is_said(stocked: Store, tmp_path: Path, sep: str, name: str) -> None:
    folder = _folder(tmp_path / "f", **{"leads.csv": LEADS.replace(",", sep)})
    err = _refused(stocked, folder)
    assert Path(err.file or "").name == "leads.csv"
    assert "wrong delimiter" in err.message and name in err.message


def test_a_row_with_too_many_fields_names_its_row(stocked: Store, tmp_path: Path) -> None:
    leads = LEADS + "L3,c@x.io,webinar,2025-03-05T09:00:00Z,US,extra\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"leads.csv": leads}))
    assert _where(err)[:2] == ("leads.csv", 3)
    assert "6 fields, the header 5" in err.message


def test_missing_required_columns_are_all_listed_with_what_was_found(
        stocked: Store, tmp_path: Path) -> None:
    err = _refused(stocked, _folder(tmp_path / "f", **{
        "leads.csv": "lead_id,country\nL3,US\n"}))
    assert Path(err.file or "").name == "leads.csv"
    assert "email, channel, created_at" in err.message and "found lead_id, country" in err.message


def test_an_unparsable_date_names_row_and_value(stocked: Store, tmp_path: Path) -> None:
    touches = TOUCHES + "T3,L1,pricing_page,2025-02-30T10:00:00Z\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"touches.csv": touches}))
    assert _where(err) == ("touches.csv", 3, "occurred_at") and "'2025-02-30T10:00:00Z'" in (
        err.message)


# --- ids and leads ------------------------------------------------------------------------

def test_duplicate_ids_with_different_content_name_both_rows(stocked: Store,
                                                             tmp_path: Path) -> None:
    touches = TOUCHES + "T3,L1,pricing_page,2025-03-06T10:00:00Z\n" + \
        "T3,L1,case_study,2025-03-06T10:00:00Z\n"
    err = _refused(stocked, _folder(tmp_path / "f", **{"touches.csv": touches}))
    assert _where(err) == ("touches.csv", 4, "touch_id")
    assert "'T3'" in err.message and "rows 3 and 4" in err.message and "signal" in err.message


def test_an_id_already_stored_with_other_content_names_the_file(stocked: Store,
                                                                tmp_path: Path) -> None:
    touches = TOUCHES.replace("T2,L2,demo_request", "T2,L2,pricing_page")
    err = _refused(stocked, _folder(tmp_path / "f", **{"touches.csv": touches}))
    assert _where(err) == ("touches.csv", None, "touch_id") and "'T2'" in err.message


def test_ids_are_trimmed_so_spaces_do_not_make_a_new_fact(stocked: Store,
                                                          tmp_path: Path) -> None:
    touches = ("touch_id,lead_id,signal,occurred_at\n"
               " T1 ,L1 ,webinar_attended,2025-03-01T14:00:00Z\n"
               "T3, L2,pricing_page,2025-03-07T10:00:00Z\n")
    result = import_fact_folder(stocked, _folder(tmp_path / "f", **{"touches.csv": touches}))
    assert result.write.added["touches"] == 1  # " T1 " is T1, already stored
    rows = {r["touch_id"]: r["lead_id"] for r in stocked.table("touches").to_pyarrow().to_pylist()}
    assert rows == {"T1": "L1", "T2": "L2", "T3": "L2"}


@pytest.mark.parametrize(("file", "text"), [
    ("touches.csv", TOUCHES + "T3,L9,pricing_page,2025-03-07T10:00:00Z\n"),
    ("activities.csv", "activity_id,lead_id,rep_id,kind,occurred_at\n"
                       "X1,L1,R1,call,2025-03-07T10:00:00Z\nX2,L9,R1,call,2025-03-07T11:00:00Z\n"),
    ("stage_events.csv", "event_id,lead_id,to_stage,occurred_at,actor\n"
                         "E1,L1,MQL,2025-03-07T10:00:00Z,system\n"
                         "E2,L9,MQL,2025-03-07T11:00:00Z,system\n"),
])
def test_an_event_for_a_lead_that_does_not_exist_is_refused(
        stocked: Store, tmp_path: Path, file: str, text: str) -> None:
    err = _refused(stocked, _folder(tmp_path / "f", **{file: text}))
    assert _where(err) == (file, 3 if file == "touches.csv" else 2, "lead_id")
    assert "'L9' does not exist" in err.message


def test_an_event_for_a_lead_in_the_same_import_or_the_store_is_accepted(
        stocked: Store, tmp_path: Path) -> None:
    leads = LEADS + "L9,z@x.io,webinar,2025-03-06T09:00:00Z,US\n"
    touches = TOUCHES + "T3,L9,pricing_page,2025-03-07T10:00:00Z\n"  # L9 new, L1/L2 stored
    result = import_fact_folder(stocked, _folder(tmp_path / "f", **{"leads.csv": leads,
                                                                    "touches.csv": touches}))
    assert (result.write.added["leads"], result.write.added["touches"]) == (1, 1)


# --- mappings -----------------------------------------------------------------------------

EXPORT = """\
id,origin,signed_up,deal_value,country
p1,ads,2026-03-01 14:30:00.250000,100,NA
p2,Web,2026-03-02 09:00:00.000001,-,DE
"""
MAPPING = """\
sources:
  people: {file: people.csv}
tables:
  leads:
    from: people
    columns:
      lead_id: id
      email: {template: "{id}@example.invalid"}
      channel: {column: origin, map: {ads: paid_search, Web: organic}}
      country: country
      created_at: {column: signed_up, format: "%Y-%m-%d %H:%M:%S.%f"}
  opportunities:
    from: people
    columns:
      opportunity_id: {template: "o-{id}"}
      lead_id: id
      created_at: {column: signed_up, format: "%Y-%m-%d %H:%M:%S.%f"}
      amount: {column: deal_value, nulls: ["-"], default: "0"}
      status: {value: open}
"""


def _mapped(tmp_path: Path, export: str = EXPORT, mapping: str = MAPPING) -> tuple[Path, Path]:
    folder = _folder(tmp_path / "m", **{"people.csv": export, "map.yaml": mapping})
    return folder, folder / "map.yaml"


def test_a_mapping_reads_fractional_seconds_named_nulls_and_keeps_na(
        stocked: Store, tmp_path: Path) -> None:
    folder, mapping = _mapped(tmp_path)
    import_mapping(stocked, mapping, folder)
    leads = {r["lead_id"]: r for r in stocked.table("leads").to_pyarrow().to_pylist()}
    assert leads["p1"]["created_at"] == datetime(2026, 3, 1, 14, 30, 0, 250000)
    assert leads["p2"]["created_at"] == datetime(2026, 3, 2, 9, 0, 0, 1)
    assert (leads["p1"]["country"], leads["p1"]["channel"]) == ("NA", "paid_search")
    opps = {r["opportunity_id"]: r["amount"]
            for r in stocked.table("opportunities").to_pyarrow().to_pylist()}
    assert opps["o-p1"] == 100.0 and opps["o-p2"] == 0.0  # "-" named a null, then default


def test_a_value_missing_from_a_value_map_is_refused(stocked: Store, tmp_path: Path) -> None:
    folder, mapping = _mapped(tmp_path, EXPORT + "p3,Events,2026-03-03 10:00:00.5,1,US\n")
    err = _refused(stocked, folder, mapping)
    assert _where(err) == ("people.csv", 3, "origin")
    assert "'Events'" in err.message and "'ads', 'Web'" in err.message
    assert "tables.leads.columns.channel.map" in err.message


def test_a_negative_mapped_amount_names_the_source_column(stocked: Store,
                                                          tmp_path: Path) -> None:
    folder, mapping = _mapped(tmp_path, EXPORT.replace(",100,", ",-100,"))
    err = _refused(stocked, folder, mapping)
    assert _where(err) == ("people.csv", 1, "deal_value") and "≥ 0" in err.message


def test_a_mapped_event_for_an_unknown_lead_is_refused(stocked: Store, tmp_path: Path) -> None:
    mapping = MAPPING + """\
  touches:
    from: people
    columns:
      touch_id: {template: "t-{id}"}
      lead_id: {template: "x-{id}"}
      signal: {value: demo_request}
      occurred_at: {column: signed_up, format: "%Y-%m-%d %H:%M:%S.%f"}
"""
    folder, path = _mapped(tmp_path, mapping=mapping)
    err = _refused(stocked, folder, path)
    assert _where(err) == ("people.csv", 1, "lead_id") and "'x-p1' does not exist" in err.message


def test_a_header_only_source_is_named(stocked: Store, tmp_path: Path) -> None:
    folder, mapping = _mapped(tmp_path, EXPORT.splitlines()[0] + "\n")
    err = _refused(stocked, folder, mapping)
    assert Path(err.file or "").name == "people.csv" and "no data rows" in err.message


def test_bytes_that_are_not_utf8_below_the_header_name_their_line(stocked: Store,
                                                                  tmp_path: Path) -> None:
    leads = LEADS.encode() + "L3,zoë@x.de,webinar,2025-03-05T09:00:00Z,DE\n".encode("latin-1")
    err = _refused(stocked, _folder(tmp_path / "f", **{"leads.csv": leads}))
    assert Path(err.file or "").name == "leads.csv"
    assert "not a UTF-8 CSV file" in err.message and "(line 4)" in err.message


def test_an_empty_parquet_table_is_accepted(stocked: Store, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    schema = pa.schema([("absence_id", pa.string()), ("rep_id", pa.string()),
                        ("starts_at", pa.timestamp("us")), ("ends_at", pa.timestamp("us"))])
    pq.write_table(schema.empty_table(), folder / "rep_availability.parquet")
    assert import_fact_folder(stocked, folder).write.added["rep_availability"] == 0
