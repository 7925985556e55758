"""Staging: raw records from a CRM become a VARCHAR table that `ingest` types and loads.

CRMs answer with JSON; whatever the JSON type, a value is staged as text and typed once,
by the store's type map, exactly as CSV exports are. Staging goes through Arrow, so a
page of records costs one columnar copy rather than one INSERT per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from connector.schema import ENTITY_BY_NAME, Entity
from connector.store.arrow import stage_rows
from connector.store.db import Store
from connector.store.ingest import IngestResult, ingest
from connector.store.normalize import ParseOptions, ValueMap
from connector.store.raw import live_raw_ids, mark_raw_deleted

# Ids a pull has seen, per entity, until it marks the others deleted (hard deletes).
_SEEN = "_seen_ids"


def mark_deleted(store: Store, *, source: str, entity: Entity, ids: Sequence[str]) -> int:
    """Mark records deleted in the CRM (soft deletes, archives) as deleted here too."""
    if not ids:
        return 0
    stage_rows(store, "_deleted_ids", ["id"], [(i,) for i in ids])
    try:
        mark_raw_deleted(store, source, entity.name, "id IN (SELECT id FROM _deleted_ids)")
        row = store.con.execute(
            f"UPDATE {entity.table} SET is_deleted = TRUE WHERE source = ? AND NOT is_deleted "
            "AND id IN (SELECT id FROM _deleted_ids)",
            [source],
        ).fetchone()
    finally:
        store.con.execute("DROP TABLE IF EXISTS _deleted_ids")
    return int(row[0]) if row else 0


def ingest_rows(
    store: Store,
    *,
    source: str,
    entity: Entity,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    origin: str,
    opts: ParseOptions,
    value_maps: Mapping[str, ValueMap] | None = None,
    full: bool = False,
    first_line: int = 1,
) -> IngestResult:
    """Stage rows of CRM values (text, typed by the store) and `ingest` them."""
    stage_rows(store, "_rows", columns, rows, first_line=first_line)
    try:
        return ingest(store, source=source, entity=entity, staged="_rows", origin=origin,
                      opts=opts, value_maps=value_maps, full=full)  # fmt: skip
    finally:
        store.con.execute("DROP TABLE IF EXISTS _rows")


def remember_seen(store: Store, entity: str, ids: Sequence[str]) -> None:
    """Note ids the CRM still has, for `mark_unseen_deleted`."""
    store.con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_SEEN} (entity VARCHAR, id VARCHAR)")
    stage_rows(store, "_seen_page", ["id"], [(i,) for i in ids])
    try:
        store.con.execute(f"INSERT INTO {_SEEN} SELECT ?, id FROM _seen_page", [entity])
    finally:
        store.con.execute("DROP TABLE IF EXISTS _seen_page")


def mark_unseen_deleted(
    store: Store, *, source: str, entity: str, modified_before: dt.datetime | None = None
) -> int:
    """Mark deleted every record of `entity` whose id was not seen (purged in the CRM);
    with `modified_before` (naive UTC), only records last modified before it (a listing
    from an index that may not hold the newest changes yet). Their raw rows too: a
    record the mapping left out is purged as well, never to be derived again."""
    con, table = store.con, ENTITY_BY_NAME[entity].table
    con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_SEEN} (entity VARCHAR, id VARCHAR)")
    recent = "" if modified_before is None else " AND coalesce(modified_at < ?, true)"
    # and the raw rows never loaded (quarantined outright): else derived again one day
    raw, raw_params = live_raw_ids(store, source, entity, modified_before)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _unseen AS SELECT id FROM ((SELECT id FROM {table} "
        f"WHERE source = ?{recent}) UNION (SELECT id FROM ({raw}) WHERE id NOT IN (SELECT id "
        f"FROM {table} WHERE source = ?))) WHERE id NOT IN (SELECT id FROM {_SEEN} WHERE "
        "entity = ?)",
        [source, *([] if modified_before is None else [modified_before]), *raw_params,
         source, entity],
    )  # fmt: skip
    try:
        mark_raw_deleted(store, source, entity, "id IN (SELECT id FROM _unseen)")
        for problems in ("quarantine", "findings"):  # a purged record is no one's problem
            con.execute(f"DELETE FROM {problems} WHERE source = ? AND entity = ? "
                        "AND record_id IN (SELECT id FROM _unseen)", [source, entity])  # fmt: skip
        rows = con.execute(
            f"UPDATE {table} SET is_deleted = TRUE WHERE source = ? AND NOT is_deleted "
            "AND id IN (SELECT id FROM _unseen)", [source],
        ).fetchall()  # fmt: skip
    finally:
        con.execute("DROP TABLE IF EXISTS _unseen")
    return int(rows[0][0]) if rows else 0


def unchanged_ids(
    store: Store, *, source: str, entity: Entity, stamps: Sequence[tuple[str, int]]
) -> set[str]:
    """Ids among `stamps` ((id, last modified in epoch ms)) that the store holds, not
    deleted, last modified at that very millisecond: read again, nothing to write."""
    if not stamps:
        return set()
    stage_rows(store, "_stamps", ["id", "ms"], stamps)
    try:
        rows = store.con.execute(
            f"SELECT t.id FROM {entity.table} t JOIN _stamps s ON s.id = t.id "
            "WHERE t.source = ? AND NOT t.is_deleted "
            "AND epoch_ms(t.modified_at) = CAST(s.ms AS BIGINT)",
            [source],
        ).fetchall()
    finally:
        store.con.execute("DROP TABLE IF EXISTS _stamps")
    return {str(row[0]) for row in rows}


def forget_seen(store: Store) -> None:
    """Drop the ids noted by `remember_seen`."""
    store.con.execute(f"DROP TABLE IF EXISTS {_SEEN}")


def derive_lead_ids(store: Store, source: str) -> None:
    """Fill `opportunities.lead_id` from the leads converted into them (CRMs that record
    the conversion on the lead only)."""
    store.con.execute(
        "UPDATE opportunities o SET lead_id = (SELECT min(l.id) FROM leads l "
        "WHERE l.source = o.source AND NOT l.is_deleted AND l.converted_opportunity_id = o.id) "
        "WHERE o.source = ?",
        [source],
    )
