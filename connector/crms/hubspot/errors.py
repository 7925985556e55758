"""HubSpot answers → connector errors.

hubspot-api-client raises one exception class per API package with no shared base, so
errors are recognized by shape (`status`, `body`, `headers`), never by class. Every
refusal becomes a connector error whose message is meant to be read, secrets redacted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import urllib3

from connector.crms.hubspot.constants import RETRIABLE_STATUS
from connector.errors import AuthError, FatalError, LimitExceededError, RetriableError
from connector.secrets import redact


class HubSpotApiError(FatalError):
    """HubSpot refused a request; `status` and `category` say how."""

    def __init__(self, status: int, category: str, message: str, what: str = "") -> None:
        where = f" to {what}" if what else ""
        super().__init__(f"HubSpot answered {status} {category}{where}: {message}".strip())
        self.status = status
        self.category = category
        self.detail = message


class TokenRefused(AuthError):
    """A 401: the token is invalid or expired (an OAuth token is then refreshed once)."""


def parse_body(body: Any) -> dict[str, Any]:
    """An error body as a dict (HubSpot answers JSON; anything else becomes a message)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body[:300]}
    return body if isinstance(body, dict) else {"message": str(body)[:300]}


def missing_scopes(body: Mapping[str, Any]) -> list[str]:
    """The scopes a MISSING_SCOPES answer names (granular or legacy)."""
    found: list[str] = []
    for error in body.get("errors") or []:
        context = (error.get("context") or {}) if isinstance(error, dict) else {}
        for key in ("requiredGranularScopes", "requiredScopes"):
            found += [str(s) for s in context.get(key) or [] if str(s) not in found]
    context = body.get("context") or {}
    for key in ("requiredGranularScopes", "requiredScopes"):
        found += [str(s) for s in context.get(key) or [] if str(s) not in found]
    return found


def retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from a Retry-After header given in seconds (None when absent or a date)."""
    for key, value in (headers or {}).items():
        if key.lower() == "retry-after":
            try:
                return max(float(value), 0.0)
            except ValueError:
                return None
    return None


def throttle_wait(body: Mapping[str, Any], headers: Mapping[str, str] | None) -> float | None:
    """How long a 429 asks to wait: Retry-After, else the window its policy names.

    HubSpot's own limit answers carry no Retry-After: a secondly (search) limit frees
    within a second, the rolling window within its interval (header, else 10 s).
    """
    hinted = retry_after(headers)
    if hinted is not None:
        return hinted
    policy = str(body.get("policyName") or "")
    if policy == "SECONDLY":
        return 1.0
    if policy == "TEN_SECONDLY_ROLLING":
        for key, value in (headers or {}).items():
            if key.lower() == "x-hubspot-ratelimit-interval-milliseconds" and value.isdigit():
                return int(value) / 1000
        return 10.0
    return None


def map_status(
    status: int, body: Any, headers: Mapping[str, str] | None, what: str, scope: str = ""
) -> Exception:
    """The connector error for a non-2xx answer to `what` (a call named for people)."""
    parsed = parse_body(body)
    category = str(parsed.get("category") or "")
    message = redact(str(parsed.get("message") or ""))
    if status == 429 and parsed.get("policyName") == "DAILY":
        return LimitExceededError(f"HubSpot's daily API limit is spent ({what}): {message}")
    if status in RETRIABLE_STATUS:
        hint = retry_after(headers) if status != 429 else throttle_wait(parsed, headers)
        return RetriableError(f"HubSpot answered {status} {category} to {what}", hint, status)
    if category in ("RATE_LIMITS", "DAILY_LIMIT"):
        return LimitExceededError(f"HubSpot refused {what}: {message}")
    if status == 401:
        reason = category or str(status)
        return TokenRefused(f"HubSpot refused the token ({reason}) to {what}: {message}")
    if status == 403 and category == "MISSING_SCOPES":
        needed = ", ".join(missing_scopes(parsed)) or scope or "unknown"
        return AuthError(f"the HubSpot token lacks the scope {needed}, needed to {what}")
    if status == 403:
        return AuthError(f"HubSpot refused access ({category or status}) to {what}: {message}")
    return HubSpotApiError(status, category, message, what)


def is_api_exception(exc: BaseException) -> bool:
    """Whether `exc` is one of hubspot-api-client's per-package ApiExceptions."""
    return type(exc).__module__.startswith("hubspot.") and isinstance(
        getattr(exc, "status", None), int
    )


def map_exception(exc: BaseException, what: str, scope: str = "") -> Exception:
    """The connector error for an exception raised by the client or urllib3."""
    if isinstance(exc, urllib3.exceptions.SSLError):
        return FatalError(f"TLS verification failed talking to HubSpot to {what}")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return RetriableError(f"{what}: {type(exc).__name__}")
    if is_api_exception(exc):
        status = int(getattr(exc, "status", 0))
        if status == 0:  # the client turns urllib3's SSLError into status 0
            reason = str(getattr(exc, "reason", ""))
            problem = "TLS verification failed" if "SSL" in reason else "the request failed"
            return FatalError(f"{problem} talking to HubSpot to {what}")
        headers = getattr(exc, "headers", None)
        return map_status(status, getattr(exc, "body", None), dict(headers or {}), what, scope)
    return exc if isinstance(exc, Exception) else FatalError(str(exc))
