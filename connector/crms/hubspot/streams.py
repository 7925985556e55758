"""Pulling one stream: a full pull through the list API, or an incremental one through
search; then deletes from the archived listing. Pages are typed and loaded into the
store 20,000 records at a time, and the cursor is checkpointed after each load, so a
killed pull resumes where its last load ended.

A full pull first reads the newest cursor value on the server (its clock, not ours), so
records changed while it runs are read again by the next incremental pull.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connector.crms.base import Progress
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import (
    SearchCursor,
    list_pages,
    parse_ms,
    search_pages,
)
from connector.crms.hubspot.records import StageMeta, build_rows, columns
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, ValueMap, ingest_rows, mark_deleted

Json = dict[str, Any]


@dataclass
class StreamContext:
    """What every stream of one pull shares."""

    store: Store
    source: str
    api: HubSpotApi
    opts: ParseOptions
    stages: StageMeta
    overlap_ms: int
    load_records: int
    progress: Progress | None = None


def pull_stream(ctx: StreamContext, stream: Stream) -> IngestResult:
    """Pull one stream (full the first time, incremental after), then its archives."""
    state = ctx.store.get_state(ctx.source, stream.key) or {}
    result = IngestResult(source=ctx.source, entity=stream.entity, origins=[stream.object])
    if state.get("phase") == "incremental":
        _incremental(ctx, stream, SearchCursor.from_state(state["cursor"]), result)
    else:
        _full(ctx, stream, state, result)
    _archived(ctx, stream, result)
    return result


def _full(ctx: StreamContext, stream: Stream, state: Json, result: IngestResult) -> None:
    since = int(state["since"]) if "since" in state else _server_newest(ctx, stream)
    properties = stream.property_names
    buffer = _Buffer(ctx, stream, result)

    def fetch(after: str | None) -> Json:
        return ctx.api.list_page(stream.object, properties, after)

    for page, next_after in list_pages(fetch, state.get("after")):
        resume = {"phase": "full", "after": next_after, "since": since} if next_after else None
        buffer.add(list(page.get("results") or []), resume)
    buffer.flush()
    start = SearchCursor(max(since - ctx.overlap_ms, 0))
    _save(ctx, stream, {"phase": "incremental", "cursor": start.as_state()})


def _server_newest(ctx: StreamContext, stream: Stream) -> int:
    body = {
        "sorts": [{"propertyName": stream.cursor, "direction": "DESCENDING"}],
        "properties": [stream.cursor],
        "limit": 1,
    }
    results = ctx.api.search(stream.object, body).get("results") or []
    if not results:
        return 0
    newest = (results[0].get("properties") or {}).get(stream.cursor)
    return parse_ms(newest or results[0].get("updatedAt"))


def _incremental(
    ctx: StreamContext, stream: Stream, cursor: SearchCursor, result: IngestResult
) -> None:
    def search(body: Json) -> Json:
        return ctx.api.search(stream.object, body)

    buffer = _Buffer(ctx, stream, result)
    last = cursor
    for records, resume in search_pages(search, stream.cursor, stream.property_names, cursor):
        buffer.add(records, {"phase": "incremental", "cursor": resume.as_state()})
        last = resume
    buffer.flush()
    # The next run starts a little before the newest change seen (late index updates).
    start = SearchCursor(max(last.ts - ctx.overlap_ms, 0))
    _save(ctx, stream, {"phase": "incremental", "cursor": start.as_state()})


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
        if len(self.records) >= self.ctx.load_records:
            self.flush()

    def flush(self) -> None:
        _load_page(self.ctx, self.stream, self.records, self.result)
        if self.resume is not None:
            _save(self.ctx, self.stream, self.resume)
        self.records, self.resume = [], None


def _archived(ctx: StreamContext, stream: Stream, result: IngestResult) -> None:
    entity = ENTITY_BY_NAME[stream.entity]

    def fetch(after: str | None) -> Json:
        return ctx.api.list_page(stream.object, [OBJECT_ID_PROPERTY], after, archived=True)

    for page, _ in list_pages(fetch):
        ids = [str(r["id"]) for r in page.get("results") or []]
        result.deleted += mark_deleted(ctx.store, source=ctx.source, entity=entity, ids=ids)


def _load_page(
    ctx: StreamContext, stream: Stream, records: list[Json], result: IngestResult
) -> None:
    if not records:
        return
    ids = [str(r["id"]) for r in records]
    links = {to: ctx.api.associations(stream.object, to, ids) for to in _targets(stream)}
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


def _save(ctx: StreamContext, stream: Stream, state: Json) -> None:
    ctx.store.set_state(ctx.source, stream.key, state)
