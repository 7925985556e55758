"""Without HTTP: every record by id past the 10,000 cap, the incremental window (what a run
right after a change set searches), inline associations cut off, and the way chosen."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from connector.crms.config import shipped_mapping
from connector.crms.hubspot.config import Pull
from connector.crms.hubspot.constants import SEARCH_RESULT_CAP
from connector.crms.hubspot.full import calls_by_list, calls_by_search, inline_links
from connector.crms.hubspot.mapping import load_mapping
from connector.crms.hubspot.paging import Patience, SearchCursor, id_pages
from connector.crms.hubspot.window import Window, read_before, settled_window
from connector.errors import FatalError

MAPPING = load_mapping(shipped_mapping("hubspot.yaml"))
MINUTE = 60_000


class IdSearch:
    """HubSpot search over ids: `hs_object_id > x`, sorted by id, offsets, the cap."""

    def __init__(self, ids: list[int], lag: int = 0, stuck: bool = False) -> None:
        self.ids, self.lag, self.stuck, self.bodies = sorted(ids), lag, stuck, []
        self.calls = 0

    def __call__(self, body: dict[str, Any]) -> dict[str, Any]:
        self.calls += 1
        self.bodies.append(body)
        assert self.calls < 1000, "search loops"
        (flt,) = body["filterGroups"][0]["filters"]
        assert (flt["propertyName"], flt["operator"]) == ("hs_object_id", "GT")
        assert body["sorts"] == [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        after_id = 0 if self.stuck else int(flt["value"])
        rows = [i for i in self.ids if i > after_id]
        if self.lag:
            self.lag -= 1
            return {"total": len(rows), "results": []}
        offset = int(body.get("after") or 0)
        assert offset + body["limit"] <= SEARCH_RESULT_CAP, "paged past the cap"
        page = rows[offset : offset + body["limit"]]
        out: dict[str, Any] = {"total": len(rows), "results": [{"id": str(i)} for i in page]}
        if offset + len(page) < min(len(rows), SEARCH_RESULT_CAP):
            out["paging"] = {"next": {"after": str(offset + len(page))}}
        return out


def read_all(fake: IdSearch, after_id: int = 0) -> list[int]:
    got: list[int] = []
    for page, last in id_pages(fake, ["hs_object_id"], after_id, Patience(sleep=lambda _: None)):
        got += [int(r["id"]) for r in page["results"]]
        assert last == (got[-1] if got else after_id)
    return got


def test_every_record_by_id_costs_one_call_per_200_past_any_number_of_caps() -> None:
    ids = list(range(7, 7 + 3 * 23_456, 3))
    fake = IdSearch(ids)
    assert read_all(fake) == ids
    assert fake.calls == -(-len(ids) // 200)  # no call wasted at the caps
    restarts = [b for b in fake.bodies if "after" not in b]
    assert [int(b["filterGroups"][0]["filters"][0]["value"]) for b in restarts] == [
        0, ids[9_999], ids[19_999]]


def test_a_resumed_listing_starts_after_the_last_id_read() -> None:
    ids = list(range(1, 1001))
    assert read_all(IdSearch(ids), after_id=600) == ids[600:]


def test_a_lagging_index_ends_the_listing_and_says_so() -> None:
    patience = Patience(retries=2, sleep=lambda _: None)
    pages = list(id_pages(IdSearch(list(range(1, 50)), lag=5), ["hs_object_id"], 0, patience))
    assert pages == []
    assert patience.gave_up


def test_a_query_that_cannot_move_past_its_cap_stops_instead_of_looping() -> None:
    with pytest.raises(FatalError, match="refusing to loop"):
        read_all(IdSearch(list(range(1, 30_000)), stuck=True))


def window(seen_ago_ms: int | None, checked_ago_ms: int, now: int = 10 * MINUTE) -> Window:
    """A window whose stretch was last searched `checked_ago_ms` before `now` (local)."""
    seen = None if seen_ago_ms is None else now - seen_ago_ms
    return Window(SearchCursor(now - 2 * MINUTE), seen, now - checked_ago_ms,
                  now - checked_ago_ms)  # fmt: skip


def test_right_after_a_search_only_what_changed_after_the_newest_change_is_searched() -> None:
    now = 10 * MINUTE
    recent = window(seen_ago_ms=5_000, checked_ago_ms=3_000)
    assert not recent.due(MINUTE, server_ms=None, local_ms=now)
    assert recent.start(MINUTE, None, now) == (SearchCursor(now - 5_000, inclusive=False),
                                                False)  # fmt: skip
    assert recent.first_unread(MINUTE, None, now) == now - 4_999
    later = recent.after_deferred(now - 1_000)
    assert (later.cursor, later.seen, later.checked_server) == (
        recent.cursor, now - 1_000, recent.checked_server)


def test_once_the_overlap_has_passed_by_either_clock_the_stretch_is_searched_again() -> None:
    now = 10 * MINUTE
    old = window(seen_ago_ms=5_000, checked_ago_ms=MINUTE)
    assert old.due(MINUTE, server_ms=None, local_ms=now)
    recent = window(seen_ago_ms=5_000, checked_ago_ms=3_000)
    assert recent.due(MINUTE, server_ms=recent.checked_server + MINUTE, local_ms=now)  # type: ignore[operator]
    assert window(None, 0).due(MINUTE, None, now)  # nothing awaits: search from the cursor


def test_a_settled_search_leaves_a_stretch_only_when_changes_were_recent() -> None:
    server = 100 * MINUTE
    quiet = settled_window(server - 5 * MINUTE, server, 7, MINUTE)
    assert quiet == Window(SearchCursor(server - 5 * MINUTE, inclusive=False))
    busy = settled_window(server - 1_000, server, 7, MINUTE)
    assert busy == Window(SearchCursor(server - MINUTE), server - 1_000, server, 7)
    assert Window.from_state(busy.as_state()) == busy
    assert Window.from_state(quiet.as_state()) == quiet
    assert read_before(SearchCursor(50)) == 49
    assert read_before(SearchCursor(50, inclusive=False)) == 50


def test_inline_associations_cut_off_are_named_for_a_batch_read() -> None:
    records = [
        {"id": "1", "associations": {
            "line items": {"results": [{"id": "9", "type": "deal_to_line_item"}]},
            "companies": {"results": [{"id": "5", "type": "deal_to_company"},
                                      {"id": "5", "type": "deal_to_company_unlabeled"}]}}},
        {"id": "2", "associations": {"line items": {
            "results": [{"id": str(100 + i)} for i in range(100)],
            "paging": {"next": {"after": "MC0zLTE%3D", "link": "https://x/y"}}}}},
        {"id": "3"},
    ]
    links, cut = inline_links(records, ["companies", "line_items"])
    assert links["companies"] == {"1": ["5"]}
    assert links["line_items"]["1"] == ["9"]
    assert len(links["line_items"]["2"]) == 100
    assert cut == {"line_items": ["2"]}


def test_search_is_the_cheaper_way_unless_a_stream_links_more_than_five_objects() -> None:
    deals, activities = MAPPING.streams[0], MAPPING.streams[4]
    assert calls_by_search(1000, deals) == 6 < calls_by_list(1000, deals) == 10
    assert calls_by_search(1000, activities) == 8
    wide = activities.model_copy(update={"associations": {
        f"f{i}": obj for i, obj in enumerate(
            ("contacts", "deals", "companies", "tickets", "quotes", "products"))}})
    assert calls_by_search(1000, wide) == 11 > calls_by_list(1000, wide)


@pytest.mark.parametrize("value", [True, False, "auto"])
def test_pull_exports_takes_true_false_or_auto(value: object) -> None:
    assert Pull.model_validate({"exports": value}).exports == value


def test_pull_exports_refuses_anything_else() -> None:
    with pytest.raises(ValidationError, match="auto"):
        Pull.model_validate({"exports": "sometimes"})
