"""The KPI engine: runs the SQL definitions in `sql/` over the normalized tables.

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
from connector.kpi.results import RESULTS_DDL, record_findings, store_results
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
    today = as_of or dt.datetime.now(ZoneInfo(reporting.timezone)).date()
    wanted = list(periods) if periods is not None else None
    source_views(store, source)
    all_periods, output = period_plan(store, reporting, today, wanted)
    load_calendar(store, reporting, all_periods, output, scope_types, targets)
    bound = sql_settings(reporting, settings, today, merge_owners_by_email)
    steps.create_helpers(store, reporting.timezone)
    steps.build_facts(store, bound)
    steps.compute_values(store, bound)
    # Findings are about records, whichever computation reads them: the all-sources one
    # records them, once.
    findings = record_findings(store) if source is None else 0
    rows = store_results(store, source, replace_all=wanted is None)
    if source is None and wanted is None:  # every account's own figures, for the writers
        store_account_figures(store, bound)
    return ComputeResult(rows, len(output), findings, time.perf_counter() - started)


def sql_settings(
    reporting: Reporting, settings: KpiSettings, today: dt.date, merge_owners_by_email: bool
) -> dict[str, object]:
    """The values the SQL files bind as `$name` parameters."""
    return {
        "currency": reporting.currency,
        "as_of": today,
        "year_start": period_of(today, "year", reporting.fiscal_year_start_month).start,
        "year_ago": today.replace(year=today.year - 1, day=min(today.day, 28)),
        "default_cogs_rate": settings.default_cogs_rate,
        "churn_after_days": settings.churn_after_days,
        "clv_lifespan_years": settings.clv_lifespan_years,
        "closing_basis": settings.closing_basis,
        "growth_basis": settings.growth_basis,
        "churn_basis": settings.churn_basis,
        "merge_owners_by_email": merge_owners_by_email,
    }
