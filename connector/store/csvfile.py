"""CSV exports: one file holds the whole set of one entity's records (a full load).

Each column is read as text and typed once, by `ingest`, like API records. DuckDB's
parallel reader reads the file; its count of rows and rejected lines is then checked
against the file's own count of lines. When they add up, every line was one record, read
or rejected. When they do not (a quote left open, which makes DuckDB drop lines, or a
quoted value spanning lines, or blank lines), the file is read again by the careful
reader of `csvrecover`. Either way a line that cannot be read is one quarantine row
naming file and line, and the good rows keep their real line numbers. A file with such a
line marks nothing deleted: the records on the lines it could not read are not missing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from connector.errors import ExportError, MassDeleteError
from connector.schema import NATURAL_KEYS, Entity
from connector.store.csvrecover import Batch, read_batches, rejected_reason
from connector.store.csvtext import (
    UTF8,
    count_lines,
    header_row,
    utf8_error,
    utf8_file,
)
from connector.store.db import Store, ident
from connector.store.ingest import Deletes, IngestResult, ingest
from connector.store.normalize import ParseOptions, ValueMap, id_expression

_READER = (
    "read_csv($path, header=true, auto_detect=false, delim=$delim, quote='\"', escape='\"', "
    "encoding='utf-8', store_rejects=true, columns=$columns)"
)
_REJECTED = "_csv_rejected"
_EXCLUDED = "_csv_excluded"  # the ids of the rows the mapping's `exclude` leaves out
_GIVEN = "_csv_given"  # the mapping's constants and defaults, one row


@dataclass(frozen=True)
class CsvLayout:
    """How an export file is read: its dialect, the header of each field (default: the
    field's own name), and header → values whose rows are left out."""

    delimiter: str = ","
    encoding: str = UTF8
    columns: Mapping[str, str] = field(default_factory=dict)
    exclude: Mapping[str, Sequence[str]] = field(default_factory=dict)
    constants: Mapping[str, str] = field(default_factory=dict)
    """field → the value every row holds (no column read)"""
    defaults: Mapping[str, str] = field(default_factory=dict)
    """field → the value of a row whose column is empty or absent"""


def csv_headers(path: Path, layout: CsvLayout) -> list[str]:
    """The header row of a CSV file; `ExportError` when unreadable, empty or repeating."""
    return header_row(path, layout.encoding, layout.delimiter)


def check_csv(path: Path, entity: Entity, layout: CsvLayout) -> None:
    """What a load checks before reading rows (header row, mapped, required and excluded
    columns), for `validate`; `ExportError` at the first problem."""
    headers = csv_headers(path, layout)
    _selected(entity, path, layout, headers)
    _exclusions(path, layout, headers)


def load_csv(
    store: Store,
    *,
    source: str,
    entity: Entity,
    path: Path,
    layout: CsvLayout,
    opts: ParseOptions,
    value_maps: Mapping[str, ValueMap] | None = None,
    max_delete_share: float | None = None,
) -> IngestResult:
    """Load one export file as the whole set of `entity`'s records of `source`; a missing
    file is an empty set. More deletes than `max_delete_share` of the records stop the
    load (`MassDeleteError`)."""
    con = store.con
    con.execute(f"DROP TABLE IF EXISTS {_EXCLUDED}")
    rejected = _stage(con, entity, path, layout) if path.is_file() else _stage_none(con, entity)
    lines = f"{rejected:,} line{'s' if rejected > 1 else ''}"
    skip = f"as {lines} could not be read (see the quarantine)" if rejected else None
    left_out = _EXCLUDED if store.has_table(_EXCLUDED) else None
    try:
        result = ingest(store, source=source, entity=entity, staged="_staged",
                        origin=path.name, opts=opts, value_maps=value_maps, full=True,
                        deletes=Deletes(skip_reason=skip, max_share=max_delete_share,
                                        excluded=left_out),
                        release=lambda: drop_staging(con))  # fmt: skip
        if rejected:
            con.execute(
                "INSERT INTO quarantine SELECT ?, ?, ?, line, NULL, NULL, text, reason, now() "
                f"FROM {_REJECTED} ORDER BY line",
                [source, entity.name, path.name],
            )
            result.quarantined += rejected
    except MassDeleteError as exc:
        if path.is_file():
            raise
        raise MassDeleteError(f"{exc} ({path.name} is not in {path.parent})") from None
    finally:
        drop_staging(con)
        con.execute(f"DROP TABLE IF EXISTS {_REJECTED}; DROP TABLE IF EXISTS {_EXCLUDED}")
    return result


def _stage_none(con: duckdb.DuckDBPyConnection, entity: Entity) -> int:
    """Stage an empty set: a missing file."""
    columns = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in entity.data_fields)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _staged AS SELECT 0 AS _line, {columns} WHERE FALSE")
    return 0


