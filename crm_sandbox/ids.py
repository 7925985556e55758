"""Salesforce record ids: 18-character ids derived from the org's integer keys.

The org stores plain integer keys (`n`); a Salesforce id is the object's key prefix,
a fixed pod part, and `n` in base 62, followed by the documented 3-character
case-safe checksum. The same encoding exists as a DuckDB macro (`SQL_MACROS`) so
that ids are computed inside queries, vectorised, and never stored twice.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
# Chars 3-5: the "pod" and reserved characters of a real id; lowercase and digits only,
# so that they never set checksum bits.
POD = "8d0"
_DIGITS = 9
_ID_RE = re.compile(r"^[0-9A-Za-z]{15}(?:[0-9A-Z]{3})?$")
_INDEX = {c: i for i, c in enumerate(ALPHABET)}


def _checksum(id15: str) -> str:
    """The 3-char suffix: per 5-char chunk, one bit per uppercase letter."""
    out = []
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= ch <= "Z":
                bits |= 1 << i
        out.append(_CHECKSUM_CHARS[bits])
    return "".join(out)


def sf_id(prefix: str, n: int) -> str:
    """The 18-char id of record `n` of the object whose key prefix is `prefix`."""
    digits = []
    for _ in range(_DIGITS):
        n, d = divmod(n, 62)
        digits.append(ALPHABET[d])
    id15 = prefix + POD + "".join(reversed(digits))
    return id15 + _checksum(id15)


def is_wellformed(value: str) -> bool:
    """True for a 15- or 18-char id whose checksum (if present) is right."""
    if not _ID_RE.match(value):
        return False
    return len(value) == 15 or _checksum(value[:15]) == value[15:]


def parse_sf_id(value: str) -> tuple[str, int] | None:
    """(prefix, n) of an id this org issued, or None when it is not one of ours."""
    if not is_wellformed(value) or value[3:6] != POD:
        return None
    n = 0
    for ch in value[6:15]:
        n = n * 62 + _INDEX[ch]
    return value[:3], n


def _digit_sql(k: int) -> str:
    return f"((n // {62**k}) % 62)"


def _sfid_macro() -> str:
    chars = " || ".join(
        f"substr('{ALPHABET}', {_digit_sql(k)}::INTEGER + 1, 1)" for k in range(_DIGITS - 1, -1, -1)
    )

    def up(expr: str) -> str:
        return f"(CASE WHEN {expr} BETWEEN 10 AND 35 THEN 1 ELSE 0 END)"

    def up_char(pos: int) -> str:
        return f"(CASE WHEN substr(prefix, {pos}, 1) BETWEEN 'A' AND 'Z' THEN 1 ELSE 0 END)"

    chunk1 = " + ".join(f"{1 << i} * {up_char(i + 1)}" for i in range(3))
    chunk2 = " + ".join(f"{1 << (i + 1)} * {up(_digit_sql(8 - i))}" for i in range(4))
    chunk3 = " + ".join(f"{1 << i} * {up(_digit_sql(4 - i))}" for i in range(5))
    suffix = " || ".join(
        f"substr('{_CHECKSUM_CHARS}', ({c})::INTEGER + 1, 1)" for c in (chunk1, chunk2, chunk3)
    )
    return (
        "CREATE OR REPLACE MACRO sfid(prefix, n) AS CASE WHEN n IS NULL THEN NULL "
        f"ELSE prefix || '{POD}' || {chars} || {suffix} END"
    )


SQL_MACROS: tuple[str, ...] = (_sfid_macro(),)


# Key prefixes of the objects the org serves (the documented standard ones where they exist).
PREFIX: dict[str, str] = {
    "users": "005",
    "teams": "00E",
    "accounts": "001",
    "contacts": "003",
    "leads": "00Q",
    "opportunities": "006",
    "line_items": "00k",
    "products": "01t",
    "price_entries": "01u",
    "pricebooks": "01s",
    "task": "00T",
    "event": "00U",
    "campaigns": "701",
    "currencies": "02B",
    "dated_rates": "04w",
    "surveys": "a01",
    "quotas": "0J9",  # ForecastingQuota
    "territories": "0MI",  # Territory2
    "periods": "026",  # Period
}
