"""Checking a mapping against the org: describe every mapped sObject, resolve every field.

The result is either the list of problems (each with a hint) or the resolved streams:
the canonical API names Salesforce uses in its answers, and the key prefixes that
polymorphic references are filtered on.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.crms.salesforce.mapping import SalesforceMapping, Stream

Describe = dict[str, Any]


@dataclass
class Resolved:
    """What validation learned: canonical field paths and key prefixes."""

    paths: dict[tuple[str, str], str] = field(default_factory=dict)  # (object, path) → canonical
    prefixes: dict[str, str] = field(default_factory=dict)  # sObject → key prefix
    problems: list[str] = field(default_factory=list)

    def path(self, stream: Stream, path: str) -> str:
        """The canonical spelling of a mapped path (as validated)."""
        return self.paths[(stream.object, path)]


class Describes(Protocol):
    """Where describes come from: None for objects the user cannot see."""

    def get(self, sobject: str) -> Describe | None:
        """The describe answer of `sobject`."""
        ...


def resolve_mapping(mapping: SalesforceMapping, describer: Describes) -> Resolved:
    """Resolve every stream of the mapping; problems are collected, never raised."""
    resolved = Resolved()
    for stream in mapping.streams:
        described = describer.get(stream.object)
        if described is None or not described.get("queryable", True):
            resolved.problems.append(
                f"{stream.object}: sObject not found or not readable by the integration user "
                "(hint: check the object name and the user's profile or permission sets)"
            )
            continue
        for path in stream.crm_fields():
            _resolve_path(stream.object, path, described, describer, resolved)
        for name in stream.fields:
            target = stream.spec(name).only_ids_of
            if target is not None:
                _resolve_prefix(stream, name, target, describer, resolved)
    return resolved


def _resolve_path(
    sobject: str, path: str, described: Describe, describer: Describes, resolved: Resolved
) -> None:
    parts, canonical, current = path.split("."), [], described
    for index, part in enumerate(parts):
        fields = {f["name"].lower(): f for f in current.get("fields", [])}
        if index == len(parts) - 1:
            found = fields.get(part.lower())
            if found is None:
                resolved.problems.append(_missing(sobject, path, current, part))
                return
            canonical.append(found["name"])
            break
        relation = _relationship(current, part)
        target = describer.get(relation["referenceTo"][0]) if relation else None
        if relation is None or target is None:
            resolved.problems.append(_missing(sobject, path, current, part, relationship=True))
            return
        canonical.append(relation["relationshipName"])
        current = target
    resolved.paths[(sobject, path)] = ".".join(canonical)


def _relationship(described: Describe, name: str) -> dict[str, Any] | None:
    for f in described.get("fields", []):
        if (f.get("relationshipName") or "").lower() == name.lower() and f.get("referenceTo"):
            return dict(f)
    return None


def _missing(
    sobject: str, path: str, described: Describe, part: str, *, relationship: bool = False
) -> str:
    kind = "relationship" if relationship else "field"
    names = [
        (f.get("relationshipName") if relationship else f["name"]) or ""
        for f in described.get("fields", [])
    ]
    close = difflib.get_close_matches(part, [n for n in names if n], n=1)
    hint = f"did you mean {close[0]}? " if close else ""
    return (
        f"{sobject}.{path}: {kind} {part} is missing or not readable on "
        f"{described.get('name', sobject)} (hint: {hint}check the field name in the mapping "
        "and the integration user's field-level security)"
    )


def _resolve_prefix(
    stream: Stream, name: str, target: str, describer: Describes, resolved: Resolved
) -> None:
    described = describer.get(target)
    prefix = described.get("keyPrefix") if described else None
    if not prefix:
        resolved.problems.append(
            f"{stream.object}: fields.{name}.only_ids_of: sObject {target} not found or has "
            "no key prefix (hint: check the object name)"
        )
        return
    resolved.prefixes[target] = str(prefix)
