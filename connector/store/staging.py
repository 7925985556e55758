"""Staging: raw records from a CRM become a VARCHAR table that `ingest` types and loads.

CRMs answer with JSON; whatever the JSON type, a value is staged as text and typed once,
by the store's type map, exactly as CSV exports are. Staging goes through Arrow, so a
page of records costs one columnar copy rather than one INSERT per row.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from connector.schema import Entity
from connector.store.db import Store


def to_text(value: object) -> str | None:
    """A CRM value as the text the type map parses (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def stage_rows(
    store: Store,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    first_line: int = 1,
) -> None:
    """(Re)create temp table `table` with VARCHAR `columns` plus `_line` positions."""
    data: dict[str, pa.Array] = {
        "_line": pa.array(range(first_line, first_line + len(rows)), type=pa.int64())
    }
    for index, column in enumerate(columns):
        data[column] = pa.array([to_text(row[index]) for row in rows], type=pa.string())
    batch = pa.table(data)
    # A caller's half-read result (a fetchone) would make DuckDB refuse the registration.
    store.con.complete()
    store.con.register("_arrow_batch", batch)
    try:
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _arrow_batch")
    finally:
        store.con.unregister("_arrow_batch")


def mark_deleted(store: Store, *, source: str, entity: Entity, ids: Sequence[str]) -> int:
    """Mark records deleted in the CRM (soft deletes, archives) as deleted here too."""
    if not ids:
        return 0
    stage_rows(store, "_deleted_ids", ["id"], [(i,) for i in ids])
    try:
        row = store.con.execute(
            f"UPDATE {entity.table} SET is_deleted = TRUE WHERE source = ? AND NOT is_deleted "
            "AND id IN (SELECT id FROM _deleted_ids)",
            [source],
        ).fetchone()
    finally:
        store.con.execute("DROP TABLE IF EXISTS _deleted_ids")
    return int(row[0]) if row else 0


def reconcile_ids(store: Store, *, source: str, entity: Entity, live_ids: Sequence[str]) -> int:
    """Mark deleted every record whose id the CRM no longer has (hard deletes, purges)."""
    stage_rows(store, "_live_ids", ["id"], [(i,) for i in live_ids])
    try:
        row = store.con.execute(
            f"UPDATE {entity.table} SET is_deleted = TRUE WHERE source = ? AND NOT is_deleted "
            "AND id NOT IN (SELECT id FROM _live_ids)",
            [source],
        ).fetchone()
    finally:
        store.con.execute("DROP TABLE IF EXISTS _live_ids")
    return int(row[0]) if row else 0
