"""Purged records: HubSpot forgets a record for good when its 90 days in the recycle bin
end, when a user deletes it for good from there, or on a GDPR delete; from then on no
listing, live or archived, shows it, and the store would count it forever.

Every `pull.purge_check_every_hours` (a week by default) the ids HubSpot still has are
read per entity (the id alone, by search in id order, 200 a call; with `pull.exports`,
an export of the id alone, two calls an object) and every record the store holds beyond
them is marked deleted. A listing shorter than HubSpot's count of the object, before and
after it, marks nothing (a lost page must never delete records) and is tried again by the
next run. Search lags behind writes, so a record changed within `overlap_seconds` before
the check began is never marked deleted by it (the next check sees it). A new install
starts its week at its first pull, which read every record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from connector.crms.hubspot.constants import OBJECT_ID_PROPERTY
from connector.crms.hubspot.context import StreamContext
from connector.crms.hubspot.exports import export_ids
from connector.crms.hubspot.full import expected_count, server_count
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.paging import id_pages
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
    began = ctx.api.transport.server_ms  # HubSpot's clock, from this run's pull
    if not all(_list_live_ids(ctx, stream) for stream in members):
        return 0
    began = began or ctx.api.transport.server_ms or 0
    settled = dt.datetime.fromtimestamp(max(began - ctx.overlap_ms, 0) / 1000, dt.UTC)
    deleted = mark_unseen_deleted(ctx.store, source=ctx.source, entity=entity,
                                  modified_before=settled.replace(tzinfo=None))  # fmt: skip
    _mark_checked(ctx, members, now)
    ctx.say(f"{entity}: {deleted:,} records HubSpot no longer has marked deleted")
    return deleted


def _list_live_ids(ctx: StreamContext, stream: Stream) -> bool:
    """Note the ids HubSpot has of `stream`; False when the listing falls short of
    HubSpot's count before and after it (records archived meanwhile lower both)."""
    listed, before = 0, None

    def note(ids: list[str]) -> None:
        nonlocal listed
        listed += len(ids)
        remember_seen(ctx.store, stream.entity, ids)

    exported = False
    if ctx.settings.exports:
        before = server_count(ctx, stream)  # what the export must hold at least
        exported = export_ids(ctx, stream, note)
    if not exported:
        patience = ctx.patience(stream)
        pages = id_pages(lambda body: ctx.api.search(stream.object, body),
                         [OBJECT_ID_PROPERTY], 0, patience)  # fmt: skip
        for page, _ in pages:
            if listed == 0:
                before = int(page["total"]) if "total" in page else before
            note([str(record["id"]) for record in page["results"]])
        if patience.gave_up:
            ctx.say(f"{stream.object}: the search index lags; purged records are checked "
                    "again next run")  # fmt: skip
            return False
    expected = expected_count(ctx, stream, listed, before)
    if expected is not None and listed >= expected:
        return True
    ctx.say(f"{stream.object}: listed {listed:,} ids but HubSpot counts "
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
