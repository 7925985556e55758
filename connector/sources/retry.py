"""The retry policy every CRM transport uses: settings and the wait between attempts."""

from __future__ import annotations

import random

from pydantic import Field
from tenacity import RetryCallState

from connector.errors import RetriableError
from connector.yamlfile import ConfigModel


class RetryPolicy(ConfigModel):
    """Timeouts and the retry policy of a transport (429, 5xx, timeouts, dropped
    connections): the `http:` section of a CRM source."""

    timeout_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=20)
    initial_backoff_seconds: float = Field(default=1.0, gt=0)
    max_backoff_seconds: float = Field(default=60.0, gt=0)


def backoff_seconds(policy: RetryPolicy, state: RetryCallState) -> float:
    """Exponential backoff with jitter; a Retry-After the CRM sent wins (capped)."""
    cap = policy.max_backoff_seconds
    exc = state.outcome.exception() if state.outcome else None
    hinted = exc.retry_after if isinstance(exc, RetriableError) else None
    if hinted is not None:
        return min(hinted, cap)
    ceiling = min(cap, policy.initial_backoff_seconds * 2 ** (state.attempt_number - 1))
    return random.uniform(ceiling / 2, ceiling)
