"""Import CSV exports in any layout through a column mapping file (YAML).

A mapping names the source files and says, for each canonical fact table
(`docs/facts.md`), which source feeds it and how each canonical column is made:

```yaml
sources:
  mqls: {file: olist_marketing_qualified_leads_dataset.csv}
  deals: {file: olist_closed_deals_dataset.csv}
tables:
  opportunities:
    from: deals                         # one fact row per row of this source
    join: {source: mqls, key: mql_id}   # add the matching mqls row (key unique there)
    columns:
      opportunity_id: {template: "deal-{mql_id}"}        # a derived id
      lead_id: mql_id                                     # rename
      created_at: {column: mqls.first_contact_date, format: "%Y-%m-%d"}  # joined, parsed
      status: {value: won}                                # a constant
      source: {column: origin, default: unknown, map: {paid_search: marketing}}
```

Column forms: a bare name (rename); `column` with optional `format` (strptime, for
timestamps and dates), `timezone` (IANA zone of naive source times; default UTC),
`default` (for empty cells), `nulls` (source spellings of "no value", e.g. `[NA, "-"]`;
otherwise only an empty cell is empty) and `map` (value → value; every non-empty value
must be mapped, an unmapped one is refused naming it); `value` (a constant); `template`
(text with `{column}` fields). A join's `key` is a column name present in both sources,
or `{from_column: joined_column}` (not `on`, which YAML 1.1 reads as `true`). Joined
columns are written `<source>.<column>`; an unmatched row gets empty joined columns.

Everything is read and checked before anything is written, then all tables are written
through `Store.write_facts` in one transaction, exactly like a fact-folder import. A
mistake in the mapping names its line and YAML path; a bad value names the source file,
its 1-based data row and the source column. Conversions are vectorised (Arrow compute).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from accord.contract.issues import did_you_mean, dotted
from accord.contract.yaml_source import YamlSource, YamlSyntaxError, load_yaml_source
from accord.errors import ImportFactsError
from accord.facts import ARROW_TYPES, FACT_TABLES, FactTable
from accord.ingest.fact_folder import (
    ImportResult,
    _first_bad,
    _from_strings,
    _read_csv_as_strings,
    check_table,
    utc_timestamps,
    write_checked,
)
from accord.store.base import Store

YamlPath = tuple[str | int, ...]
_FIELD = re.compile(r"\{([^{}]+)\}")


class MappingError(ImportFactsError):
    """The mapping file itself is wrong; `line` and `path` say where."""

    def __init__(self, message: str, file: str, line: int, path: YamlPath,
                 hint: str | None = None) -> None:
        self.line = line
        self.path = dotted(path)
        text = f"{self.path or '<root>'}: {message}" + (f" ({hint})" if hint else "")
        super().__init__(text, file=file, row=line)


@dataclass(frozen=True)
class ColumnSpec:
    """How one canonical column is made from a source row."""

    target: str
    column: str | None = None  # `col` or `source.col`
    value: str | None = None
    template: str | None = None
    format: str | None = None
    timezone: str | None = None
    default: str | None = None
    map: tuple[tuple[str, str], ...] = ()
    nulls: tuple[str, ...] = ()


@dataclass(frozen=True)
class JoinSpec:
    source: str
    left_on: str
    right_on: str


@dataclass(frozen=True)
class TableSpec:
    table: str
    source: str
    join: JoinSpec | None
    columns: tuple[ColumnSpec, ...]


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed mapping file."""

    path: Path
    name: str
    sources: dict[str, str]  # source name -> file name (relative to the data folder)
    tables: dict[str, TableSpec]


# --- loading the mapping -------------------------------------------------------------------

