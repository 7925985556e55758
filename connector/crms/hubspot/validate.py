"""`validate`: every property and object the mapping names, checked against the portal."""

from __future__ import annotations

from connector.crms.hubspot.catalog import Catalog
from connector.crms.hubspot.mapping import HubSpotMapping


def check_mapping(catalog: Catalog, mapping: HubSpotMapping, file_name: str) -> list[str]:
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
