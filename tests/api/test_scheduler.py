"""The SLA scheduler inside `accord serve` (api/scheduler.py): a lead that waits gets its
warning, breach and each escalation step once each, at hand-worked business-hours times,
across server restarts; a first touch stops what would have come later.

Hand work, on the starter contract (calendar America/New York, 09:00-18:00, Mon-Fri, US
holidays; `speed_to_lead`: first touch within 2 business_hours, warn 30 business_minutes
before, escalate after 2 h -> rep, 4 h -> manager, 8 h -> reassign; `accept_or_reject`:
2 business_days). Daylight saving time starts in New York on Sunday 9 March 2025: Friday
7 March is UTC-5, Monday 10 March UTC-4.

Lead L1 is created at 16:00 NY on Friday 7 March and asks for a demo at 17:00 NY (22:00Z):
it enters MQL and is routed to R1. One working hour is left that Friday (17:00-18:00);
Monday's working day starts 09:00 NY = 13:00Z. So:
- warning   90 working min = 60 Fri + 30 Mon -> Mon 09:30 NY = 13:30Z
- breach    120 = 60 + 60                    -> Mon 10:00 NY = 14:00Z
- step 1    2 h: as the breach               -> 14:00Z (notify rep)
- step 2    4 h = 1 + 3                      -> Mon 12:00 NY = 16:00Z (notify manager)
- step 3    8 h = 1 + 7                      -> Mon 16:00 NY = 20:00Z (reassign: the lead
  goes back to the routing fallback queue, `revops_triage` in the starter contract)
- accept_or_reject due after 2 working days = 18 h = 1 Fri + 9 Mon + 8 Tue
  -> Tue 11 March 17:00 NY = 21:00Z (no warning: it has no warn_before).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pytest
from api_support import Served
from fastapi.testclient import TestClient

from accord.api.app import create_app
from accord.store import open_store

FRI_CREATED, FRI_MQL = "2025-03-07T21:00:00Z", "2025-03-07T22:00:00Z"
ISO = "2025-03-07T22:00:00"  # the clock's start, in every firing id
WARN, DUE = datetime(2025, 3, 10, 13, 30), datetime(2025, 3, 10, 14, 0)
STEP2, STEP3 = datetime(2025, 3, 10, 16, 0), datetime(2025, 3, 10, 20, 0)
TUE_DUE = datetime(2025, 3, 11, 21, 0)


class Now:
    """The server's injectable now (naive UTC), moved by the test."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture(autouse=True)
