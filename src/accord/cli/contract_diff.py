"""`accord contract diff` (being built)."""

from __future__ import annotations


def diff_command() -> None:
    """(being built)"""
    raise SystemExit("accord contract diff: not built yet")
