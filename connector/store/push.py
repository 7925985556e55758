"""What a writer should send, and what the CRM accepted last time: the diff-only push.

A writer describes, CRM-neutrally, where KPI results go (`PushPlan`): one record per
period × scope in its KPI object, and the current period's values on existing records
(users, accounts). From that plan and `kpi_results` the store builds the desired
values, compares them with `push_state` (the last values each CRM accepted) and
returns only the changes; numbers compare with a relative tolerance, so float noise
never costs an API call. Every field name and source is a bound parameter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from connector.errors import FatalError
from connector.store.db import Store

STATE_DDL = """CREATE TABLE IF NOT EXISTS push_state (
  source VARCHAR, target VARCHAR, record_key VARCHAR, field VARCHAR, value VARCHAR,
  pushed_at TIMESTAMP, PRIMARY KEY (source, target, record_key, field))"""
# Tables of earlier versions, one per CRM: their rows move into push_state once (table →
# its field column, its target). HubSpot's named the KPI object "kpi" and companies
# "company"; a KPI object renamed in the mapping is pushed once more in full.
_OLD_STATE = {
    "sf_push_state": ("field", "target"),
    "hubspot_push_state": (
        "property",
        "CASE target WHEN 'kpi' THEN 'sales_kpi' WHEN 'company' THEN 'companies' ELSE target END",
    ),
}
KEY_SQL = (
    "k.period_type || '|' || k.period || '|' || k.scope_type || '|' || coalesce(k.scope_id, '-')"
)
PERIOD_COLUMNS = ("period_type", "period", "period_start", "period_end", "scope_type", "scope_id")
_PERIOD_VALUE = (
    "CASE f.col WHEN 'period_type' THEN k.period_type WHEN 'period' THEN k.period "
    "WHEN 'period_start' THEN CAST(k.period_start AS VARCHAR) "
    "WHEN 'period_end' THEN CAST(k.period_end AS VARCHAR) "
    "WHEN 'scope_type' THEN k.scope_type ELSE k.scope_id END"
)
# The kpi_results rows a writer pushes: its own source's when the config has several
# sources (they are stored under its name), else the all-sources rows (source NULL).
_OWN_RESULTS = (
    "source IS NOT DISTINCT FROM "
    "(CASE WHEN EXISTS (SELECT 1 FROM kpi_results WHERE source = $source) THEN $source END)"
)
Kind = Literal["number", "text", "date"]
# Which existing records take current values: reps, or accounts by territory or owner.
On = Literal["owner", "account_territory", "account_owner"]
ACCOUNTS_BY: dict[str, On] = {"territory": "account_territory", "owner": "account_owner"}


@dataclass(frozen=True)
class KpiRecords:
    """One record per period × scope in the CRM's KPI object.

    `fields` maps (kpi, value|target|attainment) to a field; `period_fields` maps a
    column of `PERIOD_COLUMNS` to (field, kind); `owner_field` gets the rep's CRM id on
    owner rows (active reps only); `key_field`, if any, gets the record key itself.
    """

    target: str
    fields: Mapping[tuple[str, str], str]
    period_fields: Mapping[str, tuple[str, Kind]]
    owner_field: str
    key_field: str | None = None


@dataclass(frozen=True)
class CurrentValues:
    """The current period's values on existing records: reps (`on="owner"`), or
    accounts by their territory or owner (the results of that scope)."""

    target: str
    fields: Mapping[str, str]
    on: On


@dataclass(frozen=True)
class PushPlan:
    """Where one writer puts which KPIs."""

    kpis: tuple[str, ...]
    current_period_type: str
    records: KpiRecords
    current: tuple[CurrentValues, ...] = ()


@dataclass(frozen=True)
class Change:
    """One value to write: record (target, key), field, kind, last pushed and new."""

    target: str
    key: str
    field: str
    kind: str
    old: str | None
    new: str | None


def changes(
    store: Store, source: str, plan: PushPlan, tolerance: float
) -> tuple[list[Change], int]:
    """The values that differ from the last accepted push, sorted by record, and how
    many records have nothing to send."""
    _desired(store, source, plan)
    ensure_state(store)
    con = store.con
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _push_changes AS
        SELECT d.target, d.key, d.field, d.kind, s.value AS old, d.value AS new
        FROM _push_desired d LEFT JOIN push_state s ON s.source = $source
          AND s.target = d.target AND s.record_key = d.key AND s.field = d.field
        WHERE CASE WHEN s.record_key IS NULL THEN d.value IS NOT NULL
          WHEN d.kind = 'number' AND d.value IS NOT NULL AND s.value IS NOT NULL THEN
            abs(CAST(d.value AS DOUBLE) - CAST(s.value AS DOUBLE))
              > $tolerance * greatest(1.0, abs(CAST(s.value AS DOUBLE)))
          ELSE d.value IS DISTINCT FROM s.value END""",
        {"source": source, "tolerance": float(tolerance)},
    )
    rows = con.execute("SELECT * FROM _push_changes ORDER BY target, key, field").fetchall()
    unchanged = con.execute(
        "SELECT count(*) FROM (SELECT DISTINCT target, key FROM _push_desired) "
        "WHERE (target, key) NOT IN (SELECT target, key FROM _push_changes)"
    ).fetchall()
    con.execute("DROP TABLE IF EXISTS _push_changes")
    return [Change(*row) for row in rows], int(unchanged[0][0])


