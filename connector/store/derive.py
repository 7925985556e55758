"""Deriving a normalized entity from the raw layer: a stream's mapping rules, as SQL over
its raw table, then the boundary's typing (`ingest`) like any staged batch.

A pull derives the records it just stored; a mapping edit derives every stored record
of the streams it shapes again, locally. Both take the same path, so a store derived
again equals one pulled afresh under the new mapping. A record the mapping now leaves out
(or the CRM deleted) is marked deleted and its quarantine entries and findings go.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from connector.schema import Entity
from connector.store.arrow import stage_rows
from connector.store.db import Store, ident
from connector.store.ingest import IngestResult, ingest
from connector.store.normalize import Bind, ParseOptions, ValueMap
from connector.store.raw import DELETED, ID, MODSTAMP, RawStream

Transform = Literal["day_start", "reciprocal", "midnight_utc_date"]
"""day_start: the date of a timestamp (read as the org's midnight, which keeps its day
west of UTC too); reciprocal: 1 / a number (a rate quoted the other way round);
midnight_utc_date: a date a CRM keeps as midnight UTC, as that date."""

_ROWS, _IDS, _GONE = "_derived", "_derive_ids", "_derive_gone"
_MIDNIGHT_UTC = r"^\d{4}-\d{2}-\d{2}T00:00:00(\.0+)?Z$"


@dataclass(frozen=True)
class Derived:
    """How one normalized field comes from a raw row: a CRM field (its value, else
    `default` when empty; kept only when it starts with `prefix`; then `transform`ed),
    or a constant; `lookup` maps the value (a stage's flags), `fallback` (a field) when
    the lookup does not know it."""

    name: str
    field: str | None = None
    const: str | None = None
    default: str | None = None
    prefix: str | None = None
    transform: Transform | None = None
    lookup: Mapping[str, str] | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class Derivation:
    """One stream's rules: its normalized fields, the records it leaves out (a value of
    `exclude`, a value outside `include`, an empty `require`d field), its value maps."""

    entity: Entity
    origin: str
    fields: Sequence[Derived]
    exclude: Mapping[str, Sequence[str]] = field(default_factory=dict)
    include: Mapping[str, Sequence[str]] = field(default_factory=dict)
    require: Sequence[str] = ()
    value_maps: Mapping[str, ValueMap] = field(default_factory=dict)

    def reads(self) -> list[str]:
        """Every CRM field the rules read."""
        names = [n for d in self.fields for n in (d.field, d.fallback) if n is not None]
        return list(dict.fromkeys([*names, *self.exclude, *self.include, *self.require]))


@dataclass
class Rederived:
    """What deriving every stored record of a stream again changed."""

    records: int = 0
    changed: int = 0
    now_excluded: int = 0
    now_included: int = 0
    quarantined_before: int = 0
    quarantined: int = 0


def derive(
    store: Store, raw: RawStream, rules: Derivation, opts: ParseOptions,
    ids: Sequence[str] | None = None,
) -> IngestResult:  # fmt: skip
    """Derive the records of `ids` (None: every stored record) into `rules.entity`."""
    source, entity = raw.source, rules.entity
    result = IngestResult(source=source, entity=entity.name, origins=[rules.origin])
    within = ""
    if ids is not None:
        stage_rows(store, _IDS, ["id"], [(i,) for i in ids])
        within = f" AND r.{ID} IN (SELECT id FROM {_IDS})"
    try:
        bind, gone = Bind(), Bind()
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {_ROWS} AS SELECT row_number() OVER () AS _line, "
            f"{_select(raw, rules, bind)} FROM {ident(raw.table)} r "
            f"WHERE NOT r.{DELETED} AND NOT ({_skip(raw, rules, bind)}){within}",
            bind.params,
        )
        store.execute(
            f"CREATE OR REPLACE TEMP TABLE {_GONE} AS SELECT r.{ID} AS id, r.{DELETED} AS crm "
            f"FROM {ident(raw.table)} r WHERE (r.{DELETED} OR ({_skip(raw, rules, gone)})){within}",
            gone.params,
        )
        loaded = ingest(store, source=source, entity=entity, staged=_ROWS, origin=rules.origin,
                        opts=opts, value_maps=rules.value_maps, full=False)  # fmt: skip
        result.loaded, result.quarantined = loaded.loaded, loaded.quarantined
        result.findings = loaded.findings
        result.deleted = _leave(store, source, entity)
        result.excluded = int(store.scalar(f"SELECT count(*) FROM {_GONE} WHERE NOT crm") or 0)
    finally:
        store.execute(f"DROP TABLE IF EXISTS {_ROWS}; DROP TABLE IF EXISTS {_GONE}; "
                      f"DROP TABLE IF EXISTS {_IDS}")  # fmt: skip
    return result


def rederive(store: Store, raw: RawStream, rules: Derivation, opts: ParseOptions) -> Rederived:
    """Derive every stored record of the stream again, and count what that changed: the
    records whose derived fields differ, those now left out and those now kept."""
    table, names = rules.entity.table, [d.name for d in rules.fields]
    columns = ", ".join(["id", "is_deleted", *map(ident, names)])
    mine = f"source = $source AND id IN (SELECT {ID} FROM {ident(raw.table)})"
    store.execute(f"CREATE OR REPLACE TEMP TABLE _before AS SELECT {columns} FROM {table} "
                  f"WHERE {mine}", {"source": raw.source})  # fmt: skip
    held = _quarantined(store, raw, rules.entity)
    try:
        derive(store, raw, rules, opts)
        row = store.fetch(
            "SELECT count(*), "
            "count(*) FILTER (WHERE NOT b.is_deleted AND a.is_deleted), "
            "count(*) FILTER (WHERE coalesce(b.is_deleted, TRUE) AND NOT a.is_deleted), "
            "count(*) FILTER (WHERE NOT b.is_deleted AND NOT a.is_deleted AND "
            f"{_row('a', names)} IS DISTINCT FROM {_row('b', names)}) "
            f"FROM (SELECT {columns} FROM {table} WHERE {mine}) a "
            "LEFT JOIN _before b ON b.id = a.id",
            {"source": raw.source},
        )[0]
    finally:
        store.execute("DROP TABLE IF EXISTS _before")
    return Rederived(records=int(row[0]), now_excluded=int(row[1]), now_included=int(row[2]),
                     changed=int(row[3]), quarantined_before=held,
                     quarantined=_quarantined(store, raw, rules.entity))  # fmt: skip


def held(store: Store, raw: RawStream, rules: Derivation) -> tuple[int, int, int]:
    """What the stream's raw rows hold under `rules` (after a whole read derived them
    all): the records the CRM has, those of them the mapping leaves out, and those
    quarantined."""
    bind = Bind()
    row = store.fetch(
        f"SELECT count(*), count(*) FILTER (WHERE {_skip(raw, rules, bind)}) "
        f"FROM {ident(raw.table)} r WHERE NOT r.{DELETED}", bind.params,
    )[0]  # fmt: skip
    return int(row[0]), int(row[1]), _quarantined(store, raw, rules.entity)


def _quarantined(store: Store, raw: RawStream, entity: Entity) -> int:
    """How many of the stream's records have quarantine entries."""
    return int(store.scalar(
        "SELECT count(DISTINCT record_id) FROM quarantine WHERE source = ? AND entity = ? "
        f"AND record_id IN (SELECT {ID} FROM {ident(raw.table)})", [raw.source, entity.name],
    ) or 0)  # fmt: skip


