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
from connector.crms.hubspot.mapping import HubSpotMapping
from connector.crms.hubspot.targets import GOALS, Assignees, goals_unavailable, unavailable_note
from connector.crms.valuemaps import misspelled, typo_message
from connector.errors import AuthError

Json = dict[str, Any]


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
    catalog: Catalog | PropertyCatalog, mapping: HubSpotMapping, file_name: str
) -> list[str]:
    """One message per mapped object or property the portal does not have."""
    problems: list[str] = []
    for index, stream in enumerate(mapping.streams):
        where = f"{file_name} streams[{index}] ({stream.entity} from {stream.object})"
        names = catalog.property_names(stream.object, stream.property_names)
        if names is None:
            problems.append(f"{where}: HubSpot has no object type {stream.object!r}")
            continue
        missing = [p for p in stream.property_names if p not in names]
        problems += [f"{where}: property {p!r} is missing in HubSpot" for p in missing]
        for field, target in stream.associations.items():
            if catalog.property_names(target) is None:
                problems.append(f"{where}: associations.{field}: no object type {target!r}")
    return problems


def option_problems(
    catalog: PropertyCatalog, mapping: HubSpotMapping, where: MappingLines
) -> list[str]:
    """Value map keys that misspell an option of the enumeration property they map
    (`crms.valuemaps`): the records of that option would silently count as the default."""
    problems = []
    for index, stream in enumerate(mapping.streams):
        for field, values in stream.values.items():
            name = stream.properties.get(field, "")
            prop = (catalog.definitions(stream.object) or {}).get(name) or {}
            options = [str(o["value"]) for o in prop.get("options") or []]
            problems += [
                typo_message(where.at(("streams", index, "values", field, key)), key, option,
                             f"{stream.object}.{name}", options)
                for key, option in misspelled(values, options)
            ]  # fmt: skip
    return problems


def survey_portal(catalog: PropertyCatalog, mapping: HubSpotMapping, source: str) -> Survey:
    """The portal's owners, their teams, the territories teams and enumerations name, and
    a note when the mapping reads goals the token cannot."""
    api = catalog.api
    survey = Survey(territories=set(mapping.owners.team_territories.values()))
    assignees = Assignees.read(api)
    survey.owners, survey.teams = dict(assignees.emails), set(assignees.teams.values())
    for stream in mapping.streams:
        definitions = catalog.definitions(stream.object) or {}
        prop = definitions.get(stream.properties.get("territory", "")) or {}
        survey.territories |= {str(o["value"]) for o in prop.get("options") or []}
    if mapping.targets.goals is not None:
        try:
            api.list_page(GOALS, ["hs_goal_name"], None)
        except (AuthError, HubSpotApiError) as exc:
            if not goals_unavailable(exc):
                raise
            survey.notes.append(unavailable_note(source, str(exc)))
    return survey
