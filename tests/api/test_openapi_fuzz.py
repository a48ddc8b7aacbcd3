"""Schemathesis against accord's own OpenAPI document (issue 13, tests that must exist):
every operation, authenticated as admin, with generated valid and invalid requests — no
answer is a 5xx, and every answer is documented for its operation.

Bounded: a fixed number of examples per operation, derandomized (the same cases every
run), on one DuckDB workspace; rate limits off for the test's app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_support import Served, demo, lead
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

EXAMPLES = 20  # per operation and generation mode


@pytest.fixture
def app_client(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ACCORD_RATE_LIMIT", "off")
    with served.client() as c:
        admin = served.auth("admin")
        for body in (lead("L1"), demo("L1")):  # a lead the generated reads may name
            assert c.post("/v1/events", json=body, headers=admin).status_code == 200
        yield c


def operations(client: TestClient) -> list[Any]:
    schema = schemathesis.openapi.from_dict(client.app.openapi())  # type: ignore[attr-defined]
    return [result.ok() for result in schema.get_all_operations()]


def test_no_generated_request_gets_a_5xx(app_client: TestClient, served: Served) -> None:
    admin = served.auth("admin")
    ops = operations(app_client)
    assert len(ops) >= 15  # every endpoint of docs/api.md is in the document
    failures: list[str] = []
    for op in ops:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            seen: list[int] = []

            @given(case=op.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                      database=None, suppress_health_check=list(HealthCheck))
            def check(case: Any) -> None:
                kwargs = case.as_transport_kwargs(base_url="http://testserver",
                                                  headers=admin)
                kwargs.pop("timeout", None)
                r = app_client.request(**kwargs)
                seen.append(r.status_code)
                if r.status_code >= 500:
                    failures.append(f"{op.method.upper()} {op.path} ({mode.value}): "
                                    f"{r.status_code} {r.text[:200]} for "
                                    f"{case.as_curl_command()}")
                documented = op.definition.raw.get("responses", {})
                if str(r.status_code) not in documented and "default" not in documented:
                    failures.append(f"{op.method.upper()} {op.path}: {r.status_code} is "
                                    f"not documented ({sorted(documented)})")

            check()
            assert seen, f"{op.method} {op.path}: no case generated"
    assert not failures, "\n".join(sorted(set(failures))[:20])
