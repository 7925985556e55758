"""The KPI registry: each KPI of KPI_SPEC.md declared once, in the style of dbt metrics.

Everything else derives from `KPIS`: the engine's file order, the config's `KpiKey`,
attainment directions, the report's formats and order, the dashboard's labels and
units, and (CRM-neutrally: a unit and display decimals, never a CRM type) the fields a
CRM writer creates. Adding a KPI is one `Kpi(...)` here and its SQL file; adding a CRM
never edits this module. It is the lowest layer: it imports only `connector.schema`.

How a writer reads it::

    for k in KPIS:              # declaration (display) order
        k.key, k.label, k.definition, k.unit, k.decimals, k.signed, k.higher_is_better
    get_kpi("nps").unit         # "score"

A KPI result has a value and a target in `unit`, and an attainment and a pace in
`ATTAINMENT_UNIT` (a fraction, 1.0 = on target). Pace exists only for KPIs that
`accumulate` over a period, and only for the period in progress.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from connector.schema import CONTACT_METHODS

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
"""A KPI key, usable as a pydantic field type. Spelled out because type checkers need a
literal; the module checks on import that it lists exactly the keys of `KPIS`, in order."""

Unit = Literal["money", "ratio", "days", "score", "multiple"]
"""What a value is. money: an amount in the reporting currency. ratio: a fraction stored
as such (0.45) and shown as a percentage (45 %). days: a number of days. score: a plain
number on its own scale (NPS: -100 to 100). multiple: x in "x:1" (CLV : CAC)."""

UNITS: tuple[Unit, ...] = get_args(Unit)
ATTAINMENT_UNIT: Unit = "ratio"
"""Attainment and pace are fractions (1.0 = on target) whatever the KPI's unit."""

Breakdown = Literal["customer_type", "contact_method", "product"]
"""The breakdown types of kpi_results (`breakdown_type`)."""

BREAKDOWN_VALUES: dict[Breakdown, tuple[str, ...]] = {
    "contact_method": CONTACT_METHODS,
    "customer_type": ("new", "existing"),
}
"""The values a breakdown can take, where they are fixed (a product is whatever the line
items name): KPI 7 has one row per contact method, so a writer can make a field of each."""

Better = Literal["higher", "lower"]


