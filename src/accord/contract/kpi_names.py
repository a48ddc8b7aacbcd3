"""The KPI vocabulary a contract may set targets for.

The contract names KPIs; `accord.analytics.kpis` defines how each is computed, once.
Each entry: name -> (direction a target means, one-line meaning).
"""

from __future__ import annotations

from typing import Literal

Direction = Literal["at_least", "at_most"]

KPI_VOCABULARY: dict[str, tuple[Direction, str]] = {
    "lead_to_mql": ("at_least", "share of leads that became MQL"),
    "mql_to_sal": ("at_least", "share of MQLs sales accepted (seed 004: healthy above 70%)"),
    "sal_to_sql": ("at_least", "share of SALs that became SQL"),
    "sql_to_opportunity": ("at_least", "share of SQLs that became an opportunity"),
    "win_rate": ("at_least", "share of closed opportunities that were won"),
    "lead_to_opportunity": ("at_least", "share of leads that became an opportunity"),
    "mql_to_won": ("at_least", "share of MQLs that became customers (won)"),
    "mql_rejection_rate": ("at_most", "share of MQLs sales rejected"),
    "speed_to_lead_median_minutes": ("at_most", "median business minutes MQL to first touch"),
    "speed_to_lead_p90_minutes": ("at_most", "90th percentile business minutes to first touch"),
    "speed_to_lead_within_sla": ("at_least", "share of MQLs first touched within the SLA"),
    "touches_per_lead": ("at_least", "sales touches per worked lead"),
    "mql_volume": ("at_least", "MQLs per month"),
    "sql_volume": ("at_least", "SQLs per month"),
    "pipeline_created": ("at_least", "opportunity amount created in the period"),
    "marketing_sourced_pipeline_share": ("at_least", "share of pipeline sourced by marketing"),
    "sales_cycle_days": ("at_most", "median days from opportunity creation to win"),
    "pipeline_velocity": ("at_least", "opportunities × win rate × average deal ÷ cycle days"),
    "cpl": ("at_most", "marketing spend per lead"),
    "cac": ("at_most", "marketing spend per won customer"),
    "ltv_to_cac": ("at_least", "lifetime value per customer ÷ CAC (seeds: healthy at 3+)"),
    "handoff_rate": ("at_least", "share of marketing-engaged contacts sales followed up (≥35%)"),
    "renewal_revenue": ("at_least", "value of renewals won in the period"),
    "expansion_revenue": ("at_least", "value of expansions won in the period"),
    "gross_revenue_retention": ("at_least", "share of the value up for renewal kept, without "
                                            "expansion (at most 100%)"),
    "net_revenue_retention": ("at_least", "value renewed plus expansion ÷ value up for "
                                          "renewal"),
}
