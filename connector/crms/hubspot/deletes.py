"""Purged records: HubSpot forgets a record for good when its 90 days in the recycle bin
end, when a user deletes it for good from there, or on a GDPR delete; from then on no
listing, live or archived, shows it, and the store would count it forever.

Every `pull.purge_check_every_hours` (a week by default) the ids HubSpot still has are
listed per entity (the id alone, 100 a call; with `pull.exports`, an export of the id
alone, two calls an object) and every record the store holds beyond them is marked
deleted. A listing shorter than HubSpot's count of the object, before and
after it, marks nothing (a lost page must never delete records) and is tried again by the
next run. A new install starts its week at its first pull, which read every record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.exports import export_ids
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import list_pages
from connector.crms.hubspot.streams import Json, StreamContext, expected_count, server_newest
from connector.store import IngestResult
from connector.store.staging import forget_seen, mark_unseen_deleted, remember_seen


def reconcile_purged(ctx: StreamContext, streams: list[Stream]) -> list[IngestResult]:
    """Mark deleted what HubSpot no longer has, for every entity whose check is due."""
    by_entity: dict[str, list[Stream]] = defaultdict(list)
    for stream in streams:
        by_entity[stream.entity].append(stream)
    now = dt.datetime.now(dt.UTC)
    results = []
    forget_seen(ctx.store)
    try:
        for entity, members in by_entity.items():
            deleted = _reconcile(ctx, entity, members, now)
            if deleted:
                results.append(IngestResult(source=ctx.source, entity=entity,
                                            deleted=deleted, origins=["purged"]))  # fmt: skip
    finally:
        forget_seen(ctx.store)
    return results


def _reconcile(ctx: StreamContext, entity: str, members: list[Stream], now: dt.datetime) -> int:
    """How many records of `entity` were marked deleted (0 when not due)."""
    checked = [_checked_at(ctx, stream) for stream in members]
    if all(at is None for at in checked):
        _mark_checked(ctx, members, now)  # a new install: its first pull read every record
        return 0
    every = dt.timedelta(hours=ctx.settings.purge_check_every_hours)
    if any(at is not None and now - at < every for at in checked):
        return 0
    if not all(_list_live_ids(ctx, stream) for stream in members):
        return 0
    deleted = mark_unseen_deleted(ctx.store, source=ctx.source, entity=entity)
    _mark_checked(ctx, members, now)
    if ctx.progress is not None:
        ctx.progress(f"{entity}: {deleted:,} records HubSpot no longer has marked deleted")
    return deleted


def _list_live_ids(ctx: StreamContext, stream: Stream) -> bool:
    """Note the ids HubSpot has of `stream`; False when the listing falls short of
    HubSpot's count before and after it (records archived meanwhile lower both)."""
    before = server_newest(ctx, stream)[1]
    listed = 0

    def note(ids: list[str]) -> None:
        nonlocal listed
        listed += len(ids)
        remember_seen(ctx.store, stream.entity, ids)

    def fetch(after: str | None) -> Json:
        return ctx.api.list_page(stream.object, [OBJECT_ID_PROPERTY], after)

    if not (ctx.settings.exports and export_ids(ctx, stream, note)):
        for page, _ in list_pages(fetch):
            note([str(record["id"]) for record in page["results"]])
    expected = expected_count(ctx, stream, listed, before)
    if expected is not None and listed >= expected:
        return True
    if ctx.progress is not None:
        ctx.progress(f"{stream.object}: listed {listed:,} ids but HubSpot counts "
                     f"{'none' if expected is None else f'{expected:,}'}; purged records "
                     "are checked again next run")  # fmt: skip
    return False


def _key(stream: Stream) -> str:
    return f"{stream.key}:purged"


def _checked_at(ctx: StreamContext, stream: Stream) -> dt.datetime | None:
    at = (ctx.store.get_state(ctx.source, _key(stream)) or {}).get("at")
    return dt.datetime.fromisoformat(at) if at else None


def _mark_checked(ctx: StreamContext, members: list[Stream], now: dt.datetime) -> None:
    for stream in members:
        ctx.store.set_state(ctx.source, _key(stream), {"at": now.isoformat()})
