"""The KPI SQL on Apache Spark (`kpis.engine: spark`). PySpark is imported here only,
and only when this engine is chosen: the DuckDB path never loads it."""

from connector.kpi.spark.engine import SparkEngine, open_spark_engine

__all__ = ["SparkEngine", "open_spark_engine"]
