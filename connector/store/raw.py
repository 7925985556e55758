"""The raw layer: what a CRM sent, kept per source and stream, so that the normalized
tables can be derived from it again after a mapping edit without reading the CRM again
(as ELT tools keep their raw tables beside the models built on them).

One table per (source, stream), columnar: the record's id, its modstamp, whether the CRM
deleted it, and one text column per CRM field the mapping reads. Columns are named c0,
c1, …: a field's name never reaches SQL; `raw_streams` says which column holds which
field, which fields every stored row holds (`pulled`: a full read brought them) and
which a full read still in progress is bringing (`filling`). A field the mapping starts
reading gets a column at once, but is pulled only by a full read of its stream.

CSV exports have no raw layer: each run reads the whole file again, so the file itself
is the raw copy, and a raw table would only cost load time and disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from connector.store.arrow import stage_rows
from connector.store.db import Store, ident

_CATALOG = """CREATE TABLE IF NOT EXISTS raw_streams (
    source VARCHAR, stream VARCHAR, entity VARCHAR, raw_table VARCHAR, columns VARCHAR,
    pulled VARCHAR, filling VARCHAR, PRIMARY KEY (source, stream))"""
ID, MODSTAMP, DELETED = "id", "modstamp", "deleted"
_STAGED = "_raw_page"


@dataclass
class RawStream:
    """The raw table of one stream of one source, and what its columns hold."""

    source: str
    stream: str
    entity: str
    table: str
    columns: dict[str, str]  # CRM field → column (the key → id, the cursor → modstamp)
    pulled: set[str] = field(default_factory=set)
    filling: set[str] | None = None

    def column(self, name: str) -> str:
        """The column holding CRM field `name`."""
        return self.columns[name]

    def missing(self, fields: Sequence[str]) -> list[str]:
        """The fields of `fields` that not every stored row holds (a full read brings
        them), in their order."""
        return [f for f in dict.fromkeys(fields) if f not in self.pulled]

    def filled_by_full_read(self, fields: Sequence[str]) -> bool:
        """Whether the full read in progress brings every field of `fields`."""
        return self.filling is not None and set(fields) <= self.filling

    @property
    def stored(self) -> bool:
        """Whether any field is known complete (a full read finished once)."""
        return bool(self.pulled)


def raw_stream(
    store: Store, *, source: str, stream: str, entity: str, key: str, cursor: str,
    fields: Sequence[str],
) -> RawStream:  # fmt: skip
    """The raw table of `stream`, with a column for `key`, `cursor` and each of `fields`
    (created, or adjusted: new fields get a column, fields no longer read lose theirs,
    so that no column holds values incremental reads stopped refreshing)."""
    store.execute(_CATALOG)
    raw = _load(store, source, stream)
    if raw is None:
        table = "raw_" + hashlib.sha1(f"{source}\0{stream}".encode()).hexdigest()[:16]
        raw = RawStream(source, stream, entity, table, {})
        store.execute(f"CREATE TABLE IF NOT EXISTS {ident(table)} ({ID} VARCHAR, "
                      f"{MODSTAMP} VARCHAR, {DELETED} BOOLEAN)")  # fmt: skip
    wanted = list(dict.fromkeys([key, cursor, *fields]))
    if _reshape(store, raw, key, cursor, wanted):
        _save(store, raw)
    return raw


def _reshape(store: Store, raw: RawStream, key: str, cursor: str, wanted: list[str]) -> bool:
    """Make the table's columns those of `wanted`; whether anything changed."""
    before = dict(raw.columns)
    special = {key: ID, cursor: MODSTAMP}
    for name, column in list(raw.columns.items()):
        if name not in wanted or (name in special) != (column in (ID, MODSTAMP)) or (
            name in special and special[name] != column
        ):
            if column not in (ID, MODSTAMP):
                store.execute(f"ALTER TABLE {ident(raw.table)} DROP COLUMN {ident(column)}")
            del raw.columns[name]
            raw.pulled.discard(name)
    used = {int(c[1:]) for c in raw.columns.values() if c.startswith("c")}
    for name in wanted:
        if name in raw.columns:
            continue
        if name in special:
            raw.columns[name] = special[name]
            continue
        number = next(n for n in range(len(used) + 1) if n not in used)
        used.add(number)
        raw.columns[name] = f"c{number}"
        store.execute(f"ALTER TABLE {ident(raw.table)} ADD COLUMN c{number} VARCHAR")
    return raw.columns != before or bool(set(before) - set(raw.columns))


def begin_full_read(store: Store, raw: RawStream, fields: Sequence[str]) -> None:
    """Note that a full read bringing `fields` started (it may span runs)."""
    raw.filling = set(fields)
    _save(store, raw)


def end_full_read(store: Store, raw: RawStream, fields: Sequence[str]) -> None:
    """A full read finished: every stored row holds the fields it brought."""
    raw.pulled = (raw.filling or set(fields)) & set(raw.columns)
    raw.filling = None
    _save(store, raw)


