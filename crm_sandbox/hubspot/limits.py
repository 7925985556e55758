"""HubSpot's API limits: a rolling 10-second window per app, a daily count, and the
stricter per-token limit of the search endpoints.

Numbers per developers.hubspot.com/apisbytier (100 requests / 10 s and 250,000 a day for
Free/Starter; OAuth apps 100 / 10 s) and the CRM search docs (search: a few requests per
second per token — HubSpot's changelog "CRM Search API Rate Limit Increase" says four,
the current docs five; configurable here). 429 bodies follow the shapes HubSpot's own
Node client matches on (`policyName: TEN_SECONDLY_ROLLING`, message "You have reached
your secondly limit." for search). Search answers carry no rate-limit headers.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

from .errors import HsError


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

    def admit(self, token: str, search: bool) -> None:
        """Count one request, or raise the 429 for the limit it would exceed."""
        now = time.monotonic()
        with self._lock:
            cfg = self.config
            if cfg.daily is not None and self._day >= cfg.daily:
                raise self._error("DAILY", "You have reached your daily limit.")
            if search and cfg.search_per_second is not None:
                hits = self._search.setdefault(token, deque())
                _trim(hits, now - 1.0)
                if len(hits) >= cfg.search_per_second:
                    raise self._error("SECONDLY", "You have reached your secondly limit.",
                                      headers=False)
                hits.append(now)
            _trim(self._window, now - 10.0)
            if cfg.per_ten_seconds is not None and len(self._window) >= cfg.per_ten_seconds:
                raise self._error("TEN_SECONDLY_ROLLING",
                                  "You have reached your ten_secondly_rolling limit.",
                                  headers=not search)
            self._window.append(now)
            self._day += 1

    def _error(self, policy: str, message: str, headers: bool = True) -> HsError:
        """No Retry-After: HubSpot's limit answers say when through the window headers (and
        urllib3 would silently sleep and retry on one)."""
        hdrs = self._headers_locked() if headers else {}
        return HsError(429, "", message, headers=hdrs,
                       extra={"errorType": "RATE_LIMIT", "policyName": policy,
                              "groupName": "crm-kpi-sandbox"})

    def headers(self) -> dict[str, str]:
        """The X-HubSpot-RateLimit-* headers of a (non-search) answer."""
        with self._lock:
            _trim(self._window, time.monotonic() - 10.0)
            return self._headers_locked()

    def headers_after_limit(self) -> dict[str, str]:
        """Headers of an injected 429: the window reads as spent."""
        out = self.headers()
        if "X-HubSpot-RateLimit-Remaining" in out:
            out["X-HubSpot-RateLimit-Remaining"] = "0"
        return out

    def _headers_locked(self) -> dict[str, str]:
        cfg, out = self.config, {}
        if cfg.per_ten_seconds is not None:
            out.update({"X-HubSpot-RateLimit-Interval-Milliseconds": "10000",
                        "X-HubSpot-RateLimit-Max": str(cfg.per_ten_seconds),
                        "X-HubSpot-RateLimit-Remaining":
                            str(max(0, cfg.per_ten_seconds - len(self._window)))})
        if cfg.daily is not None:
            out.update({"X-HubSpot-RateLimit-Daily": str(cfg.daily),
                        "X-HubSpot-RateLimit-Daily-Remaining": str(max(0, cfg.daily
                                                                      - self._day))})
        return out


def _trim(hits: deque[float], horizon: float) -> None:
    while hits and hits[0] <= horizon:
        hits.popleft()
