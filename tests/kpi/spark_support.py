"""What the Spark tests share: one local Spark session per test run, and both engines'
results of one computation, side by side."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.config import Config
from connector.kpi.results import COMPUTED
from connector.pipeline import compute_kpis
from connector.settings import SparkSettings
from connector.store import Store

# Two cores: as few shuffle partitions, and no web UI to start.
LOCAL_SPARK = SparkSettings.model_validate(
    {
        "master": "local[2]",
        "conf": {
            "spark.sql.shuffle.partitions": 2,
            "spark.default.parallelism": 2,
            "spark.ui.enabled": False,
            "spark.driver.memory": "1g",
        },
    }
)

KEY = ("kpi", "period_type", "period", "scope_type", "scope_id", "breakdown_type",
       "breakdown_value")  # fmt: skip
NUMBERS = ("value", "numerator", "denominator", "target", "attainment", "gap", "pace")
TEXTS = ("period_start", "period_end", "note", "source", "period_status", "pace_note")


def spark_session() -> Iterator[Any]:
    """The test run's local Spark session; fails (never skips) without Java."""
    if shutil.which("java") is None:
        pytest.fail("the Spark tests need Java 17+ (Debian: apt-get install default-jre-headless)")
    from connector.kpi.spark.session import start_session

    spark, _ = start_session(LOCAL_SPARK)
    yield spark
    spark.stop()


def computed(
    config: Config, store: Store, engine: str, as_of: dt.date, *, save: bool = False
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every row one engine computes, by its key (with `save`, also stored, as `run`
    does, which computes each account's own figures too)."""
    kpis = config.kpis.model_copy(update={"engine": engine})
    chosen = config.model_copy(update={"kpis": kpis, "spark": LOCAL_SPARK})
    compute_kpis(chosen, store, as_of=as_of, save=save)
    rows = store.fetch_dicts(f"SELECT * FROM {COMPUTED}")
    found = {tuple(r[k] for k in KEY): r for r in rows}
    assert len(found) == len(rows), "one row per key"
    return found


def assert_same_results(
    duck: dict[tuple[Any, ...], dict[str, Any]], spark: dict[tuple[Any, ...], dict[str, Any]]
) -> None:
    """The same rows; numbers equal within 1e-9 relative; notes, periods identical."""
    assert duck.keys() == spark.keys()
    for key, d in duck.items():
        s = spark[key]
        for name in NUMBERS:
            if d[name] is None:
                assert s[name] is None, (key, name)
            else:
                assert s[name] == pytest.approx(d[name], rel=1e-9, abs=1e-12), (key, name)
        assert [s[n] for n in TEXTS] == [d[n] for n in TEXTS], key


def account_figures(store: Store) -> dict[tuple[Any, ...], tuple[Any, ...]]:
    """Each account's own figures, as the last saved computation left them."""
    rows = store.fetch(
        "SELECT source, account_id, revenue_this_year, revenue_last_12_months, "
        "last_nps_score, customer_since, churned_on FROM account_figures"
    )
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def assert_same_figures(
    duck: dict[tuple[Any, ...], tuple[Any, ...]], spark: dict[tuple[Any, ...], tuple[Any, ...]]
) -> None:
    """The same accounts; revenue within 1e-9 relative; score and dates identical."""
    assert duck.keys() == spark.keys()
    for key, d in duck.items():
        s = spark[key]
        for a, b in zip(d[:2], s[:2], strict=True):
            assert (b is None) if a is None else b == pytest.approx(a, rel=1e-9), key
        assert s[2:] == d[2:], key


def staging_of(store_path: Path) -> Path:
    """Where the Spark engine writes the store's tables for this store."""
    return store_path.with_name(store_path.name + ".spark")
