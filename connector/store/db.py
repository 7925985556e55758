"""The DuckDB store: normalized tables, quarantine, findings, sync state and run log."""

from __future__ import annotations

import json
from pathlib import Path
from types import TracebackType
from typing import Any

import duckdb

from connector.schema import ENTITIES

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


class Store:
    """One DuckDB file holding everything the connector keeps between runs."""

    def __init__(self, path: Path | str, *, memory_limit: str | None = None) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self.con = duckdb.connect(str(path))
        # Naive timestamps in CRM data are UTC; the org time zone is applied explicitly.
        self.con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            self.con.execute(f"SET memory_limit = '{memory_limit}'")
        self.ensure_schema()

    def ensure_schema(self) -> None:
        """Create every table that does not exist yet."""
        for entity in ENTITIES:
            self.con.execute(entity.ddl())
        for ddl in _META_DDL:
            self.con.execute(ddl)

    def close(self) -> None:
        """Close the database file."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

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
        row = self.con.execute(f"SELECT count(*) FROM {_ident(table)}{clause}", params).fetchone()
        return int(row[0]) if row else 0


def _ident(name: str) -> str:
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a table name: {name!r}")
    return name
