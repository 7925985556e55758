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
from connector.errors import (
    AuthError,
    FatalError,
    LimitExceededError,
    RetriableError,
    TrustError,
)
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


class MissingScope(AuthError):
    """A 403 MISSING_SCOPES: the token lacks `scopes` for the call."""

    def __init__(self, message: str, scopes: list[str]) -> None:
        super().__init__(message)
        self.scopes = scopes


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


def policy(body: Mapping[str, Any]) -> str:
    """Which limit a rate-limit answer names: DAILY, SECONDLY, TEN_SECONDLY_ROLLING or "".

    Real answers come in two forms: `errorType: RATE_LIMIT` with `policyName`, and
    `category: RATE_LIMITS` with only the message ("You have reached your secondly
    limit.", "…ten_secondly_rolling limit.", "…daily limit.")."""
    named = str(body.get("policyName") or "").upper()
    if named:
        return named
    message = str(body.get("message") or "").lower()
    for marker, name in (("ten_secondly", "TEN_SECONDLY_ROLLING"), ("daily", "DAILY"),
                         ("secondly", "SECONDLY")):  # fmt: skip
        if marker in message:
            return name
    return ""


def is_rate_limit(body: Mapping[str, Any]) -> bool:
    """Whether an answer's body says a rate limit was hit (either form)."""
    return body.get("errorType") == "RATE_LIMIT" or body.get("category") == "RATE_LIMITS"


def throttle_wait(body: Mapping[str, Any], headers: Mapping[str, str] | None) -> float | None:
    """How long a 429 asks to wait: Retry-After, else the window its policy names.

    HubSpot's own limit answers carry no Retry-After: a secondly (search) limit frees
    within a second, the rolling window within its interval (header, else 10 s).
    """
    hinted = retry_after(headers)
    if hinted is not None:
        return hinted
    named = policy(body)
    if named == "SECONDLY":
        return 1.0
    if named == "TEN_SECONDLY_ROLLING" or is_rate_limit(body):
        interval = header(headers, "x-hubspot-ratelimit-interval-milliseconds")
        return int(interval) / 1000 if interval and interval.isdigit() else 10.0
    return None


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """A header's value by its lower-case name (None when absent)."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def daily_limit_spent(what: str, message: str) -> LimitExceededError:
    """The stop of a run that met HubSpot's daily limit, with when it frees again."""
    return LimitExceededError(
        f"HubSpot's daily API limit is spent ({what}): {message} It resets at midnight in "
        "the portal's time zone (HubSpot settings, Account defaults); the next run resumes "
        "where this one stopped"
    )


def map_status(
    status: int, body: Any, headers: Mapping[str, str] | None, what: str, scope: str = ""
) -> Exception:
    """The connector error for a non-2xx answer to `what` (a call named for people)."""
    parsed = parse_body(body)
    category = str(parsed.get("category") or "")
    message = redact(str(parsed.get("message") or ""))
    if is_rate_limit(parsed) and policy(parsed) == "DAILY":
        return daily_limit_spent(what, message)
    if status in RETRIABLE_STATUS:
        hint = retry_after(headers) if status != 429 else throttle_wait(parsed, headers)
        return RetriableError(f"HubSpot answered {status} {category} to {what}", hint, status)
    if category in ("RATE_LIMITS", "DAILY_LIMIT"):
        return LimitExceededError(f"HubSpot refused {what}: {message}")
    if status == 401:
        reason = category or str(status)
        return TokenRefused(f"HubSpot refused the token ({reason}) to {what}: {message}; "
                            "the token is wrong, expired or was revoked: put the app's "
                            "current one where the config's auth: names it, then run again")
    if status == 403 and category == "MISSING_SCOPES":
        scopes = missing_scopes(parsed) or ([scope] if scope else [])
        needed = ", ".join(scopes) or "unknown"
        return MissingScope(f"the HubSpot token lacks the scope {needed}, needed to {what}",
                            scopes)  # fmt: skip
    if status == 403:
        return AuthError(f"HubSpot refused access ({category or status}) to {what}: {message}")
    return HubSpotApiError(status, category, message, what)


def is_api_exception(exc: BaseException) -> bool:
    """Whether `exc` is one of hubspot-api-client's per-package ApiExceptions."""
    return type(exc).__module__.startswith("hubspot.") and isinstance(
        getattr(exc, "status", None), int
    )


def tls_failed(what: str, host: str = "") -> FatalError:
    """A certificate the connector does not trust: a setting to fix, not a transient."""
    where = f" {host}" if host else ""
    return TrustError(
        f"TLS to the CRM failed: HubSpot{where} presented a certificate this machine does not "
        f"trust (while trying to {what}). Set ca_file: to the CA that signed it (a proxy "
        "or a test CRM), or add that CA to the system trust store"
    )


def map_exception(exc: BaseException, what: str, scope: str = "", host: str = "") -> Exception:
    """The connector error for an exception raised by the client or urllib3.

    hubspot-api-client turns urllib3's SSLError into an ApiException of status 0 without a
    body, then fails on that body (AttributeError): the cause is found in the chain."""
    cause = _cause(exc)
    if isinstance(cause, urllib3.exceptions.SSLError):
        return tls_failed(what, host)
    if isinstance(cause, urllib3.exceptions.HTTPError):
        return RetriableError(f"{what}: {type(cause).__name__}")
    if cause is not None and is_api_exception(cause):
        status = int(getattr(cause, "status", 0))
        if status == 0:  # the client turns urllib3's SSLError into status 0
            reason = str(getattr(cause, "reason", ""))
            if "SSL" in reason:
                return tls_failed(what, host)
            return FatalError(f"the request failed talking to HubSpot to {what}")
        headers = getattr(cause, "headers", None)
        return map_status(status, getattr(cause, "body", None), dict(headers or {}), what, scope)
    return exc if isinstance(exc, Exception) else FatalError(str(exc))


def _cause(exc: BaseException) -> BaseException | None:
    """The API exception or urllib3 error behind `exc` (itself, or one it was raised in)."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if is_api_exception(seen) or isinstance(seen, urllib3.exceptions.HTTPError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
