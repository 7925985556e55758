"""HubSpot: a portal read through hubspot-api-client (CRM v3), KPIs written back into a
custom object and company properties."""

from __future__ import annotations

from connector.crms.base import Crm
from connector.crms.hubspot.config import EXAMPLE, HubSpotConfig
from connector.crms.hubspot.discover import discover
from connector.crms.hubspot.mapping import load_mapping
from connector.crms.hubspot.read import HubSpotSource
from connector.crms.hubspot.write import HubSpotWriter
from connector.presentation import Wording
from connector.settings import Reporting


def read(config: HubSpotConfig, reporting: Reporting) -> HubSpotSource:
    """The source of one `type: hubspot` entry of config.yaml."""
    return HubSpotSource(config, load_mapping(config.mapping_path), reporting.timezone,
                         reporting.window())


def write(config: HubSpotConfig, wording: Wording) -> HubSpotWriter:
    """The writer of one `type: hubspot` entry (the mapping's `push:` section)."""
    return HubSpotWriter(config.name, config, load_mapping(config.mapping_path).push, wording)


CRM = Crm(config=HubSpotConfig, read=read, write=write, example=EXAMPLE, discover=discover)
