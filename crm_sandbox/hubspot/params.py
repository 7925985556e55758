"""Which query parameters and body keys each HubSpot route takes; any other is refused.

A parameter a route silently ignored could change what a client reads without telling it
(a client paging a v3 listing by `offset` gets the first page forever), so every name is
one of three things:
- honoured: the vendor reference's parameters of that route, each acted on;
- accepted: sent by a public connector to real portals, which answer it (the connector
  runs there), and unable to change which records a client reads through the route's own
  paging; each with the connector that sends it;
- anything else: refused, 400 in HubSpot's error shape, naming the parameter and what the
  route takes. Body keys likewise: those of the request's model in hubspot-api-client 12
  and those HubSpot's current reference adds; a documented key whose effect the sandbox
  does not make (a calculated property, labels in an export) is refused unless it asks
  for nothing. HubSpot's own answer to an unknown parameter is mostly not established;
  `offset` on a v3 listing it ignores, answering the first page again (Airbyte's streams
  that paged by it got stuck syncs: airbytehq/airbyte issue 61352): refusing it is a
  deliberate difference, so such a client fails at once instead of looping.
"""

from __future__ import annotations

import json
from typing import Any

from ..http import Request
from .errors import validation

_V3_READ = {"properties", "propertiesWithHistory", "associations", "archived"}
HONOURED: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "list": {"limit", "after", *_V3_READ},
    "read": {*_V3_READ, "idProperty"},
    "associationsList": {"limit", "after"},
    "create": set(), "update": {"idProperty"}, "archive": set(),
    "batch": {"archived"}, "search": set(), "associationsBatchRead": set(),
    "properties": {"archived", "properties"}, "property": {"archived"},
    "createProperty": set(), "updateProperty": set(),
    "propertyGroups": set(), "propertyGroup": set(), "createPropertyGroup": set(),
    "schemas": {"archived"}, "schema": set(), "createSchema": set(), "updateSchema": set(),
    "pipelines": set(), "pipeline": set(),
    "owners": {"limit", "after", "archived", "email"}, "owner": {"idProperty", "archived"},
    "customObjectLimits": set(),
    "exportStart": set(), "exportStatus": set(), "exportDownload": set(),
    "oauthToken": set(),
    "propertiesLegacy": set(), "companyPropertiesV2": set(),
    "pipelinesV1": set(), "dealPipelinesV1": set(), "associationsV3BatchRead": set(),
    "dealV1Paged": {"limit", "offset", "properties", "propertiesWithHistory",
                    "includeAssociations", "includeAllProperties"},
    "companyV2Paged": {"limit", "offset", "properties", "propertiesWithHistory",
                       "includeAllProperties"},
    "dealV1Recent": {"since", "count", "offset"},
    "companyV2Recent": {"since", "count", "offset"},
    "dealV1": set(), "companyV2": set(),
    "engagementsPaged": {"limit", "offset"}, "recentEngagements": {"since", "count", "offset"},
    "engagementsModifiedAfter": {"after", "limit"},
}.items()}

# route -> {parameter: the connector that sends it to real portals}
ACCEPTED: dict[str, dict[str, str]] = {
    "list": {"sort": "MeltanoLabs/tap-hubspot (every v3 listing)",
             "order_by": "MeltanoLabs/tap-hubspot (every v3 listing)",
             "propertyMode": "Airbyte source-hubspot (property history streams)"},
    "pipelines": {"limit": "Airbyte source-hubspot (ticket_pipelines: one page)"},
    "pipelinesV1": {"limit": "Airbyte source-hubspot (deal_pipelines: one page)"},
    "engagementsPaged": {"count": "Airbyte source-hubspot (engagements_all; pages by "
                                  "the answer's offset)"},
    "dealV1Paged": {"allPropertiesFetchMode": "singer-io/tap-hubspot (sync_deals)"},
}

# the keys both property bodies take (PropertyCreate and PropertyUpdate)
_PROPERTY = {"label", "type", "fieldType", "groupName", "description", "options",
             "displayOrder", "hidden", "formField", "calculationFormula", "currencyPropertyName",
             "numberDisplayHint", "showCurrencySymbol"}
_LABELS = frozenset({"singular", "plural"})  # ObjectTypeDefinitionLabels

