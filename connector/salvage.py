"""What is sound in a file with problems: its data without the keys that have them.

`crm-kpi validate` reports every problem in one pass: the problems of config.yaml and of
the mappings (found by a strict load, each with its line), and those the CRMs find. The
CRM checks need a config and mappings to run on; a file with problems gives them its
sound part: each key with a problem is left out (its default applies), a required key's
container with it, and the model validated again, a few rounds at most.

List items of a mapping are never left out: problems found later name them by index
(`streams[3]`), which must stay the index in the file. A mapping whose problem sits in a
list item's required key therefore yields nothing (its CRM checks wait for the fix).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")
KeyPath = tuple[str | int, ...]
MAX_ROUNDS = 8

# A source whose mapping file has a problem is left out whole: without the key, its
# default (the shipped mapping) would be checked in its place.
WHOLE_PARENT = frozenset({"mapping"})


class Unsalvageable(Exception):
    """Nothing sound is left once the keys with problems are out."""


def salvaged(
    data: Any,
    attempt: Callable[[Any], T],
    problems: Callable[[Exception], list[KeyPath] | None],
    *,
    drop_items: bool,
) -> T:
    """`attempt(data)` on copies of `data` pruned of the keys `problems` names, until it
    passes; `problems` returns None for an error it cannot place (then nothing is sound).

    `drop_items`: whether a list item may be left out (config.yaml's sources and targets)
    or not (a mapping's streams, whose index later problems cite)."""
    current = copy.deepcopy(data)
    for _ in range(MAX_ROUNDS):
        try:
            return attempt(current)
        except Exception as exc:  # the caller's validation error, placed by `problems`
            found = problems(exc)
            if not found:
                raise Unsalvageable(str(exc)) from None
            # Placed before any is pruned: two problems may name one key (an alias).
            paths = [(path, _present(current, path)) for path in
                     (located(current, loc) for loc in found)]  # fmt: skip
            if not all(_prune(current, p, present, drop_items) for p, present in paths):
                raise Unsalvageable(str(exc)) from None
            current = _swept(current)
    raise Unsalvageable(f"still failing after {MAX_ROUNDS} rounds")


def _present(data: Any, path: KeyPath) -> bool:
    node = data
    for segment in path:
        key = _key_in(node, segment)
        if key is None:
            return False
        node = node[key]
    return True


def _prune(data: Any, path: KeyPath, present: bool, drop_items: bool) -> bool:
    """Leave out the deepest key of `path` present in `data`: the key with the problem,
    or the container of a required key that is missing (`present`: whether `path` was
    there when the round began); False when nothing sound would be left (the whole
    document, or a list item that must stay)."""
    if present and not _present(data, path):
        return True  # left out already, for another problem of the round
    found: list[tuple[Any, str | int]] = []
    node = data
    for segment in path:
        key = _key_in(node, segment)
        if key is None:
            break
        if node[key] is _DROPPED:
            return True  # left out already, for another of its problems
        found.append((node, key))
        node = node[key]
    if found and found[-1][1] in WHOLE_PARENT:
        found.pop()
    if not found:
        return False
    container, key = found[-1]
    if isinstance(container, list):
        if not drop_items or not isinstance(key, int):
            return False
        container[key] = _DROPPED  # swept after the round: the other paths keep their indices
    else:
        del container[key]
    return True


class _Dropped:
    """Marks a list item left out until the round's every path is placed."""


_DROPPED = _Dropped()


def _swept(node: Any) -> Any:
    if isinstance(node, dict):
        return {key: _swept(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_swept(item) for item in node if item is not _DROPPED]
    return node


def located(data: Any, loc: KeyPath) -> KeyPath:
    """`loc` (a validation error's) without the segments that are no keys of `data`:
    union tags and member names pydantic adds; a missing last key (a required one) stays."""
    kept: KeyPath = ()
    node = data
    for index, segment in enumerate(loc):
        key = _key_in(node, segment)
        is_last = index == len(loc) - 1
        scalars = {str(v) for v in node.values() if not isinstance(v, dict | list)} if (
            isinstance(node, dict)) else set()  # fmt: skip
        is_tag = str(segment) in scalars
        if key is not None and not (is_tag and not is_last and not _is_container(node[key])):
            kept, node = (*kept, key), node[key]
            continue
        if is_last and not is_tag and isinstance(node, dict):
            kept = (*kept, segment)
    return kept


def _is_container(value: Any) -> bool:
    return isinstance(value, dict | list)


def _key_in(node: Any, segment: str | int) -> str | int | None:
    """`segment` as a key of `node` (mapping keys may be read as text), or None."""
    if isinstance(node, dict):
        for candidate in (segment, str(segment)):
            if candidate in node:
                return candidate
        return None
    if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
        return segment
    return None
