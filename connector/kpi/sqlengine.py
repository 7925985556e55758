"""What the KPI engine needs from an SQL engine, and the embedded one: DuckDB.

The KPI SQL files are one set for every engine (see `steps`). An engine runs them:
it loads the small Python-built tables, creates its dialect's helpers, materializes each
fact and each KPI as a temporary object of its own kind, and hands results back as
Arrow, which the store saves. `DuckDbEngine` runs in the store's own connection;
`connector.kpi.spark.SparkEngine` runs on Apache Spark.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

import pyarrow as pa

from connector.closing import Closing
from connector.store import Store
from connector.store.arrow import query_arrow
from connector.store.db import ident

Rows = Sequence[Sequence[object]]
Columns = Sequence[tuple[str, str]]
"""(name, type) pairs, a type one of VARCHAR, BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP."""


class SqlEngine(Closing):
    """An SQL engine the KPI SQL runs on. Statements take `$name` parameters. Used as a
    context manager: leaving it releases what the engine holds."""

    name: str
    dialect: str
    """The file of connector/kpi/sql holding this engine's helper functions."""

    @abstractmethod
    def load_rows(self, table: str, columns: Columns, rows: Rows) -> None:
        """(Re)create the temporary table `table` from Python rows."""

    @abstractmethod
    def run_script(self, statements: Sequence[str]) -> None:
        """Run statements without parameters (the dialect's helpers)."""

    @abstractmethod
    def view(self, name: str, sql: str) -> None:
        """(Re)define the temporary view `name` (no parameters; evaluated when read)."""

    @abstractmethod
    def materialize(self, name: str, sql: str, params: Mapping[str, object]) -> None:
        """Compute `sql` once into the temporary object `name`."""

    @abstractmethod
    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        """Every row of a (small) query."""

    @abstractmethod
    def arrow(self, sql: str, params: Mapping[str, object] | None = None) -> pa.Table:
        """A query's rows as an Arrow table (results, findings)."""


class DuckDbEngine(SqlEngine):
    """The embedded engine: the store's DuckDB connection, temporary tables and macros."""

    name = "duckdb"
    dialect = "dialect_duckdb.sql"

    def __init__(self, store: Store) -> None:
        self.store = store

    def close(self) -> None:
        """Nothing to release: temporary objects end with the store's connection."""

    def load_rows(self, table: str, columns: Columns, rows: Rows) -> None:
        self.store.load_rows(table, columns, rows)

    def run_script(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.store.execute(statement)

    def view(self, name: str, sql: str) -> None:
        self.store.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {sql}")

    def materialize(self, name: str, sql: str, params: Mapping[str, object]) -> None:
        self.store.execute(f"CREATE OR REPLACE TEMP TABLE {ident(name)} AS {sql}", dict(params))

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        return self.store.fetch(sql, dict(params or {}))

    def arrow(self, sql: str, params: Mapping[str, object] | None = None) -> pa.Table:
        return query_arrow(self.store, sql, params)
