"""Salesforce source: pulls an org through simple-salesforce into the normalized store."""

from __future__ import annotations

from connector.config import Config
from connector.sources.salesforce.config import SalesforceSource as SalesforceConfig
from connector.sources.salesforce.mapping import SalesforceMapping
from connector.sources.salesforce.source import SalesforceSource
from connector.sources.salesforce.transport import SalesforceTransport
from connector.yamlfile import load_model

__all__ = [
    "SalesforceConfig",
    "SalesforceMapping",
    "SalesforceSource",
    "SalesforceTransport",
    "from_config",
    "load_mapping",
]


def load_mapping(config: SalesforceConfig) -> SalesforceMapping:
    """The mapping file of a configured source, validated (`ConfigError` names lines)."""
    return load_model(config.mapping_path, SalesforceMapping)


def from_config(source: SalesforceConfig, config: Config) -> SalesforceSource:
    """The Salesforce source of one `type: salesforce` entry of config.yaml."""
    return SalesforceSource(source.name, source, load_mapping(source), config.reporting.timezone)
