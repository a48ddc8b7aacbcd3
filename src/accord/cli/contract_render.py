"""`accord contract render` (being built)."""

from __future__ import annotations


def render_command() -> None:
    """(being built)"""
    raise SystemExit("accord contract render: not built yet")
