"""The values a mapping names, against the org's: value map keys against the picklist
values of the fields they map, exclusions and inclusions against the picklist values
(or record types) of their field.

A value the describe does not list may still be on records: an unrestricted picklist
keeps the values old records hold once deactivated, and the API can write values the
list never had. Such values are asked of the records (one query each, five to a
composite call, at most `MAX_ASKED` of them) before they are called a mistake; as SOQL's
`=` ignores case, the query reads the value back, and an exclusion the records hold only
in another case is a mistake too (loads compare exclusions case included).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from connector.crms.config import MappingLines
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.composite import Subrequest, run_composite
from connector.crms.salesforce.mapping import SalesforceMapping
from connector.crms.valuemaps import exclusion_problems, item_at, key_at, key_problems, unmatched
from connector.yamlfile import KeyPath

Describe = dict[str, Any]
MAX_ASKED = 50  # values asked of the records (10 composite calls at most)
SPELLINGS = 10  # records read back per value asked: how they spell it (`=` ignores case)
MapKeys = tuple[str, ...]
TEXT_TYPES = ("string", "email", "phone", "url")  # filterable text: its records are asked
RECORD_TYPE_PATHS = {"recordtype.developername": "developerName", "recordtype.name": "name"}


def picklist(described: Describe, path: str) -> dict[str, Any] | None:
    """The picklist field a plain field path names (None for anything else)."""
    if "." in path:
        return None
    for f in described.get("fields", []):
        if f["name"].lower() == path.lower() and f.get("type") in ("picklist", "multipicklist"):
            return dict(f)
    return None


def picklist_values(found: dict[str, Any]) -> list[str]:
    """The values of a picklist field's describe entry, in the org's order."""
    return [str(v["value"]) for v in found.get("picklistValues") or []]


def record_types(described: Describe, attribute: str = "developerName") -> list[str]:
    """The record types of an sObject by `attribute` (developerName, name), the master
    record type left out (records of an org without record types have none)."""
    return [str(info.get(attribute)) for info in described.get("recordTypeInfos") or []
            if not info.get("master") and info.get(attribute)]  # fmt: skip


@dataclass
class Check:
    """One field's values against what the mapping names for it."""

    sobject: str
    path: str
    values: list[str]
    asked: bool = True  # whether records are asked about names the values lack
    held: set[str] = field(default_factory=set)  # names records hold, lower case
    spellings: set[str] = field(default_factory=set)  # ... as the records spell them


def value_problems(
    transport: SalesforceClient,
    mapping: SalesforceMapping,
    describe: Callable[[str], Describe | None],
    where: MappingLines,
) -> list[str]:
    """Value map keys and exclusion values that match no value of their field and that
    no record holds, each at its mapping line, with "did you mean"."""
    maps = _value_map_checks(mapping, describe)
    scoped = _scope_checks(mapping, describe)
    asked = [(check, key) for (_, keys), checks in maps.items() for check in checks
             for key in unmatched(keys, check.values)]  # fmt: skip
    asked += [(check, value) for _, _, check, named in scoped
              for value in unmatched(named, check.values)]  # fmt: skip
    ask_records(transport, asked)
    problems = []
    for (written, keys), checks in maps.items():
        values = list(dict.fromkeys(v for check in checks for v in check.values))
        what = ", ".join(f"{check.sobject}.{check.path}" for check in checks)
        held = {value for check in checks for value in check.held}
        problems += key_problems(key_at(where.at, written), keys, values, what, held)
    for index, section, check, named in scoped:
        at = item_at(where.at, ("streams", index, section, check.path), named)
        what = f"{check.sobject}.{check.path}"
        problems += exclusion_problems(at, named, check.values, what, check.spellings)
    return problems


