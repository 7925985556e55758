"""The kpi_results table as later versions extended it: each column added since the
first, so that a store written by an earlier version reads like a new one."""

from __future__ import annotations

from connector.store.db import Store

LATER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("source", "VARCHAR"),  # NULL: the results of every source together
    ("pace", "DOUBLE"),  # actual against the target pro-rated to the elapsed share
    ("period_status", "VARCHAR"),  # 'in progress', 'closed' or 'not started'
    ("pace_note", "VARCHAR"),  # why the period in progress has no pace yet
)


def upgrade_results(store: Store) -> None:
    """Add to an existing kpi_results the columns it was written without (NULL): when
    results are saved."""
    if not store.has_table("kpi_results"):
        return
    for column, kind in LATER_COLUMNS:
        store.execute(f"ALTER TABLE kpi_results ADD COLUMN IF NOT EXISTS {column} {kind}")


def results_sql(store: Store) -> str:
    """A SELECT of kpi_results with every later column, NULL where an earlier version
    wrote the table without it: for readers, which never alter the store (it may be
    opened read-only)."""
    have = {
        str(row[0])
        for row in store.fetch(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'kpi_results'"
        )
    }
    missing = "".join(
        f", CAST(NULL AS {kind}) AS {column}" for column, kind in LATER_COLUMNS
        if column not in have
    )  # fmt: skip
    return f"SELECT *{missing} FROM kpi_results"
