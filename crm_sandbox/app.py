"""The dispatcher: routes requests to surfaces, injects faults, counts calls.

`/__sandbox__/...` is the control plane (stats, faults): never counted, never faulted,
no authentication — the sandbox only listens on 127.0.0.1.
"""

from __future__ import annotations

import json
from typing import Any

from .faults import REQUEST_KINDS, FaultSet, HoldExpired
from .http import Request, Response, Route, Surface, json_response
from .stats import Stats

CONTROL = "/__sandbox__/"


class App:
    """Routes of every surface, plus faults and stats shared by all of them."""

    def __init__(self, faults: FaultSet, stats: Stats) -> None:
        self.faults, self.stats = faults, stats
        # Every firing is counted, including those handlers pick (record_error, search_lag).
        faults.listen(stats.fault)
        self.surfaces: list[Surface] = []
        self.routes: list[Route] = []

    def mount(self, surface: Surface) -> None:
        self.surfaces.append(surface)
        self.routes.extend(surface.routes())

    def dispatch(self, req: Request) -> Response:
        """Answer one request: control plane, or a surface's route (counted)."""
        if req.path.startswith(CONTROL):
            return self.control(req)
        found = self.find(req)
        if found is None:
            surface = self.surfaces[0]
            resp = surface.not_found(req)
            self.stats.count("unknown", resp.status)
            return resp
        route = found
        resp = self.serve(req, route)
        route.surface.decorate(req, resp)
        self.stats.count(f"{route.surface.name}.{route.name}", resp.status)
        return resp

    def find(self, req: Request) -> Route | None:
        """The route matching method and path; fills `req.params`."""
        for r in self.routes:
            m = r.pattern.match(req.path)
            if m and r.method == req.method:
                req.params = {k: v for k, v in m.groupdict().items() if v is not None}
                return r
        return None

    def serve(self, req: Request, route: Route) -> Response:
        """Apply faults, then the surface's guard, then the handler."""
        try:  # slow and held requests go on afterwards, and may meet another fault
            self.faults.stall(req.method, req.path)
        except HoldExpired as exc:
            return route.surface.error(exc)
        fault = self.faults.pick(req.method, req.path, REQUEST_KINDS)
        if fault is not None:
            if fault.kind == "drop":
                return Response(drop=True)
            return route.surface.fault_response(fault.kind, fault.status, req, fault.retry_after,
                                                form=fault.form, policy=fault.policy)
        try:
            return route.surface.guard(req, route) or route.handler(req)
        except Exception as exc:  # any handler failure becomes the CRM's error shape
            return route.surface.error(exc)

    def control(self, req: Request) -> Response:
        """The `/__sandbox__/` control plane: stats and faults."""
        action = req.path[len(CONTROL):].rstrip("/")
        if action == "stats" and req.method == "GET":
            return json_response(self.stats.snapshot())
        if action == "reset-stats" and req.method == "POST":
            self.stats.reset()
            return json_response({"reset": True})
        if action == "faults" and req.method == "GET":
            return json_response(self.faults.list())
        if action == "faults" and req.method == "POST":
            return self.add_faults(req)
        if action == "faults" and req.method == "DELETE":
            self.faults.clear()
            return json_response({"cleared": True})
        if action.startswith("release/") and req.method == "POST":
            return self.release(action.removeprefix("release/"))
        return json_response({"error": f"unknown control action {req.method} {action}"}, 404)

    def add_faults(self, req: Request) -> Response:
        """POST /__sandbox__/faults: one fault object or a list of them."""
        try:
            payload: Any = req.json()
            items = payload if isinstance(payload, list) else [payload]
            added = [self.faults.add(dict(item)).as_dict() for item in items]
        except (ValueError, TypeError, json.JSONDecodeError) as exc:
            return json_response({"error": str(exc)}, 400)
        return json_response(added, 201)

    def release(self, name: str) -> Response:
        """POST /__sandbox__/release/{name}: let the hold fault `name`'s requests go on."""
        try:
            self.faults.release(name)
        except HoldExpired as exc:
            return json_response({"error": str(exc)}, 409)
        except ValueError as exc:
            return json_response({"error": str(exc)}, 404)
        return json_response({"released": name})

    def close(self) -> None:
        for s in self.surfaces:
            s.close()