def _row(alias: str, names: Sequence[str]) -> str:
    return f"row({', '.join(f'{alias}.{ident(n)}' for n in names)})" if names else "NULL"


def _select(raw: RawStream, rules: Derivation, bind: Bind) -> str:
    """The derived columns: id, modified_at, then each mapped field."""
    cols = [f"r.{ID} AS id", f"r.{MODSTAMP} AS modified_at"]
    cols += [f"{_value(raw, d, bind)} AS {ident(d.name)}" for d in rules.fields]
    return ", ".join(cols)


def _value(raw: RawStream, rule: Derived, bind: Bind) -> str:
    if rule.const is not None or rule.field is None:
        return bind.value(rule.const) if rule.const is not None else "CAST(NULL AS VARCHAR)"
    given = f"NULLIF(r.{raw.column(rule.field)}, '')"
    value = given
    if rule.lookup is not None:
        keys, values = bind.value(list(rule.lookup)), bind.value(list(rule.lookup.values()))
        other = f"NULLIF(r.{raw.column(rule.fallback)}, '')" if rule.fallback else "NULL"
        value = (f"CASE WHEN list_contains({keys}, {value}) THEN MAP({keys}, {values})[{value}] "
                 f"ELSE {other} END")  # fmt: skip
    if rule.prefix is not None:
        value = f"CASE WHEN starts_with({value}, {bind.value(rule.prefix)}) THEN {value} END"
    value = _transformed(value, rule.transform, bind)
    if rule.default is not None:
        value = f"CASE WHEN {given} IS NULL THEN {bind.value(rule.default)} ELSE {value} END"
    return value


def _transformed(value: str, transform: Transform | None, bind: Bind) -> str:
    if transform == "day_start":
        return f"left({value}, 10)"
    if transform == "reciprocal":  # not a number: kept, so typing quarantines it as it was
        number = f"TRY_CAST({value} AS DOUBLE)"
        return (f"CASE WHEN {number} IS NULL THEN {value} WHEN {number} = 0 THEN NULL "
                f"ELSE CAST(1.0 / {number} AS VARCHAR) END")  # fmt: skip
    if transform == "midnight_utc_date":
        return (f"CASE WHEN regexp_matches({value}, {bind.value(_MIDNIGHT_UTC)}) "
                f"THEN left({value}, 10) ELSE {value} END")  # fmt: skip
    return value


def _skip(raw: RawStream, rules: Derivation, bind: Bind) -> str:
    """The condition of a record the mapping leaves out (values compared trimmed)."""
    conditions = ["FALSE"]
    for name, values in rules.exclude.items():
        listed = bind.value([v.strip() for v in values])
        conditions.append(f"list_contains({listed}, coalesce(trim(r.{raw.column(name)}), ''))")
    for name, values in rules.include.items():
        listed = bind.value([v.strip() for v in values])
        conditions.append(
            f"NOT list_contains({listed}, coalesce(trim(r.{raw.column(name)}), ''))"
        )
    conditions += [f"NULLIF(r.{raw.column(name)}, '') IS NULL" for name in rules.require]
    return " OR ".join(conditions)


def _leave(store: Store, source: str, entity: Entity) -> int:
    """Mark deleted the records derived as gone (deleted in the CRM, or left out by the
    mapping), and drop their quarantine entries and findings: they leave every KPI."""
    gone = f"SELECT id FROM {_GONE}"
    for table in ("quarantine", "findings"):
        store.execute(f"DELETE FROM {table} WHERE source = ? AND entity = ? "
                      f"AND record_id IN ({gone})", [source, entity.name])  # fmt: skip
    return int(store.scalar(
        f"UPDATE {entity.table} SET is_deleted = TRUE WHERE source = ? AND NOT is_deleted "
        f"AND id IN ({gone})", [source]) or 0)  # fmt: skip
