"""Paginators: list pages by `after`, every record by id, and search past the
10,000-result cap without loops.

Every record of an object, for a full pull or the purge check, comes from search sorted
by `hs_object_id` with `hs_object_id > the last id read` (200 a page: half the calls of
the list API's 100): a query serves at most 10,000 results, so each capped query is
followed by one starting after its last id. Ids are unique, so this never loops, and the
last id read is all a checkpoint needs.

Search serves at most 10,000 results per query (past them it answers 400, or simply
stops offering a next page while `total` says more match). Sorted by the cursor
property, a capped query has served everything before its last timestamp T. Restarting
at `>= T` would loop forever when more than 10,000 records share T (HubSpot's bulk
updates stamp thousands alike), so the paginator pins T and walks it by `hs_object_id`
(`= T`, `id >` the last one, sorted by id), restarting by id at each cap, then moves on
at `> T`. Every restart must move the cursor forward, or the paginator stops with an
error instead of looping.

Search is eventually consistent: right after writes HubSpot answers a positive `total`
with an empty page and no `paging`. Such a page is asked again a few times with backoff
(`Patience`); if the index still lags, the search ends there for this run, logged, and
the next run starts from the last record served: the lagging records are read then.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from connector.crms.hubspot.constants import (
    OBJECT_ID_PROPERTY,
    SEARCH_PAGE_SIZE,
    SEARCH_RESULT_CAP,
)
from connector.errors import FatalError

Json = dict[str, Any]
FetchPage = Callable[[str | None], Json]
Search = Callable[[Json], Json]


def list_pages(fetch: FetchPage, after: str | None = None) -> Iterator[tuple[Json, str | None]]:
    """(page, next `after`) for every page of a list API; stops on a repeated cursor."""
    seen: set[str] = set()
    while True:
        page = fetch(after)
        next_after = _next_after(page)
        yield page, next_after
        if next_after is None:
            return
        if next_after in seen or next_after == after:
            raise FatalError(f"HubSpot list paginator loops: after={next_after} served twice")
        seen.add(next_after)
        after = next_after


def _next_after(page: Json) -> str | None:
    after = ((page.get("paging") or {}).get("next") or {}).get("after")
    return None if after in (None, "") else str(after)


def id_search_body(after_id: int, properties: list[str], after: str | None) -> Json:
    """The search request for one page of every record with an id above `after_id`."""
    filters = [{"propertyName": OBJECT_ID_PROPERTY, "operator": "GT", "value": str(after_id)}]
    return _body(filters, OBJECT_ID_PROPERTY, properties, after)


def _body(filters: list[Json], sort: str, properties: list[str], after: str | None) -> Json:
    """A search request: one group of filters, ascending by `sort`, 200 a page."""
    body: Json = {
        "filterGroups": [{"filters": filters}],
        "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
        "properties": properties,
        "limit": SEARCH_PAGE_SIZE,
    }
    if after is not None:
        body["after"] = after
    return body


def id_pages(
    search: Search, properties: list[str], after_id: int = 0, patience: Patience | None = None
) -> Iterator[tuple[Json, int]]:
    """(page, the last id read so far) for every page of a search of every record with an
    id above `after_id`, in id order; a lagging index ends it early (`patience.gave_up`)."""
    patience = patience or Patience()
    while True:
        after: str | None = None
        served, start = 0, after_id
        while True:
            page = patience.ask(search, id_search_body(start, properties, after), served)
            if page is None:
                return
            results = list(page.get("results") or [])
            served += len(results)
            if results:
                after_id = int(results[-1]["id"])
            yield page, after_id
            after = _next_after(page)
            if after is None or served + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP:
                break
        if after is None and served >= int(page.get("total") or 0):
            return
        if after_id <= start:  # a capped query that served nothing new
            raise FatalError(f"HubSpot search cannot move past id {start}: refusing to loop")


@dataclass(frozen=True)
class SearchCursor:
    """Where an incremental search stands.

    Timestamp mode (`pinned` False): records with cursor property `>= ts` (`> ts` when
    not `inclusive`), sorted by it. Pinned mode: records with cursor property `== ts` and
    `hs_object_id > after_id`, sorted by id.
    """

    ts: int
    inclusive: bool = True
    pinned: bool = False
    after_id: int = 0

    def order(self) -> tuple[int, int, int, int]:
        """A total order in which every legal step of the paginator increases."""
        if self.pinned:
            return (self.ts, 1, self.after_id, 0)
        return (self.ts, 0 if self.inclusive else 2, 0, 0)

    def as_state(self) -> Json:
        return {
            "ts": self.ts,
            "inclusive": self.inclusive,
            "pinned": self.pinned,
            "after_id": self.after_id,
        }

    @classmethod
    def from_state(cls, state: Json) -> SearchCursor:
        return cls(
            int(state["ts"]),
            bool(state.get("inclusive", True)),
            bool(state.get("pinned", False)),
            int(state.get("after_id", 0)),
        )


def search_body(cursor: SearchCursor, prop: str, properties: list[str], after: str | None) -> Json:
    """The search request for one page at `cursor` (cursor property `prop`)."""
    if cursor.pinned:
        filters = [
            {"propertyName": prop, "operator": "EQ", "value": str(cursor.ts)},
            {"propertyName": OBJECT_ID_PROPERTY, "operator": "GT", "value": str(cursor.after_id)},
        ]
        sort = OBJECT_ID_PROPERTY
    else:
        operator = "GTE" if cursor.inclusive else "GT"
        filters = [{"propertyName": prop, "operator": operator, "value": str(cursor.ts)}]
        sort = prop
    return _body(filters, sort, properties, after)


def next_cursor(
    cursor: SearchCursor, last_ts: int, last_id: int, exhausted: bool
) -> SearchCursor | None:
    """The cursor after one query ended (`exhausted`: no more pages; else capped).

    None when the search is complete.
    """
    if exhausted:
        if cursor.pinned:  # this timestamp is done: continue strictly after it
            return SearchCursor(cursor.ts, inclusive=False)
        return None
    if cursor.pinned:
        new = SearchCursor(cursor.ts, pinned=True, after_id=last_id)
    else:  # everything before the last timestamp was served: walk that one by id
        new = SearchCursor(last_ts, pinned=True, after_id=0)
    if new.order() <= cursor.order():
        raise FatalError(f"HubSpot search cannot move past {cursor.as_state()}: refusing to loop")
    return new


def record_position(record: Json, prop: str) -> tuple[int, int]:
    """(cursor timestamp in ms, object id) of a search result."""
    props = record.get("properties") or {}
    return parse_ms(props.get(prop) or record.get("updatedAt")), int(record["id"])


def parse_ms(value: Any) -> int:
    """Epoch milliseconds from HubSpot's ISO-8601 text or a millisecond number."""
    text = str(value)
    if text.isdigit():
        return int(text)
    stamp = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=dt.UTC)
    return int(stamp.timestamp() * 1000)


