"""config.yaml: the root model and `load_config`, which reads and validates it.

Every model forbids unknown keys, so a typo (``curency:``) is reported with its line.
Relative paths resolve against the config file's folder. Each source is validated by
the config model of its `type` in the registry of CRMs (`connector.crms.registry`);
the other sections are in `connector.settings`.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import Annotated, Any

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

from connector.crms.base import Crm
from connector.crms.config import SourceConfig
from connector.crms.registry import CRMS
from connector.ops.settings import Alert, ObservabilitySettings, SmtpSettings
from connector.settings import (
    KpiSettings,
    Reporting,
    SparkSettings,
    StoreSettings,
    Target,
    reject_duplicates,
    unique_targets,
)
from connector.yamlfile import ConfigModel, ExistingFile, Problem, load_model, located_error


def crm_of(source: SourceConfig) -> Crm[Any]:
    """The registry entry of a configured source's type."""
    return CRMS[source.type]


def _validate_source(value: Any, info: ValidationInfo) -> SourceConfig:
    # Dispatch on `type` by hand rather than with a discriminated union, for messages
    # that name the known types, and so that the registry is the one place to add one.
    if isinstance(value, SourceConfig):
        return value
    if not isinstance(value, dict):
        raise PydanticCustomError("source_type", "a source must be a mapping with name and type")
    type_name = value.get("type")
    if type_name is None:
        raise located_error("Source", [(("type",), "missing", "Field required")])
    if not isinstance(type_name, str) or type_name not in CRMS:
        known = ", ".join(sorted(CRMS))
        raise located_error(
            "Source", [(("type",), "source_type", f"unknown source type; known: {known}")]
        )
    source: SourceConfig = CRMS[type_name].config.model_validate(value, context=info.context)
    return source


Source = SerializeAsAny[Annotated[SourceConfig, PlainValidator(_validate_source)]]


def _empty_is_none(value: Any) -> Any:
    # `targets:` with nothing under it is YAML's null: the admin meant "no targets".
    return [] if value is None else value


def _unique_source_names(sources: list[SourceConfig], info: ValidationInfo) -> list[SourceConfig]:
    names: list[Hashable] = [source.name for source in sources]
    reject_duplicates(names, info, ("name",), "source name: same name")
    return sources


class Config(ConfigModel):
    """The whole config.yaml. `config_path`/`base_dir` say where it was read from."""

    reporting: Reporting
    # A dict default validated like user input, so the default path resolves too.
    store: StoreSettings = Field(default={}, validate_default=True)
    sources: Annotated[list[Source], Field(min_length=1), AfterValidator(_unique_source_names)]
    kpis: KpiSettings = Field(default_factory=KpiSettings)
    targets: Annotated[
        list[Target], BeforeValidator(_empty_is_none), AfterValidator(unique_targets)
    ] = Field(default_factory=list)
    targets_file: ExistingFile | None = None
    """A CSV of targets (kpi, period_type, period, scope_type, scope, value[, currency])."""
    spark: SparkSettings = Field(default_factory=SparkSettings)
    alerts: Annotated[list[Alert], BeforeValidator(_empty_is_none)] = Field(
        default_factory=list
    )
    """Where to tell people about failed, partial, excluded and stale runs."""
    smtp: SmtpSettings | None = None
    observability: ObservabilitySettings = Field(default_factory=ObservabilitySettings)

    @model_validator(mode="after")
    def _smtp_for_email(self) -> Config:
        problems: list[Problem] = [
            (("alerts", index, "email"), "smtp_missing",
             "an e-mail alert needs the smtp: section (host, port, user, password)")
            for index, alert in enumerate(self.alerts)
            if alert.email is not None and self.smtp is None
        ]  # fmt: skip
        if problems:
            raise located_error("Config", problems)
        return self

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


def load_config(path: Path | str, *, offline: bool = False) -> Config:
    """Read and validate a config file; raise `ConfigError` with every problem found.
    `offline`: for commands that never reach a CRM (files needed only to connect, like
    `ca_file`, may be missing)."""
    config_path = Path(path).resolve()
    context = {"config_path": config_path, "base_dir": config_path.parent, "offline": offline}
    return load_model(config_path, Config, context=context)
