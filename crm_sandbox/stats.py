"""Call accounting per endpoint, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Counts of served calls by endpoint name and by status, and of faults fired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._endpoints: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()

    def count(self, endpoint: str, status: int) -> None:
        with self._lock:
            self._endpoints[endpoint] += 1
            self._statuses[str(status)] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready counts: total, per endpoint, per status, faults fired per kind."""
        with self._lock:
            return {
                "total": sum(self._endpoints.values()),
                "endpoints": dict(sorted(self._endpoints.items())),
                "statuses": dict(sorted(self._statuses.items())),
                "faults": dict(sorted(self._faults.items())),
            }
