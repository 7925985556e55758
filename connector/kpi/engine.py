"""The KPI engine: runs the SQL definitions in `sql/` over the normalized tables
(the KPIs of docs/kpis.md).

Python only builds the small calendar tables (periods, months, days, scopes, targets)
and binds the settings; every KPI is computed by its own SQL file (the registry,
`connector.kpis`, names them; `steps` lists the order), so the same definitions can run
on another SQL engine (see `dialect_duckdb.sql`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from connector.kpi import steps
from connector.kpi.accounts import store_account_figures
from connector.kpi.calendar import load_calendar, period_plan, source_views
from connector.kpi.periods import Period, period_of
from connector.kpi.results import (
    RESULTS_DDL,
    Coverage,
    collect_results,
    missing_rates,
    period_ids,
    record_findings,
    save_results,
)
from connector.kpi.sqlengine import DuckDbEngine, SqlEngine
from connector.kpi.targets import load_targets
from connector.settings import KpiSettings, Reporting, Target
from connector.store import Store

__all__ = ["RESULTS_DDL", "SCOPE_TYPES", "ComputeResult", "compute"]

SCOPE_TYPES: tuple[str, ...] = ("company", "team", "owner", "territory")


@dataclass(frozen=True)
class ComputeResult:
    """What one computation produced."""

    rows: int
    periods: int
    findings: int
    seconds: float
    as_of: dt.date
    """The org-local day the computation took as today."""
    last_day: dt.date | None = None
    """The last day, up to as_of, with sales activity (None without any)."""
    saved: bool = False
    """Whether the rows replaced the ones they cover in kpi_results."""


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
    save: bool = True,
    engine: SqlEngine | None = None,
) -> ComputeResult:
    """Compute every KPI for `periods` (default: every period with data) into the
    temporary kpi_computed; with `save`, also into kpi_results, replacing exactly the
    periods x scope types computed (of the same source).

    `as_of` is "today" in the org time zone; it bounds the default periods, decides
    whether a derived churn date has been reached, and which period is in progress (its
    pace). With `source`, only that source's records count and its results are stored
    under its name; without, every source counts and results have no source.
    `merge_owners_by_email` makes one owner scope of the users that several CRMs have
    for the same rep. `engine` runs the SQL (default: DuckDB, in the store's connection);
    results always land in the store.
    """
    started = time.perf_counter()
    engine = engine or DuckDbEngine(store)
    today = as_of or dt.datetime.now(ZoneInfo(reporting.timezone)).date()
    wanted = list(periods) if periods is not None else None
    source_views(engine, source)
    all_periods, output = period_plan(engine, reporting, today, wanted)
    load_calendar(engine, reporting, all_periods, output, scope_types, today, settings.pace)
    load_targets(engine, targets, settings.target_rollup)
    bound = sql_settings(reporting, settings, today, merge_owners_by_email)
    steps.create_helpers(engine, reporting.timezone)
    steps.build_facts(engine, bound)
    steps.compute_values(engine, bound)
    # Findings are about records, whichever computation reads them: the all-sources one
    # records them, once, and only when results are saved.
    findings = missing_rates(engine) if source is None else 0
    if save and source is None:
        findings = record_findings(store, engine)
    rows = collect_results(store, engine, source, bound)
    if save:
        computed = None if wanted is None else period_ids([(p.period_type, p.key) for p in output])
        rows = save_results(store, Coverage(source, tuple(scope_types), computed))
        if source is None and wanted is None:  # every account's own figures, for writers
            store_account_figures(store, engine, bound)
    last_day = steps.last_day(engine, bound)
    seconds = time.perf_counter() - started
    return ComputeResult(rows, len(output), findings, seconds, today, last_day, save)


def sql_settings(
    reporting: Reporting, settings: KpiSettings, today: dt.date, merge_owners_by_email: bool
) -> dict[str, object]:
    """The values the SQL files bind as `$name` parameters."""
    return {
        "currency": reporting.currency,
        "as_of": today,
        "as_of_end": day_end_utc(today, reporting.timezone),
        "year_start": period_of(today, "year", reporting.fiscal_year_start_month).start,
        "year_ago": year_before(today),
        "default_cogs_rate": settings.default_cogs_rate,
        "churn_after_days": settings.churn_after_days,
        "clv_lifespan_years": settings.clv_lifespan_years,
        "closing_basis": settings.closing_basis,
        "growth_basis": settings.growth_basis,
        "churn_basis": settings.churn_basis,
        "pace_min_deals": settings.pace.min_deals,
        "merge_owners_by_email": merge_owners_by_email,
    }


def year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (Feb 29 → Feb 28)."""
    return day.replace(year=day.year - 1, day=min(day.day, 28 if day.month == 2 else day.day))


def day_end_utc(day: dt.date, timezone: str) -> dt.datetime:
    """The naive UTC instant at which the org-local day after `day` begins."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=ZoneInfo(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)
