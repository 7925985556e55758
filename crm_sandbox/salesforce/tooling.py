"""Tooling API metadata: create custom objects and fields the way a writer would.

`POST tooling/sobjects/CustomObject` and `.../CustomField` take `FullName` + `Metadata`
(JSON, like the Metadata API types), add a table or column to the org, and register the
new sObject/field so that describe, queries, Collections and Bulk see it at once.
`GET`/`PATCH tooling/sobjects/CustomField/{id}` read and update a field's Metadata (the
whole definition is replaced, as a Metadata API update does; `field_meta` validates it).
`tooling/query` answers SOQL over CustomObject and CustomField (with each field's
`Description` and `InlineHelpText`, as the real Tooling API's CustomField has them) and
over what Metadata API deploys made (`catalog.tooling_objects`: LightningComponentBundle,
LightningComponentResource, FlexiPage, CustomTab).
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ..http import Endpoint, Request, Response, json_response, raw_json
from ..ids import parse_sf_id, sf_id
from ..org.tables import COMMON
from .catalog import tooling_objects
from .context import Context, V
from .errors import SfError, not_found
from .field_meta import FIELD_TYPES, build, check_change, validate
from .model import Registry, SField, SObject, base_fields, ref
from .query import QueryEngine

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,38}__c$")
FIELD_ID = r"(?P<id>00N\w+)"
TOOLING_DDL = (
    f"CREATE TABLE tooling_objects (n BIGINT, developer_name VARCHAR, full_name VARCHAR, "
    f"label VARCHAR, {COMMON})",
    f"CREATE TABLE tooling_fields (n BIGINT, developer_name VARCHAR, full_name VARCHAR, "
    f"table_enum_or_id VARCHAR, label VARCHAR, description VARCHAR, help VARCHAR, {COMMON})",
)


def tooling_registry() -> Registry:
    """CustomObject and CustomField as queryable tooling sObjects."""
    co = SObject("CustomObject", "tooling_objects", "01I", "Custom Object", writable=False)
    cf = SObject("CustomField", "tooling_fields", "00N", "Custom Field", writable=False)
    field_extra = [SField("TableEnumOrId", "string", "Table", column="table_enum_or_id"),
                   SField("Description", "textarea", "Description", column="description"),
                   SField("InlineHelpText", "textarea", "Help Text", column="help")]
    for obj, extra in ((co, []), (cf, field_extra)):
        for f in (*base_fields(obj.prefix), SField("DeveloperName", "string", "Name",
                                                   column="developer_name"),
                  SField("FullName", "string", "Full Name", column="full_name"),
                  SField("NamespacePrefix", "string", "Namespace", sql="NULL"), *extra):
            obj.add(f)
    return Registry([co, cf, *tooling_objects()])


class Tooling:
    """Tooling endpoints and the metadata changes they make."""

    def __init__(self, ctx: Context) -> None:
        self.ctx, self.org = ctx, ctx.org
        self._lock = threading.Lock()
        with self.org.writing() as con:
            for ddl in TOOLING_DDL:
                con.execute(ddl)
        self.registry = tooling_registry()
        self.queries = QueryEngine(self.org, self.registry)
        self.fields: dict[str, tuple[SObject, str, dict[str, Any]]] = {}  # id → field meta

    def endpoints(self) -> list[Endpoint]:
        """Tooling endpoints."""
        t = rf"{V}/tooling"
        return [
            Endpoint("POST", rf"{t}/sobjects/CustomObject/?", "tooling.createObject",
                     self.create_object),
            Endpoint("POST", rf"{t}/sobjects/CustomField/?", "tooling.createField",
                     self.create_field),
            Endpoint("GET", rf"{t}/sobjects/CustomField/{FIELD_ID}/?", "tooling.getField",
                     self.get_field),
            Endpoint("PATCH", rf"{t}/sobjects/CustomField/{FIELD_ID}/?", "tooling.updateField",
                     self.update_field),
            Endpoint("GET", rf"{t}/query/?", "tooling.query", self.query),
            Endpoint("GET", rf"{t}/query/(?P<loc>01g\w+)-(?P<pos>\d+)", "tooling.queryMore",
                     self.query_more),
        ]

    def close(self) -> None:
        self.queries.close()

    def query(self, req: Request) -> Response:
        return raw_json(self.queries.run(req.arg("q") or "", req.params["v"], False))

    def query_more(self, req: Request) -> Response:
        return raw_json(self.queries.more(req.params["loc"], int(req.params["pos"]),
                                          req.params["v"]))

    def create_object(self, req: Request) -> Response:
        """POST CustomObject: a new custom object (table and sObject)."""
        body = req.json() or {}
        name, meta = str(body.get("FullName") or ""), body.get("Metadata") or {}
        if not _NAME.match(name):
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"Invalid FullName: {name}",
                          ["FullName"])
        with self._lock:
            if self.ctx.registry.get(name) is not None:
                raise SfError(400, "DUPLICATE_DEVELOPER_NAME", f"{name} already exists")
            n = self.org.next_n("tooling_objects")
            obj = self.new_object(name, meta, n)
            self.org.insert("tooling_objects", {"n": n, "developer_name": name[:-3],
                                                   "full_name": name,
                                                   "label": obj.label})
            self.ctx.registry.add(obj)
        return created(sf_id("01I", n))

    def new_object(self, name: str, meta: dict[str, Any], n: int) -> SObject:
        """Create the object's table and its standard fields."""
        prefix = "a" + "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n + 2) // 36 % 36] + \
            "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"[(n + 2) % 36]
        table = f"sf_{name.lower()}"
        with self.org.writing() as con:
            con.execute(f"CREATE TABLE {table} (n BIGINT, name VARCHAR, owner_n BIGINT, "
                        f"{COMMON})")
        obj = SObject(name, table, prefix, str(meta.get("label") or name[:-3]), custom=True,
                      sharing_model=str(meta.get("sharingModel") or "ReadWrite"))
        name_field = meta.get("nameField") or {}
        for f in (*base_fields(prefix),
                  SField("Name", "string", str(name_field.get("label") or "Name"),
                         column="name", length=80),
                  ref("OwnerId", "owner_n", "User", "Owner")):
            obj.add(f)
        obj.defaults = {"owner_n": 1}
        return obj

    def create_field(self, req: Request) -> Response:
        """POST CustomField: a new field on a standard or custom object."""
        body = req.json() or {}
        full, meta = str(body.get("FullName") or ""), dict(body.get("Metadata") or {})
        obj_name, _, field_name = full.partition(".")
        obj = self.ctx.registry.get(obj_name)
        kind = str(meta.get("type") or "")
        if obj is None or not _NAME.match(field_name) or kind not in FIELD_TYPES:
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                          f"Invalid custom field {full!r} of type {kind!r}", ["FullName"])
        with self._lock:
            if obj.get(field_name) is not None:
                raise SfError(400, "DUPLICATE_DEVELOPER_NAME", f"{full} already exists")
            validate(full, kind, meta)
            column = f"cf_{field_name.lower()}"
            with self.org.writing() as con:
                con.execute(f"ALTER TABLE {obj.table} ADD COLUMN {column} "
                            f"{FIELD_TYPES[kind][1]}")
            f = build(field_name, column, kind, meta)
            n = self.org.next_n("tooling_fields")
            owner = (sf_id("01I", self.object_n(obj.name)) if obj.custom and
                     obj.table.startswith("sf_") else obj.name)
            self.org.insert("tooling_fields", {"n": n, "developer_name": field_name[:-3],
                                                  "full_name": full, "table_enum_or_id": owner,
                                                  "label": f.label, **_texts(meta)})
            obj.add(f)
            self.fields[sf_id("00N", n)] = (obj, field_name, meta)
        return created(sf_id("00N", n))

    def _field(self, req: Request) -> tuple[str, SObject, str, dict[str, Any]]:
        """(id, object, field name, metadata) of the field a request's path names."""
        fid = req.params["id"]
        found = self.fields.get(fid if len(fid) == 18 else sf_id("00N", _n(fid)))
        if found is None:
            raise not_found()
        return (fid, *found)

    def get_field(self, req: Request) -> Response:
        """GET CustomField/{id}: the field's FullName and Metadata."""
        fid, obj, name, meta = self._field(req)
        v = req.params["v"]
        return json_response({
            "attributes": {"type": "CustomField",
                           "url": f"/services/data/v{v}/tooling/sobjects/CustomField/{fid}"},
            "Id": fid, "DeveloperName": name[:-3], "FullName": f"{obj.name}.{name}",
            "TableEnumOrId": obj.name, "Metadata": {"inlineHelpText": None,
                                                    "description": None, **meta}})

    def update_field(self, req: Request) -> Response:
        """PATCH CustomField/{id}: replace the field's Metadata (204, like any update)."""
        fid, obj, name, old = self._field(req)
        meta = dict((req.json() or {}).get("Metadata") or {})
        full, kind = f"{obj.name}.{name}", str(meta.get("type") or "")
        validate(full, kind, meta)
        check_change(full, str(old["type"]), kind)
        if kind == "Lookup" and meta.get("referenceTo") != old.get("referenceTo"):
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"{full}: a lookup's target "
                          "object cannot change", ["Metadata"])
        with self._lock:
            current = obj.get(name)
            f = build(name, str(current.column if current else ""), kind, meta)
            obj.add(f)
            self.fields[fid] = (obj, name, meta)
            self.org.update("tooling_fields", _n(fid[:15]), {"label": f.label, **_texts(meta)})
        return Response(204)

    def object_n(self, name: str) -> int:
        row = self.org.cursor().execute(
            "SELECT n FROM tooling_objects WHERE full_name = ?", [name]).fetchone()
        return int(row[0]) if row else 0


def _texts(meta: dict[str, Any]) -> dict[str, Any]:
    """The queryable description and help text of a field's Metadata."""
    return {"description": meta.get("description"), "help": meta.get("inlineHelpText")}


def _n(id15: str) -> int:
    """The key of a 15-character id."""
    parsed = parse_sf_id(id15)
    return parsed[1] if parsed else -1


def created(record_id: str) -> Response:
    return json_response({"id": record_id, "success": True, "errors": [], "warnings": [],
                          "infos": []}, 201)
