"""The legacy engagements API (v1): all engagements, and the recently modified ones.

`GET /engagements/v1/engagements/paged?limit=&offset=` (HubSpot's legacy reference "Get
all engagements"): every engagement, `limit` up to 250 (Airbyte's engagements stream pages
with 250, "the max page size"), `offset` the last engagement id returned; `{results,
hasMore, offset}`. `GET /engagements/v1/engagements/recent/modified?since=&count=&offset=`
("Get recent engagements"): engagements updated after `since` (ms) within the last 30 days
and the 10,000 most recent, newest first; `count` defaults to 20 and a larger one than 100
is taken as 100 (Airbyte's EngagementsHttpRequester: the API "doesn't fail if bigger value
was provided"); positional `offset`; `{results, hasMore, offset, total}`.
`GET /engagements/v1/engagements/modified/after?after=&limit=` ("Get engagements modified
after"; tap-hubspot 4.5's engagements stream): `after` epoch ms or the previous answer's
cursor, `limit` up to 1,000; `{results, hasMore, after}`. Scope: contacts.

Each result is `{engagement, associations, attachments, metadata}` as Airbyte's
engagements schema and tap-hubspot's test client read it: `engagement` {id (the v3 id),
portalId, active, createdAt, lastUpdated, ownerId, type, timestamp} in epoch ms;
`associations` {contactIds, companyIds, dealIds, ownerIds, workflowIds, ticketIds,
contentIds, quoteIds}; `metadata` per type from the v3 properties the sandbox serves
(CALL title/status, EMAIL subject, MEETING title/startTime/endTime, TASK subject/status/
taskType/forObjectType). Types: CALL, EMAIL, MEETING, TASK, as the v3 objects calls,
emails, meetings and tasks split the org's activities (the portal has no notes).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from .associations import Associations
from .errors import validation
from .legacy_values import iso_to_ms
from .model import ObjectType
from .reader import Reader
from .registry import Registry
from .request import int_arg, recent_window

MOST_RECENT, MAX_LIMIT, MAX_MODIFIED_AFTER = 10_000, 250, 1000
PAST_EVERY_ID = 2**62  # a timestamp `after`: past every engagement modified at that ms
TYPES = {"calls": "CALL", "emails": "EMAIL", "meetings": "MEETING", "tasks": "TASK"}
METADATA = {  # legacy metadata member → v3 property, per type
    "calls": {"title": "hs_call_title", "status": "hs_call_status"},
    "emails": {"subject": "hs_email_subject"},
    "meetings": {"title": "hs_meeting_title", "startTime": "hs_meeting_start_time",
                 "endTime": "hs_meeting_end_time"},
    "tasks": {"subject": "hs_task_subject", "status": "hs_task_status",
              "taskType": "hs_task_type"},
}
TIMES = {"startTime", "endTime"}
LINKS = {"contacts": "contactIds", "companies": "companyIds", "deals": "dealIds"}


class LegacyEngagements:
    """Handlers of `/engagements/v1/engagements/{paged,recent/modified,modified/after}`."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry
        self.reader, self.assoc = Reader(org), Associations(org, registry)

    def endpoints(self) -> list[Endpoint]:
        return [Endpoint("GET", r"/engagements/v1/engagements/recent/modified/?",
                         "recentEngagements", self.recent),
                Endpoint("GET", r"/engagements/v1/engagements/paged/?", "engagementsPaged",
                         self.paged),
                Endpoint("GET", r"/engagements/v1/engagements/modified/after/?",
                         "engagementsModifiedAfter", self.modified_after)]

    def types(self) -> list[ObjectType]:
        """The engagement object types, in id order (their id ranges do not overlap)."""
        return sorted((self.registry.get(n) for n in TYPES), key=lambda o: o.base)

    def paged(self, req: Request) -> Response:
        limit = int_arg(req.arg("limit"), 100)
        if not 0 < limit <= MAX_LIMIT:
            raise validation(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        offset = int_arg(req.arg("offset"), 0)
        picked: list[tuple[ObjectType, int]] = []
        for o in self.types():  # in id order: the page goes on into the next type
            if len(picked) > limit:
                break
            found = self.org.cursor().execute(
                f"SELECT t.n FROM {o.table} t WHERE {o.where(False)} AND t.n >= ? "
                "ORDER BY t.n LIMIT ?", [max(offset + 1 - o.base, 0), limit + 1 - len(picked)])
            picked += [(o, int(r[0])) for r in found.fetchall()]
        page = picked[:limit]
        last = int(page[-1][0].hs_id(page[-1][1])) if page else offset
        return json_response({"results": self._render(page),
                              "hasMore": len(picked) > limit, "offset": last})

    def recent(self, req: Request) -> Response:
        since, count, offset = recent_window(req, self.org.clock.now())
        rows = self._recent(since)
        page = rows[offset:offset + count]
        return json_response({"results": self._render(page),
                              "hasMore": offset + count < len(rows),
                              "offset": offset + len(page), "total": len(rows)})

    def modified_after(self, req: Request) -> Response:
        """Engagements modified after `after` (epoch ms, or the cursor of the answer
        before), oldest change first, `limit` (default 100, at most 1,000); `{results,
        hasMore, after}`, `after` the cursor past the last result (the one given when
        there is none), which the next run starts from."""
        limit = int_arg(req.arg("limit"), 100)
        if not 0 < limit <= MAX_MODIFIED_AFTER:
            raise validation(f"limit must be between 1 and {MAX_MODIFIED_AFTER}, "
                             f"got {limit}")
        given = req.arg("after") or "0"
        ms, last_id = _from_cursor(given)
        types = self.types()
        parts = [f"SELECT {i} AS k, t.n, epoch_ms(t.modified_at) AS m, {o.id_sql()} AS id "
                 f"FROM {o.table} t WHERE {o.where(False)} AND (epoch_ms(t.modified_at) > ? "
                 f"OR (epoch_ms(t.modified_at) = ? AND {o.id_sql()} > ?))"
                 for i, o in enumerate(types)]
        sql = " UNION ALL ".join(parts) + " ORDER BY m, id LIMIT ?"
        found = self.org.cursor().execute(
            sql, [*[ms, ms, last_id] * len(parts), limit + 1]).fetchall()
        page = found[:limit]
        after = _to_cursor(int(page[-1][2]), int(page[-1][3])) if page else given
        return json_response({"results": self._render([(types[int(k)], int(n))
                                                       for k, n, _, _ in page]),
                              "hasMore": len(found) > limit, "after": after})

    def _recent(self, since: dt.datetime) -> list[tuple[ObjectType, int]]:
        """(type, key) of the engagements updated after `since`, newest first."""
        types = self.types()
        parts = [f"SELECT {i} AS k, t.n, t.modified_at AS m, {o.id_sql()} AS id FROM "
                 f"{o.table} t WHERE {o.where(False)} AND t.modified_at > ?"
                 for i, o in enumerate(types)]
        sql = " UNION ALL ".join(parts) + f" ORDER BY m DESC, id DESC LIMIT {MOST_RECENT}"
        found = self.org.cursor().execute(sql, [since] * len(parts)).fetchall()
        return [(types[int(k)], int(n)) for k, n, _, _ in found]

    # ---- rendering ---------------------------------------------------------------------
    def _render(self, page: list[tuple[ObjectType, int]]) -> list[dict[str, Any]]:
        by_type: dict[str, list[int]] = {}
        for o, n in page:
            by_type.setdefault(o.name, []).append(n)
        rendered: dict[tuple[str, int], dict[str, Any]] = {}
        for name, keys in by_type.items():
            o = self.registry.get(name)
            props = o.pick(["hs_timestamp", "hubspot_owner_id", *METADATA[name].values()])
            found = self.reader.by_keys(o, props, keys, False)
            links = self._links(o, keys)
            for n in keys:
                rendered[(name, n)] = self._one(o, json.loads(found[n]), links.get(n, {}))
        return [rendered[(o.name, n)] for o, n in page]

    def _links(self, o: ObjectType, keys: list[int]) -> dict[int, dict[str, list[int]]]:
        out: dict[int, dict[str, list[int]]] = {}
        for other, member in LINKS.items():
            dst = self.registry.get(other)
            found, _, _, _ = self.assoc.linked(o, dst, keys)
            for n, linked in found.items():
                out.setdefault(n, {})[member] = [dst.base + b for b in linked]
        return out

    def _one(self, o: ObjectType, v3: dict[str, Any],
             links: dict[str, list[int]]) -> dict[str, Any]:
        p = v3["properties"]
        owner = p.get("hubspot_owner_id")
        engagement = {"id": int(v3["id"]), "portalId": self.registry.portal_id,
                      "active": True, "createdAt": iso_to_ms(v3["createdAt"]),
                      "lastUpdated": iso_to_ms(v3["updatedAt"]),
                      "ownerId": int(owner) if owner else None, "type": TYPES[o.name],
                      "timestamp": iso_to_ms(p.get("hs_timestamp") or v3["createdAt"])}
        metadata = {k: (iso_to_ms(p[v]) if k in TIMES and p.get(v) else p.get(v))
                    for k, v in METADATA[o.name].items()}
        if o.name == "tasks":
            metadata["forObjectType"] = "OWNER"
        associations = {m: links.get(m, []) for m in LINKS.values()}
        associations.update({k: [] for k in ("ownerIds", "workflowIds", "ticketIds",
                                             "contentIds", "quoteIds")})
        return {"engagement": engagement, "associations": associations, "attachments": [],
                "metadata": metadata}


def _to_cursor(ms: int, engagement_id: int) -> str:
    """An opaque cursor (never all digits, so never taken for a timestamp)."""
    return "c" + base64.urlsafe_b64encode(f"{ms}:{engagement_id}".encode()).decode()


def _from_cursor(text: str) -> tuple[int, int]:
    """(ms, last id) from an epoch-ms `after` or a cursor of ours."""
    if text.isdigit():
        return int(text), PAST_EVERY_ID
    try:
        ms, _, ident = base64.urlsafe_b64decode(text[1:].encode()).decode().partition(":")
        if text[:1] != "c":
            raise ValueError(text)
        return int(ms), int(ident)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise validation(f"after must be a timestamp in milliseconds or a cursor from a "
                         f"previous answer, got {text!r}") from exc
