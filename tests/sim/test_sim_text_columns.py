"""Vectorised string building: ids and the edits that make company names noisy."""

from __future__ import annotations

import numpy as np
import pytest

from accord.sim import text_columns as tc


@pytest.mark.parametrize(("n", "width", "last"), [
    (3, 7, "L0000003"),
    (1000, 7, "L0001000"),
    (1001, 4, "L1001"),
])
def test_id_column_is_prefix_and_zero_padded_ordinal(n: int, width: int, last: str) -> None:
    ids = tc.id_column("L", n, width).to_pylist()
    assert ids[0] == "L" + "0" * (width - 1) + "1"
    assert ids[-1] == last
    assert ids == [f"L{i:0{width}d}" for i in range(1, n + 1)]


def test_id_column_refuses_too_many_for_its_width() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        tc.id_column("L", 10_000, 4)


def _edit(names: list[str], edit: str) -> list[str]:
    mat, length = tc.matrix_from_strings(names, 24)
    rows = np.ones(len(names), dtype=bool)
    match edit:
        case "lower":
            tc.lower_case(mat, rows)
        case "upper":
            tc.upper_case(mat, rows)
        case "typo":
            tc.swap_adjacent(mat, length, rows, np.zeros(len(names)))
        case "drop":
            tc.drop_last_word(mat, length, rows)
        case "suffix":
            suf, suf_len = tc.matrix_from_strings([" GmbH"] * len(names), 8)
            tc.append_text(mat, length, rows, suf, suf_len)
    return tc.strings_from_matrix(mat, length).to_pylist()


@pytest.mark.parametrize(("edit", "expected"), [
    ("lower", ["acme labs", "oak"]),
    ("upper", ["ACME LABS", "OAK"]),
    ("typo", ["Amce Labs", "Oak"]),  # swaps characters 1 and 2; "Oak" is too short to touch
    ("drop", ["Acme", "Oak"]),  # one word stays whole
    ("suffix", ["Acme Labs GmbH", "Oak GmbH"]),
])
def test_company_name_edits(edit: str, expected: list[str]) -> None:
    assert _edit(["Acme Labs", "Oak"], edit) == expected
