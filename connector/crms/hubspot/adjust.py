"""The HubSpot mapping in use, adjusted to one portal (`discover`), each change said
beside it.

An object type or property the portal lacks is replaced by the one its names or type
suggest (`crms.proposal`), else left out of the proposal and listed with how to add it;
every option of a value-mapped enumeration gets a key (a guessed contact method with the
reason, or `other` to review); keys and exclusions that match no option (HubSpot
refuses any other value, so no record holds one) are left out or corrected.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from connector.crms.hubspot.mapping import HubSpotMapping, Stream
from connector.crms.hubspot.validate import PropertyCatalog
from connector.crms.proposal import (
    Lack,
    OrgField,
    correct_items,
    fill_value_map,
    note,
    propose_field,
    stale_keys,
)
from connector.schema import CONTACT_METHOD_FIELDS, ENTITY_BY_NAME

Json = dict[str, Any]
KINDS = {"string": "text", "enumeration": "text", "number": "number", "date": "date",
         "datetime": "date", "bool": "boolean"}  # fmt: skip
FIELD_TYPES = {"str": "Single-line text", "float": "Number", "int": "Number",
               "bool": "Single checkbox", "date": "Date picker", "timestamp": "Date picker"}
SPECIAL_TYPES = {"cost": "Number (formatted as currency)",
                 "contact_method": "Dropdown select (one option per contact method source)"}


@dataclass
class PortalView:
    """What discovery read of the portal."""

    catalog: PropertyCatalog
    custom: dict[str, str]  # custom object name → label
    replacements: dict[int, list[tuple[str, str]]] = field(default_factory=dict)
    pipelines: list[Json] = field(default_factory=list)
    owners: int = 0
    teams: list[str] = field(default_factory=list)


def portal_fields(definitions: dict[str, Json]) -> list[OrgField]:
    """An object type's properties in the words proposals share."""
    return [
        OrgField(name, str(p.get("label") or name),
                 KINDS.get(str(p.get("type")), "other"),  # type: ignore[arg-type]
                 not bool(p.get("hubspotDefined")))
        for name, p in definitions.items()
    ]  # fmt: skip


