"""What a writer should send, and what the CRM accepted last time: the diff-only push.

A writer describes, CRM-neutrally, where KPI results go (`PushPlan`): one record per
period × scope in its KPI object (each KPI's value, target, attainment and pace, split
KPIs one field per breakdown value), the current period's values on the reps' own
records, and each account's own figures (`account_figures`). From that plan the store
builds the desired values — as the fields show them: scaled (a percent field holds 45
for 0.45) and rounded to the field's decimals —, compares them with `push_state` (the
last values each CRM accepted) and returns only the changes; numbers compare with a
relative tolerance, so float noise never costs an API call. Field names and values
reach SQL as bound parameters only.

Every record says when its figures were computed (`as_of`, an instant in UTC, and so
does a rep's record beside their current figures), at no more than the cost of the
records whose figures move anyway: the stamp is sent with every record of a period in
progress (its figures are "so far" and move daily; a stamp that stops moving is how a
failed night shows) and with every rep's current figures; a record of a closed period
gets a new stamp only when another of its fields changes (its figures, or its status
turning from "in progress" to "closed" on the first run after the period ends). On a
closed period the stamp is thus the run that last changed a figure of it, never earlier
than the end of the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from connector.errors import FatalError
from connector.presentation import ACCOUNT_FIGURES, AS_OF, FIGURE_KEYS
from connector.presentation import RECORD_COLUMNS as RECORD_WORDS
from connector.store.db import Store
from connector.store.results import results_sql
from connector.store.scopes import scope_name_sql

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
RECORD_COLUMNS = tuple(c.key for c in RECORD_WORDS)
"""What a KPI record says about itself (`presentation.RECORD_COLUMNS`): its period
(`period_end` is its last day), its scope, the scope's name ("Kira Lee", "West (team)",
"Company"), a record name ("Kira Lee · Nov 2026", at most 80 characters), whether its
period is in progress, why it has no pace yet, and when its figures were computed
(`as_of`)."""
# The period in words ("Nov 2026", "Q3 2026", "2026"), and the record's name: the scope's
# name cut so that the whole fits NAME_LIMIT characters (Salesforce's Name holds 80).
NAME_LIMIT = 80
_PERIOD_WORDS = (
    "CASE k.period_type WHEN 'month' THEN strftime(k.period_start, '%b %Y') "
    "WHEN 'quarter' THEN split_part(k.period, '-', 2) || ' ' || split_part(k.period, '-', 1) "
    "ELSE k.period END"
)
_RECORD_NAME = (
    f"left(k.scope_name, {NAME_LIMIT - 3} - length({_PERIOD_WORDS})) || ' · ' || "
    f"{_PERIOD_WORDS}"
)
_RECORD_VALUE = (
    "CASE f.col WHEN 'period_type' THEN k.period_type WHEN 'period' THEN k.period "
    "WHEN 'period_start' THEN CAST(k.period_start AS VARCHAR) "
    "WHEN 'period_end' THEN CAST(CAST(k.period_end - INTERVAL 1 DAY AS DATE) AS VARCHAR) "
    "WHEN 'scope_type' THEN k.scope_type WHEN 'scope_id' THEN k.scope_id "
    "WHEN 'scope_name' THEN k.scope_name WHEN 'period_status' THEN k.period_status "
    f"WHEN 'pace_note' THEN k.pace_note WHEN '{AS_OF}' THEN k.as_of "
    f"ELSE {_RECORD_NAME} END"
)
STAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.000Z"
"""How an "as of" is sent: ISO 8601 in UTC, as Salesforce's and HubSpot's APIs take it."""
# The kpi_results rows a writer pushes: its own source's when the config has several
# sources (they are stored under its name), else the all-sources rows (source NULL).
_OWN_RESULTS = (
    "source IS NOT DISTINCT FROM "
    "(CASE WHEN EXISTS (SELECT 1 FROM kpi_results WHERE source = $source) THEN $source END)"
)
Kind = Literal["number", "text", "date", "datetime"]
SlotKey = tuple[str, str | None, str | None, str]
"""(kpi, breakdown type, breakdown value, part): one number a KPI record field holds."""


@dataclass(frozen=True)
class Column:
    """A CRM field a push fills, and how a stored value becomes what the field shows."""

    name: str
    kind: Kind = "number"
    factor: float = 1.0
    """100 for a percent field: it shows 45 % when it holds 45, for the stored 0.45."""
    decimals: int | None = None
    """The field's scale: values are sent rounded to it (the API stores what it gets)."""
    limit: float | None = None
    """The smallest magnitude the field cannot hold (10 ** (precision − scale))."""


