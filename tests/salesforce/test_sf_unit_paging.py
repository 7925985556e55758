"""REST query pages read five to a Composite call at the offsets the locator names, and
nothing lost or read twice when the org cuts a page short or refuses an offset."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import pytest
import responses
from sf_mock import INSTANCE, QUERY_URL, page

from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.paging import following_urls, query_pages, read_ahead
from connector.errors import FatalError

LOCATOR = "/services/data/v62.0/query/01gXX"
COMPOSITE_URL = f"{INSTANCE}/services/data/v62.0/composite"


class Org:
    """A query of `total` records served from any offset in pages of `size` (or the
    sizes `cut` gives); with `jumps` False only at offsets it handed out before the
    request came (so a window's pages after its first are refused)."""

    def __init__(self, total: int, size: int, jumps: bool = True,
                 cut: dict[int, int] | None = None) -> None:  # fmt: skip
        self.total, self.size, self.jumps, self.cut = total, size, jumps, cut or {}
        self.issued: set[int] = set()

    def page_at(self, at: int, issued: set[int] | None = None) -> tuple[int, Any]:
        if not self.jumps and at != 0 and at not in (issued if issued is not None else self.issued):
            return 400, [{"errorCode": "INVALID_QUERY_LOCATOR", "message": "invalid"}]
        end = min(at + self.cut.get(at, self.size), self.total)
        self.issued.add(end)
        records = [{"Id": str(n)} for n in range(at, end)]
        nxt = f"{LOCATOR}-{end}" if end < self.total else None
        return 200, page(records, nxt, total=self.total)

    def install(self, mock: responses.RequestsMock) -> None:
        mock.add(responses.GET, QUERY_URL, json=self.page_at(0)[1])
        mock.add_callback(responses.POST, COMPOSITE_URL, callback=self.composite)
        pages = re.compile(re.escape(f"{INSTANCE}{LOCATOR}-") + r"\d+$")
        mock.add_callback(responses.GET, pages, callback=self.single)
        mock.assert_all_requests_are_fired = False

    def composite(self, request: Any) -> tuple[int, dict[str, str], str]:
        subs = json.loads(request.body)["compositeRequest"]
        assert len(subs) <= 5
        issued, results = set(self.issued), []
        for sub in subs:
            status, body = self.page_at(int(sub["url"].rsplit("-", 1)[1]), issued)
            results.append({"body": body, "httpHeaders": {}, "httpStatusCode": status,
                            "referenceId": sub["referenceId"]})  # fmt: skip
        return 200, {}, json.dumps({"compositeResponse": results})

    def single(self, request: Any) -> tuple[int, dict[str, str], str]:
        status, body = self.page_at(int(request.url.rsplit("-", 1)[1]))
        return status, {}, json.dumps(body)


def read(config: SalesforceConfig, mock: responses.RequestsMock, org: Org) -> tuple[list[str], int]:
    org.install(mock)
    with SalesforceClient(config) as transport:
        ids = [r["Id"] for p in query_pages(transport, "SELECT Id FROM Lead") for r in p]
        return ids, transport.api_calls


def calls(mock: responses.RequestsMock, kind: str) -> int:
    return sum(
        1 for c in mock.calls if c.request.method == kind and "/oauth2/" not in c.request.url
    )


ALL_OF: Callable[[int], list[str]] = lambda n: [str(i) for i in range(n)]  # noqa: E731


def test_pages_after_the_first_are_read_five_to_a_call(config: SalesforceConfig, rsps: Any) -> None:
    ids, api_calls = read(config, rsps, Org(total=23, size=2))
    assert ids == ALL_OF(23)
    # first page, then 11 pages in windows of 5, 5 and 1: two Composite calls, one GET
    assert api_calls == 4
    assert (calls(rsps, "POST"), calls(rsps, "GET")) == (2, 2)


def test_a_page_cut_short_leaves_no_gap(config: SalesforceConfig, rsps: Any) -> None:
    ids, _ = read(config, rsps, Org(total=20, size=2, cut={4: 1, 9: 1}))
    assert ids == ALL_OF(20)


def test_an_org_refusing_offsets_is_read_page_by_page(config: SalesforceConfig, rsps: Any) -> None:
    ids, api_calls = read(config, rsps, Org(total=12, size=2, jumps=False))
    assert ids == ALL_OF(12)
    # one window tried (its first page taken), then one GET a page: nothing read twice
    assert calls(rsps, "POST") == 1
    assert api_calls == 1 + 1 + 4


def test_urls_ahead_follow_the_locator_and_stop_at_the_total() -> None:
    first = page([{"Id": "a"}] * 2000, f"{LOCATOR}-2000", total=7000)
    assert following_urls(first, 5) == [f"{LOCATOR}-{n}" for n in (2000, 4000, 6000)]
    odd = page([{"Id": "a"}], "/services/data/v62.0/query/01gXX", total=9)
    assert following_urls(odd, 5) == []  # no offset in it: read the documented way


def test_windows_of_several_queries_share_calls(config: SalesforceConfig, rsps: Any) -> None:
    org = Org(total=8, size=2)
    org.install(rsps)
    firsts = {"a": org.page_at(0)[1], "b": org.page_at(0)[1]}
    with SalesforceClient(config) as transport:
        ahead = read_ahead(transport, firsts)
        assert transport.api_calls == 2  # 3 + 3 pages: two Composite requests of 5 and 1
    assert [url for url, _ in ahead["a"]] == [f"{LOCATOR}-{n}" for n in (2, 4, 6)]


def test_a_loop_across_windows_is_detected(config: SalesforceConfig, rsps: Any) -> None:
    looping = page([{"Id": "1"}, {"Id": "2"}], f"{LOCATOR}-2", total=10)
    rsps.add(responses.GET, QUERY_URL, json=looping)
    rsps.add_callback(responses.POST, COMPOSITE_URL, callback=lambda r: (200, {}, json.dumps(
        {"compositeResponse": [{"body": looping, "httpHeaders": {}, "httpStatusCode": 200,
                                "referenceId": s["referenceId"]}
                               for s in json.loads(r.body)["compositeRequest"]]})))  # fmt: skip
    with SalesforceClient(config) as transport, pytest.raises(FatalError, match="loops"):
        list(query_pages(transport, "SELECT Id FROM Lead"))
