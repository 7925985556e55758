"""`GET ui-api/records/{recordId}?fields=…&optionalFields=…`: one record as the viewer
sees it, what `lightning/uiRecordApi`'s getRecord reads (the KPI card reads a deal's
owner this way).

The answer is the UI API guide's Record body (`apiName`, `id`, `fields` with `{value,
displayValue}` — a parent relationship's value a nested record, its displayValue the
parent's name —, `systemModstamp`, `lastModifiedDate`, `weakEtag`, `recordTypeId`,
`childRelationships`, `eTag`). A field in `fields` the viewer cannot read or that does
not exist is refused (400 INVALID_FIELD); in `optionalFields` it is left out. A record
the viewer may not read answers 404 NOT_FOUND, as one that does not exist.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from .compile import NO_SUCH_COLUMN
from .errors import SfError, not_found
from .graphql_records import Plan, Reader, node_of
from .graphql_where import quote
from .model import SObject
from .object_info import MASTER_RECORD_TYPE


def plan_paths(obj: SObject, paths: list[list[str]], reader: Reader, strict: bool,
               plan: Plan | None = None) -> Plan:
    """The plan reading each field path (`["Owner", "Name"]`) of `obj`; an unreadable
    path is an error when `strict`, left out otherwise."""
    plan = plan or Plan(obj, {f.name: f for f in reader.objects[obj.name][1]
                              if f.name in ("Id", "Name", "SystemModstamp",
                                            "LastModifiedDate", "CurrencyIsoCode")})
    fields = {f.name.lower(): f for f in reader.objects[obj.name][1]}
    for path in paths:
        head = path[0].lower()
        if len(path) == 1 and head in fields:
            plan.fields[fields[head].name] = fields[head]
            plan.shown.add(fields[head].name)
            continue
        lookup = next((f for f in fields.values() if f.relationship_name and
                       f.relationship_name.lower() == head and len(f.reference_to) == 1
                       and f.reference_to[0] in reader.objects), None)
        if lookup is not None and len(path) > 1:
            rel, target = str(lookup.relationship_name), reader.objects[lookup.reference_to[0]][0]
            plan.parents[rel] = plan_paths(target, [path[1:]], reader, strict,
                                           plan.parents.get(rel))
        elif strict:
            raise SfError(400, "INVALID_FIELD", NO_SUCH_COLUMN.format(f=path[0], o=obj.name))
    return plan


def representation(plan: Plan, node: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL-shaped node as the UI API's Record body."""
    fields: dict[str, Any] = {}
    for name in plan.fields:
        if name in plan.shown:
            fields[name] = node[name] if name != "Id" else {"displayValue": None,
                                                             "value": node["Id"]}
    for rel, sub in plan.parents.items():
        parent = node[rel]
        fields[rel] = {"displayValue": parent["DisplayValue"] if parent else None,
                       "value": representation(sub, parent) if parent else None}
    stamp = node.get("SystemModstamp", {}).get("value")
    body = {"apiName": plan.obj.name, "childRelationships": {}, "fields": fields,
            "id": node["Id"], "lastModifiedById": None,
            "lastModifiedDate": node.get("LastModifiedDate", {}).get("value"),
            "recordTypeId": MASTER_RECORD_TYPE, "recordTypeInfo": None,
            "systemModstamp": stamp, "weakEtag": node["WeakEtag"]}
    body["eTag"] = hashlib.md5(json.dumps(body, sort_keys=True).encode(),
                               usedforsecurity=False).hexdigest()
    return body


def read_record(reader: Reader, record_id: str, fields: str, optional: str) -> dict[str, Any]:
    """The Record body of one record, or the error a real org answers."""
    obj = reader_object(reader, record_id)
    if not fields and not optional:
        raise SfError(400, "MISSING_ARGUMENT", "Specify fields or optionalFields")
    plan: Plan | None = None
    for names, strict in ((fields, True), (optional, False)):
        paths = [_path(obj, name) for name in names.split(",") if name.strip()]
        plan = plan_paths(obj, paths, reader, strict, plan)
    assert plan is not None
    soql = (f"SELECT {', '.join(plan.soql_fields())} FROM {obj.name} "
            f"WHERE Id = {quote(record_id)}")
    compiled = reader.compile(soql)
    row = reader.org.cursor().execute(
        f"SELECT {compiled.json_expr} AS r {compiled.body}", compiled.params).fetchone()
    if row is None:
        raise not_found()
    return representation(plan, node_of(plan, json.loads(row[0]), reader))


def reader_object(reader: Reader, record_id: str) -> SObject:
    """The object a record id belongs to, if the viewer reads it."""
    for obj, _ in reader.objects.values():
        if obj.prefix == record_id[:3]:
            return obj
    raise not_found()


def _path(obj: SObject, qualified: str) -> list[str]:
    """`Opportunity.Owner.Name` → ["Owner", "Name"], checking the object's name."""
    parts = qualified.strip().split(".")
    if len(parts) < 2 or parts[0].lower() != obj.name.lower():
        raise SfError(400, "INVALID_FIELD", f"{qualified.strip()}: fields are named "
                      f"{obj.name}.FieldName")
    return parts[1:]
