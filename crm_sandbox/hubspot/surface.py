"""The HubSpot CRM surface: routes, authentication, scopes, rate limits and faults."""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

from ..clock import http_date
from ..faults import FaultSet
from ..http import Endpoint, Request, Response, Route, bind, json_response
from ..org import Org
from ..org.tables import ADMIN_USER_N
from .auth import Credentials, Tokens, bearer, expired, missing_scope, token_endpoint
from .errors import HsError, correlation_id
from .exports import DOWNLOADS, Exports
from .legacy import SCOPES as LEGACY_SCOPES
from .legacy import Legacy
from .limits import LimitConfig, RateLimits, rate_limit_body
from .meta import Meta
from .model import OWNER_BASE, USER_BASE
from .objects import Objects
from .params import check_body, check_query
from .registry import Registry
from .tier import Subscription, Tier

PORTAL_ID = 24_681_357
OPEN_ROUTES = ("oauthToken", "exportDownload")  # no token, not an API call
# Java's ISO_INSTANT prints no fraction when the milliseconds are zero.
WHOLE_SECOND = re.compile(rb'(T\d{2}:\d{2}:\d{2})\.000Z"')
STATUS_TEXT = {500: "internal error", 502: "Bad Gateway", 503: "Service Unavailable",
               504: "Gateway Timeout"}


