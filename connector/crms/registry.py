"""The CRMs the connector knows, by the `type` a source gives in config.yaml.

Adding a CRM is one folder under `crms/`, one default mapping, and one line here
(docs/adding-a-crm.md).
"""

from __future__ import annotations

from typing import Any

from connector.crms import files, hubspot, salesforce
from connector.crms.base import Crm

CRMS: dict[str, Crm[Any]] = {
    "files": files.CRM,
    "salesforce": salesforce.CRM,
    "hubspot": hubspot.CRM,
}
