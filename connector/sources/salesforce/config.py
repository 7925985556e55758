"""The `type: salesforce` entry of config.yaml: connection, auth, pull and push settings.

Secrets are `${ENV}` references only (`SecretRef`); the consumer key, client id and
user name are identifiers, not secrets, and may be written literally.
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

DEFAULT_MAPPING = Path(__file__).resolve().parents[3] / "mappings" / "salesforce.yaml"
LOGIN_URLS = {
    "production": "https://login.salesforce.com",
    "sandbox": "https://test.salesforce.com",
}


def _https_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc or parts.query or parts.fragment:
        raise ValueError("must be an https:// URL without query or fragment")
    return value.rstrip("/")


def _login_url(value: str) -> str:
    return LOGIN_URLS.get(value) or _https_url(value)


def _api_version(value: str) -> str:
    major, _, minor = value.removeprefix("v").partition(".")
    if not (major.isdigit() and minor.isdigit() and int(major) >= 47):
        raise ValueError("must look like 62.0 (47.0 or later, for Bulk API 2.0)")
    return f"{int(major)}.{int(minor)}"


HttpsUrl = Annotated[str, AfterValidator(_https_url)]
LoginUrl = Annotated[str, AfterValidator(_login_url)]
ApiVersion = Annotated[str, AfterValidator(_api_version)]


class JwtAuth(ConfigModel):
    """OAuth 2.0 JWT bearer flow: the server-to-server flow of a nightly job."""

    method: Literal["jwt"]
    consumer_key: str = Field(min_length=1)
    username: str = Field(min_length=1)
    private_key_file: ExistingFile


class RefreshTokenAuth(ConfigModel):
    """OAuth 2.0 refresh-token flow of a connected app."""

    method: Literal["refresh_token"]
    client_id: str = Field(min_length=1)
    client_secret: SecretRef | None = None
    refresh_token: SecretRef


class PasswordAuth(ConfigModel):
    """OAuth 2.0 username-password flow: user name + password + security token."""

    method: Literal["password"]
    client_id: str = Field(min_length=1)
    client_secret: SecretRef
    username: str = Field(min_length=1)
    password: SecretRef
    security_token: SecretRef | None = None


Auth = Annotated[JwtAuth | RefreshTokenAuth | PasswordAuth, Field(discriminator="method")]


class Http(RetryPolicy):
    """Timeouts and the retry policy of the transport (429, 5xx, timeouts, drops)."""


class Limits(ConfigModel):
    """How much of the org's remaining daily API calls one run may spend."""

    max_share_of_remaining: float = Field(default=0.5, gt=0, le=1)


class Pull(ConfigModel):
    """Pull tuning: Bulk threshold, cursor overlap, checkpoints, hard-delete checks."""

    bulk_threshold: int = Field(default=50_000, ge=1)
    overlap_seconds: int = Field(default=300, ge=0)
    checkpoint_every: int = Field(default=20_000, ge=1)
    reconcile_every_hours: float = Field(default=24.0, ge=0)
    bulk_poll_seconds: int = Field(default=2, ge=0)


class Push(ConfigModel):
    """Writer settings: on/off, batch thresholds, what counts as a changed value."""

    enabled: bool = False
    bulk_threshold: int = Field(default=20_000, ge=1)
    change_tolerance: float = Field(default=1e-9, ge=0)


class SalesforceSource(SourceBase):
    """One Salesforce org."""

    factory: ClassVar[str] = "connector.sources.salesforce:from_config"
    writer_factory: ClassVar[str | None] = "connector.writers.salesforce:from_config"

    type: Literal["salesforce"]
    instance_url: HttpsUrl | None = None
    login_url: LoginUrl = Field(default="production", validate_default=True)
    api_version: ApiVersion = "62.0"
    ca_file: ExistingFile | None = None
    auth: Auth
    mapping: ExistingFile | None = None
    http: Http = Field(default_factory=Http)
    limits: Limits = Field(default_factory=Limits)
    pull: Pull = Field(default_factory=Pull)
    push: Push = Field(default_factory=Push)

    @property
    def pushes(self) -> bool:
        """KPIs are written back only when `push.enabled` says so."""
        return self.push.enabled

    @property
    def mapping_path(self) -> Path:
        """The mapping file in use (the shipped default unless one is named)."""
        return self.mapping or DEFAULT_MAPPING
