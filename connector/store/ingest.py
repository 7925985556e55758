"""Load one staged batch into its normalized table: type, quarantine, upsert, delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import duckdb

from connector.errors import MassDeleteError
from connector.schema import Entity
from connector.store.db import Store
from connector.store.normalize import (
    Bind,
    ParseOptions,
    ValueMap,
    contact_method_check,
    finding_rules,
    id_expression,
    mapped_raw,
    row_rules,
    type_problem,
    typed,
)


@dataclass
class IngestResult:
    """What one ingest did to one entity of one source."""

    source: str
    entity: str
    loaded: int = 0
    quarantined: int = 0
    deleted: int = 0
    findings: int = 0
    origins: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deletes:
    """What a full load does with the records it lacks: they are marked deleted, unless
    `skip_reason` says why the load cannot tell (then none is), and not past `max_share`
    of the entity's live records (then the load stops with `MassDeleteError`), as a
    partial export looks exactly like a mass delete."""

    skip_reason: str | None = None
    max_share: float | None = None


def staged_columns(con: duckdb.DuckDBPyConnection, staged: str) -> set[str]:
    """Column names of a staged table."""
    return {row[0] for row in con.execute(f"DESCRIBE {staged}").fetchall()}


def ingest(
    store: Store,
    *,
    source: str,
    entity: Entity,
    staged: str,
    origin: str,
    opts: ParseOptions,
    value_maps: Mapping[str, ValueMap] | None = None,
    full: bool,
    deletes: Deletes = Deletes(),
) -> IngestResult:
    """Type the staged rows, quarantine the bad ones, upsert the good ones by (source, id).

    `staged` is a table of VARCHAR columns named after normalized fields plus `_line`
    (the line or position of the row in its origin). With `full`, the batch is the whole
    set of records of this entity in this source: records missing from it are marked
    deleted (as `deletes` says), and the entity's earlier quarantine entries are replaced.
    """
    con = store.con
    cols = staged_columns(con, staged)
    bind = Bind()
    con.execute(_typed_sql(entity, staged, cols, opts, value_maps or {}, bind), bind.params)
    for statement, params in _errors_sql(entity, opts):
        con.execute(statement, params)
    result = IngestResult(source=source, entity=entity.name, origins=[origin])
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_issues(con, source, entity, origin, full)
        result.loaded = _upsert(con, source, entity)
        result.quarantined = _count(con, "SELECT count(DISTINCT _line) FROM _errors")
        result.findings = _count(con, "SELECT count(*) FROM _findings")
        if full:
            _mark_missing_deleted(con, result, entity, origin, deletes)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.execute("DROP TABLE IF EXISTS _typed; DROP TABLE IF EXISTS _errors")
        con.execute("DROP TABLE IF EXISTS _findings")
    return result


def _typed_sql(
    entity: Entity,
    staged: str,
    cols: set[str],
    opts: ParseOptions,
    value_maps: Mapping[str, ValueMap],
    bind: Bind,
) -> str:
    raw_cols = ["_line", f"{id_expression(entity, cols)} AS t_id"]
    typed_cols = []
    method = contact_method_check(entity, bind)
    for name, ftype in entity.field_types.items():
        if name in ("source", "id", "is_deleted"):
            continue
        raw = (
            mapped_raw(name, value_maps.get(name), bind)
            if name in cols
            else "CAST(NULL AS VARCHAR)"
        )
        raw_cols.append(f"{'upper(' + raw + ')' if name == 'currency' else raw} AS r_{name}")
        if method is not None and name == method[0]:
            # Unknown methods are kept (as other) and reported as findings, not dropped.
            value = (
                f"CASE WHEN r_{name} IS NULL THEN NULL WHEN list_contains({method[1]}, "
                f"lower(r_{name})) THEN lower(r_{name}) ELSE 'other' END"
            )
        else:
            value = typed(f"r_{name}", ftype, opts, bind)
        typed_cols.append(f"{value} AS t_{name}")
    # The inner select maps raw values once; typed expressions then refer to them.
    return (
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT *, {', '.join(typed_cols)} "
        f"FROM (SELECT {', '.join(raw_cols)} FROM {staged})"
    )


def _errors_sql(entity: Entity, opts: ParseOptions) -> list[tuple[str, dict[str, object]]]:
    """The statements creating `_errors` (quarantine reasons) and `_findings`, each with
    its parameters."""
    bind, found = Bind(), Bind()
    selects: list[str] = []
    required = set(entity.required_fields)
    for name, ftype in entity.field_types.items():
        if name in ("source", "is_deleted"):
            continue
        if name == "id":
            selects.append(_err(bind, "id", "t_id IS NULL", "NULL", "required field is empty"))
            continue
        problem = type_problem(ftype, opts)
        broken = f"r_{name} IS NOT NULL AND t_{name} IS NULL"
        selects.append(_err(bind, name, broken, f"r_{name}", problem))
        if name in required:
            empty = "required field is empty"
            selects.append(_err(bind, name, f"r_{name} IS NULL", "NULL", empty))
    for name, broken, reason in row_rules(entity):
        selects.append(_err(bind, name, f"({broken})", f"r_{name}", reason))
    selects.append(
        "SELECT _line, t_id AS record_id, 'id' AS field, t_id AS value, "
        "'duplicate id: line ' || CAST(last_line AS VARCHAR) || ' wins' AS reason "
        "FROM (SELECT _line, t_id, max(_line) OVER (PARTITION BY t_id) AS last_line "
        "FROM _typed WHERE t_id IS NOT NULL) WHERE _line < last_line"
    )
    errors = " UNION ALL ".join(selects)
    # A finding on a quarantined row would be about a value that was not loaded.
    findings = " UNION ALL ".join(
        f"SELECT _line, t_id AS record_id, {found.value(name)} AS field, "
        f"CAST(r_{name} AS VARCHAR) AS value, {problem} AS problem FROM _typed "
        f"WHERE {condition} AND _line NOT IN (SELECT _line FROM _errors)"
        for name, condition, problem in finding_rules(entity, found)
    ) or ("SELECT NULL AS _line, NULL AS record_id, NULL AS field, NULL AS value, "
          "NULL AS problem WHERE FALSE")  # fmt: skip
    return [
        (f"CREATE OR REPLACE TEMP TABLE _errors AS {errors}", bind.params),
        (f"CREATE OR REPLACE TEMP TABLE _findings AS {findings}", found.params),
    ]


def _err(bind: Bind, name: str, condition: str, value: str, reason: str) -> str:
    return (
        f"SELECT _line, t_id AS record_id, {bind.value(name)} AS field, "
        f"CAST({value} AS VARCHAR) AS value, {bind.value(reason)} AS reason "
        f"FROM _typed WHERE {condition}"
    )


def _replace_issues(
    con: duckdb.DuckDBPyConnection, source: str, entity: Entity, origin: str, full: bool
) -> None:
    for table in ("quarantine", "findings"):
        if full:
            con.execute(
                f"DELETE FROM {table} WHERE source = ? AND entity = ?", [source, entity.name]
            )
        else:
            con.execute(
                f"DELETE FROM {table} WHERE source = ? AND entity = ? "
                "AND record_id IN (SELECT t_id FROM _typed)",
                [source, entity.name],
            )
    con.execute(
        "INSERT INTO quarantine SELECT ?, ?, ?, _line, record_id, field, value, reason, now() "
        "FROM _errors ORDER BY _line, field",
        [source, entity.name, origin],
    )
    con.execute(
        "INSERT INTO findings SELECT ?, ?, ?, _line, record_id, field, value, problem, now() "
        "FROM _findings ORDER BY _line, field",
        [source, entity.name, origin],
    )


def _upsert(con: duckdb.DuckDBPyConnection, source: str, entity: Entity) -> int:
    good = "FROM _typed t WHERE NOT EXISTS (SELECT 1 FROM _errors e WHERE e._line = t._line)"
    con.execute(
        f"DELETE FROM {entity.table} WHERE source = ? AND id IN (SELECT t_id {good})", [source]
    )
    names = list(entity.field_types)
    values = []
    for name in names:
        if name == "source":
            values.append("?")
        elif name == "id":
            values.append("t_id")
        elif name == "is_deleted":
            values.append("FALSE")
        elif name == "is_closed" and entity.name == "opportunities":
            values.append("(COALESCE(t_is_closed, FALSE) OR COALESCE(t_is_won, FALSE))")
        elif entity.field_types[name] == "bool" and name in ("is_won",):
            values.append(f"COALESCE(t_{name}, FALSE)")
        else:
            values.append(f"t_{name}")
    return _count(
        con,
        f"INSERT INTO {entity.table} ({', '.join(names)}) SELECT {', '.join(values)} {good}",
        [source],
    )


def _mark_missing_deleted(
    con: duckdb.DuckDBPyConnection,
    result: IngestResult,
    entity: Entity,
    origin: str,
    deletes: Deletes,
) -> None:
    """Mark deleted the records of a full load's entity it lacks (as `deletes` says)."""
    if deletes.skip_reason:
        result.notes.append(f"{origin}: nothing marked deleted, {deletes.skip_reason}")
    else:
        result.deleted = _delete_missing(con, result.source, entity, origin, deletes.max_share)


