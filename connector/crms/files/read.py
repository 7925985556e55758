"""The files source: a folder of CSV exports, one file per normalized entity."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.files.config import DEFAULT_MAX_DELETE_SHARE
from connector.crms.files.mapping import FilesMapping, FileStream
from connector.crms.files.validate import file_problems, survey_exports
from connector.crms.remap import settle_whole_read
from connector.errors import ExportError
from connector.schema import ENTITIES, ENTITY_BY_NAME, DateWindow, Entity
from connector.store import IngestResult, ParseOptions, Store
from connector.store.csvfile import CsvLayout, load_csv

# Targets are not a CRM's export: config.yaml's `targets_file` names them, in the layout
# people keep targets in (kpi, period_type, period, scope_type, scope, value).
EXPORTED = tuple(entity for entity in ENTITIES if entity.name != "targets")


@dataclass
class FilesSource:
    """Reads `<folder>/<entity>.csv` files; a missing file is an empty table. A load
    marking more than `max_delete_share` of an entity's records deleted stops."""

    name: str
    folder: Path
    mapping: FilesMapping
    timezone: str
    max_delete_share: float | None = DEFAULT_MAX_DELETE_SHARE
    mapping_path: Path | None = None  # where `mapping` was read (None: the default)
    window: DateWindow | None = None  # the business dates records may carry (None: default)

    def deprecations(self) -> list[str]:
        """Notes on the mapping file, read in last release's spelling (empty when none)."""
        return self.mapping.deprecations()

    def validate(self) -> list[str]:
        """Problems of the export folder: a missing folder; header rows against the
        mapping; value maps naming values their column never holds."""
        if not self.folder.is_dir():
            return [f"source {self.name}: export folder {self.folder} does not exist"]
        where = MappingLines(self.mapping_path)
        problems = []
        declared = self.mapping.streams_by_entity()
        for entity in EXPORTED:
            path, entry = self._file(entity)
            at = ("streams", declared[entity.name][0]) if entity.name in declared else ()
            if path.is_file():
                problems += file_problems(path, entity, self._layout(entry), where.under(at),
                                          self.mapping.value_maps_of(entry))  # fmt: skip
        return problems

    def survey(self) -> Survey:
        """The reps, teams and territories of owners.csv and accounts.csv."""
        owners, accounts = (self._file(ENTITY_BY_NAME[n]) for n in ("owners", "accounts"))
        return survey_exports(self.name, (owners[0], self._layout(owners[1])),
                              (accounts[0], self._layout(accounts[1])), self.timezone)  # fmt: skip

    def _file(self, entity: Entity) -> tuple[Path, FileStream]:
        entry = self.mapping.for_entity(entity.name)
        return self.folder / (entry.file or entity.file), entry

    def pull(self, store: Store, progress: Progress | None = None) -> list[IngestResult]:
        """Load every entity file as a full export of that entity."""
        if not self.folder.is_dir():
            raise ExportError(f"source {self.name}: export folder {self.folder} does not exist")
        results = []
        for entity in EXPORTED:
            path, entry = self._file(entity)
            if progress:
                progress(f"{self.name}: {path.name}")
            opts = ParseOptions(
                timezone=self.timezone,
                date_format=entry.date_format or self.mapping.date_format,
                timestamp_format=entry.timestamp_format or self.mapping.timestamp_format,
                window=self.window,
            )
            value_maps = self.mapping.value_maps_of(entry)
            result = load_csv(store, source=self.name, entity=entity, path=path,
                              layout=self._layout(entry), opts=opts, value_maps=value_maps,
                              max_delete_share=self.max_delete_share)  # fmt: skip
            results.append(result)
            self._settle(store, entity, entry, result, progress)
        return results

    def _settle(self, store: Store, entity: Entity, entry: FileStream,
                result: IngestResult, progress: Progress | None) -> None:  # fmt: skip
        """Record the mapping that derived `entity`; say when it changed."""
        note = settle_whole_read(store, entity.name, self.shape(entry), result)
        if note is not None:
            result.notes.append(f"{self.name}: {note}")
            if progress:
                progress(f"{self.name}: {note}")

    def shape(self, entry: FileStream) -> dict[str, object]:
        """What shapes the entity's records, for the store's record of what derived them,
        as last release spelled it (`columns`, each value map itself): an upgrade of the
        software or of the file derives nothing again."""
        values = {name: dict(m.values) for name, m in self.mapping.value_maps_of(entry).items()}
        return {"file": entry.file, "columns": dict(entry.fields), "values": values,
                "exclude": dict(entry.exclude), "delimiter": self.mapping.delimiter,
                "encoding": self.mapping.encoding, "timezone": self.timezone,
                "date_format": entry.date_format or self.mapping.date_format,
                "timestamp_format": entry.timestamp_format or self.mapping.timestamp_format,
                # only when given: last release's files, which had none, keep their print
                **{k: dict(v) for k, v in (("constants", entry.constants),
                                           ("defaults", entry.defaults)) if v}}  # fmt: skip

    def _layout(self, entry: FileStream) -> CsvLayout:
        return CsvLayout(
            delimiter=self.mapping.delimiter,
            encoding=self.mapping.encoding,
            columns=entry.fields,
            exclude=entry.exclude,
            constants=entry.constants,
            defaults=entry.defaults,
        )
