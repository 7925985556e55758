"""What a push should write, in SQL over `kpi_results`, and what changed since the last one.

Desired values are a long table (target, key, field, value, kind). The values pushed
last time live in `sf_push_state` (created idempotently); only differences are sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connector.crms.push import OWN_RESULTS_SQL, find_changes
from connector.crms.push import remember as remember_values
from connector.crms.salesforce.fields import OWNER_FIELD, PERIOD_FIELDS, kpi_value_fields
from connector.crms.salesforce.mapping import PushMapping
from connector.errors import FatalError
from connector.store import Store
from connector.store.normalize import quote

STATE_DDL = """CREATE TABLE IF NOT EXISTS sf_push_state (
  source VARCHAR, target VARCHAR, record_key VARCHAR, field VARCHAR, value VARCHAR,
  pushed_at TIMESTAMP, PRIMARY KEY (source, target, record_key, field))"""
KEY_SQL = (
    "k.period_type || '|' || k.period || '|' || k.scope_type || '|' || coalesce(k.scope_id, '-')"
)


@dataclass(frozen=True)
class Change:
    """One value to write: the record, the field, old (last pushed) and new value."""

    target: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None


def _values(rows: list[tuple[str, ...]]) -> str:
    return "VALUES " + ", ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in rows)


def _kpi_object_sql(push: PushMapping) -> str:
    parts = kpi_value_fields(push)
    fmap = _values([(kpi, part, name) for (kpi, part), name in parts.items()])
    pmap = [
        (col, name, "date" if kind == "Date" else "text")
        for col, (name, kind) in PERIOD_FIELDS.items()
    ]
    period_cols = " UNION ALL ".join(
        f"SELECT {KEY_SQL} AS key, {quote(name)} AS field, CAST(k.{col} AS VARCHAR) AS value, "
        f"{quote(kind)} AS kind FROM _sf_keys k"
        for col, name, kind in pmap
    )
    target = quote(push.object)
    return f"""
      SELECT {target} AS target, {KEY_SQL} AS key, m.field, CAST(
        CASE m.part WHEN 'value' THEN r.value WHEN 'target' THEN r.target ELSE r.attainment END
        AS VARCHAR) AS value, 'number' AS kind
      FROM _sf_base r JOIN ({fmap}) m(kpi, part, field) ON m.kpi = r.kpi
      JOIN _sf_keys k ON k.period_type = r.period_type AND k.period = r.period
        AND k.scope_type = r.scope_type AND k.scope_id IS NOT DISTINCT FROM r.scope_id
      UNION ALL SELECT {target}, key, field, value, kind FROM ({period_cols})
      UNION ALL SELECT {target}, {KEY_SQL}, '{OWNER_FIELD}', k.scope_id, 'id' FROM _sf_keys k
        WHERE k.scope_type = 'owner' AND k.scope_id IN (SELECT id FROM _sf_owners)"""


def _current_sql(target: str, mapped: dict[str, str], join: str) -> str:
    if not mapped:
        return ""
    fmap = _values(list(mapped.items()))
    return f"""
      UNION ALL SELECT {quote(target)}, {join}, m.field, CAST(r.value AS VARCHAR), 'number'
      FROM _sf_current r JOIN ({fmap}) m(kpi, field) ON m.kpi = r.kpi"""


def _inputs(store: Store, source: str, push: PushMapping) -> None:
    """Temp tables the desired values are read from: results, keys, owners, current."""
    con = store.con
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'kpi_results'"
    ).fetchall()
    if not found[0][0]:
        raise FatalError("the store has no KPI results yet: compute them before pushing")
    kpis = ", ".join(quote(k) for k in push.kpi_fields)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sf_base AS SELECT * FROM kpi_results "
        f"WHERE breakdown_type IS NULL AND kpi IN ({kpis}) AND {OWN_RESULTS_SQL}",
        [source, source],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sf_keys AS SELECT DISTINCT period_type, period, "
        "period_start, period_end, scope_type, scope_id FROM _sf_base"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sf_owners AS SELECT id FROM owners "
        "WHERE source = ? AND NOT is_deleted AND coalesce(active, true)",
        [source],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _sf_current AS SELECT * FROM _sf_base "
        "WHERE period_type = ? AND period_start <= current_date AND period_end >= current_date",
        [push.current_period_type],
    )


def build_desired(store: Store, source: str, push: PushMapping) -> None:
    """(Re)create temp table `_sf_desired` (target, key, field, value, kind)."""
    _inputs(store, source, push)
    user_part = ""
    if push.user_fields:
        user_part = _current_sql("User", push.user_fields, "r.scope_id")
        user_part += " WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _sf_owners)"
    account_part = _current_sql("Account", push.account_fields, "a.id")
    if account_part:
        column = "territory" if push.account_scope == "territory" else "owner_id"
        account_part += (
            f" JOIN accounts a ON a.source = {quote(source)} AND NOT a.is_deleted "
            f"AND r.scope_type = {quote(push.account_scope)} AND r.scope_id = a.{column}"
        )
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE _sf_desired AS "
        + _kpi_object_sql(push)
        + user_part
        + account_part
    )


def changes(store: Store, source: str, tolerance: float) -> tuple[list[Change], int]:
    """The values that differ from the last push, and how many records are unchanged."""
    store.con.execute(STATE_DDL)
    rows, unchanged = find_changes(
        store, source=source, desired="_sf_desired", state="sf_push_state",
        desired_field="field", state_field="field", tolerance=tolerance,
    )  # fmt: skip
    return [Change(*r) for r in rows], unchanged


def by_record(items: list[Change]) -> Iterator[tuple[str, str, list[Change]]]:
    """Changes grouped per record (they come sorted by target, key)."""
    start = 0
    for index in range(1, len(items) + 1):
        if index == len(items) or _record(items[index]) != _record(items[start]):
            yield items[start].target, items[start].key, items[start:index]
            start = index


def _record(change: Change) -> tuple[str, str]:
    return change.target, change.key


def remember(store: Store, source: str, sent: list[Change]) -> None:
    """Record values as pushed (after Salesforce accepted them)."""
    rows = [[c.target, c.key, c.field, c.new] for c in sent]
    remember_values(store, source=source, state="sf_push_state", state_field="field", sent=rows)


def payload_value(change: Change) -> Any:
    """The JSON value of a change (numbers as numbers, null clears the field)."""
    if change.new is None:
        return None
    return float(change.new) if change.kind == "number" else change.new
