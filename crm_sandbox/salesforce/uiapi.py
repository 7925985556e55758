"""The User Interface API as Lightning components reach it: the GraphQL API (`POST
…/graphql`, what `lightning/uiGraphQLApi`'s wire adapter posts) and object info
(`GET …/ui-api/object-info/{objectApiName}`), each as the session's user sees the org.

Both count against the daily API allowance: object info as any REST call, GraphQL one
call per record query it holds (`graphql_api`); stats count them as
`salesforce.graphql` and `salesforce.uiapi.objectInfo`.
"""

from __future__ import annotations

from ..http import Endpoint, Request, Response, json_response
from .context import Context, V
from .errors import SfError
from .graphql_api import BadRequest, GraphqlApi, Sight
from .graphql_schema import Visible
from .model import SObject
from .object_info import object_info
from .rights import Viewer
from .uiapi_records import read_record

# Recorded refusals of objects the UI API does not support ("Object UserRole is not
# supported in UI API", 400 INVALID_TYPE, in Salesforce's LDS tests).
UNSUPPORTED = frozenset({"UserRole"})
NOT_SERVED = ("layoutTypes", "modes", "childRelationships", "pageSize")
LIMIT_EXCEEDED = [{"message": "TotalRequests Limit exceeded.",
                   "errorCode": "REQUEST_LIMIT_EXCEEDED"}]


def visible(objects: list[SObject], viewer: Viewer) -> Visible:
    """The objects a user reads (object permission), each with the fields they read
    (field-level security), as the access model answers."""
    return {o.name: (o, [f for f in o.fields.values() if viewer.can_read_field(o, f)])
            for o in objects if o.queryable and o.name not in UNSUPPORTED
            and viewer.can_read(o)}


class UiApi:
    """GraphQL and object info handlers over the registry and the SOQL engine."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.graphql = GraphqlApi(ctx.org)

    def endpoints(self) -> list[Endpoint]:
        """The GraphQL endpoint and UI API object info."""
        return [
            Endpoint("POST", rf"{V}/graphql/?", "graphql", self.graphql_query),
            Endpoint("GET", rf"{V}/ui-api/object-info/(?P<obj>\w+)/?", "uiapi.objectInfo",
                     self.object_info),
            Endpoint("GET", rf"{V}/ui-api/records/(?P<id>\w+)/?", "uiapi.record", self.record),
        ]

    def sight(self, req: Request) -> Sight:
        """The session's user: what they read, and SOQL compiled as them."""
        viewer = self.ctx.viewer(req)
        objects = visible(self.ctx.registry.all(), viewer)
        version = req.params["v"]
        return Sight(viewer.user_id, objects,
                     lambda soql: self.ctx.queries.compile(soql, version, False, viewer))

    def spend(self, calls: int) -> bool:
        """Spend `calls` API calls; False (nothing served) when none was left."""
        first = self.ctx.usage.spend()
        for _ in range(calls - 1):
            self.ctx.usage.spend()
        return first

    def graphql_query(self, req: Request) -> Response:
        """POST graphql: HTTP 200 with data and errors, whatever the query did."""
        try:
            body = req.json()
        except ValueError as exc:
            raise SfError(400, "JSON_PARSER_ERROR", f"The request body is not JSON: {exc}") \
                from exc
        try:
            answer = self.graphql.answer(body, self.sight(req), self.spend)
        except BadRequest as exc:
            raise SfError(400, "JSON_PARSER_ERROR", str(exc)) from exc
        return json_response(LIMIT_EXCEEDED, 403) if answer is None else json_response(answer)

    def record(self, req: Request) -> Response:
        """GET ui-api/records/Id?fields=&optionalFields=: one record as the viewer sees it
        (layouts and child relationships are not served: asked for, they are refused)."""
        for name in NOT_SERVED:
            if req.arg(name):
                raise SfError(400, "ILLEGAL_QUERY_PARAMETER_VALUE",
                              f"{name} is not served by the sandbox")
        reader = self.graphql.reader(self.sight(req))
        return json_response(read_record(reader, req.params["id"], req.arg("fields") or "",
                                         req.arg("optionalFields") or ""))

    def object_info(self, req: Request) -> Response:
        """GET ui-api/object-info/X: the object's metadata as the viewer sees it."""
        objects = self.sight(req).objects
        name = req.params["obj"]
        found = next((o for n, (o, _) in objects.items() if n.lower() == name.lower()), None)
        if found is None:
            raise SfError(400, "INVALID_TYPE", f"Object {name} is not supported in UI API")
        return json_response(object_info(found, objects))
