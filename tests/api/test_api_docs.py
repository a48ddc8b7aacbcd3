"""docs/api.md's examples run: each `http` block is sent in order to the API on the
workspace of tests/api/api_support.py, and each answer shown in the `json` block after it
is part of the real answer (every key shown has the value shown; lists whole)."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from api_support import Served

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def examples() -> list[tuple[str, str, Any, Any]]:
    """(method, path, body or None, documented answer), in the doc's order."""
    blocks = re.findall(r"```(http|json)\n(.*?)```", DOC.read_text(), re.S)
    out = []
    for (lang, request), (next_lang, answer) in itertools.pairwise(blocks):
        if lang != "http":
            continue
        assert next_lang == "json", f"no answer after {request!r}"
        first, _, rest = request.partition("\n")
        method, path = first.split()
        out.append((method, path, json.loads(rest) if rest.strip() else None,
                    json.loads(answer)))
    return out


def shown_in(shown: Any, got: Any, where: str = "") -> None:
    if isinstance(shown, dict):
        assert isinstance(got, dict), where
        for key, value in shown.items():
            assert key in got, f"{where}.{key} missing"
            shown_in(value, got[key], f"{where}.{key}")
    elif isinstance(shown, list):
        assert isinstance(got, list) and len(got) == len(shown), where
        for n, (a, b) in enumerate(zip(shown, got, strict=True)):
            shown_in(a, b, f"{where}[{n}]")
    else:
        assert shown == got, f"{where}: doc {shown!r}, got {got!r}"


def test_every_documented_example_answers_as_shown(served: Served) -> None:
    found = examples()
    assert len(found) >= 6
    with served.client() as c:
        for method, path, body, answer in found:
            r = c.request(method, path, json=body, headers=served.auth("admin"))
            assert (r.status_code >= 400) == ("error" in answer), (path, body, r.text)
            assert r.status_code < 500
            shown_in(answer, r.json(), f"{method} {path} {body and body.get('id')}")
