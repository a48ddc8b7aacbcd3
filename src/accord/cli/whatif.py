"""`accord whatif` (being built)."""

from __future__ import annotations


def whatif_command() -> None:
    """(being built)"""
    raise SystemExit("accord whatif: not built yet")
