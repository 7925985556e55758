"""The sandbox clock: wall time shifted by an offset that tests can advance."""

from __future__ import annotations

import datetime as dt
import threading
from email.utils import format_datetime


def utcnow() -> dt.datetime:
    """Naive UTC now, at millisecond precision (what Salesforce stores)."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def http_date(t: dt.datetime) -> str:
    """`Fri, 24 Jul 2015 12:07:09 GMT` (naive UTC in): a Date or Last-Modified header."""
    return format_datetime(t.replace(tzinfo=dt.UTC, microsecond=0), usegmt=True)


class Clock:
    """Naive-UTC clock of the org; `advance` moves it forward for every surface."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._lock = threading.Lock()
        base = utcnow()
        self._offset = (start - base) if start is not None else dt.timedelta(0)

    def now(self) -> dt.datetime:
        """The org's current time (naive UTC, milliseconds)."""
        with self._lock:
            offset = self._offset
        t = utcnow() + offset
        return t.replace(microsecond=t.microsecond // 1000 * 1000)

    def today(self) -> dt.date:
        """The org's current date (the org's time zone is UTC)."""
        return self.now().date()

    def advance(self, delta: dt.timedelta) -> dt.datetime:
        """Move the clock forward (or back) by `delta`; returns the new now."""
        with self._lock:
            self._offset += delta
        return self.now()