def _value_map_checks(
    mapping: SalesforceMapping, describe: Callable[[str], Describe | None]
) -> dict[tuple[KeyPath, MapKeys], list[Check]]:
    """The picklist fields each value map is used for (each field once), by where the
    map is written (`value_maps.<name>`, or inline in a stream) and its keys."""
    checks: dict[tuple[KeyPath, MapKeys], list[Check]] = {}
    for index, stream in enumerate(mapping.streams):
        described = describe(stream.object)
        for name, given in stream.values.items():
            path = stream.fields.get(name)
            named = isinstance(given, str)
            if described is None or path is None or (named and given not in mapping.value_maps):
                continue
            written: KeyPath = (("value_maps", str(given)) if named
                                else ("streams", index, "values", name))  # fmt: skip
            keys = tuple(mapping.value_map(stream, name))
            found = picklist(described, path)
            listed = checks.setdefault((written, keys), [])
            if found is not None and all(
                (c.sobject, c.path) != (stream.object, found["name"]) for c in listed
            ):
                listed.append(Check(stream.object, found["name"], picklist_values(found)))
    return {key: listed for key, listed in checks.items() if listed}


def _scope_checks(
    mapping: SalesforceMapping, describe: Callable[[str], Describe | None]
) -> list[tuple[int, str, Check, list[str]]]:
    """(stream index, exclude or include, the field's values, the values named) for every
    exclusion and inclusion on a picklist field, a record type or a text field."""
    found: list[tuple[int, str, Check, list[str]]] = []
    for index, stream in enumerate(mapping.streams):
        described = describe(stream.object)
        if described is None:
            continue
        for section in ("exclude", "include"):
            for path, named in getattr(stream, section).items():
                check = check_of(stream.object, path, described) or _text_check(
                    stream.object, path, described)
                if check is not None:
                    found.append((index, section, check, named))
    return found


def check_of(sobject: str, path: str, described: Describe) -> Check | None:
    attribute = RECORD_TYPE_PATHS.get(path.lower())
    if attribute is not None:  # record types are listed whole: no record to ask
        return Check(sobject, path, record_types(described, attribute), asked=False)
    found = picklist(described, path)
    return Check(sobject, path, picklist_values(found)) if found is not None else None


def _text_check(sobject: str, path: str, described: Describe) -> Check | None:
    """A text field's check: no values listed, each one named asked of the records."""
    for f in described.get("fields", []):
        if f["name"].lower() == path.lower() and f.get("type") in TEXT_TYPES and f.get(
            "filterable", True
        ):
            return Check(sobject, str(f["name"]), [])
    return None


def ask_records(transport: SalesforceClient, asked: list[tuple[Check, str]]) -> None:
    """Note in each check the names its records hold, and how they spell them: SOQL's
    `=` ignores case, so the value is read back (one query a name, `SPELLINGS` rows)."""
    asked = [(check, name) for check, name in asked if check.asked][:MAX_ASKED]
    if not asked:
        return
    version = transport.config.api_version
    subs = [Subrequest(f"held_{n}", f"/services/data/v{version}/query/?q=" + quote_plus(
        f"SELECT {check.path} FROM {check.sobject} WHERE {check.path} = {soql_string(name)} "
        f"LIMIT {SPELLINGS}")) for n, (check, name) in enumerate(asked)]  # fmt: skip
    answers = run_composite(transport, subs)
    for sub, (check, name) in zip(subs, asked, strict=True):
        answer = answers[sub.ref]
        records = answer.body.get("records") if answer.ok and isinstance(answer.body, dict) else []
        for record in records if isinstance(records, list) else []:
            check.held.add(name.strip().lower())
            spelled = _value_of(record, check.path)
            check.spellings.add(name.strip() if spelled is None else spelled.strip())


def _value_of(record: Any, path: str) -> str | None:
    """The value of field `path` in a REST record (its name in any case)."""
    if not isinstance(record, dict):
        return None
    found = next((v for k, v in record.items() if k.lower() == path.lower()), None)
    return None if found is None else str(found)


def soql_string(value: str) -> str:
    """A SOQL string literal (quotes and backslashes escaped, as the SOQL guide's
    "Quoted String Escape Sequences" lists)."""
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    escaped = escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return f"'{escaped}'"