def _delete_missing(
    con: duckdb.DuckDBPyConnection, source: str, entity: Entity, origin: str,
    max_share: float | None,
) -> int:  # fmt: skip
    # Quarantined rows still exist in the CRM: they keep their last good version.
    missing = (
        "source = ? AND NOT is_deleted "
        "AND id NOT IN (SELECT t_id FROM _typed WHERE t_id IS NOT NULL)"
    )
    gone = _count(con, f"SELECT count(*) FROM {entity.table} WHERE {missing}", [source])
    if not gone:
        return 0
    if max_share is not None:
        live = _count(
            con, f"SELECT count(*) FROM {entity.table} WHERE source = ? AND NOT is_deleted",
            [source],
        )  # fmt: skip
        if gone > max_share * live:
            raise MassDeleteError(
                f"{origin}: this load would mark {gone:,} of the {live:,} {entity.name} of "
                f"source {source} deleted ({gone / live:.1%}), more than max_delete_share "
                f"({max_share:.0%}) allows; nothing of {entity.name} was changed. "
                "If they really were deleted in the CRM, run again with --allow-mass-delete "
                "(or raise max_delete_share for this source in config.yaml)"
            )
    return _count(con, f"UPDATE {entity.table} SET is_deleted = TRUE WHERE {missing}", [source])


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
