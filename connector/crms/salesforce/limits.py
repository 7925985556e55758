"""The daily API allowance: `Sforce-Limit-Info` read on every answer, a budget per run.

Salesforce reports ``api-usage=USED/LIMIT`` on every REST answer. The first answer of a
run fixes the budget: a share of what remained then. The run refuses to start when its
estimate exceeds the budget, and stops cleanly (with `LimitExceededError`) before the
call that would overspend it; checkpoints make the next run resume.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from connector.crms.client import CallStats
from connector.errors import LimitExceededError

_USAGE = re.compile(r"api-usage=(\d+)/(\d+)")


def parse_limit_info(header: str | None) -> tuple[int, int] | None:
    """(used, limit) from a ``Sforce-Limit-Info`` header, or None when absent."""
    match = _USAGE.search(header or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


@dataclass
class LimitGuard:
    """Counts this run's API calls and stops it at `share` of the remaining allowance."""

    share: float
    stats: CallStats = field(default_factory=CallStats)
    used: int | None = None
    limit: int | None = None
    budget: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, header: str | None) -> None:
        """Record one answer's usage; the first one seen fixes this run's budget."""
        usage = parse_limit_info(header)
        if usage is None:
            return
        with self._lock:
            self.used, self.limit = usage
            if self.budget is None:
                remaining = max(self.limit - self.used, 0)
                self.budget = int(remaining * self.share)

    def count_call(self) -> None:
        """Count one API call, refusing it when the run's budget is spent."""
        with self._lock:
            if self.budget is not None and self.calls >= self.budget:
                raise LimitExceededError(self._message("has spent"))
            if self.used is not None and self.limit is not None and self.used >= self.limit:
                raise LimitExceededError(
                    f"Salesforce daily API allowance spent ({self.used}/{self.limit} calls); "
                    "the next run resumes where this one stopped"
                )
            self.stats.calls += 1

    @property
    def calls(self) -> int:
        """API calls this run has made (retries included)."""
        return self.stats.calls

    def ensure(self, estimated_calls: int, what: str) -> None:
        """Refuse to start `what` when it would take the run past its budget."""
        with self._lock:
            if self.budget is not None and self.calls + estimated_calls > self.budget:
                raise LimitExceededError(
                    f"{what} needs about {estimated_calls} API calls; "
                    + self._message("would exceed")
                )

    def _message(self, verb: str) -> str:
        return (
            f"this run {verb} its share of the daily Salesforce API calls "
            f"({self.calls} used of a budget of {self.budget} = {self.share:.0%} of what "
            f"remained; org usage {self.used}/{self.limit}); "
            "raise limits.max_share_of_remaining or run later: the next run resumes"
        )
