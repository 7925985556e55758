"""Where a stream's next incremental search starts: the overlap, and when it is due.

HubSpot's search index lags behind writes, so what changed within `overlap_seconds`
before a search may not have been in it yet: that stretch is searched once more. Once
more is enough only when that search comes `overlap_seconds` after the one it checks
(then everything the first could miss is indexed). A run sooner than that (right after a
change set) cannot settle the stretch, so it does not try: it searches only what changed
after the newest change already read, and leaves the stretch to the next run that can
settle it. An unchanged portal right after a change set therefore costs one search per
object, like any unchanged night; the stretch is read once, later, and what it holds that
the store already has is not written again (context.py).

State: `cursor` (the next settling search starts here), `seen` (the newest stamp read;
`[cursor, seen]` awaits its settling search; None: nothing awaits), `checked` (HubSpot's
clock, and this machine's, when that stretch was last searched whole).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from connector.crms.hubspot.paging import SearchCursor

Json = dict[str, Any]


@dataclass(frozen=True)
class Window:
    """A stream's incremental position (see the module's docstring)."""

    cursor: SearchCursor
    seen: int | None = None
    checked_server: int | None = None
    checked_local: int | None = None

    @classmethod
    def from_state(cls, state: Json) -> Window:
        checked = state.get("checked") or {}
        seen = state.get("seen")
        return cls(SearchCursor.from_state(state["cursor"]), None if seen is None else int(seen),
                   checked.get("server"), checked.get("local"))  # fmt: skip

    def as_state(self) -> Json:
        state: Json = {"phase": "incremental", "cursor": self.cursor.as_state()}
        if self.seen is not None:
            state["seen"] = self.seen
            state["checked"] = {"server": self.checked_server, "local": self.checked_local}
        return state

    def due(self, overlap_ms: int, server_ms: int | None, local_ms: int | None = None) -> bool:
        """Whether a search now can settle the stretch: `overlap_ms` have passed since it
        was searched whole, by this machine's clock or by HubSpot's (`server_ms`, from an
        earlier answer of this run: it runs at the same pace, and may have moved)."""
        if self.seen is None or self.cursor.pinned or self.checked_local is None:
            return True
        local = int(time.time() * 1000) if local_ms is None else local_ms
        passed = local - int(self.checked_local)
        if server_ms is not None and self.checked_server is not None:
            passed = max(passed, server_ms - int(self.checked_server))
        return passed >= overlap_ms

    def start(
        self, overlap_ms: int, server_ms: int | None, local_ms: int | None = None
    ) -> tuple[SearchCursor, bool]:
        """(where this run's search starts, whether it settles the stretch)."""
        if self.seen is None or self.due(overlap_ms, server_ms, local_ms):
            return self.cursor, True
        return SearchCursor(self.seen, inclusive=False), False

    def first_unread(
        self, overlap_ms: int, server_ms: int | None, local_ms: int | None = None
    ) -> int | None:
        """The first millisecond this run's search would read; None while it walks one
        timestamp by id (it must go on whatever changed)."""
        cursor, _ = self.start(overlap_ms, server_ms, local_ms)
        if cursor.pinned:
            return None
        return cursor.ts if cursor.inclusive else cursor.ts + 1

    def after_deferred(self, newest: int) -> Window:
        """The window after a search of what changed after `seen` read up to `newest` (the
        stretch still awaits its settling search)."""
        return Window(self.cursor, max(self.seen or 0, newest), self.checked_server,
                      self.checked_local)  # fmt: skip


def settled_window(last_ms: int, server_ms: int | None, local_ms: int, overlap_ms: int) -> Window:
    """The window after a search that read changes up to `last_ms`, whole, when HubSpot's
    clock read `server_ms` (this machine's `local_ms`): what changed within the overlap
    before it awaits one more search; a portal quiet since then starts strictly after its
    last change and reads nothing twice."""
    cursor = next_start(last_ms, server_ms, overlap_ms)
    if not cursor.inclusive:
        return Window(cursor)
    return Window(cursor, max(last_ms, cursor.ts), server_ms, local_ms)


def next_start(last_ms: int, server_ms: int | None, overlap_ms: int) -> SearchCursor:
    """Where the next settling search starts, after one that saw changes up to `last_ms`
    when HubSpot's clock read `server_ms`.

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


def read_before(resume: SearchCursor) -> int:
    """The newest millisecond read whole when a search would resume at `resume`."""
    return resume.ts - 1 if resume.inclusive or resume.pinned else resume.ts