@dataclass(frozen=True)
class Kpi:
    """One KPI: what it is called, how it is computed, and how its values read."""

    key: KpiKey
    sql: str
    """Its SQL file in connector/kpi/sql: a SELECT of kpi_values rows with this key."""
    unit: Unit
    better: Better
    label: str
    """Its human name ("Net Promoter Score"), for CRM field labels and reports."""
    short_label: str
    """A name that fits a dashboard tile ("NPS")."""
    definition: str
    """One line from KPI_SPEC.md, usable as a CRM field's help text."""
    decimals: int
    """Decimals shown (of the percentage, for a ratio). Values are stored unrounded."""
    signed: bool = False
    """Negative is an ordinary value (growth, NPS): attainment is then null when the
    actual or the target is not positive, instead of a misleading quotient."""
    breakdowns: tuple[Breakdown, ...] = ()
    """The breakdown types of its rows, besides the rows of a whole scope."""
    split_by: Breakdown | None = None
    """Set when its values exist only per value of this breakdown (KPI 7: one rate per
    contact method): it then has no whole-scope row, and targets apply per breakdown."""
    inputs: tuple[KpiKey, ...] = ()
    """The KPIs its SQL reads from kpi_values (a derived KPI runs after them)."""
    additive: bool = False
    """Its values add up across scopes (a team's revenue is the sum of its reps'), so a
    team's target may be the sum of its reps' (`kpis.target_rollup`). Ratios, averages
    and scores do not add up, and neither do their targets."""
    accumulates: bool = False
    """Its value builds up over the period (revenue), so that the period in progress has
    a pace: actual / (target x elapsed share of the period). A ratio, an average or a
    score is already a to-date figure comparable with the whole period's target: it has
    no pace (NULL); its attainment is the to-date reading."""

    @property
    def higher_is_better(self) -> bool:
        """True when more is better; attainment is then actual / target, else the inverse."""
        return self.better == "higher"


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "total_revenue", "01_total_revenue.sql", "money", "higher",
        "Total revenue", "Revenue",
        "Sum of the amounts of the deals won with a close date in the period, in the "
        "reporting currency.",
        decimals=0, breakdowns=("customer_type", "contact_method", "product"),
        additive=True, accumulates=True,
    ),
    Kpi(
        "gross_margin", "02_gross_margin.sql", "ratio", "higher",
        "Gross margin", "Gross margin",
        "(Revenue − cost of goods sold) / revenue over the deals won in the period; COGS "
        "from line-item costs, else the deal's cost, else the default COGS rate.",
        decimals=1, breakdowns=("product",),
    ),
    Kpi(
        "sales_growth", "03_sales_growth.sql", "ratio", "higher",
        "Sales growth", "Sales growth",
        "(Revenue of the period − revenue of the comparison period) / revenue of the "
        "comparison period: the previous period, or the same period a year earlier.",
        decimals=1, signed=True,
    ),
    Kpi(
        "lead_to_opportunity", "04_lead_to_opportunity.sql", "ratio", "higher",
        "Lead-to-opportunity ratio", "Lead → opportunity",
        "Opportunities created in the period that came from a lead / leads created in "
        "the period.",
        decimals=1,
    ),
    Kpi(
        "closing_ratio", "05_closing_ratio.sql", "ratio", "higher",
        "Sales closing ratio", "Closing ratio",
        "Deals won in the period / opportunities created in the period (or deals closed, "
        "won or lost, in the period, with closing_basis: closed).",
        decimals=1,
    ),
    Kpi(
        "lead_to_sale", "06_lead_to_sale.sql", "ratio", "higher",
        "Lead-to-sale ratio", "Lead → sale",
        "Deals won in the period that came from a lead / leads created in the period.",
        decimals=1,
    ),
    Kpi(
        "sales_by_contact_method", "07_sales_by_contact_method.sql", "ratio", "higher",
        "Sales by contact method", "Sales by contact method",
        "Per contact method: deals won in the period by that method / contact attempts "
        "(activities) by that method in the period.",
        decimals=1, breakdowns=("contact_method",), split_by="contact_method",
    ),
    Kpi(
        "avg_sales_cycle_days", "08_avg_sales_cycle_days.sql", "days", "lower",
        "Average sales-cycle length", "Sales cycle",
        "Mean number of days from first contact to close over the deals won in the period.",
        decimals=1,
    ),
    Kpi(
        "arpa", "09_arpa.sql", "money", "higher",
        "Average revenue per account", "Revenue per account",
        "Revenue of the period / number of distinct accounts with a deal won in the period.",
        decimals=0,
    ),
    Kpi(
        "cac", "10_cac.sql", "money", "lower",
        "Customer acquisition cost", "CAC",
        "Sales and marketing cost of the period / new customers acquired in the period "
        "(accounts whose first won deal closed in it).",
        decimals=0,
    ),
    Kpi(
        "clv", "11_clv.sql", "money", "higher",
        "Customer lifetime value", "CLV",
        "Average deal value × purchases per customer per year × customer lifespan in "
        "years, over the 12 months ending with the period.",
        decimals=0,
    ),
    Kpi(
        "clv_to_cac", "15_clv_to_cac.sql", "multiple", "higher",
        "CLV to CAC ratio", "CLV : CAC",
        "Customer lifetime value / customer acquisition cost of the same period; a "
        "target of 3 means 3:1.",
        decimals=1, inputs=("clv", "cac"),
    ),
    Kpi(
        "retention_rate", "12_retention_rate.sql", "ratio", "higher",
        "Customer retention rate", "Retention",
        "(Customers at the end of the period − new customers in it) / customers at its "
        "start.",
        decimals=1,
    ),
    Kpi(
        "churn_rate", "13_churn_rate.sql", "ratio", "lower",
        "Churn rate", "Churn",
        "Customers lost in the period / customers at its start, or customers acquired in "
        "it, as churn_basis says.",
        decimals=1,
    ),
    Kpi(
        "nps", "14_nps.sql", "score", "higher",
        "Net Promoter Score", "NPS",
        "% promoters (scores 9–10) − % detractors (0–6) among the survey responses "
        "received in the period: a number from −100 to 100.",
        decimals=0, signed=True,
    ),
)  # fmt: skip

_BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}

KPI_KEYS: tuple[KpiKey, ...] = tuple(k.key for k in KPIS)
"""Every key, in declaration order: the order of reports, dashboards and CRM fields."""

HIGHER_IS_BETTER: dict[str, bool] = {k.key: k.higher_is_better for k in KPIS}

ADDITIVE_KEYS: tuple[KpiKey, ...] = tuple(k.key for k in KPIS if k.additive)
"""The KPIs whose targets may be rolled up from the reps' (`kpis.target_rollup`)."""

ENGINE_ORDER: tuple[Kpi, ...] = tuple(sorted(KPIS, key=lambda k: bool(k.inputs)))
"""The order the engine runs the KPI files in: derived KPIs after the ones they read."""


def get_kpi(key: str) -> Kpi:
    """The KPI with this key; KeyError naming the known keys if there is none."""
    try:
        return _BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown KPI {key!r}; known: {', '.join(KPI_KEYS)}") from None


def _check_registry() -> None:
    """What the type checker cannot see: KpiKey and KPIS agree, and derived KPIs read
    only KPIs that are not derived themselves (so one pass of ENGINE_ORDER suffices)."""
    if get_args(KpiKey) != KPI_KEYS:
        raise ValueError(f"KpiKey {get_args(KpiKey)} does not list the KPIS keys {KPI_KEYS}")
    for k in KPIS:
        if any(get_kpi(i).inputs for i in k.inputs):
            raise ValueError(f"{k.key}: reads a derived KPI, which ENGINE_ORDER cannot order")
        if k.split_by is not None and k.split_by not in k.breakdowns:
            raise ValueError(f"{k.key}: split_by {k.split_by} is not one of its breakdowns")


_check_registry()
