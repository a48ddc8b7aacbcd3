"""Reading a CRM's CSV export by its own column names and building canonical fact tables.

A vendor file is read with every column as text. A canonical column is found under any of
its names in that vendor (the label an export shows and the internal name an API
returns), compared without case, spaces or punctuation. Values are converted column-wise
(pandas), and a bad value names the vendor file, its 1-based data row and its column.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from accord.errors import ImportFactsError
from accord.facts import ARROW_TYPES, FactTable
from accord.ingest.fact_folder import utc_timestamps

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def key(name: str) -> str:
    """A name as compared: lower case, letters and digits only."""
    return _NON_ALNUM.sub("", name.lower())


def snake(values: pd.Series) -> pd.Series:
    """Free text as lower snake case (`Organic Search` → `organic_search`); empty stays empty."""
    out = values.str.strip().str.lower().str.replace(r"[^0-9a-z]+", "_", regex=True)
    return out.str.strip("_").where(values.notna())


def read_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    import csv

    return next(csv.reader([first]), []) if first.strip() else []


@dataclass
class VendorFile:
    """One export file, all text (empty cells are missing)."""

    path: Path
    frame: pd.DataFrame
    zone: str = "UTC"  # IANA zone of times written without an offset

    @classmethod
    def read(cls, path: Path) -> VendorFile:
        try:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise ImportFactsError(f"cannot read CSV: {exc}", file=str(path)) from exc
        frame = frame.apply(lambda c: c.str.strip()).replace("", None)
        return cls(path, frame)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def find(self, names: Iterable[str]) -> str | None:
        """The file's column called any of `names` (as `key` compares), or None."""
        wanted = [key(n) for n in names]
        by_key = {key(c): c for c in self.frame.columns}
        for w in wanted:
            if w in by_key:
                return by_key[w]
        return None

    def has(self, names: Iterable[str]) -> bool:
        return self.find(names) is not None

    def text(self, names: Iterable[str], *, required: bool = False,
             what: str = "") -> pd.Series:
        names = tuple(names)
        col = self.find(names)
        if col is None:
            if required:
                raise ImportFactsError(
                    f"missing column {names[0]!r} (also accepted: "
                    f"{', '.join(repr(n) for n in names[1:]) or 'none'}){what}",
                    file=str(self.path))
            return pd.Series([None] * self.rows, dtype=object)
        series = self.frame[col].astype(object)
        if required:
            self.check_present(series, col)
        return series.where(series.notna(), None)

    def check_present(self, series: pd.Series, column: str) -> None:
        empty = np.flatnonzero(series.isna().to_numpy())
        if len(empty):
            raise ImportFactsError(f"required value is empty ({len(empty)} rows)",
                                   file=str(self.path), row=int(empty[0]) + 1, column=column)

    def _bad(self, series: pd.Series, parsed: pd.Series, names: tuple[str, ...],
             expected: str) -> None:
        bad = np.flatnonzero((series.notna() & parsed.isna()).to_numpy())
        if len(bad):
            i = int(bad[0])
            raise ImportFactsError(f"expected {expected}, got {series.iloc[i]!r} "
                                   f"({len(bad)} bad rows)", file=str(self.path), row=i + 1,
                                   column=self.find(names))

    def times(self, names: Iterable[str], *, required: bool = False) -> pd.Series:
        """UTC times; a time without an offset is in `zone` (a date: its midnight there)."""
        names = tuple(names)
        series = self.text(names, required=required)
        if self.zone == "UTC":
            parsed = pd.to_datetime(series, utc=True, format="ISO8601", errors="coerce")
        else:
            has_offset = series.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
            aware = pd.to_datetime(series.where(has_offset), utc=True, format="ISO8601",
                                   errors="coerce")
            naive = pd.to_datetime(series.where(~has_offset), format="ISO8601",
                                   errors="coerce")
            local = naive.dt.tz_localize(self.zone, ambiguous="NaT", nonexistent="NaT")
            parsed = aware.where(has_offset, local.dt.tz_convert("UTC"))
        self._bad(series, parsed, names, "an ISO 8601 time such as 2026-03-01T14:30:00Z")
        return parsed

    def numbers(self, names: Iterable[str]) -> pd.Series:
        names = tuple(names)
        series = self.text(names)
        cleaned = series.str.replace(",", "", regex=False) if series.notna().any() else series
        parsed = pd.to_numeric(cleaned, errors="coerce")
        self._bad(series, parsed, names, "a number")
        return parsed.astype("float64")

    def bools(self, names: Iterable[str]) -> pd.Series:
        names = tuple(names)
        series = self.text(names)
        lowered = series.str.lower()
        true = lowered.isin(["true", "1", "yes"])
        false = lowered.isin(["false", "0", "no"])
        parsed = pd.Series([None] * len(series), index=series.index, dtype=object)
        parsed[true] = True
        parsed[false] = False
        self._bad(series, parsed.where(true | false), names, "true or false")
        return parsed


def first_id(values: pd.Series) -> pd.Series:
    """The first id of a list cell (`123;456` or `123, 456`), as an association column holds."""
    return values.str.split(r"[;,]", regex=True).str[0].str.strip().replace("", None)


def fact_table(fact: FactTable, columns: Mapping[str, pd.Series], rows: int,
               where: VendorFile | None = None) -> pa.Table:
    """The canonical table from pandas columns (missing ones empty); a required column
    that is empty names the vendor file it came from."""
    arrays = []
    for col in fact.columns:
        values = columns.get(col.name)
        arrow_type = ARROW_TYPES[col.type]
        if values is None:
            if col.required:
                raise AssertionError(f"{fact.name}.{col.name} has no source")
            arrays.append(pa.nulls(rows, arrow_type))
            continue
        values = values.reset_index(drop=True)
        if col.required and values.isna().any():
            i = int(np.flatnonzero(values.isna().to_numpy())[0])
            raise ImportFactsError(f"no value for {fact.name}.{col.name}, which is required",
                                   file=str(where.path) if where else None, row=i + 1)
        if col.type == "timestamp":
            arrays.append(utc_timestamps(pd.to_datetime(values, utc=True)))
        elif col.type == "date":
            dates = pd.to_datetime(values, utc=True).dt.date
            arrays.append(pa.array(dates, type=arrow_type, from_pandas=True))
        elif col.type == "int":
            arrays.append(pa.array(values.astype("Int64"), type=arrow_type, from_pandas=True))
        else:
            arrays.append(pa.array(values.astype(object).where(values.notna(), None),
                                   type=arrow_type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=fact.arrow_schema())
