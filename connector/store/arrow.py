"""Arrow in and out of the store: how CRM records are staged (a page as one columnar
copy, not one INSERT per row), how KPI results computed elsewhere (Spark) come back,
and how the store hands query results over without a row-by-row copy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from connector.store.db import Store, ident


def query_arrow(store: Store, sql: str, params: Mapping[str, object] | None = None) -> pa.Table:
    """A query's rows as an Arrow table."""
    # A relation hands its rows to Arrow without the extra copy of a DB-API result.
    table: pa.Table = store.con.sql(sql, params=dict(params or {})).to_arrow_table()
    return table


def insert_arrow(
    store: Store,
    table: str,
    columns: Sequence[str],
    data: pa.Table,
    extra: Mapping[str, str] | None = None,
    params: Mapping[str, object] | None = None,
) -> int:
    """Append `data` to `table`: its `columns` (by name), then `extra` columns from SQL
    expressions over bound `params` (like `now()` or `$source`); the rows appended."""
    names = [ident(c) for c in columns]
    more = dict(extra or {})
    targets = ", ".join([*names, *(ident(c) for c in more)])
    values = ", ".join([*names, *more.values()])
    store.con.register("_arrow_in", data)
    try:
        store.con.execute(
            f"INSERT INTO {ident(table)} ({targets}) SELECT {values} FROM _arrow_in",
            dict(params or {}),
        )
    finally:
        store.con.unregister("_arrow_in")
    return int(data.num_rows)


def to_text(value: object) -> str | None:
    """A CRM value as the text the type map parses (None stays None)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _unicode(text: str | None) -> str | None:
    """Text any UTF-8 reader takes: a lone surrogate becomes U+FFFD."""
    if text is None:
        return None
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def stage_rows(
    store: Store,
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    first_line: int = 1,
) -> None:
    """(Re)create temp table `table` with VARCHAR `columns` plus `_line` positions."""
    data: dict[str, pa.Array] = {
        "_line": pa.array(range(first_line, first_line + len(rows)), type=pa.int64())
    }
    for index, column in enumerate(columns):
        values = [to_text(row[index]) for row in rows]
        try:
            data[column] = pa.array(values, type=pa.string())
        except UnicodeEncodeError:  # JSON may escape a lone surrogate ("\\ud800")
            data[column] = pa.array([_unicode(v) for v in values], type=pa.string())
    batch = pa.table(data)
    # A caller's half-read result (a fetchone) would make DuckDB refuse the registration.
    store.con.complete()
    store.con.register("_arrow_batch", batch)
    try:
        store.con.execute(f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT * FROM _arrow_batch")
    finally:
        store.con.unregister("_arrow_batch")
