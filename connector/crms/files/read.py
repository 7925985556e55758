"""The files source: a folder of CSV exports, one file per normalized entity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connector.crms.base import Progress
from connector.crms.files.mapping import FileEntityMapping, FilesMapping
from connector.errors import SourceError
from connector.schema import ENTITIES
from connector.store import IngestResult, ParseOptions, Store, ValueMap
from connector.store.csvfile import CsvLayout, csv_headers, load_csv


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
            entry = self.mapping.for_entity(entity.name)
            path = self.folder / (entry.file or entity.file)
            if path.is_file():
                try:
                    csv_headers(path, self._layout(entry))
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
            opts = ParseOptions(
                timezone=self.timezone,
                date_format=entry.date_format or self.mapping.date_format,
                timestamp_format=entry.timestamp_format or self.mapping.timestamp_format,
            )
            value_maps = {f: ValueMap(v) for f, v in entry.values.items()}
            results.append(load_csv(store, source=self.name, entity=entity, path=path,
                                    layout=self._layout(entry), opts=opts,
                                    value_maps=value_maps))  # fmt: skip
        return results

    def _layout(self, entry: FileEntityMapping) -> CsvLayout:
        return CsvLayout(
            delimiter=self.mapping.delimiter,
            encoding=self.mapping.encoding,
            columns=entry.columns,
            exclude=entry.exclude,
        )
