"""Arrow in and out of the store: how KPI results computed elsewhere (Spark) come back,
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
