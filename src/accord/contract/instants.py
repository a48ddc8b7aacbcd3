"""Instants as accord keeps them: UTC without a zone (DESIGN: timestamps are stored in UTC;
calendars apply only when an SLA clock or a report asks for local time).

The one home of "naive UTC": every module that takes a datetime from a user, a file or
the wall clock turns it into a naive UTC instant here.
"""

from __future__ import annotations

from datetime import UTC, datetime


def naive_utc(t: datetime) -> datetime:
    """`t` as naive UTC: an aware datetime is converted; a naive one is taken as UTC."""
    return t if t.tzinfo is None else t.astimezone(UTC).replace(tzinfo=None)


def utc_now() -> datetime:
    """The wall clock, as naive UTC (live work; batch work reads `as_of` instead)."""
    return datetime.now(UTC).replace(tzinfo=None)
