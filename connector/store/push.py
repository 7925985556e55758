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
from connector.presentation import FIGURE_KEYS
from connector.presentation import RECORD_COLUMNS as RECORD_WORDS
from connector.store.db import Store
from connector.store.push_sql import (
    ACCOUNTS_SQL,
    IN_PROGRESS,
    KEYS_SQL,
    OWN_RESULTS,
    RECORDS_SQL,
    REPS_SQL,
)
from connector.store.results import results_sql

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
RECORD_COLUMNS = tuple(c.key for c in RECORD_WORDS)
"""What a KPI record says about itself (`presentation.RECORD_COLUMNS`): its period
(`period_end` is its last day), its scope, the scope's name ("Kira Lee", "West (team)",
"Company"), a record name ("Kira Lee · Nov 2026", at most 80 characters), whether its
period is in progress, why it has no pace yet, and when its figures were computed
(`as_of`)."""
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
        " UNION SELECT kpi, '' FROM _push_rep_fields) AND " + OWN_RESULTS,
        {"source": source},
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_owners AS SELECT id, name FROM owners "
        "WHERE source = $source AND NOT is_deleted AND coalesce(active, true)",
        {"source": source},
    )
    con.execute("CREATE OR REPLACE TEMP TABLE _push_keys AS " + KEYS_SQL, {"source": source})
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _push_current AS SELECT * FROM _push_base "
        f"WHERE breakdown_type IS NULL AND period_type = $period_type AND {IN_PROGRESS}",
        {"period_type": plan.current_period_type},
    )
    parts = [RECORDS_SQL, REPS_SQL]
    if store.has_table("account_figures"):  # computed by every full computation
        parts.append(ACCOUNTS_SQL)
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
