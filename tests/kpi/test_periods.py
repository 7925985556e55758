"""Period helpers: parsing, fiscal years, shifting, ranges."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.kpi.periods import (
    add_months,
    months_of,
    parse_period,
    period_of,
    periods_between,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "fiscal", "start", "end", "period_type"),
    [
        ("2025-01", 1, D(2025, 1, 1), D(2025, 2, 1), "month"),
        ("2025-12", 1, D(2025, 12, 1), D(2026, 1, 1), "month"),
        ("2025-12", 4, D(2025, 12, 1), D(2026, 1, 1), "month"),  # months are calendar
        ("2025-Q1", 1, D(2025, 1, 1), D(2025, 4, 1), "quarter"),
        ("2025-Q4", 1, D(2025, 10, 1), D(2026, 1, 1), "quarter"),
        ("2025", 1, D(2025, 1, 1), D(2026, 1, 1), "year"),
        # fiscal years are named by the calendar year they start in
        ("2025-Q1", 4, D(2025, 4, 1), D(2025, 7, 1), "quarter"),
        ("2025-Q4", 4, D(2026, 1, 1), D(2026, 4, 1), "quarter"),
        ("2025", 4, D(2025, 4, 1), D(2026, 4, 1), "year"),
        ("2025-Q3", 11, D(2026, 5, 1), D(2026, 8, 1), "quarter"),
        (" 2025-03 ", 1, D(2025, 3, 1), D(2025, 4, 1), "month"),
    ],
)
def test_parse_period(
    text: str, fiscal: int, start: dt.date, end: dt.date, period_type: str
) -> None:
    period = parse_period(text, fiscal)
    assert (period.start, period.end, period.period_type) == (start, end, period_type)
    assert period.key == text.strip()
    assert str(period) == text.strip()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "2025-13",
        "2025-00",
        "2025-1",
        "2025-Q0",
        "2025-Q5",
        "2025Q1",
        "25",
        "2025-01-01",
        "Q1-2025",
        "january",
        "20250",
    ],
)
def test_parse_period_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"period|month"):
        parse_period(text)


def test_parse_period_message_names_the_input() -> None:
    with pytest.raises(ValueError, match=r"'2025-13': month must be 01 to 12"):
        parse_period("2025-13")
    with pytest.raises(ValueError, match=r"'x' is not a period: use 2025-01"):
        parse_period("x")


@pytest.mark.parametrize(
    ("day", "fiscal", "quarter", "year"),
    [
        (D(2025, 3, 31), 4, "2024-Q4", "2024"),
        (D(2025, 4, 1), 4, "2025-Q1", "2025"),
        (D(2025, 6, 30), 4, "2025-Q1", "2025"),
        (D(2025, 7, 1), 4, "2025-Q2", "2025"),
        (D(2026, 1, 15), 4, "2025-Q4", "2025"),
        (D(2025, 1, 1), 1, "2025-Q1", "2025"),
        (D(2025, 12, 31), 1, "2025-Q4", "2025"),
        (D(2025, 1, 31), 2, "2024-Q4", "2024"),
        (D(2025, 2, 1), 2, "2025-Q1", "2025"),
        (D(2025, 12, 1), 12, "2025-Q1", "2025"),
        (D(2025, 11, 30), 12, "2024-Q4", "2024"),
    ],
)
def test_period_of_with_fiscal_start(day: dt.date, fiscal: int, quarter: str, year: str) -> None:
    assert period_of(day, "quarter", fiscal).key == quarter
    assert period_of(day, "year", fiscal).key == year
    assert period_of(day, "month", fiscal).key == f"{day:%Y-%m}"


@pytest.mark.parametrize(
    ("text", "fiscal", "by", "expected"),
    [
        ("2025-01", 1, -1, "2024-12"),
        ("2025-01", 1, -12, "2024-01"),
        ("2025-12", 1, 1, "2026-01"),
        ("2025-Q1", 1, -1, "2024-Q4"),
        ("2025-Q1", 1, -4, "2024-Q1"),
        ("2025-Q1", 4, -1, "2024-Q4"),  # April-June 2025 -> January-March 2025
        ("2025-Q4", 4, 1, "2026-Q1"),
        ("2025", 4, -1, "2024"),
        ("2025", 1, 2, "2027"),
    ],
)
def test_shifted(text: str, fiscal: int, by: int, expected: str) -> None:
    shifted = parse_period(text, fiscal).shifted(by, fiscal)
    assert shifted == parse_period(expected, fiscal)


def test_periods_between_covers_every_overlapping_period() -> None:
    found = periods_between(D(2025, 2, 15), D(2025, 4, 2), 4)
    assert [p.key for p in found] == [
        "2025-02",
        "2025-03",
        "2025-04",
        "2024-Q4",
        "2025-Q1",
        "2024",
        "2025",
    ]
    assert periods_between(D(2025, 5, 1), D(2025, 4, 1)) == []


def test_months_of() -> None:
    assert months_of(parse_period("2025-Q4", 4)) == [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)]
    assert len(months_of(parse_period("2025"))) == 12
    assert months_of(parse_period("2025-07")) == [D(2025, 7, 1)]


def test_add_months() -> None:
    assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 1)
    assert add_months(D(2025, 1, 15), -1) == D(2024, 12, 1)
    assert add_months(D(2025, 12, 1), 13) == D(2027, 1, 1)
    assert add_months(D(2025, 3, 1), -27) == D(2022, 12, 1)


days = st.dates(min_value=D(1990, 1, 1), max_value=D(2090, 12, 31))
fiscal_months = st.integers(min_value=1, max_value=12)
period_types = st.sampled_from(["month", "quarter", "year"])


@settings(max_examples=50, deadline=None)
@given(days, fiscal_months, period_types)
def test_period_of_contains_the_day_and_round_trips(
    day: dt.date, fiscal: int, period_type: str
) -> None:
    period = period_of(day, period_type, fiscal)  # type: ignore[arg-type]
    assert period.start <= day < period.end
    assert parse_period(period.key, fiscal) == period
    # the next period starts where this one ends, and shifting back returns here
    after = period.shifted(1, fiscal)
    assert after.start == period.end
    assert after.shifted(-1, fiscal) == period


@settings(max_examples=50, deadline=None)
@given(days, fiscal_months)
def test_quarters_tile_the_fiscal_year(day: dt.date, fiscal: int) -> None:
    year = period_of(day, "year", fiscal)
    quarters = [parse_period(f"{year.key}-Q{q}", fiscal) for q in range(1, 5)]
    assert quarters[0].start == year.start == D(int(year.key), fiscal, 1)
    assert quarters[-1].end == year.end
    for before, after in itertools.pairwise(quarters):
        assert before.end == after.start
    assert sum(len(months_of(q)) for q in quarters) == 12
