"""Load one staged batch into its normalized table: type, quarantine, upsert, delete."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from connector.errors import MassDeleteError
from connector.schema import CONTACT_METHOD_FIELDS, Entity, is_reference
from connector.store.db import Store
from connector.store.normalize import (
    Bind,
    Bound,
    ParseOptions,
    ValueMap,
    bounds,
    contact_method_check,
    cut,
    cut_marked,
    finding_rules,
    id_expression,
    mapped_raw,
    row_rules,
    shown,
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
    excluded: int = 0  # of a full load: records the mapping leaves out (marked deleted)
    origins: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Deletes:
    """What a full load does with the records it lacks: they are marked deleted, unless
    `skip_reason` says why the load cannot tell (then none is), and not past `max_share`
    of the entity's live records (then the load stops with `MassDeleteError`), as a
    partial export looks exactly like a mass delete. Records the mapping leaves out
    (ids in the table `excluded`) are not missing: they are marked deleted without
    counting as deletes (an exclusion added to the mapping is no mass delete)."""

    skip_reason: str | None = None
    max_share: float | None = None
    excluded: str | None = None


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
    release: Callable[[], None] | None = None,
) -> IngestResult:
    """Type the staged rows, quarantine the bad ones, upsert the good ones by (source, id).

    `staged` is a table of VARCHAR columns named after normalized fields plus `_line`
    (the line or position of the row in its origin). With `full`, the batch is the whole
    set of records of this entity in this source: records missing from it are marked
    deleted (as `deletes` says), and the entity's earlier quarantine entries are replaced.
    `release`, when given, frees the staged rows once typed: a large batch is then not
    held twice.
    """
    con = store.con
    cols = staged_columns(con, staged)
    bind = Bind()
    try:
        with _unordered(con):
            con.execute(_typed_sql(entity, staged, cols, opts, value_maps or {}, bind),
                        bind.params)  # fmt: skip
            if release is not None:
                release()
            for statement, params in _errors_sql(entity, opts):
                con.execute(statement, params)
            return _load(con, IngestResult(source, entity.name, origins=[origin]), entity,
                         full, deletes, opts)  # fmt: skip
    finally:
        con.execute("DROP TABLE IF EXISTS _typed; DROP TABLE IF EXISTS _errors")
        con.execute("DROP TABLE IF EXISTS _findings")


@contextmanager
def _unordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Rows carry their `_line`: their order in the work tables does not matter, and
    not keeping it lets DuckDB type and insert a large batch in much less memory."""
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        con.execute("RESET preserve_insertion_order")


def _load(
    con: duckdb.DuckDBPyConnection, result: IngestResult, entity: Entity, full: bool,
    deletes: Deletes, opts: ParseOptions,
) -> IngestResult:  # fmt: skip
    """Quarantine, upsert and (for a full set) mark missing records deleted, together."""
    origin = result.origins[0]
    con.execute("BEGIN TRANSACTION")
    try:
        _replace_issues(con, result.source, entity, origin, full)
        _delete_replaced(con, result.source, entity)
        if full:
            _mark_missing_deleted(con, result, entity, origin, deletes)
        result.loaded = _insert(con, result.source, entity, opts)
        result.quarantined = _count(con, "SELECT count(DISTINCT _line) FROM _errors")
        result.findings = _count(con, "SELECT count(*) FROM _findings")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
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
    typed_cols, cuts = [], []
    kept = _raw_kept(entity)
    method = contact_method_check(entity, bind)
    for name, ftype in entity.field_types.items():
        if name in ("source", "id", "is_deleted"):
            continue
        raw = (
            mapped_raw(name, value_maps.get(name), bind)
            if name in cols
            else "CAST(NULL AS VARCHAR)"
        )
        raw = f"upper({raw})" if name == "currency" else raw
        # Long text is cut (one character more than kept: see `cut_marked`); references
        # never are, as a cut one would name another record.
        cutting = ftype == "str" and not is_reference(name)
        if name not in kept:
            raw_cols.append(f"{raw} AS t_{name}")  # text typed as itself: one column, not two
            if cutting:
                cuts.append(f"{cut_marked(f't_{name}')} AS t_{name}")
            continue
        raw_cols.append(f"{raw} AS r_{name}")
        if method is not None and name == method[0]:
            # Unknown methods are kept (as other) and reported as findings, not dropped.
            value = (
                f"CASE WHEN r_{name} IS NULL THEN NULL WHEN list_contains({method[1]}, "
                f"lower(r_{name})) THEN lower(r_{name}) ELSE 'other' END"
            )
        else:
            value = typed(f"r_{name}", ftype, opts, bind)
            value = cut_marked(value) if cutting else value
        typed_cols.append(f"{value} AS t_{name}")
    # The inner select maps raw values once; typed expressions then refer to them.
    replace = f" REPLACE ({', '.join(cuts)})" if cuts else ""
    return (
        f"CREATE OR REPLACE TEMP TABLE _typed AS SELECT *{replace}, {', '.join(typed_cols)} "
        f"FROM (SELECT {', '.join(raw_cols)} FROM {staged})"
    )


