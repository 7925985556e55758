"""The `type: hubspot` entry of config.yaml: connection, auth, limits, pull and push.

Secrets (the private-app token, the OAuth client id, secret and refresh token) are
`${ENV}` references only (`SecretRef`), never written in the file.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from connector.crms.config import CrmConfig, HttpSettings, PushSettings, https_url
from connector.secrets import SecretRef
from connector.yamlfile import ConfigModel

DEFAULT_HOST = "https://api.hubapi.com"


def _https_host(value: str) -> str:
    if urlsplit(value).path.strip("/"):
        raise ValueError("must be a host only, like https://api.hubapi.com (no path)")
    return https_url(value)


HttpsHost = Annotated[str, AfterValidator(_https_host)]


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


class Http(HttpSettings):
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
    # Private apps: never spend more than this share of the day's remaining calls.
    max_share_of_remaining: float = Field(default=0.5, gt=0, le=1)


class Pull(ConfigModel):
    """Pull tuning: cursor overlap, URL length budget, records per load and checkpoint;
    how often archived records, properties, owners and pipelines are read again; full
    pulls through the exports API."""

    overlap_seconds: int = Field(default=60, ge=0)
    max_url_chars: int = Field(default=6000, ge=500)
    load_records: int = Field(default=20_000, ge=100, le=200_000)
    # Archived records stay listed for 90 days, then are purged: list them well within.
    reconcile_every_hours: float = Field(default=24.0, ge=0, le=24 * 60)
    metadata_every_hours: float = Field(default=24.0, ge=0)
    # Records purged for good show in no listing: every live id is listed this often.
    purge_check_every_hours: float = Field(default=168.0, ge=0)
    search_lag_retries: int = Field(default=3, ge=0, le=10)
    # Full pulls through the CRM exports API (needs the crm.export scope): true, or auto
    # (exports when the token has the scope, quietly search when not); search paging
    # stays the default, and the fallback when an export fails.
    exports: bool | Literal["auto"] = False
    export_poll_seconds: float = Field(default=2.0, ge=0)


class HubSpotConfig(CrmConfig[Auth, Http, Limits, Pull, PushSettings]):
    """One HubSpot portal."""

    default_mapping: ClassVar[str] = "hubspot.yaml"

    type: Literal["hubspot"]
    host: HttpsHost = DEFAULT_HOST


# The commented `sources:` entry `crm-kpi init --crm hubspot` writes.
EXAMPLE = """\
  - name: hubspot
    type: hubspot
    auth:
      method: private_app
      access_token: ${HUBSPOT_ACCESS_TOKEN}   # a private app's token, from the environment
      # or: {method: oauth, client_id: ${HUBSPOT_CLIENT_ID},
      #      client_secret: ${HUBSPOT_CLIENT_SECRET}, refresh_token: ${HUBSPOT_REFRESH_TOKEN}}
    mapping: mappings/hubspot.yaml      # properties read, and KPI properties written
    limits:
      requests_per_window: 90          # stay under the portal's 100 requests / 10 s
    # pull: {exports: auto}   # first pulls through the exports API when the token has
    #                         # crm.export (validate says what it would save: docs/hubspot.md)
    push:
      enabled: true          # write KPIs back (run `crm-kpi setup hubspot` once first)
"""
