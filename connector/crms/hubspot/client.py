"""The HubSpot transport, shared by the source and the writer.

It owns the connection: the hubspot-api-client instance and its cached API objects
(each attribute access of the client builds a new pool), the token (private app, or
OAuth refreshed on expiry), the client-side limiter, the tenacity retries and the call
count. Callers get parsed JSON and connector errors, never a client exception: nothing
above this layer retries or sees a 429.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from hubspot import HubSpot
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from connector.crms.client import backoff_seconds
from connector.crms.hubspot.config import HubSpotConfig, OAuthAuth
from connector.crms.hubspot.errors import (
    TokenRefused,
    TransientError,
    map_exception,
    map_status,
)
from connector.crms.hubspot.limits import WindowLimiter
from connector.errors import AuthError, FatalError, RetriableError
from connector.secrets import register_secret

Json = dict[str, Any]


@dataclass(frozen=True)
class Answer:
    """One 2xx answer: its status (200, 201, 204, 207) and parsed JSON body."""

    status: int
    body: Json


@dataclass(frozen=True)
class _Request:
    """One API call to make: which API object and method, its arguments, for what."""

    path: str
    method: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    what: str
    search: bool


@dataclass
class CallStats:
    """What the transport did: calls sent (retries included), 429s, retries, waits."""

    calls: int = 0
    throttled: int = 0
    retries: int = 0
    server_errors: int = 0
    limiter_wait_seconds: float = 0.0
    # Time from sending a request to having its whole answer (network and server).
    http_seconds: float = 0.0


class HubSpotClient:
    """One authenticated connection to one portal; close it (or use `with`)."""

    def __init__(self, config: HubSpotConfig) -> None:
        self.config = config
        self.stats = CallStats()
        limits = config.limits
        self.limiter = WindowLimiter(limits.requests_per_window, limits.window_seconds)
        self.search_limiter = WindowLimiter(limits.search_requests_per_second, 1.0)
        self._lock = threading.RLock()
        self._apis: dict[str, Any] = {}
        self._token = ""
        self._client = self._new_client("")

    def _new_client(self, token: str) -> Any:
        ca_file = str(self.config.ca_file) if self.config.ca_file else None
        # retry=False: urllib3 must not retry on its own; tenacity below does.
        return HubSpot(
            access_token=token or None, host=self.config.host, ssl_ca_cert=ca_file, retry=False
        )

    @property
    def api_calls(self) -> int:
        """API calls made so far (retries included)."""
        return self.stats.calls

    def api(self, path: str) -> Any:
        """The cached API object at `path` of the client, e.g. ``crm.objects.basic_api``."""
        with self._lock:
            self._ensure_token()
            return self._cached(path)

    def _cached(self, path: str) -> Any:
        with self._lock:
            if path not in self._apis:
                target: Any = self._client
                for part in path.split("."):
                    target = getattr(target, part)
                target.api_client.configuration.access_token = self._token or None
                self._apis[path] = target
            return self._apis[path]

    def call(
        self, path: str, method: str, *args: Any, what: str, search: bool = False, **kwargs: Any
    ) -> Answer:
        """Call `method` of API `path` with limiter and retries; parse the JSON answer."""
        request = _Request(path, method, args, kwargs, what, search)
        retrying = Retrying(
            stop=stop_after_attempt(self.config.http.max_attempts),
            wait=self._wait,
            retry=retry_if_exception_type(RetriableError),
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    return self._call_once(request)
        except RetriableError as exc:
            raise FatalError(
                f"HubSpot kept failing after {self.config.http.max_attempts} attempts: {exc}"
            ) from exc
        raise AssertionError("unreachable: tenacity returns or raises")

    def _call_once(self, request: _Request) -> Answer:
        try:
            return self._send(request)
        except TokenRefused:
            if not isinstance(self.config.auth, OAuthAuth) or not self._token:
                raise
            self._refresh()  # an expired OAuth token is refreshed once, transparently
            return self._send(request)

    def _send(self, request: _Request) -> Answer:
        function = getattr(self.api(request.path), request.method)
        self.stats.limiter_wait_seconds += self.limiter.acquire()
        if request.search:
            self.stats.limiter_wait_seconds += self.search_limiter.acquire()
        self.stats.calls += 1
        what = request.what
        started = time.perf_counter()
        try:
            response = function(
                *request.args,
                _preload_content=False,
                _request_timeout=self.config.http.timeout_seconds,
                **request.kwargs,
            )
        except Exception as exc:
            self.stats.http_seconds += time.perf_counter() - started
            raise self._count(map_exception(exc, what)) from None
        try:
            data = response.data
        finally:
            response.release_conn()
            self.stats.http_seconds += time.perf_counter() - started
        if not 200 <= response.status <= 299:  # the client raises first; belt and braces
            raise self._count(map_status(response.status, data, dict(response.headers), what))
        return Answer(response.status, _parse(data, what))

    def _count(self, error: Exception) -> Exception:
        if isinstance(error, TransientError):
            self.stats.retries += 1
            if error.status == 429:
                self.stats.throttled += 1
            elif error.status is not None:
                self.stats.server_errors += 1
        return error

    def _wait(self, state: RetryCallState) -> float:
        return backoff_seconds(self.config.http, state)

    def _ensure_token(self) -> None:
        if self._token:
            return
        auth = self.config.auth
        if isinstance(auth, OAuthAuth):
            self._refresh_locked()
        else:
            self._set_token(auth.access_token.resolve("the HubSpot private-app token"))

    def _refresh(self) -> None:
        with self._lock:
            self._refresh_locked()

    def _refresh_locked(self) -> None:
        auth = self.config.auth
        if not isinstance(auth, OAuthAuth):
            raise AuthError("only OAuth tokens can be refreshed")
        tokens = self._cached("oauth.tokens_api")  # token calls are not counted API calls
        try:
            response = tokens.create(
                grant_type="refresh_token",
                client_id=auth.client_id.resolve("HubSpot OAuth"),
                client_secret=auth.client_secret.resolve("HubSpot OAuth"),
                refresh_token=auth.refresh_token.resolve("HubSpot OAuth"),
                _preload_content=False,
                _request_timeout=self.config.http.timeout_seconds,
            )
        except Exception as exc:
            error = map_exception(exc, "refresh the OAuth token")
            if isinstance(error, FatalError):
                raise AuthError(f"HubSpot OAuth refresh failed: {error}") from None
            raise error from None
        try:
            body = _parse(response.data, "refresh the OAuth token")
        finally:
            response.release_conn()
        self._set_token(str(body.get("access_token") or ""))

    def _set_token(self, token: str) -> None:
        if not token:
            raise AuthError("HubSpot gave no access token")
        register_secret(token)
        self._token = token
        for api in self._apis.values():
            api.api_client.configuration.access_token = token

    def close(self) -> None:
        """Close every pool this transport opened."""
        with self._lock:
            for api in self._apis.values():
                api.api_client.rest_client.pool_manager.clear()
                api.api_client.close()
            self._apis.clear()

    def __enter__(self) -> HubSpotClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _parse(data: bytes | None, what: str) -> Json:
    if not data:
        return {}
    try:
        parsed = json.loads(data)
    except ValueError as exc:
        raise FatalError(f"HubSpot answered non-JSON to {what}") from exc
    if isinstance(parsed, list):
        return {"results": parsed}
    if not isinstance(parsed, dict):
        raise FatalError(f"HubSpot answered an unexpected body to {what}")
    return parsed
