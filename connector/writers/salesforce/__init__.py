"""Salesforce writer: KPI results back into the org (custom object, User/Account fields)."""

from __future__ import annotations

from connector.config import Config
from connector.sources.salesforce import load_mapping
from connector.sources.salesforce.config import SalesforceSource as SalesforceConfig
from connector.writers.salesforce.writer import SalesforceWriter

__all__ = ["SalesforceWriter", "from_config"]


def from_config(source: SalesforceConfig, config: Config) -> SalesforceWriter:
    """The writer of one `type: salesforce` entry of config.yaml (mapping's `push:`)."""
    return SalesforceWriter(source.name, source, load_mapping(source).push)