class _Reader:
    def __init__(self, src: YamlSource, file: str) -> None:
        self.src, self.file = src, file

    def fail(self, path: YamlPath, message: str, hint: str | None = None,
             at_key: bool = False) -> MappingError:
        return MappingError(message, self.file, self.src.position(path, prefer_key=at_key).line,
                            path, hint)

    def mapping(self, value: Any, path: YamlPath, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(path, f"{what} must be a mapping")
        return value

    def keys(self, value: dict[str, Any], path: YamlPath, allowed: tuple[str, ...]) -> None:
        for k in value:
            if k not in allowed:
                hint = ("YAML reads `on` as true; write `key:`" if k == "True"
                        else did_you_mean(k, allowed))
                raise self.fail((*path, k), f"unknown key {k!r}; allowed: {', '.join(allowed)}",
                                hint, at_key=True)

    def text(self, value: Any, path: YamlPath) -> str:
        if isinstance(value, dict | list) or value is None:
            raise self.fail(path, "expected a single value")
        if isinstance(value, bool):
            return "true" if value else "false"
        return value.isoformat() if hasattr(value, "isoformat") else str(value)


def load_mapping(path: str | Path) -> ColumnMapping:
    """Read and check a mapping file; raise MappingError at the first mistake."""
    p = Path(path)
    if not p.is_file():
        raise ImportFactsError(f"no mapping file at {p}")
    try:
        src = load_yaml_source(p.read_text(encoding="utf-8"))
    except YamlSyntaxError as exc:
        raise MappingError(f"not valid YAML: {exc.message}", str(p), exc.line, ()) from None
    r = _Reader(src, str(p))
    for dup_path, first, _again in src.duplicates:
        raise r.fail(dup_path, f"duplicate key {dup_path[-1]!r}",
                     f"first defined at line {first.line}", at_key=True)
    root = r.mapping(src.data, (), "the mapping file")
    r.keys(root, (), ("name", "description", "sources", "tables"))
    for key in ("sources", "tables"):
        if key not in root:
            raise r.fail((), f"missing `{key}`")
    sources: dict[str, str] = {}
    for name, spec in r.mapping(root["sources"], ("sources",), "`sources`").items():
        path_ = ("sources", name)
        spec = r.mapping(spec, path_, f"source {name!r}")
        r.keys(spec, path_, ("file",))
        if "file" not in spec:
            raise r.fail(path_, "missing `file`", "e.g. file: leads_export.csv")
        sources[name] = r.text(spec["file"], (*path_, "file"))
    tables: dict[str, TableSpec] = {}
    for tname, spec in r.mapping(root["tables"], ("tables",), "`tables`").items():
        tables[tname] = _table_spec(r, tname, spec, sources)
    return ColumnMapping(p, r.text(root.get("name", p.stem), ("name",)), sources, tables)


def _table_spec(r: _Reader, tname: str, spec: Any, sources: dict[str, str]) -> TableSpec:
    path: YamlPath = ("tables", tname)
    if tname not in FACT_TABLES:
        raise r.fail(path, f"unknown fact table {tname!r}", did_you_mean(tname, FACT_TABLES),
                     at_key=True)
    fact = FACT_TABLES[tname]
    spec = r.mapping(spec, path, f"table {tname!r}")
    r.keys(spec, path, ("from", "join", "columns"))
    if "from" not in spec:
        raise r.fail(path, "missing `from` (the source whose rows become facts)")
    source = r.text(spec["from"], (*path, "from"))
    if source not in sources:
        raise r.fail((*path, "from"), f"unknown source {source!r}",
                     did_you_mean(source, sources))
    join = _join_spec(r, spec["join"], (*path, "join"), sources) if "join" in spec else None
    if join is not None and join.source == source:
        raise r.fail((*path, "join"), "a source cannot be joined to itself")
    cols_raw = r.mapping(spec.get("columns"), (*path, "columns"), "`columns`")
    columns = []
    for cname, cspec in cols_raw.items():
        cpath = (*path, "columns", cname)
        if cname not in fact.column_names:
            raise r.fail(cpath, f"unknown column {cname!r} of table {tname!r}",
                         did_you_mean(cname, fact.column_names), at_key=True)
        columns.append(_column_spec(r, cname, cspec, cpath, fact))
    mapped = {c.target for c in columns}
    for col in fact.columns:
        if col.required and col.name not in mapped:
            raise r.fail(path, f"required column {col.name!r} of {tname!r} is not mapped",
                         f"{col.type}: {col.doc}")
    return TableSpec(tname, source, join, tuple(columns))


def _join_spec(r: _Reader, spec: Any, path: YamlPath, sources: dict[str, str]) -> JoinSpec:
    spec = r.mapping(spec, path, "`join`")
    r.keys(spec, path, ("source", "key"))
    if "source" not in spec or "key" not in spec:
        raise r.fail(path, "a join needs `source` and `key`",
                     "e.g. {source: mqls, key: mql_id}")
    other = r.text(spec["source"], (*path, "source"))
    if other not in sources:
        raise r.fail((*path, "source"), f"unknown source {other!r}",
                     did_you_mean(other, sources))
    on = spec["key"]
    if isinstance(on, dict):
        if len(on) != 1:
            raise r.fail((*path, "key"), "`key` takes one pair {from_column: joined_column}")
        ((left, right),) = on.items()
        return JoinSpec(other, str(left), r.text(right, (*path, "key", left)))
    key = r.text(on, (*path, "key"))
    return JoinSpec(other, key, key)


def _column_spec(r: _Reader, target: str, spec: Any, path: YamlPath,
                 fact: FactTable) -> ColumnSpec:
    if not isinstance(spec, dict):
        return ColumnSpec(target, column=r.text(spec, path))
    r.keys(spec, path, ("column", "value", "template", "format", "timezone", "default", "map",
                        "nulls"))
    kinds = [k for k in ("column", "value", "template") if k in spec]
    if len(kinds) != 1:
        raise r.fail(path, "give exactly one of `column`, `value` or `template`")
    kind = fact.column(target).type
    fmt = r.text(spec["format"], (*path, "format")) if "format" in spec else None
    if fmt is not None and kind not in ("timestamp", "date"):
        raise r.fail((*path, "format"), f"`format` applies to timestamps and dates; "
                                        f"{target!r} is {kind}")
    tz = r.text(spec["timezone"], (*path, "timezone")) if "timezone" in spec else None
    if tz is not None and kind != "timestamp":
        raise r.fail((*path, "timezone"), f"`timezone` applies to timestamps; {target!r} is "
                                          f"{kind}")
    mapping: tuple[tuple[str, str], ...] = ()
    if "map" in spec:
        m = r.mapping(spec["map"], (*path, "map"), "`map`")
        mapping = tuple((r.text(k, (*path, "map")), r.text(v, (*path, "map", k)))
                        for k, v in m.items())
    nulls: tuple[str, ...] = ()
    if "nulls" in spec:
        raw = spec["nulls"]
        items = raw if isinstance(raw, list) else [raw]
        nulls = tuple(r.text(v, (*path, "nulls", i)) for i, v in enumerate(items))
    template = r.text(spec["template"], (*path, "template")) if "template" in spec else None
    if template is not None and not _FIELD.search(template):
        raise r.fail((*path, "template"), "a template needs at least one {column} field",
                     "use `value` for a constant")
    return ColumnSpec(
        target,
        column=r.text(spec["column"], (*path, "column")) if "column" in spec else None,
        value=r.text(spec["value"], (*path, "value")) if "value" in spec else None,
        template=template, format=fmt, timezone=tz,
        default=r.text(spec["default"], (*path, "default")) if "default" in spec else None,
        map=mapping, nulls=nulls,
    )


# --- applying it ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Frame:
    """The rows one table is built from: the `from` source, plus joined columns."""

    file: Path  # for row-precise errors: rows are the `from` file's data rows
    columns: dict[str, pa.Array]  # `col` and `joined_source.col`
    num_rows: int

    def get(self, name: str, where: str) -> pa.Array:
        if name not in self.columns:
            hint = did_you_mean(name, self.columns)
            raise ImportFactsError(f"no column {name!r} for {where}"
                                   + (f" ({hint})" if hint else ""), file=str(self.file))
        return self.columns[name]


def map_sources(mapping: ColumnMapping, data_dir: str | Path | None = None) -> dict[str, pa.Table]:
    """Read the sources and build every mapped table with the canonical schema."""
    folder = Path(data_dir) if data_dir is not None else mapping.path.parent
    files = {name: folder / f for name, f in mapping.sources.items()}
    used = {t.source for t in mapping.tables.values()} | {
        t.join.source for t in mapping.tables.values() if t.join}
    raw: dict[str, pa.Table] = {}
    for name in sorted(used):
        if not files[name].is_file():
            raise ImportFactsError(f"source {name!r}: no such file {files[name]}",
                                   file=str(mapping.path))
        raw[name] = _read_csv_as_strings(files[name])
        if raw[name].num_rows == 0:
            raise ImportFactsError(f"source {name!r} has a header but no data rows; a mapped "
                                   "source needs at least one row", file=str(files[name]))
    # every join is checked (a unique key) before any table is built and checked
    frames = {tname: _frame(spec, raw, files) for tname, spec in mapping.tables.items()}
    return {tname: _build_table(FACT_TABLES[tname], spec, frames[tname])
            for tname, spec in mapping.tables.items()}


def import_mapping(store: Store, mapping_path: str | Path,
                   data_dir: str | Path | None = None) -> ImportResult:
    """Map the sources in `data_dir` (default: beside the mapping) and write every table in
    one transaction. Re-importing the same files changes nothing (facts are idempotent)."""
    mapping = load_mapping(mapping_path)
    batch = map_sources(mapping, data_dir)
    folder = Path(data_dir) if data_dir is not None else mapping.path.parent
    files = {t: folder / mapping.sources[s.source] for t, s in mapping.tables.items()}
    return write_checked(store, batch, files)


def _frame(spec: TableSpec, raw: dict[str, pa.Table], files: dict[str, Path]) -> _Frame:
    base = raw[spec.source]
    cols = {c: base.column(c).combine_chunks() for c in base.column_names}
    if spec.join is not None:
        j = spec.join
        other = raw[j.source]
        for side, table, key in ((spec.source, base, j.left_on), (j.source, other, j.right_on)):
            if key not in table.column_names:
                raise ImportFactsError(f"join key {key!r} is not a column of source {side!r}",
                                       file=str(files[side]), column=key)
        right_keys = other.column(j.right_on).combine_chunks()
        _check_unique(right_keys, files[j.source], j.right_on)
        idx = pc.index_in(cols[j.left_on], value_set=right_keys)
        for c in other.column_names:
            cols[f"{j.source}.{c}"] = other.column(c).combine_chunks().take(idx)
    return _Frame(files[spec.source], cols, base.num_rows)


def _check_unique(keys: pa.Array, file: Path, column: str) -> None:
    counts = pc.value_counts(keys.drop_null())
    dup = pc.filter(counts.field("values"), pc.greater(counts.field("counts"), 1))
    if len(dup):
        first = dup[0].as_py()
        row = int(pc.index(keys, first).as_py()) + 1
        raise ImportFactsError(f"join key {first!r} appears more than once ({len(dup)} "
                               "duplicated keys); a join needs a unique key in the joined "
                               "source", file=str(file), row=row, column=column)


def _build_table(fact: FactTable, spec: TableSpec, frame: _Frame) -> pa.Table:
    by_target = {c.target: c for c in spec.columns}
    arrays = []
    blame: dict[str, str] = {}
    for col in fact.columns:
        c = by_target.get(col.name)
        if c is None:
            arrays.append(pa.nulls(frame.num_rows, ARROW_TYPES[col.type]))
            continue
        where = f"{fact.name}.{col.name}"
        text, source_col = _text(c, frame, where)
        blame[col.name] = source_col
        if c.format is not None:
            typed = _parse_with_format(frame.file, source_col, col.type, text, c.format)
        else:
            typed = _from_strings(frame.file, source_col, col.type, text)
        if c.timezone is not None:
            typed = _to_utc(frame.file, source_col, typed, c.timezone)
        if col.required:
            nulls = pc.is_null(typed).to_numpy(zero_copy_only=False)
            if nulls.any():
                row = int(nulls.argmax()) + 1
                raise ImportFactsError(
                    f"required value for {where} is empty ({int(nulls.sum())} rows); give it a "
                    "`default` in the mapping", file=str(frame.file), row=row,
                    column=source_col)
        arrays.append(typed)
    table = pa.Table.from_arrays(arrays, schema=fact.arrow_schema())
    return check_table(frame.file, fact, table, blame)


def _text(c: ColumnSpec, frame: _Frame, where: str) -> tuple[pa.Array, str]:
    """The column as text, before typing, and the source column to blame for bad values."""
    n = frame.num_rows
    if c.value is not None:
        return pa.array([c.value] * n, pa.string()), where
    if c.template is not None:
        parts: list[pa.Array | str] = []
        pos = 0
        for m in _FIELD.finditer(c.template):
            if m.start() > pos:
                parts.append(c.template[pos:m.start()])
            parts.append(frame.get(m.group(1).strip(), where).cast(pa.string()))
            pos = m.end()
        if pos < len(c.template):
            parts.append(c.template[pos:])
        arrays = [p if isinstance(p, pa.Array) else pa.array([p] * n, pa.string())
                  for p in parts]
        joined = pc.binary_join_element_wise(*arrays, "") if len(arrays) > 1 else arrays[0]
        return joined, c.template
    assert c.column is not None
    arr = frame.get(c.column, where).cast(pa.string())
    if c.nulls:
        named = pc.is_in(pc.utf8_trim_whitespace(arr), value_set=pa.array(c.nulls, pa.string()))
        arr = pc.if_else(named, pa.scalar(None, pa.string()), arr)
    if c.map:
        keys = pa.array([k for k, _ in c.map], pa.string())
        vals = pa.array([v for _, v in c.map], pa.string())
        idx = pc.index_in(arr, value_set=keys)
        unmapped = pc.and_(pc.is_null(idx), pc.not_equal(pc.utf8_trim_whitespace(arr), ""))
        _unmapped(frame.file, c, where, unmapped, arr)
        arr = pc.if_else(pc.is_valid(idx), vals.take(idx), arr)
    if c.default is not None:
        empty = pc.or_kleene(pc.is_null(arr), pc.equal(pc.utf8_trim_whitespace(arr), ""))
        arr = pc.if_else(empty, pa.scalar(c.default, pa.string()), arr)
    return arr, c.column


def _unmapped(file: Path, c: ColumnSpec, where: str, unmapped: pa.Array,
              arr: pa.Array) -> None:
    idx = np.flatnonzero(unmapped.fill_null(False).to_numpy(zero_copy_only=False))
    if len(idx):
        i = int(idx[0])
        others = pc.unique(arr.take(pa.array(idx)))
        table, column = where.split(".", 1)
        shown = ", ".join(repr(k) for k, _ in c.map[:20]) + (" …" if len(c.map) > 20 else "")
        raise ImportFactsError(
            f"value {arr[i].as_py()!r} is not in the `map` of {where} (mapped: {shown}); "
            f"{len(idx)} rows, {len(others)} unmapped value(s). Add it under "
            f"tables.{table}.columns.{column}.map in the mapping file", file=str(file),
            row=i + 1, column=c.column)


def _parse_with_format(file: Path, column: str, kind: str, arr: pa.Array,
                       fmt: str) -> pa.Array:
    trimmed = pc.utf8_trim_whitespace(arr)
    blank = pc.equal(trimmed, "")
    trimmed = pc.if_else(blank, pa.scalar(None, pa.string()), trimmed)
    if "%f" in fmt or "%z" in fmt:  # Arrow's strptime reads neither fractions nor offsets
        times = pd.to_datetime(pd.Series(trimmed.to_pandas(), dtype="object"), format=fmt,
                               errors="coerce", utc="%z" in fmt)
        parsed = (utc_timestamps(times) if "%z" in fmt
                  else pa.array(times.astype("datetime64[us]"), pa.timestamp("us"),
                                from_pandas=True))
    else:
        parsed = pc.strptime(trimmed, format=fmt, unit="us", error_is_null=True)
    bad = pc.and_(pc.is_valid(trimmed), pc.is_null(parsed)).to_numpy(zero_copy_only=False)
    _first_bad(file, column, bad, f"a time in the format {fmt!r}", arr)
    return parsed.cast(pa.date32()) if kind == "date" else parsed.cast(pa.timestamp("us"))


def _to_utc(file: Path, column: str, arr: pa.Array, zone: str) -> pa.Array:
    s = pd.Series(arr.to_pandas(), dtype="datetime64[us]")
    try:
        local = s.dt.tz_localize(zone, ambiguous="NaT", nonexistent="NaT")
    except Exception as exc:  # unknown zone name
        raise ImportFactsError(f"unknown timezone {zone!r}; use an IANA name such as "
                               "America/Sao_Paulo", file=str(file), column=column) from exc
    bad = (s.notna() & local.isna()).to_numpy()
    _first_bad(file, column, bad, f"a time that exists in {zone} (not in a DST gap or "
                                  "overlap)", arr.cast(pa.string()))
    return utc_timestamps(local)
