"""A stream's first pull: every record, in as few calls as HubSpot allows.

Two ways, chosen per stream by what they cost (docs/hubspot.md, "How a pull works"):

* **search in id order** (the default): 200 records a page (the search guide), sorted by
  `hs_object_id`, each query past its 10,000 results continued after its last id
  (paging.py); search carries no associations, so they come from v4 batch reads, 1,000
  records a call per associated object: 1,000 records cost 5 + one call per associated
  object. The property list goes in the body: no URL limit, no extra batch read.
* **the list API with associations inline** (`associations=`): 100 records a page, each
  with up to 100 associated ids per object (the changelog "Announcing a change to how v3
  CRM APIs return association data"); only records whose associations were cut off (the
  collection has `paging.next`) are read again by v4 batch reads. 1,000 records cost 10
  calls, so it wins only for streams with more than five associated objects.

HubSpot's count comes with the first page; a pull that served fewer records than HubSpot
counted before and after it (a page answered as if the list had ended) fails naming both
counts, and the stream is pulled again by the next run. The next incremental search
starts from the clock of the first page (HubSpot's `Date`) minus the overlap, or strictly
after the newest change read when that is older: what changed while the pull ran is
searched again, and what the store already holds is not written twice.
"""

from __future__ import annotations

import math
import re
import time

from connector.crms.hubspot.constants import (
    ASSOCIATION_BATCH_SIZE,
    LIST_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
)
from connector.crms.hubspot.context import (
    Buffer,
    Json,
    Links,
    StreamContext,
    save_state,
    stamp,
    targets,
)
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import id_pages, list_pages, parse_ms
from connector.crms.hubspot.window import settled_window
from connector.errors import FatalError
from connector.store import IngestResult

BY_SEARCH, BY_LIST = "search", "list"


def calls_by_search(records: int, stream: Stream) -> int:
    """API calls a full pull of `records` records costs through search."""
    pages = max(math.ceil(records / SEARCH_PAGE_SIZE), 1)
    return pages + len(targets(stream)) * math.ceil(records / ASSOCIATION_BATCH_SIZE)


def calls_by_list(records: int, stream: Stream, extra_per_page: int = 0) -> int:
    """API calls a full pull costs through the list API with associations inline (plus a
    batch read per page when the properties do not fit the URL), none cut off."""
    pages = max(math.ceil(records / LIST_PAGE_SIZE), 1)
    return pages * (1 + extra_per_page)


def way(ctx: StreamContext, stream: Stream) -> str:
    """The cheaper way to pull `stream` whole (per 1,000 records, whatever their count)."""
    overflow = 1 if ctx.api.properties_overflow(stream.property_names, targets(stream)) else 0
    listed = calls_by_list(1000, stream, overflow)
    return BY_LIST if listed < calls_by_search(1000, stream) else BY_SEARCH


def full_pull(ctx: StreamContext, stream: Stream, state: Json, result: IngestResult) -> None:
    """Pull every record of `stream`, resuming where a killed pull left off."""
    how = state.get("way") or (BY_LIST if state.get("after") else way(ctx, stream))
    # a pull begun by an earlier version kept the newest change HubSpot had as `since`
    state = {**state, "phase": "full", "way": how,
             "newest": int(state.get("newest") or state.get("since") or 0)}  # fmt: skip
    buffer = Buffer(ctx, stream, result)
    pulled = _by_list(ctx, stream, state, buffer) if how == BY_LIST else \
        _by_search(ctx, stream, state, buffer)  # fmt: skip
    buffer.flush()
    if pulled is None:  # the search index lagged: the next run resumes from the checkpoint
        return
    check_listed(ctx, stream, int(pulled.get("listed", 0)), pulled.get("total"))
    local = int(pulled.get("local") or time.time() * 1000)
    window = settled_window(int(pulled["newest"]), pulled.get("server"), local, ctx.overlap_ms)
    save_state(ctx, stream, window.as_state())


def _first_page(ctx: StreamContext, state: Json, total: int | None) -> Json:
    """The state once the first page answered: HubSpot's count and clock."""
    if "server" in state:
        return state
    return {**state, "total": total, "server": ctx.api.transport.server_ms,
            "local": int(time.time() * 1000)}  # fmt: skip


def _by_search(ctx: StreamContext, stream: Stream, state: Json, buffer: Buffer) -> Json | None:
    """Every record through search in id order: the final state, None when the index
    lagged (the checkpoint stays where the last page ended)."""
    patience = ctx.patience(stream)

    def search(body: Json) -> Json:
        return ctx.api.search(stream.object, body)

    listed, newest = int(state.get("listed", 0)), int(state["newest"])
    pages = id_pages(search, stream.property_names, int(state.get("after_id", 0)), patience)
    for page, last_id in pages:
        records = list(page["results"])
        state = _first_page(ctx, state, int(page["total"]) if "total" in page else None)
        listed += len(records)
        newest = max([newest, *(stamp(r, stream) for r in records)])
        state = {**state, "after_id": last_id, "listed": listed, "newest": newest}
        buffer.add(records, state)
    return None if patience.gave_up else state


