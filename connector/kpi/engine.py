"""The KPI engine: runs the SQL definitions in `sql/` over the normalized tables.

Python only builds the small calendar tables (periods, months, days, scopes, targets)
and substitutes validated settings into the SQL; every KPI is computed by its own SQL
file, so the same definitions can run on another SQL engine (see `dialect_duckdb.sql`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from connector.kpi.periods import Period, add_months, months_of, periods_between
from connector.kpi_keys import HIGHER_IS_BETTER
from connector.schema import CONTACT_METHODS
from connector.settings import KpiSettings, Reporting, Target
from connector.store import Store

SCOPE_TYPES: tuple[str, ...] = ("company", "team", "owner", "territory")

# Periods of each type in a year: the year-over-year comparison period is that many back.
_PER_YEAR: dict[str, int] = {"month": 12, "quarter": 4, "year": 1}

KPI_FILES: tuple[str, ...] = (
    "01_total_revenue.sql",
    "02_gross_margin.sql",
    "03_sales_growth.sql",
    "04_lead_to_opportunity.sql",
    "05_closing_ratio.sql",
    "06_lead_to_sale.sql",
    "07_sales_by_contact_method.sql",
    "08_avg_sales_cycle_days.sql",
    "09_arpa.sql",
    "10_cac.sql",
    "11_clv.sql",
    "12_retention_rate.sql",
    "13_churn_rate.sql",
    "14_nps.sql",
    "15_clv_to_cac.sql",
)

RESULTS_DDL = """CREATE TABLE IF NOT EXISTS kpi_results (
  kpi VARCHAR, period_type VARCHAR, period VARCHAR, period_start DATE, period_end DATE,
  scope_type VARCHAR, scope_id VARCHAR, breakdown_type VARCHAR, breakdown_value VARCHAR,
  value DOUBLE, numerator DOUBLE, denominator DOUBLE, target DOUBLE, attainment DOUBLE,
  gap DOUBLE, note VARCHAR, computed_at TIMESTAMP, source VARCHAR)"""

# The normalized tables a computation reads, as src_<table> views (exchange rates are
# facts about currencies, shared by every source).
SOURCE_TABLES: tuple[str, ...] = (
    "owners", "accounts", "leads", "opportunities", "line_items", "activities",
    "survey_responses", "costs",
)  # fmt: skip

# Dates that place sales activity in time; their range decides which periods exist
# (rates and costs may reach far back without creating empty periods).
_DATE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("opportunities", "close_date"),
    ("opportunities", "created_at"),
    ("leads", "created_at"),
    ("activities", "occurred_at"),
    ("survey_responses", "responded_at"),
    ("accounts", "churned_at"),
)


@dataclass(frozen=True)
class ComputeResult:
    """What one computation produced."""

    rows: int
    periods: int
    findings: int
    seconds: float


def compute(
    store: Store,
    reporting: Reporting,
    settings: KpiSettings,
    targets: Sequence[Target] = (),
    *,
    periods: Sequence[Period] | None = None,
    scope_types: Sequence[str] = SCOPE_TYPES,
    as_of: dt.date | None = None,
    source: str | None = None,
    merge_owners_by_email: bool = False,
) -> ComputeResult:
    """Compute every KPI for `periods` (default: every period with data) into kpi_results.

    `as_of` is "today" in the org time zone; it bounds the default periods and decides
    whether a derived churn date has been reached. With `source`, only that source's
    records count and its results are stored under its name; without, every source
    counts and results have no source. `merge_owners_by_email` makes one owner scope of
    the users that several CRMs have for the same rep.
    """
    started = time.perf_counter()
    con = store.con
    today = as_of or dt.datetime.now(ZoneInfo(reporting.timezone)).date()
    wanted = list(periods) if periods is not None else None
    _source_views(store, source)
    all_periods, output = _period_plan(store, reporting, today, wanted)
    params = _params(reporting, settings, today)
    params["owner_key"] = (
        "COALESCE(lower(email), source || ':' || id)" if merge_owners_by_email else "id"
    )
    _load_calendar(store, reporting, all_periods, output, scope_types, targets)
    for statement in _statements("dialect_duckdb.sql", params):
        con.execute(statement)
    for statement in _statements("prepare.sql", params):
        con.execute(statement)
    _scopes_and_grid(store)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE kpi_values AS " + _sql("01_total_revenue.sql", params)
    )
    for name in KPI_FILES[1:]:
        con.execute("INSERT INTO kpi_values " + _sql(name, params))
    # Findings are about records, whichever computation reads them: the all-sources one
    # records them, once.
    findings = _record_findings(store) if source is None else 0
    rows = _store_results(store, output, source, replace_all=wanted is None)
    return ComputeResult(rows, len(output), findings, time.perf_counter() - started)


def _period_plan(
    store: Store, reporting: Reporting, today: dt.date, wanted: list[Period] | None
) -> tuple[list[Period], list[Period]]:
    """(every period the SQL may refer to, the periods to output)."""
    first, last = _data_range(store, reporting)
    first = min(first or today, today)
    last = max(last or today, today)
    fiscal = reporting.fiscal_year_start_month
    # By default: every period from the first record up to today (not the future).
    output = periods_between(first, today, fiscal) if wanted is None else wanted
    earliest = min([first, *(p.start for p in output)])
    latest = max([last, *(p.end for p in output)])
    # Growth looks a year back and CLV twelve months back: cover them.
    support = periods_between(add_months(earliest, -24), latest, fiscal)
    return sorted(set(support) | set(output)), output


def _data_range(store: Store, reporting: Reporting) -> tuple[dt.date | None, dt.date | None]:
    parts = []
    for table, column in _DATE_COLUMNS:
        # Deleted records leave every KPI, and so do the periods only they would create.
        parts.append(
            f"SELECT min({column}) AS lo, max({column}) AS hi FROM src_{table} WHERE NOT is_deleted"
        )
    row = store.con.execute(
        "SELECT CAST(min(lo) AS DATE), CAST(max(hi) AS DATE) FROM ("
        + " UNION ALL ".join(parts)
        + ")"
    ).fetchone()
    if row is None:
        return None, None
    # Timestamps are UTC; a day of margin covers the org time zone's offset.
    lo = row[0] - dt.timedelta(days=1) if row[0] else None
    hi = row[1] + dt.timedelta(days=1) if row[1] else None
    return lo, hi


def _params(reporting: Reporting, settings: KpiSettings, today: dt.date) -> dict[str, str]:
    return {
        "timezone": _literal(reporting.timezone),
        "currency": _literal(reporting.currency),
        "as_of": f"DATE {_literal(today.isoformat())}",
        "default_cogs_rate": _literal(settings.default_cogs_rate),
        "churn_after_days": _literal(settings.churn_after_days),
        "clv_lifespan_years": _literal(settings.clv_lifespan_years),
        "closing_basis": _literal(settings.closing_basis),
        "growth_basis": _literal(settings.growth_basis),
        "churn_basis": _literal(settings.churn_basis),
    }


def _literal(value: object) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _sql(name: str, params: dict[str, str]) -> str:
    text = (
        resources.files("connector.kpi").joinpath("sql").joinpath(name).read_text(encoding="utf-8")
    )
    for key, value in params.items():
        text = text.replace("{{" + key + "}}", value)
    if "{{" in text:
        raise ValueError(f"{name}: unknown template parameter near {text[text.index('{{') :][:40]}")
    return text


def _statements(name: str, params: dict[str, str]) -> Iterable[str]:
    for statement in _sql(name, params).split(";\n"):
        if statement.strip() and not all(
            line.strip().startswith("--") or not line.strip() for line in statement.splitlines()
        ):
            yield statement


def _load_calendar(
    store: Store,
    reporting: Reporting,
    all_periods: list[Period],
    output: list[Period],
    scope_types: Sequence[str],
    targets: Sequence[Target],
) -> None:
    fiscal = reporting.fiscal_year_start_month
    wanted = set(output)
    period_rows = [
        (
            p.period_type,
            p.key,
            p.start,
            p.end,
            p.shifted(-1, fiscal).key,
            p.shifted(-_PER_YEAR[p.period_type], fiscal).key,
            add_months(p.end, -12),
            p in wanted,
        )
        for p in all_periods
    ]
    months = sorted({m for p in all_periods for m in months_of(p)})
    month_rows = [
        (p.start, q.period_type, q.key)
        for p in all_periods
        if p.period_type == "month"
        for q in all_periods
        if q.start <= p.start < q.end
    ]
    # Only CLV reads trailing windows, and only for the periods it outputs.
    trailing_rows = [
        (add_months(p.end, -k), p.period_type, p.key) for p in output for k in range(1, 13)
    ]
    first, last = months[0], add_months(months[-1], 1)
    _table(store, "kpi_months", "month_start DATE", [(m,) for m in [*months, last]])
    _table(
        store,
        "kpi_utc_months",
        "utc_month TIMESTAMP, boundary TIMESTAMP, month_before DATE, month_after DATE",
        utc_month_rows(months, reporting.timezone),
    )
    _table(
        store,
        "kpi_periods",
        "period_type VARCHAR, period_key VARCHAR, start_date DATE, "
        "end_date DATE, prev_key VARCHAR, yoy_key VARCHAR, trailing_start DATE, "
        "requested BOOLEAN",
        period_rows,
    )
    _table(
        store,
        "kpi_period_months",
        "month_start DATE, period_type VARCHAR, period_key VARCHAR",
        month_rows,
    )
    _table(
        store,
        "kpi_trailing_months",
        "month_start DATE, period_type VARCHAR, period_key VARCHAR",
        trailing_rows,
    )
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE kpi_days AS SELECT CAST(d AS DATE) AS day "
        "FROM range(?::DATE, ?::DATE, INTERVAL 1 DAY) r(d)",
        [first, last],
    )
    _table(store, "kpi_scope_types", "scope_type VARCHAR", [(s,) for s in scope_types])
    _table(store, "kpi_contact_methods", "method VARCHAR", [(m,) for m in CONTACT_METHODS])
    _table(
        store,
        "kpi_directions",
        "kpi VARCHAR, higher_is_better BOOLEAN",
        list(HIGHER_IS_BETTER.items()),
    )
    _table(
        store,
        "kpi_targets",
        "kpi VARCHAR, period_type VARCHAR, scope_type VARCHAR, scope_id VARCHAR, value DOUBLE",
        [(t.kpi, t.period_type, t.scope_type, t.scope_id or "", t.value) for t in targets],
    )


def _source_views(store: Store, source: str | None) -> None:
    where = "" if source is None else f" WHERE source = {_literal(source)}"
    for table in SOURCE_TABLES:
        store.con.execute(
            f"CREATE OR REPLACE TEMP VIEW src_{table} AS SELECT * FROM {table}{where}"
        )


def utc_month_rows(
    months: Sequence[dt.date], timezone: str
) -> list[tuple[dt.datetime, dt.datetime, dt.date, dt.date]]:
    """Per UTC month: the instant a local month begins inside it, and the months around.

    A UTC timestamp ts in UTC month M is in local month `month_before` if ts < boundary,
    else `month_after`: an equi-join plus a comparison, instead of a time-zone
    conversion for each of millions of activities.
    """
    zone = ZoneInfo(timezone)
    rows = []
    for month in months:
        utc_start = dt.datetime(month.year, month.month, 1)
        utc_end = dt.datetime.combine(add_months(month, 1), dt.time())
        for local in (add_months(month, -1), month, add_months(month, 1)):
            instant = _utc_instant(local, zone)
            if utc_start <= instant < utc_end:
                rows.append((utc_start, instant, add_months(local, -1), local))
                break
        else:
            rows.append((utc_start, utc_start, month, month))
    return rows


def _utc_instant(local_month: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The naive UTC instant at which `local_month` begins in `zone`."""
    local = dt.datetime.combine(local_month, dt.time(), tzinfo=zone)
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _scopes_and_grid(store: Store) -> None:
    store.con.execute("""
        CREATE OR REPLACE TEMP TABLE kpi_scopes AS
        SELECT 'company' AS scope_type, '' AS scope_id
        UNION SELECT 'team', team FROM kpi_owner WHERE team IS NOT NULL
        UNION SELECT 'owner', owner_key FROM kpi_owner
        UNION SELECT 'territory', territory FROM kpi_owner WHERE territory IS NOT NULL
        UNION SELECT 'territory', territory FROM src_accounts
              WHERE NOT is_deleted AND territory IS NOT NULL
        UNION SELECT 'territory', territory FROM src_opportunities
              WHERE NOT is_deleted AND territory IS NOT NULL""")
    store.con.execute("""
        CREATE OR REPLACE TEMP TABLE kpi_grid AS
        SELECT p.period_type, p.period_key, s.scope_type, s.scope_id
        FROM kpi_periods p CROSS JOIN kpi_scopes s
        JOIN kpi_scope_types st ON st.scope_type = s.scope_type
        WHERE p.requested""")


