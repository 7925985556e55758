"""What every CRM transport shares: the retry loop, the call accounting and closing.

Each CRM's `client.py` owns its auth and maps every answer to `RetriableError`,
`FatalError` or `RecordError`; the loop here retries `RetriableError` only (429, 5xx,
dropped connections), with exponential backoff and jitter, honouring a Retry-After.
Nothing else in the connector retries.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector.closing import Closing
from connector.crms.config import HttpSettings
from connector.errors import FatalError, RetriableError

T = TypeVar("T")


@dataclass
class CallStats:
    """What a transport did: calls sent (retries included), 429s, 5xx, retries, waits."""

    calls: int = 0
    throttled: int = 0
    server_errors: int = 0
    retries: int = 0
    limiter_wait_seconds: float = 0.0
    # Time from sending a request to having its whole answer (network and server).
    http_seconds: float = 0.0

    def count_retry(self, error: RetriableError) -> None:
        """Account one failed attempt that will be retried."""
        self.retries += 1
        if error.status == 429:
            self.throttled += 1
        elif error.status is not None:
            self.server_errors += 1


def backoff_seconds(policy: HttpSettings, state: RetryCallState) -> float:
    """Exponential backoff with jitter; a Retry-After the CRM sent wins (capped)."""
    cap = policy.max_backoff_seconds
    exc = state.outcome.exception() if state.outcome else None
    hinted = exc.retry_after if isinstance(exc, RetriableError) else None
    if hinted is not None:
        return min(hinted, cap)
    ceiling = min(cap, policy.initial_backoff_seconds * 2 ** (state.attempt_number - 1))
    return random.uniform(ceiling / 2, ceiling)


def with_retries(policy: HttpSettings, stats: CallStats, crm: str, send: Callable[[], T]) -> T:
    """`send()`, again after each `RetriableError` until `policy.max_attempts` are spent;
    then the run stops with a `FatalError` naming the CRM and the last failure."""

    def count(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetriableError):
            stats.count_retry(exc)

    retrying = Retrying(
        stop=stop_after_attempt(policy.max_attempts),
        wait=lambda state: backoff_seconds(policy, state),
        retry=retry_if_exception_type(RetriableError),
        before_sleep=count,
        reraise=True,
    )
    try:
        return retrying(send)
    except RetriableError as exc:
        raise FatalError(f"{crm} kept failing after {policy.max_attempts} attempts: {exc}") from exc


class Client(Closing):
    """Base of a CRM transport: its HTTP settings, call accounting, retries and close."""

    crm: str = "the CRM"

    def __init__(self, http: HttpSettings) -> None:
        self.http = http
        self.stats = CallStats()

    @property
    def api_calls(self) -> int:
        """API calls made so far (retries included)."""
        return self.stats.calls

    def retrying(self, send: Callable[[], T]) -> T:
        """`send()` under this transport's retry policy (see `with_retries`)."""
        return with_retries(self.http, self.stats, self.crm, send)

    def close(self) -> None:
        """Release connections; a transport with pools of its own extends this."""