def _by_list(ctx: StreamContext, stream: Stream, state: Json, buffer: Buffer) -> Json:
    """Every record through the list API, associations inline: the final state."""
    wanted = targets(stream)
    listed, newest = int(state.get("listed", 0)), int(state["newest"])
    if "total" not in state:  # the list API counts nothing: ask search once
        state = {**state, "total": server_count(ctx, stream)}

    def fetch(after: str | None) -> Json:
        return ctx.api.list_page(stream.object, stream.property_names, after,
                                 associations=wanted)  # fmt: skip

    for page, next_after in list_pages(fetch, state.get("after")):
        records = list(page["results"])
        state = _first_page(ctx, state, state.get("total"))
        listed += len(records)
        newest = max([newest, *(stamp(r, stream) for r in records)])
        links, cut = inline_links(records, wanted)
        if cut:
            _read_cut(ctx, stream, links, cut)
        state = {**state, "after": next_after, "listed": listed, "newest": newest}
        buffer.add(records, state if next_after else None, links)  # the end: saved below
    return state


def inline_links(records: list[Json], wanted: list[str]) -> tuple[Links, dict[str, list[str]]]:
    """(associated ids of each record per object, from the page; per object the records
    whose associations were cut off and must be read whole)."""
    keys = {_norm(to): to for to in wanted}
    links: Links = {to: {} for to in wanted}
    cut: dict[str, list[str]] = {}
    for record in records:
        record_id = str(record["id"])
        for key, collection in (record.get("associations") or {}).items():
            to = keys.get(_norm(key))
            if to is None or not isinstance(collection, dict):
                continue
            ids = [str(a["id"]) for a in collection.get("results") or []]
            links[to][record_id] = list(dict.fromkeys(ids))
            if ((collection.get("paging") or {}).get("next") or {}).get("after"):
                cut.setdefault(to, []).append(record_id)
    return links, cut


def _norm(name: str) -> str:
    """An associations key as a comparable name: "line items" and "line_items" alike."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _read_cut(ctx: StreamContext, stream: Stream, links: Links, cut: dict[str, list[str]]) -> None:
    """Read whole the associations the page cut off (v4 batch reads)."""
    for to, ids in cut.items():
        found = ctx.api.associations(stream.object, to, ids)
        for record_id in ids:
            links[to][record_id] = found.get(record_id, [])
        ctx.say(f"{stream.object}: {len(ids):,} records with more than 100 {to} each "
                "read whole")  # fmt: skip


def server_count(ctx: StreamContext, stream: Stream) -> int | None:
    """How many records HubSpot counts of `stream` (one search of one record)."""
    return server_newest(ctx, stream)[1]


def server_newest(ctx: StreamContext, stream: Stream) -> tuple[int | None, int | None]:
    """(the newest cursor value in ms, how many records HubSpot counts); None when the
    search index lags so long that its answer holds no record."""
    body = {
        "sorts": [{"propertyName": stream.cursor, "direction": "DESCENDING"}],
        "properties": [stream.cursor],
        "limit": 1,
    }
    page = ctx.patience(stream).ask(lambda b: ctx.api.search(stream.object, b), body, 0)
    if page is None:
        return None, None
    results = page.get("results") or []
    total = int(page["total"]) if "total" in page else None
    if not results:
        return 0, total
    newest = (results[0].get("properties") or {}).get(stream.cursor)
    return parse_ms(newest or results[0].get("updatedAt")), total


def expected_count(
    ctx: StreamContext, stream: Stream, listed: int, before: int | None
) -> int | None:
    """How many records a listing of `stream` must have served: HubSpot's count before
    it, or, when it served fewer, the lower of the counts before and after it (records
    archived meanwhile lower both; a lost page only the listing). None: no count."""
    if before is None or listed >= before:
        return before
    after = server_count(ctx, stream)
    return min(before, after) if after is not None else before


def check_listed(ctx: StreamContext, stream: Stream, listed: int, total: int | None) -> None:
    """Refuse a pull that served fewer records than HubSpot counted before and after it
    (records archived meanwhile lower both counts; a lost page lowers only the pull):
    nothing is marked done, and the next run pulls the stream again."""
    expected = expected_count(ctx, stream, listed, total)
    if expected is None or listed >= expected:
        return
    save_state(ctx, stream, {})
    raise FatalError(
        f"HubSpot served {listed:,} {stream.object} but counts {expected:,}: pages were lost "
        "(answered as if the list had ended). The records read are kept; the next run pulls "
        f"{stream.object} again"
    )
