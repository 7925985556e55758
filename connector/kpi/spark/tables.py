"""The normalized tables as Spark sees them: temporary views named like the store's
tables, over the Parquet the store wrote (partitioned by source) or over a lake the
config names (Parquet or Delta), typed like the schema."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.errors import ConfigError
from connector.schema import ENTITIES, Entity, FieldType
from connector.settings import LakeSettings

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

SPARK_TYPES: dict[FieldType, str] = {
    "str": "STRING",
    "float": "DOUBLE",
    "int": "INT",
    "bool": "BOOLEAN",
    "date": "DATE",
    "timestamp": "TIMESTAMP_NTZ",
}
"""The schema's field types in Spark: timestamps are naive UTC, as in the store."""


def schema_ddl(entity: Entity) -> str:
    """The entity's columns as a Spark schema (`source STRING, id STRING, ...`)."""
    return ", ".join(f"{name} {SPARK_TYPES[kind]}" for name, kind in entity.field_types.items())


def register_staged(spark: SparkSession, folder: str) -> None:
    """Views over `<folder>/<table>`, as `connector.store.parquet` writes them."""
    for entity in ENTITIES:
        frame = spark.read.schema(schema_ddl(entity)).parquet(f"{folder}/{entity.table}")
        _register(frame, entity)


def register_lake(spark: SparkSession, lake: LakeSettings) -> list[str]:
    """Views over `<lake.path>/<table>`; what was read as empty, said as notes.

    A table missing a normalized column is refused with every missing column named, and
    so is a lake without opportunities (exit 2: the user's data layout). Another table
    the lake does not have (no targets, no surveys) is read as empty."""
    from pyspark.errors import AnalysisException

    problems: list[str] = []
    notes: list[str] = []
    frames = []
    for entity in ENTITIES:
        location = f"{lake.path.rstrip('/')}/{entity.table}"
        try:
            # Reading is lazy (on Spark Connect, even the schema): ask for it here.
            frame = spark.read.format(lake.format).load(location)
            present = set(frame.columns)
        except AnalysisException as exc:
            if entity.table == "opportunities":
                reason = str(exc).strip().splitlines()[0]
                problems.append(f"spark.lake: no {lake.format} table at {location} ({reason})")
                continue
            frame = spark.createDataFrame([], schema_ddl(entity))
            present = set(entity.field_types)
            notes.append(f"no {lake.format} table at {location}: read as empty")
        missing = [name for name in entity.field_types if name not in present]
        if missing:
            problems.append(f"spark.lake: {location} has no column {', '.join(missing)}")
        frames.append((frame, entity))
    if problems:
        raise ConfigError(problems)
    for frame, entity in frames:
        _register(frame, entity)
    return notes


def _register(frame: DataFrame, entity: Entity) -> None:
    # Typed like the schema whatever the files hold (an int id, a timestamp with zone).
    columns = [
        f"CAST({name} AS {SPARK_TYPES[kind]}) AS {name}"
        for name, kind in entity.field_types.items()
    ]
    frame.selectExpr(*columns).createOrReplaceTempView(entity.table)
