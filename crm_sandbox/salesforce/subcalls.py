"""Composite subrequests run through the surface's own routes: the same handlers, the same
session check and API usage, the same injected faults as a direct call, with no round trip.

The surface hands in its guard, fault rendering and error rendering as callables, so this
module (and the composite handler over it) never sees the surface.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..faults import FaultSet, HoldExpired
from ..http import Request, Response, Route, json_response
from .errors import SfError
from .usage import ApiUsage

# A dropped connection is a network failure of the whole request: a subrequest cannot drop
# (slow and hold faults delay it, as they delay a request).
SUB_FAULTS = ("status", "expire_session", "limit")
MAX_SUBREQUESTS = 25


def subrequest_items(req: Request, key: str, code: str) -> tuple[dict[str, Any], list[Any]]:
    """A composite body and its list of subrequests under `key`, or the 400 that refuses
    the whole request (bad JSON, no list, more than 25)."""
    try:
        body = req.json()
    except ValueError as exc:
        raise SfError(400, "JSON_PARSER_ERROR", f"Invalid JSON: {exc}") from exc
    items = body.get(key) if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise SfError(400, code, f"{key} must be a non-empty list of subrequests")
    if len(items) > MAX_SUBREQUESTS:
        # The message of a recorded composite answer over the same limit.
        raise SfError(400, "LIMIT_EXCEEDED",
                      f"The request can’t contain more than {MAX_SUBREQUESTS} operations.")
    return body, items


@dataclass(frozen=True)
class SurfaceHooks:
    """What a subrequest borrows from the surface."""

    guard: Callable[[Request, Route], Response | None]  # session check, one API call spent
    session: Callable[[Request], Response | None]  # session check only
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

    def run(self, req: Request, *, counted: bool = True) -> Response:
        """Faults, then the guard, then the handler; errors in Salesforce's shape.

        `counted`: the subrequest spends an API call of its own (composite/batch), or
        its request already spent one for all its subrequests (composite)."""
        route = self.find(req)
        if route is None:
            if counted and not self.usage.spend():
                return self.hooks.fault_response("limit", 403, req, None)
            return json_response([{"errorCode": "NOT_FOUND",
                                   "message": "The requested resource does not exist"}], 404)
        try:  # slow and hold faults, counted in the stats by the fault set's listener
            self.faults.stall(req.method, req.path)
        except HoldExpired as exc:
            return self.hooks.error(exc)
        fault = self.faults.pick(req.method, req.path, SUB_FAULTS)
        if fault is not None:
            return self.hooks.fault_response(fault.kind, fault.status, req, fault.retry_after)
        try:
            refused = self.hooks.guard(req, route) if counted else self.hooks.session(req)
            return refused or route.handler(req)
        except Exception as exc:  # as the dispatcher does: the CRM's error shape
            return self.hooks.error(exc)
