"""The legacy engagements API v1's recent engagements, one call across every engagement type.

`GET /engagements/v1/engagements/recent/modified?since=<ms>&count=<n>&offset=<n>` (HubSpot's
legacy reference, "Get recent engagements"): engagements created or updated after `since`,
newest first; `count` defaults to 20, at most 100; only records updated in the last 30
days, and at most the 10,000 most recently updated; `hasMore`, `offset` (for the next
page) and `total`. It needs the contacts scope (`crm.objects.contacts.read`). Each result
is `{engagement: {id, portalId, active, createdAt, lastUpdated, type, timestamp}, ...}`
with times in epoch milliseconds; the sandbox serves the `engagement` part only (not the
`associations` and `metadata` HubSpot adds). Types: CALL, EMAIL, MEETING, TASK, as the
v3 objects calls, emails, meetings and tasks split the org's activities.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from .errors import validation
from .registry import Registry

WINDOW = dt.timedelta(days=30)
MOST_RECENT = 10_000
MAX_COUNT = 100
TYPES = {"calls": "CALL", "emails": "EMAIL", "meetings": "MEETING", "tasks": "TASK"}


class RecentEngagements:
    """The one legacy endpoint the connector uses."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("GET", r"/engagements/v1/engagements/recent/modified/?",
                         "recentEngagements", self.recent)]

    def recent(self, req: Request) -> Response:
        count = min(_int(req, "count", 20), MAX_COUNT)
        offset = _int(req, "offset", 0)
        since = self.org.clock.now() - WINDOW
        if "since" in req.query:
            asked = dt.datetime.fromtimestamp(_int(req, "since", 0) / 1000, dt.UTC)
            since = max(since, asked.replace(tzinfo=None))
        rows = self._rows(since)
        page = rows[offset:offset + count]
        return json_response({
            "results": [{"engagement": self._engagement(*row)} for row in page],
            "hasMore": offset + count < len(rows), "offset": offset + len(page),
            "total": len(rows)})

    def _rows(self, since: dt.datetime) -> list[tuple[Any, ...]]:
        parts = []
        for name, kind in TYPES.items():
            o = self.registry.get(name)
            parts.append(f"SELECT {o.id_sql()} AS id, epoch_ms(t.created_at), "
                         f"epoch_ms(t.modified_at) AS m, '{kind}' FROM {o.table} t "
                         f"WHERE {o.where(False)} AND t.modified_at > ?")
        sql = (" UNION ALL ".join(parts) + f" ORDER BY m DESC, id DESC LIMIT {MOST_RECENT}")
        return self.org.cursor().execute(sql, [since] * len(parts)).fetchall()

    def _engagement(self, id_: int, created: int, modified: int, kind: str) -> dict[str, Any]:
        return {"id": int(id_), "portalId": self.registry.portal_id, "active": True,
                "createdAt": int(created), "lastUpdated": int(modified), "type": kind,
                "timestamp": int(created)}


def _int(req: Request, name: str, default: int) -> int:
    values = req.query.get(name)
    if not values:
        return default
    if not values[0].lstrip("-").isdigit():
        raise validation(f"{name} must be a number")
    return int(values[0])


