"""Client-side rate limiting: a sliding-window log per limit.

HubSpot counts calls per app in a rolling 10-second window (and searches per second).
A sliding log of the last `limit` call times never lets more than `limit` calls into
any window of `window` seconds, whatever window alignment the server uses, so a run
that stays under the configured limit never earns a 429.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class WindowLimiter:
    """At most `limit` acquisitions in any `window` seconds; `acquire` sleeps as needed."""

    limit: int
    window: float
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    waited: float = 0.0
    _stamps: deque[float] = field(default_factory=deque, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __post_init__(self) -> None:
        if self.limit < 1 or self.window <= 0:
            raise ValueError("a limiter needs limit >= 1 and window > 0")

    def acquire(self) -> float:
        """Take one slot, sleeping until one is free; returns the seconds slept."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            slept = 0.0
            if len(self._stamps) >= self.limit:
                slept = self._stamps[0] + self.window - now
                self.sleep(slept)
                self.waited += slept
                now = self.clock()
                self._expire(now)
                while len(self._stamps) >= self.limit:  # a clock that did not move enough
                    self._stamps.popleft()
            self._stamps.append(now)
            return slept

    def _expire(self, now: float) -> None:
        while self._stamps and now - self._stamps[0] >= self.window:
            self._stamps.popleft()
