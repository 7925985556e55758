"""The DuckDB store: normalized tables, quarantine, findings, sync state and run log.

The store holds reps' names and e-mails: a new store file is created readable by its
owner only (0600). Its folder is created when missing, as a first run expects; a path
that cannot be a store (a folder, a file of another kind, no permission) is a
`StoreError` naming it (exit 2), and a store another process holds is `LockedError`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import duckdb

from connector.closing import Closing
from connector.errors import CrmKpiError, LockedError, StoreError
from connector.schema import ENTITIES
from connector.store.failures import environment_failure

Params = Sequence[object] | Mapping[str, object] | None
"""Bound parameters of one statement: positional (`?`) or named (`$name`)."""

# The column types `load_rows` accepts: enough for calendars and small lookup tables.
_COLUMN_TYPES = frozenset({"VARCHAR", "BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

_META_DDL = (
    """CREATE TABLE IF NOT EXISTS quarantine (
      source VARCHAR, entity VARCHAR, origin VARCHAR, line BIGINT, record_id VARCHAR,
      field VARCHAR, value VARCHAR, reason VARCHAR, quarantined_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS findings (
      source VARCHAR, entity VARCHAR, origin VARCHAR, line BIGINT, record_id VARCHAR,
      field VARCHAR, value VARCHAR, problem VARCHAR, found_at TIMESTAMP)""",
    """CREATE TABLE IF NOT EXISTS sync_state (
      source VARCHAR, object VARCHAR, state VARCHAR, updated_at TIMESTAMP,
      PRIMARY KEY (source, object))""",
    """CREATE TABLE IF NOT EXISTS runs (
      run_id VARCHAR PRIMARY KEY, command VARCHAR, started_at TIMESTAMP,
      finished_at TIMESTAMP, status VARCHAR, summary VARCHAR)""",
)


_DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_MEMORY = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)")
_OPEN: weakref.WeakSet[Store] = weakref.WeakSet()  # the stores open in this process


def interrupt_queries() -> None:
    """Stop the query each open store is running (what a signal does: DuckDB runs a query
    without returning to Python, where a signal's handler runs, until it is done)."""
    for store in list(_OPEN):
        with suppress(duckdb.Error):  # closed meanwhile: nothing to stop
            store.con.interrupt()


class Store(Closing):
    """One DuckDB file holding everything the connector keeps between runs."""

    def __init__(
        self, path: Path | str, *, memory_limit: str | None = None, read_only: bool = False
    ) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.read_only = read_only and self.path is not None
        if self.path is None:
            self.con = duckdb.connect(":memory:")
        else:
            self.con = _connect_read_only(self.path) if self.read_only else _connect(self.path)
        self._identity = _identity(self.path)
        _OPEN.add(self)
        # Naive timestamps in CRM data are UTC; the org time zone is applied explicitly.
        self.con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            if not _MEMORY.fullmatch(memory_limit):
                raise ValueError(f"not a DuckDB memory limit: {memory_limit!r} (like 512MB)")
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        if not self.read_only:  # a read-only store is read as it is (temp tables still work)
            self.ensure_schema()

    def still_there(self) -> bool:
        """Whether the store file is still the one opened: not removed nor replaced
        (an open file that was deleted takes writes that no later run will see)."""
        return self.path is None or _identity(self.path) == self._identity

    def ensure_schema(self) -> None:
        """Create every table that does not exist yet."""
        for entity in ENTITIES:
            self.con.execute(entity.ddl())
        for ddl in _META_DDL:
            self.con.execute(ddl)

    def close(self) -> None:
        """Close the database file."""
        _OPEN.discard(self)
        self.con.close()

    def get_state(self, source: str, obj: str) -> dict[str, Any] | None:
        """The saved sync state of one object of one source, or None."""
        rows = self.con.execute(
            "SELECT state FROM sync_state WHERE source = ? AND object = ?", [source, obj]
        ).fetchall()  # fetchall: a half-read result would block the next Arrow staging
        return dict(json.loads(rows[0][0])) if rows else None

    def set_state(self, source: str, obj: str, state: dict[str, Any]) -> None:
        """Save the sync state of one object (a checkpoint survives a crash)."""
        self.con.execute(
            """INSERT INTO sync_state VALUES (?, ?, ?, now())
               ON CONFLICT (source, object) DO UPDATE
               SET state = excluded.state, updated_at = excluded.updated_at""",
            [source, obj, json.dumps(state, sort_keys=True, default=str)],
        )

    def count(self, table: str, *, source: str | None = None, live_only: bool = True) -> int:
        """Rows of a normalized table (not deleted unless `live_only` is False)."""
        where = ["NOT is_deleted"] if live_only else []
        params: list[Any] = []
        if source is not None:
            where.append("source = ?")
            params.append(source)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return int(self.scalar(f"SELECT count(*) FROM {ident(table)}{clause}", params) or 0)

    def has_table(self, table: str) -> bool:
        """Whether a table (or temporary table) of that name exists."""
        found = self.scalar("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [table])
        return bool(found)

    def latest_won_close_date(self) -> dt.date | None:
        """The close date of the most recent won deal, of any source."""
        found = self.scalar(
            "SELECT max(close_date) FROM opportunities WHERE is_won AND NOT is_deleted"
        )
        return found if isinstance(found, dt.date) else None

    # Generic SQL access, so that no module outside the store touches the connection.
    # Values always travel as bound parameters; SQL text only ever splices `ident`s.

    def execute(self, sql: str, params: Params = None) -> None:
        """Run one statement."""
        self.con.execute(sql, params)

    def fetch(self, sql: str, params: Params = None) -> list[tuple[Any, ...]]:
        """Every row of a query, as tuples."""
        return self.con.execute(sql, params).fetchall()

    def fetch_dicts(self, sql: str, params: Params = None) -> list[dict[str, Any]]:
        """Every row of a query, as {column: value}."""
        cursor = self.con.execute(sql, params)
        names = [d[0] for d in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Params = None) -> Any:
        """The first column of the first row of a query (None without rows)."""
        rows = self.con.execute(sql, params).fetchall()  # no half-read result left open
        return rows[0][0] if rows else None

    def abandon(self) -> None:
        """Roll back the transaction a step stopped halfway left open (a signal's exception
        can land before the step's own rollback): nothing half-done is kept."""
        with suppress(duckdb.Error):  # none was open
            self.con.rollback()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Statements inside commit together, or roll back together on any exception."""
        self.con.begin()
        try:
            yield
        except BaseException:
            self.con.rollback()
            raise
        self.con.commit()

    def load_rows(
        self, table: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[object]]
    ) -> None:
        """(Re)create the temporary table `table` with `columns` ((name, type) pairs, a
        type one of VARCHAR, BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMP) holding `rows`."""
        spec = ", ".join(f"{ident(name)} {_column_type(kind)}" for name, kind in columns)
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE {ident(table)} ({spec})")
        if rows:
            # One statement with a list per column: executemany costs a round trip per row.
            select = ", ".join(f"unnest(${i + 1})" for i in range(len(columns)))
            values = [list(column) for column in zip(*rows, strict=True)]
            self.con.execute(f"INSERT INTO {ident(table)} SELECT {select}", values)


def _connect(path: Path) -> duckdb.DuckDBPyConnection:
    """A connection to the store file at `path`, created (0600, with its folder) if new."""
    if path.is_dir():
        raise _folder_error(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(
            f"store {path}: cannot create its folder {path.parent} ({_why(exc)})"
        ) from None
    new = not path.exists()
    if not new and not _is_duckdb_file(path):
        # DuckDB would open a CSV or Parquet file as a database of views: refuse first.
        raise _open_error(path, "not a valid DuckDB database")
    try:
        con = duckdb.connect(str(path))
    except duckdb.Error as exc:
        raise _open_error(path, str(exc)) from None
    if new:
        path.chmod(0o600)
    return con


def _folder_error(path: Path) -> StoreError:
    return StoreError(f"store {path} is a folder: name a file in it, like "
                      f"{path / 'crm-kpi.duckdb'} (store.path in the config)")  # fmt: skip


def _identity(path: Path | None) -> tuple[int, int] | None:
    try:
        found = path.stat() if path is not None else None
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if found else None


def _connect_read_only(path: Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection (what read-only commands use: it works on a read-only
    file system, and beside a run reading the same store)."""
    if path.is_dir():
        raise _folder_error(path)
    if not path.is_file():
        raise StoreError(f"store {path} does not exist: a run creates it (store.path in "
                         "the config)")  # fmt: skip
    if not _is_duckdb_file(path):
        raise _open_error(path, "not a valid DuckDB database")
    try:
        return duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        raise _open_error(path, str(exc)) from None


def _is_duckdb_file(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(12)[8:] == _DUCKDB_MAGIC
    except OSError:
        return True  # let DuckDB say what is wrong with it


def _open_error(path: Path, message: str) -> CrmKpiError:
    first = message.splitlines()[0] if message else "unknown error"
    machine = environment_failure(Exception(first), path)
    if machine is not None:
        return machine
    if "Conflicting lock" in first or "Could not set lock" in first:
        holder = re.search(r"\(PID (\d+)\)", first)
        pid = f" (pid {holder.group(1)})" if holder else ""
        return LockedError(f"the store {path} is in use by another process{pid}")
    if "not a valid DuckDB database" in first:
        return StoreError(f"{path} is not a DuckDB database: point store.path in the config "
                          "at a new file name, or move this file away")  # fmt: skip
    if "Permission denied" in first:
        return StoreError(f"store {path}: cannot open it (permission denied)")
    return StoreError(f"store {path}: cannot open it: {first.removeprefix('IO Error: ')}")


def _why(exc: OSError) -> str:
    if isinstance(exc, FileExistsError | NotADirectoryError):
        return "a file of that name is in the way"
    return (exc.strerror or str(exc)).lower()


def ident(name: str) -> str:
    """`name` if it is a plain SQL identifier (letters, digits, _), else ValueError: the one
    check for names that SQL text built in Python splices in."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an SQL identifier: {name!r}")
    return name


def _column_type(kind: str) -> str:
    if kind not in _COLUMN_TYPES:
        raise ValueError(f"not a column type load_rows takes: {kind!r}")
    return kind
