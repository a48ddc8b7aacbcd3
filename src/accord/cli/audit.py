"""`accord audit` (being built)."""

from __future__ import annotations


def audit_command() -> None:
    """(being built)"""
    raise SystemExit("accord audit: not built yet")
