"""The config sections of running crm-kpi as a service: `alerts:`, `smtp:` and
`observability:`.

```yaml
alerts:
  - {webhook: "${SLACK_WEBHOOK_URL}", format: slack, on: [failure, partial, excluded]}
  - {email: ops@example.com, on: [failure, stale]}
smtp: {host: smtp.example.com, port: 587, starttls: true, user: "${SMTP_USER}",
       password: "${SMTP_PASSWORD}", sender: crm-kpi@example.com}
observability:
  metrics_file: /var/lib/node_exporter/textfile_collector/crm_kpi.prom
  pushgateway: http://pushgateway.monitoring:9091
  excluded_share: 0.05
  stale_after_hours: 26
```
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from connector.secrets import SecretRef
from connector.yamlfile import ConfigModel, ResolvedPath, located_error

Event = Literal["failure", "partial", "excluded", "stale"]
"""failure: exit 2 or more; partial: exit 1; excluded: records left out of a KPI over
`observability.excluded_share`; stale: no successful run for `stale_after_hours`."""
EVENTS: tuple[Event, ...] = ("failure", "partial", "excluded", "stale")

_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _check_url(value: str | SecretRef) -> str | SecretRef:
    if isinstance(value, str) and not _URL.match(value):
        raise PydanticCustomError("url", "not an http(s) URL: write it like https://host/path, "
                                  "or as ${ENV_VAR} when it holds a token")  # fmt: skip
    return value


def _check_email(value: str) -> str:
    if not _EMAIL.match(value):
        raise PydanticCustomError("email", "not an e-mail address: {value}", {"value": value})
    return value


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


def _url_or_secret(value: object) -> object:
    # A webhook URL usually holds its token: `${SLACK_WEBHOOK_URL}` keeps it out of the file.
    if isinstance(value, str) and value.startswith("${"):
        return SecretRef.parse(value, "webhook")
    return value


Email = Annotated[str, AfterValidator(_check_email)]
Url = Annotated[str | SecretRef, BeforeValidator(_url_or_secret), AfterValidator(_check_url)]


class Alert(ConfigModel):
    """One destination (a webhook or e-mail addresses) and the events it wants."""

    webhook: Url | None = None
    format: Literal["json", "slack", "teams"] = "json"
    """The webhook's body: crm-kpi's JSON, a Slack incoming webhook's, or a Teams one's."""
    email: Annotated[list[Email], BeforeValidator(_one_or_many)] | None = None
    on: Annotated[list[Event], Field(min_length=1)] = Field(default_factory=lambda: list(EVENTS))

    @model_validator(mode="before")
    @classmethod
    def _on_is_a_key(cls, data: Any) -> Any:
        # YAML 1.1 (PyYAML) reads a bare `on:` key as the boolean true.
        if isinstance(data, dict) and True in data and "on" not in data:
            return {("on" if key is True else key): value for key, value in data.items()}
        return data

    @model_validator(mode="after")
    def _one_destination(self) -> Alert:
        if (self.webhook is None) == (self.email is None):
            message = "an alert has one destination: webhook: URL or email: address(es)"
            raise located_error("Alert", [(("webhook",), "alert_destination", message)])
        if self.email is not None and "format" in self.model_fields_set:
            message = "format: applies to webhooks; an e-mail is plain text"
            raise located_error("Alert", [(("format",), "alert_format", message)])
        return self

    @property
    def name(self) -> str:
        """The destination for logs: a webhook's host (its path may hold a token)."""
        if self.email is not None:
            return "e-mail to " + ", ".join(self.email)
        if isinstance(self.webhook, SecretRef):
            return f"webhook {self.webhook}"
        host = str(self.webhook).split("/")[2]
        return f"webhook {host}"


class SmtpSettings(ConfigModel):
    """The mail server e-mail alerts go through."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    starttls: bool = True
    """Upgrade to TLS before logging in (port 587); false only for a local relay."""
    ssl: bool = False
    """TLS from the first byte (port 465) instead of STARTTLS."""
    user: SecretRef | None = None
    password: SecretRef | None = None
    sender: Email = "crm-kpi@localhost"
    ca_file: ResolvedPath | None = None
    """The CA that signed the server's certificate, when it is not a public one."""
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)

    @model_validator(mode="after")
    def _login_pairs(self) -> SmtpSettings:
        if (self.user is None) != (self.password is None):
            message = "give user and password together, or neither"
            raise located_error("SmtpSettings", [(("password",), "smtp_login", message)])
        return self


class ObservabilitySettings(ConfigModel):
    """Metrics for Prometheus, and the thresholds of the excluded and stale events."""

    metrics_file: ResolvedPath | None = None
    """A .prom file for node-exporter's textfile collector, rewritten whole each run."""
    pushgateway: Url | None = None
    """A Prometheus Pushgateway to push the same metrics to (job crm_kpi)."""
    pushgateway_labels: dict[Annotated[str, Field(pattern=r"^[a-zA-Z_][a-zA-Z0-9_]*$")],
                             Annotated[str, Field(min_length=1)]] = Field(default_factory=dict)
    """The push's grouping labels beside job crm_kpi (e.g. `{unit: emea}`): each config
    pushing to one Pushgateway needs its own, or each push replaces the other's."""
    push_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    excluded_share: float = Field(default=0.05, ge=0, le=1)
    """Records left out of a KPI (won deals or costs without an exchange rate, rows
    quarantined) above this share of a source's entity make the run partial (exit 1)."""
    excluded_min_records: int = Field(default=10, ge=1)
    """...and at least this many records: a handful of bad rows stays a finding."""
    stale_after_hours: float = Field(default=26.0, gt=0)
    """No successful run for this long raises `stale` (and fails `status --check`)."""
    alert_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