def remember(store: Store, source: str, sent: list[Change]) -> None:
    """Record values as pushed, once the CRM accepted them."""
    if not sent:
        return
    ensure_state(store)
    # One statement for the whole batch: executemany costs a statement per value.
    columns = [("target", "VARCHAR"), ("record_key", "VARCHAR"), ("field", "VARCHAR"),
               ("value", "VARCHAR")]  # fmt: skip
    store.load_rows("_push_sent", columns, [[c.target, c.key, c.field, c.new] for c in sent])
    store.execute(
        "INSERT INTO push_state SELECT $source, target, record_key, field, value, now() "
        "FROM _push_sent ON CONFLICT (source, target, record_key, field) "
        "DO UPDATE SET value = excluded.value, pushed_at = excluded.pushed_at",
        {"source": source},
    )
    store.execute("DROP TABLE _push_sent")


def ensure_state(store: Store) -> None:
    """Create `push_state`, moving the rows of the per-CRM tables of earlier versions."""
    con = store.con
    con.execute(STATE_DDL)
    for table, (column, target) in _OLD_STATE.items():
        if store.has_table(table):
            con.execute(
                f"INSERT OR IGNORE INTO push_state SELECT source, {target}, record_key, "
                f"{column}, value, pushed_at FROM {table}"
            )
            con.execute(f"DROP TABLE {table}")


def pushed(store: Store) -> list[tuple[str, str, int, int]]:
    """(source, target, records, fields at most) of everything pushed so far."""
    ensure_state(store)
    rows = store.con.execute(
        "SELECT source, target, count(DISTINCT record_key), count(DISTINCT field) "
        "FROM push_state GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()
    return [(str(s), str(t), int(r), int(f)) for s, t, r, f in rows]


def _desired(store: Store, source: str, plan: PushPlan) -> None:
    """(Re)create temp table `_push_desired` (target, key, field, value, kind)."""
    con = store.con
    con.complete()  # a caller's open result would block the statements below
    if not store.has_table("kpi_results"):
        raise FatalError("the store has no KPI results yet: compute them before pushing")
    _plan_tables(store, plan)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_base AS SELECT * FROM kpi_results "
        "WHERE breakdown_type IS NULL AND kpi IN (SELECT kpi FROM _push_kpis) AND "
        + _OWN_RESULTS,
        {"source": source},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_keys AS SELECT DISTINCT period_type, period, "
        "period_start, period_end, scope_type, scope_id FROM _push_base"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_owners AS SELECT id FROM owners "
        "WHERE source = $source AND NOT is_deleted AND coalesce(active, true)",
        {"source": source},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_current AS SELECT * FROM _push_base "
        "WHERE period_type = $period_type AND period_start <= current_date "
        "AND period_end >= current_date",
        {"period_type": plan.current_period_type},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _push_desired AS " + _DESIRED_SQL, {"source": source})


def _plan_tables(store: Store, plan: PushPlan) -> None:
    """The plan as small temp tables (text columns), so that field names reach SQL as
    values only."""
    records = plan.records
    unknown = set(records.period_fields) - set(PERIOD_COLUMNS)
    if unknown:
        raise ValueError(f"not kpi_results period columns: {sorted(unknown)}")
    tables: dict[str, tuple[tuple[str, ...], list[tuple[str | None, ...]]]] = {
        "_push_kpis": (("kpi",), [(k,) for k in plan.kpis]),
        "_push_record": (
            ("target", "owner_field", "key_field"),
            [(records.target, records.owner_field, records.key_field)],
        ),
        "_push_fields": (
            ("kpi", "part", "field"),
            [(kpi, part, name) for (kpi, part), name in records.fields.items()],
        ),
        "_push_period_fields": (
            ("col", "field", "kind"),
            [(col, name, kind) for col, (name, kind) in records.period_fields.items()],
        ),
        "_push_current_fields": (
            ("target", "kpi", "field", "on_"),
            [(c.target, kpi, name, c.on) for c in plan.current for kpi, name in c.fields.items()],
        ),
    }
    for table, (columns, rows) in tables.items():
        store.load_rows(table, [(name, "VARCHAR") for name in columns], rows)


# One long table of every value the plan asks for. Parameter: $source.
_DESIRED_SQL = f"""
SELECT p.target, {KEY_SQL} AS key, m.field, CAST(CASE m.part
    WHEN 'value' THEN r.value WHEN 'target' THEN r.target ELSE r.attainment END
  AS VARCHAR) AS value, 'number' AS kind
FROM _push_base r JOIN _push_fields m ON m.kpi = r.kpi
JOIN _push_keys k ON k.period_type = r.period_type AND k.period = r.period
  AND k.scope_type = r.scope_type AND k.scope_id IS NOT DISTINCT FROM r.scope_id,
  _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, f.field, {_PERIOD_VALUE}, f.kind
FROM _push_keys k, _push_period_fields f, _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, p.key_field, {KEY_SQL}, 'text'
FROM _push_keys k, _push_record p WHERE p.key_field IS NOT NULL
UNION ALL
SELECT p.target, {KEY_SQL}, p.owner_field, k.scope_id, 'text'
FROM _push_keys k, _push_record p
WHERE k.scope_type = 'owner' AND k.scope_id IN (SELECT id FROM _push_owners)
UNION ALL
SELECT m.target, r.scope_id, m.field, CAST(r.value AS VARCHAR), 'number'
FROM _push_current r JOIN _push_current_fields m ON m.kpi = r.kpi AND m.on_ = 'owner'
WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _push_owners)
UNION ALL
SELECT m.target, a.id, m.field, CAST(r.value AS VARCHAR), 'number'
FROM _push_current r JOIN _push_current_fields m ON m.kpi = r.kpi
JOIN accounts a ON a.source = $source AND NOT a.is_deleted
  AND ((m.on_ = 'account_territory' AND r.scope_type = 'territory' AND r.scope_id = a.territory)
    OR (m.on_ = 'account_owner' AND r.scope_type = 'owner' AND r.scope_id = a.owner_id))
"""
