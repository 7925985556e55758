"""The one door from the connector to the CRM sandbox (`crm_sandbox`): the CRM demo and
the `crm-kpi sandbox` command come through here, nothing else imports it."""

from __future__ import annotations

from crm_sandbox import Sandbox
from crm_sandbox.cli import add_arguments, run

__all__ = ["Sandbox", "add_arguments", "run"]
