"""Pulling one stream: whole the first time (full.py, or the exports API), then what changed
through search; then, on a cadence, deletes from the archived listing. Pages are typed and
loaded into the store 20,000 records at a time, and the position is checkpointed after
each load, so a killed pull resumes where its last load ended.

An incremental search reads what changed since the stream's window (window.py): the
overlap before the last search once it can be settled, else only what changed after the
newest change read. Records it reads again unchanged cost nothing more (context.py).
"""

from __future__ import annotations

import datetime as dt
import time

from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.context import Buffer, Json, StreamContext, save_state
from connector.crms.hubspot.full import BY_LIST, calls_by_list, calls_by_search, full_pull, way
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import SearchCursor, list_pages, search_pages
from connector.crms.hubspot.records import derivation, shape
from connector.crms.hubspot.window import Window, read_before, settled_window
from connector.crms.remap import settle_mapping, whole_read_reason
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, mark_deleted
from connector.store.raw import begin_full_read, end_full_read


def pull_stream(ctx: StreamContext, stream: Stream, quiet: bool = False) -> IngestResult:
    """Pull one stream (full the first time, incremental after), then its archives.
    `quiet`: known unchanged since where its search would start (no search; it stays)."""
    state = ctx.store.get_state(ctx.source, stream.key) or {}
    result = IngestResult(source=ctx.source, entity=stream.entity, origins=[stream.object])
    if state.get("phase") == "incremental":
        if not quiet:
            incremental(ctx, stream, Window.from_state(state), result)
    else:
        calls, read = ctx.api.transport.api_calls, ctx.records_read
        full_pull(ctx, stream, state, result)
        ctx.full_streams += 1
        ctx.full_calls += ctx.api.transport.api_calls - calls
        ctx.full_records += ctx.records_read - read
    reconcile_archived(ctx, stream, result, first=not state)
    return result


def search_start(ctx: StreamContext, window: Window) -> tuple[SearchCursor, bool]:
    """(where this run's search of a stream starts, whether it settles its window)."""
    return window.start(ctx.overlap_ms, ctx.api.transport.server_ms)


def incremental(ctx: StreamContext, stream: Stream, window: Window, result: IngestResult) -> None:
    """Search what changed since the window, load what the store does not hold yet."""

    def search(body: Json) -> Json:
        return ctx.api.search(stream.object, body)

    cursor, settling = search_start(ctx, window)
    buffer = Buffer(ctx, stream, result, fresh_only=True)
    last, server, local = cursor, None, int(time.time() * 1000)
    patience = ctx.patience(stream)
    pages = search_pages(search, stream.cursor, stream.property_names, cursor, patience)
    for records, resume in pages:
        if server is None:  # when the first page was searched
            server, local = ctx.api.transport.server_ms, int(time.time() * 1000)
        if settling:
            checkpoint = Window(resume).as_state()
        else:
            checkpoint = window.after_deferred(read_before(resume)).as_state()
        buffer.add(records, checkpoint)
        last = resume
    buffer.flush()
    # A search cut short (lagging index, a pinned timestamp) resumes where it stood.
    whole = not (patience.gave_up or last.pinned)
    if not settling:
        newest = last.ts if whole and last != cursor else read_before(last)
        save_state(ctx, stream, window.after_deferred(max(newest, cursor.ts)).as_state())
    elif whole:
        save_state(ctx, stream, settled_window(last.ts, server, local, ctx.overlap_ms).as_state())
    elif last.pinned:  # walking one timestamp by id: on from the last id read
        save_state(ctx, stream, Window(last).as_state())
    else:  # the index lagged: what it may not have shown yet is searched again
        save_state(ctx, stream, Window(SearchCursor(max(last.ts - ctx.overlap_ms, 0))).as_state())


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


def plan_whole_reads(ctx: StreamContext, streams: list[Stream]) -> dict[str, str]:
    """Start again, whole, the pull of every stream whose raw rows lack a field the
    mapping now reads (unless a whole read bringing it is under way); what that costs,
    by stream key."""
    notes = {}
    for stream in streams:
        raw, state = ctx.raw(stream), ctx.store.get_state(ctx.source, stream.key) or {}
        fields = list(raw.columns)
        if not state:
            begin_full_read(ctx.store, raw, fields)
            continue
        reason = whole_read_reason(raw, fields, first=False)
        if reason is None or (state.get("phase") != "incremental"
                              and raw.filled_by_full_read(fields)):  # fmt: skip
            continue
        records = int(ctx.store.scalar(f"SELECT count(*) FROM {raw.table} WHERE NOT deleted") or 0)
        calls = calls_by_list(records, stream) if way(ctx, stream) == BY_LIST else \
            calls_by_search(records, stream)  # fmt: skip
        save_state(ctx, stream, {})
        begin_full_read(ctx.store, raw, fields)
        notes[stream.key] = (f"{ctx.source}: {stream.object}: {reason}: read whole "
                             f"(~{records:,} records, ~{calls:,} API calls)")  # fmt: skip
    return notes


def settle_stream(ctx: StreamContext, stream: Stream, result: IngestResult, before: Json) -> None:
    """After the stream's pull (`before`: its state when the run began): a whole read
    that ended brings its fields; every stored record is derived again if the mapping
    changed since they were (not when all were just read whole)."""
    raw, state = ctx.raw(stream), ctx.store.get_state(ctx.source, stream.key) or {}
    done = state.get("phase") == "incremental"
    if done and raw.filling is not None:
        end_full_read(ctx.store, raw, list(raw.columns))
    rules = derivation(stream, ctx.stages, ctx.value_maps)
    note = settle_mapping(ctx.store, raw, rules,
                          shape(stream, ctx.stages, ctx.opts.timezone, ctx.value_maps), ctx.opts,
                          read_whole=done and not before)  # fmt: skip
    if note is not None:
        ctx.say(note)
        result.notes.append(f"{ctx.source}: {note}")
