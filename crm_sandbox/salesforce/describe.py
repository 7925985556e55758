"""Describe shapes: `sobjects/X/describe` and the global `sobjects` list."""

from __future__ import annotations

from typing import Any

from .model import Registry, SField, SObject
from .rights import Viewer

SOAP_TYPES = {
    "id": "tns:ID", "reference": "tns:ID", "boolean": "xsd:boolean", "currency": "xsd:double",
    "double": "xsd:double", "percent": "xsd:double", "int": "xsd:int", "date": "xsd:date",
    "datetime": "xsd:dateTime",
}


def urls(obj: SObject, version: str) -> dict[str, str]:
    base = f"/services/data/v{version}/sobjects/{obj.name}"
    return {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"}


def field_describe(f: SField, can_create: bool = True,
                   can_update: bool = True) -> dict[str, Any]:
    """One entry of `fields` (the attributes clients read, with describe's names);
    `can_create` / `can_update`: the user's object right and field edit access."""
    return {
        "name": f.name, "label": f.label or f.name, "type": f.type, "custom": f.custom,
        "updateable": f.updateable and f.column is not None and can_update,
        "createable": f.createable and f.column is not None and can_create,
        "externalId": f.external_id,
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


def sobject_summary(obj: SObject, version: str, viewer: Viewer | None = None) -> dict[str, Any]:
    """The per-object entry of the global describe (createable … as the user may)."""
    r = viewer.object_rights(obj) if viewer is not None else None
    return {
        "name": obj.name, "label": obj.label, "labelPlural": obj.label_plural,
        "keyPrefix": obj.prefix, "custom": obj.custom, "queryable": obj.queryable,
        "createable": obj.supports("create") and (r is None or r.create),
        "updateable": obj.supports("update") and (r is None or r.edit),
        "deletable": obj.supports("delete") and (r is None or r.delete),
        "searchable": True, "retrieveable": True, "urls": urls(obj, version),
    }


def describe(registry: Registry, obj: SObject, version: str,
             viewer: Viewer | None = None) -> dict[str, Any]:
    """The full describe of one sObject, as `viewer` sees it: fields without read access
    are left out, createable/updateable need the object right and field edit access."""
    children = [
        {"childSObject": other.name, "field": f.name, "relationshipName": None,
         "cascadeDelete": False}
        for other in registry.all() for f in other.fields.values()
        if obj.name in f.reference_to and (viewer is None or viewer.can_read_field(other, f))
    ]
    summary = sobject_summary(obj, version, viewer)
    fields = [field_describe(f, summary["createable"] and edit, summary["updateable"] and edit)
              for f in obj.fields.values() if viewer is None or viewer.can_read_field(obj, f)
              for edit in [viewer is None or viewer.can_edit_field(obj, f)]]
    return {**summary, "fields": fields, "childRelationships": children,
            "recordTypeInfos": []}


def global_describe(registry: Registry, version: str,
                    viewer: Viewer | None = None) -> dict[str, Any]:
    """The objects `viewer` can read."""
    return {"encoding": "UTF-8", "maxBatchSize": 200,
            "sobjects": [sobject_summary(o, version, viewer) for o in registry.all()
                         if viewer is None or viewer.can_read(o)]}
