"""REST `query` / `queryAll`: pages of 2,000 with relative nextRecordsUrl locators.

Each locator is a `Stream` over DuckDB, so paging through millions of records never
materialises them; pages are ordered (by the query's ORDER BY, else by Id) so that a
locator whose stream was closed can resume where it was.

"A user can have up to 10 query cursors open at a time. If 10 QueryLocator cursors are
open when a client application, logged in as the same user, attempts to open a new one,
then the oldest of the 10 cursors is released. If the client application attempts to
open the released query cursor, an error results" (SOAP API guide, "QueryLocator"): a
query whose last page has not been served holds a cursor; the eleventh releases the
oldest, whose pages then answer 400 INVALID_QUERY_LOCATOR; the count is per user (a
query run without a viewer counts as the integration user's). "QueryLocator objects expire
automatically after 15 minutes of inactivity" (ibid.), on the org clock here.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections import OrderedDict

from ..ids import sf_id
from ..org import Org
from ..org.tables import ADMIN_USER_N
from .compile import Compiled, Compiler
from .errors import SfError
from .model import Registry
from .rights import Viewer
from .streams import Stream

PAGE = 2000
MAX_OPEN_STREAMS = 32
MAX_LOCATORS = 2000
OPEN_CURSORS = 10  # per user (see above)
IDLE_LIFETIME = dt.timedelta(minutes=15)
_BATCH = re.compile(r"batchSize=(\d+)")


class QueryEngine:
    """Runs SOQL for the REST API and serves the following pages."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry
        self._lock = threading.Lock()
        self._locators: OrderedDict[str, tuple[Stream, int]] = OrderedDict()
        self._open: OrderedDict[str, int] = OrderedDict()  # cursors not read to the end → user
        self._used: dict[str, dt.datetime] = {}  # when each locator was last read (org clock)
        self.open_cursors = OPEN_CURSORS
        self._seq = 0

    def compile(self, soql: str, version: str, all_rows: bool,
                viewer: Viewer | None = None) -> Compiled:
        """A statement as `viewer` may run it (None: the system, who sees everything)."""
        return Compiler(self.registry, soql, version, self.org.clock.today(),
                        viewer).compile(all_rows)

    def count(self, c: Compiled) -> int:
        row = self.org.cursor().execute(c.count_sql(), c.params).fetchone()
        return int(row[0]) if row else 0

    def run(self, soql: str, version: str, all_rows: bool, options: str = "",
            viewer: Viewer | None = None) -> str:
        """First page of a query, as JSON text."""
        c = self.compile(soql, version, all_rows, viewer)
        total = self.count(c)
        if c.count_only:
            return f'{{"totalSize":{total},"done":true,"records":[]}}'
        m = _BATCH.search(options)
        size = min(PAGE, max(200, int(m.group(1)))) if m else PAGE
        order = c.order or " ORDER BY t.n"  # stable pages when the query gives no order
        stream = Stream(self.org, f"SELECT {c.json_expr} AS r {c.body}{order}", c.params,
                        total, c.limit_n, c.offset_n)
        with self._lock:
            self._seq += 1
            name = sf_id("01g", self._seq)
        body, done = self.page(name, stream, size, 0, version)
        if not done:
            self.register(name, stream, size, viewer.user_n if viewer is not None else ADMIN_USER_N)
        return body

    def more(self, name: str, pos: int, version: str) -> str:
        """A following page of a locator (or the same page again)."""
        now = self.org.clock.now()
        with self._lock:
            entry = self._locators.get(name)
            if entry is not None and now - self._used.get(name, now) > IDLE_LIFETIME:
                self._locators.pop(name)
                self._open.pop(name, None)
                self._used.pop(name, None)
                entry[0].close()
                entry = None
            if entry is not None:
                self._locators.move_to_end(name)
                self._used[name] = now
        if entry is None or pos < 0 or pos > entry[0].total:
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        body, done = self.page(name, entry[0], entry[1], pos, version)
        if done:  # read to the end: the cursor no longer counts (its pages stay readable)
            with self._lock:
                self._open.pop(name, None)
        return body

    @staticmethod
    def page(name: str, stream: Stream, size: int, pos: int, version: str) -> tuple[str, bool]:
        """One page of JSON records, with nextRecordsUrl unless done."""
        rows = stream.page(pos, size)
        end = pos + len(rows)
        done = end >= stream.total or len(rows) < size
        url = f"/services/data/v{version}/query/{name}-{end}"
        nxt = "" if done else f'"nextRecordsUrl":"{url}",'
        body = (f'{{"totalSize":{stream.total},"done":{"true" if done else "false"},{nxt}'
                f'"records":[{",".join(rows)}]}}')
        return body, done

    def register(self, name: str, stream: Stream, size: int, user: int = ADMIN_USER_N) -> None:
        """Keep a locator (its cursor open); release the user's oldest cursor beyond their
        limit, and close the oldest streams beyond the sandbox's own."""
        released: list[Stream] = []
        with self._lock:
            self._locators[name] = (stream, size)
            self._open[name] = user
            self._used[name] = self.org.clock.now()
            while sum(1 for u in self._open.values() if u == user) > self.open_cursors:
                oldest = next(k for k, u in self._open.items() if u == user)
                self._open.pop(oldest)
                self._used.pop(oldest, None)
                entry = self._locators.pop(oldest, None)
                if entry is not None:
                    released.append(entry[0])
            while len(self._locators) > MAX_LOCATORS:
                dropped, (stream, _) = self._locators.popitem(last=False)
                self._used.pop(dropped, None)
                stream.close()
            open_streams = [s for s, _ in self._locators.values() if s.cursor is not None]
        for old in [*released, *open_streams[: max(0, len(open_streams) - MAX_OPEN_STREAMS)]]:
            old.close()

    def close(self) -> None:
        with self._lock:
            streams = [s for s, _ in self._locators.values()]
            self._locators.clear()
            self._open.clear()
            self._used.clear()
        for s in streams:
            s.close()
