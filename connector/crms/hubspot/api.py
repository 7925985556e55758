"""The HubSpot calls the connector makes, each one line over the transport.

Every method answers parsed JSON; limiter, retries and error mapping happen below, in
the transport. Long property lists never go into a URL: past `max_url_chars` the list
call carries the first properties and one batch read (POST body) fetches the rest.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from connector.crms.hubspot.client import LEGACY_ENGAGEMENTS, Answer, HubSpotClient
from connector.crms.hubspot.constants import (
    ASSOCIATION_BATCH_SIZE,
    LIST_PAGE_SIZE,
    OBJECT_ID_PROPERTY,
)
from connector.crms.hubspot.errors import HubSpotApiError
from connector.errors import FatalError

Json = dict[str, Any]
# Room for scheme, host, path and the other query parameters of a list call.
_URL_BASE_CHARS = 200


def has_results(body: Json) -> str | None:
    """A page must carry its `results` list (empty on the last page, never absent)."""
    if isinstance(body.get("results"), list):
        return None
    return "without a results list (a malformed page, not the end of the list)"


def split_properties(properties: list[str], max_url_chars: int) -> tuple[list[str], list[str]]:
    """(properties for the list URL, the rest for a batch read), the URL under the budget."""
    head: list[str] = []
    used = _URL_BASE_CHARS
    for name in sorted(properties, key=lambda p: p != OBJECT_ID_PROPERTY):
        cost = len("&properties=") + len(quote(name, safe=""))
        if used + cost > max_url_chars and head:
            break
        head.append(name)
        used += cost
    chosen = set(head)
    rest = [p for p in properties if p not in chosen]
    return head, rest


class HubSpotApi:
    """Typed, named calls over one transport."""

    def __init__(self, transport: HubSpotClient, max_url_chars: int) -> None:
        self.transport = transport
        self.max_url_chars = max_url_chars
        self._owner_pages: dict[tuple[str | None, bool], Json] = {}

    def forget(self) -> None:
        """Drop the owner pages kept for this run (a new pull reads them anew)."""
        self._owner_pages.clear()

    def list_page(
        self,
        obj: str,
        properties: list[str],
        after: str | None,
        *,
        archived: bool = False,
        associations: list[str] | None = None,
    ) -> Json:
        """One page (100) of the list API, with every property (batch read past the URL)
        and, with `associations`, each record's associated ids of those objects."""
        head, rest = split_properties(properties, self._url_room(associations))
        kwargs: Json = {"limit": LIST_PAGE_SIZE, "properties": head, "archived": archived}
        if after is not None:
            kwargs["after"] = after
        if associations:
            kwargs["associations"] = associations
        page = self.transport.call(
            "crm.objects.basic_api", "get_page", obj, what=f"list {obj}", check=has_results,
            **kwargs,
        ).body
        if rest and page.get("results"):
            self._merge(obj, page["results"], rest)
        return page

    def _url_room(self, associations: list[str] | None) -> int:
        """URL characters left for properties once the associations are in it."""
        taken = sum(len("&associations=") + len(quote(a, safe="")) for a in associations or [])
        return self.max_url_chars - taken

    def properties_overflow(self, properties: list[str], associations: list[str]) -> bool:
        """Whether a list page of these properties needs a batch read for some of them."""
        return bool(split_properties(properties, self._url_room(associations))[1])

    def _merge(self, obj: str, results: list[Json], properties: list[str]) -> None:
        body = {"properties": properties, "inputs": [{"id": r["id"]} for r in results]}
        answer = self.transport.call(
            "crm.objects.batch_api", "read", obj, body, what=f"read {obj} properties",
            check=has_results,
        ).body
        extra = {str(r["id"]): r.get("properties") or {} for r in answer.get("results") or []}
        for record in results:
            record.setdefault("properties", {}).update(extra.get(str(record["id"]), {}))

    def search(self, obj: str, body: Json) -> Json:
        """One page of the search API (POST; `after` in the body)."""
        return self.transport.call(
            "crm.objects.search_api", "do_search", obj, body, what=f"search {obj}", search=True,
            check=has_results,
        ).body

    def associations(self, obj: str, to: str, ids: list[str]) -> dict[str, list[str]]:
        """Associated `to` ids of each record, by v4 batch reads (1,000 ids a call); a
        record whose answer pages on is asked again with its `after`, with the others
        still paging, until none is."""
        found: dict[str, list[str]] = {}
        for start in range(0, len(ids), ASSOCIATION_BATCH_SIZE):
            inputs: list[Json] = [{"id": i} for i in ids[start : start + ASSOCIATION_BATCH_SIZE]]
            while inputs:
                inputs = self._association_page(obj, to, inputs, found)
        return found

    def _association_page(
        self, obj: str, to: str, inputs: list[Json], found: dict[str, list[str]]
    ) -> list[Json]:
        """One v4 batch read into `found`; the inputs whose associations page on."""
        answer = self.transport.call(
            "crm.associations.v4.batch_api",
            "get_page",
            obj,
            to,
            {"inputs": inputs},
            what=f"read {obj} → {to} associations",
            check=has_results,
        )
        asked = {str(i["id"]): i.get("after") for i in inputs}
        more: list[Json] = []
        for result in answer.body.get("results") or []:
            record = str(result["from"]["id"])
            linked = [str(t["toObjectId"]) for t in result.get("to") or []]
            found.setdefault(record, []).extend(linked)
            after = ((result.get("paging") or {}).get("next") or {}).get("after")
            if after and after != asked.get(record):  # the same cursor again would loop
                more.append({"id": record, "after": after})
            elif after:
                raise FatalError(f"HubSpot {obj} {record} → {to} associations: after={after} "
                                 "served twice, refusing to loop")
        return more

    def properties(self, obj: str) -> list[Json]:
        """Every property definition of an object type."""
        answer = self.transport.call(
            "crm.properties.core_api", "get_all", obj, what=f"read {obj} properties"
        )
        return list(answer.body.get("results") or [])

    def known_properties(self, obj: str) -> list[Json] | None:
        """Every property definition of an object type, or None when HubSpot knows no
        such object (it answers 400 or 404)."""
        try:
            return self.properties(obj)
        except HubSpotApiError as exc:
            if exc.status not in (400, 404):
                raise
            return None

    def pipelines(self, obj: str = "deals") -> list[Json]:
        """Pipelines and their stages, with stage metadata (isClosed, probability)."""
        answer = self.transport.call(
            "crm.pipelines.pipelines_api", "get_all", obj, what=f"read {obj} pipelines"
        )
        return list(answer.body.get("results") or [])

    def owners_page(self, after: str | None, *, archived: bool) -> Json:
        """One page of owners (100), active or archived (deactivated users); kept until
        `forget`, so the owners and the goals of one pull share one listing."""
        if (after, archived) in self._owner_pages:
            return self._owner_pages[after, archived]
        kwargs: Json = {"limit": LIST_PAGE_SIZE, "archived": archived}
        if after is not None:
            kwargs["after"] = after
        page = self.transport.call(
            "crm.owners.owners_api", "get_page", what="list owners", check=has_results, **kwargs
        ).body
        self._owner_pages[after, archived] = page
        return page

    def call(self, path: str, method: str, *args: Any, what: str, **kwargs: Any) -> Answer:
        """Any other call (the writer's), through the same transport."""
        return self.transport.call(path, method, *args, what=what, **kwargs)

    def recent_engagements(self, since_ms: int, count: int) -> Json:
        """Engagements of every type updated after `since_ms`, newest first (the legacy
        engagements API; `hasMore` says whether more than `count` are)."""
        return self.transport.call(
            LEGACY_ENGAGEMENTS, "get_recent", since_ms, count, what="read recent engagements",
            check=has_results,
        ).body
