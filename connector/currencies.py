"""The ISO 4217 currency codes, as its maintenance agency publishes them (List One).

Python's standard library has none; the `iso4217` package ships SIX's own table (about
50 kB, public domain, versioned by the date of the list), so a code added or withdrawn
by ISO arrives with a package update rather than a hand edit here.
"""

from __future__ import annotations

import iso4217

ISO_4217_CODES: frozenset[str] = frozenset(code for code in iso4217.raw_table if code)
LIST_DATE = iso4217.__published__.isoformat()


def is_iso_4217(code: str) -> bool:
    """Whether `code` is an active ISO 4217 currency code (upper case, like EUR)."""
    return code in ISO_4217_CODES
