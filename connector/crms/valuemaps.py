"""The names and values a mapping gives against those the CRM has, for every CRM and the
CSV exports alike: one matcher (difflib's, case-insensitive) for "did you mean".

A value map key or an exclusion value that matches no value of its field is a mistake:
the records it was written for are not mapped, or not left out ("Conference: event"
when the picklist says "Trade Show"; `Type: [Test Acount]`). Unless records hold it: an
unrestricted picklist keeps the inactive values old records have, which the describe
no longer lists, so a CRM's check asks its records about such keys first (`held`).
Compared as loads compare values: trimmed, in any case.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Sequence

from connector.yamlfile import KeyPath

NEAR = 0.6  # difflib's own cutoff: "did you mean"
LOOSE = 0.3  # the nearest values worth showing for a key far from every value
SHOWN = 30


def nearest(value: str, candidates: Iterable[str], n: int = 1, cutoff: float = NEAR) -> list[str]:
    """The candidates closest to `value` (any case), best first, at most `n`."""
    by_case: dict[str, str] = {}
    for candidate in candidates:
        by_case.setdefault(candidate.strip().lower(), candidate)
    found = difflib.get_close_matches(value.strip().lower(), list(by_case), n=n, cutoff=cutoff)
    return [by_case[match] for match in found]


def did_you_mean(value: str, candidates: Iterable[str], *, quoted: bool = True) -> str:
    """``did you mean 'Opportunity'?``, or "" when nothing is close."""
    close = nearest(value, candidates)
    if not close:
        return ""
    return f"did you mean {close[0]!r}?" if quoted else f"did you mean {close[0]}?"


def suggestion(value: str, candidates: Iterable[str], *, quoted: bool = True) -> str:
    """``; did you mean 'Opportunity'?`` to end a message with, or ""."""
    hint = did_you_mean(value, candidates, quoted=quoted)
    return f"; {hint}" if hint else ""


def unmatched(keys: Iterable[str], values: Iterable[str]) -> list[str]:
    """The keys that match no value (trimmed, any case)."""
    known = {value.strip().lower() for value in values}
    return [key for key in keys if key.strip().lower() not in known]


def misspelled(keys: Iterable[str], values: Sequence[str]) -> list[tuple[str, str]]:
    """(key, the value it misspells) for each key close to a value that no key maps."""
    keys = list(keys)
    mapped = {key.strip().lower() for key in keys}
    unmapped = [value for value in values if value.strip().lower() not in mapped]
    found = []
    for key in unmatched(keys, values):
        close = nearest(key, unmapped)
        if close:
            found.append((key, close[0]))
    return found


def shown(values: Sequence[str]) -> str:
    """The values, at most 30 of them."""
    more = len(values) - SHOWN
    return ", ".join(values[:SHOWN]) + (f", … ({more} more)" if more > 0 else "")


def typo_message(where: str, key: str, value: str, what: str, values: Sequence[str]) -> str:
    """The problem of one misspelled key, with the values the CRM has."""
    return (
        f"{where}: {key!r} is not a value of {what}; did you mean {value!r}? (no key maps "
        f"{value!r}, so its records count as the default; the values: {shown(values)})"
    )


def key_problems(
    where: Callable[[str], str],
    keys: Iterable[str],
    values: Sequence[str],
    what: str,
    held: Iterable[str] = (),
) -> list[str]:
    """One problem per value map key that matches no value of `what` and that no record
    holds (`held`, any case): a misspelling of a value left unmapped, or a key that maps
    nothing, with the nearest values."""
    keys = list(keys)
    typos = dict(misspelled(keys, values))
    holding = {value.strip().lower() for value in held}
    problems = []
    for key in unmatched(keys, values):
        if key.strip().lower() in holding:
            continue
        if key in typos:
            problems.append(typo_message(where(key), key, typos[key], what, values))
        else:
            problems.append(f"{where(key)}: {key!r} is not a value of {what} and no record "
                            f"holds it, so this key maps nothing{_nearest(key, values)} "
                            f"(the values: {shown(values)})")  # fmt: skip
    return problems


def exclusion_problems(
    where: Callable[[str], str],
    excluded: Iterable[str],
    values: Sequence[str],
    what: str,
    held: Iterable[str] = (),
) -> list[str]:
    """One problem per excluded (or included) value that matches no value of `what` and
    that no record holds (`held`: the values records hold, as they spell them): it leaves
    nothing out. Or that matches one in another case only: records are selected by the
    value as written (trimmed), case included."""
    excluded, spelled = list(excluded), [*values, *held]
    problems = [
        f"{where(value)}: {value!r} is not a value of {what} and no record holds it, so it "
        f"selects nothing{_nearest(value, values)} (the values: {shown(values)})"
        if values else  # a text field: only its records say which values it holds
        f"{where(value)}: no record's {what} is {value!r}, so it selects nothing"
        for value in unmatched(excluded, spelled)
    ]
    exact = {value.strip() for value in spelled}
    by_case: dict[str, str] = {}
    for value in spelled:
        by_case.setdefault(value.strip().lower(), value.strip())
    return problems + [
        f"{where(value)}: {value!r} selects nothing: records are selected by the value as "
        f"{what} writes it, case included; did you mean {by_case[value.strip().lower()]!r}?"
        for value in excluded
        if value.strip() not in exact and value.strip().lower() in by_case
    ]


def _nearest(value: str, values: Sequence[str]) -> str:
    close = nearest(value, values)
    if close:
        return f"; did you mean {close[0]!r}?"
    loose = nearest(value, values, n=3, cutoff=LOOSE)
    return "; the nearest: " + ", ".join(map(repr, loose)) if loose else ""


def key_at(at: Callable[[KeyPath], str], base: KeyPath) -> Callable[[str], str]:
    """Where a key below `base` is written (`at`: a mapping's ``file:line key``)."""
    return lambda key: at((*base, key))


def item_at(at: Callable[[KeyPath], str], base: KeyPath, items: list[str]) -> Callable[[str], str]:
    """Where an item of the list at `base` is written, by its value."""
    return lambda item: at((*base, items.index(item)))
