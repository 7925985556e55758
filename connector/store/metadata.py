"""CRM metadata kept between runs (describes, properties, owners, pipelines), so a nightly
run revalidates it instead of reading it again.

One row per (source, key): the body as the CRM gave it (JSON), the validators it came
with (`Last-Modified`, `ETag`) when the CRM gives any, and when it was fetched and last
confirmed current. What to revalidate, and how, is each CRM folder's call.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from connector.store.db import Store

_DDL = """CREATE TABLE IF NOT EXISTS metadata_cache (
    source VARCHAR, key VARCHAR, body VARCHAR, last_modified VARCHAR, etag VARCHAR,
    fetched_at TIMESTAMP, checked_at TIMESTAMP, PRIMARY KEY (source, key))"""


@dataclass(frozen=True)
class Cached:
    """One cached piece of metadata."""

    key: str
    body: Any
    last_modified: str | None
    etag: str | None
    fetched_at: dt.datetime
    checked_at: dt.datetime

    def age(self, now: dt.datetime | None = None) -> dt.timedelta:
        """Time since the CRM last confirmed it (fetched or revalidated)."""
        return (now or _now()) - self.checked_at


def cached_metadata(store: Store, source: str, prefix: str = "") -> dict[str, Cached]:
    """Every cached entry of `source` whose key starts with `prefix`, by key."""
    store.execute(_DDL)
    rows = store.fetch(
        "SELECT key, body, last_modified, etag, fetched_at, checked_at FROM metadata_cache "
        "WHERE source = ? AND starts_with(key, ?)",
        [source, prefix],
    )
    return {r[0]: Cached(r[0], json.loads(r[1]), r[2], r[3], _aware(r[4]), _aware(r[5]))
            for r in rows}  # fmt: skip


def save_metadata(
    store: Store,
    source: str,
    key: str,
    body: Any,
    *,
    last_modified: str | None = None,
    etag: str | None = None,
) -> None:
    """Keep a freshly fetched entry (replacing the previous one)."""
    store.execute(_DDL)
    now = _now().replace(tzinfo=None)
    store.execute(
        "INSERT OR REPLACE INTO metadata_cache VALUES (?, ?, ?, ?, ?, ?, ?)",
        [source, key, json.dumps(body, separators=(",", ":")), last_modified, etag, now, now],
    )


def confirm_metadata(store: Store, source: str, keys: list[str]) -> None:
    """Note that the CRM confirmed these entries current (a 304, or no change seen)."""
    if not keys:
        return
    store.execute(_DDL)
    store.execute(
        "UPDATE metadata_cache SET checked_at = ? WHERE source = ? AND list_contains(?, key)",
        [_now().replace(tzinfo=None), source, keys],
    )


def forget_metadata(store: Store, source: str, prefix: str = "") -> None:
    """Drop cached entries (all of `source`, or those whose key starts with `prefix`)."""
    store.execute(_DDL)
    store.execute(
        "DELETE FROM metadata_cache WHERE source = ? AND starts_with(key, ?)", [source, prefix]
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
