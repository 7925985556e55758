"""`validate`: every property and object the mapping names, checked against the portal;
value maps against the options of the properties they map; and the portal's owners,
teams and territories, which targets may name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from connector.crms.base import Survey
from connector.crms.config import MappingLines
from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.catalog import Catalog
from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.hubspot.mapping import HubSpotMapping, Stream
from connector.crms.hubspot.targets import GOALS, Assignees, goals_unavailable, unavailable_note
from connector.crms.valuemaps import (
    exclusion_problems,
    item_at,
    key_at,
    key_problems,
    suggestion,
)
from connector.errors import AuthError
from connector.yamlfile import KeyPath

Json = dict[str, Any]
MAX_ASKED = 20  # excluded values of text properties asked of the records (a search each)
SPELLINGS = 10  # records read back per value asked: how they spell it (EQ ignores case)
# HubSpot's own object types (CRM v3 object names), for "did you mean".
STANDARD_OBJECTS = (
    "contacts", "companies", "deals", "tickets", "line_items", "products", "quotes", "calls",
    "emails", "meetings", "notes", "tasks", "communications", "postal_mail",
    "feedback_submissions", "goal_targets", "leads", "invoices", "orders", "carts",
)  # fmt: skip


class PropertyCatalog:
    """Property definitions (with their options) per object type, read live once per
    object: validate compares value maps with the options the portal has today."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._found: dict[str, dict[str, Json] | None] = {}

    def definitions(self, obj: str) -> dict[str, Json] | None:
        """The object's properties by name, or None when HubSpot knows no such object."""
        if obj not in self._found:
            found = self.api.known_properties(obj)
            self._found[obj] = None if found is None else {str(p["name"]): p for p in found}
        return self._found[obj]

    def property_names(self, obj: str, needed: Iterable[str] = ()) -> set[str] | None:
        """The object's property names, or None when HubSpot knows no such object."""
        found = self.definitions(obj)
        return None if found is None else set(found)


def check_mapping(
    catalog: Catalog | PropertyCatalog, mapping: HubSpotMapping, where: MappingLines
) -> list[str]:
    """One message per mapped object or property the portal does not have, at its line,
    with the nearest the portal has."""
    problems: list[str] = []
    objects = sorted({*STANDARD_OBJECTS, *(s.object for s in mapping.streams)})
    for index, stream in enumerate(mapping.streams):
        at = key_at(where.at, ("streams", index))
        names = catalog.property_names(stream.object, stream.property_names)
        if names is None:
            hint = suggestion(stream.object, [o for o in objects if o != stream.object])
            problems.append(f"{at('object')}: HubSpot has no object type {stream.object!r}{hint}")
            continue
        keys = _property_keys(stream)
        for name in [p for p in stream.property_names if p not in names]:
            problems.append(f"{where.at(('streams', index, *keys[name]))}: property {name!r} "
                            f"is missing in HubSpot ({stream.object})"
                            f"{suggestion(name, names)}")  # fmt: skip
        for field, target in stream.associations.items():
            if catalog.property_names(target) is None:
                hint = suggestion(target, [o for o in objects if o != target])
                problems.append(f"{where.at(('streams', index, 'associations', field))}: no "
                                f"object type {target!r}{hint}")  # fmt: skip
    return problems


def _property_keys(stream: Stream) -> dict[str, KeyPath]:
    """The key below the stream that names each property it reads (the first one)."""
    keys: dict[str, KeyPath] = {stream.cursor: ("cursor",)}
    for field, name in stream.fields.items():
        keys.setdefault(name, ("fields", field))
    for name in stream.exclude:
        keys.setdefault(name, ("exclude", name))
    stages = stream.deal_stages
    if stages is not None:
        for key in ("stage_property", "pipeline_property", "closed_fallback", "won_fallback"):
            keys.setdefault(getattr(stages, key) or "", ("deal_stages", key))
    return keys


def option_problems(
    catalog: PropertyCatalog, mapping: HubSpotMapping, where: MappingLines
) -> list[str]:
    """Value map keys and excluded values that match no option of the enumeration
    property they name (HubSpot refuses any other value, so no record holds one), and
    excluded values of a text property that no record holds (asked by search)."""
    problems = []
    for index, stream in enumerate(mapping.streams):
        definitions = catalog.definitions(stream.object) or {}
        for field, given in stream.values.items():
            name = stream.fields.get(field, "")
            options = _options(definitions.get(name))
            if options is not None:
                written = ("value_maps", given) if isinstance(given, str) else ("values", field)
                at = key_at(where.at, written if isinstance(given, str)
                            else ("streams", index, *written))  # fmt: skip
                values = mapping.value_map(stream, field)
                problems += key_problems(at, values, options, f"{stream.object}.{name}")
        for name, excluded in stream.exclude.items():
            options = _options(definitions.get(name))
            at = item_at(where.at, ("streams", index, "exclude", name), excluded)
            if options is not None:
                problems += exclusion_problems(at, excluded, options, f"{stream.object}.{name}")
            elif (definitions.get(name) or {}).get("type") == "string":
                held = _held(catalog.api, stream.object, name, excluded)
                problems += exclusion_problems(at, excluded, [], f"{stream.object}.{name}", held)
    return problems


def _held(api: HubSpotApi, obj: str, name: str, values: list[str]) -> list[str]:
    """The values of a text property some record holds, as the records spell them (a
    search's EQ ignores case, so the value is read back): one search each (`SPELLINGS`
    records), the first `MAX_ASKED` of them (the others are taken as held: not known to
    be wrong)."""
    held = values[MAX_ASKED:]
    for value in values[:MAX_ASKED]:
        body = {"filterGroups": [{"filters": [{"propertyName": name, "operator": "EQ",
                                               "value": value.strip()}]}],
                "properties": [name], "limit": SPELLINGS}  # fmt: skip
        for record in api.search(obj, body).get("results") or []:
            spelled = (record.get("properties") or {}).get(name)
            held.append(value if spelled is None else str(spelled))
    return held


def _options(prop: Json | None) -> list[str] | None:
    """The option values of an enumeration property (None for any other property)."""
    if prop is None or prop.get("type") != "enumeration":
        return None
    return [str(o["value"]) for o in prop.get("options") or []]


def survey_portal(catalog: PropertyCatalog, mapping: HubSpotMapping, source: str) -> Survey:
    """The portal's owners, their teams, the territories teams and enumerations name, and
    a note when the mapping reads goals the token cannot."""
    api = catalog.api
    survey = Survey(territories=set(mapping.owners.team_territories.values()))
    assignees = Assignees.read(api)
    survey.owners, survey.teams = dict(assignees.emails), set(assignees.teams.values())
    for stream in mapping.streams:
        definitions = catalog.definitions(stream.object) or {}
        prop = definitions.get(stream.fields.get("territory", "")) or {}
        survey.territories |= {str(o["value"]) for o in prop.get("options") or []}
    if mapping.targets.goals is not None:
        try:
            api.list_page(GOALS, ["hs_goal_name"], None)
        except (AuthError, HubSpotApiError) as exc:
            if not goals_unavailable(exc):
                raise
            survey.notes.append(unavailable_note(source, str(exc)))
    return survey
