"""A SparkSession from the `spark:` section of config.yaml: a master or Spark Connect,
and the user's `spark.conf` pairs. Nothing about the cluster is decided in code."""

from __future__ import annotations

from typing import TYPE_CHECKING

from connector.errors import ConfigError
from connector.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# What the KPI SQL needs of every session, whatever the cluster: timestamps are naive UTC
# (TIMESTAMP_NTZ, as the store keeps them), and nothing shifts them to a local zone.
# Constraint propagation fails in Spark 4.3 on a union of checkpointed KPIs ("key not
# found" in Union.rewriteConstraints) and only slows the optimizer on plans like ours.
SESSION_SQL_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.timestampType": "TIMESTAMP_NTZ",
    "spark.sql.constraintPropagation.enabled": "false",
}
_QUIET: dict[str, str] = {"spark.ui.showConsoleProgress": "false"}


def start_session(settings: SparkSettings) -> tuple[SparkSession, bool]:
    """(the session, whether this call started it: then its caller stops it)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise ConfigError(
            ["kpis.engine: spark needs PySpark 4: pip install 'crm-kpi[spark]'"]
        ) from None
    started = SparkSession.getActiveSession() is None
    builder = SparkSession.builder.appName("crm-kpi")
    if settings.remote:
        builder = builder.remote(settings.remote)
    else:
        builder = builder.master(settings.master)
    # Spark Connect refuses to change a server's static settings like the progress bar.
    quiet = {} if settings.remote else _QUIET
    for key, value in {**quiet, **settings.conf}.items():
        builder = builder.config(key, _conf_text(value))
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # PySpark raises plain runtime errors when Java cannot start
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(
            [
                f"kpis.engine: spark: Spark did not start ({first}). Spark needs Java 17 or "
                "later (Debian: apt-get install default-jre-headless) and a reachable "
                "spark.master or spark.remote"
            ]
        ) from None
    for key, value in SESSION_SQL_CONF.items():
        spark.conf.set(key, value)
    return spark, started


def _conf_text(value: str | int | float | bool) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
