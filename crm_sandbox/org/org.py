"""The org: one logical CRM data set in an embedded DuckDB file, plus mutation helpers."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..clock import Clock
from .export import export_files
from .generate import generate
from .sizes import Sizes, Window, sizes_for
from .tables import TABLES, insert_rows


class Org:
    """A generated org (`seed`, `scale`) stored in DuckDB at `path`.

    Readers take a per-thread cursor (`cursor()`); every write goes through the helpers
    below under one lock, so DuckDB never sees two conflicting writers.
    """

    def __init__(
        self,
        path: Path,
        seed: int = 7,
        scale: float = 1.0,
        clock: Clock | None = None,
        memory_limit: str = "512MB",
    ) -> None:
        self.seed, self.scale = seed, scale
        self.clock = clock or Clock()
        self.sizes: Sizes = sizes_for(scale)
        self.write_lock = threading.RLock()
        self._con = duckdb.connect(str(path))
        self._con.execute(f"SET memory_limit = '{memory_limit}'")
        self._con.execute(f"SET temp_directory = '{path.parent / 'spill'}'")
        self._con.execute("SET preserve_insertion_order = false")
        self.window: Window = generate(self._con, seed, self.sizes, self.clock.today())
        self._con.execute("CHECKPOINT")
        self._local = threading.local()
        self._cursors: list[duckdb.DuckDBPyConnection] = []
        self._next: dict[str, int] = {}
        self._journal: list[_Undo] | None = None  # set inside `atomic()`

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """This thread's read cursor."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cur", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cur = cur
            with self.write_lock:
                self._cursors.append(cur)
        return cur

    def release_cursor(self) -> None:
        """Close this thread's read cursor (threads end with their connection)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cur", None)
        if cur is not None:
            self._local.cur = None
            with self.write_lock:
                if cur in self._cursors:
                    self._cursors.remove(cur)
                    cur.close()

    def new_cursor(self) -> duckdb.DuckDBPyConnection:
        """A fresh cursor the caller owns and closes (long-lived result streams)."""
        return self._con.cursor()

    @contextmanager
    def writing(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The write connection, held under the write lock."""
        with self.write_lock:
            yield self._con

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Writes inside take effect together or not at all (an all-or-none request).

        Each write is visible at once, to later reads of the same request as to every
        reader; an exception undoes every change made inside (from before-images kept in a
        journal) and goes on. Other writers wait until the block ends."""
        with self.write_lock:
            if self._journal is not None:  # already inside: the outer block decides
                yield
                return
            journal: list[_Undo] = []
            self._journal = journal
            try:
                yield
            except BaseException:
                for undo in reversed(journal):
                    undo.apply(self._con)
                raise
            finally:
                self._journal = None

    def _remember(self, table: str, keys: list[int] | None, inserted: bool = False) -> None:
        """Journal what a write is about to change (inside `atomic()` only)."""
        if self._journal is None:
            return
        if inserted:
            self._journal.append(_Undo(table, keys or [], [], []))
            return
        where = "true" if keys is None else f"n IN ({', '.join(str(int(k)) for k in keys)})"
        cur = self._con.execute(f"SELECT * FROM {table} WHERE {where}")
        columns = [d[0] for d in cur.description or ()]
        rows = cur.fetchall()
        at = columns.index("n")
        self._journal.append(_Undo(table, [int(r[at]) for r in rows], columns, rows))

    def close(self) -> None:
        """Close every cursor and the database."""
        with self.write_lock:
            for cur in self._cursors:
                cur.close()
            self._cursors.clear()
            self._con.close()

    # ---- mutation helpers -------------------------------------------------------------
    def next_n(self, table: str) -> int:
        """A fresh integer key for `table`."""
        with self.write_lock:
            if table not in self._next:
                row = self._con.execute(f"SELECT coalesce(max(n), -1) FROM {table}").fetchone()
                self._next[table] = int(row[0]) + 1 if row else 0
            n = self._next[table]
            self._next[table] = n + 1
            return n

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        """Create a record (core column names); returns its key. Stamps are set now."""
        now = self.clock.now()
        row = {"created_at": now, "modified_at": now, "system_modstamp": now, **values}
        row["is_deleted"] = False
        with self.write_lock:
            given = row.pop("n", None)  # 0 is a key like any other
            n = int(given) if given is not None else self.next_n(table)
            cols = ["n", *row]
            marks = ", ".join("?" for _ in cols)
            self._con.execute(
                f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({marks})", [n, *row.values()]
            )
            self._remember(table, [n], inserted=True)
        return n

    def insert_many(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Create many records in one statement per column set; returns their keys."""
        now = self.clock.now()
        keys: list[int] = []
        with self.write_lock:
            groups: dict[tuple[str, ...], list[list[Any]]] = {}
            for values in rows:
                n = self.next_n(table)
                keys.append(n)
                row = {"created_at": now, "modified_at": now, "system_modstamp": now,
                       "is_deleted": False, **values}
                groups.setdefault(tuple(row), []).append([n, *row.values()])
            for cols, params in groups.items():
                insert_rows(self._con, table, ("n", *cols), params)
            self._remember(table, keys, inserted=True)
        return keys

    def update_many(self, table: str, changes: list[tuple[int, dict[str, Any]]]) -> dt.datetime:
        """Apply per-record changes, one statement per column set, one stamp for all."""
        now = self.clock.now()
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for n, values in changes:
            groups.setdefault(tuple(values), []).append([n, *values.values()])
        with self.write_lock:
            self._remember(table, [n for n, _ in changes])
            for cols, params in groups.items():
                # a list per column, unnested: a VALUES list of thousands of parameters
                # takes DuckDB ~25 times longer to bind
                sets = "".join(f"{c} = v.{c}, " for c in cols)
                unnested = ", ".join(f"unnest(${i + 2}) AS {c}"
                                     for i, c in enumerate(("k", *cols)))
                self._con.execute(
                    f"UPDATE {table} SET {sets}modified_at = $1, system_modstamp = $1 "
                    f"FROM (SELECT {unnested}) AS v WHERE {table}.n = v.k",
                    [now, *[list(c) for c in zip(*params, strict=True)]],
                )
        return now

    def update(self, table: str, n: int, values: Mapping[str, Any]) -> dt.datetime:
        """Change fields of one record and bump its stamps; returns the new stamp."""
        now = self.clock.now()
        sets = ", ".join(f"{c} = ?" for c in values)
        sets = f"{sets}, " if sets else ""
        with self.write_lock:
            self._remember(table, [n])
            self._con.execute(
                f"UPDATE {table} SET {sets}modified_at = ?, system_modstamp = ? WHERE n = ?",
                [*values.values(), now, now, n],
            )
        return now

    def soft_delete(self, table: str, keys: Iterable[int]) -> dt.datetime:
        """Move records to the recycle bin (visible to queryAll and getDeleted)."""
        now = self.clock.now()
        self._for_keys(
            table,
            keys,
            "UPDATE {t} SET is_deleted = true, deleted_at = ?, modified_at = ?, "
            "system_modstamp = ? WHERE n IN (SELECT k FROM _keys)",
            [now, now, now],
        )
        return now

    def undelete(self, table: str, keys: Iterable[int]) -> dt.datetime:
        """Restore records from the recycle bin."""
        now = self.clock.now()
        self._for_keys(
            table,
            keys,
            "UPDATE {t} SET is_deleted = false, deleted_at = NULL, modified_at = ?, "
            "system_modstamp = ? WHERE n IN (SELECT k FROM _keys)",
            [now, now],
        )
        return now

    def purge(self, table: str, keys: Iterable[int]) -> None:
        """Hard-delete records: gone even from queryAll."""
        self._for_keys(table, keys, "DELETE FROM {t} WHERE n IN (SELECT k FROM _keys)", [])

    def touch(
        self, table: str, keys: Iterable[int] | None = None, at: dt.datetime | None = None
    ) -> dt.datetime:
        """Set SystemModstamp of many records (all when `keys` is None) to ONE timestamp."""
        stamp = at or self.clock.now()
        if keys is None:
            with self.write_lock:
                self._remember(table, None)
                self._con.execute(f"UPDATE {table} SET system_modstamp = ?", [stamp])
            return stamp
        self._for_keys(
            table, keys, "UPDATE {t} SET system_modstamp = ? WHERE n IN (SELECT k FROM _keys)",
            [stamp],
        )
        return stamp

    def advance_clock(self, delta: dt.timedelta) -> dt.datetime:
        """Move the org's clock; TODAY, LAST_N_DAYS and new stamps follow it."""
        return self.clock.advance(delta)

    def keys(self, table: str, where: str = "true", limit: int | None = None) -> list[int]:
        """Keys of records matching a SQL condition on the core columns (tests, demos)."""
        lim = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = self.cursor().execute(f"SELECT n FROM {table} WHERE {where} ORDER BY n{lim}")
        return [int(r[0]) for r in rows.fetchall()]

    def count(self, table: str, where: str = "NOT is_deleted") -> int:
        """Number of records matching a SQL condition."""
        row = self.cursor().execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()
        return int(row[0]) if row else 0

    def export_files(self, folder: Path | str) -> list[Path]:
        """The normalized CSV export of this org (see `org.export`)."""
        return export_files(self.cursor(), Path(folder))

    def _for_keys(self, table: str, keys: Iterable[int], sql: str, params: list[Any]) -> None:
        if table not in TABLES and not table.startswith("sf_"):
            raise ValueError(f"unknown table {table!r}")
        listed = [int(k) for k in keys]
        if not listed:
            return
        with self.write_lock:
            self._remember(table, listed)
            self._con.execute("CREATE OR REPLACE TEMP TABLE _keys (k BIGINT)")
            insert_rows(self._con, "_keys", ("k",), [(k,) for k in listed])
            self._con.execute(sql.format(t=table), params)
            self._con.execute("DROP TABLE _keys")


@dataclass(frozen=True)
class _Undo:
    """How to undo one write: drop the rows it touched (`keys`) and put back the rows
    as they were (`rows`, none for an insert)."""

    table: str
    keys: list[int]
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def apply(self, con: duckdb.DuckDBPyConnection) -> None:
        if self.keys:
            con.execute(f"DELETE FROM {self.table} WHERE n IN "
                        f"({', '.join(str(k) for k in self.keys)})")
        if self.rows:
            marks = ", ".join("?" for _ in self.columns)
            con.executemany(f"INSERT INTO {self.table} ({', '.join(self.columns)}) "
                            f"VALUES ({marks})", [list(r) for r in self.rows])
