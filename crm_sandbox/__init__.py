"""The CRM sandbox: a loopback HTTPS emulator of Salesforce over a generated org."""

from .faults import Fault
from .sandbox import Sandbox

__all__ = ["Fault", "Sandbox"]
