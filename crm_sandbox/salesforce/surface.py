"""The Salesforce surface: routes, session checks, API usage accounting, error shapes."""

from __future__ import annotations

import threading
from pathlib import Path

from ..faults import FaultSet
from ..http import Request, Response, Route, json_response, route
from ..ids import sf_id
from ..org import Org
from ..org.generate_people import ADMIN_USER_N
from .analytics import Analytics
from .auth import Credentials, Sessions, TokenEndpoint, bearer, make_credentials
from .bulk import Bulk
from .collections import Collections
from .errors import SfError
from .model import Registry
from .objects import standard_objects
from .query import QueryEngine
from .rest import Rest
from .tooling import Tooling
from .writes import Writer

FAULT_CODES = {429: "REQUEST_LIMIT_EXCEEDED", 500: "UNKNOWN_EXCEPTION",
               503: "SERVER_UNAVAILABLE", 502: "SERVER_UNAVAILABLE"}
DEFAULT_DAILY_LIMIT = 5_000_000


class ApiUsage:
    """The org's daily API allowance (DailyApiRequests)."""

    def __init__(self, cap: int) -> None:
        self._lock, self.cap, self.used = threading.Lock(), cap, 0

    def spend(self) -> bool:
        with self._lock:
            if self.used >= self.cap:
                return False
            self.used += 1
            return True

    def snapshot(self) -> tuple[int, int]:
        with self._lock:
            return self.used, self.cap

    def exhaust(self) -> None:
        with self._lock:
            self.used = self.cap


class SalesforceSurface:
    """Salesforce REST, Collections, Bulk 2.0 and OAuth over the shared org."""

    name = "salesforce"

    def __init__(self, org: Org, faults: FaultSet, folder: Path, base_url: str,
                 daily_api_limit: int = DEFAULT_DAILY_LIMIT) -> None:
        self.org, self.faults, self.folder, self.base_url = org, faults, folder, base_url
        self.registry = Registry(standard_objects())
        username = org.cursor().execute("SELECT username FROM users WHERE n = ?",
                                        [ADMIN_USER_N]).fetchone()
        self.creds: Credentials = make_credentials(folder, sf_id("00D", 1),
                                                   sf_id("005", ADMIN_USER_N),
                                                   str(username[0]) if username else "admin")
        self.sessions = Sessions(self.creds, org.clock)
        self.usage = ApiUsage(daily_api_limit)
        self.queries = QueryEngine(org, self.registry)
        self.writer = Writer(org, faults)
        self.rest, self.collections = Rest(self), Collections(self)
        self.bulk = Bulk(self, folder / "bulk")
        self.tooling, self.analytics = Tooling(self), Analytics(self)
        self.token = TokenEndpoint(self.sessions, base_url)

    def routes(self) -> list[Route]:
        token = route(self, "POST", r"/services/oauth2/token", "oauth.token", self.token.handle)
        return [token, *self.rest.routes(), *self.collections.routes(), *self.bulk.routes(),
                *self.tooling.routes(), *self.analytics.routes()]

    def guard(self, request: Request, rt: Route) -> Response | None:
        """Check the session and spend one API call from the allowance."""
        if rt.name in ("oauth.token", "versions"):
            return None
        if not self.sessions.valid(bearer(request)):
            return session_expired()
        if not self.usage.spend():
            return limit_exceeded()
        return None

    def error(self, exc: Exception) -> Response:
        """SfError as its JSON list; anything else as UNKNOWN_EXCEPTION (500)."""
        if isinstance(exc, SfError):
            return json_response(exc.body(), exc.status)
        if isinstance(exc, ValueError | KeyError | TypeError):
            return json_response([{"message": f"bad request: {exc}",
                                   "errorCode": "JSON_PARSER_ERROR"}], 400)
        return json_response([{"message": f"An unexpected error occurred: {exc!r}",
                               "errorCode": "UNKNOWN_EXCEPTION"}], 500)

    def decorate(self, request: Request, response: Response) -> None:
        used, cap = self.usage.snapshot()
        response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{cap}"

    def fault_response(self, kind: str, status: int, request: Request,
                       retry_after: float | None) -> Response:
        """A fault in Salesforce's shapes (session expiry revokes the session)."""
        if kind == "expire_session":
            self.sessions.revoke(bearer(request))
            return session_expired()
        if kind == "limit":
            return limit_exceeded()
        code = FAULT_CODES.get(status, "UNKNOWN_EXCEPTION")
        resp = json_response([{"message": f"injected fault: HTTP {status}", "errorCode": code}],
                             status)
        if retry_after is not None:
            resp.headers["Retry-After"] = f"{retry_after:g}"
        return resp

    def not_found(self, request: Request) -> Response:
        return json_response([{"errorCode": "NOT_FOUND",
                               "message": "The requested resource does not exist"}], 404)

    def close(self) -> None:
        self.queries.close()
        self.tooling.queries.close()
        self.bulk.close()


def session_expired() -> Response:
    return json_response([{"message": "Session expired or invalid",
                           "errorCode": "INVALID_SESSION_ID"}], 401)


def limit_exceeded() -> Response:
    return json_response([{"message": "TotalRequests Limit exceeded.",
                           "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403)

