"""The org's daily API allowance (DailyApiRequests), spent one call at a time."""

from __future__ import annotations

import threading

DEFAULT_DAILY_LIMIT = 5_000_000


class ApiUsage:
    """Calls spent against the cap; every answer reports them in Sforce-Limit-Info."""

    def __init__(self, cap: int) -> None:
        self._lock, self.cap, self.used = threading.Lock(), cap, 0

    def spend(self) -> bool:
        """Count one call; False when the allowance is already spent."""
        with self._lock:
            if self.used >= self.cap:
                return False
            self.used += 1
            return True

    def snapshot(self) -> tuple[int, int]:
        """(used, cap)."""
        with self._lock:
            return self.used, self.cap
