"""Import a folder of fact files in the canonical format (`docs/facts.md`).

One file per table, named after it: `leads.csv` or `leads.parquet`. Every file is read and
checked before anything is written — columns, types, required values, timestamps — and the
whole folder is then written in one transaction, so a bad file leaves the store exactly as
it was. Conversions are vectorised (Arrow compute / pandas), never a loop over rows.
Files that are not `.csv`/`.parquet` and sub-folders (e.g. a simulator's `_truth/`) are
ignored.

Bad input is refused with the file, row and column (docs/import.md, "Bad input"): a file
that is not UTF-8 CSV, a wrong delimiter, a row with too many fields, an empty table, an
integer beyond 64 bits, a non-finite or negative number where a count or amount is
expected, the same id twice with different content, and a touch, activity or stage event
whose lead is neither in the import nor in the store. Only an empty cell is a null (no
`NA`/`NULL` spellings); ids and the `*_id` references are trimmed of surrounding spaces.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from accord.contract.issues import did_you_mean
from accord.errors import ImportFactsError
from accord.facts import ARROW_TYPES, FACT_TABLES, FactTable
from accord.store.base import Store, WriteResult

DATA_SUFFIXES = (".csv", ".parquet")

NON_NEGATIVE: dict[str, tuple[str, ...]] = {
    "accounts": ("employees", "annual_revenue"),
    "opportunities": ("amount", "prior_amount"),
    "spend": ("amount",),
    "reps": ("capacity_per_day", "quota"),
}
"""Counts and amounts that cannot be below zero (docs/facts.md)."""

LEAD_EVENTS = ("touches", "activities", "stage_events")
"""Tables whose `lead_id` must name a lead in the import or in the store."""

_INT = r"^\s*[+-]?\d+\s*$"
_FLOAT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
_INT64_MAX = 2**63 - 1
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


@dataclass(frozen=True)
class ImportResult:
    files: dict[str, str]  # table -> file read
    write: WriteResult

    @property
    def already_stored(self) -> int:
        """Facts offered that the store already held (an import is idempotent)."""
        return sum(self.write.offered.values()) - self.write.total_added

    def as_dict(self) -> dict[str, object]:
        return {"files": dict(self.files), "offered": dict(self.write.offered),
                "added": dict(self.write.added)}


def find_fact_files(folder: Path) -> dict[str, Path]:
    """Map table name -> file in `folder`; unknown table names and doubles are errors."""
    if not folder.exists():
        raise ImportFactsError(f"no such folder: {folder}")
    if not folder.is_dir():
        raise ImportFactsError("expected a folder of fact files (one per table)", file=str(folder))
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() not in DATA_SUFFIXES:
            continue
        name = path.stem
        if name not in FACT_TABLES:
            hint = did_you_mean(name, FACT_TABLES)
            raise ImportFactsError(
                f"unknown table {name!r}; expected one of {', '.join(FACT_TABLES)}"
                + (f" ({hint})" if hint else ""), file=str(path))
        if name in found:
            raise ImportFactsError(f"two files for table {name!r}: {found[name].name} and "
                                   f"{path.name}; keep one", file=str(path))
        found[name] = path
    if not found:
        raise ImportFactsError(f"no fact files (.csv or .parquet named after a table) in {folder}")
    return found


def read_fact_file(path: Path, fact: FactTable) -> pa.Table:
    """Read one file and return it with exactly the canonical schema, or raise."""
    if path.stat().st_size == 0:
        raise ImportFactsError("empty file; expected a header row with the columns of "
                               f"{fact.name!r} (see docs/facts.md)", file=str(path))
    if path.suffix.lower() == ".csv":
        raw = _read_csv_as_strings(path)
        converters = _from_strings
    else:
        raw = _read_parquet(path)
        converters = _from_typed
    if raw.num_rows == 0 and converters is _from_strings:  # a typed, empty Parquet is clear
        raise ImportFactsError(f"no data rows: the file has a header but no {fact.name}; "
                               "leave the file out when a table has nothing to import",
                               file=str(path))
    _check_columns(path, raw.column_names, fact)
    arrays = []
    for col in fact.columns:
        if col.name not in raw.column_names:
            arrays.append(pa.nulls(raw.num_rows, ARROW_TYPES[col.type]))
            continue
        arr = raw.column(col.name).combine_chunks()
        converted = converters(path, col.name, col.type, arr)
        if col.required:
            nulls = np.flatnonzero(converted.is_null().to_numpy(zero_copy_only=False))
            if len(nulls):
                raise ImportFactsError(f"required value is empty ({len(nulls)} rows)",
                                       file=str(path), row=int(nulls[0]) + 1, column=col.name)
        arrays.append(converted)
    table = pa.Table.from_arrays(arrays, schema=fact.arrow_schema())
    return check_table(path, fact, table)


def import_fact_folder(store: Store, folder: str | Path) -> ImportResult:
    """Read and check every fact file in `folder`, then write them in one transaction."""
    files = find_fact_files(Path(folder))
    batch = {name: read_fact_file(path, FACT_TABLES[name]) for name, path in files.items()}
    return write_checked(store, batch, files)


def write_checked(store: Store, batch: dict[str, pa.Table], files: dict[str, Path]
                  ) -> ImportResult:
    """Check what spans tables (every event's lead exists), then write `batch` in one
    transaction; a conflict the store finds names the file it came from."""
    check_leads(store, batch, files)
    try:
        result = store.write_facts(batch)
    except ImportFactsError as exc:
        if exc.file in files:
            raise ImportFactsError(exc.message, file=str(files[exc.file]),
                                   column=exc.column) from None
        raise
    return ImportResult({n: str(p) for n, p in files.items()}, result)


# --- checks on a whole table --------------------------------------------------------------

def check_table(path: Path, fact: FactTable, table: pa.Table,
                blame: dict[str, str] | None = None) -> pa.Table:
    """Trim ids and references, then refuse non-finite numbers, negative counts and
    amounts, and one id with two different contents. `blame` maps a canonical column to
    the source column named in errors (a mapping); rows are the file's data rows."""
    def where(col: str) -> str:
        return (blame or {}).get(col, col)

    for i, col in enumerate(fact.columns):
        if col.type == "string" and (col.name == fact.id_column or col.name.endswith("_id")):
            arr = table.column(i).combine_chunks()
            trimmed = pc.utf8_trim_whitespace(arr)
            trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
            if col.required:
                nulls = np.flatnonzero(_mask(pc.is_null(trimmed)))
                if len(nulls):
                    raise ImportFactsError(f"required value is empty ({len(nulls)} rows)",
                                           file=str(path), row=int(nulls[0]) + 1,
                                           column=where(col.name))
            table = table.set_column(i, col.name, trimmed)
    for col in fact.columns:
        if col.type not in ("int", "float"):
            continue
        arr = table.column(col.name).combine_chunks()
        if col.type == "float":
            bad = _mask(pc.invert(pc.is_finite(arr)))
            _first_bad(path, where(col.name), bad, "a finite number", arr)
        if col.name in NON_NEGATIVE.get(fact.name, ()):
            bad = _mask(pc.less(arr, 0))
            _first_bad(path, where(col.name), bad, "a number ≥ 0", arr)
    _check_duplicate_ids(path, fact, table, where(fact.id_column))
    return table


def _check_duplicate_ids(path: Path, fact: FactTable, table: pa.Table, column: str) -> None:
    """The same id twice with different content: both rows named. Exact repeats collapse
    to one row when written, so they pass."""
    ids = table.column(fact.id_column).combine_chunks()
    counts = pc.value_counts(ids)
    if len(counts) == len(ids):  # every id once: the usual case, nothing more to do
        return
    distinct = table.group_by(table.column_names).aggregate([])
    dcounts = pc.value_counts(distinct.column(fact.id_column))
    clash = pc.filter(dcounts.field("values"), pc.greater(dcounts.field("counts"), 1))
    if not len(clash):
        return
    first = clash[0].as_py()
    rows = np.flatnonzero(_mask(pc.equal(ids, first)))
    content = table.take(pa.array(rows)).to_pylist()  # a few rows, to name them
    at, row = next((r, c) for r, c in zip(rows, content, strict=True) if c != content[0])
    other = int(at)
    differ = [k for k in content[0] if content[0][k] != row[k]]
    raise ImportFactsError(
        f"id {first!r} appears twice within the import with different content: rows "
        f"{int(rows[0]) + 1} and {other + 1} differ ({', '.join(differ)}); {len(clash)} "
        "id(s) like this. Facts are append-only: give a changed fact a new id",
        file=str(path), row=other + 1, column=column)


def check_leads(store: Store, batch: dict[str, pa.Table], files: dict[str, Path]) -> None:
    """Every touch, activity and stage event names a lead that is in `batch` or already
    stored; the first one that does not is refused with its file and row."""
    events = [t for t in LEAD_EVENTS if t in batch]
    if not events:
        return
    known = (batch["leads"].column("lead_id").combine_chunks() if "leads" in batch
             else pa.array([], pa.string()))
    stored: pa.Array | None = None
    for name in events:
        ids = batch[name].column("lead_id").combine_chunks()
        unknown = pc.invert(pc.is_in(ids, value_set=known))
        if not pc.any(unknown).as_py():
            continue
        if stored is None:  # only when some lead is not in the import
            stored = store.table("leads").select("lead_id").to_pyarrow().column(0) \
                .combine_chunks()
        missing = np.flatnonzero(_mask(pc.and_(unknown, pc.invert(pc.is_in(ids,
                                                                             value_set=stored)))))
        if len(missing):
            i = int(missing[0])
            lead = ids[i].as_py()
            n = len(pc.unique(ids.take(pa.array(missing))))
            raise ImportFactsError(
                f"lead {lead!r} does not exist: it is neither in this import's leads nor in "
                f"the store ({len(missing)} rows, {n} unknown leads); import the leads "
                "first or with it", file=str(files[name]), row=i + 1, column="lead_id")


# --- reading and converting ---------------------------------------------------------------

def _read_csv_as_strings(path: Path) -> pa.Table:
    """Read every column as text; typing happens per column with row-precise errors.

    Only an empty unquoted cell is a null: `NA`, `N/A`, `NULL`, `nan` stay text."""
    header = _read_header(path)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in header},
                                   null_values=[""], strings_can_be_null=True,
                                   quoted_strings_can_be_null=False)
    try:
        return pacsv.read_csv(path, convert_options=convert)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "straddling" in text or "straddles" in text:  # one row longer than a block
            try:
                size = min(path.stat().st_size + 1, 2**31 - 1)
                return pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=size),
                                      convert_options=convert)
            except pa.ArrowInvalid as again:
                exc, text = again, str(again)
        raise _csv_problem(path, convert, text) from None