# route (batch: `batch/<op>`) -> the keys of its JSON body
BODY: dict[str, frozenset[str]] = {k: frozenset(v) for k, v in {
    "search": {"filterGroups", "filters", "sorts", "query", "properties", "limit", "after"},
    "batch/read": {"inputs", "properties", "propertiesWithHistory", "idProperty"},
    "batch/create": {"inputs"}, "batch/update": {"inputs"}, "batch/upsert": {"inputs"},
    "batch/archive": {"inputs"},
    "create": {"properties", "associations", "objectWriteTraceId"},
    "update": {"properties", "objectWriteTraceId"},
    "associationsBatchRead": {"inputs"}, "associationsV3BatchRead": {"inputs"},
    # PropertyCreate/PropertyUpdate of hubspot-api-client 12 (v3), with what the current
    # properties reference adds (create: dataSensitivity; batch create: currencyPropertyName,
    # showCurrencySymbol; update and HubSpot's shared PropertyCreate: numberDisplayHint)
    "createProperty": {*_PROPERTY, "name", "hasUniqueValue", "externalOptions",
                       "referencedObjectType", "dataSensitivity"},
    "updateProperty": _PROPERTY,
    "createPropertyGroup": {"name", "label", "displayOrder"},  # PropertyGroupCreate
    "createSchema": {"name", "labels", "description", "properties", "associatedObjects",
                     "primaryDisplayProperty", "requiredProperties", "searchableProperties",
                     "secondaryDisplayProperties"},  # ObjectSchemaEgg
    "updateSchema": {"labels", "description", "clearDescription", "restorable",
                     "primaryDisplayProperty", "requiredProperties", "searchableProperties",
                     "secondaryDisplayProperties"},  # ObjectTypeDefinitionPatch
    # PublicExportViewRequest and PublicExportListRequest (hubspot-api-client 12), with
    # the two the exports reference adds (includeLabeledAssociations,
    # includePrimaryDisplayPropertyForAssociatedObjects)
    "exportStart": {"exportType", "format", "exportName", "language", "objectType",
                    "objectProperties", "associatedObjectType", "exportInternalValuesOptions",
                    "overrideAssociatedObjectsPerDefinitionPerRowLimit", "listId",
                    "publicCrmSearchRequest", "includeLabeledAssociations",
                    "includePrimaryDisplayPropertyForAssociatedObjects"},
}.items()}

# route -> {body key: the keys of each object it holds (one object, or a list of them)}
NESTED: dict[str, dict[str, frozenset[str]]] = {
    "createSchema": {"labels": _LABELS, "properties": frozenset({  # ObjectTypePropertyCreate
        "name", "label", "type", "fieldType", "groupName", "description", "options",
        "displayOrder", "hasUniqueValue", "hidden", "formField", "referencedObjectType",
        "numberDisplayHint", "showCurrencySymbol", "textDisplayHint", "optionSortStrategy",
        "searchableInGlobalSearch"})},
    "updateSchema": {"labels": _LABELS},
}

# route -> {documented body key: what the sandbox does not emulate}: refused unless the
# value asks for nothing (null, false, empty, "non_sensitive"), so a client relying on it
# learns at once instead of reading a plain property or file where HubSpot makes another
UNEMULATED: dict[str, dict[str, str]] = {
    "createProperty": {"calculationFormula": "calculated properties",
                       "referencedObjectType": "options read from another object",
                       "externalOptions": "options read from another object",
                       "dataSensitivity": "sensitive data properties"},
    "updateProperty": {"calculationFormula": "calculated properties"},
    "createSchema.properties": {"referencedObjectType": "options read from another object"},
    "exportStart": {"includeLabeledAssociations": "association labels in export files"},
}
_ASKS_NOTHING: tuple[object, ...] = (None, False, "", [], "non_sensitive")

OFFSET_HINT = ("`offset` does not page this endpoint: send `after` from the answer's "
               "paging.next.after")


def check_query(route: str, req: Request) -> None:
    """Refuse a query parameter the route neither honours nor is known to be sent."""
    honoured = HONOURED.get(route)
    if honoured is None:
        return  # a route of another module's making: its handler reads what it takes
    unknown = sorted(set(req.query) - honoured - set(ACCEPTED.get(route, {})))
    if not unknown:
        return
    takes = ", ".join(sorted(honoured)) or "no query parameters"
    hint = f" {OFFSET_HINT}." if "offset" in unknown and "after" in honoured else ""
    raise validation(f"Unknown query parameter{'s' if len(unknown) > 1 else ''} "
                     f"{', '.join(unknown)} for {req.method} {req.path}: it takes "
                     f"{takes}.{hint}")


def check_body(route: str, req: Request) -> None:
    """Refuse a top-level body key the route does not read (a malformed body is left to
    the handler, which answers it in HubSpot's words)."""
    name = f"batch/{req.params.get('op', '')}" if route == "batch" else route
    keys = BODY.get(name)
    if keys is None or not req.body:
        return
    try:
        body: Any = json.loads(req.body)
    except ValueError:
        return
    if not isinstance(body, dict):
        return
    refuse(set(body) - keys, keys, f"the body of {req.method} {req.path}")
    emulated(name, body)
    for key, inner in NESTED.get(name, {}).items():
        held = body.get(key)
        for i, item in enumerate(held if isinstance(held, list) else [held]):
            if isinstance(item, dict):
                where = f"{key}[{i}]" if isinstance(held, list) else key
                refuse(set(item) - inner, inner, f"{where} of {req.method} {req.path}")
                emulated(f"{name}.{key}", item)


def emulated(table: str, body: dict[str, Any]) -> None:
    """Refuse a documented key that asks for what the sandbox does not make."""
    for key, what in UNEMULATED.get(table, {}).items():
        if body.get(key) not in _ASKS_NOTHING:
            raise validation(f"{key} {body[key]!r}: {what} are not emulated by the sandbox "
                             "(docs/sandbox-hubspot.md)")


def refuse(unknown: set[str], keys: frozenset[str], where: str) -> None:
    """400 naming the unknown keys (if any), where they were and what is taken there."""
    if unknown:
        raise validation(f"Unrecognized field{'s' if len(unknown) > 1 else ''} "
                         f"{', '.join(map(repr, sorted(unknown)))} in {where}: it takes "
                         f"{', '.join(sorted(keys))}.")
