"""Hard deletes: records purged from the recycle bin never show in queryAll, so the Ids
the org still has are compared with the store's, per entity, now and then.

An entity is reconciled when every stream feeding it either was just pulled whole (its
Ids are known for free) or is due (its Ids are queried, a cheap Id-only query).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from connector.crms.salesforce import soql
from connector.crms.salesforce.mapping import Stream
from connector.crms.salesforce.paging import query_pages
from connector.crms.salesforce.state import StreamState, utc_now_iso
from connector.crms.salesforce.streams import StreamPuller
from connector.schema import ENTITY_BY_NAME
from connector.store import IngestResult
from connector.store.staging import forget_seen, mark_unseen_deleted, remember_seen


def reconcile(puller: StreamPuller, streams: list[Stream]) -> list[IngestResult]:
    """Mark deleted what the org no longer has, for every entity whose turn it is."""
    every = dt.timedelta(hours=puller.settings.reconcile_every_hours)
    now = dt.datetime.now(dt.UTC)
    by_entity: dict[str, list[Stream]] = defaultdict(list)
    for stream in streams:
        by_entity[stream.entity].append(stream)
    results = []
    try:
        for entity, members in by_entity.items():
            states = {s.object: _state(puller, s) for s in members}
            pulled = {s.object for s in members if _key(s) in puller.full_ids}
            due = [s for s in members if s.object not in pulled]
            if any(not states[s.object].reconcile_due(every, now) for s in due):
                continue
            for stream in due:
                _query_ids(puller, stream)
                states[stream.object].last_reconcile = utc_now_iso()
                states[stream.object].save(puller.store, puller.source, _key(stream))
            result = _mark_missing(puller, entity)
            if result.deleted:
                results.append(result)
    finally:
        forget_seen(puller.store)
    return results


def _key(stream: Stream) -> str:
    return f"{stream.entity}:{stream.object}"


def _state(puller: StreamPuller, stream: Stream) -> StreamState:
    return StreamState.load(puller.store, puller.source, _key(stream))


def _query_ids(puller: StreamPuller, stream: Stream) -> None:
    transport = puller.transport
    query = soql.select(stream.object, ["Id"], cursor_field=stream.cursor, since=None)
    known = puller.store.count(ENTITY_BY_NAME[stream.entity].table, source=puller.source)
    if known > puller.settings.bulk_threshold:
        query = soql.select(
            stream.object, ["Id"], cursor_field=stream.cursor, since=None, order=False
        )
        pages = transport.bulk_pages(stream.object, query)
        key = "id"
    else:
        pages = query_pages(transport, query)
        key = "Id"
    for page in pages:
        remember_seen(puller.store, stream.entity, [str(r[key]) for r in page])


def _mark_missing(puller: StreamPuller, entity: str) -> IngestResult:
    deleted = mark_unseen_deleted(puller.store, source=puller.source, entity=entity)
    return IngestResult(source=puller.source, entity=entity, deleted=deleted, origins=["reconcile"])
