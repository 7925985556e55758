"""The files source: a folder of CSV exports, one file per normalized entity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connector.crms.base import Progress
from connector.crms.files.config import DEFAULT_MAX_DELETE_SHARE
from connector.crms.files.mapping import FileEntityMapping, FilesMapping
from connector.errors import ExportError
from connector.schema import ENTITIES
from connector.store import IngestResult, ParseOptions, Store, ValueMap
from connector.store.csvfile import CsvLayout, check_csv, load_csv


@dataclass
class FilesSource:
    """Reads `<folder>/<entity>.csv` files; a missing file is an empty table. A load
    marking more than `max_delete_share` of an entity's records deleted stops."""

    name: str
    folder: Path
    mapping: FilesMapping
    timezone: str
    max_delete_share: float | None = DEFAULT_MAX_DELETE_SHARE

    def validate(self) -> list[str]:
        """Problems of the export folder: missing folder, unreadable header rows, mapped or
        required columns the files lack."""
        if not self.folder.is_dir():
            return [f"source {self.name}: export folder {self.folder} does not exist"]
        problems = []
        for entity in ENTITIES:
            entry = self.mapping.for_entity(entity.name)
            path = self.folder / (entry.file or entity.file)
            if path.is_file():
                try:
                    check_csv(path, entity, self._layout(entry))
                except ExportError as exc:
                    problems.append(str(exc))
        return problems

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Load every entity file as a full export of that entity."""
        if not self.folder.is_dir():
            raise ExportError(f"source {self.name}: export folder {self.folder} does not exist")
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
                                    value_maps=value_maps,
                                    max_delete_share=self.max_delete_share))  # fmt: skip
        return results

    def _layout(self, entry: FileEntityMapping) -> CsvLayout:
        return CsvLayout(
            delimiter=self.mapping.delimiter,
            encoding=self.mapping.encoding,
            columns=entry.columns,
            exclude=entry.exclude,
        )
