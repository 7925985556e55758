"""Tooling API metadata: create custom objects and fields the way a writer would.

`POST tooling/sobjects/CustomObject` and `.../CustomField` take `FullName` + `Metadata`
(JSON, like the Metadata API types), add a table or column to the org, and register the
new sObject/field so that describe, queries, Collections and Bulk see it at once.
`tooling/query` answers SOQL over CustomObject and CustomField.
"""

from __future__ import annotations

import re
import threading
from typing import Any

from ..http import Endpoint, Request, Response, json_response, raw_json
from ..ids import sf_id
from ..org.tables import COMMON
from .context import Context, V
from .errors import SfError
from .model import Registry, SField, SObject, base_fields, ref
from .query import QueryEngine

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,38}__c$")
# Metadata field type → (describe type, DuckDB type).
FIELD_TYPES: dict[str, tuple[str, str]] = {
    "Text": ("string", "VARCHAR"), "TextArea": ("textarea", "VARCHAR"),
    "LongTextArea": ("textarea", "VARCHAR"), "Email": ("email", "VARCHAR"),
    "Phone": ("phone", "VARCHAR"), "Url": ("url", "VARCHAR"),
    "Picklist": ("picklist", "VARCHAR"), "Number": ("double", "DOUBLE"),
    "Currency": ("currency", "DOUBLE"), "Percent": ("percent", "DOUBLE"),
    "Date": ("date", "DATE"), "DateTime": ("datetime", "TIMESTAMP"),
    "Checkbox": ("boolean", "BOOLEAN"), "Lookup": ("reference", "BIGINT"),
}
TOOLING_DDL = (
    f"CREATE TABLE tooling_objects (n BIGINT, developer_name VARCHAR, full_name VARCHAR, "
    f"label VARCHAR, {COMMON})",
    f"CREATE TABLE tooling_fields (n BIGINT, developer_name VARCHAR, full_name VARCHAR, "
    f"table_enum_or_id VARCHAR, label VARCHAR, {COMMON})",
)


def tooling_registry() -> Registry:
    """CustomObject and CustomField as queryable tooling sObjects."""
    co = SObject("CustomObject", "tooling_objects", "01I", "Custom Object", writable=False)
    cf = SObject("CustomField", "tooling_fields", "00N", "Custom Field", writable=False)
    for obj, extra in ((co, []), (cf, [SField("TableEnumOrId", "string", "Table",
                                              column="table_enum_or_id")])):
        for f in (*base_fields(obj.prefix), SField("DeveloperName", "string", "Name",
                                                   column="developer_name"),
                  SField("FullName", "string", "Full Name", column="full_name"),
                  SField("NamespacePrefix", "string", "Namespace", sql="NULL"), *extra):
            obj.add(f)
    return Registry([co, cf])


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

    def endpoints(self) -> list[Endpoint]:
        """Tooling endpoints."""
        t = rf"{V}/tooling"
        return [
            Endpoint("POST", rf"{t}/sobjects/CustomObject/?", "tooling.createObject",
                     self.create_object),
            Endpoint("POST", rf"{t}/sobjects/CustomField/?", "tooling.createField",
                     self.create_field),
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
        obj = SObject(name, table, prefix, str(meta.get("label") or name[:-3]), custom=True)
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
        full, meta = str(body.get("FullName") or ""), body.get("Metadata") or {}
        obj_name, _, field_name = full.partition(".")
        obj = self.ctx.registry.get(obj_name)
        kind = str(meta.get("type") or "")
        if obj is None or not _NAME.match(field_name) or kind not in FIELD_TYPES:
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                          f"Invalid custom field {full!r} of type {kind!r}", ["FullName"])
        with self._lock:
            if obj.get(field_name) is not None:
                raise SfError(400, "DUPLICATE_DEVELOPER_NAME", f"{full} already exists")
            f = self.new_field(obj, field_name, kind, meta)
            n = self.org.next_n("tooling_fields")
            owner = (sf_id("01I", self.object_n(obj.name)) if obj.custom and
                     obj.table.startswith("sf_") else obj.name)
            self.org.insert("tooling_fields", {"n": n, "developer_name": field_name[:-3],
                                                  "full_name": full, "table_enum_or_id": owner,
                                                  "label": f.label})
            obj.add(f)
        return created(sf_id("00N", n))

    def new_field(self, obj: SObject, name: str, kind: str, meta: dict[str, Any]) -> SField:
        """Add the column and describe the field from its Metadata."""
        sf_type, sql_type = FIELD_TYPES[kind]
        column = f"cf_{name.lower()}"
        with self.org.writing() as con:
            con.execute(f"ALTER TABLE {obj.table} ADD COLUMN {column} {sql_type}")
        values = tuple(v.get("fullName", "") for v in
                       ((meta.get("valueSet") or {}).get("valueSetDefinition") or {})
                       .get("value", []))
        if kind == "Lookup":
            target = str(meta.get("referenceTo") or "")
            rel = str(meta.get("relationshipName") or name[:-3]) + "__r"
            return ref(name, column, target, rel, custom=True, label=str(meta.get("label") or
                                                                          name))
        return SField(name, sf_type, str(meta.get("label") or name[:-3]), column=column,
                      custom=True, external_id=bool(meta.get("externalId")),
                      unique=bool(meta.get("unique")), picklist=values,
                      length=int(meta.get("length") or (255 if sql_type == "VARCHAR" else 0)),
                      precision=int(meta.get("precision") or 0), scale=int(meta.get("scale") or 0),
                      nillable=not meta.get("required"))

    def object_n(self, name: str) -> int:
        row = self.org.cursor().execute(
            "SELECT n FROM tooling_objects WHERE full_name = ?", [name]).fetchone()
        return int(row[0]) if row else 0


def created(record_id: str) -> Response:
    return json_response({"id": record_id, "success": True, "errors": [], "warnings": [],
                          "infos": []}, 201)
