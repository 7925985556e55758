"""config.yaml: the models, and `load_config` that reads and validates it.

Every model forbids unknown keys, so a typo (``curency:``) is reported with its line.
Relative paths resolve against the config file's folder. Source types are declared in
`SOURCE_TYPES`, the one place to add a CRM: each entry names the model class that
validates a source of that type, imported only when a config uses it, so source modules
can subclass `SourceBase` from here without an import cycle.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    PrivateAttr,
    SerializeAsAny,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from connector.kpi_keys import KpiKey
from connector.yamlfile import (
    ConfigModel,
    ExistingDir,
    ExistingFile,
    KeyPath,
    ResolvedPath,
    context_line,
    load_model,
    located_error,
)

# Source type → "module:Class" of its model (a `SourceBase` subclass whose `type` field is
# `Literal[<that type>]`). Add a CRM here; nothing else in this module changes.
SOURCE_TYPES: dict[str, str] = {
    "files": "connector.config:FilesSource",
    "salesforce": "connector.sources.salesforce.config:SalesforceSource",
    "hubspot": "connector.sources.hubspot.config:HubSpotSource",
}

PeriodType = Literal["month", "quarter", "year"]
ScopeType = Literal["company", "team", "owner", "territory"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_SOURCE_NAME = re.compile(r"^[a-z0-9_-]+$")


def _check_currency(code: str) -> str:
    if not _CURRENCY.match(code):
        raise PydanticCustomError(
            "currency", "currency must be an ISO 4217 code of 3 upper-case letters, like USD"
        )
    return code


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        # ValueError/OSError: names that are not even file-like (empty, "../x", a folder).
        raise PydanticCustomError(
            "timezone",
            "unknown time zone {name}; use an IANA name like Europe/Paris or UTC",
            {"name": name},
        ) from None
    return name


def _check_source_name(name: str) -> str:
    if not _SOURCE_NAME.match(name):
        raise PydanticCustomError(
            "source_name", "source names use only a-z, 0-9, _ and - (lower case)"
        )
    return name


def _not_a_bool(value: Any) -> Any:
    # YAML reads yes/no/true/false as booleans, which pydantic would take as 1 and 0.
    if isinstance(value, bool):
        raise PydanticCustomError("bool_not_number", "input should be a number, not true/false")
    return value


Currency = Annotated[str, AfterValidator(_check_currency)]
Number = Annotated[float, BeforeValidator(_not_a_bool), Field(allow_inf_nan=False)]
Integer = Annotated[int, BeforeValidator(_not_a_bool)]
Timezone = Annotated[str, AfterValidator(_check_timezone)]
SourceName = Annotated[str, AfterValidator(_check_source_name)]


class Reporting(ConfigModel):
    """How KPIs are reported: one currency, the org's time zone, the fiscal year."""

    currency: Currency
    timezone: Timezone
    fiscal_year_start_month: Integer = Field(default=1, ge=1, le=12)


class Store(ConfigModel):
    """Where the DuckDB file lives."""

    path: ResolvedPath = Field(default=Path("crm-kpi.duckdb"), validate_default=True)


class SourceBase(ConfigModel):
    """Fields every source has; subclasses narrow `type` to a Literal and add settings.

    `factory` names ("module:function") what turns this config into a source object:
    `function(source_config, config) -> connector.sources.base.Source`.
    """

    factory: ClassVar[str]
    # "module:function" building the writer that pushes KPIs back into this CRM, if any:
    # `function(source_config, config) -> connector.writers.base.Writer`.
    writer_factory: ClassVar[str | None] = None

    name: SourceName
    type: str

    @property
    def pushes(self) -> bool:
        """Whether KPIs are written back into this source's CRM."""
        return self.writer_factory is not None


class FilesSource(SourceBase):
    """A folder of CSV exports; `mapping` is optional (default: normalized headers)."""

    factory: ClassVar[str] = "connector.sources.files:from_config"

    type: Literal["files"]
    path: ExistingDir
    mapping: ExistingFile | None = None


def source_model(type_name: str) -> type[SourceBase]:
    """The model class registered in `SOURCE_TYPES` for a source type."""
    module_name, _, class_name = SOURCE_TYPES[type_name].partition(":")
    model = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(model, type) and issubclass(model, SourceBase)):
        raise TypeError(f"SOURCE_TYPES[{type_name!r}] is not a SourceBase subclass")
    return model


