"""What a push should write, in SQL over `kpi_results`, and what changed since the last one.

Desired values form one long table `_hs_desired` (target, record key, property, value,
kind). The values HubSpot accepted last time live in `hubspot_push_state`; a push sends
only the differences, so an unchanged re-push sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from connector.crms.hubspot.fields import (
    KEY_PROPERTY,
    OWNER_PROPERTY,
    PARTS,
    PERIOD_PROPERTIES,
    kpi_property,
)
from connector.crms.hubspot.mapping import PushMapping
from connector.crms.push import OWN_RESULTS_SQL, find_changes
from connector.crms.push import remember as remember_values
from connector.store import Store
from connector.store.normalize import quote

STATE_DDL = """CREATE TABLE IF NOT EXISTS hubspot_push_state (
  source VARCHAR, target VARCHAR, record_key VARCHAR, property VARCHAR, value VARCHAR,
  pushed_at TIMESTAMP, PRIMARY KEY (source, target, record_key, property))"""
KEY_SQL = (
    "k.period_type || '|' || k.period || '|' || k.scope_type || '|' || coalesce(k.scope_id, '-')"
)
KPI_TARGET = "kpi"
COMPANY_TARGET = "company"


@dataclass(frozen=True)
class Change:
    """One property value to write: record, property, last pushed and new value."""

    target: str
    key: str
    prop: str
    kind: str
    old: str | None
    new: str | None


def _values(rows: list[tuple[str, ...]]) -> str:
    return "VALUES " + ", ".join("(" + ", ".join(quote(v) for v in row) + ")" for row in rows)


def _kpi_sql(push: PushMapping) -> str:
    parts = _values([(k, p, kpi_property(k, p)) for k in push.kpis for p in PARTS])
    periods = " UNION ALL ".join(
        f"SELECT {KEY_SQL} AS key, {quote(name)} AS prop, CAST(k.{col} AS VARCHAR) AS value, "
        f"'text' AS kind FROM _hs_keys k"
        for col, (name, _, _) in PERIOD_PROPERTIES.items()
    )
    return f"""
      SELECT '{KPI_TARGET}' AS target, {KEY_SQL} AS key, m.prop, CAST(CASE m.part
        WHEN 'value' THEN r.value WHEN 'target' THEN r.target ELSE r.attainment END
        AS VARCHAR) AS value, 'number' AS kind
      FROM _hs_base r JOIN ({parts}) m(kpi, part, prop) ON m.kpi = r.kpi
      JOIN _hs_keys k ON k.period_type = r.period_type AND k.period = r.period
        AND k.scope_type = r.scope_type AND k.scope_id IS NOT DISTINCT FROM r.scope_id
      UNION ALL SELECT '{KPI_TARGET}', key, prop, value, kind FROM ({periods})
      UNION ALL SELECT '{KPI_TARGET}', {KEY_SQL}, '{KEY_PROPERTY}', {KEY_SQL}, 'text'
        FROM _hs_keys k
      UNION ALL SELECT '{KPI_TARGET}', {KEY_SQL}, '{OWNER_PROPERTY}', k.scope_id, 'text'
        FROM _hs_keys k
        WHERE k.scope_type = 'owner' AND k.scope_id IN (SELECT id FROM _hs_owners)"""


def _company_sql(push: PushMapping, source: str) -> str:
    if not push.company_properties:
        return ""
    mapped = _values(list(push.company_properties.items()))
    join = "territory" if push.account_scope == "territory" else "owner_id"
    return f"""
      UNION ALL SELECT '{COMPANY_TARGET}', a.id, m.prop, CAST(r.value AS VARCHAR), 'number'
      FROM _hs_current r JOIN ({mapped}) m(kpi, prop) ON m.kpi = r.kpi
      JOIN accounts a ON a.source = {quote(source)} AND NOT a.is_deleted
        AND r.scope_type = {quote(push.account_scope)} AND r.scope_id = a.{join}"""


def build_desired(store: Store, source: str, push: PushMapping) -> None:
    """(Re)create temp table `_hs_desired` (target, key, prop, value, kind)."""
    con = store.con
    con.complete()  # a caller's open result would block the statements below
    kpis = ", ".join(quote(k) for k in push.kpis)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _hs_base AS SELECT * FROM kpi_results "
        f"WHERE breakdown_type IS NULL AND kpi IN ({kpis}) AND {OWN_RESULTS_SQL}",
        [source, source],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _hs_keys AS SELECT DISTINCT period_type, period, "
        "period_start, period_end, scope_type, scope_id FROM _hs_base"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _hs_owners AS SELECT id FROM owners "
        "WHERE source = ? AND NOT is_deleted AND coalesce(active, true)",
        [source],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _hs_current AS SELECT * FROM _hs_base WHERE period_type = ? "
        "AND period_start <= current_date AND period_end >= current_date",
        [push.current_period_type],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _hs_desired AS " + _kpi_sql(push) + _company_sql(push, source)
    )


def changes(store: Store, source: str, tolerance: float) -> tuple[list[Change], int]:
    """The values that differ from the last push, and how many records are unchanged."""
    store.con.execute(STATE_DDL)
    rows, unchanged = find_changes(
        store, source=source, desired="_hs_desired", state="hubspot_push_state",
        desired_field="prop", state_field="property", tolerance=tolerance,
    )  # fmt: skip
    return [Change(*r) for r in rows], unchanged


def remember(store: Store, source: str, sent: list[Change]) -> None:
    """Record values as pushed, once HubSpot accepted them."""
    rows = [[c.target, c.key, c.prop, c.new] for c in sent]
    remember_values(
        store, source=source, state="hubspot_push_state", state_field="property", sent=rows
    )
