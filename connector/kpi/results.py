"""Where a computation lands: kpi_results rows, and the engine's data-quality findings."""

from __future__ import annotations

from connector.kpi.steps import ATTAINMENT, read_sql
from connector.store import Store

RESULTS_DDL = """CREATE TABLE IF NOT EXISTS kpi_results (
  kpi VARCHAR, period_type VARCHAR, period VARCHAR, period_start DATE, period_end DATE,
  scope_type VARCHAR, scope_id VARCHAR, breakdown_type VARCHAR, breakdown_value VARCHAR,
  value DOUBLE, numerator DOUBLE, denominator DOUBLE, target DOUBLE, attainment DOUBLE,
  gap DOUBLE, note VARCHAR, computed_at TIMESTAMP, source VARCHAR, pace DOUBLE)"""

FINDINGS_ORIGIN = "kpi engine"

_MINE = "source IS NOT DISTINCT FROM $source"
_REQUESTED = "(SELECT period_type, period_key FROM kpi_periods WHERE requested)"


def has_results(store: Store) -> bool:
    """Whether any KPI result is stored."""
    return store.has_table("kpi_results") and bool(
        store.scalar("SELECT count(*) FROM (SELECT 1 FROM kpi_results LIMIT 1)")
    )


def latest_period(store: Store, period_type: str) -> str | None:
    """The latest stored period of a type (None when there is none)."""
    if not store.has_table("kpi_results"):
        return None
    found = store.scalar("SELECT max(period) FROM kpi_results WHERE period_type = ?", [period_type])
    return None if found is None else str(found)


def record_findings(store: Store) -> int:
    """Replace the engine's findings (records without an exchange rate); their number."""
    origin = {"origin": FINDINGS_ORIGIN}
    store.execute("DELETE FROM findings WHERE origin = $origin", origin)
    store.execute(
        """INSERT INTO findings
           SELECT source, entity, $origin, NULL, id, 'currency', currency,
                  'no exchange rate for ' || currency || ' on ' || CAST(first_day AS VARCHAR)
                  || ': ' || effect, now()
           FROM kpi_missing_rates""",
        origin,
    )
    return int(store.scalar("SELECT count(*) FROM findings WHERE origin = $origin", origin))


def store_results(store: Store, source: str | None, *, replace_all: bool) -> int:
    """Replace the results of the output periods; of every period after a full computation,
    so that a period that no longer has data (its records deleted) keeps no stale row.
    Only the results of the same `source` (None: all sources) are replaced."""
    store.execute(RESULTS_DDL)
    # Stores written before results had a source get the column (NULL: all sources).
    store.execute("ALTER TABLE kpi_results ADD COLUMN IF NOT EXISTS source VARCHAR")
    # Pace (actual against the target pro-rated to the elapsed share of the period) came later.
    store.execute("ALTER TABLE kpi_results ADD COLUMN IF NOT EXISTS pace DOUBLE")
    mine = {"source": source}
    with store.transaction():
        if replace_all:
            store.execute(f"DELETE FROM kpi_results WHERE {_MINE}", mine)
        store.execute(
            f"DELETE FROM kpi_results WHERE {_MINE} AND (period_type, period) IN {_REQUESTED}",
            mine,
        )
        store.execute(
            "INSERT INTO kpi_results (kpi, period_type, period, period_start, period_end, "
            "scope_type, scope_id, breakdown_type, breakdown_value, value, numerator, "
            "denominator, target, attainment, gap, note, computed_at, source, pace) "
            "SELECT a.kpi, a.period_type, a.period_key, p.start_date, "
            "p.end_date, a.scope_type, NULLIF(a.scope_id, ''), a.breakdown_type, "
            "a.breakdown_value, a.value, a.numerator, a.denominator, a.target, a.attainment, "
            f"a.gap, a.note, now(), $source, a.pace FROM ({read_sql(ATTAINMENT)}) a "
            "JOIN kpi_periods p ON p.period_type = a.period_type AND p.period_key = a.period_key",
            mine,
        )
    return int(
        store.scalar(
            f"SELECT count(*) FROM kpi_results WHERE {_MINE} "
            f"AND (period_type, period) IN {_REQUESTED}",
            mine,
        )
    )
