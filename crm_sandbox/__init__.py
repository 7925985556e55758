"""The CRM sandbox: a loopback HTTPS emulator of Salesforce and HubSpot over a generated org."""

from .faults import Fault
from .sandbox import Sandbox
from .tls import MissingDependency

__all__ = ["Fault", "MissingDependency", "Sandbox"]
