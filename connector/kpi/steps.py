"""The SQL files of the KPI engine, in the order they run, and how each reaches the store.

After the dialect file, every file is one portable SELECT that reads the tables before
it: a fact file `kpi_<name>.sql` becomes the temporary table `kpi_<name>`, a KPI file
(named by the registry, `connector.kpis`) appends its rows to `kpi_values`, and
`kpi_attainment.sql` adds targets, attainment and pace. `kpi_last_day.sql` says which
day the data reaches. Settings reach the SQL as bound
parameters (`$currency`); only the dialect's macros, which cannot take parameters, get
a checked literal (`{{timezone}}`).

Conventions of every file: deleted records are left out in the facts, once, so that they
leave every KPI; the company scope's id is '' so that scopes can be joined on; `src_<table>`
are the normalized tables of the sources being computed (all, or one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.kpis import ENGINE_ORDER
from connector.store import Store
from connector.store.db import ident

DIALECT = "dialect_duckdb.sql"

FACTS: tuple[str, ...] = (
    "kpi_owner",  # live owners and the key of their owner scope
    "kpi_rates",  # the rate to the reporting currency of each currency on each day
    "kpi_lead_link",  # the lead converted into each deal
    "kpi_won_refs",  # won deals and their leads, whose first activity KPI 8 needs
    "kpi_first_activity",  # the first activity day of those deals and leads
    "kpi_line_totals",  # COGS inputs per deal, from its line items
    "kpi_deals",  # live deals: scope, rate, COGS, originating lead, first contact
    "kpi_customers",  # accounts from their first won deal to their churn date
    "kpi_deal_customer",  # new or existing customer, per won deal
    "kpi_won",  # won deals by close period and scope, in the reporting currency
    "kpi_deal_events",  # deals created and closed per period and scope
    "kpi_lead_counts",  # leads created per period and scope
    "kpi_activity_counts",  # contact attempts per period, scope and method
    "kpi_customer_flow",  # customers at start and end, acquired and lost, per period
    "kpi_cost_totals",  # sales and marketing cost per period and scope
    "kpi_won_lines",  # line items of won deals, for the product breakdowns
    "kpi_missing_rates",  # records without an exchange rate (data-quality findings)
    "kpi_scopes",  # every scope with data
    "kpi_grid",  # the requested periods by the requested scopes: the rows of each KPI
    "kpi_target_values",  # the target of each requested period and scope
)
ATTAINMENT = "kpi_attainment.sql"
ACCOUNT_FIGURES = "account_figures.sql"  # each account's own figures, after the KPIs
LAST_DAY = "kpi_last_day.sql"

VALUES_DDL = """CREATE OR REPLACE TEMP TABLE kpi_values (
  kpi VARCHAR, period_type VARCHAR, period_key VARCHAR, scope_type VARCHAR,
  scope_id VARCHAR, breakdown_type VARCHAR, breakdown_value VARCHAR, value DOUBLE,
  numerator DOUBLE, denominator DOUBLE, note VARCHAR)"""

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_TIMEZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def engine_files() -> tuple[str, ...]:
    """Every SQL file the engine runs, in order."""
    facts = tuple(f"{name}.sql" for name in FACTS)
    return (DIALECT, *facts, *(k.sql for k in ENGINE_ORDER), ACCOUNT_FIGURES, ATTAINMENT,
            LAST_DAY)


def read_sql(name: str) -> str:
    """The text of one file of connector/kpi/sql (package data)."""
    files = resources.files("connector.kpi").joinpath("sql")
    return files.joinpath(name).read_text(encoding="utf-8")


def bind(sql: str, settings: Mapping[str, object]) -> dict[str, object]:
    """The `$name` parameters `sql` uses, with their values (DuckDB refuses extra ones);
    ValueError for a parameter that is not a setting."""
    names = set(_PARAMETER.findall(sql))
    unknown = names - set(settings)
    if unknown:
        raise ValueError(f"unknown SQL parameter(s): {', '.join(sorted(unknown))}")
    return {name: settings[name] for name in sorted(names)}


def timezone_literal(name: str) -> str:
    """An IANA time-zone name as an SQL literal, after checking that it is one."""
    if not _TIMEZONE_NAME.match(name):
        raise ValueError(f"not a time-zone name: {name!r}")
    try:
        ZoneInfo(name)
    except ZoneInfoNotFoundError:
        raise ValueError(f"unknown time zone: {name!r}") from None
    return f"'{name}'"


def create_helpers(store: Store, timezone: str) -> None:
    """Run the dialect file: the engine-specific date helpers, for the org time zone."""
    text = read_sql(DIALECT).replace("{{timezone}}", timezone_literal(timezone))
    for statement in _statements(text):
        store.execute(statement)


def build_facts(store: Store, settings: Mapping[str, object]) -> None:
    """Create the fact tables, in order."""
    for name in FACTS:
        sql = read_sql(f"{name}.sql")
        store.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {sql}", bind(sql, settings))


def compute_values(store: Store, settings: Mapping[str, object]) -> None:
    """Fill kpi_values with every KPI's rows, in engine order."""
    store.execute(VALUES_DDL)
    for kpi in ENGINE_ORDER:
        sql = read_sql(kpi.sql)
        store.execute(f"INSERT INTO kpi_values {sql}", bind(sql, settings))


def last_day(store: Store, settings: Mapping[str, object]) -> dt.date | None:
    """The last org-local day up to as_of with sales activity (None without any)."""
    sql = read_sql(LAST_DAY)
    found = store.scalar(sql, bind(sql, settings))
    return found if isinstance(found, dt.date) else None


def _statements(text: str) -> Iterator[str]:
    for statement in text.split(";\n"):
        code = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        if any(line.strip() for line in code):
            yield statement
