"""Company profiles: parsing money and counts, and errors that point at file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.org.errors import OrgInputError
from accord.org.profile import CompanyProfile, load_profile, parse_money


@pytest.mark.parametrize(("text", "value"), [
    ("8M", 8_000_000.0), ("$8M", 8_000_000.0), ("1.5m", 1_500_000.0), ("750k", 750_000.0),
    ("8,000,000", 8_000_000.0), ("$ 2B", 2_000_000_000.0),
])
def test_money_accepts_suffixes_and_separators(text: str, value: float) -> None:
    assert parse_money(text) == value


def test_money_rejects_words() -> None:
    with pytest.raises(ValueError, match="not an amount"):
        parse_money("eight million")


def test_product_count_becomes_numbered_products() -> None:
    p = CompanyProfile.model_validate({"employees": 40, "products": 2})
    assert p.products == ("product 1", "product 2")
    assert p.is_multi_product


def test_profile_error_names_file_line_and_field(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("employees: 120\narr: lots\nmotions: [inbound, radio]\n")
    with pytest.raises(OrgInputError) as exc:
        load_profile(f)
    lines = str(exc.value).splitlines()
    assert lines[0].startswith(f"{f}:2: arr: not an amount: 'lots'")
    assert lines[1] == (f"{f}:3: motions[1]: unknown value 'radio'; expected one of: inbound, "
                        "outbound, abm, plg")


def test_misspelt_field_suggests_the_right_one(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("employes: 12\n")
    with pytest.raises(OrgInputError) as exc:
        load_profile(f)
    messages = [str(i) for i in exc.value.issues]
    assert f"{f}:1: employes: unknown field (did you mean 'employees'?)" in messages


def test_flag_values_override_the_file_and_errors_name_the_flag(tmp_path: Path) -> None:
    f = tmp_path / "p.yaml"
    f.write_text("employees: 120\ncurrent: {sales_model: functional}\n")
    p = load_profile(f, {"employees": 130, "current": {"roles": ["cro"]}})
    assert p.employees == 130
    assert p.current.sales_model == "functional" and p.current.roles == ("cro",)
    with pytest.raises(OrgInputError) as exc:
        load_profile(f, {"reps": -1}, {"reps": "--reps"})
    assert str(exc.value).startswith("--reps: ")


def test_example_profile_loads() -> None:
    root = Path(__file__).resolve().parents[2]
    p = load_profile(root / "examples" / "org" / "profile.yaml")
    assert (p.employees, p.arr, len(p.products)) == (120, 8_000_000.0, 2)
