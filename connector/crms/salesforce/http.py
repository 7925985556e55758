"""The HTTP layer under simple-salesforce: timeouts, auth, retries, limits, error mapping.

simple-salesforce sends every request through the `requests.Session` it is given, and
so does its Bulk API 2.0 client. `SalesforceSession` is that session: it passes a
timeout, puts the current access token on every API request, renews an expired session
once, retries transient failures with tenacity (nothing else retries), reads
`Sforce-Limit-Info` on every answer and maps every refusal onto connector.errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector.crms.client import backoff_seconds
from connector.crms.config import HttpSettings as Http
from connector.crms.salesforce.limits import LimitGuard
from connector.errors import AuthError, FatalError, LimitExceededError, RetriableError
from connector.secrets import redact

RETRIABLE_STATUS = frozenset({429, 500, 502, 503, 504})
_TRANSIENT = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


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
    value = response.headers.get("Retry-After", "")
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None


def map_error(response: requests.Response) -> Exception:
    """The connector error for a non-2xx API answer."""
    code, message = error_details(response)
    status = response.status_code
    if status in RETRIABLE_STATUS:
        return RetriableError(f"Salesforce answered {status} {code}".strip(), retry_after(response))
    if code == "REQUEST_LIMIT_EXCEEDED":
        return LimitExceededError(f"Salesforce refused the call: {code}: {message}")
    if status == 401:
        return AuthError(f"Salesforce refused the session ({code or status}): {message}")
    if status == 403 and code in ("API_DISABLED_FOR_ORG", "INSUFFICIENT_ACCESS"):
        return AuthError(f"Salesforce refused access ({code}): {message}")
    return SalesforceApiError(status, code, message)


class SalesforceSession(requests.Session):
    """The one place where requests to Salesforce are sent, retried and accounted."""

    def __init__(self, http: Http, guard: LimitGuard, ca_file: str | None = None) -> None:
        super().__init__()
        if ca_file:
            # REQUESTS_CA_BUNDLE in the environment would silently override `verify`.
            self.verify = ca_file
            self.trust_env = False
        self.http = http
        self.guard = guard
        self.access_token = ""
        self.api_host = ""
        self.renew: Callable[[], None] | None = None

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        """Send with timeout and retries; raise a connector error for any refusal."""
        kwargs.setdefault("timeout", self.http.timeout_seconds)
        text_url = url.decode() if isinstance(url, bytes) else url
        text_method = method.decode() if isinstance(method, bytes) else method
        retrying = Retrying(
            stop=stop_after_attempt(self.http.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetriableError),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._send(text_method, text_url, args, kwargs)
        except RetriableError as exc:
            raise FatalError(
                f"Salesforce kept failing after {self.http.max_attempts} attempts: {exc}"
            ) from exc
        raise AssertionError("unreachable: tenacity returns or raises")

    def _send(
        self, method: str, url: str, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> requests.Response:
        is_api = bool(self.api_host) and urlsplit(url).netloc == self.api_host
        response = self._send_once(method, url, args, kwargs, is_api)
        if is_api and response.status_code == 401 and self.renew is not None:
            self.renew()  # an expired session is renewed once, transparently
            response = self._send_once(method, url, args, kwargs, is_api)
        if is_api and response.status_code >= 400:
            raise map_error(response)
        if not is_api and response.status_code in RETRIABLE_STATUS:
            raise map_error(response)
        return response

    def _send_once(
        self,
        method: str,
        url: str,
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        is_api: bool,
    ) -> requests.Response:
        if is_api:
            self.guard.count_call()
            headers = dict(kwargs.get("headers") or {})
            headers["Authorization"] = f"Bearer {self.access_token}"
            kwargs = {**kwargs, "headers": headers}
        path = urlsplit(url).path
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.exceptions.SSLError as exc:
            raise FatalError(f"TLS verification failed for {urlsplit(url).netloc}") from exc
        except _TRANSIENT as exc:
            raise RetriableError(f"{method} {path}: {type(exc).__name__}") from exc
        if is_api:
            self.guard.observe(response.headers.get("Sforce-Limit-Info"))
        return response

    def _wait(self, state: RetryCallState) -> float:
        return backoff_seconds(self.http, state)