@dataclass(frozen=True)
class KpiRecords:
    """One record per period × scope in the CRM's KPI object.

    `fields` maps a `SlotKey` to a number field; `record_fields` maps a column of
    `RECORD_COLUMNS` to a field; `owner_field` gets the rep's CRM id on the rows of
    active reps and `default_owner` on every other row (None: left to the CRM);
    `key_field`, if any, gets the record key itself.
    """

    target: str
    fields: Mapping[SlotKey, Column]
    record_fields: Mapping[str, Column]
    owner_field: str
    key_field: str | None = None
    default_owner: str | None = None


@dataclass(frozen=True)
class RepValues:
    """The current period's (kpi, part) values on each active rep's own record, and in
    `as_of` (if any) when they were computed (`presentation.REP_AS_OF`)."""

    target: str
    fields: Mapping[tuple[str, str], Column]
    as_of: Column | None = None


@dataclass(frozen=True)
class AccountValues:
    """Each account's own figures (`connector.presentation.ACCOUNT_FIGURES`)."""

    target: str
    fields: Mapping[str, Column]


@dataclass(frozen=True)
class PushPlan:
    """Where one writer puts what."""

    current_period_type: str
    records: KpiRecords
    reps: RepValues | None = None
    accounts: AccountValues | None = None
    kpis: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        keys = dict.fromkeys(slot[0] for slot in self.records.fields)
        keys.update(dict.fromkeys(kpi for kpi, _ in (self.reps.fields if self.reps else {})))
        object.__setattr__(self, "kpis", tuple(keys))

    def columns(self) -> dict[tuple[str, str], Column]:
        """Every (target, field) the plan writes, with its column."""
        records = self.records
        out = {(records.target, c.name): c for c in records.fields.values()}
        out.update({(records.target, c.name): c for c in records.record_fields.values()})
        out[(records.target, records.owner_field)] = Column(records.owner_field, "text")
        if records.key_field:
            out[(records.target, records.key_field)] = Column(records.key_field, "text")
        for part in (self.reps, self.accounts):
            if part is not None:
                out.update({(part.target, c.name): c for c in part.fields.values()})
        if self.reps is not None and self.reps.as_of is not None:
            out[(self.reps.target, self.reps.as_of.name)] = self.reps.as_of
        return out


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
    many records have nothing to send. The state of fields the plan no longer writes
    is forgotten, so a field that comes back is written in full. A stamp ("as of") of a
    record that is not `fresh` (a closed period) goes only with another change of it."""
    _desired(store, source, plan)
    ensure_state(store)
    _forget_unplanned(store, source, plan)
    con = store.con
    con.execute(
        """CREATE OR REPLACE TEMP TABLE _push_changes AS
        SELECT d.target, d.key, d.field, d.kind, s.value AS old, d.value AS new, d.stamp,
          d.fresh
        FROM _push_desired d LEFT JOIN push_state s ON s.source = $source
          AND s.target = d.target AND s.record_key = d.key AND s.field = d.field
        WHERE CASE WHEN s.record_key IS NULL THEN d.value IS NOT NULL
          WHEN d.kind = 'number' AND d.value IS NOT NULL AND s.value IS NOT NULL THEN
            abs(CAST(d.value AS DOUBLE) - CAST(s.value AS DOUBLE))
              > $tolerance * greatest(1.0, abs(CAST(s.value AS DOUBLE)))
          ELSE d.value IS DISTINCT FROM s.value END""",
        {"source": source, "tolerance": float(tolerance)},
    )
    con.execute(
        """DELETE FROM _push_changes WHERE stamp AND NOT fresh AND old IS NOT NULL
        AND (target, key) NOT IN (SELECT target, key FROM _push_changes WHERE NOT stamp)"""
    )
    rows = con.execute(
        "SELECT target, key, field, kind, old, new FROM _push_changes ORDER BY target, key, field"
    ).fetchall()
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


def _forget_unplanned(store: Store, source: str, plan: PushPlan) -> None:
    planned = [(target, name) for target, name in plan.columns()]
    store.load_rows("_push_planned", [("target", "VARCHAR"), ("field", "VARCHAR")], planned)
    store.con.execute(
        "DELETE FROM push_state WHERE source = $source AND (target, field) NOT IN "
        "(SELECT target, field FROM _push_planned)",
        {"source": source},
    )


def _desired(store: Store, source: str, plan: PushPlan) -> None:
    """(Re)create temp table `_push_desired` (target, key, field, value, kind)."""
    con = store.con
    con.complete()  # a caller's open result would block the statements below
    if not store.has_table("kpi_results"):
        raise FatalError("the store has no KPI results yet: compute them before pushing")
    _plan_tables(store, plan)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _push_base AS SELECT r.* FROM ({results_sql(store)}) r "
        "WHERE (r.kpi, coalesce(r.breakdown_type, '')) IN "
        "(SELECT kpi, coalesce(breakdown_type, '') FROM _push_fields "
        " UNION SELECT kpi, '' FROM _push_rep_fields) AND " + _OWN_RESULTS,
        {"source": source},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_owners AS SELECT id, name FROM owners "
        "WHERE source = $source AND NOT is_deleted AND coalesce(active, true)",
        {"source": source},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _push_keys AS " + _KEYS_SQL, {"source": source})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_current AS SELECT * FROM _push_base "
        f"WHERE breakdown_type IS NULL AND period_type = $period_type AND {_IN_PROGRESS}",
        {"period_type": plan.current_period_type},
    )
    parts = [_RECORDS_SQL, _REPS_SQL]
    if store.has_table("account_figures"):  # computed by every full computation
        parts.append(_ACCOUNTS_SQL)
    sql = "CREATE OR REPLACE TEMP TABLE _push_desired AS " + " UNION ALL ".join(parts)
    con.execute(sql, {"source": source} if "$source" in sql else None)


_SCALING = [("factor", "DOUBLE"), ("decimals", "BIGINT")]  # columns of how a field shows numbers


def _plan_tables(store: Store, plan: PushPlan) -> None:
    """The plan as small temp tables, so that field names reach SQL as values only."""
    records = plan.records
    unknown = set(records.record_fields) - set(RECORD_COLUMNS)
    if unknown:
        raise ValueError(f"not KPI record columns: {sorted(unknown)}")
    number, text = _SCALING, "VARCHAR"
    store.load_rows(
        "_push_record",
        [("target", text), ("owner_field", text), ("key_field", text), ("default_owner", text)],
        [(records.target, records.owner_field, records.key_field, records.default_owner)],
    )
    store.load_rows(
        "_push_fields",
        [("kpi", text), ("breakdown_type", text), ("breakdown_value", text), ("part", text),
         ("field", text), *number],
        [(*slot, c.name, c.factor, c.decimals) for slot, c in records.fields.items()],
    )  # fmt: skip
    store.load_rows(
        "_push_record_fields",
        [("col", text), ("field", text), ("kind", text)],
        [(col, c.name, c.kind) for col, c in records.record_fields.items()],
    )
    _value_tables(store, plan)


def _value_tables(store: Store, plan: PushPlan) -> None:
    """The reps' and accounts' fields as temp tables."""
    number, text = _SCALING, "VARCHAR"
    reps = plan.reps
    store.load_rows(
        "_push_rep_fields",
        [("target", text), ("kpi", text), ("part", text), ("field", text), *number],
        [(reps.target, kpi, part, c.name, c.factor, c.decimals)
         for (kpi, part), c in reps.fields.items()] if reps else [],
    )  # fmt: skip
    store.load_rows(
        "_push_rep_as_of",
        [("target", text), ("field", text)],
        [(reps.target, reps.as_of.name)] if reps and reps.as_of else [],
    )
    accounts = plan.accounts
    unknown = set(accounts.fields if accounts else ()) - set(FIGURE_KEYS)
    if unknown:
        raise ValueError(f"not account figures: {sorted(unknown)}")
    store.load_rows(
        "_push_figure_fields",
        [("target", text), ("figure", text), ("field", text), ("kind", text), *number],
        [(accounts.target, key, c.name, c.kind, c.factor, c.decimals)
         for key, c in accounts.fields.items()] if accounts else [],
    )  # fmt: skip


def _shown(expression: str, fields: str) -> str:
    """A stored number as its field shows it: scaled, rounded to the field's decimals,
    as text; NULL for a missing or non-finite value."""
    scaled = f"({expression}) * {fields}.factor"
    return (
        f"CAST(CASE WHEN isfinite({expression}) THEN "
        f"CASE WHEN {fields}.decimals IS NULL THEN {scaled} "
        f"ELSE round({scaled}, CAST({fields}.decimals AS INTEGER)) END END AS VARCHAR)"
    )


_PART_VALUE = (
    "CASE m.part WHEN 'value' THEN r.value WHEN 'target' THEN r.target "
    "WHEN 'attainment' THEN r.attainment ELSE r.pace END"
)
# Whether a row's period was in progress when computed (rows of versions before
# period_status: whether it is today, in UTC).
_IN_PROGRESS = (
    "coalesce(period_status = 'in progress', "
    "period_start <= current_date AND current_date < period_end)"
)
# Every period × scope with results, its scope's name for people, its record key, its
# status, pace note and stamp, and whether the stamp is sent every run (`fresh`).
# Parameter: $source.
_KEYS_SQL = f"""
SELECT k.*, {scope_name_sql("k", "o.name")} AS scope_name
FROM (SELECT period_type, period, period_start, period_end, scope_type, scope_id,
        CASE WHEN bool_or({_IN_PROGRESS}) THEN 'in progress'
             ELSE coalesce(max(period_status), 'closed') END AS period_status,
        string_agg(DISTINCT pace_note, '; ' ORDER BY pace_note) AS pace_note,
        strftime(max(computed_at), '{STAMP_FORMAT}') AS as_of,
        bool_or({_IN_PROGRESS}) AS fresh
      FROM _push_base
      GROUP BY period_type, period, period_start, period_end, scope_type, scope_id) k
