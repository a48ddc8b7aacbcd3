"""The operating rhythm's one table: the meeting pack each cadence brings, by its `every`
(`accord report KIND`, named in the agreement, the calendar and the maturity diagnosis)."""

from __future__ import annotations

from typing import Final

#: The pack a contract cadence brings, by its `every`.
PACK_FOR_EVERY: Final[dict[str, str]] = {
    "week": "weekly", "two_weeks": "biweekly", "month": "monthly", "quarter": "quarterly"}
#: The packs `accord report` prepares, one per rhythm, in rhythm order.
PACK_KINDS: Final[tuple[str, ...]] = tuple(PACK_FOR_EVERY.values())