def _stage(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, layout: CsvLayout) -> int:
    """Stage the file as the view `_staged` (text columns named after fields, `_line`);
    the number of lines that could not be read (left in `_csv_rejected`: line, text,
    reason). The file's rows are held once, in the table under `_rows`, and only the
    columns the load uses: `drop_staging` frees them once `ingest` has typed them."""
    headers = csv_headers(path, layout)
    positions = _selected(entity, path, layout, headers)
    select = ["_line", *_given(con, layout, positions)]
    where, excluded = _exclusions(path, layout, headers)
    used = sorted({*positions.values(), *_excluded_columns(layout, headers)})
    with utf8_file(path, layout.encoding) as readable:
        held = "_raw"
        if not _read_fast(con, path, readable, layout.delimiter, len(headers), used):
            _read_carefully(con, readable, path, layout.delimiter, len(headers))
            held = "_careful"
    if where:  # a view takes no parameters: the excluded rows go (rowids stay)
        fields = ", ".join(f"{_col(i)} AS {ident(name)}" for name, i in positions.items())
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_EXCLUDED} AS SELECT "
                    f"{id_expression(entity, set(positions))} AS id FROM (SELECT {fields} "
                    f"FROM {held} WHERE NOT ({where}))", excluded)  # fmt: skip
        con.execute(f"DELETE FROM {held} WHERE NOT ({where})", excluded)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _staged AS SELECT {', '.join(select)} "
                f"FROM _rows, {_GIVEN}")  # fmt: skip
    return int(con.execute(f"SELECT count(*) FROM {_REJECTED}").fetchall()[0][0])


def _given(
    con: duckdb.DuckDBPyConnection, layout: CsvLayout, positions: Mapping[str, int]
) -> list[str]:
    """The staged columns: each field's column, a constant, or the column with its
    default where empty. The mapping's values sit in the one row of `_csv_given` (bound
    parameters: a view takes none)."""
    given = {**{f"d_{n}": v for n, v in layout.defaults.items()},
             **{f"k_{n}": v for n, v in layout.constants.items()}}  # fmt: skip
    slots = {key: f"g{i}" for i, key in enumerate(given)}
    columns = ", ".join(f"CAST(? AS VARCHAR) AS {slot}" for slot in slots.values())
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_GIVEN} AS SELECT {columns or '1 AS g'}",
                list(given.values()))  # fmt: skip
    out = []
    for name in sorted({*positions, *layout.constants, *layout.defaults}, key=str):
        if name in layout.constants:
            expression = f"{_GIVEN}.{slots['k_' + name]}"
        elif name in layout.defaults:
            column = f"nullif(trim({_col(positions[name])}), '')" if name in positions else "NULL"
            expression = f"coalesce({column}, {_GIVEN}.{slots['d_' + name]})"
        else:
            expression = _col(positions[name])
        out.append(f"{expression} AS {ident(name)}")
    return out


