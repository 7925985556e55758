"""What every stream of one pull shares, and how its records reach the store.

Records are gathered up to `pull.load_records` (20,000), then typed and loaded at once:
loading 20,000 records costs the same few statements as loading 100, and their
associations (when the page did not carry them) take one batch read per 1,000 records and
associated object. A record read again with the very `hs_lastmodifieddate` the store
holds for it (the overlap of an incremental search) is neither written again nor costs an
association read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.crms.base import Progress
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.catalog import Catalog
from connector.crms.hubspot.config import Pull
from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import Patience, parse_ms
from connector.crms.hubspot.records import StageMeta, derivation, raw_fields, raw_rows
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult, ParseOptions, Store, unchanged_ids
from connector.store.derive import derive
from connector.store.raw import RawStream, raw_stream, upsert_raw

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
    records_unchanged: int = 0  # read again, already stored as they are
    full_streams: int = 0  # streams pulled whole in this run (not through exports) ...
    full_calls: int = 0  # ... the calls they cost ...
    full_records: int = 0  # ... and the records they read
    no_exports: str | None = None  # why exports cannot be had in this run
    exports_quiet: bool = False  # auto, and the token lacks crm.export: search unsaid
    raws: dict[str, RawStream] = field(default_factory=dict)  # by stream key
    value_maps: dict[str, dict[str, str]] = field(default_factory=dict)  # the mapping's, by name

    @property
    def overlap_ms(self) -> int:
        return self.settings.overlap_seconds * 1000

    def patience(self, stream: Stream) -> Patience:
        say = None if self.progress is None else _prefixed(self.progress, stream.object)
        first_wait = self.api.transport.http.initial_backoff_seconds
        return Patience(self.settings.search_lag_retries, first_wait, say)

    def raw(self, stream: Stream) -> RawStream:
        """The stream's raw table (its columns those the mapping reads)."""
        if stream.key not in self.raws:
            self.raws[stream.key] = raw_stream(
                self.store, source=self.source, stream=stream.key, entity=stream.entity,
                key=OBJECT_ID_PROPERTY, cursor=stream.cursor, fields=raw_fields(stream),
            )  # fmt: skip
        return self.raws[stream.key]

    def say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)


def _prefixed(progress: Progress, prefix: str) -> Progress:
    return lambda message: progress(f"{prefix}: {message}")


def save_state(ctx: StreamContext, stream: Stream, state: Json) -> None:
    ctx.store.set_state(ctx.source, stream.key, state)


def stamp(record: Json, stream: Stream) -> int:
    """The record's cursor value in epoch ms (0 when it has none)."""
    value = (record.get("properties") or {}).get(stream.cursor) or record.get("updatedAt")
    return parse_ms(value) if value else 0


class Buffer:
    """Pages gathered up to `pull.load_records`, then loaded at once; the state of the last
    page is checkpointed only once its records are in the store. `fresh_only`: records
    the store already holds unchanged are dropped (incremental searches)."""

    def __init__(self, ctx: StreamContext, stream: Stream, result: IngestResult,
                 fresh_only: bool = False) -> None:  # fmt: skip
        self.ctx, self.stream, self.result, self.fresh_only = ctx, stream, result, fresh_only
        self.records: list[Json] = []
        self.links: Links = {}
        self.resume: Json | None = None

    def add(self, records: list[Json], resume: Json | None, links: Links | None = None) -> None:
        self.records += records
        for to, found in (links or {}).items():
            self.links.setdefault(to, {}).update(found)
        self.resume = resume
        if len(self.records) >= self.ctx.settings.load_records:
            self.flush()

    def flush(self) -> None:
        records = self.records
        if self.fresh_only:
            records = fresh(self.ctx, self.stream, records)
        given = self.links or None  # the pages carried the associations
        load_records(self.ctx, self.stream, records, self.result, given)
        if self.resume is not None:
            save_state(self.ctx, self.stream, self.resume)
        self.records, self.links, self.resume = [], {}, None


def fresh(ctx: StreamContext, stream: Stream, records: list[Json]) -> list[Json]:
    """The records the store does not already hold as they are (same id, same stamp)."""
    stamps = [(str(r["id"]), stamp(r, stream)) for r in records]
    entity = ENTITY_BY_NAME[stream.entity]
    same = unchanged_ids(ctx.store, source=ctx.source, entity=entity,
                         stamps=[s for s in stamps if s[1]])  # fmt: skip
    ctx.records_unchanged += len(same)
    ctx.records_read += len(same)
    return [r for r in records if str(r["id"]) not in same]


def load_records(
    ctx: StreamContext,
    stream: Stream,
    records: list[Json],
    result: IngestResult,
    links: Links | None = None,
) -> None:
    """Keep records of a stream as HubSpot sent them (their associations read unless
    given), then derive their normalized records."""
    if not records:
        return
    ctx.records_read += len(records)
    ids = [str(r["id"]) for r in records]
    if links is None:
        links = {to: ctx.api.associations(stream.object, to, ids) for to in targets(stream)}
    ctx.stages = ctx.catalog.stages_for(ctx.stages, stream.deal_stages, records)
    raw = ctx.raw(stream)
    upsert_raw(ctx.store, raw, raw_fields(stream), raw_rows(stream, records, links))
    loaded = derive(ctx.store, raw, derivation(stream, ctx.stages, ctx.value_maps), ctx.opts, ids)
    result.loaded += loaded.loaded
    result.quarantined += loaded.quarantined
    result.findings += loaded.findings
    result.deleted += loaded.deleted
    ctx.say(f"{stream.object}: {result.loaded:,} records")


def targets(stream: Stream) -> list[str]:
    """The object types a stream's associations point at."""
    return sorted(set(stream.associations.values()))
