"""REST `query` / `queryAll`: pages of 2,000 with relative nextRecordsUrl locators.

Each locator keeps an open DuckDB result stream, so paging through millions of records
never materialises them in Python; a page asked again (a retry) is answered again, and
a locator whose stream was evicted is resumed with OFFSET.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..ids import sf_id
from ..org import Org
from .compile import Compiled, Compiler
from .errors import SfError
from .model import Registry

PAGE = 2000
MAX_OPEN_STREAMS = 32
MAX_LOCATORS = 2000
_BATCH = re.compile(r"batchSize=(\d+)")


@dataclass
class Locator:
    sql: str
    params: list[Any]
    total: int
    page: int
    limit: int | None
    offset: int
    pos: int = 0
    stream: duckdb.DuckDBPyConnection | None = None
    last: tuple[int, str] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class QueryEngine:
    """Runs SOQL for the REST API and serves the following pages."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry
        self._lock = threading.Lock()
        self._locators: OrderedDict[str, Locator] = OrderedDict()
        self._seq = 0

    def compile(self, soql: str, version: str, all_rows: bool) -> Compiled:
        return Compiler(self.registry, soql, version, self.org.clock.today()).compile(all_rows)

    def run(self, soql: str, version: str, all_rows: bool, options: str = "") -> str:
        """First page of a query, as JSON text."""
        c = self.compile(soql, version, all_rows)
        row = self.org.cursor().execute(c.count_sql(), c.params).fetchone()
        total = int(row[0]) if row else 0
        if c.count_only:
            return f'{{"totalSize":{total},"done":true,"records":[]}}'
        m = _BATCH.search(options)
        page = min(PAGE, max(200, int(m.group(1)))) if m else PAGE
        order = c.order or " ORDER BY t.n"  # stable pages when the query gives no order
        loc = Locator(f"SELECT {c.json_expr} AS r {c.body}{order}", c.params, total, page,
                      c.limit_n, c.offset_n)
        with self._lock:
            self._seq += 1
            name = sf_id("01g", self._seq)
        return self.page(name, loc, 0, version, register=True)

    def more(self, name: str, pos: int, version: str) -> str:
        with self._lock:
            loc = self._locators.get(name)
            if loc is not None:
                self._locators.move_to_end(name)
        if loc is None or pos < 0 or pos > loc.total:
            raise SfError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        return self.page(name, loc, pos, version, register=False)

    def page(self, name: str, loc: Locator, pos: int, version: str, register: bool) -> str:
        with loc.lock:
            if loc.last is not None and loc.last[0] == pos:
                return loc.last[1]
            if loc.stream is None or loc.pos != pos:
                self.reopen(loc, pos)
            assert loc.stream is not None
            rows = loc.stream.fetchmany(loc.page)
            loc.pos = pos + len(rows)
            done = loc.pos >= loc.total or len(rows) < loc.page
            url = f"/services/data/v{version}/query/{name}-{loc.pos}"
            nxt = "" if done else f'"nextRecordsUrl":"{url}",'
            body = (f'{{"totalSize":{loc.total},"done":{"true" if done else "false"},{nxt}'
                    f'"records":[{",".join(r[0] for r in rows)}]}}')
            loc.last = (pos, body)
            if done:
                self.close_stream(loc)
        if not done and register:
            self.register(name, loc)
        return body

    def reopen(self, loc: Locator, pos: int) -> None:
        self.close_stream(loc)
        loc.stream = self.org.new_cursor()
        limit = "" if loc.limit is None else f" LIMIT {max(0, loc.limit - pos)}"
        sql = f"{loc.sql}{limit or ' LIMIT 9223372036854775807'} OFFSET {loc.offset + pos}"
        loc.stream.execute(sql, loc.params)
        loc.pos = pos

    @staticmethod
    def close_stream(loc: Locator) -> None:
        if loc.stream is not None:
            loc.stream.close()
            loc.stream = None

    def register(self, name: str, loc: Locator) -> None:
        with self._lock:
            self._locators[name] = loc
            while len(self._locators) > MAX_LOCATORS:
                _, old = self._locators.popitem(last=False)
                self._evict(old)
            streams = [lc for lc in self._locators.values() if lc.stream is not None]
        for old in streams[: max(0, len(streams) - MAX_OPEN_STREAMS)]:
            self._evict(old)

    def _evict(self, loc: Locator) -> None:
        with loc.lock:
            self.close_stream(loc)

    def close(self) -> None:
        with self._lock:
            locs = list(self._locators.values())
            self._locators.clear()
        for loc in locs:
            self._evict(loc)