@dataclass
class Patience:
    """How long to wait for a lagging search index: `retries` more asks, the first after
    `first_wait` seconds, doubling; `say` logs the window given up."""

    retries: int = 3
    first_wait: float = 1.0
    say: Callable[[str], None] | None = None
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    gave_up: bool = False  # a window was ended for a lagging index

    def lagging(self, page: Json, served: int) -> bool:
        """An empty page with no next page while `total` says more match."""
        after = _next_after(page)
        return not page.get("results") and after is None and int(page.get("total") or 0) > served

    def ask(self, search: Search, body: Json, served: int) -> Json | None:
        """The page; None when the index still lags after the retries."""
        page = search(body)
        wait = self.first_wait
        for _ in range(self.retries):
            if not self.lagging(page, served):
                return page
            self.sleep(wait)
            wait *= 2
            page = search(body)
        if self.lagging(page, served):
            self.gave_up = True
            return None
        return page


def search_pages(
    search: Search,
    prop: str,
    properties: list[str],
    cursor: SearchCursor,
    patience: Patience | None = None,
) -> Iterator[tuple[list[Json], SearchCursor]]:
    """(results, cursor to resume after them) for every page of an incremental search."""
    patience = patience or Patience()
    query: SearchCursor | None = cursor
    while query is not None:
        after: str | None = None
        served = 0
        last = (query.ts, query.after_id)
        while True:
            page = patience.ask(search, search_body(query, prop, properties, after), served)
            if page is None:  # the index lags: this run ends here, the next resumes here
                if patience.say is not None:
                    since = dt.datetime.fromtimestamp(last[0] / 1000, dt.UTC)
                    patience.say(f"HubSpot search answers no results though more match (its "
                                 "index lags behind recent writes): the next run reads on "
                                 f"from {since:%Y-%m-%d %H:%M:%S} UTC")  # fmt: skip
                yield [], resume_at(query, last)
                return
            results = list(page.get("results") or [])
            served += len(results)
            if results:
                last = record_position(results[-1], prop)
            after = _next_after(page)
            if after is None or served + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP:
                exhausted = after is None and served >= int(page.get("total") or 0)
                following = next_cursor(query, last[0], last[1], exhausted=exhausted)
                yield results, following or resume_at(query, last)
                query = following
                break
            yield results, resume_at(query, last)


def resume_at(query: SearchCursor, last: tuple[int, int]) -> SearchCursor:
    """A safe place to resume after the last record served by `query` (a checkpoint)."""
    if query.pinned:
        return SearchCursor(query.ts, pinned=True, after_id=last[1])
    if last[0] > query.ts:
        return SearchCursor(last[0], inclusive=True)
    return query
