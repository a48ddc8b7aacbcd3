"""Schemathesis against accord's own OpenAPI document (issue 13, tests that must exist):
every operation of `app.openapi()`, authenticated as admin, with generated valid and
invalid requests — no answer is a 5xx, every status is documented for its operation, and
every answer conforms to its documented schema and content type.

Bounded: a fixed number of examples per operation and generation mode, derandomized (the
same cases every run), no deadline, one DuckDB workspace whose app runs once; rate limits
off for the test's app (the generated requests come faster than any token may send).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from api_support import Served, demo, lead
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

EXAMPLES = 20  # per operation and generation mode
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture
def app_client(served: Served, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("ACCORD_RATE_LIMIT", "off")
    with served.client() as c:
        admin = served.auth("admin")
        for body in (lead("L1"), demo("L1")):  # a lead the generated reads may name
            assert c.post("/v1/events", json=body, headers=admin).status_code == 200
        yield c


def fuzz(client: TestClient, admin: dict[str, str], op: Any, mode: GenerationMode,
         failures: list[str]) -> int:
    """Send `EXAMPLES` generated requests of `mode` for `op`; record every failed check in
    `failures`; return how many were sent."""
    sent: list[int] = []

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def check(case: Any) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=admin)
        kwargs.pop("timeout", None)
        if not kwargs.get("cookies"):
            kwargs.pop("cookies", None)  # none generated (and per-request ones are deprecated)
        r = client.request(**kwargs)
        sent.append(r.status_code)
        try:
            case.validate_response(r, checks=CHECKS)
        except (AssertionError, BaseExceptionGroup) as exc:  # record, go on
            failures.append(f"{op.method.upper()} {op.path} ({mode.value}) -> "
                            f"{r.status_code} {r.text[:160]!r}: "
                            f"{' '.join(str(exc).split())[:300]}")

    check()
    return len(sent)


def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(
        app_client: TestClient, served: Served) -> None:
    started = time.monotonic()
    admin = served.auth("admin")
    document = app_client.app.openapi()  # type: ignore[attr-defined]
    schema = schemathesis.openapi.from_dict(document)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {(op.method.lower(), op.path) for op in operations} == {
        (method, path) for path, ops in document["paths"].items() for method in ops}
    assert len(operations) >= 18  # every endpoint of docs/api.md
    failures: list[str] = []
    for op in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            sent = fuzz(app_client, admin, op, mode, failures)
            assert sent > 0, f"{op.method} {op.path} ({mode.value}): no case generated"
    assert not failures, "\n".join(sorted(set(failures))[:15])
    assert time.monotonic() - started < 90
