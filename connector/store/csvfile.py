"""CSV exports: one file holds the whole set of one entity's records (a full load).

Each column is read as text (DuckDB's CSV reader, with explicit VARCHAR columns) and
typed once, by `ingest`, like API records. A line the reader rejects becomes a
quarantine row naming file and line; the good rows keep their real line numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from connector.errors import SourceError
from connector.schema import NATURAL_KEYS, Entity
from connector.store.db import Store, ident
from connector.store.ingest import IngestResult, ingest
from connector.store.normalize import ParseOptions, ValueMap

_READER = (
    "read_csv($path, header=true, auto_detect=false, delim=$delim, quote='\"', escape='\"', "
    "encoding=$encoding, store_rejects=true, columns=$columns)"
)


@dataclass(frozen=True)
class CsvLayout:
    """How an export file is read: its dialect, the header of each field (default: the
    field's own name), and header → values whose rows are left out."""

    delimiter: str = ","
    encoding: str = "utf-8"
    columns: Mapping[str, str] = field(default_factory=dict)
    exclude: Mapping[str, Sequence[str]] = field(default_factory=dict)


def csv_headers(path: Path, layout: CsvLayout) -> list[str]:
    """The header row of a CSV file; `SourceError` when unreadable, empty or repeating."""
    try:
        with path.open(encoding=layout.encoding, newline="") as fh:
            first = next(csv.reader(fh, delimiter=layout.delimiter), [])
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: cannot read: {exc}") from exc
    headers = [h.strip().lstrip("\ufeff") for h in first]
    if not headers or len(set(headers)) != len(headers):
        raise SourceError(f"{path.name}:1 header row is empty or repeats a column name")
    return headers


def load_csv(
    store: Store,
    *,
    source: str,
    entity: Entity,
    path: Path,
    layout: CsvLayout,
    opts: ParseOptions,
    value_maps: Mapping[str, ValueMap] | None = None,
) -> IngestResult:
    """Load one export file as the whole set of `entity`'s records of `source`; a missing
    file is an empty set."""
    con = store.con
    rejected = 0
    if path.is_file():
        rejected = _stage(con, entity, path, layout)
    else:
        columns = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in entity.data_fields)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT 0 AS _line, {columns} WHERE FALSE"
        )
    try:
        result = ingest(store, source=source, entity=entity, staged="_staged",
                        origin=path.name, opts=opts, value_maps=value_maps, full=True)  # fmt: skip
    finally:
        con.execute("DROP TABLE IF EXISTS _staged")
    if rejected:
        con.execute(
            "INSERT INTO quarantine SELECT ?, ?, ?, line, NULL, column_name, csv_line, "
            "error_message, now() FROM reject_errors ORDER BY line",
            [source, entity.name, path.name],
        )
        result.quarantined += rejected
    return result


def _stage(con: duckdb.DuckDBPyConnection, entity: Entity, path: Path, layout: CsvLayout) -> int:
    """Stage the file as `_staged` (text columns named after fields, `_line`); the number
    of lines the reader rejected (left in `reject_errors`)."""
    headers = csv_headers(path, layout)
    select = ["l.line AS _line", *_selected(entity, path, layout, headers)]
    where, excluded = _exclusions(path, layout, headers)
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _raw AS SELECT *, row_number() OVER () AS _k "
            f"FROM {_READER}",
            {"path": str(path), "delim": layout.delimiter, "encoding": layout.encoding,
             # Explicit VARCHAR columns: typing happens once, in `ingest`, with the type map.
             "columns": {_col(i): "VARCHAR" for i in range(len(headers))}},
        )  # fmt: skip
    except duckdb.Error as exc:
        first_line = str(exc).splitlines()[0]
        raise SourceError(f"{path.name}: not a readable CSV file: {first_line}") from exc
    rejected = int(con.execute("SELECT count(*) FROM reject_errors").fetchall()[0][0])
    # Rejected rows leave gaps: map the k-th good row to its real line number.
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _lines AS SELECT line, row_number() OVER (ORDER BY line) "
        "AS k FROM range(2, (SELECT count(*) FROM _raw) + ? + 2) r(line) "
        "WHERE line NOT IN (SELECT line FROM reject_errors)",
        [rejected],
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT {', '.join(select)} "
        f"FROM _raw JOIN _lines l ON l.k = _raw._k {where}",
        excluded,
    )
    con.execute("DROP TABLE _raw; DROP TABLE _lines")
    return rejected


def _selected(entity: Entity, path: Path, layout: CsvLayout, headers: list[str]) -> list[str]:
    """`"<header>" AS <field>` for every field the file has; `SourceError` for a mapped
    or required column it lacks."""
    select, staged = [], set()
    for name in entity.data_fields:
        header = layout.columns.get(name, name)
        if header in headers:
            select.append(f"{_col(headers.index(header))} AS {ident(name)}")
            staged.add(name)
        elif name in layout.columns:
            raise SourceError(
                f"{path.name}: column {header!r} mapped to {entity.name}.{name} "
                f"is not in the file (columns: {', '.join(headers)})"
            )
    missing = [f for f in entity.required_fields if f not in staged]
    if missing == ["id"] and entity.name in NATURAL_KEYS:
        missing = []
    if missing:
        raise SourceError(
            f"{path.name}: required column(s) {', '.join(missing)} missing "
            f"(columns: {', '.join(headers)})"
        )
    return select


def _exclusions(
    path: Path, layout: CsvLayout, headers: list[str]
) -> tuple[str, dict[str, list[str]]]:
    """The WHERE clause leaving out excluded rows, and its parameters (the values)."""
    conditions, params = [], {}
    for index, (header, values) in enumerate(layout.exclude.items()):
        if header not in headers:
            raise SourceError(f"{path.name}: exclude column {header!r} is not in the file")
        column = _col(headers.index(header))
        conditions.append(f"NOT list_contains($ex{index}, COALESCE(TRIM({column}), ''))")
        params[f"ex{index}"] = list(values)
    return (f"WHERE {' AND '.join(conditions)}" if conditions else ""), params


def _col(position: int) -> str:
    # The file's columns are read by position as c0, c1, …: a header never reaches SQL.
    return f"c{position}"
