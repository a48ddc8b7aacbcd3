"""Org chart lint rules, one per module. Each is a function `OrgChart -> list[Finding]`.

`ALL_RULES` is the order they run and report in.
"""

from __future__ import annotations

from collections.abc import Callable

from accord.org.chart import OrgChart
from accord.org.findings import Finding
from accord.org.rules.approvers import too_many_approvers
from accord.org.rules.cro_ops import cro_without_ops
from accord.org.rules.handoff_owner import no_handoff_owner
from accord.org.rules.marketing_ops import marketing_ops_buried
from accord.org.rules.marketing_under_sales import marketing_under_sales
from accord.org.rules.pipeline_owner import function_without_pipeline_owner
from accord.org.rules.product_marketing import product_marketing_cut_off
from accord.org.rules.sdr_line import sdrs_outside_pipeline_line

Rule = Callable[[OrgChart], list[Finding]]

ALL_RULES: tuple[Rule, ...] = (
    marketing_under_sales,
    marketing_ops_buried,
    no_handoff_owner,
    sdrs_outside_pipeline_line,
    product_marketing_cut_off,
    cro_without_ops,
    too_many_approvers,
    function_without_pipeline_owner,
)

__all__ = ["ALL_RULES", "Rule"]
