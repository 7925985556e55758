"""Checking a mapping against the org: describe every mapped sObject, resolve every field.

The result is either the list of problems (each with a hint) or the resolved streams:
the canonical API names Salesforce uses in its answers, and the key prefixes that
polymorphic references are filtered on. `validate` also compares value maps with the
picklist values of the fields they map, and surveys the org's reps, teams and
territories for the targets' scopes.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from connector.crms.base import Survey
from connector.crms.config import MappingLines
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.errors import SalesforceApiError
from connector.crms.salesforce.mapping import SalesforceMapping, Stream
from connector.crms.salesforce.paging import query_pages
from connector.crms.salesforce.soql import select
from connector.crms.salesforce.targets import quota_query, unavailable_note
from connector.crms.valuemaps import misspelled, typo_message

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


def value_map_problems(
    mapping: SalesforceMapping, describe: Callable[[str], Describe | None], where: MappingLines
) -> list[str]:
    """Value map keys that misspell a picklist value of the fields the map is used for
    (`crms.valuemaps`): the records of that value would silently count as the default."""
    fields: dict[str, list[str]] = {}
    values: dict[str, list[str]] = {}
    for stream in mapping.streams:
        described = describe(stream.object)
        for name in stream.fields:
            spec = stream.spec(name)
            if described is None or spec.values not in mapping.value_maps or spec.field is None:
                continue
            found = _picklist(described, spec.field)
            named = f"{stream.object}.{found['name']}" if found else ""
            if found is not None and named not in fields.setdefault(spec.values, []):
                fields[spec.values].append(named)
                listed = values.setdefault(spec.values, [])
                listed += [str(v["value"]) for v in found.get("picklistValues") or []
                           if str(v["value"]) not in listed]  # fmt: skip
    return [
        typo_message(where.at(("value_maps", map_name, key)), key, value,
                     ", ".join(fields[map_name]), values[map_name])
        for map_name in fields
        for key, value in misspelled(mapping.value_maps[map_name], values[map_name])
    ]  # fmt: skip


def _picklist(described: Describe, path: str) -> dict[str, Any] | None:
    """The picklist field a plain field path names (None for anything else)."""
    if "." in path:
        return None
    for f in described.get("fields", []):
        if f["name"].lower() == path.lower() and f.get("type") in ("picklist", "multipicklist"):
            return dict(f)
    return None


def survey_org(transport: SalesforceClient, mapping: SalesforceMapping, source: str) -> Survey:
    """The org's reps (owners stream), their teams and territories, the Territory2 names,
    and a note when the mapping reads quotas the org does not have."""
    survey = Survey()
    for stream in mapping.streams:
        if stream.entity == "owners":
            _survey_owners(transport, stream, survey)
    if mapping.targets.quotas is not None:
        if quota_query(transport) is None:
            survey.notes.append(unavailable_note(source))
        elif _queryable(transport, "Territory2"):
            # Without territory management the org has no Territory2: no territory quotas.
            for page in query_pages(transport, "SELECT Name FROM Territory2"):
                survey.territories |= {str(r["Name"]) for r in page if r.get("Name")}
    return survey


def _survey_owners(transport: SalesforceClient, stream: Stream, survey: Survey) -> None:
    paths = {n: stream.spec(n).field for n in ("email", "team", "territory") if n in stream.fields}
    fields = [stream.key, *(p for p in paths.values() if p is not None)]
    soql = select(stream.object, fields, cursor_field=stream.cursor, since=None, order=False)
    for page in query_pages(transport, soql):
        for record in page:
            value = {name: _at(record, path) for name, path in paths.items() if path}
            survey.owners[str(_at(record, stream.key))] = value.get("email")
            survey.teams |= {v for v in [value.get("team")] if v}
            survey.territories |= {v for v in [value.get("territory")] if v}


def _at(record: dict[str, Any], path: str) -> str | None:
    """The value at a field path (`UserRole.Name`) of a REST record, names in any case."""
    current: Any = record
    for part in path.split("."):
        if not isinstance(current, dict):
            return None
        current = next((v for k, v in current.items() if k.lower() == part.lower()), None)
    return None if current is None else str(current)


def _queryable(transport: SalesforceClient, sobject: str) -> bool:
    """Whether the org has `sobject` and the integration user may query it."""
    try:
        return bool(transport.describe(sobject).get("queryable", False))
    except SalesforceApiError as exc:
        if exc.status != 404:
            raise
        return False
