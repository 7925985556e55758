"""Where a computation lands: the temporary kpi_computed rows, saved into kpi_results
only when asked, and the engine's data-quality findings.

A computation covers some periods × scope types of one source (`Coverage`); saving
replaces exactly those rows of kpi_results, never another source's, scope type's or
period's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from connector.kpi.sqlengine import SqlEngine
from connector.kpi.steps import ATTAINMENT, bind, read_sql
from connector.store import Store
from connector.store.arrow import insert_arrow
from connector.store.results import upgrade_results

_COLUMNS = """kpi VARCHAR, period_type VARCHAR, period VARCHAR, period_start DATE,
  period_end DATE, scope_type VARCHAR, scope_id VARCHAR, breakdown_type VARCHAR,
  breakdown_value VARCHAR, value DOUBLE, numerator DOUBLE, denominator DOUBLE,
  target DOUBLE, attainment DOUBLE, gap DOUBLE, note VARCHAR, computed_at TIMESTAMP,
  source VARCHAR, pace DOUBLE, period_status VARCHAR, pace_note VARCHAR"""
RESULTS_DDL = f"CREATE TABLE IF NOT EXISTS kpi_results ({_COLUMNS})"
COMPUTED = "kpi_computed"
"""The temporary table holding what this connection computed, saved or not."""
_COMPUTED_DDL = f"CREATE TEMP TABLE IF NOT EXISTS {COMPUTED} ({_COLUMNS})"
_NAMES = (
    "kpi, period_type, period, period_start, period_end, scope_type, scope_id, "
    "breakdown_type, breakdown_value, value, numerator, denominator, target, attainment, "
    "gap, note, computed_at, source, pace, period_status, pace_note"
)
# What the engine computes of each row; the store adds computed_at and source.
_COMPUTED_COLUMNS = (
    "kpi", "period_type", "period", "period_start", "period_end", "scope_type", "scope_id",
    "breakdown_type", "breakdown_value", "value", "numerator", "denominator", "target",
    "attainment", "gap", "note", "pace", "period_status", "pace_note",
)  # fmt: skip
_FINDING_COLUMNS = ("source", "entity", "id", "currency", "first_day", "effect")

FINDINGS_ORIGIN = "kpi engine"

_MINE = "source IS NOT DISTINCT FROM $source"


@dataclass(frozen=True)
class Coverage:
    """What one computation computed: the rows that saving it replaces."""

    source: str | None
    scope_types: tuple[str, ...]
    periods: tuple[str, ...] | None
    """'type:key' of each period computed; None for every period (a computation without
    periods covers them all: a period outside its data has none left, so no row)."""


def has_results(store: Store) -> bool:
    """Whether any KPI result is stored."""
    return store.has_table("kpi_results") and bool(
        store.scalar("SELECT count(*) FROM (SELECT 1 FROM kpi_results LIMIT 1)")
    )


def missing_rates(engine: SqlEngine) -> int:
    """How many records need an exchange rate the store does not have."""
    return int(engine.fetch("SELECT count(*) FROM kpi_missing_rates")[0][0])


def record_findings(store: Store, engine: SqlEngine) -> int:
    """Replace the engine's findings (records without an exchange rate); their number."""
    origin = {"origin": FINDINGS_ORIGIN}
    missing = engine.arrow(f"SELECT {', '.join(_FINDING_COLUMNS)} FROM kpi_missing_rates")
    with store.transaction():
        store.execute("DELETE FROM findings WHERE origin = $origin", origin)
        extra = {
            "origin": "$origin",
            "line": "NULL",
            "record_id": "id",
            "field": "'currency'",
            "value": "currency",
            "problem": "'no exchange rate for ' || currency || ' on ' "
            "|| CAST(first_day AS VARCHAR) || ': ' || effect",
            "found_at": "now()",
        }
        insert_arrow(store, "findings", ["source", "entity"], missing, extra, origin)
    return int(store.scalar("SELECT count(*) FROM findings WHERE origin = $origin", origin))


def collect_results(
    store: Store, engine: SqlEngine, source: str | None, settings: Mapping[str, object]
) -> int:
    """Put this computation's rows into kpi_computed, in place of the earlier ones of the
    same source; their number. Nothing stored changes. `computed_at` is when they were
    computed (UTC), `period_status` whether their period was in progress, closed or not
    yet begun on the computation's day."""
    mine = {"source": source}
    sql = (
        "SELECT a.kpi, a.period_type, a.period_key AS period, p.start_date AS period_start, "
        "p.end_date AS period_end, a.scope_type, NULLIF(a.scope_id, '') AS scope_id, "
        "a.breakdown_type, a.breakdown_value, a.value, a.numerator, a.denominator, a.target, "
        "a.attainment, a.gap, a.note, a.pace, p.status AS period_status, a.pace_note "
        f"FROM ({read_sql(ATTAINMENT)}) a "
        "JOIN kpi_periods p ON p.period_type = a.period_type AND p.period_key = a.period_key"
    )
    rows = engine.arrow(sql, bind(sql, settings))
    store.execute(_COMPUTED_DDL)
    with store.transaction():
        store.execute(f"DELETE FROM {COMPUTED} WHERE {_MINE}", mine)
        extra = {"computed_at": "now()", "source": "$source"}
        insert_arrow(store, COMPUTED, _COMPUTED_COLUMNS, rows, extra, mine)
    return int(rows.num_rows)


def save_results(store: Store, coverage: Coverage) -> int:
    """Replace the rows of kpi_results that `coverage` covers with those computed; their
    number. Rows of other sources, scope types and periods stay as they are."""
    store.execute(RESULTS_DDL)
    upgrade_results(store)
    params: dict[str, object] = {"source": coverage.source, "scopes": list(coverage.scope_types)}
    covered = f"{_MINE} AND list_contains($scopes, scope_type)"
    if coverage.periods is not None:
        covered += " AND list_contains($periods, period_type || ':' || period)"
        params["periods"] = list(coverage.periods)
    with store.transaction():
        store.execute(f"DELETE FROM kpi_results WHERE {covered}", params)
        store.execute(
            f"INSERT INTO kpi_results ({_NAMES}) SELECT {_NAMES} FROM {COMPUTED} "
            f"WHERE {covered}",
            params,
        )
    return int(store.scalar(f"SELECT count(*) FROM kpi_results WHERE {covered}", params))


def period_ids(periods: Sequence[tuple[str, str]]) -> tuple[str, ...]:
    """'type:key' of (period_type, key) pairs, as `Coverage.periods` holds them."""
    return tuple(f"{kind}:{key}" for kind, key in periods)