LEFT JOIN (SELECT id, name FROM owners WHERE source = $source AND NOT is_deleted) o
  ON k.scope_type = 'owner' AND o.id = k.scope_id
"""
# The KPI records: numbers, what each record says about itself, its key and its owner.
_RECORDS_SQL = f"""
SELECT p.target, {KEY_SQL} AS key, m.field, {_shown(_PART_VALUE, "m")} AS value,
  'number' AS kind, false AS stamp, k.fresh
FROM _push_base r JOIN _push_fields m ON m.kpi = r.kpi
  AND m.breakdown_type IS NOT DISTINCT FROM r.breakdown_type
  AND m.breakdown_value IS NOT DISTINCT FROM r.breakdown_value
JOIN _push_keys k ON k.period_type = r.period_type AND k.period = r.period
  AND k.scope_type = r.scope_type AND k.scope_id IS NOT DISTINCT FROM r.scope_id,
  _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, f.field, {_RECORD_VALUE}, f.kind, f.col = '{AS_OF}', k.fresh
FROM _push_keys k, _push_record_fields f, _push_record p
UNION ALL
SELECT p.target, {KEY_SQL}, p.key_field, {KEY_SQL}, 'text', false, k.fresh
FROM _push_keys k, _push_record p WHERE p.key_field IS NOT NULL
UNION ALL
SELECT p.target, {KEY_SQL}, p.owner_field,
  CASE WHEN k.scope_type = 'owner' AND k.scope_id IN (SELECT id FROM _push_owners)
       THEN k.scope_id ELSE p.default_owner END, 'text', false, k.fresh