def _table(store: Store, name: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    store.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} ({columns})")
    if rows:
        # One statement with a list per column: executemany costs a round trip per row.
        select = ", ".join(f"unnest(${i + 1})" for i in range(len(rows[0])))
        store.con.execute(
            f"INSERT INTO {name} SELECT {select}", [list(c) for c in zip(*rows, strict=True)]
        )


def _record_findings(store: Store) -> int:
    con = store.con
    con.execute("DELETE FROM findings WHERE origin = 'kpi engine'")
    con.execute("""
        INSERT INTO findings
        SELECT source, entity, 'kpi engine', NULL, id, 'currency', currency,
               'no exchange rate for ' || currency || ' on ' || CAST(first_day AS VARCHAR)
               || ': ' || effect, now()
        FROM kpi_missing_rates""")
    row = con.execute("SELECT count(*) FROM findings WHERE origin = 'kpi engine'").fetchone()
    return int(row[0]) if row else 0


def _store_results(
    store: Store, output: list[Period], source: str | None, *, replace_all: bool
) -> int:
    """Replace the results of the output periods; of every period after a full computation,
    so that a period that no longer has data (its records deleted) keeps no stale row.
    Only the results of the same `source` (None: all sources) are replaced."""
    con = store.con
    con.execute(RESULTS_DDL)
    # Stores written before results had a source get the column (NULL: all sources).
    con.execute("ALTER TABLE kpi_results ADD COLUMN IF NOT EXISTS source VARCHAR")
    mine = "source IS NOT DISTINCT FROM ?"
    requested = "(SELECT period_type, period_key FROM kpi_periods WHERE requested)"
    con.execute("BEGIN TRANSACTION")
    try:
        if replace_all:
            con.execute(f"DELETE FROM kpi_results WHERE {mine}", [source])
        con.execute(
            f"DELETE FROM kpi_results WHERE {mine} AND (period_type, period) IN {requested}",
            [source],
        )
        con.execute(
            "INSERT INTO kpi_results SELECT a.kpi, a.period_type, a.period_key, p.start_date, "
            "p.end_date, a.scope_type, NULLIF(a.scope_id, ''), a.breakdown_type, "
            "a.breakdown_value, a.value, a.numerator, a.denominator, a.target, a.attainment, "
            "a.gap, a.note, now(), ? FROM (" + _sql("attainment.sql", {}) + ") a "
            "JOIN kpi_periods p ON p.period_type = a.period_type AND p.period_key = a.period_key",
            [source],
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    row = con.execute(
        f"SELECT count(*) FROM kpi_results WHERE {mine} AND (period_type, period) IN {requested}",
        [source],
    ).fetchone()
    return int(row[0]) if row else 0
