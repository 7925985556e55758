"""Which engagement streams one recent-engagements call can vouch for (no sandbox)."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest

from connector.crms.config import shipped_mapping
from connector.crms.hubspot.config import Pull
from connector.crms.hubspot.context import StreamContext
from connector.crms.hubspot.mapping import load_mapping
from connector.crms.hubspot.paging import SearchCursor
from connector.crms.hubspot.probe import RECENT_MS, quiet_engagements
from connector.store import Store

STREAMS = load_mapping(shipped_mapping("hubspot.yaml")).streams
NOW = 10 * RECENT_MS


class Api:
    """Answers one recent-engagements page and remembers what it was asked."""

    def __init__(self, page: dict[str, Any]) -> None:
        self.page, self.asked = page, []  # type: ignore[var-annotated]
        self.transport = SimpleNamespace(server_ms=NOW)

    def recent_engagements(self, since_ms: int, count: int) -> dict[str, Any]:
        self.asked.append((since_ms, count))
        return self.page


def context(store: Store, api: Api) -> StreamContext:
    unused: Any = None
    return StreamContext(store, "hs", api, unused, unused, unused, Pull())  # type: ignore[arg-type]


def changes(*pairs: tuple[str, int], more: bool = False) -> dict[str, Any]:
    results = [{"engagement": {"type": kind, "lastUpdated": ms}} for kind, ms in pairs]
    return {"results": results, "hasMore": more}


@pytest.fixture
def store() -> Any:
    with Store(":memory:") as s:
        at = NOW - 1000
        states = {"calls": SearchCursor(at, inclusive=False),
                  "emails": SearchCursor(at + 500),
                  "meetings": SearchCursor(at, pinned=True, after_id=7)}  # fmt: skip
        for obj, cursor in states.items():
            s.set_state("hs", f"activities:{obj}", {"phase": "incremental",
                                                     "cursor": cursor.as_state()})  # fmt: skip
        s.set_state("hs", "activities:tasks", {"phase": "full", "after": "100"})
        yield s


def test_one_call_from_the_earliest_cursor_vouches_for_the_quiet_types(store: Store) -> None:
    api = Api(changes(("CALL", NOW - 1000), ("EMAIL", NOW - 501), ("NOTE", NOW)))
    assert quiet_engagements(context(store, api), STREAMS) == {"calls", "emails"}
    assert api.asked == [(NOW - 1000, 100)]  # after the call cursor's last change


def test_a_change_at_or_after_a_cursor_is_searched(store: Store) -> None:
    page = changes(("INCOMING_EMAIL", NOW - 500), ("CALL", NOW - 999))
    assert quiet_engagements(context(store, Api(page)), STREAMS) == set()


def test_an_answer_that_is_not_whole_vouches_for_nothing(store: Store) -> None:
    assert quiet_engagements(context(store, Api(changes(more=True))), STREAMS) == set()


def test_a_cursor_older_than_the_window_asks_nothing(store: Store) -> None:
    old = {"phase": "incremental", "cursor": SearchCursor(NOW - RECENT_MS - 10).as_state()}
    store.set_state("hs", "activities:calls", old)
    api = Api(changes())
    assert quiet_engagements(context(store, api), STREAMS) == set()
    assert api.asked == []


def test_a_window_not_yet_due_is_asked_only_after_its_newest_change(store: Store) -> None:
    """Right after a change set the stretch before the last search cannot be settled yet:
    what changed after the newest change read is all such a stream looks for."""
    stretch = {"phase": "incremental", "cursor": SearchCursor(NOW - 50_000).as_state(),
               "seen": NOW - 2000}
    just_now = {"server": NOW - 1000, "local": int(time.time() * 1000)}
    store.set_state("hs", "activities:calls", {**stretch, "checked": just_now})
    store.set_state("hs", "activities:emails", {**stretch, "checked": {**just_now, "local": 0}})
    api = Api(changes(("EMAIL", NOW - 30_000), ("CALL", NOW - 30_000)))
    assert quiet_engagements(context(store, api), STREAMS) == {"calls"}
    assert api.asked == [(NOW - 50_001, 100)]  # the emails' stretch is due: from its start
