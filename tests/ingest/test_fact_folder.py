"""Importing a folder of fact files: idempotent, one transaction, row-precise errors.

Runs on every store backend (DuckDB and the local PostgreSQL server)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from accord.errors import ImportFactsError
from accord.ingest.fact_folder import import_fact_folder
from accord.store import Store

LEADS = """lead_id,email,company,channel,created_at,country
L1,ann@acme.com,Acme,webinar,2025-03-01T09:00:00-05:00,US
L2,bob@globex.io,Globex,paid_search,2025-03-02 10:30:00,GB
L3,cy@gmail.com,,organic_search,2025-03-03T08:00:00Z,
"""
TOUCHES = """touch_id,lead_id,signal,occurred_at
T1,L1,webinar_attended,2025-03-01T14:00:00Z
T2,L1,demo_request,2025-03-04T15:00:00Z
T3,L2,pricing_page,2025-03-05T16:00:00Z
T4,L3,whitepaper,2025-03-06T17:00:00Z
"""
REPS = """rep_id,name,role,capacity_per_day,active
R1,Dana,sdr,20,true
R2,Eli,ae,,false
"""


def write_folder(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


@pytest.fixture
def good(tmp_path: Path) -> Path:
    return write_folder(tmp_path / "good", **{"leads.csv": LEADS, "touches.csv": TOUCHES,
                                              "reps.csv": REPS, "notes.md": "ignored"})


def test_import_counts_every_row(store: Store, good: Path) -> None:
    result = import_fact_folder(store, good)
    assert dict(result.write.added) == {"leads": 3, "touches": 4, "reps": 2}
    counts = store.counts()
    assert (counts["leads"], counts["touches"], counts["reps"], counts["accounts"]) == (3, 4, 2, 0)


def test_reimport_changes_nothing(store: Store, good: Path) -> None:
    import_fact_folder(store, good)
    before = store.counts()
    again = import_fact_folder(store, good)
    assert again.write.total_added == 0
    assert store.counts() == before


def test_timestamps_are_stored_in_utc(store: Store, good: Path) -> None:
    import_fact_folder(store, good)
    rows = {r["lead_id"]: r for r in store.table("leads").to_pyarrow().to_pylist()}
    # 09:00 at UTC-05:00 is 14:00 UTC; a zone-less time is taken as UTC.
    assert rows["L1"]["created_at"] == datetime(2025, 3, 1, 14, 0)
    assert rows["L2"]["created_at"] == datetime(2025, 3, 2, 10, 30)
    assert rows["L3"]["company"] is None


def test_types_are_converted(store: Store, good: Path) -> None:
    import_fact_folder(store, good)
    reps = {r["rep_id"]: r for r in store.table("reps").to_pyarrow().to_pylist()}
    assert reps["R1"]["capacity_per_day"] == 20 and reps["R1"]["active"] is True
    assert reps["R2"]["capacity_per_day"] is None and reps["R2"]["active"] is False


def _refused(store: Store, folder: Path) -> ImportFactsError:
    before = store.counts()
    with pytest.raises(ImportFactsError) as info:
        import_fact_folder(store, folder)
    assert store.counts() == before, "a refused import must leave the store as it was"
    return info.value


def test_missing_required_column_names_file_and_column(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{
        "touches.csv": TOUCHES,
        "leads.csv": "lead_id,email,created_at\nL1,a@b.com,2025-01-01\n"})
    err = _refused(store, folder)
    assert err.file is not None and err.file.endswith("leads.csv")
    assert err.column == "channel"
    assert "missing required column" in err.message


def test_unparsable_timestamp_names_file_row_and_column(store: Store, tmp_path: Path) -> None:
    bad = TOUCHES.replace("2025-03-05T16:00:00Z", "5th of March")
    folder = write_folder(tmp_path / "f", **{"leads.csv": LEADS, "touches.csv": bad})
    err = _refused(store, folder)
    assert err.file is not None and err.file.endswith("touches.csv")
    assert (err.row, err.column) == (3, "occurred_at")  # T3 is the third data row
    assert "ISO 8601" in err.message and "5th of March" in err.message


def test_bad_integer_names_row(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{"reps.csv": REPS.replace(",20,", ",twenty,")})
    err = _refused(store, folder)
    assert (err.row, err.column) == (1, "capacity_per_day")
    assert "integer" in err.message


def test_unknown_table_is_refused_with_suggestion(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{"leads.csv": LEADS, "lead.csv": LEADS})
    err = _refused(store, folder)
    assert err.file is not None and err.file.endswith("lead.csv")
    assert "unknown table 'lead'" in err.message and "'leads'" in err.message


def test_unknown_column_is_refused(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{
        "reps.csv": "rep_id,name,role,regoin\nR1,Dana,sdr,na\n"})
    err = _refused(store, folder)
    assert err.column == "regoin" and "'region'" in err.message


def test_empty_file_is_refused(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{"leads.csv": LEADS, "touches.csv": ""})
    err = _refused(store, folder)
    assert err.file is not None and err.file.endswith("touches.csv")
    assert "empty file" in err.message


def test_required_value_missing_names_row(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{"leads.csv": LEADS.replace("L2,bob", ",bob")})
    err = _refused(store, folder)
    assert (err.row, err.column) == (2, "lead_id")


def test_stored_id_with_different_content_refuses_whole_import(store: Store, good: Path,
                                                                tmp_path: Path) -> None:
    import_fact_folder(store, good)
    changed = TOUCHES.replace("T4,L3,whitepaper", "T4,L3,case_study")
    new_rep = REPS + "R3,Fay,sdr,10,true\n"
    folder = write_folder(tmp_path / "f", **{"reps.csv": new_rep, "touches.csv": changed})
    err = _refused(store, folder)  # R3 is new but must not be written either
    assert "T4" in err.message and Path(err.file or "").name == "touches.csv"
    assert store.counts()["reps"] == 2


def test_duplicate_id_within_import_is_refused(store: Store, tmp_path: Path) -> None:
    dup = TOUCHES + "T1,L2,case_study,2025-03-07T10:00:00Z\n"
    folder = write_folder(tmp_path / "f", **{"touches.csv": dup})
    err = _refused(store, folder)
    assert "T1" in err.message and "within the import" in err.message


def test_exact_duplicate_rows_collapse(store: Store, tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "f", **{"touches.csv": TOUCHES + TOUCHES.splitlines()[1]
                                             + "\n", "leads.csv": LEADS})
    import_fact_folder(store, folder)
    assert store.counts()["touches"] == 4


def test_parquet_with_zoned_timestamps_is_converted_to_utc(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "pq"
    folder.mkdir()
    at = pa.array([datetime(2025, 6, 1, 12, 0)], pa.timestamp("us", tz="Europe/Berlin"))
    table = pa.table({"touch_id": ["P1"], "lead_id": ["L1"], "signal": ["demo_request"],
                      "occurred_at": at})
    pq.write_table(table, folder / "touches.parquet")
    (folder / "leads.csv").write_text(LEADS)  # a touch's lead must exist
    import_fact_folder(store, folder)
    row = store.table("touches").to_pyarrow().to_pylist()[0]
    # Arrow stores zoned timestamps as UTC instants: 12:00 UTC stays 12:00 UTC.
    assert row["occurred_at"] == datetime(2025, 6, 1, 12, 0)
    assert row["channel"] is None


def test_derived_tables_are_replaced_whole(store: Store) -> None:
    store.write_derived("scores", pa.table({"lead_id": ["L1", "L2"], "fit": [10, 20]}))
    store.write_derived("scores", pa.table({"lead_id": ["L3"], "fit": [30]}))
    assert store.derived("scores").to_pyarrow().to_pylist() == [{"lead_id": "L3", "fit": 30}]
    with pytest.raises(KeyError):
        store.derived("never_written")
