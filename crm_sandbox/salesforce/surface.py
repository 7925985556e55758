"""The Salesforce surface: builds the handlers' context, mounts them, and answers what
every call shares — the session check, API usage accounting, error and fault shapes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..clock import http_date
from ..faults import FaultSet
from ..http import Request, Response, Route, bind, json_response
from ..ids import sf_id
from ..org import Org
from ..org.tables import ADMIN_USER_N
from . import access_tables, security
from .access import Access
from .access_tables import SYSTEM_ADMINISTRATOR
from .analytics import Analytics
from .auth import Sessions, bearer, make_credentials
from .bulk import Bulk
from .catalog import Catalog
from .collections import Collections
from .composite import CompositeBatch
from .composite_request import CompositeRequest
from .context import Context
from .errors import SfError
from .forecasting import create_tables, forecasting_objects
from .md_soap import fault, session_of
from .mdapi import MetadataApi
from .model import Registry
from .oauth import TokenEndpoint
from .objects import standard_objects
from .params import check_query
from .query import QueryEngine
from .rest import Rest
from .rights import Viewer
from .security_hooks import Hooks
from .stages import create_stage_table, stage_object
from .subcalls import Subcalls, SurfaceHooks
from .tooling import Tooling
from .ui_rest import UiRest
from .usage import DEFAULT_DAILY_LIMIT, ApiUsage
from .writes import Writer

FAULT_CODES = {429: "REQUEST_LIMIT_EXCEEDED", 500: "UNKNOWN_EXCEPTION",
               503: "SERVER_UNAVAILABLE", 502: "SERVER_UNAVAILABLE"}
OPEN_ROUTES = ("oauth.token", "versions")  # served without a session, not counted
SUBREQUEST_COUNTED = ("compositeBatch", "graphql")  # each subrequest/subquery spends a call
# Tooling routes → (the permission they need, the entity named when it is missing).
TOOLING_NEEDS = {
    "tooling.createObject": ("CustomizeApplication", "CustomObject"),
    "tooling.createField": ("CustomizeApplication", "CustomField"),
    "tooling.updateField": ("CustomizeApplication", "CustomField"),
    "tooling.getField": ("ViewSetup", "CustomField"),
    "tooling.query": ("ViewSetup", "CustomField"),
    "tooling.queryMore": ("ViewSetup", "CustomField"),
}


def build_context(org: Org, faults: FaultSet, folder: Path, base_url: str,
                  daily_api_limit: int, integration_profile: str = SYSTEM_ADMINISTRATOR
                  ) -> Context:
    """Credentials for the org's integration user (on `integration_profile`), the access
    model, and the services over the org."""
    create_tables(org)
    create_stage_table(org)
    registry = Registry([*standard_objects(), *forecasting_objects(), stage_object()])
    access_tables.create(org, registry, integration_profile)
    row = org.cursor().execute("SELECT username FROM users WHERE n = ?",
                               [ADMIN_USER_N]).fetchone()
    creds = make_credentials(folder, sf_id("00D", 1), sf_id("005", ADMIN_USER_N),
                             str(row[0]) if row else "admin")
    sessions = Sessions(creds, org.clock, ADMIN_USER_N)
    access = Access(org, registry, sessions)
    security.register(registry, Hooks(org, registry, access))
    return Context(org=org, registry=registry, queries=QueryEngine(org, registry),
                   writer=Writer(org, faults, registry), creds=creds, sessions=sessions,
                   usage=ApiUsage(daily_api_limit), folder=folder, base_url=base_url,
                   access=access)


class SalesforceSurface:
    """Salesforce REST, Collections, Bulk 2.0, Tooling, Analytics and OAuth over the org."""

    name = "salesforce"

    def __init__(self, org: Org, faults: FaultSet, folder: Path, base_url: str,
                 daily_api_limit: int = DEFAULT_DAILY_LIMIT,
                 integration_profile: str = SYSTEM_ADMINISTRATOR) -> None:
        self.ctx = build_context(org, faults, folder, base_url, daily_api_limit,
                                 integration_profile)
        self.catalog = Catalog(org, self.ctx.registry)  # setup metadata (deploys, analytics)
        self.bulk, self.tooling = Bulk(self.ctx), Tooling(self.ctx)
        self.subcalls = Subcalls(faults, self.ctx.usage,
                                 SurfaceHooks(self.guard, self.session, self.fault_response,
                                              self.error))
        from .uiapi import UiApi  # graphql-core, an optional extra: imported when serving

        self.handlers = (TokenEndpoint(self.ctx), UiRest(self.ctx, self.catalog),
                         Rest(self.ctx), Collections(self.ctx), self.bulk, self.tooling,
                         Analytics(self.ctx, self.catalog), MetadataApi(self.ctx, self.catalog),
                         CompositeBatch(self.ctx, self.subcalls),
                         CompositeRequest(self.ctx, self.subcalls), UiApi(self.ctx))

    def info(self) -> dict[str, Any]:
        """How a client connects: instance URL, access token, and each OAuth flow's secrets."""
        c, base = self.ctx.creds, self.ctx.base_url
        return {
            "instance_url": base, "login_url": base, "access_token": c.access_token,
            "consumer_key": c.client_id, "client_id": c.client_id,
            "client_secret": c.client_secret, "username": c.username,
            "password": c.password, "security_token": c.security_token,
            "refresh_token": c.refresh_token, "jwt_private_key_file": str(c.private_key_file),
            "jwt_certificate_file": str(c.certificate_file), "org_id": c.org_id,
            "user_id": c.user_id, "users": self.users(),
        }

    def users(self) -> list[dict[str, Any]]:
        """Every active user with a session of their own and their login secrets."""
        rows = self.ctx.org.cursor().execute(
            "SELECT u.n, u.username, u.email, concat_ws(' ', u.first_name, u.last_name), "
            "r.name, p.name, m.username FROM users u LEFT JOIN teams r ON r.n = u.team_n "
            "LEFT JOIN sf_profiles p ON p.n = u.sf_profile_n LEFT JOIN users m ON "
            "m.n = u.manager_n WHERE u.active AND NOT u.is_deleted ORDER BY u.n").fetchall()
        out = []
        for n, username, email, name, role, profile, manager in rows:
            mine = self.ctx.sessions.secrets_of(int(n))
            out.append({"username": username, "email": email, "name": name,
                        "user_id": sf_id("005", int(n)), "role": role, "profile": profile,
                        "manager": manager,
                        "access_token": self.ctx.sessions.standing(int(n)),
                        "password": mine.password, "security_token": mine.security_token,
                        "refresh_token": mine.refresh_token})
        return out

    def routes(self) -> list[Route]:
        routes = bind(self, [e for h in self.handlers for e in h.endpoints()])
        self.subcalls.routes = routes
        return routes

    def guard(self, request: Request, rt: Route) -> Response | None:
        """Check the session and the user's right to the call, then spend one API call
        from the allowance."""
        if rt.name in OPEN_ROUTES:
            return None
        if rt.name.startswith("metadata."):
            return self.soap_guard(request)
        viewer = self.ctx.access.viewer_of(bearer(request))
        if viewer is None:
            return session_expired()
        refused = refuse(viewer, rt.name)
        if refused is not None:
            return refused
        try:
            check_query(rt.name, request)
        except SfError as exc:
            return json_response(exc.body(), exc.status)
        if rt.name in SUBREQUEST_COUNTED:
            return None
        if not self.ctx.usage.spend():
            return limit_exceeded()
        return None

    def soap_guard(self, request: Request) -> Response | None:
        """The Metadata API authenticates by the envelope's SessionHeader and answers
        faults, not JSON."""
        viewer = self.ctx.access.viewer_of(session_of(request))
        if viewer is None:
            return fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: "
                         "Illegal Session")
        if not viewer.has("ApiEnabled"):
            return fault("API_CURRENTLY_DISABLED", "API is disabled for this User")
        if not (viewer.has("ModifyAllData") or viewer.has("ModifyMetadata")):
            return fault("INSUFFICIENT_ACCESS", "use of the Metadata API requires a user "
                         "with the ModifyAllData or ModifyMetadata permissions")
        if not self.ctx.usage.spend():
            return fault("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return None

    def session(self, request: Request) -> Response | None:
        """401 unless the request's session is valid, 403 unless its user may call the
        API (nothing spent)."""
        viewer = self.ctx.access.viewer_of(bearer(request))
        return session_expired() if viewer is None else refuse(viewer, "")

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
        used, cap = self.ctx.usage.snapshot()
        response.headers["Sforce-Limit-Info"] = f"api-usage={used}/{cap}"
        response.headers["Date"] = http_date(self.ctx.org.clock.now())  # the org clock, not ours

    def fault_response(self, kind: str, status: int, request: Request,
                       retry_after: float | None, *, form: str = "",
                       policy: str = "") -> Response:
        """A fault in Salesforce's shapes (session expiry revokes the session)."""
        soap = request.path.startswith("/services/Soap/")
        if kind == "expire_session":
            self.ctx.sessions.revoke(session_of(request) if soap else bearer(request))
            return fault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: "
                         "Illegal Session") if soap else session_expired()
        if soap:
            return fault(FAULT_CODES.get(status, "UNKNOWN_EXCEPTION") if kind != "limit"
                         else "REQUEST_LIMIT_EXCEEDED", f"injected fault: HTTP {status}")
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
        self.ctx.queries.close()
        self.tooling.close()
        self.bulk.close()


def refuse(viewer: Viewer, route: str) -> Response | None:
    """Calls the user's permissions do not allow: any API call without API Enabled,
    Tooling metadata changes without Customize Application, Tooling reads without View
    Setup and Configuration."""
    if not viewer.has("ApiEnabled"):
        return json_response([{"message": "API is disabled for this User",
                               "errorCode": "API_CURRENTLY_DISABLED"}], 403)
    needed = TOOLING_NEEDS.get(route)
    if needed is not None and not viewer.has(needed[0]):
        return json_response([{"message": f"insufficient access rights on entity: {needed[1]}",
                               "errorCode": "INSUFFICIENT_ACCESS"}], 400)
    return None


def session_expired() -> Response:
    return json_response([{"message": "Session expired or invalid",
                           "errorCode": "INVALID_SESSION_ID"}], 401)


def limit_exceeded() -> Response:
    return json_response([{"message": "TotalRequests Limit exceeded.",
                           "errorCode": "REQUEST_LIMIT_EXCEEDED"}], 403)
