"""Reading records: list pages (keyset on the org key), reads by id, single records.

Record JSON is built inside DuckDB (`json_object`), so a page never passes through
Python dicts; list pages scan a window of keys after the cursor and widen it only when
the window holds too few matching rows, so each page costs the same at any scale.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from ..org import Org
from .errors import validation
from .model import ObjectType
from .props import Prop

FIRST_WINDOW = 1024
RESTORABLE_DAYS = 90  # archived records can be restored for 90 days, then are gone for good
# The range lets DuckDB skip row groups by their min/max before the IN test.
KEYS = "t.n BETWEEN ? AND ? AND t.n IN (SELECT unnest(?::BIGINT[]))"


class Reader:
    """Queries over one org for any object type."""

    def __init__(self, org: Org) -> None:
        self.org = org

    def page(self, o: ObjectType, props: list[Prop], after: str | None, limit: int,
             archived: bool) -> tuple[list[tuple[int, str]], int | None]:
        """(n, record JSON) of up to `limit` records from cursor `after`; next cursor key."""
        start = self._cursor(o, after)
        sql = (f"SELECT {o.record_sql(props)} FROM {o.from_sql(props)} "
               f"WHERE {self.where(o, archived)} AND t.n >= ? AND t.n < ? ORDER BY t.n LIMIT ?")
        rows: list[tuple[int, str]] = []
        lo, width, top = start, max(FIRST_WINDOW, limit * 8), None
        cur = self.org.cursor()
        while len(rows) <= limit:
            got = cur.execute(sql, [lo, lo + width, limit + 1 - len(rows)]).fetchall()
            rows.extend((int(row[0]), o.record_json(props, row)) for row in got)
            lo, width = lo + width, width * 4
            if len(rows) <= limit:  # only a short window needs to know where keys end
                top = self._max_key(o) if top is None else top
                if lo > top:
                    break
        if len(rows) > limit:
            return rows[:limit], rows[limit][0]
        return rows, None

    def where(self, o: ObjectType, archived: bool) -> str:
        """Live records, or the archived ones still restorable (HubSpot's "Archive a
        contact": deleted records can be restored within 90 days; later they are purged)."""
        if not archived:
            return o.where(False)
        cutoff = self.org.clock.now() - dt.timedelta(days=RESTORABLE_DAYS)
        return f"{o.where(True)} AND t.deleted_at >= TIMESTAMP '{cutoff.isoformat(sep=' ')}'"

    @staticmethod
    def _cursor(o: ObjectType, after: str | None) -> int:
        """The key a list cursor (`paging.next.after`: the next record's id) points at."""
        if after is None or after == "":
            return 0
        n = o.key(after)
        if n is None:
            raise validation(f"Invalid 'after' value for {o.name}: {after}")
        return n

    def _max_key(self, o: ObjectType) -> int:
        row = self.org.cursor().execute(f"SELECT max(n) FROM {o.table}").fetchone()
        return int(row[0]) if row and row[0] is not None else -1

    def by_keys(self, o: ObjectType, props: list[Prop], keys: Sequence[int],
                archived: bool | None = False) -> dict[int, str]:
        """Record JSON of the given keys that exist (and match `archived` unless None)."""
        if not keys:
            return {}
        where = self.where(o, archived) if archived is not None else (o.row_filter or "true")
        sql = f"SELECT {o.record_sql(props)} FROM {o.from_sql(props)} WHERE {where} AND {KEYS}"
        rows = self.org.cursor().execute(sql, key_params(keys)).fetchall()
        return {int(row[0]): o.record_json(props, row) for row in rows}

    def keys_where(self, o: ObjectType, prop: Prop, values: Sequence[Any]) -> dict[str, int]:
        """Live records whose `prop` (as served, lower-cased) is one of `values`: value → key."""
        if not values:
            return {}
        sql = (f"SELECT lower({prop.out()}), t.n FROM {o.from_sql([prop])} "
               f"WHERE {o.where(False)} AND lower({prop.out()}) IN "
               "(SELECT unnest(?::VARCHAR[]))")
        rows = self.org.cursor().execute(sql, [[str(v).lower() for v in values]]).fetchall()
        return {str(v): int(n) for v, n in rows}

    def exists(self, o: ObjectType, keys: Sequence[int]) -> set[int]:
        """The live records among `keys`."""
        if not keys:
            return set()
        sql = f"SELECT t.n FROM {o.table} t WHERE {o.where(False)} AND {KEYS}"
        return {int(r[0]) for r in self.org.cursor().execute(sql, key_params(keys)).fetchall()}


def key_params(keys: Sequence[int]) -> list[Any]:
    ints = [int(k) for k in keys]
    return [min(ints), max(ints), ints]
