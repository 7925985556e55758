"""The small tables Python gives the KPI SQL: periods, months, days, scopes, targets.

Calendars are easier to get right in Python (fiscal years, time-zone offsets) and are
small; everything large is computed in SQL over them.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from connector.kpi.periods import Period, add_months, months_of, periods_between
from connector.kpi.sqlengine import SqlEngine
from connector.kpis import BREAKDOWN_VALUES, KPIS
from connector.settings import PaceSettings, Reporting
from connector.store.db import ident

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

# Periods of each type in a year: the year-over-year comparison period is that many back.
_PER_YEAR: dict[str, int] = {"month": 12, "quarter": 4, "year": 1}

_MONTH_PERIOD = [("month_start", "DATE"), ("period_type", "VARCHAR"), ("period_key", "VARCHAR")]
_PERIODS = [
    ("period_type", "VARCHAR"), ("period_key", "VARCHAR"), ("start_date", "DATE"),
    ("end_date", "DATE"), ("prev_key", "VARCHAR"), ("yoy_key", "VARCHAR"),
    ("trailing_start", "DATE"), ("requested", "BOOLEAN"), ("elapsed_share", "DOUBLE"),
    ("elapsed_days", "BIGINT"), ("pace_from_day", "BIGINT"), ("status", "VARCHAR"),
]  # fmt: skip
_UTC_MONTHS = [
    ("utc_month", "TIMESTAMP"), ("boundary", "TIMESTAMP"), ("month_before", "DATE"),
    ("month_after", "DATE"),
]  # fmt: skip
_REGISTRY = [
    ("kpi", "VARCHAR"), ("unit", "VARCHAR"), ("higher_is_better", "BOOLEAN"),
    ("signed", "BOOLEAN"), ("split_by", "VARCHAR"), ("accumulates", "BOOLEAN"),
]  # fmt: skip


def source_views(engine: SqlEngine, source: str | None) -> None:
    """src_<table> views over the records of `source` (None: of every source)."""
    where = ""
    if source is not None:
        engine.load_rows("kpi_sources", [("source", "VARCHAR")], [(source,)])
        where = " WHERE source IN (SELECT source FROM kpi_sources)"
    for table in SOURCE_TABLES:
        engine.view(f"src_{table}", f"SELECT * FROM {ident(table)}{where}")


def period_plan(
    engine: SqlEngine, reporting: Reporting, today: dt.date, wanted: list[Period] | None
) -> tuple[list[Period], list[Period]]:
    """(every period the SQL may refer to, the periods to output)."""
    first, last = _data_range(engine)
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


def _data_range(engine: SqlEngine) -> tuple[dt.date | None, dt.date | None]:
    # Deleted records leave every KPI, and so do the periods only they would create.
    parts = [
        f"SELECT min({ident(column)}) AS lo, max({ident(column)}) AS hi "
        f"FROM {ident('src_' + table)} WHERE NOT is_deleted"
        for table, column in _DATE_COLUMNS
    ]
    rows = engine.fetch(
        "SELECT CAST(min(lo) AS DATE), CAST(max(hi) AS DATE) "
        f"FROM ({' UNION ALL '.join(parts)}) dates"
    )
    lo, hi = rows[0]
    # Timestamps are UTC; a day of margin covers the org time zone's offset.
    day = dt.timedelta(days=1)
    return (lo - day if lo else None), (hi + day if hi else None)


def load_calendar(
    engine: SqlEngine,
    reporting: Reporting,
    all_periods: list[Period],
    output: list[Period],
    scope_types: Sequence[str],
    today: dt.date,
    pace: PaceSettings | None = None,
) -> None:
    """Load every small table the SQL reads (kpi_periods, kpi_months, kpi_days, ...)."""
    fiscal = reporting.fiscal_year_start_month
    _load_periods(engine, fiscal, all_periods, output, today, pace or PaceSettings())
    months = sorted({m for p in all_periods for m in months_of(p)})
    first, last = months[0], add_months(months[-1], 1)
    engine.load_rows("kpi_months", [("month_start", "DATE")], [(m,) for m in [*months, last]])
    engine.load_rows("kpi_utc_months", _UTC_MONTHS, utc_month_rows(months, reporting.timezone))
    days = [(first + dt.timedelta(days=i),) for i in range((last - first).days)]
    engine.load_rows("kpi_days", [("day", "DATE")], days)
    engine.load_rows("kpi_scope_types", [("scope_type", "VARCHAR")], [(s,) for s in scope_types])
    methods = [(m,) for m in BREAKDOWN_VALUES["contact_method"]]
    engine.load_rows("kpi_contact_methods", [("method", "VARCHAR")], methods)
    registry = [
        (k.key, k.unit, k.higher_is_better, k.signed, k.split_by, k.accumulates) for k in KPIS
    ]
    engine.load_rows("kpi_registry", _REGISTRY, registry)


def elapsed_share(period: Period, today: dt.date) -> float | None:
    """The share of `period` elapsed on `today` (an org-local day, counted as elapsed),
    for the period in progress; None for a period closed or not yet begun."""
    if not period.start <= today < period.end:
        return None
    return ((today - period.start).days + 1) / (period.end - period.start).days


def elapsed_days(period: Period, today: dt.date) -> int | None:
    """Days of `period` elapsed on `today` (today included), for the period in progress;
    None for a period closed or not yet begun."""
    return (today - period.start).days + 1 if period.start <= today < period.end else None


def pace_from_day(period: Period, pace: PaceSettings) -> int:
    """The day of `period` from which it has a pace: the later of `min_days` and the day
    on which `min_share` of it has passed."""
    length = (period.end - period.start).days
    return max(pace.min_days, math.ceil(round(pace.min_share * length, 9)), 1)


def period_status(period: Period, today: dt.date) -> str:
    """'in progress', 'closed' or 'not started' on `today`, as KPI records say it."""
    if period.end <= today:
        return "closed"
    return "in progress" if period.start <= today else "not started"


def _load_periods(
    engine: SqlEngine,
    fiscal: int,
    all_periods: list[Period],
    output: list[Period],
    today: dt.date,
    pace: PaceSettings,
) -> None:
    """kpi_periods with their comparison periods, progress and pace threshold, and the
    months of each period."""
    wanted = set(output)
    periods = [
        (
            p.period_type,
            p.key,
            p.start,
            p.end,
            p.shifted(-1, fiscal).key,
            p.shifted(-_PER_YEAR[p.period_type], fiscal).key,
            add_months(p.end, -12),
            p in wanted,
            elapsed_share(p, today),
            elapsed_days(p, today),
            pace_from_day(p, pace),
            period_status(p, today),
        )
        for p in all_periods
    ]
    engine.load_rows("kpi_periods", _PERIODS, periods)
    month_rows = [
        (p.start, q.period_type, q.key)
        for p in all_periods
        if p.period_type == "month"
        for q in all_periods
        if q.start <= p.start < q.end
    ]
    engine.load_rows("kpi_period_months", _MONTH_PERIOD, month_rows)
    # Only CLV reads trailing windows, and only for the periods it outputs.
    trailing = [(add_months(p.end, -k), p.period_type, p.key) for p in output for k in range(1, 13)]
    engine.load_rows("kpi_trailing_months", _MONTH_PERIOD, trailing)


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
