"""`accord diagnose` (being built)."""

from __future__ import annotations


def diagnose_command() -> None:
    """(being built)"""
    raise SystemExit("accord diagnose: not built yet")
