"""The diff-only push every CRM writer shares, and what a push did (`PushResult`).

A writer keeps its last pushed values in a state table (source, target, record_key,
<its field column>, value, pushed_at) and stages the values it wants in a desired table
(target, key, <field column>, kind, value). Only the differences are sent; numbers
compare with a relative tolerance, so float noise never costs an API call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.store import Store, stage_rows

# The kpi_results rows a writer pushes: its own source's when the config has several
# sources (they are stored under its name), else the all-sources rows (source NULL).
# Two parameters: the writer's source name, twice.
OWN_RESULTS_SQL = (
    "source IS NOT DISTINCT FROM "
    "(CASE WHEN EXISTS (SELECT 1 FROM kpi_results WHERE source = ?) THEN ? END)"
)


@dataclass(frozen=True)
class RecordFailure:
    """One record the CRM refused (after the writer's one retry), and why."""

    record: str
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f" {self.field}" if self.field else ""
        return f"{self.record}{where}: {self.message}"


@dataclass(frozen=True)
class PlannedChange:
    """One value a push would write (dry run) or wrote: old → new."""

    target: str  # CRM object, e.g. Sales_KPI__c or User
    record: str  # external key or record id
    field: str
    old: str | None
    new: str | None

    def __str__(self) -> str:
        return f"{self.target} {self.record} {self.field}: {self.old} → {self.new}"


@dataclass
class PushResult:
    """What one push did: records written, left unchanged, refused; API calls spent.

    `planned` lists every value change (old → new); on a dry run nothing was written.
    """

    written: int = 0
    unchanged: int = 0
    failed: list[RecordFailure] = field(default_factory=list)
    api_calls: int = 0
    dry_run: bool = False
    planned: list[PlannedChange] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no record was refused."""
        return not self.failed


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
