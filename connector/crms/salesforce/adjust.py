"""The mapping in use, adjusted to one org (`discover`), each change said beside it.

An sObject or field the org lacks is replaced by the one its names or type suggest
(`crms.proposal`), else left out of the proposal and listed with how to add it; every
picklist value of a value-mapped field gets a key (a guessed contact method with the
reason, or `other` to review); keys and exclusions that match no value of the org, nor
any record, are left out or corrected to the nearest value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.crms.proposal import (
    Lack,
    OrgField,
    correct_items,
    fill_value_map,
    note,
    propose_field,
    stale_keys,
)
from connector.crms.salesforce.client import SalesforceClient
from connector.crms.salesforce.describes import Describer
from connector.crms.salesforce.mapping import SalesforceMapping, Stream
from connector.crms.salesforce.picklists import Check, ask_records, check_of, picklist
from connector.crms.salesforce.picklists import picklist_values as values_of
from connector.crms.salesforce.validate import Resolved
from connector.crms.valuemaps import unmatched
from connector.schema import CONTACT_METHOD_FIELDS, ENTITY_BY_NAME

Describe = dict[str, Any]
KINDS = {"string": "text", "picklist": "text", "multipicklist": "text", "textarea": "text",
         "email": "text", "phone": "text", "url": "text", "currency": "number",
         "double": "number", "int": "number", "percent": "number", "long": "number",
         "date": "date", "datetime": "date", "boolean": "boolean",
         "reference": "reference"}  # fmt: skip
FIELD_TYPES = {"str": "Text(80)", "float": "Number(16, 2)", "int": "Number(18, 0)",
               "bool": "Checkbox", "date": "Date", "timestamp": "Date/Time"}  # fmt: skip
SPECIAL_TYPES = {"cost": "Currency(16, 2)", "unit_cost": "Currency(16, 2)",
                 "score": "Number(2, 0)", "account_id": "Lookup Relationship(Account)",
                 "contact_id": "Lookup Relationship(Contact)"}  # fmt: skip


@dataclass
class OrgView:
    """What discovery read of the org."""

    describer: Describer
    sobjects: dict[str, Describe]  # lower-case name → the global describe's entry
    # stream index → the sObjects that could stand for its missing one, and why
    replacements: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    stages: list[dict[str, Any]] = field(default_factory=list)
    users: int | None = None
    roles: list[str] = field(default_factory=list)
    resolved: Resolved | None = None
    # (sObject, field), lower case → the values its records hold, as the store kept them
    held: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def describe(self, name: str) -> Describe | None:
        """The describe of an sObject the org has (None when it has none)."""
        return self.describer.get(name) if name.lower() in self.sobjects else None


def org_fields(described: Describe) -> list[OrgField]:
    """An sObject's fields in the words proposals share."""
    return [
        OrgField(str(f["name"]), str(f.get("label") or f["name"]),
                 KINDS.get(str(f.get("type")), "other"),  # type: ignore[arg-type]
                 bool(f.get("custom")), tuple(f.get("referenceTo") or ()))
        for f in described.get("fields", [])
    ]  # fmt: skip


