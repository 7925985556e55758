"""`crm-kpi setup hubspot`: the KPI object, its properties, the company group and properties.

Idempotent: what exists is left alone, what is missing is created; a second run only
reads. A mapped company property that HubSpot itself defines is refused, never written.
"""

from __future__ import annotations

from typing import Any

from connector.crms.hubspot.api import HubSpotApi
from connector.crms.hubspot.errors import HubSpotApiError
from connector.crms.hubspot.fields import (
    COMPANIES,
    KEY_PROPERTY,
    company_properties,
    object_properties,
)
from connector.crms.hubspot.mapping import PushMapping
from connector.errors import FatalError

Json = dict[str, Any]


def find_schema(api: HubSpotApi, name: str) -> Json | None:
    """The custom object schema named `name`, or None."""
    answer = api.call("crm.schemas.core_api", "get_all", what="list custom object schemas")
    for schema in answer.body.get("results") or []:
        if schema.get("name") == name:
            return dict(schema)
    return None


def object_egg(push: PushMapping) -> Json:
    """The schema creation request of the KPI object."""
    return {
        "name": push.object,
        "labels": {"singular": "Sales KPI", "plural": "Sales KPIs"},
        "primaryDisplayProperty": KEY_PROPERTY,
        "requiredProperties": [KEY_PROPERTY],
        "searchableProperties": [KEY_PROPERTY],
        "secondaryDisplayProperties": ["period", "scope_type"],
        "properties": object_properties(push, f"{push.object}_information"),
        "associatedObjects": ["COMPANY"],
    }


def ensure_object(api: HubSpotApi, push: PushMapping) -> tuple[str, list[str]]:
    """(objectTypeId, actions) after creating the object or its missing properties."""
    schema = find_schema(api, push.object)
    if schema is None:
        egg = object_egg(push)
        created = api.call(
            "crm.schemas.core_api", "create", egg, what=f"create object {push.object}"
        )
        return str(created.body["objectTypeId"]), [f"created custom object {push.object}"]
    type_id = str(schema["objectTypeId"])
    have = {str(p["name"]) for p in schema.get("properties") or []}
    group = f"{push.object}_information"
    missing = [p for p in object_properties(push, group) if p["name"] not in have]
    actions = [_create_property(api, type_id, p, push.object) for p in missing]
    return type_id, actions


def _create_property(api: HubSpotApi, obj: str, spec: Json, label: str) -> str:
    api.call("crm.properties.core_api", "create", obj, spec, what=f"create property {spec['name']}")
    return f"created property {label}.{spec['name']}"


def ensure_company_properties(api: HubSpotApi, push: PushMapping) -> list[str]:
    """The "Sales KPIs" group and the mapped company properties; refuses HubSpot's own."""
    wanted = company_properties(push)
    if not wanted:
        return []
    existing = {str(p["name"]): p for p in api.properties(COMPANIES)}
    check_own(existing, [p["name"] for p in wanted])
    actions = _ensure_group(api, push)
    for spec in wanted:
        if spec["name"] not in existing:
            actions.append(_create_property(api, COMPANIES, spec, COMPANIES))
    return actions


def check_own(existing: dict[str, Json], names: list[str]) -> None:
    """Refuse to write any property HubSpot defines (not created by a user or by us)."""
    theirs = [n for n in names if existing.get(n, {}).get("hubspotDefined")]
    if theirs:
        raise FatalError(
            f"refusing to write HubSpot's own company properties: {', '.join(theirs)}; "
            "map KPI values to properties of your own"
        )


def _ensure_group(api: HubSpotApi, push: PushMapping) -> list[str]:
    answer = api.call(
        "crm.properties.groups_api", "get_all", COMPANIES, what="list company property groups"
    )
    if any(g.get("name") == push.group for g in answer.body.get("results") or []):
        return []
    spec = {"name": push.group, "label": push.group_label, "displayOrder": -1}
    try:
        api.call(
            "crm.properties.groups_api", "create", COMPANIES, spec, what="create property group"
        )
    except HubSpotApiError as exc:
        if exc.status != 409:  # created meanwhile by another run: fine
            raise
        return []
    return [f"created property group {COMPANIES}.{push.group} ({push.group_label})"]


def setup(api: HubSpotApi, push: PushMapping) -> list[str]:
    """Everything the writer needs; the actions taken (empty when all existed)."""
    _, actions = ensure_object(api, push)
    return actions + ensure_company_properties(api, push)
