"""The sandbox's org: a deterministic, CRM-neutral data set served by every surface."""

from .org import Org
from .sizes import Sizes, sizes_for

__all__ = ["Org", "Sizes", "sizes_for"]
