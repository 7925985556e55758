"""How many records of each kind an org of a given scale holds."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

WINDOW_DAYS = 1095  # three years of history, ending at the org's anchor date


@dataclass(frozen=True)
class Sizes:
    """Record counts and funnel shape for one scale (scale 1 ≈ 20k leads, 5k deals)."""

    reps: int
    teams: int
    accounts: int
    preexisting_accounts: int
    leads: int
    opportunities: int
    opportunities_from_leads: int
    converted_without_opportunity: int
    activities: int
    campaigns: int

    @property
    def new_accounts(self) -> int:
        """Accounts created by converting a lead (the first opportunities from leads)."""
        return self.accounts - self.preexisting_accounts

    @property
    def lead_stride(self) -> int:
        """Every `lead_stride`-th lead is converted (until the conversions run out)."""
        converted = self.opportunities_from_leads + self.converted_without_opportunity
        return max(1, self.leads // max(1, converted))


def sizes_for(scale: float) -> Sizes:
    """Sizes for `scale` (> 0); people grow with √scale, records linearly."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    reps = max(4, round(25 * math.sqrt(scale)))
    accounts = max(10, round(1200 * scale))
    preexisting = max(4, round(accounts * 0.4))
    opportunities = max(20, round(5000 * scale))
    from_leads = max(accounts - preexisting, round(opportunities * 0.6))
    leads = max(from_leads * 2, round(20000 * scale))
    return Sizes(
        reps=reps,
        teams=max(2, round(reps / 5)),
        accounts=accounts,
        preexisting_accounts=preexisting,
        leads=leads,
        opportunities=opportunities,
        opportunities_from_leads=from_leads,
        converted_without_opportunity=round(leads * 0.02),
        activities=max(100, round(100_000 * scale)),
        campaigns=max(6, round(40 * math.sqrt(scale))),
    )


@dataclass(frozen=True)
class Window:
    """The history the org spans: [start, end), end = the anchor day at 00:00 UTC."""

    start: dt.datetime
    end: dt.datetime

    @classmethod
    def ending(cls, anchor: dt.date) -> Window:
        end = dt.datetime.combine(anchor, dt.time())
        return cls(end - dt.timedelta(days=WINDOW_DAYS), end)

    def sql(self) -> dict[str, str]:
        """TIMESTAMP literals for SQL templates."""
        return {
            "start": f"TIMESTAMP '{self.start:%Y-%m-%d %H:%M:%S}'",
            "end": f"TIMESTAMP '{self.end:%Y-%m-%d %H:%M:%S}'",
        }
