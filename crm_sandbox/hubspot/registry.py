"""The portal's object types: standard ones, and custom objects and properties created live.

Properties created through the API on a standard object live in a side table
`hs_props_<object>` (one VARCHAR column per property, normalized text); a custom object
is one table `hs_custom_<k>` with the same bookkeeping columns as the org's core tables.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from ..org import Org
from .engagements import all_engagements, feedback_submissions
from .errors import HsError, not_found, validation
from .goals import goal_targets
from .model import OWNER_BASE, ObjectType
from .portal_objects import ALIASES as PORTAL_ALIASES
from .portal_objects import all_portal_objects, ddl
from .props import NAME_RE, NUMBER_HINTS, TYPES, Prop, iso_ms
from .standard import companies, contacts, deals, line_items, products

ALIASES = {"contact": "contacts", "company": "companies", "deal": "deals",
           "line_item": "line_items", "product": "products", "call": "calls",
           "email": "emails", "meeting": "meetings", "task": "tasks",
           "feedback_submission": "feedback_submissions", "goal_target": "goal_targets",
           **PORTAL_ALIASES}
BOOKKEEPING = ("n BIGINT PRIMARY KEY, created_at TIMESTAMP, modified_at TIMESTAMP, "
               "system_modstamp TIMESTAMP, is_deleted BOOLEAN DEFAULT false, "
               "deleted_at TIMESTAMP")
CUSTOM_BASE = 100 * 10**9


class Registry:
    """Object types by name, object type id and fully qualified name."""

    def __init__(self, org: Org, portal_id: int) -> None:
        self.org, self.portal_id = org, portal_id
        self._lock = threading.RLock()
        self.types: dict[str, ObjectType] = {}
        for o in (contacts(), companies(), deals(), line_items(), products(),
                  *all_engagements(), feedback_submissions(), goal_targets()):
            self.types[o.name] = o
        with org.writing() as con:  # objects every portal has, empty in the generated org
            for o in all_portal_objects():
                con.execute(ddl(o))
                self.types[o.name] = o

    def get(self, ref: str) -> ObjectType:
        """The object type named by a path segment (name, id, alias or qualified name)."""
        key = ALIASES.get(ref.lower(), ref.lower())
        with self._lock:
            for o in self.types.values():
                fqn = str(o.schema.get("fullyQualifiedName", "")).lower()
                if key in (o.name.lower(), o.type_id or None, fqn or None):
                    return o
        raise HsError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {ref}")

    def customs(self) -> list[ObjectType]:
        with self._lock:
            return [o for o in self.types.values() if o.custom]

    # ---- properties ----------------------------------------------------------------
    def create_property(self, o: ObjectType, spec: dict[str, Any]) -> Prop:
        """POST /crm/v3/properties/{objectType}: validate, store, return the new property."""
        prop = self._prop_from(o, spec)
        with self._lock:
            if prop.name in o.props:
                raise HsError(409, "OBJECT_ALREADY_EXISTS",
                              f"Property named '{prop.name}' already exists.")
            self._add_column(o, prop)
            o.add_extra(prop)
        return prop

    def _prop_from(self, o: ObjectType, spec: dict[str, Any]) -> Prop:
        name, type_ = str(spec.get("name") or ""), str(spec.get("type") or "")
        field_type = str(spec.get("fieldType") or "")
        if not NAME_RE.match(name):
            raise validation(f"Property name '{name}' is invalid: use lower-case letters, "
                             "digits and underscores, starting with a letter.")
        if type_ not in TYPES or field_type not in TYPES[type_]:
            raise validation(f"Invalid type/fieldType combination: {type_}/{field_type}")
        if not spec.get("label"):
            raise validation("Property label is required.")
        group = str(spec.get("groupName") or "")
        if group not in o.groups:
            raise validation(f"Property group '{group}' does not exist.")
        options = tuple((str(op["value"]), str(op.get("label", op["value"])))
                        for op in spec.get("options") or [])
        if type_ == "enumeration" and field_type != "booleancheckbox" and not options:
            raise validation("Enumeration properties need options.")
        hint, symbol = display(type_, spec, None, None)
        return Prop(name, str(spec["label"]), type_, field_type, options=options, group=group,
                    hubspot_defined=False, unique=bool(spec.get("hasUniqueValue")),
                    description=str(spec.get("description") or ""),
                    created_at=self.org.clock.now(), display_hint=hint,
                    currency_symbol=symbol)

    def update_property(self, o: ObjectType, name: str, spec: dict[str, Any]) -> Prop:
        """PATCH /crm/v3/properties/{objectType}/{name}: change what `spec` names (a key
        left out, or sent as null, keeps its value); HubSpot's own definitions are fixed."""
        with self._lock:
            old = o.props.get(name)
            if old is None:
                raise not_found(f"Property {name} does not exist")
            if old.hubspot_defined:
                raise validation(f"{name} is a HubSpot defined property: its definition "
                                 "cannot be changed.")
            new = dataclasses.replace(old, **self._changes(o, old, spec),
                                      updated_at=self.org.clock.now())
            o.add(new)
        return new

    def _changes(self, o: ObjectType, old: Prop, spec: dict[str, Any]) -> dict[str, Any]:
        given = {k: v for k, v in spec.items() if v is not None}
        if given.get("type", old.type) != old.type:
            raise validation(f"The type of {old.name} cannot change from {old.type}.")
        field_type = str(given.get("fieldType", old.field_type))
        if field_type not in TYPES[old.type]:
            raise validation(f"Invalid type/fieldType combination: {old.type}/{field_type}")
        if "groupName" in given and given["groupName"] not in o.groups:
            raise validation(f"Property group '{given['groupName']}' does not exist.")
        hint, symbol = display(old.type, given, old.display_hint, old.currency_symbol)
        out: dict[str, Any] = {"field_type": field_type, "display_hint": hint,
                               "currency_symbol": symbol}
        for key, attr in (("label", "label"), ("description", "description"),
                          ("groupName", "group")):
            if key in given:
                out[attr] = str(given[key])
        if "options" in given:
            out["options"] = tuple((str(op["value"]), str(op.get("label", op["value"])))
                                   for op in given["options"])
        return out

    def _add_column(self, o: ObjectType, prop: Prop) -> None:
        with self.org.writing() as con:
            if not o.custom:
                con.execute(f"CREATE TABLE IF NOT EXISTS {o.side_table} (n BIGINT PRIMARY KEY)")
            con.execute(f"ALTER TABLE {o.side_table} ADD COLUMN p_{prop.name} VARCHAR")

    def create_group(self, o: ObjectType, spec: dict[str, Any]) -> dict[str, Any]:
        name, label = str(spec.get("name") or ""), str(spec.get("label") or "")
        if not NAME_RE.match(name) or not label:
            raise validation("A property group needs a valid name and a label.")
        with self._lock:
            if name in o.groups:
                raise HsError(409, "OBJECT_ALREADY_EXISTS",
                              f"Property group named '{name}' already exists.")
            o.groups = {**o.groups, name: label}
        return group_json(o, name)

    # ---- custom objects ------------------------------------------------------------
    def create_schema(self, egg: dict[str, Any]) -> ObjectType:
        """POST /crm/v3/schemas: a custom object whose records work like any other's."""
        name = str(egg.get("name") or "")
        labels = egg.get("labels") or {}
        if not NAME_RE.match(name) or not labels.get("singular") or not labels.get("plural"):
            raise validation("A schema needs a valid name and singular and plural labels.")
        specs = list(egg.get("properties") or [])
        names = {str(s.get("name")) for s in specs}
        primary = str(egg.get("primaryDisplayProperty") or "")
        required = [str(r) for r in egg.get("requiredProperties") or []]
        if (primary and primary not in names) or not set(required) <= names:
            raise validation("primaryDisplayProperty and requiredProperties must be "
                             "among the schema's properties.")
        with self._lock:
            if any(o.name == name or o.singular.lower() == name for o in self.types.values()):
                raise HsError(409, "OBJECT_ALREADY_EXISTS",
                              f"An object type named '{name}' already exists.")
            o = self._new_custom(name, labels, egg, primary, required)
            for spec in specs:
                group = {**spec, "groupName": spec.get("groupName") or f"{name}_information"}
                prop = self._prop_from(o, group)
                prop.hubspot_defined = False
                self._add_column(o, prop)
                o.add_extra(prop)
            self.types = {**self.types, name: o}
        return o

    def _new_custom(self, name: str, labels: dict[str, Any], egg: dict[str, Any],
                    primary: str, required: list[str]) -> ObjectType:
        k = len(self.customs())
        table = f"hs_custom_{k}"
        with self.org.writing() as con:
            con.execute(f"CREATE TABLE {table} ({BOOKKEEPING})")
        now = self.org.clock.now()
        type_id = f"2-{self.portal_id % 100000 * 100 + k + 1}"
        o = ObjectType(name, type_id, str(labels["singular"]), str(labels["plural"]), table,
                       CUSTOM_BASE + k * 10**9, "crm.objects.custom", "crm.schemas.custom",
                       groups={f"{name}_information": f"{labels['singular']} information"},
                       custom=True, created_at=now,
                       always=("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
                       default_props=tuple(dict.fromkeys(
                           p for p in ("hs_createdate", "hs_lastmodifieddate",
                                        "hs_object_id", primary) if p)),
                       query_props=tuple(str(p) for p in egg.get("searchableProperties") or []))
        o.add(Prop("hs_object_id", "Record ID", "number", "number", o.id_sql(), read_only=True))
        for stamp, col in (("hs_createdate", "created_at"), ("hs_lastmodifieddate",
                                                             "modified_at")):
            o.add(Prop(stamp, stamp, "datetime", "date", f"t.{col}", read_only=True))
        o.add(Prop("hubspot_owner_id", "Owner", "enumeration", "select",
                   f"(t.owner_n + {OWNER_BASE})::VARCHAR", column="owner_n",
                   meta={"kind": "owner"}))
        with self.org.writing() as con:
            con.execute(f"ALTER TABLE {table} ADD COLUMN owner_n BIGINT")
        o.schema = {"primaryDisplayProperty": primary, "requiredProperties": required,
                    "searchableProperties": list(o.query_props),
                    "secondaryDisplayProperties": list(egg.get("secondaryDisplayProperties")
                                                       or []),
                    "fullyQualifiedName": f"p{self.portal_id}_{name}",
                    "associatedObjects": [str(a) for a in egg.get("associatedObjects") or []]}
        return o

    def update_schema(self, o: ObjectType, patch: dict[str, Any]) -> ObjectType:
        """PATCH /crm/v3/schemas/{objectType}: labels and which properties are required,
        searchable and displayed change (each must be one of the object's properties)."""
        if not o.custom:
            raise not_found(f"Unable to find object schema for {o.name}")
        keys = ("primaryDisplayProperty", "requiredProperties", "searchableProperties",
                "secondaryDisplayProperties")
        named = [patch.get(keys[0]) or "", *(n for k in keys[1:] for n in patch.get(k) or [])]
        unknown = sorted({str(n) for n in named if n and str(n) not in o.props})
        if unknown:
            raise validation(f"Unknown properties of {o.name}: {', '.join(unknown)}")
        with self._lock:
            o.schema.update({k: patch[k] for k in keys if patch.get(k) is not None})
            labels = patch.get("labels") or {}
            o.singular = str(labels.get("singular") or o.singular)
            o.plural = str(labels.get("plural") or o.plural)
            o.query_props = tuple(str(p) for p in o.schema["searchableProperties"])
            primary = o.schema["primaryDisplayProperty"]
            o.default_props = tuple(dict.fromkeys((*o.default_props, primary)))
        return o

    def schema_json(self, o: ObjectType) -> dict[str, Any]:
        """ObjectSchema as GET /crm/v3/schemas answers it."""
        if not o.custom:
            raise not_found(f"Unable to find object schema for {o.name}")
        stamp = iso_ms(o.created_at) if o.created_at else None
        props = [p.as_json() for p in o.props.values()]
        assoc = [{"id": str(200 + i), "fromObjectTypeId": o.type_id,
                  "toObjectTypeId": self.get(a).type_id, "name": f"{o.name}_to_{a.lower()}",
                  "createdAt": stamp, "updatedAt": stamp}
                 for i, a in enumerate(o.schema.get("associatedObjects", []))
                 if self._known(a)]
        return {"id": o.type_id.split("-")[1], "objectTypeId": o.type_id, "name": o.name,
                "fullyQualifiedName": o.schema["fullyQualifiedName"],
                "labels": {"singular": o.singular, "plural": o.plural},
                "primaryDisplayProperty": o.schema["primaryDisplayProperty"],
                "requiredProperties": o.schema["requiredProperties"],
                "searchableProperties": o.schema["searchableProperties"],
                "secondaryDisplayProperties": o.schema["secondaryDisplayProperties"],
                "properties": props, "associations": assoc, "archived": False,
                "metaType": "PORTAL_SPECIFIC", "portalId": self.portal_id,
                "createdAt": stamp, "updatedAt": stamp}

    def _known(self, ref: str) -> bool:
        try:
            self.get(ref)
        except HsError:
            return False
        return True


def display(type_: str, spec: dict[str, Any], hint: str | None,
            symbol: bool | None) -> tuple[str | None, bool | None]:
    """numberDisplayHint and showCurrencySymbol of a number property (kept when absent)."""
    new_hint = spec.get("numberDisplayHint")
    if new_hint is not None and (type_ != "number" or new_hint not in NUMBER_HINTS):
        raise validation(f"numberDisplayHint {new_hint!r} is not valid for a {type_} property "
                         f"(number properties: {', '.join(NUMBER_HINTS)})")
    new_symbol = spec.get("showCurrencySymbol")
    if new_symbol is not None and not isinstance(new_symbol, bool):
        raise validation("showCurrencySymbol must be true or false")
    return (new_hint if new_hint is not None else hint,
            new_symbol if new_symbol is not None else symbol)


def group_json(o: ObjectType, name: str) -> dict[str, Any]:
    order = list(o.groups).index(name)
    return {"name": name, "label": o.groups[name], "displayOrder": order, "archived": False}
