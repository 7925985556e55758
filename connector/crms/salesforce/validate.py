"""Checking a mapping against the org: describe every mapped sObject, resolve every field.

The result is either the list of problems (each with a hint) or the resolved streams:
the canonical API names Salesforce uses in its answers, and the key prefixes that
polymorphic references are filtered on. `validate` also compares value maps with the
picklist values of the fields they map, and surveys the org's reps, teams and
territories for the targets' scopes.
"""

from __future__ import annotations

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
from connector.crms.valuemaps import did_you_mean
from connector.yamlfile import KeyPath

Describe = dict[str, Any]


@dataclass
class Resolved:
    """What validation learned: canonical field paths and key prefixes."""

    paths: dict[tuple[str, str], str] = field(default_factory=dict)  # (object, path) → canonical
    prefixes: dict[str, str] = field(default_factory=dict)  # sObject → key prefix
    problems: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # sObjects not found

    def path(self, stream: Stream, path: str) -> str:
        """The canonical spelling of a mapped path (as validated)."""
        return self.paths[(stream.object, path)]


class Describes(Protocol):
    """Where describes come from: None for objects the user cannot see."""

    def get(self, sobject: str) -> Describe | None:
        """The describe answer of `sobject`."""
        ...


def resolve_mapping(
    mapping: SalesforceMapping,
    describer: Describes,
    where: MappingLines | None = None,
    sobjects: list[str] | None = None,
) -> Resolved:
    """Resolve every stream of the mapping; problems are collected, never raised, each
    at its mapping line when `where` is given; `sobjects` (the org's) for "did you mean"."""
    resolved = Resolved()
    at = _at_line(where)
    for index, stream in enumerate(mapping.streams):
        described = describer.get(stream.object)
        if described is None or not described.get("queryable", True):
            resolved.missing.append(stream.object)
            hint = did_you_mean(stream.object, sobjects or [], quoted=False)
            resolved.problems.append(
                f"{at(('streams', index, 'object'))}{stream.object}: sObject not found or not "
                f"readable by the integration user (hint: {hint + ' ' if hint else ''}check "
                "the object name and the user's profile or permission sets)"
            )
            continue
        keys = stream_keys(stream, index)
        for path in stream.crm_fields():
            _resolve_path(stream.object, path, described, describer, resolved, at(keys[path]))
        for name, target in stream.only_ids_of.items():
            if name in stream.fields:
                where_at = at(("streams", index, "only_ids_of", name))
                _resolve_prefix(stream, name, target, describer, resolved, where_at)
    return resolved


def stream_keys(stream: Stream, index: int) -> dict[str, KeyPath]:
    """The mapping key that names each CRM field path the stream reads (the first one)."""
    base: KeyPath = ("streams", index)
    keys: dict[str, KeyPath] = {stream.key: (*base, "key"), stream.cursor: (*base, "cursor")}
    for name, path in stream.fields.items():
        keys.setdefault(path, (*base, "fields", name))
    for section in ("exclude", "include"):
        for path in getattr(stream, section):
            keys.setdefault(path, (*base, section, path))
    for position, path in enumerate(stream.require):
        keys.setdefault(path, (*base, "require", position))
    return keys


def _at_line(where: MappingLines | None) -> Callable[[KeyPath], str]:
    """``salesforce.yaml:57 streams[3].fields.cost: `` (nothing without `where`)."""
    return (lambda key: f"{where.at(key)}: ") if where is not None else (lambda key: "")


def _resolve_path(
    sobject: str,
    path: str,
    described: Describe,
    describer: Describes,
    resolved: Resolved,
    at: str = "",
) -> None:
    parts, canonical, current = path.split("."), [], described
    for index, part in enumerate(parts):
        fields = {f["name"].lower(): f for f in current.get("fields", [])}
        if index == len(parts) - 1:
            found = fields.get(part.lower())
            if found is None:
                resolved.problems.append(at + _missing(sobject, path, current, part))
                return
            canonical.append(found["name"])
            break
        relation = _relationship(current, part)
        target = describer.get(relation["referenceTo"][0]) if relation else None
        if relation is None or target is None:
            problem = _missing(sobject, path, current, part, relationship=True)
            resolved.problems.append(at + problem)
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
    close = did_you_mean(part, [n for n in names if n], quoted=False)
    hint = f"{close} " if close else ""
    return (
        f"{sobject}.{path}: {kind} {part} is missing or not readable on "
        f"{described.get('name', sobject)} (hint: {hint}check the field name in the mapping "
        "and the integration user's field-level security)"
    )


def _resolve_prefix(
    stream: Stream, name: str, target: str, describer: Describes, resolved: Resolved, at: str
) -> None:
    described = describer.get(target)
    prefix = described.get("keyPrefix") if described else None
    if not prefix:
        resolved.problems.append(
            f"{at}{stream.object}: fields.{name}.only_ids_of: sObject {target} not found or has "
            "no key prefix (hint: check the object name)"
        )
        return
    resolved.prefixes[target] = str(prefix)


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
    paths = {n: stream.fields.get(n) for n in ("email", "team", "territory") if n in stream.fields}
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
