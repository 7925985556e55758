"""The SQL files of the KPI engine, in the order they run, and how each reaches an engine.

After the dialect file, every file is one portable SELECT that reads the tables before
it: a fact file `kpi_<name>.sql` becomes the temporary object `kpi_<name>`, a KPI file
(named by the registry, `connector.kpis`) becomes `kpi_value_<key>`, all of them read
together as the view `kpi_values`, and `kpi_attainment.sql` adds targets, attainment
and pace. `kpi_last_day.sql` says which day the data reaches. Settings reach the SQL as
bound parameters (`$currency`; each engine binds them its own way); only the dialect's
helpers, which cannot take parameters, get a checked literal (`{{timezone}}`).

Portable means: types STRING, DOUBLE, BIGINT, DATE, BOOLEAN; divisions of counts
`CAST(x AS DOUBLE) / y` (a `1.0` literal makes a DECIMAL on Spark); dates through the
dialect's helpers only; every temporary object made by the engine (`SqlEngine`), never
by a file.

Conventions of every file: deleted records are left out in the facts, once, so that they
leave every KPI; the company scope's id is '' so that scopes can be joined on; `src_<table>`
are the normalized tables of the sources being computed (all, or one).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from connector.kpis import ENGINE_ORDER, Kpi
from connector.store.db import ident

if TYPE_CHECKING:
    from connector.kpi.sqlengine import SqlEngine

DIALECTS: tuple[str, ...] = ("dialect_duckdb.sql", "dialect_spark.sql")
"""One file of helper functions per engine, with the same names and meanings."""

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

# The columns of every KPI file's rows, with the type kpi_values gives them.
VALUE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("kpi", "STRING"), ("period_type", "STRING"), ("period_key", "STRING"),
    ("scope_type", "STRING"), ("scope_id", "STRING"), ("breakdown_type", "STRING"),
    ("breakdown_value", "STRING"), ("value", "DOUBLE"), ("numerator", "DOUBLE"),
    ("denominator", "DOUBLE"), ("note", "STRING"),
)  # fmt: skip

_PARAMETER = re.compile(r"\$([a-z_][a-z0-9_]*)")
_TIMEZONE_NAME = re.compile(r"^[A-Za-z0-9_+\-/]+$")


def engine_files(dialect: str = DIALECTS[0]) -> tuple[str, ...]:
    """Every SQL file an engine of this dialect runs, in order."""
    facts = tuple(f"{name}.sql" for name in FACTS)
    return (dialect, *facts, *(k.sql for k in ENGINE_ORDER), ACCOUNT_FIGURES, ATTAINMENT,
            LAST_DAY)


def parameters(sql: str) -> list[str]:
    """The `$name` parameters of `sql`, in order of appearance (repeats included)."""
    return _PARAMETER.findall(sql)


def with_markers(sql: str, marker: str) -> str:
    """`sql` with each `$name` written `{marker}name` (Spark's named markers are `:name`)."""
    return _PARAMETER.sub(lambda m: marker + m.group(1), sql)


def read_sql(name: str) -> str:
    """The text of one file of connector/kpi/sql (package data)."""
    files = resources.files("connector.kpi").joinpath("sql")
    return files.joinpath(name).read_text(encoding="utf-8")


def bind(sql: str, settings: Mapping[str, object]) -> dict[str, object]:
    """The `$name` parameters `sql` uses, with their values (DuckDB refuses extra ones);
    ValueError for a parameter that is not a setting."""
    names = set(parameters(sql))
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


def create_helpers(engine: SqlEngine, timezone: str) -> None:
    """Run the engine's dialect file: its helper functions, for the org time zone."""
    text = read_sql(engine.dialect).replace("{{timezone}}", timezone_literal(timezone))
    engine.run_script(list(_statements(text)))


def build_facts(engine: SqlEngine, settings: Mapping[str, object]) -> None:
    """Create the fact tables, in order."""
    for name in FACTS:
        sql = read_sql(f"{name}.sql")
        engine.materialize(name, sql, bind(sql, settings))


def compute_values(engine: SqlEngine, settings: Mapping[str, object]) -> None:
    """Materialize every KPI on its own (a union of all their lineages at once can run a
    Spark driver out of memory), then gather them into kpi_values, itself materialized
    (read by the derived KPIs and by attainment); derived KPIs after the others."""
    done: list[Kpi] = []
    for kpi in ENGINE_ORDER:
        if kpi.inputs and not any(k.inputs for k in done):
            engine.materialize("kpi_values", _union(done), {})
        sql = read_sql(kpi.sql)
        engine.materialize(value_table(kpi), sql, bind(sql, settings))
        done.append(kpi)
    engine.materialize("kpi_values", _union(done), {})


def value_table(kpi: Kpi) -> str:
    """The temporary object holding one KPI's rows."""
    return ident(f"kpi_value_{kpi.key}")


def _union(kpis: list[Kpi]) -> str:
    columns = ", ".join(f"CAST({name} AS {kind}) AS {name}" for name, kind in VALUE_COLUMNS)
    return " UNION ALL ".join(f"SELECT {columns} FROM {value_table(k)}" for k in kpis)


def last_day(engine: SqlEngine, settings: Mapping[str, object]) -> dt.date | None:
    """The last org-local day up to as_of with sales activity (None without any)."""
    sql = read_sql(LAST_DAY)
    rows = engine.fetch(sql, bind(sql, settings))
    found = rows[0][0] if rows else None
    return found if isinstance(found, dt.date) else None


def _statements(text: str) -> Iterator[str]:
    for statement in text.split(";\n"):
        code = [line for line in statement.splitlines() if not line.strip().startswith("--")]
        if any(line.strip() for line in code):
            yield statement
