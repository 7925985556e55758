"""Paginators without HTTP: list loops, and search past the 10,000 cap without looping."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from types import SimpleNamespace
from typing import Any

import pytest

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.constants import SEARCH_PAGE_SIZE, SEARCH_RESULT_CAP
from connector.crms.hubspot.paging import (
    SearchCursor,
    list_pages,
    next_cursor,
    search_pages,
)
from connector.crms.hubspot.window import next_start
from connector.errors import FatalError

PROP = "hs_lastmodifieddate"


class FakeSearch:
    """HubSpot search semantics over (id, ts) pairs: filters, one sort, the 10,000 cap."""

    def __init__(self, records: list[tuple[int, int]], next_at_cap: bool = True) -> None:
        self.next_at_cap = next_at_cap
        # Ties on the timestamp keep an arbitrary (here: reversed id) order, as HubSpot's do.
        self.by_ts = sorted(records, key=lambda r: (r[1], -r[0]))
        self.stamps = [ts for _, ts in self.by_ts]
        self.calls = 0

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        assert self.calls < 10_000, "search loops"
        rows = self._matching(body["filterGroups"][0]["filters"])
        offset = int(body.get("after") or 0)
        if offset + body["limit"] > SEARCH_RESULT_CAP:
            raise AssertionError(f"search refused: after={offset} is past the cap")
        page = rows[offset : offset + body["limit"]]
        out: dict[str, Any] = {
            "total": len(rows),
            "results": [
                {"id": str(i), "properties": {PROP: str(ts), "hs_object_id": str(i)}}
                for i, ts in page
            ],
        }
        end = offset + body["limit"]
        if end < len(rows) and (self.next_at_cap or end < SEARCH_RESULT_CAP):
            out["paging"] = {"next": {"after": str(offset + body["limit"])}}
        return out

    def _matching(self, filters: list[dict[str, str]]) -> list[tuple[int, int]]:
        ts_filter = next(f for f in filters if f["propertyName"] == PROP)
        value = int(ts_filter["value"])
        if ts_filter["operator"] == "EQ":
            lo, hi = bisect_left(self.stamps, value), bisect_right(self.stamps, value)
            after_id = int(next(f for f in filters if f is not ts_filter)["value"])
            return sorted(r for r in self.by_ts[lo:hi] if r[0] > after_id)
        cut = bisect_left if ts_filter["operator"] == "GTE" else bisect_right
        return self.by_ts[cut(self.stamps, value) :]


def _pull(
    records: list[tuple[int, int]], since: int = 0, next_at_cap: bool = True
) -> tuple[set[int], FakeSearch, SearchCursor]:
    fake = FakeSearch(records, next_at_cap)
    seen: set[int] = set()
    last = SearchCursor(since)
    for results, cursor in search_pages(fake, PROP, [PROP], SearchCursor(since)):
        seen.update(int(r["id"]) for r in results)
        last = cursor
    return seen, fake, last


def test_search_under_the_cap_is_one_query() -> None:
    records = [(i, 1000 + i) for i in range(1, 951)]
    seen, fake, last = _pull(records)
    assert seen == {i for i, _ in records}
    assert fake.calls == 5  # ceil(950 / 200)
    assert last == SearchCursor(1950, inclusive=True)


def test_search_continues_past_the_cap_on_distinct_timestamps() -> None:
    records = [(i, 1000 + i // 3) for i in range(1, 25_001)]
    seen, fake, _ = _pull(records)
    assert seen == {i for i, _ in records}
    assert fake.calls < 25_000 // SEARCH_PAGE_SIZE + 20


@pytest.mark.parametrize("next_at_cap", [True, False])
def test_more_than_10000_records_sharing_one_timestamp_do_not_loop(next_at_cap: bool) -> None:
    # A bulk update stamps 23,456 records alike, between ordinary records.
    records = [(i, 500 + i) for i in range(1, 101)]
    records += [(i, 7_000) for i in range(101, 23_557)]
    records += [(i, 8_000 + i) for i in range(23_557, 23_700)]
    seen, fake, last = _pull(records, next_at_cap=next_at_cap)
    assert seen == {i for i, _ in records}
    assert last.ts == max(ts for _, ts in records)
    assert fake.calls < 175  # 119 pages, plus the capped window's last timestamp again by id


def test_a_capped_window_at_one_timestamp_pins_it_and_walks_by_id() -> None:
    start = SearchCursor(7_000)
    pinned = next_cursor(start, 7_000, 12_345, exhausted=False)
    assert pinned == SearchCursor(7_000, pinned=True, after_id=0)
    later = next_cursor(start, 7_500, 12_345, exhausted=False)
    assert later == SearchCursor(7_500, pinned=True, after_id=0)
    walked = next_cursor(pinned, 7_000, 20_000, exhausted=False)
    assert walked == SearchCursor(7_000, pinned=True, after_id=20_000)
    assert next_cursor(walked, 7_000, 30_000, exhausted=True) == SearchCursor(
        7_000, inclusive=False
    )
    assert next_cursor(SearchCursor(7_000), 9_000, 1, exhausted=True) is None


def test_a_cursor_that_cannot_move_is_an_error_not_a_loop() -> None:
    stuck = SearchCursor(7_000, pinned=True, after_id=500)
    with pytest.raises(FatalError, match="refusing to loop"):
        next_cursor(stuck, 7_000, 500, exhausted=False)


def test_list_pages_stop_on_a_repeated_cursor() -> None:
    def fetch(after: str | None) -> dict[str, Any]:
        return {"results": [], "paging": {"next": {"after": "100"}}}

    with pytest.raises(FatalError, match="loops"):
        list(list_pages(fetch))


def test_list_pages_follow_after_to_the_end() -> None:
    pages = {None: "2", "2": "3", "3": None}

    def fetch(after: str | None) -> dict[str, Any]:
        nxt = pages[after]
        return {"results": [after], "paging": {"next": {"after": nxt}} if nxt else {}}

    assert [a for _, a in list_pages(fetch)] == ["2", "3", None]


def test_the_next_search_starts_after_a_quiet_portals_last_change() -> None:
    minute = 60_000
    # Quiet since its last change, long before the search: strictly after it.
    assert next_start(1_000_000, 1_000_000 + 60 * minute, minute) == SearchCursor(
        1_000_000, inclusive=False)  # fmt: skip
    # Changes within the overlap before the search may not be indexed: search them again.
    server = 1_000_000 + 30_000
    assert next_start(1_000_000, server, minute) == SearchCursor(server - minute)
    # Without HubSpot's clock, the overlap before the last change.
    assert next_start(1_000_000, None, minute) == SearchCursor(1_000_000 - minute)


class RepeatedAssociationCursor:
    """A v4 batch read that answers one record's next page with the cursor just sent."""

    def __init__(self) -> None:
        self.calls = 0

    def call(self, *args: Any, **kwargs: Any) -> SimpleNamespace:
        self.calls += 1
        assert self.calls < 10, "association reads loop"
        result = {"from": {"id": "7"}, "to": [{"toObjectId": 5 + self.calls}],
                  "paging": {"next": {"after": "MC0xLTU%3D"}}}  # fmt: skip
        return SimpleNamespace(body={"results": [result]})


def test_association_pages_that_repeat_their_cursor_stop_instead_of_looping() -> None:
    transport = RepeatedAssociationCursor()
    api = HubSpotApi(transport, max_url_chars=6000)  # type: ignore[arg-type]
    with pytest.raises(FatalError, match="refusing to loop"):
        api.associations("deals", "contacts", ["7"])
    assert transport.calls == 2  # the first page, then its after once
