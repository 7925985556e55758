"""The files source: a folder of CSV exports, one file per normalized entity."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb

from connector.crms.base import Progress
from connector.crms.files.mapping import FileEntityMapping, FilesMapping
from connector.errors import SourceError
from connector.schema import ENTITIES, NATURAL_KEYS, Entity
from connector.store import IngestResult, ParseOptions, Store, ValueMap, ingest
from connector.store.normalize import quote


@dataclass
class FilesSource:
    """Reads `<folder>/<entity>.csv` files; a missing file is an empty table."""

    name: str
    folder: Path
    mapping: FilesMapping
    timezone: str

    def validate(self) -> list[str]:
        """Problems of the export folder: missing folder or unreadable header rows."""
        if not self.folder.is_dir():
            return [f"source {self.name}: export folder {self.folder} does not exist"]
        problems = []
        for entity in ENTITIES:
            path = self.folder / (self.mapping.for_entity(entity.name).file or entity.file)
            if path.is_file():
                try:
                    self._headers(path)
                except SourceError as exc:
                    problems.append(str(exc))
        return problems

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Load every entity file as a full export of that entity."""
        if not self.folder.is_dir():
            raise SourceError(f"source {self.name}: export folder {self.folder} does not exist")
        results = []
        for entity in ENTITIES:
            entry = self.mapping.for_entity(entity.name)
            path = self.folder / (entry.file or entity.file)
            if progress:
                progress(f"{self.name}: {path.name}")
            results.append(self._pull_entity(store, entity, entry, path))
        return results

    def _pull_entity(
        self, store: Store, entity: Entity, entry: FileEntityMapping, path: Path
    ) -> IngestResult:
        con = store.con
        rejected = 0
        if path.is_file():
            rejected = self._stage(con, entity, entry, path)
        else:
            columns = ", ".join(f"CAST(NULL AS VARCHAR) AS {c}" for c in entity.data_fields)
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT 0 AS _line, {columns} WHERE FALSE"
            )
        opts = ParseOptions(
            timezone=self.timezone,
            date_format=entry.date_format or self.mapping.date_format,
            timestamp_format=entry.timestamp_format or self.mapping.timestamp_format,
        )
        value_maps = {f: ValueMap(v) for f, v in entry.values.items()}
        try:
            result = ingest(
                store,
                source=self.name,
                entity=entity,
                staged="_staged",
                origin=path.name,
                opts=opts,
                value_maps=value_maps,
                full=True,
            )
        finally:
            con.execute("DROP TABLE IF EXISTS _staged")
        if rejected:
            self._quarantine_rejects(con, entity, path)
            result.quarantined += rejected
        return result

    def _stage(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, entry: FileEntityMapping, path: Path
    ) -> int:
        headers = self._headers(path)
        select = ["l.line AS _line"]
        staged_fields = set()
        for field in entity.data_fields:
            header = entry.columns.get(field, field)
            if header in headers:
                select.append(f"{_col(header)} AS {field}")
                staged_fields.add(field)
            elif field in entry.columns:
                raise SourceError(
                    f"{path.name}: column {header!r} mapped to {entity.name}.{field} "
                    f"is not in the file (columns: {', '.join(headers)})"
                )
        missing = [f for f in entity.required_fields if f not in staged_fields]
        if missing == ["id"] and entity.name in NATURAL_KEYS:
            missing = []
        if missing:
            raise SourceError(
                f"{path.name}: required column(s) {', '.join(missing)} missing "
                f"(columns: {', '.join(headers)})"
            )
        where = self._exclusions(entry, headers, path)
        con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _raw AS SELECT *, row_number() OVER () AS _k "
                f"FROM {self._reader(path, headers)}"
            )
        except duckdb.Error as exc:
            first_line = str(exc).splitlines()[0]
            raise SourceError(f"{path.name}: not a readable CSV file: {first_line}") from exc
        rejected = _count(con, "SELECT count(*) FROM reject_errors")
        # Rejected rows leave gaps: map the k-th good row to its real line number.
        con.execute(
            "CREATE OR REPLACE TEMP TABLE _lines AS SELECT line, row_number() OVER (ORDER BY line) "
            "AS k FROM range(2, (SELECT count(*) FROM _raw) + ? + 2) r(line) "
            "WHERE line NOT IN (SELECT line FROM reject_errors)",
            [rejected],
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT {', '.join(select)} "
            f"FROM _raw JOIN _lines l ON l.k = _raw._k {where}"
        )
        con.execute("DROP TABLE _raw; DROP TABLE _lines")
        return rejected

    def _reader(self, path: Path, headers: list[str]) -> str:
        # Explicit VARCHAR columns: typing happens once, in the store, with the type map.
        columns = "{" + ", ".join(f"{quote(h)}: 'VARCHAR'" for h in headers) + "}"
        return (
            f"read_csv({quote(str(path))}, header=true, auto_detect=false, "
            f"delim={quote(self.mapping.delimiter)}, quote='\"', escape='\"', "
            f"encoding={quote(self.mapping.encoding)}, store_rejects=true, columns={columns})"
        )

    def _headers(self, path: Path) -> list[str]:
        try:
            with path.open(encoding=self.mapping.encoding, newline="") as fh:
                first = next(csv.reader(fh, delimiter=self.mapping.delimiter), [])
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"{path}: cannot read: {exc}") from exc
        headers = [h.strip().lstrip("\ufeff") for h in first]
        if not headers or len(set(headers)) != len(headers):
            raise SourceError(f"{path.name}:1 header row is empty or repeats a column name")
        return headers

    def _exclusions(self, entry: FileEntityMapping, headers: list[str], path: Path) -> str:
        conditions = []
        for header, values in entry.exclude.items():
            if header not in headers:
                raise SourceError(f"{path.name}: exclude column {header!r} is not in the file")
            listed = ", ".join(quote(v) for v in values)
            conditions.append(f"COALESCE(TRIM({_col(header)}), '') NOT IN ({listed})")
        return f"WHERE {' AND '.join(conditions)}" if conditions else ""

    def _quarantine_rejects(
        self, con: duckdb.DuckDBPyConnection, entity: Entity, path: Path
    ) -> None:
        con.execute(
            "INSERT INTO quarantine SELECT ?, ?, ?, line, NULL, column_name, csv_line, "
            "error_message, now() FROM reject_errors ORDER BY line",
            [self.name, entity.name, path.name],
        )


def _col(header: str) -> str:
    return '"' + header.replace('"', '""') + '"'


def _count(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row else 0
