"""The files mapping (`mappings/files.yaml`): CSV headers and values → normalized fields."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import AfterValidator, Field, field_validator, model_validator

from connector.crms.language import MappingRules, StreamRules, read_mapping
from connector.schema import EntityName
from connector.store.csvtext import text_encoding
from connector.store.normalize import literal
from connector.yamlfile import Problem, located_error


def _strptime_format(value: str) -> str:
    try:
        literal(value, "format")
    except ValueError:
        raise ValueError(
            "must be a strptime format like %d/%m/%Y (at least one % code, no quote)"
        ) from None
    return value


StrptimeFormat = Annotated[str, AfterValidator(_strptime_format)]
TextEncoding = Annotated[str, AfterValidator(text_encoding)]


class FileStream(StreamRules):
    """How one CSV file fills one normalized entity (the shared sections,
    docs/mappings.md: `fields` maps a field to a column header; and the exports' own:
    `file`, `date_format`, `timestamp_format`)."""

    # An export's file holds the record's id and modstamp as columns like any other.
    system_fields: ClassVar[frozenset[str]] = frozenset()

    entity: EntityName
    file: str | None = Field(default=None, description="file name, default <entity>.csv")
    date_format: StrptimeFormat | None = None
    timestamp_format: StrptimeFormat | None = None

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value or "\\" in value or value.startswith(".")):
            raise ValueError("must be a plain file name inside the export folder")
        return value


class FilesMapping(MappingRules):
    """The whole files mapping: CSV dialect and one stream per entity that needs one
    (an entity without one reads <entity>.csv, headers named after its fields)."""

    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: TextEncoding = Field(
        default="utf-8", description="any Python codec: utf-8 (with or without BOM), cp1252..."
    )
    date_format: StrptimeFormat | None = None
    timestamp_format: StrptimeFormat | None = None
    streams: list[FileStream] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_stream_per_entity(self) -> FilesMapping:
        first: dict[str, int] = {}
        problems: list[Problem] = []
        for index, stream in enumerate(self.streams):
            earlier = first.setdefault(stream.entity, index)
            if earlier != index:
                message = (f"{stream.entity} is read from one file: streams[{earlier}] "
                           "already reads it")  # fmt: skip
                problems.append((("streams", index, "entity"), "repeated", message))
        if problems:
            raise located_error("FilesMapping", problems)
        return self

    def for_entity(self, name: str) -> FileStream:
        """The stream of one entity (read as <entity>.csv when the file declares none)."""
        found = [stream for stream in self.streams if stream.entity == name]
        return found[0] if found else FileStream(entity=name)  # type: ignore[arg-type]

    def streams_by_entity(self) -> dict[str, tuple[int, FileStream]]:
        """Each declared stream, with its index, by entity."""
        return {stream.entity: (index, stream) for index, stream in enumerate(self.streams)}


def load_files_mapping(path: Path | None) -> FilesMapping:
    """Read and validate a files mapping (None: every entity read as exported)."""
    return read_mapping(path, FilesMapping) if path is not None else FilesMapping()
