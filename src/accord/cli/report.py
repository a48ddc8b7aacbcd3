"""`accord report` (being built)."""

from __future__ import annotations


def report_command() -> None:
    """(being built)"""
    raise SystemExit("accord report: not built yet")
