"""Arrow columns from NumPy codes: categorical takes, timestamps, dates, nullable values."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from accord.facts import FactTable


def strings_at(values: Sequence[str | None] | pa.Array, codes: npt.NDArray[np.integer]
               ) -> pa.Array:
    """`values[codes[i]]` as a string column; a negative code gives null."""
    arr = values if isinstance(values, pa.Array) else pa.array(list(values), type=pa.string())
    codes32 = np.asarray(codes, dtype=np.int32)
    null = codes32 < 0
    idx = pa.array(np.where(null, 0, codes32), mask=null if null.any() else None)
    out = pc.take(arr, idx)
    return out.cast(pa.string()) if out.type != pa.string() else out


def timestamps(us: npt.NDArray[np.int64], null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(np.asarray(us, dtype=np.int64), type=pa.timestamp("us"),
                    mask=null if null is not None and null.any() else None)


def dates(days: npt.NDArray[np.integer], null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32(),
                    mask=null if null is not None and null.any() else None)


def floats(x: npt.NDArray[np.floating], null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(np.asarray(x, dtype=np.float64), type=pa.float64(),
                    mask=null if null is not None and null.any() else None)


def ints(x: npt.NDArray[np.integer], null: npt.NDArray[np.bool_] | None = None) -> pa.Array:
    return pa.array(np.asarray(x, dtype=np.int64), type=pa.int64(),
                    mask=null if null is not None and null.any() else None)


def bools(x: npt.NDArray[np.bool_]) -> pa.Array:
    return pa.array(np.asarray(x, dtype=bool), type=pa.bool_())


def nulls(n: int, type_: pa.DataType) -> pa.Array:
    return pa.nulls(n, type=type_)


def fact_table(spec: FactTable, columns: dict[str, pa.Array]) -> pa.Table:
    """Assemble a table with exactly the columns, order and types of `spec`."""
    schema = spec.arrow_schema()
    missing = [c for c in spec.column_names if c not in columns]
    extra = [c for c in columns if c not in spec.column_names]
    if missing or extra:
        raise ValueError(f"{spec.name}: missing {missing}, unexpected {extra}")
    arrays = [columns[f.name].cast(f.type) for f in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def matrix_from_arrow(arr: pa.Array, width: int) -> tuple[npt.NDArray[np.uint8],
                                                          npt.NDArray[np.int64]]:
    """An ASCII string column as a zero-padded `(n, width)` byte matrix plus lengths."""
    arr = arr.cast(pa.string())
    if arr.null_count:
        arr = pc.fill_null(arr, "")
    n = len(arr)
    bufs = arr.buffers()
    offsets = np.frombuffer(bufs[1], dtype=np.int32)[arr.offset: arr.offset + n + 1]
    data = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(
        0, np.uint8)
    lengths = np.minimum(np.diff(offsets).astype(np.int64), width)
    mat = np.zeros((n, width), dtype=np.uint8)
    keep = np.arange(width)[None, :] < lengths[:, None]
    src = offsets[:-1, None].astype(np.int64) + np.arange(width)[None, :]
    mat[keep] = data[src[keep]]
    return mat, lengths
