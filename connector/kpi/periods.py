"""Reporting periods: months, fiscal quarters and fiscal years.

Fiscal years are named by the calendar year in which they start (Salesforce's default):
with `fiscal_year_start_month: 4`, "2025" runs from 2025-04-01 to 2026-03-31 and
"2025-Q1" is April to June 2025. Months are always calendar months.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

PeriodType = Literal["month", "quarter", "year"]
PERIOD_TYPES: tuple[PeriodType, ...] = ("month", "quarter", "year")
_MONTHS_IN: dict[PeriodType, int] = {"month": 1, "quarter": 3, "year": 12}

_MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_YEAR_RE = re.compile(r"^(\d{4})$")


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: [start, end) in org-local dates."""

    start: dt.date
    period_type: PeriodType
    key: str

    @property
    def end(self) -> dt.date:
        """The first day after the period."""
        return add_months(self.start, _MONTHS_IN[self.period_type])

    def shifted(self, periods: int, fiscal_start_month: int) -> Period:
        """The period `periods` periods later (negative: earlier) of the same type."""
        months = periods * _MONTHS_IN[self.period_type]
        return period_of(add_months(self.start, months), self.period_type, fiscal_start_month)

    def __str__(self) -> str:
        return self.key


def period_of(day: dt.date, period_type: PeriodType, fiscal_start_month: int = 1) -> Period:
    """The period of the given type that contains `day`."""
    if period_type == "month":
        start = dt.date(day.year, day.month, 1)
        return Period(start, "month", f"{start:%Y-%m}")
    offset = (day.month - fiscal_start_month) % 12
    fiscal_year = day.year if day.month >= fiscal_start_month else day.year - 1
    year_start = dt.date(fiscal_year, fiscal_start_month, 1)
    if period_type == "year":
        return Period(year_start, "year", f"{fiscal_year}")
    quarter = offset // 3
    return Period(add_months(year_start, quarter * 3), "quarter", f"{fiscal_year}-Q{quarter + 1}")


def parse_period(text: str, fiscal_start_month: int = 1) -> Period:
    """Parse `2025-01`, `2025-Q1` or `2025` into a Period; ValueError if none of these."""
    text = text.strip()
    if m := _MONTH_RE.match(text):
        month = int(m.group(2))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r}: month must be 01 to 12")
        return period_of(dt.date(int(m.group(1)), month, 1), "month")
    if m := _QUARTER_RE.match(text):
        start = add_months(
            dt.date(int(m.group(1)), fiscal_start_month, 1), 3 * (int(m.group(2)) - 1)
        )
        return period_of(start, "quarter", fiscal_start_month)
    if m := _YEAR_RE.match(text):
        return period_of(
            dt.date(int(m.group(1)), fiscal_start_month, 1), "year", fiscal_start_month
        )
    raise ValueError(f"{text!r} is not a period: use 2025-01 (month), 2025-Q1 or 2025")


def periods_between(first: dt.date, last: dt.date, fiscal_start_month: int = 1) -> list[Period]:
    """Every month, quarter and year that overlaps [first, last]."""
    found: set[Period] = set()
    month = dt.date(first.year, first.month, 1)
    while month <= last:
        for period_type in PERIOD_TYPES:
            found.add(period_of(month, period_type, fiscal_start_month))
        month = add_months(month, 1)
    return sorted(found, key=lambda p: (PERIOD_TYPES.index(p.period_type), p.start))


def months_of(period: Period) -> list[dt.date]:
    """First days of the calendar months in a period."""
    return [add_months(period.start, i) for i in range(_MONTHS_IN[period.period_type])]
