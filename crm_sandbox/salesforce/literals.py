"""SOQL literal values: datetimes, dates and relative date ranges (TODAY, LAST_N_DAYS:n).

A SOQL dateTime literal is `YYYY-MM-DDThh:mm:ss` then `Z`, `+hh:mm` or `-hh:mm` (the SOQL
reference, "Date Formats and Date Literals"), with optional fractional seconds of any
length: the reference shows none, but real orgs accept them — `.000Z` from Salesforce's
own values, six digits (`2022-12-01T10:47:53.299852-06:00`) as public connectors send
their saved cursors, "any arbitrary precision" (Salesforce StackExchange 370738), of which
Salesforce stores milliseconds. The tokenizer in `soql` holds the same grammar; REST
parameters and written values (`parse_datetime`) also take `+hhmm`, as Salesforce's own
`.000+0000` values are sent back.
"""

from __future__ import annotations

import datetime as dt
import re

from .errors import SoqlError

_DT = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|([+-])(\d{2}):?(\d{2}))$"
)


def parse_datetime(text: str) -> dt.datetime:
    """A SOQL/REST datetime literal as naive UTC."""
    m = _DT.match(text)
    if not m:
        raise ValueError(f"not a datetime: {text}")
    y, mo, d, h, mi, s, frac, zone, sign, zh, zm = m.groups()
    # Digits past the microsecond are below any stamp's precision: they are dropped.
    value = dt.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s),
                        int((frac or "0")[:6].ljust(6, "0")))
    if zone != "Z":
        offset = dt.timedelta(hours=int(zh), minutes=int(zm))
        value = value - offset if sign == "+" else value + offset
    return value


def _month_start(d: dt.date, add: int = 0) -> dt.date:
    months = d.year * 12 + d.month - 1 + add
    return dt.date(months // 12, months % 12 + 1, 1)


def _fixed_range(name: str, t: dt.date) -> tuple[dt.date, dt.date] | None:
    day = dt.timedelta(days=1)
    week = t - dt.timedelta(days=(t.weekday() + 1) % 7)  # weeks start on Sunday (en_US)
    table = {
        "TODAY": (t, t + day), "YESTERDAY": (t - day, t), "TOMORROW": (t + day, t + 2 * day),
        "THIS_WEEK": (week, week + 7 * day), "LAST_WEEK": (week - 7 * day, week),
        "THIS_MONTH": (_month_start(t), _month_start(t, 1)),
        "LAST_MONTH": (_month_start(t, -1), _month_start(t)),
        "NEXT_MONTH": (_month_start(t, 1), _month_start(t, 2)),
        "THIS_YEAR": (dt.date(t.year, 1, 1), dt.date(t.year + 1, 1, 1)),
        "LAST_YEAR": (dt.date(t.year - 1, 1, 1), dt.date(t.year, 1, 1)),
        "LAST_90_DAYS": (t - 90 * day, t + day), "NEXT_90_DAYS": (t + day, t + 91 * day),
    }
    return table.get(name)


def date_range(name: str, n: int, today: dt.date, soql: str, pos: int) -> tuple[dt.date, dt.date]:
    """[start, end) of a relative date literal, in the org's time zone (UTC)."""
    fixed = _fixed_range(name, today)
    if fixed is not None:
        return fixed
    day = dt.timedelta(days=1)
    if n < 0:
        raise SoqlError("MALFORMED_QUERY", f"invalid date literal value: {n}", soql, pos)
    if name == "LAST_N_DAYS":
        return today - n * day, today + day
    if name == "NEXT_N_DAYS":
        return today + day, today + (n + 1) * day
    if name == "N_DAYS_AGO":
        return today - n * day, today - (n - 1) * day
    if name == "LAST_N_MONTHS":
        return _month_start(today, -n), _month_start(today)
    if name == "LAST_N_YEARS":
        return dt.date(today.year - n, 1, 1), dt.date(today.year, 1, 1)
    raise SoqlError("MALFORMED_QUERY", f"unexpected token: {name}", soql, pos)
