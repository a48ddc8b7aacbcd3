"""The audit log's one writer: every write to a store's service tables leaves a row — who
(the API token's name and role, or for a command run on this machine `cli:<user>` with
role `local`), what (a write id naming the change) and when — in the same transaction as
the write itself (Secure by default: every write is audited)."""

from __future__ import annotations

import getpass
from typing import Any

from accord.contract.instants import naive_utc, utc_now
from accord.store.base import Store

__all__ = ["LOCAL_ROLE", "local_actor", "write_audit"]

#: The role recorded for a write made by a command on this machine (no token involved).
LOCAL_ROLE = "local"


def local_actor() -> tuple[str, str]:
    """(name, role) of a command run here: `cli:<login name>`, `local`."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        user = "unknown"
    return f"cli:{user}", LOCAL_ROLE


def write_audit(store: Store, cur: Any, write_id: str,
                who: tuple[str, str] | None = None) -> None:
    """Add the audit row of the write `write_id` in the open transaction `cur`."""
    name, role = who or local_actor()
    now = naive_utc(utc_now())
    store.insert_rows(cur, "audit_log", [{
        "audit_id": f"{write_id}@{now.isoformat()}", "event_id": write_id,
        "token_name": name, "role": role, "written_at": now}])
