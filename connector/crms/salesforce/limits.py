"""The daily API allowance: `Sforce-Limit-Info` read on every answer, a budget per run.

Salesforce reports ``api-usage=USED/LIMIT`` on every REST answer. The first answer of a
run fixes the budget: a share of what remained then. A run whose work does not fit does
what fits (as HubSpot's runs do): it stops cleanly (with `LimitExceededError`) before the
call that would overspend the budget, and checkpoints make the next run resume from
there, so a small allowance still makes progress every day. Refusing up front instead
would refuse every day, as the next day's allowance is no larger.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass, field

from connector.crms.client import CallStats
from connector.errors import BudgetTooSmall, LimitExceededError

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
    remained: int | None = None  # what remained of the allowance when the budget was fixed
    wanted: int | None = None  # the calls this run would need in all, once estimated
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def observe(self, header: str | None) -> None:
        """Record one answer's usage; the first one seen fixes this run's budget."""
        usage = parse_limit_info(header)
        if usage is None:
            return
        with self._lock:
            self.used, self.limit = usage
            if self.budget is None:
                self.remained = max(self.limit - self.used, 0)
                self.budget = int(self.remained * self.share)

    def count_call(self) -> None:
        """Count one API call, refusing it when the run's budget is spent."""
        with self._lock:
            if self.budget is not None and self.calls >= self.budget:
                if self.wanted is None:  # no run would get further: a person must act
                    raise BudgetTooSmall(self._starved())
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

    def ensure(self, estimated_calls: int, what: str) -> str | None:
        """None when `what` fits in what is left of the run's budget; else a note that the
        run does what fits (`count_call` stops it at the budget; the next run resumes)."""
        with self._lock:
            self.wanted = self.calls + estimated_calls
            if self.budget is None or self.wanted <= self.budget:
                return None
            left = max(self.budget - self.calls, 0)
            return (
                f"{what} needs about {estimated_calls} API calls and {left} are left of "
                f"this run's budget ({self._budget_said()}): it reads what fits, and the next "
                f"run resumes from there{self._share_hint()}"
            )

    def _message(self, verb: str) -> str:
        return (
            f"this run {verb} its share of the daily Salesforce API calls "
            f"({self.calls} used of a budget of {self._budget_said()}; org usage "
            f"{self.used}/{self.limit}): the next run resumes where this one stopped"
            f"{self._share_hint()}"
        )

    @property
    def spent(self) -> bool:
        """Whether this run's budget is spent."""
        return self.budget is not None and self.calls >= self.budget

    def cadence_message(self, what: str) -> str:
        """Spent in work made on a cadence: the next run goes on with it, but a budget that
        never holds it would stop every run there, so the settings that help are named."""
        return (
            f"this run read every change, then its budget of the daily Salesforce API calls "
            f"({self._budget_said()}; org usage {self.used}/{self.limit}) ran out in {what}: "
            "the next run goes on with them, but if no run's budget holds them, "
            f"{self._raise_share()} or make them less frequent"
        )

    def _raise_share(self) -> str:
        if self.share >= 1:
            return "raise the org's daily API allowance"
        return (f"raise limits.max_share_of_remaining (now {self.share:.2f}; 1.0 gives a run "
                f"all {self.remained} calls)")  # fmt: skip

    def _starved(self) -> str:
        """Spent before the work was even sized: the budget is smaller than what a run
        needs to begin (sign-in checks, describes, a first look at every stream)."""
        return (
            f"this run's budget of the daily Salesforce API calls ({self._budget_said()}; "
            f"org usage {self.used}/{self.limit}) was spent before its work could begin, "
            f"so it did nothing: {self._raise_share()}, or run when more of the daily "
            "allowance remains"
        )

    def _budget_said(self) -> str:
        return f"{self.budget} = {self.share:.0%} of the {self.remained} calls that remained"

    def _share_hint(self) -> str:
        """The setting that lets one run do everything, when one would."""
        if not self.wanted or not self.remained or self.wanted > self.remained:
            return ""
        needed = min(math.ceil(self.wanted / self.remained * 100) / 100, 1.0)
        if needed <= self.share:
            return ""
        return f"; limits.max_share_of_remaining: {needed:.2f} would let one run do it all"
