"""Each engine's helper functions (dialect_duckdb.sql, dialect_spark.sql) on the same
values: the same answers, argument order included (Spark's datediff takes (end, start),
days_between(a, b) is b - a on both)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from connector.kpi import steps
from connector.kpi.spark import SparkEngine
from connector.kpi.sqlengine import DuckDbEngine, SqlEngine
from connector.store import Store

pytestmark = pytest.mark.spark

D, T = dt.date, dt.datetime
CASES: list[tuple[object, ...]] = [
    # id, a, b (dates), ts (naive UTC), n, scope_type
    (1, D(2025, 1, 1), D(2025, 3, 1), T(2025, 3, 9, 6, 59), 2, "company"),
    (2, D(2025, 3, 1), D(2025, 1, 1), T(2025, 3, 9, 7, 0), -3, "team"),
    (3, D(2024, 2, 28), D(2024, 3, 1), T(2025, 11, 2, 5, 30), 0, "owner"),
    (4, D(2025, 12, 31), D(2025, 12, 31), T(2025, 1, 1, 4, 59, 59), 365, "territory"),
    (5, D(2025, 1, 31), D(2026, 1, 1), T(2025, 3, 31, 23, 59, 59), None, "nobody"),
]
COLUMNS = [("id", "BIGINT"), ("a", "DATE"), ("b", "DATE"), ("ts", "TIMESTAMP"),
           ("n", "BIGINT"), ("scope_type", "VARCHAR")]  # fmt: skip
QUERY = """SELECT id, local_date(ts) AS local_day, month_start(a) AS month,
       utc_month(ts) AS utc_month, days_between(a, b) AS days, add_days(a, n) AS later,
       scope_id_of(scope_type, 'T', 'O', 'R') AS scope_id
FROM dialect_cases ORDER BY id"""


def _answers(engine: SqlEngine, timezone: str) -> list[tuple[Any, ...]]:
    steps.create_helpers(engine, timezone)
    engine.load_rows("dialect_cases", COLUMNS, CASES)
    return engine.fetch(QUERY)


@pytest.mark.parametrize("timezone", ["America/New_York", "Asia/Kolkata", "UTC"])
def test_both_dialects_answer_the_same(spark: Any, timezone: str) -> None:
    with Store(":memory:") as store:
        duck = _answers(DuckDbEngine(store), timezone)
    assert _answers(SparkEngine(spark), timezone) == duck


def test_what_the_helpers_mean() -> None:
    """The answers themselves (on DuckDB; the test above holds Spark to them)."""
    with Store(":memory:") as store:
        rows = {r[0]: r[1:] for r in _answers(DuckDbEngine(store), "America/New_York")}
    # 06:59 UTC on the day clocks spring forward is 01:59 in New York; 07:00 is 03:00
    assert (rows[1][0], rows[2][0]) == (D(2025, 3, 9), D(2025, 3, 9))
    assert rows[4][0] == D(2024, 12, 31)  # 04:59 UTC on New Year's Day: still the 31st
    assert [rows[i][1] for i in (1, 3, 5)] == [D(2025, 1, 1), D(2024, 2, 1), D(2025, 1, 1)]
    assert rows[5][2] == T(2025, 3, 1)
    # days_between(a, b) = b - a
    assert [rows[i][3] for i in (1, 2, 3, 4)] == [59, -59, 2, 0]
    later = [D(2025, 1, 3), D(2025, 2, 26), D(2024, 2, 28), None]
    assert [rows[i][4] for i in (1, 2, 3, 5)] == later
    assert [rows[i][5] for i in (1, 2, 3, 4, 5)] == ["", "T", "O", "R", None]
