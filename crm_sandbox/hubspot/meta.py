"""Pipelines, owners, properties, property groups and schemas."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from . import pipelines as pipes
from .errors import HsError, not_found, validation
from .model import OWNER_BASE, TEAM_BASE, USER_BASE
from .props import iso_ms
from .registry import Registry, group_json
from .request import OBJ, SCHEMAS, int_arg, json_body
from .tier import Subscription


def iso(t: dt.datetime | None) -> str | None:
    return iso_ms(t) if t is not None else None


class Meta:
    """Handlers of the metadata endpoints."""

    def __init__(self, org: Org, registry: Registry,
                 subscription: Subscription | None = None) -> None:
        self.org, self.registry = org, registry
        self.subscription = subscription or Subscription()

    def endpoints(self) -> list[Endpoint]:
        """Pipelines, owners, properties and groups (groups first: `groups` is no
        property name), schemas."""
        p = rf"/crm/v3/properties/{OBJ}"
        return [
            Endpoint("GET", rf"/crm/v3/pipelines/{OBJ}/?", "pipelines", self.pipelines),
            Endpoint("GET", rf"/crm/v3/pipelines/{OBJ}/(?P<pipeline>[^/]+)", "pipeline",
                     self.pipeline_one),
            Endpoint("GET", r"/crm/v3/owners/?", "owners", self.owners),
            Endpoint("GET", r"/crm/v3/owners/(?P<id>[^/]+)", "owner", self.owner),
            Endpoint("GET", rf"{p}/groups/?", "propertyGroups", self.groups),
            Endpoint("POST", rf"{p}/groups/?", "createPropertyGroup", self.create_group),
            Endpoint("GET", rf"{p}/groups/(?P<group>[^/]+)", "propertyGroup", self.group_one),
            Endpoint("GET", rf"{p}/?", "properties", self.properties),
            Endpoint("POST", rf"{p}/?", "createProperty", self.create_property),
            Endpoint("GET", rf"{p}/(?P<name>[^/]+)", "property", self.property_one),
            Endpoint("PATCH", rf"{p}/(?P<name>[^/]+)", "updateProperty", self.update_property),
            Endpoint("GET", rf"{SCHEMAS}/?", "schemas", self.schemas),
            Endpoint("POST", rf"{SCHEMAS}/?", "createSchema", self.create_schema),
            Endpoint("GET", rf"{SCHEMAS}/{OBJ}", "schema", self.schema_one),
            Endpoint("PATCH", rf"{SCHEMAS}/{OBJ}", "updateSchema", self.update_schema),
            Endpoint("GET", r"/crm/v3/limits/custom-object-types/?", "customObjectLimits",
                     self.custom_object_limits),
        ]

    # ---- pipelines (GET /crm/v3/pipelines/{deals,tickets}) ----------------------------
    def pipeline(self) -> dict[str, Any]:
        """The deal pipeline: won = probability "1.0", lost = closed with "0.0"."""
        return pipes.v3(pipes.deal_pipeline(), self.org.window.start)

    def pipelines(self, req: Request) -> Response:
        return json_response({"results": [pipes.v3(p, self.org.window.start)
                                          for p in self._of(req)]})

    def pipeline_one(self, req: Request) -> Response:
        for p in self._of(req):
            if p.id == req.params["pipeline"]:
                return json_response(pipes.v3(p, self.org.window.start))
        raise not_found(f"Pipeline {req.params['pipeline']} not found")

    def _of(self, req: Request) -> list[pipes.Pipeline]:
        found = pipes.of(self.registry.get(req.params["obj"]).name)
        if not found:
            raise not_found(f"No pipelines for object type {req.params['obj']}")
        return found

    # ---- owners (GET /crm/v3/owners/) ----------------------------------------------
    def owners(self, req: Request) -> Response:
        limit = int_arg(req.arg("limit"), 100)
        if not 0 < limit <= 500:
            raise validation("limit must be between 1 and 500")
        after = int_arg(req.arg("after"), 0)
        archived = (req.arg("archived") or "false").lower() == "true"
        email = req.arg("email")
        params: list[Any] = [after, limit + 1]
        where = "" if not email else " AND lower(u.email) = lower(?)"
        rows = self._owner_rows(f"u.active = ? {where} AND u.n + {OWNER_BASE} >= ?",
                                [not archived, *([email] if email else []), *params])
        body: dict[str, Any] = {"results": rows[:limit]}
        if len(rows) > limit:
            body["paging"] = {"next": {"after": rows[limit]["id"]}}
        return json_response(body)

    def owner(self, req: Request) -> Response:
        ident = int_arg(req.params["id"], -1)
        by_user = (req.arg("idProperty") or "id") == "userId"
        n = ident - (USER_BASE if by_user else OWNER_BASE)
        rows = self._owner_rows("u.n = ? AND u.active = ?",
                                [n, (req.arg("archived") or "false") != "true", 1])
        if not rows:
            raise not_found(f"Owner {ident} not found")
        return json_response(rows[0])

    def _owner_rows(self, where: str, params: list[Any]) -> list[dict[str, Any]]:
        sql = (f"SELECT u.n, u.email, u.first_name, u.last_name, u.team_n, r.name, "
               f"u.created_at, u.modified_at, u.active FROM users u LEFT JOIN teams r "
               f"ON r.n = u.team_n WHERE {where} ORDER BY u.n LIMIT ?")
        out = []
        for n, email, first, last, team, tname, created, modified, active in \
                self.org.cursor().execute(sql, params).fetchall():
            teams = ([{"id": str(TEAM_BASE + team), "name": tname, "primary": True}]
                     if team is not None else [])
            out.append({"id": str(OWNER_BASE + n), "email": email, "type": "PERSON",
                        "firstName": first, "lastName": last, "userId": USER_BASE + n,
                        "userIdIncludingInactive": USER_BASE + n, "teams": teams,
                        "createdAt": iso(created), "updatedAt": iso(modified),
                        "archived": not active})
        return out

    # ---- properties and groups ------------------------------------------------------
    def properties(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        archived = (req.arg("archived") or "false") == "true"
        results = [] if archived else [p.as_json() for p in o.props.values()]
        return json_response({"results": results})

    def property_one(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        prop = o.props.get(req.params["name"])
        if prop is None:
            raise not_found(f"Property {req.params['name']} does not exist")
        return json_response(prop.as_json())

    def create_property(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        return json_response(self.registry.create_property(o, json_body(req)).as_json(), 201)

    def update_property(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        prop = self.registry.update_property(o, req.params["name"], json_body(req))
        return json_response(prop.as_json())

    def groups(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        return json_response({"results": [group_json(o, g) for g in o.groups]})

    def group_one(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        if req.params["group"] not in o.groups:
            raise not_found(f"Property group {req.params['group']} does not exist")
        return json_response(group_json(o, req.params["group"]))

    def create_group(self, req: Request) -> Response:
        o = self.registry.get(req.params["obj"])
        return json_response(self.registry.create_group(o, json_body(req)), 201)

    # ---- schemas --------------------------------------------------------------------
    def schemas(self, req: Request) -> Response:
        return json_response({"results": [self.registry.schema_json(o)
                                          for o in self.registry.customs()]})

    def schema_one(self, req: Request) -> Response:
        try:
            o = self.registry.get(req.params["obj"])
        except HsError as exc:
            raise not_found(f"Unable to find object schema for {req.params['obj']}") from exc
        return json_response(self.registry.schema_json(o))

    def update_schema(self, req: Request) -> Response:
        o = self.registry.update_schema(self.registry.get(req.params["obj"]), json_body(req))
        return json_response(self.registry.schema_json(o))

    def create_schema(self, req: Request) -> Response:
        self.subscription.check_create(len(self.registry.customs()))
        o = self.registry.create_schema(json_body(req))
        return json_response(self.registry.schema_json(o), 201)


    def custom_object_limits(self, req: Request) -> Response:
        """The limits tracking API: custom object definitions allowed and in use."""
        return json_response(self.subscription.limits_json(len(self.registry.customs())))
