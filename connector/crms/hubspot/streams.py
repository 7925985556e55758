"""Pulling one stream: a full pull through the list API (or the exports API), an
incremental one through search; then, on a cadence, deletes from the archived listing.
Pages are typed and loaded into the store 20,000 records at a time, and the cursor is
checkpointed after each load, so a killed pull resumes where its last load ended.

A full pull first reads the newest cursor value on the server (its clock, not ours), so
records changed while it runs are read again by the next incremental pull; the same
search counts the records, and a listing that served fewer than HubSpot counts (a page
lost to a well-formed but truncated answer) is an error, and is listed again next run.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass
from typing import Any

from connector.crms.base import Progress
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.catalog import Catalog
from connector.crms.hubspot.config import Pull
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import (
    Patience,
    SearchCursor,
    list_pages,
    parse_ms,
    search_pages,
)
from connector.crms.hubspot.records import StageMeta, build_rows, columns
from connector.errors import FatalError
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, ValueMap, ingest_rows, mark_deleted

Json = dict[str, Any]
Links = dict[str, dict[str, list[str]]]


@dataclass
class StreamContext:
    """What every stream of one pull shares."""

    store: Store
    source: str
    api: HubSpotApi
    opts: ParseOptions
    catalog: Catalog
    stages: StageMeta
    settings: Pull
    progress: Progress | None = None
    records_read: int = 0
    no_exports: str | None = None  # why exports cannot be had in this run

    @property
    def overlap_ms(self) -> int:
        return self.settings.overlap_seconds * 1000

    def patience(self, stream: Stream) -> Patience:
        say = None if self.progress is None else _prefixed(self.progress, stream.object)
        first_wait = self.api.transport.http.initial_backoff_seconds
        return Patience(self.settings.search_lag_retries, first_wait, say)


def _prefixed(progress: Progress, prefix: str) -> Progress:
    return lambda message: progress(f"{prefix}: {message}")


def pull_stream(ctx: StreamContext, stream: Stream, quiet: bool = False) -> IngestResult:
    """Pull one stream (full the first time, incremental after), then its archives.
    `quiet`: known unchanged since its cursor (no search; the cursor stays)."""
    state = ctx.store.get_state(ctx.source, stream.key) or {}
    result = IngestResult(source=ctx.source, entity=stream.entity, origins=[stream.object])
    if state.get("phase") == "incremental":
        if not quiet:
            _incremental(ctx, stream, SearchCursor.from_state(state["cursor"]), result)
    else:
        _full(ctx, stream, state, result)
    reconcile_archived(ctx, stream, result, first=not state)
    return result


def _full(ctx: StreamContext, stream: Stream, state: Json, result: IngestResult) -> None:
    started = time.monotonic()
    if "since" in state:
        since, total = state["since"], state.get("total")
    else:
        since, total = server_newest(ctx, stream)
        state = {**state, "server": ctx.api.transport.server_ms}
    listed, newest = int(state.get("listed", 0)), 0
    properties = stream.property_names
    buffer = _Buffer(ctx, stream, result)

    def fetch(after: str | None) -> Json:
        return ctx.api.list_page(stream.object, properties, after)

    for page, next_after in list_pages(fetch, state.get("after")):
        records = list(page["results"])
        listed += len(records)
        newest = max([newest, *(_stamp(r, stream) for r in records)])
        resume = {"phase": "full", "after": next_after, "since": since, "total": total,
                  "listed": listed, "server": state.get("server")}  # fmt: skip
        buffer.add(records, resume if next_after else None)
    buffer.flush()
    _check_listed(ctx, stream, listed, total)
    if since is None:  # the search index lagged: a bound no change during the listing passes
        since = max(newest - int((time.monotonic() - started) * 1000), 0)
        state["server"] = None
    start = next_start(int(since), state.get("server"), ctx.overlap_ms)
    save_state(ctx, stream, {"phase": "incremental", "cursor": start.as_state()})


def next_start(last_ms: int, server_ms: int | None, overlap_ms: int) -> SearchCursor:
    """Where the next incremental search starts, after one that saw changes up to
    `last_ms` when HubSpot's clock read `server_ms`.

    What changed within the overlap before the search may not have been indexed yet: it
    is searched again. Before that, the index is complete, so a portal quiet since its
    last change starts strictly after it and reads nothing twice. Without the server's
    clock, the overlap before the last change is searched again."""
    if server_ms is None:
        return SearchCursor(max(last_ms - overlap_ms, 0))
    settled = server_ms - overlap_ms
    if last_ms < settled:
        return SearchCursor(last_ms, inclusive=False)
    return SearchCursor(max(settled, 0))


def _stamp(record: Json, stream: Stream) -> int:
    value = (record.get("properties") or {}).get(stream.cursor) or record.get("updatedAt")
    return parse_ms(value) if value else 0


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
    after = server_newest(ctx, stream)[1]
    return min(before, after) if after is not None else before


def _check_listed(ctx: StreamContext, stream: Stream, listed: int, total: int | None) -> None:
    """Refuse a listing that served fewer records than HubSpot counted before and after
    it (records archived meanwhile lower both counts; a lost page lowers only the
    listing): nothing is marked done, and the next run lists again."""
    expected = expected_count(ctx, stream, listed, total)
    if expected is None or listed >= expected:
        return
    save_state(ctx, stream, {})
    raise FatalError(
        f"HubSpot listed {listed:,} {stream.object} but counts {expected:,}: pages were lost "
        "(answered as if the list had ended). The records read are kept; the next run lists "
        f"{stream.object} again"
    )


def _incremental(
    ctx: StreamContext, stream: Stream, cursor: SearchCursor, result: IngestResult
) -> None:
    def search(body: Json) -> Json:
        return ctx.api.search(stream.object, body)

    buffer = _Buffer(ctx, stream, result)
    last, server = cursor, None
    patience = ctx.patience(stream)
    pages = search_pages(search, stream.cursor, stream.property_names, cursor, patience)
    for records, resume in pages:
        server = server or ctx.api.transport.server_ms  # when the first page was searched
        buffer.add(records, {"phase": "incremental", "cursor": resume.as_state()})
        last = resume
    buffer.flush()
    # A search cut short (lagging index, a pinned timestamp) resumes where it stood.
    whole = not (patience.gave_up or last.pinned)
    start = next_start(last.ts, server if whole else None, ctx.overlap_ms)
    save_state(ctx, stream, {"phase": "incremental", "cursor": start.as_state()})


class _Buffer:
    """Pages gathered up to `pull.load_records` (20,000), then loaded at once.

    Loading 20,000 records costs the same few statements as loading 100, and their
    associations take one batch read per 1,000 records and associated object instead
    of one per page; the cursor of the last page is checkpointed only once its records
    are in the store. Memory stays bounded by one buffer.
    """

    def __init__(self, ctx: StreamContext, stream: Stream, result: IngestResult) -> None:
        self.ctx, self.stream, self.result = ctx, stream, result
        self.records: list[Json] = []
        self.resume: Json | None = None

    def add(self, records: list[Json], resume: Json | None) -> None:
        self.records += records
        self.resume = resume
        if len(self.records) >= self.ctx.settings.load_records:
            self.flush()

    def flush(self) -> None:
        load_records(self.ctx, self.stream, self.records, self.result)
        if self.resume is not None:
            save_state(self.ctx, self.stream, self.resume)
        self.records, self.resume = [], None


def reconcile_archived(
    ctx: StreamContext, stream: Stream, result: IngestResult, first: bool
) -> None:
    """Mark deleted what HubSpot archived, every `pull.reconcile_every_hours`: archived
    records stay listed (id order, no filter on when) for 90 days, then are purged. The
    first pull of a stream has nothing to reconcile."""
    key = f"{stream.key}:archived"
    done = (ctx.store.get_state(ctx.source, key) or {}).get("at")
    every = dt.timedelta(hours=ctx.settings.reconcile_every_hours)
    now = dt.datetime.now(dt.UTC)
    if done is not None and now - dt.datetime.fromisoformat(done) < every:
        return
    if not (first and done is None):
        entity = ENTITY_BY_NAME[stream.entity]

        def fetch(after: str | None) -> Json:
            return ctx.api.list_page(stream.object, [OBJECT_ID_PROPERTY], after, archived=True)

        for page, _ in list_pages(fetch):
            ids = [str(r["id"]) for r in page["results"]]
            result.deleted += mark_deleted(ctx.store, source=ctx.source, entity=entity, ids=ids)
    ctx.store.set_state(ctx.source, key, {"at": now.isoformat()})


def load_records(
    ctx: StreamContext,
    stream: Stream,
    records: list[Json],
    result: IngestResult,
    links: Links | None = None,
) -> None:
    """Type and load records of a stream (their associations read unless given)."""
    if not records:
        return
    ctx.records_read += len(records)
    if links is None:
        ids = [str(r["id"]) for r in records]
        links = {to: ctx.api.associations(stream.object, to, ids) for to in _targets(stream)}
    ctx.stages = ctx.catalog.stages_for(ctx.stages, stream.deal_stages, records)
    rows, excluded = build_rows(stream, records, links, ctx.stages)
    entity = ENTITY_BY_NAME[stream.entity]
    first_line = result.loaded + result.quarantined + 1
    loaded = ingest_rows(
        ctx.store,
        source=ctx.source,
        entity=entity,
        columns=columns(stream),
        rows=rows,
        origin=f"{stream.object} API",
        opts=ctx.opts,
        value_maps=_value_maps(stream),
        first_line=first_line,
    )
    result.loaded += loaded.loaded
    result.quarantined += loaded.quarantined
    result.findings += loaded.findings
    result.deleted += mark_deleted(ctx.store, source=ctx.source, entity=entity, ids=excluded)
    if ctx.progress:
        ctx.progress(f"{stream.object}: {result.loaded:,} records")


def _targets(stream: Stream) -> list[str]:
    return sorted(set(stream.associations.values()))


def _value_maps(stream: Stream) -> dict[str, ValueMap]:
    return {name: ValueMap(values) for name, values in stream.values.items()}


def save_state(ctx: StreamContext, stream: Stream, state: Json) -> None:
    ctx.store.set_state(ctx.source, stream.key, state)