_LOOKS_LIKE = ((b"\x1f\x8b", "gzip-compressed data; decompress it first"),
               (b"PAR1", "a Parquet file; name it .parquet"),
               (b"PK\x03\x04", "a ZIP archive (an Excel workbook?); export it as CSV UTF-8"),
               (b"\xff\xfe", "UTF-16 text; save it as CSV UTF-8"),
               (b"\xfe\xff", "UTF-16 text; save it as CSV UTF-8"))


def _read_header(path: Path) -> list[str]:
    """The header row, or an error naming the file when it is not UTF-8 CSV text."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    expected = "expected a UTF-8 CSV file with a header row"
    for magic, what in _LOOKS_LIKE:
        if head.startswith(magic):
            raise ImportFactsError(f"not a UTF-8 CSV file: this is {what} ({expected})",
                                   file=str(path))
    if b"\x00" in head:
        raise ImportFactsError(f"not a UTF-8 CSV file: it holds NUL bytes (binary data, or "
                               f"UTF-16 text without a byte-order mark; {expected})",
                               file=str(path))
    try:
        with path.open("rb") as fh:
            first = fh.readline()
        header = next(csv.reader([first.decode("utf-8-sig")]), [])
    except UnicodeDecodeError as exc:
        raise ImportFactsError(f"not a UTF-8 CSV file: byte {exc.start} of the header is not "
                               f"UTF-8 (a Latin-1 or Windows export?); {expected}",
                               file=str(path)) from None
    except csv.Error as exc:
        raise ImportFactsError(f"cannot read the header row: {exc}", file=str(path)) from None
    if not [h for h in header if h.strip()]:
        raise ImportFactsError("no header row; expected the columns listed in docs/facts.md",
                               file=str(path))
    if len(header) == 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header[0]:
                raise ImportFactsError(
                    f"wrong delimiter: the header is one column {header[0][:80]!r} that "
                    f"holds {name}; expected comma-separated values (export with ',' as the "
                    "delimiter)", file=str(path))
    return header


def _csv_problem(path: Path, convert: pacsv.ConvertOptions, text: str) -> ImportFactsError:
    """The error for a CSV pyarrow refused, with the row when one row is to blame."""
    if "Expected" in text and "columns" in text:
        found: list[pacsv.InvalidRow] = []

        def first(row: pacsv.InvalidRow) -> str:
            if not found:
                found.append(row)
            return "skip"

        with contextlib.suppress(pa.ArrowInvalid):
            pacsv.read_csv(path, read_options=pacsv.ReadOptions(use_threads=False),
                           parse_options=pacsv.ParseOptions(invalid_row_handler=first),
                           convert_options=convert)
        if found:
            bad = found[0]
            row = bad.number - 1 if bad.number is not None and bad.number > 0 else None
            return ImportFactsError(
                f"the row has {bad.actual_columns} fields, the header {bad.expected_columns} "
                f"(an unquoted comma in a value?): {bad.text[:80]!r}", file=str(path),
                row=row)
    if "invalid UTF8" in text:
        line = _first_non_utf8_line(path)
        at = f" (line {line})" if line is not None else ""
        return ImportFactsError(f"not a UTF-8 CSV file: a row holds bytes that are not "
                                f"UTF-8{at}; save it as CSV UTF-8", file=str(path))
    return ImportFactsError(f"cannot read CSV: {text}", file=str(path))


def _first_non_utf8_line(path: Path) -> int | None:
    """The 1-based line of the first bytes that are not UTF-8 (after a failure only)."""
    with path.open("rb") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return None


def _read_parquet(path: Path) -> pa.Table:
    try:
        return pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ImportFactsError(f"not a Parquet file ({exc}); expected a Parquet file, or "
                               "name a CSV file .csv", file=str(path)) from None


def _check_columns(path: Path, present: list[str], fact: FactTable) -> None:
    known = set(fact.column_names)
    for name in present:
        if name not in known:
            hint = did_you_mean(name, known)
            raise ImportFactsError(
                f"unknown column for table {fact.name!r}" + (f" ({hint})" if hint else ""),
                file=str(path), column=name)
    missing = [c.name for c in fact.columns if c.required and c.name not in present]
    if missing:
        raise ImportFactsError(
            f"missing required column(s) {', '.join(missing)} of {fact.name!r}; found "
            f"{', '.join(present) or 'no columns'}", file=str(path), column=missing[0])


def _first_bad(path: Path, column: str, bad: np.ndarray, expected: str,
               values: pa.Array) -> None:
    idx = np.flatnonzero(bad)
    if len(idx):
        i = int(idx[0])
        raise ImportFactsError(
            f"expected {expected}, got {values[i].as_py()!r} ({len(idx)} bad rows)",
            file=str(path), row=i + 1, column=column)


def _mask(arr: pa.Array) -> np.ndarray:
    mask: np.ndarray = arr.fill_null(False).to_numpy(zero_copy_only=False)
    return mask


def _from_strings(path: Path, column: str, kind: str, arr: pa.Array) -> pa.Array:
    arr = pc.if_else(pc.equal(pc.utf8_trim_whitespace(arr), ""), pa.scalar(None, pa.string()),
                     arr) if kind != "string" else arr
    if kind == "string":
        return arr.cast(pa.string())
    if kind in ("int", "float"):
        pattern = _INT if kind == "int" else _FLOAT
        ok = pc.match_substring_regex(arr, pattern)
        bad = _mask(pc.and_(pc.is_valid(arr), pc.invert(ok.fill_null(True))))
        _first_bad(path, column, bad, "an integer" if kind == "int" else "a number", arr)
        try:
            return pc.cast(pc.utf8_trim_whitespace(arr), ARROW_TYPES[kind])
        except pa.ArrowInvalid:  # an integer beyond 64 bits: find it to name its row
            _out_of_range(path, column, [None if v is None else int(v)
                                         for v in arr.to_pylist()], arr)
            raise
    if kind == "bool":
        lowered = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
        is_true = pc.is_in(lowered, pa.array(_TRUE))
        is_false = pc.is_in(lowered, pa.array(_FALSE))
        bad = _mask(pc.and_(pc.is_valid(arr), pc.invert(pc.or_(is_true, is_false))))
        _first_bad(path, column, bad, "true or false", arr)
        return pc.if_else(pc.is_valid(arr), is_true, pa.scalar(None, pa.bool_()))
    if kind in ("timestamp", "date"):
        return _parse_times(path, column, kind, arr)
    raise AssertionError(kind)


def _parse_times(path: Path, column: str, kind: str, arr: pa.Array) -> pa.Array:
    series = pd.Series(arr.to_pandas(), dtype="object")
    parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
    bad = (series.notna() & parsed.isna()).to_numpy()
    expected = ("an ISO 8601 timestamp such as 2025-03-01T14:30:00Z" if kind == "timestamp"
                else "an ISO 8601 date such as 2025-03-01")
    _first_bad(path, column, bad, expected, arr)
    if kind == "date":
        naive = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
        return pa.array(naive.dt.date, type=pa.date32(), from_pandas=True)
    return utc_timestamps(parsed)


def _out_of_range(path: Path, column: str, values: list[int | None], arr: pa.Array) -> None:
    bad = np.array([v is not None and not -_INT64_MAX - 1 <= v <= _INT64_MAX for v in values])
    idx = np.flatnonzero(bad)
    if len(idx):
        i = int(idx[0])
        raise ImportFactsError(f"{arr[i].as_py()!s} is out of range for a 64-bit integer "
                               f"(at most {_INT64_MAX}; {len(idx)} rows)", file=str(path),
                               row=i + 1, column=column)


def utc_timestamps(aware: pd.Series) -> pa.Array:
    """Zone-aware pandas times as the store keeps them: naive UTC microseconds (the
    column-wise counterpart of `contract.instants.naive_utc`)."""
    naive = aware.dt.tz_convert("UTC").dt.tz_localize(None)
    return pa.array(naive.astype("datetime64[us]"), type=pa.timestamp("us"), from_pandas=True)


def _from_typed(path: Path, column: str, kind: str, arr: pa.Array) -> pa.Array:
    target = ARROW_TYPES[kind]
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        return _from_strings(path, column, kind, arr.cast(pa.string()))
    if kind == "timestamp" and pa.types.is_timestamp(arr.type):
        if arr.type.tz is not None:
            arr = pc.cast(arr, pa.timestamp("us", tz="UTC")).cast(pa.timestamp("us"))
        return arr.cast(target)
    try:
        return arr.cast(target)
    except pa.ArrowInvalid as exc:
        if kind == "int" and pa.types.is_integer(arr.type):
            _out_of_range(path, column, arr.to_pylist(), arr)
        raise ImportFactsError(f"expected {kind}, found a column of type {arr.type}",
                               file=str(path), column=column) from exc
    except pa.ArrowNotImplementedError as exc:
        raise ImportFactsError(f"expected {kind}, found a column of type {arr.type}",
                               file=str(path), column=column) from exc


Converter = Callable[[Path, str, str, pa.Array], pa.Array]
