"""Values and property definitions in the legacy (v1/v2) APIs' shapes.

Legacy records carry each property as `{value, timestamp, source, sourceId, versions}`,
values as strings, dates and datetimes as epoch milliseconds (`"closedate": {"value":
"1564783118291", …}`), and leave out properties without a value — as recorded answers of
`/deals/v1/deal/paged` and `…/recent/modified` show (public fixtures: aledotdev/hubspot-deal
tests, Viktorsodd/hubspot example_hubspot_response.js). The sandbox keeps no history, so
`versions` holds the current value only, stamped with the record's last modification;
`source` is CALCULATED for HubSpot's read-only properties and CRM_UI for the others (the
sandbox's choice: the generated org records no source).

Property definitions follow `GET /properties/v2/{object}/properties` as Airbyte's recorded
fixture (unit_tests/resource/http/response/properties.json) has it: a bare list, times in
epoch milliseconds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from .model import ObjectType
from .props import DEFAULT_CREATED, Prop


def epoch_ms(at: dt.datetime) -> int:
    """A naive-UTC instant as epoch milliseconds."""
    return int(at.replace(tzinfo=dt.UTC).timestamp() * 1000)


def iso_to_ms(text: str) -> int:
    """A v3 stamp (`2022-02-17T19:25:29.123Z`) as epoch milliseconds."""
    return int(dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def v1_value(prop: Prop, value: str) -> str:
    """A v3 property string as the legacy APIs write it (dates as epoch ms)."""
    if prop.type == "datetime":
        return str(iso_to_ms(value))
    if prop.type == "date":
        return str(iso_to_ms(f"{value}T00:00:00Z"))
    return value


def v1_properties(o: ObjectType, v3: dict[str, Any], versions: Collection[str] | None = None
                  ) -> dict[str, Any]:
    """A v3 record's non-null properties as `{name: {value, timestamp, source, …}}`, with
    `versions` for the names in `versions` (for every one when None)."""
    stamp = iso_to_ms(str(v3["updatedAt"]))
    out: dict[str, Any] = {}
    for name, raw in (v3.get("properties") or {}).items():
        prop = o.props.get(name)
        if raw is None or prop is None:
            continue
        value = v1_value(prop, str(raw))
        source = "CALCULATED" if prop.read_only and prop.hubspot_defined else "CRM_UI"
        entry: dict[str, Any] = {"value": value, "timestamp": stamp, "source": source,
                                 "sourceId": None}
        if versions is None or name in versions:
            entry["versions"] = [{"name": name, "value": value, "timestamp": stamp,
                                  "source": source, "sourceVid": []}]
        out[name] = entry
    return out


def v2_definition(prop: Prop) -> dict[str, Any]:
    """A property as `/properties/v2/{object}/properties` lists it."""
    created = epoch_ms(prop.created_at or DEFAULT_CREATED)
    updated = epoch_ms(prop.updated_at) if prop.updated_at else created
    options = [{"label": label, "value": value, "displayOrder": i, "hidden": False,
                "description": "", "readOnly": False, "doubleData": None}
               for i, (value, label) in enumerate(prop.options)]
    return {
        "name": prop.name, "label": prop.label, "description": prop.description,
        "groupName": prop.group, "type": prop.type, "fieldType": prop.field_type,
        "hidden": False, "options": options,
        "calculated": prop.read_only and prop.hubspot_defined, "externalOptions": False,
        "isCustomizedDefault": False, "deleted": False, "createdAt": created,
        "updatedAt": updated, "displayOrder": -1, "readOnlyValue": prop.read_only,
        "readOnlyDefinition": prop.hubspot_defined,
        "mutableDefinitionNotDeletable": prop.hubspot_defined, "favorited": False,
        "favoritedOrder": -1, "displayMode": "current_value",
        "showCurrencySymbol": prop.currency_symbol, "createdUserId": None,
        "textDisplayHint": None, "numberDisplayHint": prop.display_hint,
        "optionsAreMutable": None, "referencedObjectType": None,
        "formField": not prop.read_only, "hubspotDefined": prop.hubspot_defined,
        "updatedUserId": None, "hasUniqueValue": prop.unique,
    }
