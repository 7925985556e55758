"""HubSpot source: deals, contacts, companies, engagements, line items and owners."""

from __future__ import annotations

from connector.config import Config
from connector.sources.hubspot.adapter import HubSpotAdapter
from connector.sources.hubspot.config import HubSpotSource
from connector.sources.hubspot.mapping import HubSpotMapping, load_mapping

__all__ = ["HubSpotAdapter", "HubSpotMapping", "HubSpotSource", "from_config"]


def from_config(source: HubSpotSource, config: Config) -> HubSpotAdapter:
    """The HubSpot source of one `type: hubspot` entry of config.yaml."""
    mapping = load_mapping(source.mapping_path)
    return HubSpotAdapter(source, mapping, config.reporting.timezone)
