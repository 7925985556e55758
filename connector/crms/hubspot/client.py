"""The HubSpot transport, shared by the source and the writer.

It owns the connection: the hubspot-api-client instance and its cached API objects
(each attribute access of the client builds a new pool), the token (private app, or
OAuth refreshed on expiry) and the client-side limiter; retries and call accounting
are the shared `connector.crms.client.Client`'s. Callers get parsed JSON and connector
errors, never a client exception: nothing above this layer retries or sees a 429.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

from hubspot import HubSpot

from connector.crms.client import Client
from connector.crms.hubspot.config import HubSpotConfig, OAuthAuth
from connector.crms.hubspot.errors import TokenRefused, map_exception, map_status
from connector.crms.hubspot.limits import DailyBudget, WindowLimiter
from connector.errors import AuthError, FatalError, RetriableError
from connector.secrets import register_secret

Json = dict[str, Any]
# A 2xx body a call cannot use: the problem, said for people (None when it is usable).
Check = Callable[[Json], str | None]
LEGACY_ENGAGEMENTS = "engagements.v1"
CUSTOM_OBJECT_LIMITS = "crm.limits.custom_object_types"


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
    check: Check | None = None


class RecentEngagementsApi:
    """The legacy engagements API's "recent engagements" (one call across calls, emails,
    meetings and tasks), which hubspot-api-client 12 has no class for: sent through one of
    the client's ApiClients, so token, pool, errors and accounting are those of any call."""

    path = "/engagements/v1/engagements/recent/modified"

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client

    def get_recent(self, since: int, count: int, **kwargs: Any) -> Any:
        """Engagements updated after `since` (epoch ms), newest first, `count` of them."""
        return self.api_client.call_api(
            self.path, "GET", {}, [("since", since), ("count", count)],
            {"Accept": "application/json"}, response_types_map={}, auth_settings=["oauth2"],
            _return_http_data_only=True, **kwargs)


class CustomObjectLimitsApi:
    """The limits tracking API's custom object limits (`{limit, percentage, usage}`; 0 on
    portals below Enterprise), which hubspot-api-client 12 has no class for: sent like
    `RecentEngagementsApi`."""

    path = "/crm/v3/limits/custom-object-types"

    def __init__(self, api_client: Any) -> None:
        self.api_client = api_client

    def get(self, **kwargs: Any) -> Any:
        """The portal's custom object definitions: allowed and in use."""
        return self.api_client.call_api(
            self.path, "GET", {}, [], {"Accept": "application/json"}, response_types_map={},
            auth_settings=["oauth2"], _return_http_data_only=True, **kwargs)


_RAW_APIS: dict[str, Any] = {LEGACY_ENGAGEMENTS: RecentEngagementsApi,
                             CUSTOM_OBJECT_LIMITS: CustomObjectLimitsApi}


class HubSpotClient(Client):
    """One authenticated connection to one portal; close it (or use `with`)."""

    crm = "HubSpot"

    def __init__(self, config: HubSpotConfig) -> None:
        super().__init__(config.http)
        self.config = config
        limits = config.limits
        self.limiter = WindowLimiter(limits.requests_per_window, limits.window_seconds)
        self.search_limiter = WindowLimiter(limits.search_requests_per_second, 1.0)
        self.daily = DailyBudget(limits.max_share_of_remaining)
        self.server_ms: int | None = None  # HubSpot's clock (Date) at its last answer
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

    def api(self, path: str) -> Any:
        """The cached API object at `path` of the client, e.g. ``crm.objects.basic_api``."""
        with self._lock:
            self._ensure_token()
            return self._cached(path)

    def _cached(self, path: str) -> Any:
        with self._lock:
            if path not in self._apis:
                target: Any = self._client
                if path in _RAW_APIS:  # an ApiClient of its own, like every API
                    target = _RAW_APIS[path](target.crm.owners.owners_api.api_client)
                else:
                    for part in path.split("."):
                        target = getattr(target, part)
                target.api_client.configuration.access_token = self._token or None
                self._apis[path] = target
            return self._apis[path]

    def call(
        self,
        path: str,
        method: str,
        *args: Any,
        what: str,
        search: bool = False,
        check: Check | None = None,
        retry: bool = True,
        **kwargs: Any,
    ) -> Answer:
        """Call `method` of API `path` with limiter and retries; parse the JSON answer.

        `check` judges a 2xx body: a body it finds unusable (a page with neither results
        nor paging) is retried like a 5xx, never taken for an answer. `retry=False` sends
        once and leaves a transient failure to the caller."""
        request = _Request(path, method, args, kwargs, what, search, check)
        if not retry:
            return self._call_once(request)
        return self.retrying(lambda: self._call_once(request))

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
        self.daily.spend()
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
            self.daily.observe(getattr(exc, "headers", None))
            raise map_exception(exc, what, host=urlsplit(self.config.host).netloc) from None
        try:
            data = response.data
        finally:
            response.release_conn()
            self.stats.http_seconds += time.perf_counter() - started
        self.daily.observe(dict(response.headers))
        self.server_ms = _date_ms(response.headers.get("Date")) or self.server_ms
        if not 200 <= response.status <= 299:  # the client raises first; belt and braces
            raise map_status(response.status, data, dict(response.headers), what)
        body = _parse(data, what)
        problem = request.check(body) if request.check else None
        if problem is not None:
            raise RetriableError(f"HubSpot answered {response.status} to {what} {problem}",
                                 None, 502)  # fmt: skip
        return Answer(response.status, body)

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


def _date_ms(value: str | None) -> int | None:
    """An HTTP Date header in epoch milliseconds (None when absent or unreadable)."""
    try:
        return int(parsedate_to_datetime(value).timestamp() * 1000) if value else None
    except (TypeError, ValueError):
        return None


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
