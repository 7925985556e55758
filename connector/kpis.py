"""The KPI registry: each KPI declared once, in the style of dbt metrics (docs/kpis.md,
rendered from this registry, is the reference people read).

Everything else derives from `KPIS`: the engine's file order, the config's `KpiKey`,
attainment directions, the report's formats and order, the dashboard's labels and
units, and (CRM-neutrally: a unit and display decimals, never a CRM type) the fields a
CRM writer creates. Adding a KPI is one `Kpi(...)` here and its SQL file; adding a CRM
never edits this module. It is the lowest layer: it imports only `connector.schema`.

How a writer reads it::

    for k in KPIS:              # declaration (display) order
        k.key, k.label, k.definition, k.unit, k.decimals, k.signed, k.higher_is_better
    get_kpi("nps").unit         # "score"
    get_kpi("churn_rate").basis.meaning("start")   # what the chosen basis means to a rep

A KPI result has a value and a target in `unit`, and an attainment and a pace in
`ATTAINMENT_UNIT` (a fraction, 1.0 = on target). Pace exists only for KPIs that
`accumulate` over a period, and only for the period in progress, once enough of it has
passed (`kpis.pace` in config.yaml).
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
class Basis:
    """A choice of definition a KPI offers (`kpis.<setting>` in config.yaml), each option
    with what it means in the words a rep reads beside the figure (never the config key:
    "counted over the opportunities created in the period")."""

    setting: str
    default: str
    options: tuple[tuple[str, str], ...]
    """(option, its meaning), the default first."""

    def meaning(self, option: str) -> str:
        """What `option` means to a rep; KeyError naming the options if it is none."""
        for name, meaning in self.options:
            if name == option:
                return meaning
        raise KeyError(f"{self.setting}: unknown option {option!r}")

    @property
    def names(self) -> tuple[str, ...]:
        """The options, the default first."""
        return tuple(name for name, _ in self.options)


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
    """One line in a rep's words, usable as a CRM field's help text (no config keys)."""
    formula: str
    """The formula for a period P, as docs/kpis.md states it."""
    example: str
    """docs/kpis.md's worked example: a sentence with `{numerator:…}`, `{denominator:…}`
    and `{value}` (formats: money, count, days, ratio, score) that the KPI engine fills
    from its own result on the example org, so that the example cannot drift."""
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
    basis: Basis | None = None
    """The definition choice it offers, if any (closing ratio, growth, churn)."""
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


CLOSING_BASIS = Basis("closing_basis", "created", (
    ("created", "counted over the opportunities created in the period: deals won ÷ "
                "opportunities created"),
    ("closed", "counted over the deals closed in the period: deals won ÷ deals won or lost"),
))
GROWTH_BASIS = Basis("growth_basis", "previous", (
    ("previous", "compared with the period before"),
    ("year_over_year", "compared with the same period a year earlier"),
))
CHURN_BASIS = Basis("churn_basis", "start", (
    ("start", "counted over the customers at the start of the period: customers lost ÷ "
              "customers at the start"),
    ("acquired", "counted over the customers won in the period: customers lost ÷ new "
                 "customers (above 100 % when few are won)"),
))

KPIS: tuple[Kpi, ...] = (
    Kpi(
        "total_revenue", "01_total_revenue.sql", "money", "higher",
        "Total revenue", "Revenue",
        "Sum of the amounts of the deals won with a close date in the period, in the "
        "reporting currency.",
        "Σ amount of the deals won with a close date in P, each converted at the rate of "
        "its close date",
        "the deals won in the month add up to {value}",
        decimals=0, breakdowns=("customer_type", "contact_method", "product"),
        additive=True, accumulates=True,
    ),
    Kpi(
        "gross_margin", "02_gross_margin.sql", "ratio", "higher",
        "Gross margin", "Gross margin",
        "(Revenue − cost of goods sold) / revenue over the deals won in the period; COGS "
        "from line-item costs, else the deal's cost, else the default COGS rate.",
        "(revenue(P) − COGS(P)) / revenue(P) over the deals of total revenue; COGS of a deal: "
        "its line items' cost, else its cost field, else the default COGS rate × amount",
        "{numerator:money} left after the cost of goods on {denominator:money} of revenue "
        "is a margin of {value}",
        decimals=1, breakdowns=("product",),
    ),
    Kpi(
        "sales_growth", "03_sales_growth.sql", "ratio", "higher",
        "Sales growth", "Sales growth",
        "(Revenue of the period − revenue of the comparison period) / revenue of the "
        "comparison period. While the period runs, its days so far are compared with the "
        "same days of the comparison period.",
        "(revenue(P) − revenue(P′)) / revenue(P′), P′ the previous period or the same period "
        "a year earlier; for the period in progress, both over their first d days, d the "
        "days elapsed in P (today included)",
        "{numerator:money} more than the {denominator:money} won the month before is a "
        "growth of {value}",
        decimals=1, signed=True, basis=GROWTH_BASIS,
    ),
    Kpi(
        "lead_to_opportunity", "04_lead_to_opportunity.sql", "ratio", "higher",
        "Lead-to-opportunity ratio", "Lead → opportunity",
        "Opportunities created in the period that came from a lead / leads created in "
        "the period.",
        "opportunities created in P from a lead / leads created in P",
        "{numerator:count} opportunities from a lead out of {denominator:count} leads "
        "created is {value}",
        decimals=1,
    ),
    Kpi(
        "closing_ratio", "05_closing_ratio.sql", "ratio", "higher",
        "Sales closing ratio", "Closing ratio",
        "Deals won in the period / opportunities created in it, or / deals closed (won or "
        "lost) in it.",
        "deals won in P / opportunities created in P (basis created), or / deals won or lost "
        "in P (basis closed)",
        "{numerator:count} deals won out of {denominator:count} opportunities created is "
        "{value}",
        decimals=1, basis=CLOSING_BASIS,
    ),
    Kpi(
        "lead_to_sale", "06_lead_to_sale.sql", "ratio", "higher",
        "Lead-to-sale ratio", "Lead → sale",
        "Deals won in the period that came from a lead / leads created in the period.",
        "deals won in P that came from a lead / leads created in P",
        "{numerator:count} won deals from a lead out of {denominator:count} leads created "
        "is {value}",
        decimals=1,
    ),
    Kpi(
        "sales_by_contact_method", "07_sales_by_contact_method.sql", "ratio", "higher",
        "Sales by contact method", "Sales by contact method",
        "Per contact method: deals won in the period by that method / contact attempts "
        "(activities) by that method in the period.",
        "per contact method m: deals won in P by m / contact attempts (activities) by m in P",
        "by phone, {numerator:count} deals won for {denominator:count} calls is {value}",
        decimals=1, breakdowns=("contact_method",), split_by="contact_method",
    ),
    Kpi(
        "avg_sales_cycle_days", "08_avg_sales_cycle_days.sql", "days", "lower",
        "Average sales-cycle length", "Sales cycle",
        "Mean number of days from first contact to close over the deals won in the period.",
        "mean over the deals won in P of (close date − first contact), first contact the "
        "earliest of the lead's creation, the first activity and the deal's creation",
        "{numerator:days} from first contact to close over {denominator:count} won deals "
        "is {value} on average",
        decimals=1,
    ),
    Kpi(
        "arpa", "09_arpa.sql", "money", "higher",
        "Average revenue per account", "Revenue per account",
        "Revenue of the period / number of distinct accounts with a deal won in the period.",
        "revenue(P) / distinct accounts with a deal won in P",
        "{numerator:money} won from {denominator:count} accounts is {value} per account",
        decimals=0,
    ),
    Kpi(
        "cac", "10_cac.sql", "money", "lower",
        "Customer acquisition cost", "CAC",
        "Sales and marketing cost of the period / new customers acquired in the period "
        "(accounts whose first won deal closed in it).",
        "sales and marketing cost of P / accounts whose first-ever won deal closed in P",
        "{numerator:money} of sales and marketing cost for {denominator:count} new "
        "customers is {value} each",
        decimals=0,
    ),
    Kpi(
        "clv", "11_clv.sql", "money", "higher",
        "Customer lifetime value", "CLV",
        "Average deal value × purchases per customer per year × customer lifespan in "
        "years, over the 12 months ending with the period.",
        "average deal value × deals per customer per year × lifespan in years, over the 12 "
        "months ending with P; lifespan as configured, else 1 / annual churn rate",
        "{numerator:money} won in the 12 months from {denominator:count} customers, over "
        "the customer lifespan, is a lifetime value of {value}",
        decimals=0,
    ),
    Kpi(
        "clv_to_cac", "15_clv_to_cac.sql", "multiple", "higher",
        "CLV to CAC ratio", "CLV : CAC",
        "Customer lifetime value / customer acquisition cost of the same period; a "
        "target of 3 means 3:1.",
        "CLV(P) / CAC(P)",
        "a lifetime value of {numerator:money} for an acquisition cost of "
        "{denominator:money} is {value}",
        decimals=1, inputs=("clv", "cac"),
    ),
    Kpi(
        "retention_rate", "12_retention_rate.sql", "ratio", "higher",
        "Customer retention rate", "Retention",
        "(Customers at the end of the period − new customers in it) / customers at its "
        "start.",
        "(customers at the end of P − new customers in P still customers) / customers at "
        "the start of P",
        "{numerator:count} of the {denominator:count} customers of the start still "
        "customers at the end is {value}",
        decimals=1,
    ),
    Kpi(
        "churn_rate", "13_churn_rate.sql", "ratio", "lower",
        "Churn rate", "Churn",
        "Customers lost in the period / customers at its start, or / customers won in it.",
        "customers of the start of P lost in P / customers at the start of P (basis start), "
        "or customers lost in P / customers acquired in P (basis acquired)",
        "{numerator:count} of the {denominator:count} customers of the start lost is "
        "{value}",
        decimals=1, basis=CHURN_BASIS,
    ),
    Kpi(
        "nps", "14_nps.sql", "score", "higher",
        "Net Promoter Score", "NPS",
        "% promoters (scores 9–10) − % detractors (0–6) among the survey responses "
        "received in the period: a number from −100 to 100.",
        "100 × (promoters − detractors) / responses received in P; promoters score 9–10, "
        "detractors 0–6",
        "{numerator:count} more promoters than detractors among {denominator:count} "
        "responses is {value}",
        decimals=0, signed=True,
    ),
)  # fmt: skip

_BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}

BASES: dict[str, Basis] = {k.basis.setting: k.basis for k in KPIS if k.basis is not None}
"""Each definition setting of `kpis:` (closing_basis, ...) and what its options mean."""

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
