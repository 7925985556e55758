"""HubSpot's API limits: a rolling 10-second window per app, a daily count, and the
stricter per-token limit of the search endpoints.

Numbers per developers.hubspot.com/apisbytier (100 requests / 10 s and 250,000 a day for
Free/Starter; OAuth apps 100 / 10 s) and the CRM search docs (search: a few requests per
second per token — HubSpot's changelog "CRM Search API Rate Limit Increase" says four,
the current docs five; configurable here). The daily limit and its headers apply to
private-app tokens only: HubSpot's changelog "Rate limit headers will now appear for
OAuth authenticated calls" says OAuth calls carry no `-Daily` headers, having no daily
limit. 429 bodies come in two real forms (`rate_limit_body`); answers carry the headers
of recorded HubSpot traffic (`-Interval-Milliseconds`, `-Max`, `-Remaining`, `-Secondly`,
`-Secondly-Remaining`, `-Daily`, `-Daily-Remaining`), search answers only the daily pair.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from .errors import HsError, correlation_id

MESSAGES = {"TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
            "SECONDLY": "You have reached your secondly limit.",
            "DAILY": "You have reached your daily limit."}
GROUP = "crm-kpi-sandbox"


def rate_limit_body(policy: str, form: str = "error_type") -> dict[str, object]:
    """A 429 body: the older `errorType: RATE_LIMIT` + `policyName` form, or the newer
    `category: RATE_LIMITS` form without a policy (both seen in recorded traffic)."""
    message = MESSAGES[policy]
    if form == "category":
        return {"status": "error", "message": message, "correlationId": correlation_id(),
                "category": "RATE_LIMITS"}
    return {"status": "error", "message": message, "errorType": "RATE_LIMIT",
            "correlationId": correlation_id(), "policyName": policy, "groupName": GROUP}


@dataclass
class LimitConfig:
    """Limits in force; `None` switches a limit off."""

    per_ten_seconds: int | None = 100
    daily: int | None = 250_000
    search_per_second: int | None = 5


class RateLimits:
    """Thread-safe counters; `admit` raises the 429 HubSpot would answer."""

    def __init__(self, config: LimitConfig | None = None) -> None:
        self.config = config or LimitConfig()
        self._lock = threading.Lock()
        self._window: deque[float] = deque()
        self._search: dict[str, deque[float]] = {}
        self._day = 0

    def set_daily_remaining(self, remaining: int) -> None:
        """Spend the day's allowance down to `remaining` calls (0: the next call is refused)."""
        with self._lock:
            if self.config.daily is None:
                raise ValueError("the daily limit is off")
            self._day = max(0, self.config.daily - remaining)

    def configure(self, **changes: int | None) -> None:
        """Change limits while running (e.g. `per_ten_seconds=None` for benchmarks)."""
        with self._lock:
            for key, value in changes.items():
                if not hasattr(self.config, key):
                    raise ValueError(f"unknown limit {key!r}")
                setattr(self.config, key, value)

    def reset(self) -> None:
        with self._lock:
            self._window.clear()
            self._search.clear()
            self._day = 0

    def admit(self, token: str, search: bool, private: bool = True) -> None:
        """Count one request, or raise the 429 for the limit it would exceed; `private`:
        a private-app token, the only kind with a daily limit."""
        now = time.monotonic()
        with self._lock:
            cfg = self.config
            daily = private and cfg.daily is not None
            if daily and cfg.daily is not None and self._day >= cfg.daily:
                raise self._error("DAILY", search, private)
            if search and cfg.search_per_second is not None:
                hits = self._search.setdefault(token, deque())
                _trim(hits, now - 1.0)
                if len(hits) >= cfg.search_per_second:
                    raise self._error("SECONDLY", search, private)
                hits.append(now)
            _trim(self._window, now - 10.0)
            if cfg.per_ten_seconds is not None and len(self._window) >= cfg.per_ten_seconds:
                raise self._error("TEN_SECONDLY_ROLLING", search, private)
            self._window.append(now)
            self._day += 1 if daily else 0

    def _error(self, policy: str, search: bool, private: bool) -> HsError:
        """No Retry-After: HubSpot's limit answers say when through the window headers (and
        urllib3 would silently sleep and retry on one)."""
        body = rate_limit_body(policy)
        return HsError(429, "", str(body.pop("message")), headers=self._spent(
            self._headers_locked(search, private), policy),
            extra={k: v for k, v in body.items() if k not in ("status", "correlationId")})

    def headers(self, search: bool = False, private: bool = True) -> dict[str, str]:
        """The X-HubSpot-RateLimit-* headers of an answer (search answers: daily only)."""
        with self._lock:
            _trim(self._window, time.monotonic() - 10.0)
            return self._headers_locked(search, private)

    def headers_after_limit(self, policy: str = "TEN_SECONDLY_ROLLING", search: bool = False,
                            private: bool = True) -> dict[str, str]:
        """Headers of an injected 429: the limit its policy names reads as spent."""
        return self._spent(self.headers(search, private), policy)

    @staticmethod
    def _spent(headers: dict[str, str], policy: str) -> dict[str, str]:
        key = {"TEN_SECONDLY_ROLLING": "Remaining", "SECONDLY": "Secondly-Remaining",
               "DAILY": "Daily-Remaining"}[policy]
        if f"X-HubSpot-RateLimit-{key}" in headers:
            headers[f"X-HubSpot-RateLimit-{key}"] = "0"
        return headers

    def _headers_locked(self, search: bool, private: bool) -> dict[str, str]:
        cfg, out = self.config, {}
        if cfg.per_ten_seconds is not None and not search:
            # The secondly pair is deprecated but still sent: a tenth of the window.
            second = max(1, cfg.per_ten_seconds // 10)
            recent = sum(1 for t in self._window if t > time.monotonic() - 1.0)
            out.update({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                        "X-HubSpot-RateLimit-Max": str(cfg.per_ten_seconds),
                        "X-HubSpot-RateLimit-Remaining":
                            str(max(0, cfg.per_ten_seconds - len(self._window))),
                        "X-HubSpot-RateLimit-Secondly": str(second),
                        "X-HubSpot-RateLimit-Secondly-Remaining": str(max(0, second - recent))})
        if cfg.daily is not None and private:
            out.update({"X-HubSpot-RateLimit-Daily": str(cfg.daily),
                        "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, cfg.daily
                                                                      - self._day))})
        return out


def _trim(hits: deque[float], horizon: float) -> None:
    while hits and hits[0] <= horizon:
        hits.popleft()
