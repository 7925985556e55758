"""Helpers for the Salesforce tests: configs, sources and writers on a sandbox org."""

from __future__ import annotations

from typing import Any

from connector.crms.salesforce.config import SalesforceConfig
from connector.crms.salesforce.mapping import PushMapping, load_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.crms.salesforce.write import SalesforceWriter
from connector.kpi.engine import compute
from connector.presentation import Wording
from connector.settings import KpiSettings, Reporting
from connector.store import Store
from crm_sandbox import Sandbox

REPORTING = Reporting(currency="USD", timezone="UTC")
WORDING = Wording("USD")
FAST_HTTP = {"initial_backoff_seconds": 0.01, "max_backoff_seconds": 2.0, "timeout_seconds": 5}


def make_config(sb: Sandbox, **overrides: Any) -> SalesforceConfig:
    """A JWT config for a running sandbox; `overrides` replace top-level sections."""
    info = sb.info["salesforce"]
    data: dict[str, Any] = {
        "name": "sf",
        "type": "salesforce",
        "login_url": info["login_url"],
        "ca_file": sb.info["ca_file"],
        "auth": {
            "method": "jwt",
            "consumer_key": info["consumer_key"],
            "username": info["username"],
            "private_key_file": info["jwt_private_key_file"],
        },
        "http": FAST_HTTP,
        "pull": {"bulk_poll_seconds": 0},
        "push": {"enabled": True},
    }
    data.update(overrides)
    return SalesforceConfig.model_validate(data)


def make_source(sb: Sandbox, **overrides: Any) -> SalesforceSource:
    config = make_config(sb, **overrides)
    return SalesforceSource("sf", config, load_mapping(config.mapping_path), "UTC")


def make_writer(
    sb: Sandbox, mapping: PushMapping | None = None, wording: Wording = WORDING, **overrides: Any
) -> SalesforceWriter:
    """A writer of the shipped mapping's `push:` (or of `mapping`) on a sandbox org;
    `overrides` replace sections of the source's config (`push={"enabled": False}`)."""
    config = make_config(sb, **overrides)
    return SalesforceWriter("sf", config, mapping or load_mapping(config.mapping_path).push,
                            wording)  # fmt: skip


def compute_kpis(store: Store) -> None:
    compute(store, REPORTING, KpiSettings())