def slow_rounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounds come from the test (start-up and `run_once`), not from the thread."""
    monkeypatch.setenv("ACCORD_SLA_INTERVAL", "3600")


def server(served: Served, now: Now) -> TestClient:
    return TestClient(create_app(served.root, served.store_url, clock=now),
                      raise_server_exceptions=False)


def mql_lead(c: TestClient, served: Served, lead_id: str) -> None:
    h = served.auth("admin")
    for body in ({"id": f"c-{lead_id}", "kind": "lead_created", "lead_id": lead_id,
                  "at": FRI_CREATED, "email": f"{lead_id.lower()}@soft.example",
                  "channel": "web", "title": "VP Sales", "country": "US",
                  "account_id": "A1"},
                 {"id": f"d-{lead_id}", "kind": "touch", "lead_id": lead_id,
                  "signal": "demo_request", "at": FRI_MQL}):
        r = c.post("/v1/events", json=body, headers=h)
        assert r.status_code == 200, r.text
    assert (r.json()["stage"], r.json()["owner"]) == ("MQL", "R1")
    assert r.json()["sla_deadlines"]["speed_to_lead"] == DUE.isoformat()


def fire(c: TestClient, at: datetime) -> list[str]:
    scheduler = c.app.state.sla_scheduler  # type: ignore[attr-defined]
    return [f.firing_id for f in scheduler.run_once(at)]


def sla_log(c: TestClient, served: Served, lead_id: str) -> list[tuple[Any, ...]]:
    got = c.get(f"/v1/leads/{lead_id}", headers=served.auth("viewer"))
    assert got.status_code == 200, got.text
    return [(d["kind"], d["name"], d["value"], datetime.fromisoformat(d["decided_at"]),
             d["event_id"])
            for d in got.json()["decisions"]
            if d["kind"] in ("sla_warning", "sla_breach", "sla_escalation", "reassignment")]


def stored(served: Served, table: str) -> list[dict[str, Any]]:
    st = open_store(served.store_url)
    try:
        return st.service_table(table).to_pyarrow().to_pylist()
    finally:
        st.close()


def fid(kind: str, lead_id: str = "L1", sla: str = "speed_to_lead") -> str:
    return f"{lead_id}:{sla}:{kind}:{ISO}"


def test_each_firing_once_at_its_business_hours_time_across_restarts(
        served_on: Served, caplog: pytest.LogCaptureFixture) -> None:
    served, now = served_on, Now(datetime(2025, 3, 10, 13, 0))  # Monday 09:00 NY
    with server(served, now) as c:
        mql_lead(c, served, "L1")
        assert fire(c, now.at) == []  # nothing due before 13:30Z
        assert fire(c, datetime(2025, 3, 10, 13, 29, 59)) == []
        now.at = datetime(2025, 3, 10, 13, 45)
        assert fire(c, now.at) == [fid("warning")]
        assert fire(c, now.at) == []  # a second round adds nothing
    # The server is down from 13:45Z to 16:30Z: the breach (14:00Z) and steps 1 (14:00Z)
    # and 2 (16:00Z) fall due meanwhile; a new server fires them on start and says so.
    now.at = datetime(2025, 3, 10, 16, 30)
    with caplog.at_level(logging.INFO, logger="accord.api.scheduler"), \
            server(served, now) as c:
        started = [f.firing_id for f in c.app.state.sla_scheduler.caught_up]  # type: ignore[attr-defined]
        assert started == [fid("breach"), fid("escalation:1"), fid("escalation:2")]
        assert fire(c, now.at) == []
    said = [r.getMessage() for r in caplog.records if r.name == "accord.api.scheduler"]
    assert "fired 3 SLA firings that fell due while the server was down (1 leads, 1 SLAs)" \
        in said
    now.at = datetime(2025, 3, 10, 20, 30)  # Monday 16:30 NY
    with server(served, now) as c:
        assert c.app.state.sla_scheduler.caught_up[0].firing_id == fid("escalation:3")  # type: ignore[attr-defined]
        assert fire(c, now.at) == []
    with server(served, now) as c:  # a restart with nothing new due fires nothing
        assert c.app.state.sla_scheduler.caught_up == []  # type: ignore[attr-defined]
        assert fire(c, datetime(2025, 3, 10, 21, 0)) == []
        log = sla_log(c, served, "L1")
    due = DUE.isoformat()
    assert log == [
        ("sla_warning", "speed_to_lead", due, WARN, fid("warning")),
        ("sla_breach", "speed_to_lead", due, DUE, fid("breach")),
        ("sla_escalation", "speed_to_lead", "step 1: notify rep", DUE, fid("escalation:1")),
        ("sla_escalation", "speed_to_lead", "step 2: notify manager", STEP2,
         fid("escalation:2")),
        ("sla_escalation", "speed_to_lead", "step 3: reassign", STEP3, fid("escalation:3")),
        ("reassignment", "speed_to_lead", "revops_triage", STEP3, fid("escalation:3")),
    ]
    firings = sorted(stored(served, "sla_firings"), key=lambda r: r["due_at"])
    assert [(r["firing_id"], r["kind"], r["step"], r["due_at"], r["fired_at"],
             r["contract_version"]) for r in firings] == [
        (fid("warning"), "warning", None, WARN, datetime(2025, 3, 10, 13, 45), 1),
        (fid("breach"), "breach", None, DUE, datetime(2025, 3, 10, 16, 30), 1),
        (fid("escalation:1"), "escalation", 1, DUE, datetime(2025, 3, 10, 16, 30), 1),
        (fid("escalation:2"), "escalation", 2, STEP2, datetime(2025, 3, 10, 16, 30), 1),
        (fid("escalation:3"), "escalation", 3, STEP3, datetime(2025, 3, 10, 20, 30), 1),
    ]
    # the webhook outbox owes one message per decision row, written with it
    outbox = sorted((r["event_id"], r["kind"]) for r in stored(served, "outbox")
                    if r["event_id"].startswith("L1:"))
    assert outbox == sorted([(fid("warning"), "sla_warning"), (fid("breach"), "sla_breach"),
                             (fid("escalation:1"), "sla_escalation"),
                             (fid("escalation:2"), "sla_escalation"),
                             (fid("escalation:3"), "sla_escalation"),
                             (fid("escalation:3"), "reassignment")])


def test_a_first_touch_before_the_breach_stops_the_later_firings(
        served_on: Served) -> None:
    served, now = served_on, Now(datetime(2025, 3, 10, 13, 45))
    with server(served, now) as c:
        mql_lead(c, served, "L2")
        assert fire(c, now.at) == [fid("warning", "L2")]
        now.at = datetime(2025, 3, 10, 13, 55)
        touch = c.post("/v1/events", json={"id": "call-L2", "kind": "activity",
                                            "lead_id": "L2", "rep_id": "R1", "type": "call",
                                            "at": "2025-03-10T13:50:00Z"},
                       headers=served.auth("sales"))
        assert touch.status_code == 200, touch.text
        assert "speed_to_lead" not in touch.json()["sla_deadlines"]
        assert fire(c, datetime(2025, 3, 10, 21, 0)) == []  # no breach, no escalation
    # accept_or_reject is not stopped by a call: it breaches Tuesday 21:00Z, fired once
    now.at = datetime(2025, 3, 11, 21, 30)
    with server(served, now) as c:
        assert [f.firing_id for f in c.app.state.sla_scheduler.caught_up] == [  # type: ignore[attr-defined]
            fid("breach", "L2", "accept_or_reject")]
        assert fire(c, now.at) == []
        assert [(k, n, at) for k, n, _, at, _ in sla_log(c, served, "L2")] == [
            ("sla_warning", "speed_to_lead", WARN),
            ("sla_breach", "accept_or_reject", TUE_DUE)]

