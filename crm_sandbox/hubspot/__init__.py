"""The HubSpot CRM surface of the sandbox: CRM v3 objects, search, batch, metadata,
associations v4, OAuth, scopes and rate limits, over the same org as every surface."""

from .auth import Credentials
from .limits import LimitConfig
from .surface import HubSpotSurface

__all__ = ["Credentials", "HubSpotSurface", "LimitConfig"]
