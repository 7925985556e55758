"""`SparkEngine`: the KPI SQL on a SparkSession, results back as Arrow.

Temporary objects are views; a fact or a KPI is materialized with a local checkpoint,
which computes it once and cuts its lineage, so that no query plan grows with the ones
before it. Parameters are bound as Spark's named markers (`:name`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from connector.kpi.spark.session import start_session
from connector.kpi.spark.tables import register_lake, register_staged
from connector.kpi.sqlengine import Columns, Rows, SqlEngine
from connector.kpi.steps import with_markers
from connector.settings import SparkSettings
from connector.store import Store
from connector.store.db import ident
from connector.store.parquet import export_parquet

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

Progress = Callable[[str], None]

_TYPES = {
    "VARCHAR": "STRING",
    "BOOLEAN": "BOOLEAN",
    "BIGINT": "BIGINT",
    "DOUBLE": "DOUBLE",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP_NTZ",
}


class SparkEngine(SqlEngine):
    """The KPI SQL on Spark, over the normalized tables registered as views."""

    name = "spark"
    dialect = "dialect_spark.sql"

    def __init__(
        self, spark: SparkSession, *, owned: bool = False, progress: Progress | None = None
    ) -> None:
        self.spark = spark
        self.owned = owned
        self.progress = progress
        self._frames: dict[str, DataFrame] = {}

    def close(self) -> None:
        """Release what was materialized; stop the session if this engine started it."""
        for name, frame in self._frames.items():
            frame.unpersist()
            self.spark.catalog.dropTempView(name)
        self._frames.clear()
        if self.owned:
            self.spark.stop()

    def load_rows(self, table: str, columns: Columns, rows: Rows) -> None:
        schema = ", ".join(f"{ident(name)} {_TYPES[kind]}" for name, kind in columns)
        typed = [tuple(_typed(v, kind) for v, (_, kind) in zip(r, columns, strict=True))
                 for r in rows]  # fmt: skip
        self.spark.createDataFrame(typed, schema).createOrReplaceTempView(ident(table))

    def run_script(self, statements: Sequence[str]) -> None:
        for statement in statements:
            self.spark.sql(statement)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS {sql}")

    def materialize(self, name: str, sql: str, params: Mapping[str, object]) -> None:
        started = time.perf_counter()
        frame = self._query(sql, params).localCheckpoint(eager=True)
        old = self._frames.pop(name, None)
        if old is not None:
            old.unpersist()
        frame.createOrReplaceTempView(ident(name))
        self._frames[name] = frame
        if self.progress:
            self.progress(f"{name} in {time.perf_counter() - started:.1f} s")

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in self._query(sql, params).collect()]

    def arrow(self, sql: str, params: Mapping[str, object] | None = None) -> pa.Table:
        table: pa.Table = self._query(sql, params).toArrow()
        return table

    def _query(self, sql: str, params: Mapping[str, object] | None) -> DataFrame:
        return self.spark.sql(with_markers(sql, ":"), args=dict(params or {}))


def _storage_level() -> object:
    from pyspark import StorageLevel

    # Spilled to disk rather than recomputed when executors run short of memory.
    return StorageLevel.MEMORY_AND_DISK


def _typed(value: object, kind: str) -> object:
    # Spark checks Python types against the schema: 5000 is not a DOUBLE, 5000.0 is.
    if kind == "DOUBLE" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def open_spark_engine(
    store: Store,
    settings: SparkSettings,
    staging: Path,
    progress: Progress | None = None,
) -> SparkEngine:
    """A SparkEngine over the lake the config names, or over the store's tables written
    as Parquet into `settings.staging` (default `staging`)."""
    spark, owned = start_session(settings)
    engine = SparkEngine(spark, owned=owned, progress=progress)
    try:
        if settings.lake is not None:
            for note in register_lake(spark, settings.lake):
                if progress:
                    progress(note)
            return engine
        started = time.perf_counter()
        export = export_parquet(store, settings.staging or staging)
        if progress:
            rows = sum(export.rows.values())
            progress(f"{rows:,} records to Parquet ({export.bytes / 2**20:,.1f} MiB) in "
                     f"{time.perf_counter() - started:.1f} s")  # fmt: skip
        register_staged(spark, str(export.folder))
    except BaseException:
        engine.close()
        raise
    return engine