class Draft:
    """The editable document of the mapping, adjusted to `view`."""

    def __init__(self, document: Any, mapping: HubSpotMapping, view: PortalView) -> None:
        self.doc, self.mapping, self.view = document, mapping, view
        self.lacks: list[Lack] = []
        self.said: list[str] = []
        self.dropped: set[int] = set()
        # one entry per value map (a map shared by anchor is one): it, the properties it
        # maps, whether they are contact methods, where it is first written
        self.maps: dict[int, tuple[Any, list[tuple[str, Json]], bool, str]] = {}
        self.mapped = self.existing = 0

    def adjust(self) -> None:
        """Every stream, then the value maps (a map shared by anchor once, over the
        options of every property it maps)."""
        for index, stream in enumerate(self.mapping.streams):
            self._stream(index, stream)
        for listed, props, methods, where in self.maps.values():
            options = [o for _, prop in props for o in prop.get("options") or []]
            values = list(dict.fromkeys(str(o["value"]) for o in options))
            labels = {str(o["value"]): str(o.get("label") or o["value"]) for o in options}
            guessed, review = fill_value_map(listed, values, methods=methods, labels=labels)
            what = ", ".join(name for name, _ in props)
            self.said += stale_keys(listed, values, set(), where, what)
            self.said.append(f"values of {what}: {len(values)} options, {guessed} new ones "
                             f"guessed, {review} to review")  # fmt: skip
        for index in sorted(self.dropped, reverse=True):
            del self.doc["streams"][index]
        self.said.insert(0, f"{self.existing} of {self.mapped} mapped properties exist")

    def _stream(self, index: int, stream: Stream) -> None:
        raw = self.doc["streams"][index]
        definitions = self._object(index, stream, raw)
        if definitions is None:
            return
        fields = portal_fields(definitions)
        for name in [n for n in list(raw.get("fields") or {}) if n in stream.fields]:
            self.mapped += 1
            if stream.fields[name] in definitions:
                self.existing += 1
            elif not self._replace(index, stream, raw, name, fields):
                return
        self._exclusions(index, raw, definitions)
        self._unmapped(index, stream, raw, fields)
        for name, prop in (raw.get("fields") or {}).items():
            found = definitions.get(str(prop))
            if found is not None and found.get("type") == "enumeration" and name in (
                    raw.get("values") or {}):  # fmt: skip
                at = f"streams[{index}].values.{name}"
                self._value_map(raw, str(name), f"{raw['object']}.{prop}", found, at)

    def _object(self, index: int, stream: Stream, raw: Any) -> dict[str, Json] | None:
        """The stream's object type's properties, or another type's in its place (None:
        the stream is left out)."""
        definitions = self.view.catalog.definitions(stream.object)
        if definitions is not None:
            return definitions
        for name, why in self.view.replacements.get(index, []):
            found = self.view.catalog.definitions(name)
            if found is None or (stream.entity == "survey_responses" and propose_field(
                    "score", portal_fields(found)) is None):  # fmt: skip
                continue
            raw["object"] = name
            note(raw, "object", f"was {stream.object}, which the portal lacks: {why}")
            self.said.append(f"streams[{index}]: {name} for {stream.object}")
            return found
        self.lacks.append(Lack(f"object type {stream.object}", _how_object(stream),
                               f"streams[{index}] ({stream.entity} from {stream.object})"))
        self.dropped.add(index)
        return None

    def _replace(self, index: int, stream: Stream, raw: Any, name: str,
                 fields: list[OrgField]) -> bool:  # fmt: skip
        """A property for `name` in place of the missing one, or `name` left out (the
        whole stream when the entity needs it); False when the stream is left out."""
        missing = stream.fields[name]
        taken = list(stream.fields.values())
        found = propose_field(name, fields, taken, was=missing)
        if found is not None:
            raw["fields"][name] = found[0].name
            note(raw["fields"], name, f"was {missing}, which the portal lacks: {found[1]}")
            self.said.append(f"streams[{index}].fields.{name}: {found[0].name} for {missing}")
            return True
        lack = Lack(f"{raw['object']}.{missing}", _how_property(str(raw["object"]), missing,
                                                                  stream, name))  # fmt: skip
        self.lacks.append(lack)
        if name in ENTITY_BY_NAME[stream.entity].required_fields:
            lack.left_out = f"streams[{index}] ({stream.entity} from {raw['object']}): needs {name}"
            self.dropped.add(index)
            return False
        del raw["fields"][name]
        if name in (raw.get("values") or {}):
            del raw["values"][name]
        lack.left_out = f"streams[{index}].fields.{name} (empty until then)"
        return True

    def _exclusions(self, index: int, raw: Any, definitions: dict[str, Json]) -> None:
        """Exclusions on properties the portal lacks left out; on enumerations, each
        value checked against the options."""
        container = raw.get("exclude")
        for prop in list(container or []):
            found = definitions.get(str(prop))
            if found is None:
                del container[prop]
                self.said.append(f"streams[{index}].exclude.{prop} left out: the portal has "
                                 f"no {raw['object']}.{prop}")  # fmt: skip
            elif found.get("type") == "enumeration":
                options = [str(o["value"]) for o in found.get("options") or []]
                where = f"{raw['object']} exclude.{prop}"
                self.said += correct_items(container, str(prop), options, set(), where)

    def _unmapped(self, index: int, stream: Stream, raw: Any, fields: list[OrgField]) -> None:
        """Fields the entity has and the stream leaves empty: proposed where the portal
        has a property whose name says what it holds (territory, cost, …)."""
        filled = {*stream.fields, *stream.associations, *stream.constants}
        taken = list(stream.fields.values())
        for name in ENTITY_BY_NAME[stream.entity].data_fields:
            if name in filled or name in (raw.get("fields") or {}) or name in (
                    "id", "modified_at", "is_closed", "is_won"):  # fmt: skip
                continue
            found = propose_field(name, fields, taken)
            if found is not None and "nearest" not in found[1]:
                raw.setdefault("fields", {})[name] = found[0].name
                note(raw["fields"], name, f"proposed: {found[1]}")
                taken.append(found[0].name)
                self.said.append(f"streams[{index}].fields.{name}: {found[0].name} "
                                 "proposed")  # fmt: skip

    def _value_map(self, raw: Any, name: str, what: str, prop: Json, where: str) -> None:
        listed = raw["values"][name]
        if isinstance(listed, str):  # a name of value_maps: filled where it is written
            listed, where = self.doc["value_maps"][listed], f"value_maps.{listed}"
        methods = name == CONTACT_METHOD_FIELDS.get(str(raw["entity"]))
        entry = self.maps.setdefault(id(listed), (listed, [], methods, where))
        entry[1].append((what, prop))


def _how_property(obj: str, name: str, stream: Stream, field_name: str) -> str:
    kind = SPECIAL_TYPES.get(field_name, FIELD_TYPES[
        ENTITY_BY_NAME[stream.entity].field_types.get(field_name, "str")])  # fmt: skip
    if name.startswith(("hs_", "hubspot_")):
        return (f"one of HubSpot's own properties the token cannot read: check the private "
                f"app's scopes for {obj}, or map another property to {field_name}")  # fmt: skip
    return (f"Settings → Data Management → Properties → {obj} → Create property: internal "
            f"name {name}, field type {kind}")


def _how_object(stream: Stream) -> str:
    if stream.object == "feedback_submissions":
        return ("HubSpot's feedback surveys (Service Hub) keep NPS answers there, read with "
                "the scope crm.objects.feedback_submissions.read; without them, a custom "
                "object (Enterprise) with a number property for the score")  # fmt: skip
    return ("the token cannot read it, or the portal has no such object type: check the "
            "private app's scopes; custom objects need an Enterprise portal")
