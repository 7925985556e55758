"""REST query pages, the following ones read five to an API call.

A REST query answers 2,000 records a page, each page one API call when read through its
`nextRecordsUrl`. That URL is the query's locator and how many records were served
(`/services/data/vXX.X/query/01g…-2000`), so the next pages' URLs are known ahead: the
locator at 2,000, 4,000, and on. They are read in windows of up to five pages, one
Composite request (one API call) each, so a change set of 10,000 records costs one call
after the first page, not five.

Nothing rests on the offsets being right. A page is taken only when its URL is the very
`nextRecordsUrl` of the page before it, so a shorter page (Salesforce cuts pages with
large records short) makes the rest of its window unused and the next window starts
where that page says. A page the org refuses in a window is read again on its own, and
the rest of that listing one page per call, the documented way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from connector.crms.salesforce.client import Record, SalesforceClient
from connector.crms.salesforce.composite import MAX_QUERIES, SubAnswer, Subrequest, run_composite
from connector.crms.salesforce.errors import SalesforceApiError
from connector.errors import FatalError

LOCATOR = re.compile(
    r"^(?P<locator>/services/data/v[\d.]+/query(?:All)?/[0-9A-Za-z]+)-(?P<at>\d+)$"
)


class CursorReleased(FatalError):
    """The org released the query's cursor (a user keeps ten open; the eleventh query
    releases the oldest): the query must be asked again to go on."""


def following_urls(page: Record, window: int) -> list[str]:
    """URLs of up to `window` pages after `page`, by its locator and its page size; [] when
    its `nextRecordsUrl` is not a locator with an offset."""
    found = LOCATOR.match(str(page.get("nextRecordsUrl") or ""))
    step = len(page.get("records") or [])
    if found is None or step == 0:
        return []
    at, total = int(found["at"]), int(page.get("totalSize") or 0)
    offsets = [at + k * step for k in range(window)]
    return [f"{found['locator']}-{n}" for i, n in enumerate(offsets) if i == 0 or n < total]


@dataclass
class QueryPages:
    """The pages of one REST query from its first; iterate once."""

    transport: SalesforceClient
    first: Record
    window: int = MAX_QUERIES
    ahead: list[tuple[str, SubAnswer]] = field(default_factory=list)  # pages read ahead

    def __iter__(self) -> Iterator[list[Record]]:
        page, seen = self.first, set()
        while True:
            yield page["records"]
            if page["done"]:
                return
            url = str(page["nextRecordsUrl"])
            if url in seen:
                raise FatalError(f"Salesforce paginator loops: {url} was served twice")
            seen.add(url)
            page = self._page(page, url)

    def _page(self, previous: Record, url: str) -> Record:
        """The page at `url`, from the window read ahead when it holds it."""
        if not self.ahead or self.ahead[0][0] != url:
            self.ahead = self._read_ahead(previous) if self.window > 1 else []
        if self.ahead and self.ahead[0][0] == url:
            answer = self.ahead.pop(0)[1]
            if answer.ok and isinstance(answer.body, dict):
                return dict(answer.body)
            self.window, self.ahead = 1, []  # refused ahead: page by page from here
        try:
            return self.transport.next_page(url)
        except SalesforceApiError as exc:
            if exc.error_code == "INVALID_QUERY_LOCATOR":
                raise CursorReleased(f"Salesforce released the query cursor of {url}") from exc
            raise

    def _read_ahead(self, previous: Record) -> list[tuple[str, SubAnswer]]:
        urls = following_urls(previous, self.window)
        if len(urls) < 2:
            return []  # one page to read: one GET, as cheap as a Composite request
        subs = [Subrequest(f"page_{n}", url) for n, url in enumerate(urls)]
        answers = run_composite(self.transport, subs)
        return [(sub.url, answers[sub.ref]) for sub in subs]


def query_pages(
    transport: SalesforceClient,
    soql: str,
    *,
    include_deleted: bool = False,
    first: Record | None = None,
    ahead: Sequence[tuple[str, SubAnswer]] = (),
) -> Iterator[list[Record]]:
    """Every page of a REST query; `first` is its first page when already read (a probe),
    `ahead` pages after it read with other queries' (`read_ahead`)."""
    if first is None:
        first = transport.first_page(soql, include_deleted=include_deleted)
    return iter(QueryPages(transport, first, ahead=list(ahead)))


def read_ahead(
    transport: SalesforceClient, firsts: dict[str, Record]
) -> dict[str, list[tuple[str, SubAnswer]]]:
    """The next window of pages after each first page, the windows of several queries
    packed together into as few Composite requests as the limits allow."""
    planned = {key: following_urls(first, MAX_QUERIES) for key, first in firsts.items()}
    subs = {
        key: [Subrequest(f"ahead_{i}_{n}", url) for n, url in enumerate(urls)]
        for i, (key, urls) in enumerate(planned.items())
        if urls
    }
    answers = run_composite(transport, [sub for each in subs.values() for sub in each])
    return {key: [(sub.url, answers[sub.ref]) for sub in each] for key, each in subs.items()}


def pages_to_read(count: int, page_size: int) -> int:
    """REST pages after the first for `count` records."""
    return -(-max(count - page_size, 0) // page_size)


def window_calls(pages: int, window: int = MAX_QUERIES) -> int:
    """API calls to read `pages` pages in windows (a lone page is one GET)."""
    return -(-pages // window)
