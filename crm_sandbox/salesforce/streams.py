"""Result streams: a DuckDB result read page by page, never materialised in Python.

A page asked again (a client retrying after a fault) is answered from the last page
kept; a stream that was closed to save resources is resumed with OFFSET when the
statement has a stable order.
"""

from __future__ import annotations

import threading

import duckdb

from ..org import Org
from .errors import SfError


class Stream:
    """Rows of one statement (`SELECT r FROM … ORDER BY …`), served in pages."""

    def __init__(self, org: Org, sql: str, params: list[object], total: int,
                 limit: int | None = None, offset: int = 0, resumable: bool = True) -> None:
        self.org, self.sql, self.params, self.total = org, sql, params, total
        self.limit, self.offset, self.resumable = limit, offset, resumable
        self.pos = 0
        self.cursor: duckdb.DuckDBPyConnection | None = None
        self.last: tuple[int, list[str]] | None = None
        self.lock = threading.Lock()

    def page(self, pos: int, size: int) -> list[str]:
        """The `size` rows starting at `pos` (the next page, or the last one again)."""
        with self.lock:
            if self.last is not None and self.last[0] == pos:
                return self.last[1]
            if self.cursor is None or self.pos != pos:
                self.reopen(pos)
            assert self.cursor is not None
            rows = [r[0] for r in self.cursor.fetchmany(size)]
            self.pos = pos + len(rows)
            self.last = (pos, rows)
            if self.pos >= self.total or len(rows) < size:
                self._close()
            return rows

    def reopen(self, pos: int) -> None:
        """Run the statement again from `pos` (stable order needed)."""
        if pos != 0 and not self.resumable:
            raise SfError(400, "INVALIDLOCATOR", "the locator is not valid for this job")
        self._close()
        limit = self.limit if self.limit is None else max(0, self.limit - pos)
        tail = f" LIMIT {limit}" if limit is not None else ""
        if self.offset + pos:
            tail = (tail or " LIMIT 9223372036854775807") + f" OFFSET {self.offset + pos}"
        self.cursor = self.org.new_cursor()
        self.cursor.execute(self.sql + tail, self.params)
        self.pos = pos

    def close(self) -> None:
        with self.lock:
            self._close()

    def _close(self) -> None:
        if self.cursor is not None:
            self.cursor.close()
            self.cursor = None