class Draft:
    """The editable document of the mapping, adjusted to `view`."""

    def __init__(self, document: Any, mapping: SalesforceMapping, view: OrgView,
                 transport: SalesforceClient) -> None:  # fmt: skip
        self.doc, self.mapping, self.view, self.transport = document, mapping, view, transport
        self.lacks: list[Lack] = []
        self.said: list[str] = []
        self.dropped: set[int] = set()
        self.filters: list[tuple[Any, str, str, Check]] = []  # (raw stream, section, path, …)
        self.mapped = self.existing = 0

    def adjust(self) -> None:
        """Every stream, then the value maps and filters against the org's values."""
        for index, stream in enumerate(self.mapping.streams):
            self._stream(index, stream)
        for index in sorted(self.dropped, reverse=True):
            del self.doc["streams"][index]
        maps = self._value_map_checks()
        asked = [(c, key) for name, checks in maps.items() for c in checks
                 for key in unmatched(self.doc["value_maps"][name], c.values)]  # fmt: skip
        asked += [(c, v) for raw, s, path, c in self.filters
                  for v in unmatched(raw[s][path], c.values)]  # fmt: skip
        ask_records(self.transport, asked)
        for name, checks in maps.items():
            self._value_map(name, checks)
        for raw, section, path, check in self.filters:
            self._filter_values(raw, section, path, check)
        self.said.insert(0, f"{self.existing} of {self.mapped} mapped fields exist in the org")

    def _stream(self, index: int, stream: Stream) -> None:
        raw = self.doc["streams"][index]
        described = self._object(index, stream, raw)
        if described is None:
            return
        fields = org_fields(described)
        for name in [n for n in list(raw.get("fields") or {}) if n in stream.fields]:
            path = stream.fields[name]
            self.mapped += 1
            if self._has(stream, raw, path, described):
                self.existing += 1
            elif not self._replace(index, stream, raw, name, path, fields):
                return
        for section in ("exclude", "include", "require"):
            self._filters(index, stream, raw, section, described)
        self._unmapped(index, stream, raw, fields)

    def _object(self, index: int, stream: Stream, raw: Any) -> Describe | None:
        """The stream's sObject, or one the org has in its place (None: left out)."""
        described = self.view.describe(stream.object)
        if described is not None:
            return described
        for name, why in self.view.replacements.get(index, []):
            found = self.view.describe(name)
            if found is None or (stream.entity == "survey_responses" and propose_field(
                    "score", org_fields(found)) is None):  # fmt: skip
                continue
            raw["object"] = str(found["name"])
            note(raw, "object", f"was {stream.object}, which the org lacks: {why}")
            self.said.append(f"streams[{index}]: {found['name']} for {stream.object}")
            return found
        kind = "custom object" if stream.object.endswith("__c") else "sObject"
        self.lacks.append(Lack(f"{stream.object} ({kind})", _how_object(stream),
                               f"streams[{index}] ({stream.entity} from {stream.object})"))
        self.dropped.add(index)
        return None

    def _has(self, stream: Stream, raw: Any, path: str, described: Describe) -> bool:
        first = path.split(".")[0].lower()
        if "." not in path:
            return any(str(f["name"]).lower() == first for f in described.get("fields", []))
        resolved = self.view.resolved
        if resolved is not None and str(raw["object"]) == stream.object:
            return (stream.object, path) in resolved.paths
        return any(str(f.get("relationshipName") or "").lower() == first
                   for f in described.get("fields", []))  # fmt: skip

    def _replace(self, index: int, stream: Stream, raw: Any, name: str, path: str,
                 fields: list[OrgField]) -> bool:  # fmt: skip
        """A field for `name` in place of the missing `path`, or `name` left out (the
        whole stream when the entity needs it); False when the stream is left out."""
        taken = list(stream.fields.values())
        found = propose_field(name, fields, taken, was=path.split(".")[-1])
        entry = raw["fields"]
        if found is not None:
            entry[name] = found[0].name
            note(entry, name, f"was {path}, which the org lacks: {found[1]}")
            self.said.append(f"streams[{index}].fields.{name}: {found[0].name} for {path}")
            return True
        lack = Lack(f"{raw['object']}.{path}", _how_field(str(raw["object"]), path, stream, name))
        self.lacks.append(lack)
        if name in ENTITY_BY_NAME[stream.entity].required_fields:
            lack.left_out = f"streams[{index}] ({stream.entity} from {raw['object']}): needs {name}"
            self.dropped.add(index)
            return False
        del entry[name]
        for section in Stream.own_sections:  # rules of a field left out go with it
            (raw.get(section) or {}).pop(name, None)
        lack.left_out = f"streams[{index}].fields.{name} (empty until then)"
        return True

    def _filters(self, index: int, stream: Stream, raw: Any, section: str,
                 described: Describe) -> None:  # fmt: skip
        """Exclusions, inclusions and requirements on fields the org lacks are left out;
        those on picklists or record types are checked against their values later."""
        container = raw.get(section)
        for path in list(container or []):
            if not self._has(stream, raw, str(path), described):
                container.remove(path) if section == "require" else container.pop(path)
                self.said.append(f"streams[{index}].{section}.{path} left out: the org has "
                                 f"no {raw['object']}.{path}")  # fmt: skip
            elif section != "require":
                check = check_of(str(raw["object"]), str(path), described)
                if check is not None:
                    self.filters.append((raw, section, str(path), check))

    def _unmapped(self, index: int, stream: Stream, raw: Any, fields: list[OrgField]) -> None:
        """Fields the entity has and the stream leaves empty: proposed where the org has
        one whose name says what it holds (territory, cost, team, …)."""
        taken = list(stream.fields.values())
        for name in ENTITY_BY_NAME[stream.entity].data_fields:
            if name in raw["fields"] or name in stream.fields or name in ("id", "modified_at"):
                continue
            found = propose_field(name, fields, taken)
            if found is not None:
                raw["fields"][name] = found[0].name
                note(raw["fields"], name, f"proposed: {found[1]}")
                taken.append(found[0].name)
                self.said.append(f"streams[{index}].fields.{name}: {found[0].name} proposed")

    def _value_map_checks(self) -> dict[str, list[Check]]:
        """The picklist fields each value map reads, after the streams' changes."""
        checks: dict[str, list[Check]] = {}
        self.method_maps: set[str] = set()
        for raw in self.doc["streams"]:
            described = self.view.describe(str(raw["object"]))
            for name, given in (raw.get("values") or {}).items():
                if not isinstance(given, str) or given not in (
                        self.doc.get("value_maps") or {}) or described is None:  # fmt: skip
                    continue
                if name == CONTACT_METHOD_FIELDS.get(str(raw["entity"])):
                    self.method_maps.add(given)
                found = picklist(described, str((raw.get("fields") or {}).get(name) or ""))
                if found is not None:
                    checks.setdefault(given, []).append(
                        Check(str(raw["object"]), str(found["name"]), values_of(found)))
        return checks

    def _value_map(self, name: str, checks: list[Check]) -> None:
        """Every value of the map's fields given a key; keys of no value nor record out."""
        listed = self.doc["value_maps"][name]
        values = list(dict.fromkeys(v for check in checks for v in check.values))
        only_held = self._only_held(checks, values)
        before = {str(key).strip().lower() for key in listed}
        guessed, review = fill_value_map(listed, [*values, *only_held],
                                         methods=name in self.method_maps)  # fmt: skip
        for value in [v for v in only_held if v.strip().lower() not in before]:
            note(listed, value, "not a value of the picklist today, but stored records hold it")
        what = ", ".join(f"{c.sobject}.{c.path}" for c in checks)
        held = {v for check in checks for v in check.held}
        self.said += stale_keys(listed, [*values, *only_held], held, f"value_maps.{name}", what)
        more = f" (and {len(only_held)} only stored records hold)" if only_held else ""
        self.said.append(f"value_maps.{name}: {len(values)} values of {what}{more}, {guessed} "
                         f"new ones guessed, {review} to review")  # fmt: skip

    def _only_held(self, checks: list[Check], values: list[str]) -> list[str]:
        """Values the store's records hold for the checks' fields that no value lists
        (an unrestricted picklist keeps deactivated values on old records)."""
        known = {value.strip().lower() for value in values}
        found: dict[str, str] = {}
        for check in checks:
            for value in self.view.held.get((check.sobject.lower(), check.path.lower()), []):
                if value.strip().lower() not in known:
                    found.setdefault(value.strip().lower(), value)
        return list(found.values())

    def _filter_values(self, raw: Any, section: str, path: str, check: Check) -> None:
        where = f"{raw['object']} {section}.{path}"
        self.said += correct_items(raw[section], path, check.values, check.held, where)