class HubSpotSurface:
    """HubSpot's CRM v3 API (and associations v4) over the org."""

    name = "hubspot"

    def __init__(self, org: Org, faults: FaultSet, creds: Credentials | None = None,
                 limits: LimitConfig | None = None, portal_id: int = PORTAL_ID,
                 tier: Tier = "enterprise") -> None:
        self.org, self.faults = org, faults
        self.creds = creds or Credentials.fresh()
        self.tokens = Tokens(self.creds, org.clock)
        self.limits = RateLimits(limits)
        self.registry = Registry(org, portal_id)
        self.objects = Objects(org, faults, self.registry)
        self.subscription = Subscription(tier)
        self.meta = Meta(org, self.registry, self.subscription)
        self.folder = Path(tempfile.mkdtemp(prefix="crm-kpi-hubspot-exports-"))
        self.exports = Exports(org, self.registry, self.folder)
        self.legacy = Legacy(org, self.registry)

    def info(self, base_url: str) -> dict[str, Any]:
        """How a client connects: `HubSpot(access_token=..., host=...)`, or OAuth."""
        c = self.creds
        return {"host": base_url, "access_token": c.access_token, "client_id": c.client_id,
                "client_secret": c.client_secret, "refresh_token": c.refresh_token,
                "portal_id": self.registry.portal_id, "tier": self.subscription.tier,
                "users": self.users()}

    def users(self) -> list[dict[str, Any]]:
        """The portal's people: each user's e-mail, name, user id (`hs_assignee_user_id`,
        the owners API's `userId`), owner id (`hubspot_owner_id` of their records), primary
        team, whether active, and the integration user's role. Every API token is the
        private app's: HubSpot apps act as the app, never as a person."""
        rows = self.org.cursor().execute(
            "SELECT u.n, u.email, u.first_name, u.last_name, t.name, u.active, u.n = ? "
            "FROM users u LEFT JOIN teams t ON t.n = u.team_n ORDER BY u.n",
            [ADMIN_USER_N]).fetchall()
        out = []
        for n, email, first, last, team, active, integration in rows:
            user: dict[str, Any] = {"email": email, "name": f"{first} {last}",
                                    "user_id": str(USER_BASE + n),
                                    "owner_id": str(OWNER_BASE + n), "team": team,
                                    "active": bool(active)}
            if integration:
                user["role"] = "Super Admin"
            out.append(user)
        return out

    def routes(self) -> list[Route]:
        token = Endpoint("POST", r"/oauth/(?:v1|v3|2026-03)/token", "oauthToken",
                         lambda r: token_endpoint(self.tokens, r))
        return bind(self, [token, *self.objects.endpoints(), *self.meta.endpoints(),
                           *self.exports.endpoints(), *self.legacy.endpoints()])

    # ---- Surface protocol -----------------------------------------------------------
    def guard(self, request: Request, route: Route) -> Response | None:
        """Authentication, then scopes, then the rate limits (as HubSpot checks them)."""
        if route.name in OPEN_ROUTES:
            return None
        try:
            token = bearer(request)
            grant = self.tokens.check(token)
            scope = self._scope(request, route)
            if scope is not None and scope not in grant.scopes:
                raise missing_scope(scope)
            self.limits.admit(token, search=route.name == "search",
                              private=grant.expires is None)
            check_query(route.name, request)
            check_body(route.name, request)
        except HsError as exc:
            return exc.response()
        return None

    def _scope(self, req: Request, route: Route) -> str | None:
        name = route.name
        if name in ("exportStart", "exportStatus"):
            return "crm.export"
        if name == "customObjectLimits":
            return None  # the limits tracking API answers any valid token
        if name in ("owners", "owner"):
            return "crm.objects.owners.read"
        if name in LEGACY_SCOPES:
            return LEGACY_SCOPES[name]
        if name in ("schemas", "schema", "createSchema"):
            return "crm.schemas.custom." + ("write" if req.method == "POST" else "read")
        try:
            o = self.registry.get(req.params.get("obj", ""))
        except HsError:
            return None  # the handler answers the unknown object type
        write = req.method in ("PATCH", "DELETE") or (req.method == "POST" and name not in (
            "search", "associationsBatchRead", "associationsV3BatchRead")
            and req.params.get("op") != "read")
        scope = o.schema_scope if name.startswith(
            ("propert", "createProperty", "updateProperty")) else o.scope
        # Older scopes (`e-commerce`, `tickets`, `forms`) cover reads and writes alike.
        return scope if "." not in scope else f"{scope}.{'write' if write else 'read'}"

    def decorate(self, request: Request, response: Response) -> None:
        """`Date` from the org clock on every answer (clients read HubSpot's time from it);
        rate-limit headers on every answer but OAuth ones and export downloads (search:
        the daily pair)."""
        response.headers["Date"] = http_date(self.org.clock.now())
        if request.path.startswith(("/oauth/", DOWNLOADS)):
            return
        search = request.path.endswith("/search")
        for key, value in self.limits.headers(search, self.tokens.private(
                bearer(request))).items():
            response.headers.setdefault(key, value)
        if response.status < 300 and response.body and self.faults.pick(
                request.method, request.path, ("stamps_without_ms",)) is not None:
            response.body = WHOLE_SECOND.sub(rb'\1Z"', response.body)

    def fault_response(self, kind: str, status: int, request: Request,
                       retry_after: float | None, *, form: str = "",
                       policy: str = "") -> Response:
        """A fault in HubSpot's shapes; `form`/`policy` choose the rate-limit body."""
        if kind == "expire_session":
            token = bearer(request)
            self.tokens.expire(token)
            return expired(self.org.clock.now(), self.org.clock.now()).response()
        if kind == "limit":
            return self._rate_fault(request, 429, policy or "DAILY", form, retry_after)
        if status == 429 or form == "category":  # HubSpot also sends RATE_LIMITS with a 5xx
            return self._rate_fault(request, status, policy or "TEN_SECONDLY_ROLLING", form,
                                    retry_after)
        body = {"status": "error", "message": STATUS_TEXT.get(status, f"HTTP {status}"),
                "correlationId": correlation_id(), "category": "INTERNAL_ERROR"
                if status >= 500 else "VALIDATION_ERROR"}
        return json_response(body, status)

    def _rate_fault(self, request: Request, status: int, policy: str, form: str,
                    retry_after: float | None) -> Response:
        headers = self.limits.headers_after_limit(
            policy, request.path.endswith("/search"), self.tokens.private(bearer(request)))
        if retry_after is not None:
            headers["Retry-After"] = str(max(1, round(retry_after)))
        return json_response(rate_limit_body(policy, form or "error_type"), status, headers)

    def error(self, exc: Exception) -> Response:
        """HsError in HubSpot's shape; malformed input as 400; anything else as 500."""
        if isinstance(exc, HsError):
            return exc.response()
        if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
            return HsError(400, "VALIDATION_ERROR", f"Invalid input: {exc}").response()
        return HsError(500, "INTERNAL_ERROR", f"internal error: {exc!r}").response()

    def not_found(self, request: Request) -> Response:
        return HsError(404, "OBJECT_NOT_FOUND",
                       f"Unable to route {request.method} {request.path}").response()

    def close(self) -> None:
        """Remove the export files (every table lives in the org's database)."""
        shutil.rmtree(self.folder, ignore_errors=True)

