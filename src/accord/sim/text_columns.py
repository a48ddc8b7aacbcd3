"""Vectorised string columns: fixed-width ids, and text edited as byte matrices.

Strings are built without a Python loop over rows: ids are digit arithmetic on a byte
matrix, and text noise (case, typos, suffixes, dropped words) edits a `(rows, width)`
uint8 matrix of ASCII text before it becomes an Arrow string array. Catalogue text is
ASCII, so bytes and characters coincide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

U8 = npt.NDArray[np.uint8]
I64 = npt.NDArray[np.int64]


def id_column(prefix: str, n: int, width: int | None = None) -> pa.StringArray:
    """`prefix` + zero-padded 1-based ordinal: id_column("L", 3) → L0000001, L0000002, ...

    The ordinals are consecutive, so each group of three digits is a repeating pattern:
    the last group tiles 000..999, higher groups repeat each value in runs.
    """
    if width is None:
        width = max(7, len(str(n)))
    if n >= 10**width:
        raise ValueError(f"{n} ids do not fit in {width} digits")
    p = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    mat = np.empty((n, len(p) + width), dtype=np.uint8)
    mat[:, : len(p)] = p
    end, unit = len(p) + width, 1
    while end > len(p):
        k = min(3, end - len(p))
        table = _DIGITS[k]
        if unit == 1:
            reps = n // len(table) + 2
            mat[:, end - k: end] = np.tile(table, (reps, 1))[1: n + 1]
        else:
            blocks = np.arange(n // unit + 1)
            counts = np.minimum((blocks + 1) * unit, n + 1) - np.maximum(blocks * unit, 1)
            mat[:, end - k: end] = np.repeat(table[blocks % len(table)], counts, axis=0)
        end -= k
        unit *= 10**k
    return strings_from_matrix(mat, np.full(n, mat.shape[1], dtype=np.int64))


def id_strings(prefix: str, numbers: npt.NDArray[np.integer], width: int) -> pa.StringArray:
    """`prefix` + each number zero-padded to `width` digits (three digits per pass)."""
    p = np.frombuffer(prefix.encode("ascii"), dtype=np.uint8)
    n = len(numbers)
    mat = np.empty((n, len(p) + width), dtype=np.uint8)
    mat[:, : len(p)] = p
    small = int(numbers.max(initial=0)) < 2**31
    num: npt.NDArray[np.signedinteger[Any]] = numbers.astype(np.int32 if small else np.int64)
    end = len(p) + width
    while end > len(p):
        k = min(3, end - len(p))
        mat[:, end - k: end] = _DIGITS[k][num % 10**k]
        num //= 10**k
        end -= k
    lengths = np.full(n, mat.shape[1], dtype=np.int64)
    return strings_from_matrix(mat, lengths)


_DIGITS: dict[int, U8] = {
    k: np.array([list(f"{i:0{k}d}".encode()) for i in range(10**k)], dtype=np.uint8)
    for k in (1, 2, 3)
}


def strings_from_matrix(mat: U8, lengths: I64) -> pa.StringArray:
    """Row i of `mat` truncated to `lengths[i]` bytes, as an Arrow string array."""
    n, width = mat.shape
    full = bool(np.all(lengths == width))
    total = n * width if full else int(lengths.sum())
    if total >= 2**31:
        raise OverflowError("string column too large for 32-bit offsets")
    if full:
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        data = np.ascontiguousarray(mat).reshape(-1)
    else:
        offsets = np.zeros(n + 1, dtype=np.int32)
        np.cumsum(lengths, out=offsets[1:])
        data = mat[np.arange(width)[None, :] < lengths[:, None]]
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))
    )


def matrix_from_strings(values: Sequence[str], width: int) -> tuple[U8, I64]:
    """ASCII strings as a zero-padded `(len(values), width)` byte matrix plus lengths."""
    enc = np.array([v.encode("ascii") for v in values], dtype=f"S{width}")
    mat = enc.view(np.uint8).reshape(len(values), width).copy()
    lengths = np.array([len(v) for v in values], dtype=np.int64)
    return mat, lengths


def lower_case(mat: U8, rows: npt.NDArray[np.bool_]) -> None:
    sub = mat[rows]
    upper = (sub >= 65) & (sub <= 90)
    sub[upper] += 32
    mat[rows] = sub


def upper_case(mat: U8, rows: npt.NDArray[np.bool_]) -> None:
    sub = mat[rows]
    lower = (sub >= 97) & (sub <= 122)
    sub[lower] -= 32
    mat[rows] = sub


def swap_adjacent(mat: U8, lengths: I64, rows: npt.NDArray[np.bool_], u: npt.NDArray[np.float64]
                  ) -> None:
    """Typo: swap two neighbouring characters at a position drawn from `u` (one per row)."""
    idx = np.flatnonzero(rows & (lengths >= 4))
    pos = 1 + (u[idx] * (lengths[idx] - 2)).astype(np.int64)
    pos = np.minimum(pos, lengths[idx] - 2)
    a = mat[idx, pos].copy()
    mat[idx, pos] = mat[idx, pos + 1]
    mat[idx, pos + 1] = a


def drop_last_word(mat: U8, lengths: I64, rows: npt.NDArray[np.bool_]) -> None:
    """Abbreviation: cut the text at its last space (single words are left alone)."""
    width = mat.shape[1]
    is_space = (mat == 32) & (np.arange(width)[None, :] < lengths[:, None])
    has_space = is_space.any(axis=1)
    last = width - 1 - np.argmax(is_space[:, ::-1], axis=1)
    cut = rows & has_space
    lengths[cut] = last[cut]


def append_text(mat: U8, lengths: I64, rows: npt.NDArray[np.bool_], suffix_mat: U8,
                suffix_len: I64) -> None:
    """Append per-row suffixes (`suffix_mat[i]`, `suffix_len[i]` bytes) to selected rows."""
    width = mat.shape[1]
    idx = np.flatnonzero(rows)
    for k in range(suffix_mat.shape[1]):
        take = idx[suffix_len[idx] > k]
        pos = lengths[take] + k
        ok = pos < width
        mat[take[ok], pos[ok]] = suffix_mat[take[ok], k]
    lengths[idx] = np.minimum(lengths[idx] + suffix_len[idx], width)
