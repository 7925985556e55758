"""Which query parameters the REST data routes take; any other is refused.

A parameter silently ignored can change what a client reads without telling it, so the
routes that read records, their changes and their metadata take the REST API reference's
parameters and refuse the rest: 400 `ILLEGAL_QUERY_PARAMETER_VALUE` (the UI API's code for
a parameter it does not take; Salesforce's answer on these routes is not established, the
wording is the sandbox's). Routes not listed (Tooling, Bulk jobs, analytics, UI API,
composite, metadata) read their own parameters and are left to their handlers.
"""

from __future__ import annotations

from ..http import Request
from .errors import SfError

TAKES: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "versions": set(), "limits": set(), "describeGlobal": set(), "describe": set(),
    "getDeleted": {"start", "end"}, "getUpdated": {"start", "end"},
    "query": {"q"}, "queryAll": {"q"}, "queryMore": set(),
    "create": set(), "retrieve": {"fields"}, "update": set(), "delete": set(),
    "upsert": set(),
    "collections.create": set(), "collections.update": set(),
    "collections.delete": {"ids", "allOrNone"},
    "bulk.query.results": {"locator", "maxRecords"},
}.items()}
# Sent to real orgs by a public connector and unable to change what a client reads:
# tap-salesforce's `_sync_records` follows `nextRecordsUrl` with the first request's `q`
# (the locator alone decides the page).
ACCEPTED: dict[str, frozenset[str]] = {"queryMore": frozenset({"q"})}


def check_query(route: str, req: Request) -> None:
    """Refuse a query parameter a listed route does not take."""
    takes = TAKES.get(route)
    if takes is None:
        return
    unknown = sorted(set(req.query) - takes - ACCEPTED.get(route, frozenset()))
    if unknown:
        said = ", ".join(sorted(takes)) or "no query parameters"
        raise SfError(400, "ILLEGAL_QUERY_PARAMETER_VALUE",
                      f"{', '.join(unknown)}: not a parameter of {req.method} {req.path} "
                      f"(it takes {said})")
