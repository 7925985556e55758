"""Value map keys that misspell a value the CRM has (any CRM, a CSV export alike).

A key no record can hold is harmless when it names a value the CRM no longer offers (an
inactive picklist value that old records keep, a value the API writes): it is a typo
when it is close to a value the CRM has and that the map leaves unmapped, whose records
then silently count as the field's default ("Trade Shw: event" leaves "Trade Show" out).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def misspelled(keys: Iterable[str], values: Sequence[str]) -> list[tuple[str, str]]:
    """(key, the value it misspells) for each such key, compared as loads do: any case."""
    keys = list(keys)
    mapped = {key.strip().lower() for key in keys}
    unmapped = {value.lower(): value for value in values if value.lower() not in mapped}
    found = []
    for key in keys:
        if key.strip().lower() in {value.lower() for value in values}:
            continue
        close = difflib.get_close_matches(key.strip().lower(), list(unmapped), n=1)
        if close:
            found.append((key, unmapped[close[0]]))
    return found


def typo_message(where: str, key: str, value: str, what: str, values: Sequence[str]) -> str:
    """The problem of one misspelled key, with the values the CRM has."""
    shown = ", ".join(values[:30]) + (f", … ({len(values) - 30} more)" if len(values) > 30 else "")
    return (
        f"{where}: {key!r} is not a value of {what}; did you mean {value!r}? (no key maps "
        f"{value!r}, so its records count as the default; the values: {shown})"
    )
