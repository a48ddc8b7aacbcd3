"""Every write is audited (issue 13, item 4; secure by default): a write through the API
names its token and role, a write by a command on this machine names `cli:<user>` with
role `local` — in the same transaction, so a refused write leaves no audit row."""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from api_support import Served
from typer.testing import CliRunner

from accord.cli import app as cli
from accord.store import open_store


def audit(served: Served) -> list[tuple[str, str, str]]:
    st = open_store(served.store_url)
    try:
        rows = st.service_table("audit_log").to_pyarrow().to_pylist()
    finally:
        st.close()
    rows.sort(key=lambda r: (r["written_at"], r["audit_id"]))
    return [(r["event_id"], r["token_name"], r["role"]) for r in rows]


def test_cli_and_api_writes_leave_one_audit_row_each(served: Served, tmp_path: Path) -> None:
    runner = CliRunner()
    where = ["-w", str(served.root), "--store", served.store_url]
    me = f"cli:{getpass.getuser()}"
    start = len(audit(served))  # the fixture's own token writes

    made = runner.invoke(cli, ["token", "create", "--role", "viewer", "--name", "wall",
                               *where])
    assert made.exit_code == 0, made.output
    token_id = made.stdout.strip().split("_")[1]  # acc_<id>_<secret>
    assert runner.invoke(cli, ["token", "revoke", token_id, *where]).exit_code == 0
    added = runner.invoke(cli, ["webhooks", "add", "https://crm.example.com/h", "--name",
                                "crm", "--json", *where])
    assert added.exit_code == 0, added.output
    endpoint = json.loads(added.stdout)["endpoint_id"]
    assert runner.invoke(cli, ["webhooks", "remove", "crm", *where]).exit_code == 0
    text = (served.root / "accord.yaml").read_text().replace("version: 1", "version: 2", 1)
    (tmp_path / "next.yaml").write_text(text)
    assert runner.invoke(cli, ["contract", "propose", str(tmp_path / "next.yaml"),
                               *where]).exit_code == 0
    assert runner.invoke(cli, ["contract", "sign", "2", "--side", "sales", "--name", "Sam",
                               *where]).exit_code == 0
    # refused writes: nothing stored, nothing audited
    again = runner.invoke(cli, ["contract", "sign", "2", "--side", "sales", "--name", "Sam",
                                *where])
    assert again.exit_code != 0
    assert runner.invoke(cli, ["webhooks", "remove", "crm", *where]).exit_code != 0

    with served.client() as c:
        r = c.post("/v1/events", json={
            "id": "crm-9", "kind": "lead_created", "lead_id": "L9",
            "at": "2025-01-06T14:00:00Z", "email": "x@soft.example", "channel": "web"},
            headers=served.auth("marketing"))
        assert r.status_code == 200
        refused = c.post("/v1/events", json={"id": "crm-10", "kind": "accept",
                                             "lead_id": "L9", "at": "2025-01-06T15:00:00Z"},
                         headers=served.auth("marketing"))
        assert refused.status_code == 403

    assert audit(served)[start:] == [
        (f"token-create:{token_id}", me, "local"),
        (f"token-revoke:{token_id}", me, "local"),
        (f"webhook-add:{endpoint}", me, "local"),
        (f"webhook-remove:{endpoint}", me, "local"),
        ("contract-proposal:next.yaml", me, "local"),
        ("contract-signature:2:sales", me, "local"),
        ("crm-9", "marketing-bot", "marketing"),
    ]
