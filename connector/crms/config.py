"""What every source's entry in config.yaml has: the bases the CRM folders extend.

`SourceConfig` is any source (a name and a type); `CrmConfig` is a CRM reached over
HTTPS, with the sections every such CRM has: `auth`, `http` (timeouts and retries),
`limits`, `pull` and `push` (writing KPIs back), a CA file and a mapping file. A CRM
folder's `config.py` narrows `type` to a Literal and gives the model of each section.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, TypeVar
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, PrivateAttr

from connector.crms.oldkeys import modernize
from connector.invocation import suggest
from connector.resources import shipped
from connector.settings import SourceName
from connector.yamlfile import (
    ConfigModel,
    ConnectionFile,
    ExistingFile,
    KeyPath,
    LineIndex,
    load_yaml,
    render_path,
)


def shipped_mapping(name: str) -> Path:
    """The default mapping file `name` shipped with the connector."""
    return shipped(f"mappings/{name}")


class MappingLines:
    """Where a key of a mapping file is written, for problems `validate` finds against
    the CRM (`salesforce.yaml:24 value_maps.lead_source["Trade Show"]`)."""

    def __init__(self, path: Path | None) -> None:
        self.name = path.name if path is not None else "the default mapping"
        self.lines = LineIndex()
        if path is not None:  # keys as the new language names them, in any spelling
            data, lines = load_yaml(path)
            self.lines = modernize(data).lines(lines)

    def at(self, key: KeyPath) -> str:
        """``file:line key.path`` of `key`."""
        return f"{self.name}:{self.lines.line_of(key)} {render_path(key)}"

    def under(self, base: KeyPath) -> Callable[[KeyPath], str]:
        """`at` for the keys below `base` (a stream's: ``("streams", 3)``)."""
        return lambda key: self.at((*base, *key))


def https_url(value: str) -> str:
    """An https:// URL without query or fragment, without its trailing slash."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("must be an https:// URL without query or fragment")
    return value.rstrip("/")


HttpsUrl = Annotated[str, AfterValidator(https_url)]


class SourceConfig(ConfigModel):
    """Fields every source has; subclasses narrow `type` to a Literal and add settings."""

    # The mapping file shipped for this kind of source (`crm-kpi init` copies it).
    default_mapping: ClassVar[str]

    name: SourceName
    type: str

    _config_path: Path | None = PrivateAttr(default=None)

    def model_post_init(self, context: Any) -> None:
        """Remember the config file this source came from, for the commands it suggests."""
        if isinstance(context, dict) and isinstance(context.get("config_path"), Path):
            self._config_path = context["config_path"]

    def setup_command(self) -> str:
        """The `crm-kpi setup` command line for this source, as the user would type it."""
        config = () if self._config_path is None else ("--config", self._config_path)
        return suggest("setup", self.name, *config)

    @property
    def pushes(self) -> bool:
        """Whether KPIs are written back into this source (never, unless it says so)."""
        return False


class HttpSettings(ConfigModel):
    """Timeouts and the retry policy of a transport (429, 5xx, timeouts, dropped
    connections): the `http:` section of a CRM source."""

    timeout_seconds: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=6, ge=1, le=20)
    initial_backoff_seconds: float = Field(default=1.0, gt=0)
    max_backoff_seconds: float = Field(default=60.0, gt=0)


class PushSettings(ConfigModel):
    """Writer settings: on/off and what counts as a changed value."""

    enabled: bool = False
    change_tolerance: float = Field(default=1e-9, ge=0)


AuthT = TypeVar("AuthT")
HttpT = TypeVar("HttpT", bound=HttpSettings)
LimitsT = TypeVar("LimitsT", bound=ConfigModel)
PullT = TypeVar("PullT", bound=ConfigModel)
PushT = TypeVar("PushT", bound=PushSettings)


def _section() -> Any:
    # An empty section validated like user input: every default of its model applies.
    return Field(default={}, validate_default=True)


class CrmConfig(SourceConfig, Generic[AuthT, HttpT, LimitsT, PullT, PushT]):
    """A CRM reached over HTTPS, its sections typed by the CRM; without `mapping:` it
    reads its shipped mapping."""

    ca_file: ConnectionFile | None = None
    mapping: ExistingFile | None = None
    auth: AuthT
    http: HttpT = _section()
    limits: LimitsT = _section()
    pull: PullT = _section()
    push: PushT = _section()

    @property
    def pushes(self) -> bool:
        """KPIs are written back only when `push.enabled` says so."""
        return self.push.enabled

    @property
    def mapping_path(self) -> Path:
        """The mapping file in use (the shipped default unless one is named)."""
        return self.mapping or shipped_mapping(self.default_mapping)
