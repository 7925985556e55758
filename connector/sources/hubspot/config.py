"""The `type: hubspot` entry of config.yaml: connection, auth, limits, pull and push.

Secrets (the private-app token, the OAuth client id, secret and refresh token) are
`${ENV}` references only (`SecretRef`), never written in the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from connector.config import SourceBase
from connector.secrets import SecretRef
from connector.sources.retry import RetryPolicy
from connector.yamlfile import ConfigModel, ExistingFile

DEFAULT_HOST = "https://api.hubapi.com"
DEFAULT_MAPPING = Path(__file__).resolve().parents[3] / "mappings" / "hubspot.yaml"


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("must be an https:// URL without query or fragment")
    if parts.path.strip("/"):
        raise ValueError("must be a host only, like https://api.hubapi.com (no path)")
    return value.rstrip("/")


HttpsHost = Annotated[str, AfterValidator(_https_url)]


class PrivateAppAuth(ConfigModel):
    """A private app's access token."""

    method: Literal["private_app"]
    access_token: SecretRef


class OAuthAuth(ConfigModel):
    """The OAuth refresh-token flow of a public app."""

    method: Literal["oauth"]
    client_id: SecretRef
    client_secret: SecretRef
    refresh_token: SecretRef


Auth = Annotated[PrivateAppAuth | OAuthAuth, Field(discriminator="method")]


class Http(RetryPolicy):
    """Timeouts and the retry policy of the transport (429, 5xx, dropped connections);
    HubSpot's windows are 10 seconds, so waiting longer than 30 s never helps."""

    max_backoff_seconds: float = Field(default=30.0, gt=0)


class Limits(ConfigModel):
    """The client-side limiter: stay under the portal's burst window and the search limit.

    HubSpot allows 100 (Free/Starter) to 190 (Professional/Enterprise) calls per app per
    10 seconds, and 5 search calls per second; the defaults keep a margin below both.
    """

    requests_per_window: int = Field(default=90, ge=1)
    window_seconds: float = Field(default=10.0, gt=0)
    search_requests_per_second: int = Field(default=4, ge=1)


class Pull(ConfigModel):
    """Pull tuning: cursor overlap, URL length budget, records per load and checkpoint."""

    overlap_seconds: int = Field(default=60, ge=0)
    max_url_chars: int = Field(default=6000, ge=500)
    load_records: int = Field(default=20_000, ge=100, le=200_000)


class Push(ConfigModel):
    """Writer settings: on/off and what counts as a changed value."""

    enabled: bool = False
    change_tolerance: float = Field(default=1e-9, ge=0)


class HubSpotSource(SourceBase):
    """One HubSpot portal."""

    factory: ClassVar[str] = "connector.sources.hubspot:from_config"
    writer_factory: ClassVar[str | None] = "connector.writers.hubspot:from_config"

    type: Literal["hubspot"]
    host: HttpsHost = DEFAULT_HOST
    ca_file: ExistingFile | None = None
    auth: Auth
    mapping: ExistingFile | None = None
    http: Http = Field(default_factory=Http)
    limits: Limits = Field(default_factory=Limits)
    pull: Pull = Field(default_factory=Pull)
    push: Push = Field(default_factory=Push)

    @property
    def pushes(self) -> bool:
        """Whether KPIs are written back into this portal (`push.enabled`)."""
        return self.push.enabled

    @property
    def mapping_path(self) -> Path:
        """The mapping file in use (the shipped default unless one is named)."""
        return self.mapping or DEFAULT_MAPPING
