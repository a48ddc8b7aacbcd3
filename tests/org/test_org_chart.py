"""Loading org charts: structure checks report file, line and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from accord.org.chart import chart_from_data, load_chart
from accord.org.errors import OrgInputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "org"


def write(tmp_path: Path, text: str) -> Path:
    f = tmp_path / "chart.yaml"
    f.write_text(text)
    return f


def test_unknown_manager_is_reported_at_its_line(tmp_path: Path) -> None:
    f = write(tmp_path, "people:\n"
                        "  - {id: ceo, title: CEO, role: ceo}\n"
                        "  - {id: vp, title: VP Sales, role: sales_leader, reports_to: cfo}\n")
    with pytest.raises(OrgInputError) as exc:
        load_chart(f)
    assert str(exc.value) == f"{f}:3: people[1].reports_to: unknown id 'cfo'"


def test_reporting_loop_is_reported_once(tmp_path: Path) -> None:
    f = write(tmp_path, "people:\n"
                        "  - {id: a, title: A, role: ceo, reports_to: b}\n"
                        "  - {id: b, title: B, role: coo, reports_to: a}\n")
    with pytest.raises(OrgInputError) as exc:
        load_chart(f)
    assert [i.message for i in exc.value.issues] == ["reporting lines form a loop: a → b → a"]


def test_duplicate_ids_unknown_dotted_lines_and_approvers_are_all_collected() -> None:
    with pytest.raises(OrgInputError) as exc:
        chart_from_data({
            "people": [
                {"id": "a", "title": "A", "role": "ceo", "dotted_to": ["zz"]},
                {"id": "a", "title": "A2", "role": "coo"},
            ],
            "approvals": {"brief": ["a", "nobody"]},
        })
    assert [(i.path, i.message) for i in exc.value.issues] == [
        ("people[0].dotted_to[0]", "unknown id 'zz'"),
        ("people[1].id", "duplicate id 'a'"),
        ("approvals.brief[1]", "unknown id 'nobody'"),
    ]


def test_unknown_role_lists_the_choices(tmp_path: Path) -> None:
    f = write(tmp_path, "people:\n  - {id: a, title: A, role: wizard}\n")
    with pytest.raises(OrgInputError) as exc:
        load_chart(f)
    assert str(exc.value).startswith(
        f"{f}:2: people[0].role: unknown value 'wizard'; expected one of: ceo, coo, cro, ")


def test_role_implies_function_unless_overridden() -> None:
    chart = chart_from_data({"people": [
        {"id": "a", "title": "Growth", "role": "demand_gen"},
        {"id": "b", "title": "Growth SDR", "role": "sdr", "function": "marketing"},
    ]})
    assert [p.in_function for p in chart.people] == ["marketing", "marketing"]


def test_example_charts_load() -> None:
    assert len(load_chart(EXAMPLES / "chart.yaml").people) == 13
    assert len(load_chart(EXAMPLES / "chart-needs-work.yaml").people) == 11
