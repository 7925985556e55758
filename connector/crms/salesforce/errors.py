"""Salesforce answers → connector errors.

Every refusal becomes a connector error whose message is meant to be read, secrets
redacted: `RetriableError` for what the transport retries (429, 5xx), `LimitExceededError` for a
spent allowance (exit 4: the next run resumes), `AuthError` for what a person must fix
(exit 5: a revoked or wrong credential, a missing permission), `SalesforceApiError`
(a `FatalError`) for the rest.
"""

from __future__ import annotations

import re
from html import unescape

import requests

from connector.errors import AuthError, FatalError, LimitExceededError, RetriableError
from connector.secrets import redact

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})
# A SOAP API (Metadata API) refusal is an HTTP 500 whose body is a fault naming the
# error code: the code, not the status, says what happened.
_FAULT_CODE = re.compile(r"<faultcode>(?:[\w.-]+:)?([^<]+)</faultcode>")
_FAULT_STRING = re.compile(r"<faultstring>([^<]*)</faultstring>")
_FAULT_STATUS = {"INVALID_SESSION_ID": 401, "INSUFFICIENT_ACCESS": 403,
                 "API_DISABLED_FOR_ORG": 403, "UNKNOWN_EXCEPTION": 500,
                 "SERVER_UNAVAILABLE": 503, "REQUEST_LIMIT_EXCEEDED": 403}  # fmt: skip


class SalesforceApiError(FatalError):
    """Salesforce refused a request; `status` and `error_code` say how."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"Salesforce answered {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.detail = message


def error_details(response: requests.Response) -> tuple[str, str]:
    """(errorCode, message) from a Salesforce error body, list or OAuth dict alike."""
    try:
        body = response.json()
    except ValueError:
        return "", redact(response.text[:300])
    if isinstance(body, list) and body and isinstance(body[0], dict):
        body = body[0]
    if not isinstance(body, dict):
        return "", redact(str(body)[:300])
    code = str(body.get("errorCode") or body.get("error") or "")
    message = str(body.get("message") or body.get("error_description") or "")
    return code, redact(message)


def retry_after(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header given in seconds (None when absent or a date)."""
    return seconds(response.headers.get("Retry-After", ""))


def seconds(value: str) -> float | None:
    """A Retry-After value in seconds (None when absent or a date)."""
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def soap_fault(response: requests.Response) -> tuple[int, str, str] | None:
    """(the status it stands for, error code, message) of a SOAP fault answer, else None."""
    if "xml" not in response.headers.get("Content-Type", "") and "<faultcode>" not in (
        response.text[:2000]
    ):
        return None
    code = _FAULT_CODE.search(response.text)
    if code is None:
        return None
    found = _FAULT_STRING.search(response.text)
    message = unescape(found.group(1)) if found else ""
    name = code.group(1).strip()
    return _FAULT_STATUS.get(name, 400), name, redact(message)


def map_error(response: requests.Response) -> Exception:
    """The connector error for a non-2xx API answer."""
    fault = soap_fault(response)
    if fault is not None:
        return error_for(*fault, retry_after(response))
    code, message = error_details(response)
    return error_for(response.status_code, code, message, retry_after(response))


def error_for(status: int, code: str, message: str, wait: float | None = None) -> Exception:
    """The connector error for a refusal (a response, or a composite subrequest's answer)."""
    message = redact(message)
    if status in RETRIABLE_STATUS:
        return RetriableError(f"Salesforce answered {status} {code}".strip(), wait, status)
    if code == "REQUEST_LIMIT_EXCEEDED":
        return LimitExceededError(f"Salesforce refused the call: {code}: {message}")
    if status == 401:
        return AuthError(f"Salesforce refused the session ({code or status}): {message}")
    if status == 403 or code in ACCESS_CODES:
        return AuthError(f"Salesforce refused access ({code or status}): {message}; give the "
                         "integration user the permission (docs/production.md, Least "
                         "privilege)")  # fmt: skip
    return SalesforceApiError(status, code, message)


# Refusals of a whole request for want of a permission (403, or 400 on some endpoints).
ACCESS_CODES = frozenset({"API_DISABLED_FOR_ORG", "INSUFFICIENT_ACCESS",
                          "INSUFFICIENT_ACCESS_OR_READONLY", "API_CURRENTLY_DISABLED"})  # fmt: skip

# What a person does about each OAuth refusal of the token endpoint.
_LOGIN_FIXES = {
    "invalid_client_id": "the Connected App's consumer key (auth.client_id or "
    "auth.consumer_key) is unknown to this org: copy it again from the app",
    "invalid_client": "the Connected App refused the client credentials: check "
    "auth.client_secret, or the app's OAuth settings",
    "invalid_grant": "the credential was revoked, expired or is not allowed (a refresh "
    "token revoked, a JWT user not pre-authorized for the app, a wrong password): issue a "
    "new one or approve the user",
    "unsupported_grant_type": "the Connected App does not allow this OAuth flow: enable it",
    "inactive_user": "the integration user is inactive: reactivate it",
    "inactive_org": "the org is locked or inactive",
}


def login_refused(status: int, code: str, message: str) -> Exception:
    """The error for a refused token request: a try-again for an outage (5xx, 429),
    else an `AuthError` (exit 5) saying what a person must do."""
    if status in RETRIABLE_STATUS:
        return RetriableError(f"the Salesforce login answered {status} {code}".strip(), None,
                              status)  # fmt: skip
    fix = _LOGIN_FIXES.get(code, "check the auth: section of the source")
    return AuthError(f"Salesforce refused the login ({code or status}): {redact(message)}; "
                     f"{fix}")  # fmt: skip
