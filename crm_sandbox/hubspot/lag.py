"""When each object type was last written through the API: HubSpot's search index
lags behind writes, so a `search_lag` fault can be limited to the seconds after one."""

from __future__ import annotations

import datetime as dt
import threading

from ..clock import Clock


class WriteLog:
    """Last API write per object type, on the org clock (tests advance it to end a lag)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._last: dict[str, dt.datetime] = {}

    def mark(self, name: str) -> None:
        with self._lock:
            self._last[name] = self.clock.now()

    def recent(self, name: str, seconds: float) -> bool:
        """Whether `name` was written less than `seconds` ago (always, for 0 or less)."""
        if seconds <= 0:
            return True
        with self._lock:
            last = self._last.get(name)
        return last is not None and self.clock.now() - last < dt.timedelta(seconds=seconds)
