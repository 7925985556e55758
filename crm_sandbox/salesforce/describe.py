"""Describe shapes: `sobjects/X/describe` and the global `sobjects` list."""

from __future__ import annotations

from typing import Any

from .model import Registry, SField, SObject

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "currency": "xsd:double",
    "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def urls(obj: SObject, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def field_describe(f: SField) -> dict[str, Any]:
    """One entry of `fields` (the attributes clients read, with describe's names)."""
    return {
        "name": f.name, "label": f.label or f.name, "type": f.type, "custom": f.custom,
        "updateable": f.updateable and f.column is not None,
        "createable": f.createable and f.column is not None, "externalId": f.external_id,
        "unique": f.unique, "nillable": f.nillable, "idLookup": f.type == "id" or f.external_id,
        "calculated": f.column is None and f.type != "id", "filterable": True, "sortable": True,
        "nameField": f.name == "Name", "length": f.length, "precision": f.precision,
        "scale": f.scale, "digits": 0, "soapType": SOAP_TYPES.get(f.type, "xsd:string"),
        "inlineHelpText": f.help_text or None,
        "defaultedOnCreate": f.name in ("Id", "IsDeleted", "CreatedDate", "LastModifiedDate",
                                        "SystemModstamp"),
        "picklistValues": [
            {"active": True, "defaultValue": False, "label": v, "validFor": None, "value": v}
            for v in f.picklist
        ],
        "referenceTo": list(f.reference_to), "relationshipName": f.relationship_name,
        "polymorphicForeignKey": len(f.reference_to) > 1,
    }


def sobject_summary(obj: SObject, version: str) -> dict[str, Any]:
    """The per-object entry of the global describe."""
    return {
        "name": obj.name, "label": obj.label, "labelPlural": obj.label_plural,
        "keyPrefix": obj.prefix, "custom": obj.custom, "queryable": obj.queryable,
        "createable": obj.writable, "updateable": obj.writable, "deletable": obj.writable,
        "searchable": True, "retrieveable": True, "urls": urls(obj, version),
    }


def describe(registry: Registry, obj: SObject, version: str) -> dict[str, Any]:
    """The full describe of one sObject."""
    children = [
        {"childSObject": other.name, "field": f.name, "relationshipName": None,
         "cascadeDelete": False}
        for other in registry.all() for f in other.fields.values()
        if obj.name in f.reference_to
    ]
    return {
        **sobject_summary(obj, version),
        "fields": [field_describe(f) for f in obj.fields.values()],
        "childRelationships": children, "recordTypeInfos": [],
    }


def global_describe(registry: Registry, version: str) -> dict[str, Any]:
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [sobject_summary(o, version) for o in registry.all()]}