def _raw_kept(entity: Entity) -> set[str]:
    """The fields whose raw value `_typed` keeps beside the typed one (`r_<field>`): those
    typing can change or reject, and those a rule or finding quotes as the file had it.
    Other text is typed as itself, and held once."""
    rules = [sql for _, cond, reason in row_rules(entity) for sql in (cond, reason)]
    rules += [sql for _, cond, problem in finding_rules(entity, Bind()) for sql in (cond, problem)]
    quoted = set(re.findall(r"\br_(\w+)", " ".join(rules)))
    method = CONTACT_METHOD_FIELDS.get(entity.name)
    return {name for name, ftype in entity.field_types.items()
            if ftype != "str" or name in quoted or name == method}  # fmt: skip


def _raw(name: str, kept: set[str]) -> str:
    """The column holding a field's value as the file had it (trimmed, mapped)."""
    return f"r_{name}" if name in kept else f"t_{name}"


def _errors_sql(entity: Entity, opts: ParseOptions) -> list[tuple[str, dict[str, object]]]:
    """The statements creating `_errors` (quarantine reasons) and `_findings`, each with
    its parameters."""
    bind, found = Bind(), Bind()
    selects: list[str] = []
    required, kept = set(entity.required_fields), _raw_kept(entity)
    for name, ftype in entity.field_types.items():
        if name in ("source", "is_deleted"):
            continue
        if name == "id":
            selects.append(_err(bind, "id", "t_id IS NULL", "NULL", "required field is empty"))
            continue
        if name in kept:
            broken = f"r_{name} IS NOT NULL AND t_{name} IS NULL"
            selects.append(_err(bind, name, broken, f"r_{name}", type_problem(ftype, opts)))
        if name in required:
            empty = "required field is empty"
            selects.append(_err(bind, name, f"{_raw(name, kept)} IS NULL", "NULL", empty))
    for name, broken, reason in row_rules(entity):
        selects.append(_err(bind, name, f"({broken})", _raw(name, kept), reason))
    fences = bounds(entity, opts.dates)
    for fence in fences:
        if fence.usable != "TRUE":
            broken = f"{fence.outside} AND NOT ({fence.usable})"
            selects.append(_err(bind, fence.field, broken, _raw(fence.field, kept), fence.reason))
    # Repeated ids first (a hash aggregate), then their lines: much less work and memory
    # than a window over every row of a large batch.
    selects.append(
        f"SELECT t._line, {shown('t.t_id')} AS record_id, 'id' AS field, "
        f"{shown('t.t_id')} AS value, "
        "'duplicate id: line ' || CAST(d.last_line AS VARCHAR) || ' wins' AS reason "
        "FROM _typed t JOIN (SELECT t_id, max(_line) AS last_line FROM _typed "
        "WHERE t_id IS NOT NULL GROUP BY t_id HAVING count(*) > 1) d ON d.t_id = t.t_id "
        "WHERE t._line < d.last_line"
    )
    errors = " UNION ALL ".join(selects)
    # A finding on a quarantined row would be about a value that was not loaded.
    rules = [(name, condition, problem, shown(f"CAST({_raw(name, kept)} AS VARCHAR)"))
             for name, condition, problem in finding_rules(entity, found)]  # fmt: skip
    rules += [_kept_outside(fence, kept, found) for fence in fences if fence.usable != "FALSE"]
    findings = " UNION ALL ".join(
        f"SELECT _line, t_id AS record_id, {found.value(name)} AS field, "
        f"{value} AS value, {problem} AS problem FROM _typed "
        f"WHERE {condition} AND _line NOT IN (SELECT _line FROM _errors)"
        for name, condition, problem, value in rules
    ) or ("SELECT NULL AS _line, NULL AS record_id, NULL AS field, NULL AS value, "
          "NULL AS problem WHERE FALSE")  # fmt: skip
    return [
        (f"CREATE OR REPLACE TEMP TABLE _errors AS {errors}", bind.params),
        (f"CREATE OR REPLACE TEMP TABLE _findings AS {findings}", found.params),
    ]


def _err(bind: Bind, name: str, condition: str, value: str, reason: str) -> str:
    return (
        f"SELECT _line, {shown('t_id')} AS record_id, {bind.value(name)} AS field, "
        f"{shown(f'CAST({value} AS VARCHAR)')} AS value, {bind.value(reason)} AS reason "
        f"FROM _typed WHERE {condition}"
    )


