"""Import a folder of fact files in the canonical format (`docs/facts.md`).

One file per table, named after it: `leads.csv` or `leads.parquet`. Every file is read and
checked before anything is written — columns, types, required values, timestamps — and the
whole folder is then written in one transaction, so a bad file leaves the store exactly as
it was. Conversions are vectorised (Arrow compute / pandas), never a loop over rows.
Files that are not `.csv`/`.parquet` and sub-folders (e.g. a simulator's `_truth/`) are
ignored.
"""

from __future__ import annotations

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

_INT = r"^\s*[+-]?\d+\s*$"
_FLOAT = r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$"
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
        raw = pq.read_table(path)
        converters = _from_typed
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
    return pa.Table.from_arrays(arrays, schema=fact.arrow_schema())


def import_fact_folder(store: Store, folder: str | Path) -> ImportResult:
    """Read and check every fact file in `folder`, then write them in one transaction."""
    files = find_fact_files(Path(folder))
    batch = {name: read_fact_file(path, FACT_TABLES[name]) for name, path in files.items()}
    result = store.write_facts(batch)
    return ImportResult({n: str(p) for n, p in files.items()}, result)


# --- reading and converting ---------------------------------------------------------------

def _read_csv_as_strings(path: Path) -> pa.Table:
    """Read every column as text; typing happens per column with row-precise errors."""
    with path.open("r", encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh), [])
    if not [h for h in header if h.strip()]:
        raise ImportFactsError("no header row; expected the columns listed in docs/facts.md",
                               file=str(path))
    try:
        return pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={c: pa.string() for c in header},
                strings_can_be_null=True,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ImportFactsError(f"cannot read CSV: {exc}", file=str(path)) from exc


def _check_columns(path: Path, present: list[str], fact: FactTable) -> None:
    known = set(fact.column_names)
    for name in present:
        if name not in known:
            hint = did_you_mean(name, known)
            raise ImportFactsError(
                f"unknown column for table {fact.name!r}" + (f" ({hint})" if hint else ""),
                file=str(path), column=name)
    for col in fact.columns:
        if col.required and col.name not in present:
            raise ImportFactsError(f"missing required column ({col.type}: {col.doc})",
                                   file=str(path), column=col.name)


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
        return pc.cast(pc.utf8_trim_whitespace(arr), ARROW_TYPES[kind])
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
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise ImportFactsError(f"expected {kind}, found a column of type {arr.type}",
                               file=str(path), column=column) from exc


Converter = Callable[[Path, str, str, pa.Array], pa.Array]