def _how_field(sobject: str, path: str, stream: Stream, name: str) -> str:
    if path.lower() == "currencyisocode":
        return ("the org is single-currency: its amounts are all in its corporate currency, "
                "nothing to add")  # fmt: skip
    if "." in path or not path.endswith("__c"):
        return (f"the integration user cannot read it: grant read access to {path} "
                f"(field-level security), or map another field to {name}")  # fmt: skip
    kind = SPECIAL_TYPES.get(name, FIELD_TYPES[ENTITY_BY_NAME[stream.entity].field_types[name]])
    return (f"Setup → Object Manager → {sobject} → Fields & Relationships → New: {kind}, "
            f"API name {path}; then give the integration user read access to it")


def _how_object(stream: Stream) -> str:
    if stream.object == "DatedConversionRate":
        return ("advanced currency management is off: read the static rates of CurrencyType "
                "instead (the mapping's comment shows the stream), or none in a "
                "single-currency org")  # fmt: skip
    if not stream.object.endswith("__c"):
        return ("the integration user cannot read it: grant its profile or a permission set "
                "read access")  # fmt: skip
    types = ENTITY_BY_NAME[stream.entity].field_types
    fields = [f"{f} ({SPECIAL_TYPES.get(n, FIELD_TYPES[types[n]])})"
              for n, f in stream.fields.items()]  # fmt: skip
    return (f"Setup → Object Manager → Create → Custom Object, API name {stream.object}, "
            f"with the fields {', '.join(fields)}; give the integration user read access "
            "(a permission set), or point the stream at your survey tool's object")
