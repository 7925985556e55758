"""The files source: a folder of CSV exports, one file per normalized entity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from connector.crms.base import Progress, Survey
from connector.crms.config import MappingLines
from connector.crms.files.config import DEFAULT_MAX_DELETE_SHARE
from connector.crms.files.mapping import FilesMapping, FileStream
from connector.crms.files.validate import (
    absent_file,
    file_problems,
    no_export,
    optional_absent,
    stored_absent,
    survey_exports,
)
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
    folder_at: Callable[[], str] | None = None  # where config.yaml names the folder

    def deprecations(self) -> list[str]:
        """Notes on the mapping file, read in last release's spelling (empty when none)."""
        return self.mapping.deprecations()

    def validate(self) -> list[str]:
        """Problems of the export folder: a missing folder; header rows against the
        mapping; value maps naming values their column never holds."""
        if not self.folder.is_dir():
            return [f"{self._folder_at()}: export folder {self.folder} does not exist"]
        where = MappingLines(self.mapping_path)
        declared = self.mapping.streams_by_entity()
        absent = self.absent()
        if len(absent) == len(EXPORTED):  # a run would load nothing and compute nothing
            return [no_export(self.folder, self._folder_at(), [p.name for _, p in absent])]
        problems = [  # the mapping names the entity: its file is expected
            absent_file(path, entity.name, where.at(("streams", index, key)), self._read)
            for entity, path in absent if entity.name in declared
            for index, entry in [declared[entity.name]]
            for key in ["file" if entry.file else "entity"]
        ]  # fmt: skip
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

    def absent_notes(self) -> list[str]:
        """A note for each file the folder lacks that no stream of the mapping names (it
        is optional: its entity loads empty); none when the folder lacks them all (a
        problem of `validate`)."""
        absent, declared = self.absent(), self.mapping.streams_by_entity()
        if not self.folder.is_dir() or len(absent) == len(EXPORTED):
            return []
        return [optional_absent(path, entity.name, self._read)
                for entity, path in absent if entity.name not in declared]  # fmt: skip

    def absent(self) -> list[tuple[Entity, Path]]:
        """The entities whose file the folder lacks: a run loads none of their records."""
        files = [(entity, self._file(entity)[0]) for entity in EXPORTED]
        return [(entity, path) for entity, path in files if not path.is_file()]

    def stored_absent(self, store: Store) -> list[str]:
        """Entities whose file is absent while `store` holds records of them: a run would
        mark them all deleted, which `max_delete_share` stops (as `load_csv` would)."""
        share = self.max_delete_share
        if share is None or share >= 1:
            return []
        live = "SELECT count(*) FROM {} WHERE source = ? AND NOT is_deleted"
        return [
            stored_absent(path, entity.name, self.name, self._folder_at(), count, share)
            for entity, path in self.absent()
            for count in [int(store.scalar(live.format(entity.table), [self.name]) or 0)]
            if count
        ]

    @property
    def _read(self) -> list[str]:
        """The file names the source reads."""
        return [self._file(entity)[0].name for entity in EXPORTED]

    def _folder_at(self) -> str:
        return self.folder_at() if self.folder_at is not None else f"source {self.name}: path"

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
