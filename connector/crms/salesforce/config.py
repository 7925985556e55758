"""The `type: salesforce` entry of config.yaml: connection, auth, pull and push settings.

Secrets are `${ENV}` references only (`SecretRef`); the consumer key, client id and
user name are identifiers, not secrets, and may be written literally.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field

from connector.crms.config import CrmConfig, HttpSettings, HttpsUrl, PushSettings, https_url
from connector.secrets import SecretRef
from connector.yamlfile import ConfigModel, ConnectionFile

LOGIN_URLS = {
    "production": "https://login.salesforce.com",
    "sandbox": "https://test.salesforce.com",
}


def _login_url(value: str) -> str:
    return LOGIN_URLS.get(value) or https_url(value)


def _api_version(value: str) -> str:
    major, _, minor = value.removeprefix("v").partition(".")
    if not (major.isdigit() and minor.isdigit() and int(major) >= 47):
        raise ValueError("must look like 62.0 (47.0 or later, for Bulk API 2.0)")
    return f"{int(major)}.{int(minor)}"


LoginUrl = Annotated[str, AfterValidator(_login_url)]
ApiVersion = Annotated[str, AfterValidator(_api_version)]


class JwtAuth(ConfigModel):
    """OAuth 2.0 JWT bearer flow: the server-to-server flow of a nightly job."""

    method: Literal["jwt"]
    consumer_key: str = Field(min_length=1)
    username: str = Field(min_length=1)
    private_key_file: ConnectionFile


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


class Limits(ConfigModel):
    """How much of the org's remaining daily API calls one run may spend."""

    max_share_of_remaining: float = Field(default=0.5, gt=0, le=1)


class Pull(ConfigModel):
    """Pull tuning: Bulk threshold, cursor overlap, checkpoints, hard-delete checks."""

    # Each stream is read over REST (pages of 2,000) or Bulk API 2.0 (create, a poll, one
    # call per 50,000), whichever costs fewer calls; above this many records, always Bulk.
    bulk_threshold: int = Field(default=10_000, ge=1)
    overlap_seconds: int = Field(default=300, ge=0)
    checkpoint_every: int = Field(default=20_000, ge=1)
    reconcile_every_hours: float = Field(default=24.0, ge=0)
    bulk_poll_seconds: int = Field(default=2, ge=0)


class Push(PushSettings):
    """Writer settings: on/off, the Bulk threshold, what counts as a changed value, and
    how setup follows its Metadata API deploy."""

    bulk_threshold: int = Field(default=20_000, ge=1)
    # Setup checks on its deploy after this many seconds, then at twice the interval
    # before (at most every 30 s): a quick deploy costs one check, a slow one a few.
    deploy_poll_seconds: float = Field(default=2.0, ge=0)


class SalesforceConfig(CrmConfig[Auth, HttpSettings, Limits, Pull, Push]):
    """One Salesforce org."""

    default_mapping: ClassVar[str] = "salesforce.yaml"

    type: Literal["salesforce"]
    instance_url: HttpsUrl | None = None
    login_url: LoginUrl = Field(default="production", validate_default=True)
    api_version: ApiVersion = "62.0"


# The commented `sources:` entry `crm-kpi init --crm salesforce` writes.
EXAMPLE = """\
  - name: salesforce
    type: salesforce
    login_url: production    # production, sandbox, or your My Domain https:// URL
    api_version: "62.0"
    auth:                    # the JWT bearer flow of a connected app (server to server)
      method: jwt
      consumer_key: 3MVG9...your-connected-app-consumer-key
      username: integration.user@example.com
      private_key_file: ./secrets/salesforce-jwt.key   # keep it out of version control
      # or: {method: refresh_token, client_id: ..., refresh_token: ${SF_REFRESH_TOKEN}}
      # or: {method: password, client_id: ..., client_secret: ${SF_CLIENT_SECRET},
      #      username: ..., password: ${SF_PASSWORD}, security_token: ${SF_TOKEN}}
    mapping: mappings/salesforce.yaml   # objects and fields read, and KPI fields written
    limits:
      max_share_of_remaining: 0.5      # never spend more than half the day's API calls left
    push:
      enabled: true          # write KPIs back (run `crm-kpi setup salesforce` once first)
      # deploy_poll_seconds: 2   # how soon setup first checks its Metadata API deploy
"""
