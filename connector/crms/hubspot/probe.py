"""Which engagement streams changed since their cursors, in one call instead of a search
each.

HubSpot's search covers one object type a call, so an unchanged portal costs one search
per stream. Calls, emails, meetings and tasks are all engagements, and the legacy
engagements API lists the recently updated ones of every type in one call
(`GET /engagements/v1/engagements/recent/modified?since=…&count=100`, newest first, only
the last 30 days, `hasMore` past `count`; scope `crm.objects.contacts.read`, which reading
those objects needs anyway). `lastUpdated` there is the record's `hs_lastmodifieddate`.
The answer is trusted only when it is whole: no more than 100 changes, every cursor within
29 days; otherwise, or when the call is refused, every stream is searched as before. A
stream found quiet keeps its cursor, so a change the legacy index had not yet seen is found
by the next run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from connector.crms.hubspot.context import StreamContext
from connector.crms.hubspot.errors import HubSpotApiError, MissingScope
from connector.crms.hubspot.mapping import Stream
from connector.crms.hubspot.window import Window

ENGAGEMENT_TYPES = {
    "CALL": "calls",
    "EMAIL": "emails",
    "INCOMING_EMAIL": "emails",
    "FORWARDED_EMAIL": "emails",
    "MEETING": "meetings",
    "TASK": "tasks",
}
CURSOR = "hs_lastmodifieddate"
PROBE_COUNT = 100  # the endpoint's most per call
RECENT_MS = 29 * 86_400_000  # it serves the last 30 days: a day's margin


class EngagementProbe:
    """Asked per stream; makes its one call when the first engagement stream comes, after
    the other streams' searches have told HubSpot's clock (its `Date`)."""

    def __init__(self, ctx: StreamContext, streams: list[Stream]) -> None:
        self.ctx, self.streams = ctx, streams
        self._quiet: set[str] | None = None

    def quiet(self, stream: Stream) -> bool:
        """Whether `stream` is known unchanged since its cursor."""
        if stream.object not in ENGAGEMENT_TYPES.values():
            return False
        if self._quiet is None:
            self._quiet = quiet_engagements(self.ctx, self.streams)
        return stream.object in self._quiet


def quiet_engagements(ctx: StreamContext, streams: Iterable[Stream]) -> set[str]:
    """Engagement objects with no change since their streams' cursors, told by one call;
    empty when one call cannot tell (then every stream is searched)."""
    firsts = _first_unread(ctx, streams)
    if len(firsts) < 2:  # one stream: its own search costs the same call
        return set()
    since = min(firsts.values()) - 1  # the endpoint serves what changed after `since`
    now = ctx.api.transport.server_ms or int(time.time() * 1000)
    if now - since > RECENT_MS:
        return set()
    try:
        page = ctx.api.recent_engagements(since, PROBE_COUNT)
    except (HubSpotApiError, MissingScope) as exc:
        if ctx.progress:
            ctx.progress(f"engagements: recent changes not readable ({exc}); searching each")
        return set()
    if page.get("hasMore"):
        return set()
    changed = set()
    for item in page["results"]:
        engagement = item.get("engagement") or {}
        obj = ENGAGEMENT_TYPES.get(str(engagement.get("type")))
        if obj in firsts and int(engagement.get("lastUpdated") or 0) >= firsts[obj]:
            changed.add(obj)
    return set(firsts) - changed


def _first_unread(ctx: StreamContext, streams: Iterable[Stream]) -> dict[str, int]:
    """Per engagement object, the first millisecond its search would read in this run
    (the earliest over its streams: window.py); objects with a stream not yet
    incremental, paging a pinned timestamp or on another cursor are left out: they are
    searched."""
    firsts: dict[str, int] = {}
    excluded: set[str] = set()
    for stream in streams:
        if stream.object not in ENGAGEMENT_TYPES.values():
            continue
        state = ctx.store.get_state(ctx.source, stream.key) or {}
        if stream.cursor != CURSOR or state.get("phase") != "incremental":
            excluded.add(stream.object)
            continue
        window = Window.from_state(state)
        first = window.first_unread(ctx.overlap_ms, ctx.api.transport.server_ms)
        if first is None:
            excluded.add(stream.object)
            continue
        firsts[stream.object] = min(first, firsts.get(stream.object, first))
    return {obj: first for obj, first in firsts.items() if obj not in excluded}
