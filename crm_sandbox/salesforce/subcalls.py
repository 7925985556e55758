"""Composite subrequests run through the surface's own routes: the same handlers, the same
session check and API usage, the same injected faults as a direct call, with no round trip.

The surface hands in its guard, fault rendering and error rendering as callables, so this
module (and the composite handler over it) never sees the surface.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..faults import FaultSet
from ..http import Request, Response, Route, json_response
from .usage import ApiUsage

# A dropped connection is a network failure of the whole request: a subrequest cannot drop.
SUB_FAULTS = ("status", "expire_session", "limit")


@dataclass(frozen=True)
class SurfaceHooks:
    """What a subrequest borrows from the surface."""

    guard: Callable[[Request, Route], Response | None]  # session check, one API call spent
    fault_response: Callable[[str, int, Request, float | None], Response]
    error: Callable[[Exception], Response]


class Subcalls:
    """Runs one subrequest like the dispatcher runs a request, minus the network."""

    def __init__(self, faults: FaultSet, usage: ApiUsage, hooks: SurfaceHooks) -> None:
        self.faults, self.usage, self.hooks = faults, usage, hooks
        self.routes: list[Route] = []  # the surface's routes, bound after they are built

    def find(self, req: Request) -> Route | None:
        for r in self.routes:
            m = r.pattern.match(req.path)
            if m and r.method == req.method:
                req.params = {k: v for k, v in m.groupdict().items() if v is not None}
                return r
        return None

    def run(self, req: Request) -> Response:
        """Faults, then the guard, then the handler; errors in Salesforce's shape."""
        route = self.find(req)
        if route is None:
            if not self.usage.spend():
                return self.hooks.fault_response("limit", 403, req, None)
            return json_response([{"errorCode": "NOT_FOUND",
                                   "message": "The requested resource does not exist"}], 404)
        slow = self.faults.pick(req.method, req.path, ("slow",))
        if slow is not None:  # counted in the stats by the fault set's listener
            time.sleep(slow.delay)
        fault = self.faults.pick(req.method, req.path, SUB_FAULTS)
        if fault is not None:
            return self.hooks.fault_response(fault.kind, fault.status, req, fault.retry_after)
        try:
            return self.hooks.guard(req, route) or route.handler(req)
        except Exception as exc:  # as the dispatcher does: the CRM's error shape
            return self.hooks.error(exc)
