"""Client-side rate limiting: a sliding-window log per limit, and the daily allowance.

HubSpot counts calls per app in a rolling 10-second window (and searches per second).
A sliding log of the last `limit` call times never lets more than `limit` calls into
any window of `window` seconds, whatever window alignment the server uses, so a run
that stays under the configured limit never earns a 429.

Private apps also have a daily allowance, which answers report in
`X-HubSpot-RateLimit-Daily-Remaining`: the first answer that carries it fixes this run's
budget (a share of what remained), and the run stops cleanly before spending more.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from connector.errors import LimitExceededError

DAILY_REMAINING = "x-hubspot-ratelimit-daily-remaining"


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


@dataclass
class DailyBudget:
    """This run's share of the portal's remaining daily calls (private apps only)."""

    share: float
    calls: int = 0
    remaining: int | None = None
    budget: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, headers: Mapping[str, str] | None) -> None:
        """Read the daily remaining calls of an answer; the first fixes the budget."""
        value = next((str(v) for k, v in (headers or {}).items()
                      if k.lower() == DAILY_REMAINING), "")  # fmt: skip
        if not value.isdigit():
            return
        with self._lock:
            self.remaining = int(value)
            if self.budget is None:
                self.budget = self.calls + int(self.remaining * self.share)

    def spend(self) -> None:
        """Count one call, refusing it when the day's allowance or this run's share is
        spent (before HubSpot refuses it)."""
        with self._lock:
            if self.remaining is not None and self.remaining <= 0:
                raise LimitExceededError(
                    "HubSpot's daily API allowance is spent (0 calls remain); it resets at "
                    "midnight in the portal's time zone, and the next run resumes"
                )
            if self.budget is not None and self.calls >= self.budget:
                raise LimitExceededError(
                    f"this run spent its share of HubSpot's daily API calls ({self.calls} of "
                    f"a budget of {self.budget} = {self.share:.0%} of what remained); raise "
                    "limits.max_share_of_remaining or run later: the next run resumes"
                )
            self.calls += 1
