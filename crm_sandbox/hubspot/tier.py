"""The portal's subscription tier, as far as the API shows it.

Custom objects need an Enterprise subscription of any hub (Marketing, Sales, Service,
Content or Data Hub Enterprise: the "Supported products" box of HubSpot's custom objects
guide). The limits tracking API answers on every tier (`GET
/crm/v3/limits/custom-object-types`: `{limit, percentage, usage}`; "Custom objects
(Enterprise only)"), so a portal below Enterprise reads a limit of 0. Creating a schema
there is refused with 403; listing schemas answers an empty list (a public report of a
Professional portal: "I can successfully fetch the (empty) list of custom schemas …
but am unable to create new custom schemas").
"""

from __future__ import annotations

from typing import Literal, get_args

from .errors import HsError

Tier = Literal["free", "starter", "professional", "enterprise"]
TIERS: tuple[Tier, ...] = get_args(Tier)
ENTERPRISE_CUSTOM_OBJECTS = 10
"""Custom object definitions an Enterprise portal may create (the sandbox's figure)."""
NO_CUSTOM_OBJECTS = "This account does not have access to custom objects."
"""The message of the 403 (as public integrations' fixtures of HubSpot's answer quote it)."""


def tier_of(value: str) -> Tier:
    """A tier by name (any case); ValueError naming the tiers otherwise."""
    key = value.strip().lower()
    for tier in TIERS:
        if tier == key:
            return tier
    raise ValueError(f"unknown HubSpot tier {value!r} (one of {', '.join(TIERS)})")


class Subscription:
    """What the portal's tier allows the API to do."""

    def __init__(self, tier: Tier = "enterprise") -> None:
        self.tier: Tier = tier

    @property
    def custom_object_limit(self) -> int:
        return ENTERPRISE_CUSTOM_OBJECTS if self.tier == "enterprise" else 0

    def limits_json(self, usage: int) -> dict[str, int | float]:
        """GET /crm/v3/limits/custom-object-types."""
        limit = self.custom_object_limit
        share = round(100.0 * usage / limit, 1) if limit else 0.0
        return {"limit": limit, "percentage": share, "usage": usage}

    def check_create(self, usage: int) -> None:
        """A schema may be created: 403 below Enterprise, 400 past the limit."""
        if self.tier != "enterprise":
            raise HsError(403, "FORBIDDEN", NO_CUSTOM_OBJECTS)
        if usage >= self.custom_object_limit:
            raise HsError(400, "VALIDATION_ERROR", "Custom object definition limit reached: "
                          f"{usage} of {self.custom_object_limit} in use.")
