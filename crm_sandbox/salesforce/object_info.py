"""UI API object info: what `GET ui-api/object-info/{objectApiName}` and GraphQL's
`uiapi { objectInfos(apiNames: …) }` answer about an object, as the viewer sees it.

Shapes: the User Interface API Developer Guide's "Object Info" and "Field" response
bodies (apiName, label, labelPlural, keyPrefix, nameFields, fields by API name with
dataType, label, inlineHelpText, length, precision, scale, reference, referenceToInfos,
relationshipName, required, …) and, for GraphQL, the GraphQL API guide's "Get Object
Metadata" (`ApiName`, a list of fields with `ApiName`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLBoolean,
    GraphQLField,
    GraphQLInt,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLString,
)

from .model import SField, SObject

MASTER_RECORD_TYPE = "012000000000000AAA"
DATA_TYPES = {
    "string": "String", "textarea": "TextArea", "email": "Email", "phone": "Phone",
    "url": "Url", "picklist": "Picklist", "multipicklist": "MultiPicklist",
    "double": "Double", "int": "Int", "currency": "Currency", "percent": "Percent",
    "date": "Date", "datetime": "DateTime", "boolean": "Boolean", "id": "String",
    "reference": "Reference",
}
Objects = Mapping[str, tuple[SObject, list[SField]]]


def name_fields(fields: list[SField]) -> list[str]:
    return [f.name for f in fields if f.name == "Name"]


def field_info(f: SField, objects: Objects) -> dict[str, Any]:
    """One field of an object info (the UI API Field response body)."""
    targets = [t for t in f.reference_to if t in objects]
    return {
        "apiName": f.name, "calculated": f.column is None and f.type != "id",
        "compound": False, "compoundComponentName": None, "compoundFieldName": None,
        "controllerName": None, "controllingFields": [],
        "createable": f.createable and f.column is not None, "custom": f.custom,
        "dataType": DATA_TYPES.get(f.type, "String"), "extraTypeInfo": None,
        "filterable": True, "filteredLookupInfo": None, "highScaleNumber": False,
        "htmlFormatted": False, "inlineHelpText": f.help_text or None,
        "label": f.label or f.name, "length": f.length, "nameField": f.name == "Name",
        "polymorphicForeignKey": len(f.reference_to) > 1, "precision": f.precision,
        "reference": f.type == "reference", "referenceTargetField": None,
        "referenceToInfos": [{"apiName": t, "nameFields": name_fields(objects[t][1])}
                             for t in targets],
        "relationshipName": f.relationship_name if targets else None,
        "required": not f.nillable and f.createable and f.type != "boolean",
        "scale": f.scale, "searchPrefilterable": False,
        "sortable": not (f.type == "textarea" and f.length > 255),
        "unique": f.unique, "updateable": f.updateable and f.column is not None,
    }


def object_info(obj: SObject, objects: Objects) -> dict[str, Any]:
    """The Object Info response body of one object the viewer may read."""
    fields = objects[obj.name][1]
    body: dict[str, Any] = {
        "apiName": obj.name, "associateEntityType": None, "associateParentEntity": None,
        "childRelationships": [], "createable": obj.writable, "custom": obj.custom,
        "defaultRecordTypeId": MASTER_RECORD_TYPE, "deletable": obj.writable,
        "dependentFields": {}, "feedEnabled": False,
        "fields": {f.name: field_info(f, objects) for f in fields},
        "keyPrefix": obj.prefix, "label": obj.label, "labelPlural": obj.label_plural,
        "layoutable": True, "mruEnabled": True, "nameFields": name_fields(fields),
        "queryable": obj.queryable,
        "recordTypeInfos": {MASTER_RECORD_TYPE: {
            "available": True, "defaultRecordTypeMapping": True, "master": True,
            "name": "Master", "recordTypeId": MASTER_RECORD_TYPE}},
        "searchable": True, "themeInfo": None, "updateable": obj.writable,
    }
    body["eTag"] = hashlib.md5(json.dumps(body, sort_keys=True).encode(),
                               usedforsecurity=False).hexdigest()
    return body


def graphql_object_info(obj: SObject, objects: Objects, locale: str) -> dict[str, Any]:
    """The GraphQL ObjectInfo of one object: REST's keys, `ApiName`s, fields as a list."""
    info = object_info(obj, objects)
    fields = [{**f, "ApiName": f["apiName"],
               "referenceToInfos": [{**r, "ApiName": r["apiName"]}
                                    for r in f["referenceToInfos"]]}
              for f in info["fields"].values()]
    return {**info, "ApiName": obj.name, "fields": fields, "locale": locale}


def _nn(t: Any) -> Any:
    return GraphQLNonNull(t)


REFERENCE_TO_INFO = GraphQLObjectType("ReferenceToInfo", {
    "ApiName": GraphQLField(_nn(GraphQLString)),
    "nameFields": GraphQLField(_nn(GraphQLList(_nn(GraphQLString))))})
FIELD = GraphQLObjectType("Field", {
    "ApiName": GraphQLField(_nn(GraphQLString)),
    **{k: GraphQLField(GraphQLString) for k in ("label", "dataType", "inlineHelpText",
                                                "relationshipName", "compoundFieldName",
                                                "controllerName", "extraTypeInfo")},
    **{k: GraphQLField(GraphQLBoolean) for k in (
        "calculated", "compound", "createable", "custom", "filterable", "highScaleNumber",
        "htmlFormatted", "nameField", "polymorphicForeignKey", "reference", "required",
        "searchPrefilterable", "sortable", "unique", "updateable")},
    **{k: GraphQLField(GraphQLInt) for k in ("length", "precision", "scale")},
    "referenceToInfos": GraphQLField(GraphQLList(REFERENCE_TO_INFO)),
})
OBJECT_INFO = GraphQLObjectType("ObjectInfo", {
    "ApiName": GraphQLField(_nn(GraphQLString)),
    **{k: GraphQLField(GraphQLString) for k in ("label", "labelPlural", "keyPrefix",
                                                "defaultRecordTypeId", "locale")},
    **{k: GraphQLField(GraphQLBoolean) for k in ("createable", "custom", "deletable",
                                                 "feedEnabled", "layoutable", "mruEnabled",
                                                 "queryable", "searchable", "updateable")},
    "nameFields": GraphQLField(_nn(GraphQLList(_nn(GraphQLString)))),
    "fields": GraphQLField(_nn(GraphQLList(FIELD))),
})
