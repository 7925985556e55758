"""What the Salesforce handlers share, and the path and time formats they all use.

The surface builds one `Context` and hands it to each handler (REST, Collections,
Bulk 2.0, Tooling, Analytics, OAuth); no handler sees the surface or another handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..http import Request
from ..org import Org
from .access import Access
from .auth import Credentials, Sessions, bearer
from .errors import SfError
from .model import Registry
from .query import QueryEngine
from .rights import Viewer
from .usage import ApiUsage
from .writes import Writer

V = r"/services/data/v(?P<v>\d+\.\d)"  # the versioned API root in route patterns
SF_TS = "%Y-%m-%dT%H:%M:%S.000+0000"  # datetimes in JSON answers


@dataclass(frozen=True)
class Context:
    """The org and the services over it that handlers use (built once per surface)."""

    org: Org  # the records, their write helpers and the org clock
    registry: Registry  # sObjects and fields (describe); Tooling adds to it
    queries: QueryEngine  # SOQL over the registry, and the query locators
    writer: Writer  # record writes, with injected per-record faults
    creds: Credentials  # the org, its integration user and the connected app
    sessions: Sessions  # access tokens issued and revoked
    usage: ApiUsage  # DailyApiRequests
    folder: Path  # the sandbox's working directory (keys, Bulk job files)
    base_url: str  # https://127.0.0.1:PORT: instance URL and login URL
    access: Access  # who sees what: profiles, permission sets, sharing

    def viewer(self, req: Request) -> Viewer:
        """The rights of the request's session user (the surface's guard has checked the
        session; an expired one here answers 401 like the guard)."""
        v = self.access.viewer_of(bearer(req))
        if v is None:
            raise SfError(401, "INVALID_SESSION_ID", "Session expired or invalid")
        return v