def _validate_source(value: Any, info: ValidationInfo) -> SourceBase:
    # Dispatch on `type` by hand rather than with a static discriminated union, so that
    # source models can live in their own modules (see SOURCE_TYPES).
    if isinstance(value, SourceBase):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("source_type", "a source must be a mapping with name and type")
    type_name = value.get("type")
    if type_name is None:
        raise located_error("Source", [(("type",), "missing", "Field required")])
    if not isinstance(type_name, str) or type_name not in SOURCE_TYPES:
        known = ", ".join(sorted(SOURCE_TYPES))
        raise located_error(
            "Source", [(("type",), "source_type", f"unknown source type; known: {known}")]
        )
    return source_model(type_name).model_validate(value, context=info.context)


Source = SerializeAsAny[Annotated[SourceBase, PlainValidator(_validate_source)]]


def _reject_duplicates(
    keys: list[Hashable], info: ValidationInfo, suffix: KeyPath, what: str
) -> None:
    """Error on every item whose key an earlier item has, naming the earlier one's line."""
    field = info.field_name or ""
    first: dict[Hashable, int] = {}
    problems: list[tuple[KeyPath, str, str]] = []
    for index, key in enumerate(keys):
        earlier = first.setdefault(key, index)
        if earlier == index:
            continue
        line = context_line(info, (field, earlier, *suffix))
        at_line = f" at line {line}" if line is not None else ""
        message = f"duplicate {what} as {field}[{earlier}]{at_line}"
        problems.append(((index, *suffix), "duplicate", message))
    if problems:
        raise located_error(field, problems)


def _unique_source_names(sources: list[SourceBase], info: ValidationInfo) -> list[SourceBase]:
    names: list[Hashable] = [source.name for source in sources]
    _reject_duplicates(names, info, ("name",), "source name: same name")
    return sources


class KpiSettings(ConfigModel):
    """The KPI definition choices of KPI_SPEC.md."""

    clv_lifespan_years: Number | None = Field(default=None, gt=0)
    churn_basis: Literal["acquired", "start"] = "acquired"
    closing_basis: Literal["created", "closed"] = "created"
    growth_basis: Literal["previous", "year_over_year"] = "previous"
    default_cogs_rate: Number = Field(default=0.0, ge=0, le=1)
    churn_after_days: Integer | None = Field(default=None, gt=0)


class Target(ConfigModel):
    """A target for one KPI, period type and scope; company-wide unless scoped."""

    kpi: KpiKey
    period_type: PeriodType
    value: Number
    scope_type: ScopeType = "company"
    scope_id: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _scope_id_matches_scope_type(self) -> Target:
        if self.scope_type == "company" and self.scope_id is not None:
            message = "scope_id is not allowed when scope_type is company"
            raise located_error("Target", [(("scope_id",), "scope_id", message)])
        if self.scope_type != "company" and self.scope_id is None:
            message = f"scope_id is required when scope_type is {self.scope_type}"
            raise located_error("Target", [(("scope_id",), "missing", message)])
        return self

    @property
    def key(self) -> tuple[str, str, str, str | None]:
        """What makes two targets the same target."""
        return (self.kpi, self.period_type, self.scope_type, self.scope_id)


def _unique_targets(targets: list[Target], info: ValidationInfo) -> list[Target]:
    keys: list[Hashable] = [target.key for target in targets]
    _reject_duplicates(keys, info, (), "target: same kpi, period_type and scope")
    return targets


class Config(ConfigModel):
    """The whole config.yaml. `config_path`/`base_dir` say where it was read from."""

    reporting: Reporting
    # A dict default validated like user input, so the default path resolves too.
    store: Store = Field(default={}, validate_default=True)
    sources: Annotated[list[Source], Field(min_length=1), AfterValidator(_unique_source_names)]
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    targets: Annotated[list[Target], AfterValidator(_unique_targets)] = Field(default_factory=list)

    _config_path: Path = PrivateAttr(default_factory=lambda: Path("config.yaml").resolve())

    def model_post_init(self, context: Any) -> None:
        """Remember which file this config came from (given in the validation context)."""
        if isinstance(context, dict) and isinstance(context.get("config_path"), Path):
            self._config_path = context["config_path"]

    @property
    def config_path(self) -> Path:
        """Absolute path of the config file."""
        return self._config_path

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the config were resolved against."""
        return self._config_path.parent


def load_config(path: Path | str) -> Config:
    """Read and validate a config file; raise `ConfigError` with every problem found."""
    config_path = Path(path).resolve()
    context = {"config_path": config_path, "base_dir": config_path.parent}
    return load_model(config_path, Config, context=context)
