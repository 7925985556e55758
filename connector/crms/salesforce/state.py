"""Sync state of one stream: the cursor, the resume point of a pull in progress, when hard
deletes were last reconciled, and where the next pull starts. Kept in the store
(`Store.set_state`).

The next pull reads every record whose cursor is at or after `settled`: the org's own
"every change before this is visible" time (getUpdated's `latestDateCovered`) minus the
overlap, as the previous pull saw it before its queries ran. It reads again only what
changed within the overlap before the previous pull (late commits land there), not the
last changes before the cursor, which an org quiet for hours would otherwise hand over
again every night.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from connector.store import Store


def parse_ts(value: str | None) -> dt.datetime | None:
    """A Salesforce or ISO timestamp (``...000+0000`` or ``...Z``) as aware UTC."""
    if not value:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def utc_now_iso() -> str:
    """Now, as an ISO timestamp in UTC."""
    return dt.datetime.now(dt.UTC).isoformat()


def later(a: str | None, b: str | None) -> str | None:
    """The later of two timestamps (either may be missing)."""
    pa, pb = parse_ts(a), parse_ts(b)
    if pa is None or pb is None:
        return a or b
    return a if pa >= pb else b


@dataclass
class StreamState:
    """What is remembered about one stream between (and during) runs."""

    cursor: str | None = None  # highest cursor value loaded by a finished pull
    resume: str | None = None  # cursor of the last checkpoint of an unfinished pull
    resume_full: bool = False  # the unfinished pull was a full one
    last_reconcile: str | None = None
    settled: str | None = None  # the next pull starts here (see the module's docstring)

    @classmethod
    def load(cls, store: Store, source: str, key: str) -> StreamState:
        return cls.from_saved(store.get_state(source, key) or {})

    @classmethod
    def from_saved(cls, saved: dict[str, Any]) -> StreamState:
        """The state as `save` kept it."""
        return cls(
            cursor=saved.get("cursor"),
            resume=saved.get("resume"),
            resume_full=bool(saved.get("resume_full", False)),
            last_reconcile=saved.get("last_reconcile"),
            settled=saved.get("settled"),
        )

    def save(self, store: Store, source: str, key: str) -> None:
        store.set_state(source, key, dict(self.__dict__))

    def since(self, overlap: dt.timedelta) -> tuple[dt.datetime | None, bool]:
        """(lower bound of the next query, whether it is a full pull).

        Without a settled time (an org that gave none), the next pull starts `overlap`
        before the cursor and reads that window again."""
        if self.resume is not None:
            return parse_ts(self.resume), self.resume_full
        cursor = parse_ts(self.cursor)
        if cursor is None:
            return None, True
        settled = parse_ts(self.settled)
        return (cursor - overlap if settled is None else settled), False

    def reconcile_due(self, every: dt.timedelta, now: dt.datetime) -> bool:
        last = parse_ts(self.last_reconcile)
        return last is None or now - last >= every
