"""The files mapping (`mappings/files.yaml`): CSV headers and values → normalized fields."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from connector.schema import CONTACT_METHOD_FIELDS, CONTACT_METHODS, ENTITY_BY_NAME, EntityName
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


class FileEntityMapping(BaseModel):
    """How one CSV file fills one normalized entity."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(default=None, description="file name, default <entity>.csv")
    columns: dict[str, str] = Field(
        default_factory=dict, description="normalized field: CSV header"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="normalized field: {CRM value: normalized value}"
    )
    exclude: dict[str, list[str]] = Field(
        default_factory=dict, description="CSV header: values whose rows are left out"
    )
    date_format: StrptimeFormat | None = None
    timestamp_format: StrptimeFormat | None = None

    @field_validator("file")
    @classmethod
    def _plain_file_name(cls, value: str | None) -> str | None:
        if value is not None and ("/" in value or "\\" in value or value.startswith(".")):
            raise ValueError("must be a plain file name inside the export folder")
        return value


class FilesMapping(BaseModel):
    """The whole files mapping: CSV dialect and one entry per entity that needs one."""

    model_config = ConfigDict(extra="forbid")

    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: TextEncoding = Field(
        default="utf-8", description="any Python codec: utf-8 (with or without BOM), cp1252..."
    )
    date_format: StrptimeFormat | None = None
    timestamp_format: StrptimeFormat | None = None
    entities: dict[EntityName, FileEntityMapping] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fields_exist(self) -> FilesMapping:
        problems: list[Problem] = []
        for name, entry in self.entities.items():
            known = set(ENTITY_BY_NAME[name].data_fields)
            fields = ", ".join(sorted(known))
            problems += [
                (("entities", name, section, key), "field",
                 f"{key!r} is not a field of {name} (fields: {fields})")
                for section in ("columns", "values")
                for key in getattr(entry, section)
                if key not in known
            ]  # fmt: skip
            method = CONTACT_METHOD_FIELDS.get(name, "")
            problems += [
                (("entities", name, "values", method, crm), "contact_method",
                 f"{value!r} is not a contact method ({', '.join(CONTACT_METHODS)})")
                for crm, value in entry.values.get(method, {}).items()
                if value not in CONTACT_METHODS
            ]  # fmt: skip
        if problems:
            raise located_error("FilesMapping", problems)
        return self

    def for_entity(self, name: str) -> FileEntityMapping:
        """The mapping of one entity (identity mapping when the file declares none)."""
        entry = self.entities.get(name)  # type: ignore[call-overload]
        return entry if isinstance(entry, FileEntityMapping) else FileEntityMapping()
