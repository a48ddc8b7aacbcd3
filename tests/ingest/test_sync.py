"""`accord sync pull|push` against local fakes of HubSpot's and Salesforce's APIs, built
from their documented request and response shapes and served on 127.0.0.1 in a thread:
the saved cursor, paging, 429 back-off, credentials never shown, idempotent write-back."""

from __future__ import annotations

import csv
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from accord.cli.sync import app
from accord.errors import UsageError
from accord.ingest.sync.credentials import load_credentials
from accord.ingest.sync.pull import SALESFORCE_OBJECTS, pull
from accord.ingest.sync.push import PUSHED_TABLE, push
from accord.ingest.vendors import import_vendor
from accord.store import Store
from accord.workspace import Workspace, init_workspace

runner = CliRunner()
TOKEN = "pat-na1-SECRET-0f9e8d7c"  # what must never appear in output, logs or files


@dataclass
class Fake:
    """Both CRMs' APIs over in-memory records; every request is logged."""

    hubspot: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    salesforce: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    throttle: int = 0  # answer this many next requests with 429, Retry-After: 1
    sf_page: int = 2
    refuse: set[str] = field(default_factory=set)  # record ids a batch update refuses

    def of(self, path_prefix: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].startswith(path_prefix)]


class Handler(BaseHTTPRequestHandler):
    fake: Fake

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        url = urlparse(self.path)
        self.fake.requests.append({"method": self.command, "path": url.path,
                                   "query": parse_qs(url.query), "body": body,
                                   "auth": self.headers.get("Authorization")})
        if self.fake.throttle > 0:
            self.fake.throttle -= 1
            self._send(429, {"message": "rate limit"}, {"Retry-After": "1"})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._send(401, {"message": "bad token"})
            return
        m = re.fullmatch(r"/crm/v3/objects/(\w+)/search", url.path)
        if m and self.command == "POST":
            self._send(200, self._hubspot_search(m.group(1), body))
        elif url.path == "/crm/v3/objects/contacts/batch/update":
            errors = [{"status": "error", "message": "record not found",
                       "context": {"ids": [i["id"]]}}
                      for i in body["inputs"] if i["id"] in self.fake.refuse]
            ok = [{"id": i["id"], "properties": i["properties"]} for i in body["inputs"]
                  if i["id"] not in self.fake.refuse]
            self._send(207 if errors else 200, {"status": "COMPLETE", "results": ok,
                                                **({"errors": errors} if errors else {})})
        elif url.path == "/services/data/v60.0/composite/sobjects" and self.command == "PATCH":
            self._send(200, [{"id": r["id"], "success": r["id"] not in self.fake.refuse,
                              "errors": [] if r["id"] not in self.fake.refuse else
                              [{"message": "entity is deleted"}]} for r in body["records"]])
        elif url.path.startswith("/services/data/v60.0/query"):
            self._send(200, self._salesforce_query(url))
        else:
            self._send(404, {"message": f"no route {url.path}"})

    do_GET = do_POST = do_PATCH = _handle

    def _hubspot_search(self, obj: str, body: dict[str, Any]) -> dict[str, Any]:
        """CRM search: filter hs_lastmodifieddate GTE, sorted ascending, `limit` per page,
        `after` an offset; `paging.next.after` while more remain."""
        (flt,) = body["filterGroups"][0]["filters"]
        assert flt["propertyName"] == "hs_lastmodifieddate" and flt["operator"] == "GTE"
        rows = sorted((r for r in self.fake.hubspot[obj]
                       if r["properties"]["hs_lastmodifieddate"] >= flt["value"]),
                      key=lambda r: r["properties"]["hs_lastmodifieddate"])
        start = int(body.get("after") or 0)
        page = rows[start:start + body["limit"]]
        wanted = set(body["properties"]) | {"hs_object_id", "hs_lastmodifieddate"}
        out: dict[str, Any] = {"total": len(rows), "results": [
            {"id": r["id"], "archived": False,
             "properties": {k: v for k, v in r["properties"].items() if k in wanted}}
            for r in page]}
        if start + len(page) < len(rows):
            out["paging"] = {"next": {"after": str(start + len(page)),
                                      "link": "https://api.hubapi.com/..."}}
        return out

    def _salesforce_query(self, url: Any) -> dict[str, Any]:
        """REST query: `?q=SOQL` first, then `/query/<locator>-<offset>` pages."""
        if url.path.endswith("/query"):
            soql = parse_qs(url.query)["q"][0]
            m = re.fullmatch(r"SELECT (.+) FROM (\w+) WHERE (\w+) >= (\S+) "
                             r"ORDER BY \3 ASC", soql)
            assert m, soql
            fields, obj, since = m.group(1).split(", "), m.group(2), m.group(4)
            start = 0
        else:
            locator = url.path.rsplit("/", 1)[1]
            obj, since, offset = locator.split("~")
            fields, start = None, int(offset)
        since_key = since.replace("Z", "")
        rows = sorted((r for r in self.fake.salesforce.get(obj, [])
                       if r["SystemModstamp"][:19] >= since_key),
                      key=lambda r: r["SystemModstamp"])
        page = rows[start:start + self.fake.sf_page]
        out: dict[str, Any] = {"totalSize": len(rows),
                               "done": start + len(page) >= len(rows),
                               "records": [{"attributes": {"type": obj, "url": "/x"},
                                            **{k: v for k, v in r.items()
                                               if fields is None or k in fields}}
                                           for r in page]}
        if not out["done"]:
            out["nextRecordsUrl"] = (f"/services/data/v60.0/query/{obj}~{since}~"
                                     f"{start + len(page)}")
        return out


