"""HubSpot writer: KPI results back into the portal (custom object, company properties)."""

from __future__ import annotations

from connector.config import Config
from connector.sources.hubspot.config import HubSpotSource
from connector.sources.hubspot.mapping import load_mapping
from connector.writers.hubspot.writer import HubSpotWriter

__all__ = ["HubSpotWriter", "from_config"]


def from_config(source: HubSpotSource, config: Config) -> HubSpotWriter:
    """The writer of one `type: hubspot` entry of config.yaml (the mapping's `push:`)."""
    return HubSpotWriter(source.name, source, load_mapping(source.mapping_path).push)
