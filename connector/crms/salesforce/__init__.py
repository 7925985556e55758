"""Salesforce: an org read through simple-salesforce (REST and Bulk API 2.0), KPIs
written back into a custom object and User/Account fields."""

from __future__ import annotations

from connector.crms.base import Crm
from connector.crms.salesforce.config import EXAMPLE, SalesforceConfig
from connector.crms.salesforce.discover import discover
from connector.crms.salesforce.mapping import load_mapping
from connector.crms.salesforce.read import SalesforceSource
from connector.crms.salesforce.write import SalesforceWriter
from connector.presentation import Wording
from connector.settings import Reporting


def read(config: SalesforceConfig, reporting: Reporting) -> SalesforceSource:
    """The source of one `type: salesforce` entry of config.yaml."""
    return SalesforceSource(config.name, config, load_mapping(config.mapping_path),
                            reporting.timezone, window=reporting.window())  # fmt: skip


def write(config: SalesforceConfig, wording: Wording) -> SalesforceWriter:
    """The writer of one `type: salesforce` entry (the mapping's `push:` section)."""
    return SalesforceWriter(config.name, config, load_mapping(config.mapping_path).push, wording)


CRM = Crm(config=SalesforceConfig, read=read, write=write, example=EXAMPLE, discover=discover)