FROM _push_keys k, _push_record p
"""
# The current period's values on the records of active reps, and when they were computed.
_REPS_SQL = f"""
SELECT m.target, r.scope_id, m.field, {_shown(_PART_VALUE, "m")}, 'number', false, true
FROM _push_current r JOIN _push_rep_fields m ON m.kpi = r.kpi
WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _push_owners)
UNION ALL
SELECT a.target, r.scope_id, a.field, strftime(max(r.computed_at), '{STAMP_FORMAT}'),
  'datetime', true, true
FROM _push_current r, _push_rep_as_of a
WHERE r.scope_type = 'owner' AND r.scope_id IN (SELECT id FROM _push_owners)
GROUP BY a.target, r.scope_id, a.field
"""
# Each live account's own figures (account_figures, from the last full computation).
_NUMBERS = "CASE m.figure " + " ".join(
    f"WHEN '{f.key}' THEN CAST(f.{f.key} AS DOUBLE)" for f in ACCOUNT_FIGURES if f.unit != "date"
) + " END"  # fmt: skip
_DATES = "CASE m.figure " + " ".join(
    f"WHEN '{f.key}' THEN CAST(f.{f.key} AS VARCHAR)" for f in ACCOUNT_FIGURES if f.unit == "date"
) + " END"  # fmt: skip
_ACCOUNTS_SQL = f"""
SELECT m.target, f.account_id, m.field,
  CASE m.kind WHEN 'date' THEN {_DATES} ELSE {_shown(_NUMBERS, "m")} END, m.kind, false, false
FROM account_figures f JOIN _push_figure_fields m ON true
WHERE f.source = $source
"""