def _kept_outside(fence: Bound, kept: set[str], bind: Bind) -> tuple[str, str, str, str]:
    """(field, condition, problem, value) of the finding on a value out of bounds whose
    record is kept: the value cleared, or cut (shown as kept, marked as cut)."""
    name = fence.field
    value = (f"{cut(f't_{name}')} || '…'" if fence.cut
             else shown(f"CAST({_raw(name, kept)} AS VARCHAR)"))  # fmt: skip
    return name, f"{fence.outside} AND ({fence.usable})", bind.value(fence.problem), value


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


_GOOD = "FROM _typed t WHERE NOT EXISTS (SELECT 1 FROM _errors e WHERE e._line = t._line)"


def _delete_replaced(con: duckdb.DuckDBPyConnection, source: str, entity: Entity) -> None:
    """Delete the stored versions of the records the batch brings a good row of (an
    upsert is this delete, then `_insert`); nothing to compare on a first load."""
    if _count(con, f"SELECT count(*) FROM {entity.table} WHERE source = ?", [source]):
        con.execute(
            f"DELETE FROM {entity.table} WHERE source = ? AND id IN (SELECT t_id {_GOOD})",
            [source],
        )


def _insert(
    con: duckdb.DuckDBPyConnection, source: str, entity: Entity, opts: ParseOptions
) -> int:
    names = list(entity.field_types)
    bind = Bind()
    cleared = {f.field: f.outside for f in bounds(entity, opts.dates)
               if f.usable != "FALSE" and not f.cut}  # fmt: skip
    values = []
    for name in names:
        if name == "source":
            values.append(bind.value(source))
        elif name in cleared:  # kept without a value out of bounds (quarantined: not here)
            values.append(f"CASE WHEN {cleared[name]} THEN NULL ELSE t_{name} END")
        elif entity.field_types[name] == "str" and not is_reference(name):
            values.append(cut(f"t_{name}"))
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
    insert = f"INSERT INTO {entity.table} ({', '.join(names)}) SELECT {', '.join(values)}"
    row = con.execute(f"{insert} {_GOOD}", bind.params).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _mark_missing_deleted(
    con: duckdb.DuckDBPyConnection,
    result: IngestResult,
    entity: Entity,
    origin: str,
    deletes: Deletes,
) -> None:
    """Mark deleted the records of a full load's entity it lacks (as `deletes` says);
    those the mapping leaves out, whatever it says."""
    if deletes.skip_reason:
        result.notes.append(f"{origin}: nothing marked deleted, {deletes.skip_reason}")
        if deletes.excluded is not None:
            result.excluded = result.deleted = _count(
                con, f"UPDATE {entity.table} SET is_deleted = TRUE WHERE source = ? AND NOT "
                f"is_deleted AND id IN (SELECT id FROM {deletes.excluded})", [result.source])
    else:
        result.deleted, result.excluded = _delete_missing(con, result.source, entity, origin,
                                                          deletes)


def _delete_missing(
    con: duckdb.DuckDBPyConnection, source: str, entity: Entity, origin: str, deletes: Deletes,
) -> tuple[int, int]:  # fmt: skip
    """Mark deleted the records a full load lacks; (records marked, of them left out by
    the mapping)."""
    # After `_delete_replaced` the source's stored records are those the batch has no
    # good row of: missing, or brought only in quarantined rows, which still exist in the
    # CRM and keep their last good version. Comparing with that short list, not the
    # whole batch, keeps a large reload cheap.
    missing = (
        "source = ? AND NOT is_deleted "
        "AND id NOT IN (SELECT record_id FROM _errors WHERE record_id IS NOT NULL)"
    )
    gone = _count(con, f"SELECT count(*) FROM {entity.table} WHERE {missing}", [source])
    if not gone:
        return 0, 0
    excluded = 0 if deletes.excluded is None else _count(
        con, f"SELECT count(*) FROM {entity.table} WHERE {missing} "
        f"AND id IN (SELECT id FROM {deletes.excluded})", [source])  # fmt: skip
    max_share = deletes.max_share
    if max_share is not None:  # live records once loaded: those kept and the good rows
        live = _count(
            con, f"SELECT count(*) FROM {entity.table} WHERE source = ? AND NOT is_deleted",
            [source],
        ) + _count(con, f"SELECT count(*) {_GOOD}")  # fmt: skip
        gone, live = gone - excluded, live - excluded
        if gone > max_share * live:
            raise MassDeleteError(
                f"{origin}: this load would mark {gone:,} of the {live:,} {entity.name} of "
                f"source {source} deleted ({gone / live:.1%}), more than max_delete_share "
                f"({max_share:.0%}) allows; nothing of {entity.name} was changed. "
                "If they really were deleted in the CRM, run again with --allow-mass-delete "
                "(or raise max_delete_share for this source in config.yaml)"
            )
    marked = _count(con, f"UPDATE {entity.table} SET is_deleted = TRUE WHERE {missing}", [source])
    return marked, excluded


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> int:
    row = con.execute(sql, params or []).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