def drop_staging(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what `_stage` made but `_csv_rejected`: views first, then their tables."""
    con.execute("DROP VIEW IF EXISTS _staged; DROP VIEW IF EXISTS _rows")
    con.execute("DROP TABLE IF EXISTS _raw; DROP TABLE IF EXISTS _lines; "
                f"DROP TABLE IF EXISTS _careful; DROP TABLE IF EXISTS {_GIVEN}")  # fmt: skip


def _read_fast(
    con: duckdb.DuckDBPyConnection, path: Path, readable: Path, delimiter: str, width: int,
    used: list[int],
) -> bool:  # fmt: skip
    """Read the `used` columns with DuckDB into `_rows` and `_csv_rejected`; False when
    the rows and rejected lines do not add up to the file's lines (then nothing is left
    staged). `_raw` keeps the file's order, so a row's rowid tells its line."""
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _raw AS SELECT {', '.join(map(_col, used))} "
            f"FROM {_READER}",
            # Explicit VARCHAR columns: typing happens once, in `ingest`, with the type map.
            {"path": str(readable), "delim": delimiter,
             "columns": {_col(i): "VARCHAR" for i in range(width)}},
        )  # fmt: skip
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise ExportError(f"{path.name}: not a readable CSV file: {first_line}") from None
    con.execute(
        # With CR LF line ends DuckDB's text of a rejected line starts with the LF before it.
        f"CREATE OR REPLACE TEMP TABLE {_REJECTED} AS SELECT line, "
        "trim(any_value(csv_line), chr(13) || chr(10)) AS text, "
        "bool_or(error_type = 'INVALID ENCODING') AS bad_bytes, any_value(error_type) AS kind "
        "FROM reject_errors GROUP BY line"
    )
    if con.execute(f"SELECT bool_or(bad_bytes) FROM {_REJECTED}").fetchall()[0][0]:
        raise utf8_error(readable, path)
    read = con.execute("SELECT count(*) FROM _raw").fetchall()[0][0]
    rejected, spanning = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE contains(text, chr(10))) FROM {_REJECTED}"
    ).fetchall()[0]
    if spanning or read + rejected + 1 != count_lines(readable):
        con.execute(f"DROP TABLE _raw; DROP TABLE {_REJECTED}")
        return False
    _number_fast_rows(con, used, rejected)
    if rejected:
        _explain_rejected(con, width, delimiter)
    return True


def _number_fast_rows(con: duckdb.DuckDBPyConnection, used: list[int], rejected: int) -> None:
    """The view `_rows`, each read row with its line: the k-th read row (rowid k - 1) is
    on the k-th line not rejected (on line k + 1 when none was)."""
    cells = ", ".join(f"_raw.{_col(i)}" for i in used)
    if not rejected:
        con.execute(f"CREATE OR REPLACE TEMP VIEW _rows AS SELECT _raw.rowid + 2 AS _line, "
                    f"{cells} FROM _raw")  # fmt: skip
        return
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _lines AS SELECT line, row_number() OVER (ORDER BY line) "
        "AS k FROM range(2, (SELECT count(*) FROM _raw) + ? + 2) r(line) "
        f"WHERE line NOT IN (SELECT line FROM {_REJECTED})",
        [rejected],
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _rows AS SELECT l.line AS _line, {cells} "
        "FROM _raw JOIN _lines l ON l.k = _raw.rowid + 1"
    )


def _explain_rejected(con: duckdb.DuckDBPyConnection, width: int, delimiter: str) -> None:
    """One reason per rejected line (DuckDB reports one error per odd column), worded as
    the careful reader words it."""
    found = con.execute(f"SELECT line, text, kind FROM {_REJECTED} ORDER BY line").fetchall()
    reasons = [rejected_reason(text, kind, width, delimiter) for _, text, kind in found]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REJECTED} AS "
        "SELECT unnest($1) AS line, unnest($2) AS text, unnest($3) AS reason",
        [[r[0] for r in found], [r[1] for r in found], reasons],
    )


def _read_carefully(
    con: duckdb.DuckDBPyConnection, readable: Path, path: Path, delimiter: str, width: int
) -> None:
    """Read with `csvrecover` into `_rows` (over `_careful`) and `_csv_rejected`, batch
    by batch."""
    columns = [_col(i) for i in range(width)]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _careful (_line BIGINT, "
        + ", ".join(f"{c} VARCHAR" for c in columns) + ")"
    )  # fmt: skip
    con.execute("CREATE OR REPLACE TEMP VIEW _rows AS SELECT * FROM _careful")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_REJECTED} (line BIGINT, text VARCHAR, reason VARCHAR)"
    )
    for batch in read_batches(readable, delimiter, width):
        _append(con, batch, columns)


def _append(con: duckdb.DuckDBPyConnection, batch: Batch, columns: list[str]) -> None:
    data = {"_line": pa.array(batch.lines, type=pa.int64())}
    cells = zip(*batch.rows, strict=True) if batch.rows else ([] for _ in columns)
    for column, values in zip(columns, cells, strict=True):
        data[column] = pa.array(values, type=pa.string())
    con.register("_csv_batch", pa.table(data))
    try:
        con.execute("INSERT INTO _careful SELECT * FROM _csv_batch")
    finally:
        con.unregister("_csv_batch")
    if batch.rejected:
        con.execute(
            f"INSERT INTO {_REJECTED} SELECT unnest($1), unnest($2), unnest($3)",
            [[r.line for r in batch.rejected], [r.text for r in batch.rejected],
             [r.reason for r in batch.rejected]],
        )  # fmt: skip


def _selected(entity: Entity, path: Path, layout: CsvLayout, headers: list[str]) -> dict[str, int]:
    """Field → position of its column, for every field the file has; `ExportError` for
    a mapped or required column it lacks."""
    select: dict[str, int] = {}
    for name in entity.data_fields:
        if name in layout.constants:
            continue  # every row holds the mapping's value, whatever the file has
        header = layout.columns.get(name, name)
        if header in headers:
            select[name] = headers.index(header)
        elif name in layout.columns:
            raise ExportError(
                f"{path.name}:1 column {header!r} mapped to {entity.name}.{name} "
                f"is not in the file (columns: {', '.join(headers)})"
            )
    given = {*layout.constants, *layout.defaults}
    missing = [f for f in entity.required_fields if f not in select and f not in given]
    if missing == ["id"] and entity.name in NATURAL_KEYS:
        missing = []
    if missing:
        raise ExportError(
            f"{path.name}:1 required column(s) {', '.join(missing)} missing "
            f"(columns: {', '.join(headers)})"
        )
    return select


def _exclusions(
    path: Path, layout: CsvLayout, headers: list[str]
) -> tuple[str, dict[str, list[str]]]:
    """The condition keeping the rows not excluded (empty: all), and its parameters
    (the values)."""
    conditions, params = [], {}
    for index, (header, values) in enumerate(layout.exclude.items()):
        if header not in headers:
            raise ExportError(f"{path.name}:1 exclude column {header!r} is not in the file")
        column = _col(headers.index(header))
        conditions.append(f"NOT list_contains($ex{index}, COALESCE(TRIM({column}), ''))")
        params[f"ex{index}"] = [value.strip() for value in values]  # as `validate` does
    return " AND ".join(conditions), params


def _excluded_columns(layout: CsvLayout, headers: list[str]) -> set[int]:
    """Positions of the columns `exclude` reads (checked by `_exclusions`)."""
    return {headers.index(h) for h in layout.exclude if h in headers}


def _col(position: int) -> str:
    # The file's columns are read by position as c0, c1, …: a header never reaches SQL.
    return f"c{position}"
