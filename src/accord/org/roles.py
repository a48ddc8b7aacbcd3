"""Role and function vocabulary shared by org charts and company profiles.

A role says what a box on the chart does (`marketing_ops`, `sdr`, `cro`); its function
(`marketing`, `sales`, `revops`, …) is implied by the role unless a chart overrides it.
The lint rules and the advisor's hiring plan both speak this vocabulary.
"""

from __future__ import annotations

from typing import Literal

Role = Literal[
    "ceo", "coo", "cro",
    "marketing_leader", "marketing_generalist", "demand_gen", "content", "brand", "abm",
    "product_marketing", "marketing_ops",
    "sales_leader", "sales_manager", "regional_sales_director", "sdr_manager", "sdr", "ae",
    "sales_ops", "revenue_generalist",
    "revops_leader", "revops", "enablement",
    "cs_leader", "cs",
    "product_leader", "product",
    "other",
]

Function = Literal[
    "executive", "revenue", "marketing", "sales", "revops", "customer_success", "product",
    "other",
]

ROLE_FUNCTION: dict[Role, Function] = {
    "ceo": "executive", "coo": "executive", "cro": "revenue",
    "marketing_leader": "marketing", "marketing_generalist": "marketing",
    "demand_gen": "marketing", "content": "marketing", "brand": "marketing",
    "abm": "marketing", "product_marketing": "marketing", "marketing_ops": "marketing",
    "sales_leader": "sales", "sales_manager": "sales", "regional_sales_director": "sales",
    "sdr_manager": "sales", "sdr": "sales", "ae": "sales", "sales_ops": "sales",
    "revenue_generalist": "sales",
    "revops_leader": "revops", "revops": "revops", "enablement": "revops",
    "cs_leader": "customer_success", "cs": "customer_success",
    "product_leader": "product", "product": "product",
    "other": "other",
}

# Roles that count as "ops underneath" a CRO (seed 000: RevOps unifies sales, marketing
# and CS ops and is the operating system under the CRO).
OPS_ROLES: frozenset[Role] = frozenset(
    {"revops_leader", "revops", "sales_ops", "marketing_ops", "enablement"}
)

ROLE_TITLES: dict[Role, str] = {
    "ceo": "CEO", "coo": "COO", "cro": "Chief Revenue Officer",
    "marketing_leader": "Marketing leader", "marketing_generalist": "Marketing generalist",
    "demand_gen": "Demand generation marketer", "content": "Content marketer",
    "brand": "Brand marketer", "abm": "ABM lead", "product_marketing": "Product marketer",
    "marketing_ops": "Marketing operations", "sales_leader": "Sales leader",
    "sales_manager": "Sales manager", "regional_sales_director": "Regional sales director",
    "sdr_manager": "SDR manager", "sdr": "SDR", "ae": "Account executive",
    "sales_ops": "Sales operations", "revenue_generalist": "Revenue generalist",
    "revops_leader": "RevOps leader", "revops": "RevOps specialist",
    "enablement": "Sales enablement", "cs_leader": "Customer success leader",
    "cs": "Customer success manager", "product_leader": "Product leader",
    "product": "Product manager", "other": "Other",
}
