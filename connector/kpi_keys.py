"""The KPI keys of ../shared/KPI_SPEC.md, and which way is "better" for each."""

from __future__ import annotations

from typing import Literal, get_args

KpiKey = Literal[
    "total_revenue",
    "gross_margin",
    "sales_growth",
    "lead_to_opportunity",
    "closing_ratio",
    "lead_to_sale",
    "sales_by_contact_method",
    "avg_sales_cycle_days",
    "arpa",
    "cac",
    "clv",
    "clv_to_cac",
    "retention_rate",
    "churn_rate",
    "nps",
]

KPI_KEYS: tuple[str, ...] = get_args(KpiKey)

# Attainment is actual/target where higher is better and target/actual where lower is,
# so that 100 % always means "on target".
_LOWER_IS_BETTER = frozenset({"avg_sales_cycle_days", "cac", "churn_rate"})
HIGHER_IS_BETTER: dict[str, bool] = {key: key not in _LOWER_IS_BETTER for key in KPI_KEYS}
