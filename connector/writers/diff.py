"""Diff-only pushes, for every CRM writer: what differs from the last accepted push, and
remembering what the CRM accepted.

A writer keeps its last pushed values in a state table (source, target, record_key,
<its field column>, value, pushed_at) and stages the values it wants in a desired table
(target, key, <field column>, kind, value). Numbers compare with a relative tolerance,
so float noise never costs an API call.
"""

from __future__ import annotations

from typing import Any

from connector.store import Store, stage_rows


def find_changes(
    store: Store,
    *,
    source: str,
    desired: str,
    state: str,
    desired_field: str,
    state_field: str,
    tolerance: float,
) -> tuple[list[tuple[Any, ...]], int]:
    """(target, key, field, kind, old, new) of the values to send, and how many records
    have nothing to send."""
    con = store.con
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE _push_changes AS
        SELECT d.target, d.key, d.{desired_field}, d.kind, s.value AS old, d.value AS new
        FROM {desired} d LEFT JOIN {state} s ON s.source = ? AND s.target = d.target
          AND s.record_key = d.key AND s.{state_field} = d.{desired_field}
        WHERE CASE WHEN s.record_key IS NULL THEN d.value IS NOT NULL
          WHEN d.kind = 'number' AND d.value IS NOT NULL AND s.value IS NOT NULL THEN
            abs(CAST(d.value AS DOUBLE) - CAST(s.value AS DOUBLE))
              > {float(tolerance)!r} * greatest(1.0, abs(CAST(s.value AS DOUBLE)))
          ELSE d.value IS DISTINCT FROM s.value END""",
        [source],
    )
    rows = con.execute(
        f"SELECT * FROM _push_changes ORDER BY target, key, {desired_field}"
    ).fetchall()
    unchanged = con.execute(
        f"SELECT count(*) FROM (SELECT DISTINCT target, key FROM {desired}) "
        "WHERE (target, key) NOT IN (SELECT target, key FROM _push_changes)"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS _push_changes")
    return rows, int(unchanged[0][0])


def remember(
    store: Store, *, source: str, state: str, state_field: str, sent: list[list[Any]]
) -> None:
    """Record [target, record_key, field, value] rows as pushed, once the CRM took them."""
    if not sent:
        return
    stage_rows(store, "_push_sent", ["target", "record_key", state_field, "value"], sent)
    store.con.execute(
        f"INSERT INTO {state} SELECT ?, target, record_key, {state_field}, value, now() "
        f"FROM _push_sent ON CONFLICT (source, target, record_key, {state_field}) "
        "DO UPDATE SET value = excluded.value, pushed_at = excluded.pushed_at",
        [source],
    ).fetchall()
    store.con.execute("DROP TABLE IF EXISTS _push_sent")
