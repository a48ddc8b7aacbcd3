"""The quarterly pack's maturity and audit-gap blocks (`accord diagnose`, `accord audit`)."""

from __future__ import annotations

from datetime import datetime

from accord.analytics.kpis import Period
from accord.contract.compiled import CompiledContract
from accord.engine.views import View
from accord.reports.pack import Block, Para
from accord.store.base import Store


def maturity_blocks(store: Store, contract: CompiledContract, period: Period, at: datetime,
                    view: View) -> tuple[Block, ...]:
    return (Para("(maturity and audit: being built)"),)
