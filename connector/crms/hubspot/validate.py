"""`validate`: every property and object the mapping names, checked against the portal."""

from __future__ import annotations

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.hubspot.mapping import HubSpotMapping


class PropertyCatalog:
    """Property names per object type, read once per object from the properties API."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self._names: dict[str, set[str] | None] = {}

    def names(self, obj: str) -> set[str] | None:
        """The object's property names, or None when HubSpot knows no such object."""
        if obj not in self._names:
            try:
                self._names[obj] = {str(p["name"]) for p in self.api.properties(obj)}
            except HubSpotApiError as exc:
                if exc.status not in (400, 404):
                    raise
                self._names[obj] = None
        return self._names[obj]


def check_mapping(api: HubSpotApi, mapping: HubSpotMapping, file_name: str) -> list[str]:
    """One message per mapped object or property the portal does not have."""
    catalog = PropertyCatalog(api)
    problems: list[str] = []
    for index, stream in enumerate(mapping.streams):
        where = f"{file_name} streams[{index}] ({stream.entity} from {stream.object})"
        names = catalog.names(stream.object)
        if names is None:
            problems.append(f"{where}: HubSpot has no object type {stream.object!r}")
            continue
        missing = [p for p in stream.property_names if p not in names]
        problems += [f"{where}: property {p!r} is missing in HubSpot" for p in missing]
        for field, target in stream.associations.items():
            if catalog.names(target) is None:
                problems.append(f"{where}: associations.{field}: no object type {target!r}")
    return problems
