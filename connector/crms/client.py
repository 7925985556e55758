"""The retry policy every CRM transport uses: settings and the wait between attempts."""

from __future__ import annotations

import random

from tenacity import RetryCallState

from connector.crms.config import HttpSettings
from connector.errors import RetriableError


def backoff_seconds(policy: HttpSettings, state: RetryCallState) -> float:
    """Exponential backoff with jitter; a Retry-After the CRM sent wins (capped)."""
    cap = policy.max_backoff_seconds
    exc = state.outcome.exception() if state.outcome else None
    hinted = exc.retry_after if isinstance(exc, RetriableError) else None
    if hinted is not None:
        return min(hinted, cap)
    ceiling = min(cap, policy.initial_backoff_seconds * 2 ** (state.attempt_number - 1))
    return random.uniform(ceiling / 2, ceiling)