@pytest.fixture
def fake() -> Iterator[tuple[Fake, str]]:
    state = Fake()
    handler = type("H", (Handler,), {"fake": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def hubspot_contacts(n: int) -> list[dict[str, Any]]:
    return [{"id": str(1000 + i), "properties": {
        "hs_object_id": str(1000 + i), "email": f"p{i}@acme{i % 7}.com",
        "firstname": f"P{i}", "lifecyclestage": "lead",
        "createdate": "2025-01-01T00:00:00.000Z",
        "hs_lastmodifieddate": f"2025-02-{1 + i % 28:02d}T{i % 24:02d}:00:00.000Z"}}
        for i in range(n)]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def env(base: str) -> dict[str, str]:
    return {"ACCORD_HUBSPOT_TOKEN": TOKEN, "ACCORD_SALESFORCE_TOKEN": TOKEN,
            "ACCORD_SALESFORCE_INSTANCE_URL": base}


# -- pull ---------------------------------------------------------------------------------

def test_hubspot_pull_pages_then_sends_the_saved_cursor(fake: tuple[Fake, str],
                                                        tmp_path: Path) -> None:
    state, base = fake
    state.hubspot = {"contacts": hubspot_contacts(250), "companies": [], "deals": []}
    creds = load_credentials("hubspot", base_url=base, environ=env(base))
    out = tmp_path / "hubspot"
    first = pull("hubspot", out, creds, objects=["contacts"])
    calls = state.of("/crm/v3/objects/contacts/search")
    # 250 records at 100 a page: three pages, `after` sent back from paging.next.after
    assert [c["body"].get("after") for c in calls] == [None, "100", "200"]
    assert {c["body"]["filterGroups"][0]["filters"][0]["value"] for c in calls} == {
        "1970-01-01T00:00:00.000Z"}
    rows = read_csv(out / "contacts.csv")
    assert len(rows) == 250 and first.objects[0].received == 250
    assert list(rows[0])[:3] == ["hs_object_id", "email", "firstname"]
    by_id = {r["hs_object_id"]: r for r in rows}
    assert by_id["1007"]["email"] == "p7@acme0.com"
    latest = max(r["properties"]["hs_lastmodifieddate"] for r in state.hubspot["contacts"])
    assert first.objects[0].cursor == latest

    # one record changes after the pull; the next pull asks from the saved cursor
    changed = state.hubspot["contacts"][3]["properties"]
    changed.update(email="new@acme3.com", hs_lastmodifieddate="2025-03-15T09:30:00.000Z")
    state.requests.clear()
    second = pull("hubspot", out, creds, objects=["contacts"])
    (call,) = state.of("/crm/v3/objects/contacts/search")
    assert call["body"]["filterGroups"][0]["filters"][0]["value"] == latest
    boundary = {r["id"] for r in state.hubspot["contacts"]
                if r["properties"]["hs_lastmodifieddate"] == latest}
    assert second.objects[0].received == len(boundary | {"1003"})
    rows = read_csv(out / "contacts.csv")
    assert len(rows) == 250  # merged: the changed record replaced, none duplicated
    by_id = {r["hs_object_id"]: r for r in rows}
    assert by_id["1003"]["email"] == "new@acme3.com"
    assert by_id["1003"]["hs_lastmodifieddate"] == "2025-03-15T09:30:00.000Z"
    assert second.objects[0].cursor == "2025-03-15T09:30:00.000Z"
    # the state folder keeps the cursors, not a second copy of the records
    kept = [p.read_bytes() for p in (out / ".accord-sync").rglob("*") if p.is_file()]
    assert kept and not [b for b in kept if b"@acme" in b or b[:2] == b"\x1f\x8b"]
    # same records, same bytes: a pull that brings nothing new leaves the file as it was
    before = (out / "contacts.csv").read_bytes()
    pull("hubspot", out, creds, objects=["contacts"])
    assert (out / "contacts.csv").read_bytes() == before


def test_salesforce_pull_follows_next_records_url_and_keeps_the_cursor(
        fake: tuple[Fake, str], tmp_path: Path) -> None:
    state, base = fake
    state.salesforce = {"Lead": [
        {"Id": f"00Q00000000000{i}", "FirstName": f"F{i}", "LastName": f"L{i}",
         "Email": f"f{i}@x.com", "Company": "X", "IsConverted": i == 2,
         "SystemModstamp": f"2025-01-0{i + 1}T10:00:00.000+0000"} for i in range(5)]}
    creds = load_credentials("salesforce", environ=env(base))
    out = tmp_path / "sf"
    result = pull("salesforce", out, creds, objects=["Lead"])
    calls = state.of("/services/data/v60.0/query")
    assert len(calls) == 3  # 5 records, 2 a page: the query then two nextRecordsUrl pages
    assert "SystemModstamp >= 1970-01-01T00:00:00Z" in calls[0]["query"]["q"][0]
    rows = read_csv(out / "Lead.csv")
    assert [r["Id"] for r in rows] == [f"00Q00000000000{i}" for i in range(5)]
    assert "attributes" not in rows[0] and next(iter(rows[0])) == "Id"
    assert [r["IsConverted"] for r in rows] == ["false", "false", "true", "false", "false"]
    assert result.objects[0].cursor == "2025-01-05T10:00:00.000+0000"

    state.salesforce["Lead"][1].update(Email="moved@y.com",
                                       SystemModstamp="2025-02-01T08:00:00.000+0000")
    state.requests.clear()
    pull("salesforce", out, creds, objects=["Lead"])
    (call,) = state.of("/services/data/v60.0/query")
    assert "SystemModstamp >= 2025-01-05T10:00:00Z" in call["query"]["q"][0]
    with pytest.raises(UsageError, match="--reset"):  # --since would be ignored: refused
        pull("salesforce", out, creds, objects=["Lead"], since=datetime(2025, 1, 3))
    state.requests.clear()
    pull("salesforce", out, creds, objects=["Lead"], since=datetime(2025, 1, 3), reset=True)
    assert "SystemModstamp >= 2025-01-03T00:00:00Z" in state.requests[0]["query"]["q"][0]
    rows = {r["Id"]: r for r in read_csv(out / "Lead.csv")}
    assert len(rows) == 5 and rows["00Q000000000001"]["Email"] == "moved@y.com"


def test_a_429_is_waited_out_for_its_retry_after(fake: tuple[Fake, str],
                                                 tmp_path: Path) -> None:
    state, base = fake
    state.hubspot = {"contacts": hubspot_contacts(3)}
    state.throttle = 1
    creds = load_credentials("hubspot", base_url=base, environ=env(base))
    began = time.monotonic()
    result = pull("hubspot", tmp_path / "h", creds, objects=["contacts"])
    waited = time.monotonic() - began
    calls = state.of("/crm/v3/objects/contacts/search")
    assert len(calls) == 2 and calls[0]["body"] == calls[1]["body"]  # the same request again
    assert waited >= 1.0  # Retry-After: 1 honoured
    assert result.objects[0].received == 3


def test_pulled_files_import_as_a_hubspot_export(fake: tuple[Fake, str],
                                                 tmp_path: Path) -> None:
    """What a pull writes is what `accord import --format hubspot` reads: one lead per
    contact under its record id, a stage move per filled MQL date, the company."""
    state, base = fake
    contacts = hubspot_contacts(6)
    for i, c in enumerate(contacts):
        c["properties"].update(hs_analytics_source="ORGANIC_SEARCH",
                               hs_lifecyclestage_lead_date="2025-01-02T00:00:00.000Z")
        if i % 2:
            c["properties"].update(lifecyclestage="marketingqualifiedlead",
                                   hs_lifecyclestage_marketingqualifiedlead_date=(
                                       "2025-01-05T00:00:00.000Z"))
    state.hubspot = {"contacts": contacts, "deals": [], "companies": [
        {"id": "77", "properties": {"name": "Acme", "domain": "acme0.com",
                                    "createdate": "2024-12-01T00:00:00.000Z",
                                    "hs_lastmodifieddate": "2025-01-01T00:00:00.000Z"}}]}
    out = tmp_path / "export"
    pull("hubspot", out, load_credentials("hubspot", base_url=base, environ=env(base)))
    assert sorted(p.name for p in out.glob("*.csv")) == ["companies.csv", "contacts.csv"]
    root = tmp_path / "ws"
    init_workspace(root)
    with Workspace(root).session() as s:
        result = import_vendor(s.store, s.contract, out, "hubspot")
        leads = s.store.table("leads").to_pyarrow().to_pylist()
        events = s.store.table("stage_events").count().execute()
        accounts = s.store.table("accounts").to_pyarrow().to_pylist()
    assert result.result.write.total_added > 0
    assert sorted(r["lead_id"] for r in leads) == [c["id"] for c in contacts]
    assert {r["lead_id"]: r["email"] for r in leads} == {
        c["id"]: c["properties"]["email"] for c in contacts}
    # the three MQL dates became stage moves (entering the first stage is the lead's
    # creation, no move): the pull asked for the lifecycle-stage date properties
    assert events == 3
    assert [a["domain"] for a in accounts] == ["acme0.com"]


def test_pulled_files_import_as_a_salesforce_export(fake: tuple[Fake, str],
                                                    tmp_path: Path) -> None:
    """Every Salesforce object pulled (one query each); those with records are files that
    `accord import --format salesforce` reads: leads under their Salesforce ids."""
    state, base = fake
    stamp = "2025-01-02T10:00:00.000+0000"
    state.salesforce = {
        "Lead": [{"Id": f"00Q5g00000AbCd{i}", "FirstName": f"F{i}", "LastName": f"L{i}",
                  "Email": f"f{i}@globex.com", "Company": "Globex",
                  "Status": "Open - Not Contacted",
                  "LeadSource": "Web", "IsConverted": False, "OwnerId": "0055g00000Xy001",
                  "CreatedDate": "2025-01-01T09:00:00.000+0000", "SystemModstamp": stamp}
                 for i in range(3)],
        "User": [{"Id": "0055g00000Xy001", "Username": "sam@globex.com", "Name": "Sam Rep",
                  "Email": "sam@globex.com", "Title": "SDR", "IsActive": True,
                  "CreatedDate": "2024-01-01T00:00:00.000+0000", "SystemModstamp": stamp}]}
    out = tmp_path / "sf"
    pull("salesforce", out, load_credentials("salesforce", environ=env(base)))
    queried = [re.search(r"FROM (\w+)", c["query"]["q"][0]).group(1)  # type: ignore[union-attr]
               for c in state.of("/services/data/v60.0/query") if "q" in c["query"]]
    assert sorted(queried) == sorted(SALESFORCE_OBJECTS)
    assert sorted(p.name for p in out.glob("*.csv")) == ["Lead.csv", "User.csv"]
    root = tmp_path / "ws"
    init_workspace(root)
    with Workspace(root).session() as s:
        import_vendor(s.store, s.contract, out, "salesforce")
        leads = s.store.table("leads").to_pyarrow().to_pylist()
        reps = s.store.table("reps").to_pyarrow().to_pylist()
    assert sorted(r["lead_id"] for r in leads) == [f"00Q5g00000AbCd{i}" for i in range(3)]
    assert [r["rep_id"] for r in reps] == ["0055g00000Xy001"]


# -- credentials --------------------------------------------------------------------------

def test_credentials_never_in_output_logs_or_files(fake: tuple[Fake, str], tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    state, base = fake
    state.hubspot = {"contacts": hubspot_contacts(5), "companies": [], "deals": []}
    for k, v in env(base).items():
        monkeypatch.setenv(k, v)
    caplog.set_level(logging.DEBUG)
    out = tmp_path / "h"
    texts = []
    for extra in ([], ["--json"]):
        res = runner.invoke(app, ["pull", "hubspot", "--out", str(out), "--base-url", base,
                                  *extra])
        assert res.exit_code == 0, res.output
        texts.append(res.output)
    assert json.loads(texts[1])["objects"][0]["name"] == "contacts"
    assert all(c["auth"] == f"Bearer {TOKEN}" for c in state.requests)  # it was sent
    # a refused request names the status, never the token
    monkeypatch.setenv("ACCORD_HUBSPOT_TOKEN", TOKEN + "-wrong")
    res = runner.invoke(app, ["pull", "hubspot", "--out", str(out), "--base-url", base,
                              "--reset"])
    assert res.exit_code == 1 and "HTTP 401" in res.output
    texts.append(res.output)
    texts.append(caplog.text)
    # a separate process with dlt's own logging (which does not reach the root logger)
    # at DEBUG: the token in neither stream
    monkeypatch.setenv("ACCORD_HUBSPOT_TOKEN", TOKEN)
    proc = subprocess.run(
        [sys.executable, "-c", "from accord.cli import main; main()", "sync", "pull",
         "hubspot", "--out", str(out), "--base-url", base, "--reset"],
        capture_output=True, text=True, timeout=60,
        env={**os.environ, "RUNTIME__LOG_LEVEL": "DEBUG"})
    assert proc.returncode == 0, proc.stderr
    assert "contacts" in proc.stdout and "DEBUG" in proc.stderr  # dlt did log
    texts += [proc.stdout, proc.stderr]
    texts += [p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file()]
    assert not [t for t in texts if TOKEN in t]
    assert str(load_credentials("hubspot", environ=env(base)).token) == "***"


def test_credentials_file_outside_a_repository_only(tmp_path: Path) -> None:
    outside = tmp_path / "creds"
    outside.write_text(f"# accord\nACCORD_HUBSPOT_TOKEN={TOKEN}\n")
    creds = load_credentials("hubspot", file=outside, environ={})
    assert creds.token.reveal() == TOKEN and creds.source == str(outside)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    inside = repo / "config" / "creds"
    inside.parent.mkdir()
    inside.write_text(f"ACCORD_HUBSPOT_TOKEN={TOKEN}\n")
    with pytest.raises(UsageError, match="inside a repository") as info:
        load_credentials("hubspot", file=inside, environ={})
    assert TOKEN not in str(info.value)
    with pytest.raises(UsageError, match="ACCORD_SALESFORCE_TOKEN"):
        load_credentials("salesforce", environ={"ACCORD_HUBSPOT_TOKEN": TOKEN})
    with pytest.raises(UsageError, match="unencrypted"):
        load_credentials("hubspot", base_url="http://crm.example.com", environ={
            "ACCORD_HUBSPOT_TOKEN": TOKEN})


# -- push ---------------------------------------------------------------------------------

N_LEADS = 250


def lead_id(i: int) -> str:
    return f"{5000 + i}"


def seed_decisions(store: Store, n: int = N_LEADS) -> None:
    """Hand-made derived tables: lead i has fit 10·(i mod 10), tier A/B/C by i mod 3, an
    owner on even leads only, stage MQL, and two SLA clocks on lead 0 (the later one,
    breached, is the one pushed); and one lead of accord's own fact files (`L0000001`, no
    HubSpot id)."""
    ids = [lead_id(i) for i in range(n)]
    store.write_derived("scores", pa.table({
        "lead_id": [*ids, "L0000001"], "fit": [*(10 * (i % 10) for i in range(n)), 90],
        "tier": [*("ABC"[i % 3] for i in range(n)), "A"],
        "engagement": [*(0.25 + i / 1000 for i in range(n)), 0.9]}))
    store.write_derived("assignments", pa.table({
        "lead_id": ids[::2], "owner": [f"rep_{i % 4}" for i in range(0, n, 2)]}))
    store.write_derived("stages", pa.table({"lead_id": ids, "stage": ["MQL"] * n}))
    store.write_derived("sla_states", pa.table({
        "sla": ["speed_to_lead", "sal_decision"], "lead_id": [ids[0], ids[0]],
        "start_at": [datetime(2025, 3, 1, 9), datetime(2025, 3, 2, 9)],
        "due_at": [datetime(2025, 3, 1, 13), datetime(2025, 3, 4, 9, 0, 30, 500)],
        "status": ["met", "breached"]}))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    root.mkdir()
    store = Workspace(root).open_store()
    try:
        seed_decisions(store)
    finally:
        store.close()
    return root


def test_push_dry_run_then_push_then_nothing_then_only_the_change(
        fake: tuple[Fake, str], workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    state, base = fake
    for k, v in env(base).items():
        monkeypatch.setenv(k, v)
    args = ["push", "hubspot", "-w", str(workspace), "--base-url", base]

    res = runner.invoke(app, [*args, "--dry-run", "--json"])
    assert res.exit_code == 0, res.output
    planned = json.loads(res.output)
    assert state.requests == [] and planned["to_send"] == N_LEADS and planned["sent"] == 0
    assert planned["other_ids"] == 1  # L0000001 is no HubSpot record: never planned
    res = runner.invoke(app, [*args, "--dry-run"])
    assert res.exit_code == 0 and "accord_fit_score" in res.output and state.requests == []

    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["sent"] == N_LEADS
    batches = state.of("/crm/v3/objects/contacts/batch/update")
    assert [len(b["body"]["inputs"]) for b in batches] == [100, 100, 50]
    sent = {i["id"]: i["properties"] for b in batches for i in b["body"]["inputs"]}
    assert sorted(sent) == sorted(lead_id(i) for i in range(N_LEADS))
    assert sent[lead_id(0)] == {
        "accord_owner": "rep_0", "accord_fit_score": "0", "accord_engagement_score": "0.25",
        "accord_tier": "A", "accord_lifecycle_stage": "MQL",
        "accord_sla_due_at": "2025-03-04T09:00:30Z", "accord_sla_breached": "true"}
    assert sent[lead_id(17)] == {
        "accord_owner": "", "accord_fit_score": "70", "accord_engagement_score": "0.267",
        "accord_tier": "C", "accord_lifecycle_stage": "MQL", "accord_sla_due_at": "",
        "accord_sla_breached": ""}
    assert TOKEN not in res.output

    state.requests.clear()
    res = runner.invoke(app, [*args, "--json"])
    assert res.exit_code == 0 and json.loads(res.output)["sent"] == 0
    assert state.requests == []  # nothing changed: nothing sent

    store = Workspace(workspace).open_store()
    try:
        scores = store.derived("scores").to_pyarrow().to_pylist()
        scores[17]["tier"] = "A"
        store.write_derived("scores", pa.Table.from_pylist(scores))
        audit = store.service_table("audit_log").to_pyarrow().to_pylist()
    finally:
        store.close()
    assert sorted(r["event_id"].split(":")[2] for r in audit) == ["1", "2", "3",
                                                                  "nothing-to-send"]
    res = runner.invoke(app, [*args])
    assert res.exit_code == 0, res.output
    (batch,) = state.of("/crm/v3/objects/contacts/batch/update")
    (only,) = batch["body"]["inputs"]
    assert only["id"] == lead_id(17) and only["properties"]["accord_tier"] == "A"


def test_salesforce_push_types_records_and_retries_refused_ones(
        fake: tuple[Fake, str], store: Store) -> None:
    state, base = fake
    ids = ["00Q000000000001", "003000000000002", "00Q000000000003"]
    store.write_derived("scores", pa.table({"lead_id": ids, "fit": [80, 40, 10],
                                            "tier": ["A", "B", "C"],
                                            "engagement": [1.0, 0.5, 0.0]}))
    store.write_derived("assignments", pa.table({"lead_id": ids, "owner": ["u1"] * 3}))
    store.write_derived("stages", pa.table({"lead_id": ids, "stage": ["SQL"] * 3}))
    store.write_derived("sla_states", pa.table({
        "sla": ["s"], "lead_id": [ids[1]], "start_at": [datetime(2025, 1, 1)],
        "due_at": [datetime(2025, 1, 2)], "status": ["open"]}))
    creds = load_credentials("salesforce", environ=env(base))
    state.refuse = {ids[2]}
    result = push(store, "salesforce", creds)
    (call,) = state.of("/services/data/v60.0/composite/sobjects")
    recs = {r["id"]: r for r in call["body"]["records"]}
    assert call["method"] == "PATCH" and call["body"]["allOrNone"] is False
    assert recs[ids[0]]["attributes"] == {"type": "Lead"}
    assert recs[ids[1]]["attributes"] == {"type": "Contact"}
    assert recs[ids[1]]["Accord_SLA_Due_At__c"] == "2025-01-02T00:00:00Z"
    assert recs[ids[1]]["Accord_SLA_Breached__c"] is False
    assert recs[ids[0]]["Accord_Fit_Score__c"] == 80  # number fields get numbers
    assert recs[ids[1]]["Accord_Engagement_Score__c"] == 0.5
    assert recs[ids[0]]["Accord_SLA_Due_At__c"] is None  # no clock: the field cleared
    assert result.sent == 2 and [f["id"] for f in result.failed] == [ids[2]]
    pushed = store.con.table(PUSHED_TABLE).to_pyarrow().to_pylist()
    assert sorted(r["record_id"] for r in pushed) == sorted(ids[:2])

    state.requests.clear()
    state.refuse = set()
    state.throttle = 1  # a 429 first: the batch is sent again after Retry-After
    again = push(store, "salesforce", creds)  # only the refused record goes again
    throttled, call = state.of("/services/data/v60.0/composite/sobjects")
    assert throttled["body"] == call["body"]
    assert [r["id"] for r in call["body"]["records"]] == [ids[2]] and again.sent == 1
    state.requests.clear()
    assert push(store, "salesforce", creds).sent == 0 and state.requests == []
