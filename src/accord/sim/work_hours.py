"""Reps' working time: adding business minutes to an instant, vectorised.

Reps answer and work inside the contract's `calendar.hours` on its `calendar.days`, in
their own time zone (a fixed standard offset; daylight saving and holidays are ignored).
A lead that becomes an MQL at 23:00 on a Friday is answered, at the earliest, on Monday
morning — the clock delay then includes the night and the weekend.

Business time is counted as minutes since a Monday long ago: whole business days × day
length + minutes into the working day. NumPy's `busday_count` / `busday_offset` take the
weekmask; minutes inside the day are plain arithmetic.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from accord.sim.contract_terms import ContractTerms
from accord.sim.period import US_PER_DAY, US_PER_HOUR, US_PER_MINUTE

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

_EPOCH = np.datetime64("1990-01-01", "D")  # a Monday


def add_business_minutes(at: I64, utc_offset_hours: I64, minutes: F64,
                         terms: ContractTerms) -> I64:
    """The instant `minutes` of working time after `at` (UTC µs) for a worker whose local
    time is UTC − `utc_offset_hours`. Outside working time the count starts at the next
    opening."""
    start, end, mask = terms.work_start_minute, terms.work_end_minute, terms.weekmask
    length = end - start
    local = at - utc_offset_hours * US_PER_HOUR
    day = (local // US_PER_DAY).astype("datetime64[D]")
    minute = (local % US_PER_DAY) / US_PER_MINUTE
    open_day = np.is_busday(day, weekmask=mask)
    into = np.where(open_day, np.clip(minute - start, 0.0, float(length)), 0.0)
    counted = np.busday_count(_EPOCH, day, weekmask=mask).astype(np.float64)
    target = counted * length + into + np.maximum(minutes, 0.0)
    whole = np.floor(target / length)
    rest = target - whole * length
    # A target exactly at closing time means the next opening.
    day_out = np.busday_offset(_EPOCH, whole.astype(np.int64), roll="forward", weekmask=mask)
    local_out = (day_out.astype(np.int64) * US_PER_DAY
                 + ((start + rest) * US_PER_MINUTE).astype(np.int64))
    out: I64 = local_out + utc_offset_hours * US_PER_HOUR
    return out