def upsert_raw(store: Store, raw: RawStream, fields: Sequence[str], rows: Sequence[Sequence[object]]
               ) -> None:  # fmt: skip
    """Store rows of (id, modstamp, deleted, *values of `fields`), replacing the stored
    versions of the same ids (a row's last version wins)."""
    if not rows:
        return
    names = [ID, MODSTAMP, DELETED, *(f"v{i}" for i in range(len(fields)))]
    stage_rows(store, _STAGED, names, rows)
    targets = [ID, MODSTAMP, DELETED, *(raw.column(f) for f in fields)]
    values = [ID, MODSTAMP, f"{DELETED} = 'true'", *names[3:]]
    table = ident(raw.table)
    try:
        with store.transaction():
            store.execute(f"DELETE FROM {table} WHERE {ID} IN (SELECT {ID} FROM {_STAGED})")
            store.execute(  # an id twice in one batch (paging overlap): the last wins
                f"INSERT INTO {table} ({', '.join(map(ident, targets))}) "
                f"SELECT {', '.join(values)} FROM {_STAGED} "
                f"QUALIFY row_number() OVER (PARTITION BY {ID} ORDER BY _line DESC) = 1"
            )
    finally:
        store.execute(f"DROP TABLE IF EXISTS {_STAGED}")


def raw_tables(store: Store, source: str, entity: str) -> list[str]:
    """The raw tables of every stream of `source` feeding `entity`."""
    if not store.has_table("raw_streams"):
        return []
    rows = store.fetch(
        "SELECT raw_table FROM raw_streams WHERE source = ? AND entity = ? ORDER BY stream",
        [source, entity],
    )
    return [str(r[0]) for r in rows]


def live_raw_ids(store: Store, source: str, entity: str, modified_before: object = None
                 ) -> tuple[str, list[object]]:  # fmt: skip
    """SQL selecting the ids of `entity`'s raw rows the CRM has not deleted (with
    `modified_before`, a naive UTC time: only rows whose modstamp says they were last
    modified before it), and its parameters; selects nothing when there are none."""
    recent = "" if modified_before is None else (
        f" AND coalesce(CAST(try_cast({MODSTAMP} AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS "
        "TIMESTAMP) < ?, FALSE)")  # an unreadable modstamp: not known to be old  # fmt: skip
    parts = [f"SELECT {ID} AS id FROM {ident(table)} WHERE NOT {DELETED}{recent}"
             for table in raw_tables(store, source, entity)]  # fmt: skip
    if not parts:
        return "SELECT CAST(NULL AS VARCHAR) AS id WHERE FALSE", []
    return " UNION ALL ".join(parts), [modified_before] * len(parts) if recent else []


def held_values(store: Store, source: str, stream: str, name: str, most: int = 200) -> list[str]:
    """The values of CRM field `name` that the stream's live raw rows hold (trimmed,
    non-empty, the most frequent first, at most `most`): what records hold, with no API
    call, values a picklist no longer lists included. Empty when none is kept."""
    if not store.has_table("raw_streams"):
        return []
    raw = _load(store, source, stream)
    kept = [f for f in (raw.pulled if raw is not None else ()) if f.lower() == name.lower()]
    if raw is None or not kept:
        return []
    value = f"trim({ident(raw.column(kept[0]))})"
    rows = store.fetch(
        f"SELECT {value} AS v FROM {ident(raw.table)} WHERE NOT {DELETED} AND "
        f"coalesce({value}, '') <> '' GROUP BY v ORDER BY count(*) DESC, v LIMIT ?", [most],
    )  # fmt: skip
    return [str(row[0]) for row in rows]


def mark_raw_deleted(store: Store, source: str, entity: str, condition: str,
                     params: Sequence[object] = ()) -> None:  # fmt: skip
    """Mark deleted the raw rows of `entity`'s streams that `condition` (SQL of the
    store's own, over `id`; `params` its parameters) selects: never derived again."""
    for table in raw_tables(store, source, entity):
        store.execute(
            f"UPDATE {ident(table)} SET {DELETED} = TRUE WHERE NOT {DELETED} AND ({condition})",
            list(params),
        )


def _load(store: Store, source: str, stream: str) -> RawStream | None:
    rows = store.fetch(
        "SELECT entity, raw_table, columns, pulled, filling FROM raw_streams "
        "WHERE source = ? AND stream = ?",
        [source, stream],
    )
    if not rows:
        return None
    entity, table, columns, pulled, filling = rows[0]
    return RawStream(source, stream, entity, table, json.loads(columns), set(json.loads(pulled)),
                     None if filling is None else set(json.loads(filling)))  # fmt: skip


def _save(store: Store, raw: RawStream) -> None:
    store.execute(
        "INSERT OR REPLACE INTO raw_streams VALUES (?, ?, ?, ?, ?, ?, ?)",
        [raw.source, raw.stream, raw.entity, raw.table, json.dumps(raw.columns),
         json.dumps(sorted(raw.pulled)),
         None if raw.filling is None else json.dumps(sorted(raw.filling))],
    )  # fmt: skip
