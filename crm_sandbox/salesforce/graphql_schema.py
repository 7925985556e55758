"""The UI API GraphQL schema of one viewer, built from the registry (describe).

"The context user's object-level and field-level permissions control access to supported
objects and fields" (GraphQL API guide, "Query Objects"): an object the viewer cannot read
has no field on `RecordQuery`, a field without FLS read has none on its record type, so a
query naming either fails validation as it does in a real org. Naming follows the guide:
`Account`, `AccountConnection`, `AccountEdge`, `Account_Filter` (field operators, `and`,
`or`, `not`, parent relationships), `Account_OrderBy` (`OrderByClause {order, nulls}`),
`PageInfo`; the scope enum (`AccountScope`) is the sandbox's name for it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from graphql import (
    GraphQLArgument,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLEnumValue,
    GraphQLField,
    GraphQLFieldMap,
    GraphQLID,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLInt,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
)

from .graphql_values import SCALARS, kind_of
from .model import SField, SObject

Resolver = Callable[..., Any]
Visible = dict[str, tuple[SObject, list[SField]]]  # object name → (object, readable fields)
RANGES = ("last_n_days", "next_n_days", "n_days_ago", "last_n_months", "last_n_years")
# The relative dates the SOQL engine serves (literals.date_range), as DateLiteral values.
DATE_LITERALS = ("TODAY", "YESTERDAY", "TOMORROW", "THIS_WEEK", "LAST_WEEK", "THIS_MONTH",
                 "LAST_MONTH", "NEXT_MONTH", "THIS_YEAR", "LAST_YEAR", "LAST_90_DAYS",
                 "NEXT_90_DAYS")


def _nn(t: Any) -> Any:
    return GraphQLNonNull(t)


def enum(name: str, values: tuple[str, ...]) -> GraphQLEnumType:
    """An enum whose values are their names."""
    return GraphQLEnumType(name, {v: GraphQLEnumValue(v) for v in values})


FIELD_VALUE = GraphQLInterfaceType("FieldValue", {"displayValue": GraphQLField(GraphQLString)})
RECORD = GraphQLInterfaceType("Record", lambda: {
    "Id": GraphQLField(_nn(GraphQLID)), "ApiName": GraphQLField(_nn(GraphQLString)),
    "WeakEtag": GraphQLField(_nn(SCALARS["Long"])), "DisplayValue": GraphQLField(GraphQLString),
})
PAGE_INFO = GraphQLObjectType("PageInfo", {
    "hasNextPage": GraphQLField(_nn(GraphQLBoolean)),
    "hasPreviousPage": GraphQLField(_nn(GraphQLBoolean)),
    "startCursor": GraphQLField(GraphQLString), "endCursor": GraphQLField(GraphQLString),
})
ORDER_BY_CLAUSE = GraphQLInputObjectType("OrderByClause", {
    "order": GraphQLInputField(enum("ResultOrder", ("ASC", "DESC"))),
    "nulls": GraphQLInputField(enum("NullOrder", ("FIRST", "LAST"))),
})
DATE_LITERAL = enum("DateLiteral", DATE_LITERALS)
DATE_RANGE = GraphQLInputObjectType("DateRange", {r: GraphQLInputField(GraphQLInt)
                                                  for r in RANGES})
_COMPARE = ("eq", "ne", "lt", "gt", "lte", "gte")
_SAMPLES = [SField("x", t, length=n) for t, n in (
    ("string", 0), ("textarea", 0), ("textarea", 32768), ("email", 0), ("phone", 0),
    ("url", 0), ("picklist", 0), ("double", 0), ("int", 0), ("currency", 0), ("percent", 0),
    ("date", 0), ("datetime", 0), ("boolean", 0), ("id", 0))]


def _date_input(name: str, scalar: Any) -> GraphQLInputObjectType:
    return GraphQLInputObjectType(name, {
        "value": GraphQLInputField(scalar), "literal": GraphQLInputField(DATE_LITERAL),
        "range": GraphQLInputField(DATE_RANGE)})


def _operator_fields(f: SField) -> dict[str, GraphQLInputField]:
    """The operators of a field type (Field Operators in the GraphQL API guide)."""
    kind = kind_of(f)
    if f.type == "boolean":
        return {op: GraphQLInputField(GraphQLBoolean) for op in ("eq", "ne")}
    value: GraphQLInputType = kind.scalar
    if f.type in ("date", "datetime"):
        value = _date_input("DateInput" if f.type == "date" else "DateTimeInput", kind.scalar)
    ops = ("eq", "ne", "like") if f.type == "picklist" else _COMPARE
    fields = {op: GraphQLInputField(value) for op in ops}
    fields |= {op: GraphQLInputField(GraphQLList(value)) for op in ("in", "nin")}
    if f.type in ("string", "textarea", "email", "phone", "url"):
        fields["like"] = GraphQLInputField(value)
    return fields


# One instance of each value type and operators type (shared by every schema).
_VALUE_TYPES: dict[str, GraphQLObjectType] = {}
_OPERATORS: dict[str, GraphQLInputObjectType] = {}
for _f in _SAMPLES:
    _kind = kind_of(_f)
    _VALUE_TYPES.setdefault(_kind.type_name, GraphQLObjectType(_kind.type_name, {
        "value": GraphQLField(_kind.scalar), "displayValue": GraphQLField(GraphQLString),
    }, interfaces=[FIELD_VALUE]))
    if _kind.operators and _kind.operators not in _OPERATORS:
        _OPERATORS[_kind.operators] = GraphQLInputObjectType(_kind.operators,
                                                             _operator_fields(_f))


def value_type(f: SField) -> GraphQLObjectType:
    """`StringValue { value displayValue }` and its siblings."""
    return _VALUE_TYPES[kind_of(f).type_name]


def operators_type(f: SField) -> GraphQLInputObjectType | None:
    """The `...Operators` input of a field's type (None: the field is not filterable)."""
    operators = kind_of(f).operators
    return _OPERATORS[operators] if operators else None


def parent_relationships(obj: SObject, visible: Visible) -> list[tuple[SField, str]]:
    """(lookup field, target object) of each single-target lookup the viewer may follow."""
    return [(f, f.reference_to[0]) for f in visible[obj.name][1]
            if f.relationship_name and len(f.reference_to) == 1 and f.reference_to[0] in visible]


class SchemaBuilder:
    """Builds the types of one schema; each object's types are made once, lazily."""

    def __init__(self, visible: Visible, records: Resolver, object_infos: Resolver,
                 object_info_type: GraphQLObjectType) -> None:
        self.visible, self.records, self.object_infos = visible, records, object_infos
        self.object_info_type = object_info_type
        self.types: dict[str, Any] = {}

    def build(self) -> GraphQLSchema:
        record_query = GraphQLObjectType("RecordQuery", lambda: {
            name: self.record_query_field(name) for name in sorted(self.visible)})
        uiapi = GraphQLObjectType("UIAPI", {
            "query": GraphQLField(_nn(record_query), resolve=lambda *_: {}),
            "objectInfos": GraphQLField(GraphQLList(_nn(self.object_info_type)), args={
                "apiNames": GraphQLArgument(_nn(GraphQLList(_nn(GraphQLString)))),
                "locale": GraphQLArgument(GraphQLString)}, resolve=self.object_infos),
        })
        query = GraphQLObjectType("Query", {"uiapi": GraphQLField(_nn(uiapi),
                                                                  resolve=lambda *_: {})})
        return GraphQLSchema(query, types=list(_VALUE_TYPES.values()))

    def once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self.types:
            self.types[key] = make()
        return self.types[key]

    def record_query_field(self, name: str) -> GraphQLField:
        args = {"first": GraphQLArgument(GraphQLInt), "after": GraphQLArgument(GraphQLString),
                "where": GraphQLArgument(self.filter_type(name)),
                "orderBy": GraphQLArgument(self.order_type(name)),
                "scope": GraphQLArgument(self.scope_type(name)),
                "upperBound": GraphQLArgument(GraphQLInt)}
        return GraphQLField(self.connection_type(name), args=args, resolve=self.records)

    def record_type(self, name: str) -> GraphQLObjectType:
        made: GraphQLObjectType = self.once(name, lambda: GraphQLObjectType(
            name, lambda: self.record_fields(name), interfaces=[RECORD]))
        return made

    def record_fields(self, name: str) -> GraphQLFieldMap:
        obj, fields = self.visible[name]
        out: dict[str, GraphQLField] = {
            "Id": GraphQLField(_nn(GraphQLID)), "ApiName": GraphQLField(_nn(GraphQLString)),
            "WeakEtag": GraphQLField(_nn(SCALARS["Long"])),
            "DisplayValue": GraphQLField(GraphQLString)}
        for f in fields:
            if f.name != "Id":
                out[f.name] = GraphQLField(value_type(f))
        for f, target in parent_relationships(obj, self.visible):
            out[str(f.relationship_name)] = GraphQLField(self.record_type(target))
        return out

    def connection_type(self, name: str) -> GraphQLObjectType:
        edge = self.once(f"{name}Edge", lambda: GraphQLObjectType(f"{name}Edge", lambda: {
            "node": GraphQLField(self.record_type(name)),
            "cursor": GraphQLField(_nn(GraphQLString))}))
        made: GraphQLObjectType = self.once(f"{name}Connection", lambda: GraphQLObjectType(
            f"{name}Connection", {
                "edges": GraphQLField(GraphQLList(edge)), "pageInfo": GraphQLField(
                    _nn(PAGE_INFO)), "totalCount": GraphQLField(_nn(GraphQLInt)),
                "pageResultCount": GraphQLField(_nn(GraphQLInt))}))
        return made

    def filter_type(self, name: str) -> GraphQLInputObjectType:
        made: GraphQLInputObjectType = self.once(f"{name}_Filter", lambda: GraphQLInputObjectType(
            f"{name}_Filter", lambda: self.filter_fields(name)))
        return made

    def filter_fields(self, name: str) -> dict[str, GraphQLInputField]:
        obj, fields = self.visible[name]
        own = self.filter_type(name)
        out: dict[str, GraphQLInputField] = {
            "and": GraphQLInputField(GraphQLList(own)), "or": GraphQLInputField(
                GraphQLList(own)), "not": GraphQLInputField(own)}
        for f in fields:
            ops = operators_type(f)
            if ops is not None:
                out[f.name] = GraphQLInputField(ops)
        for f, target in parent_relationships(obj, self.visible):
            out[str(f.relationship_name)] = GraphQLInputField(self.filter_type(target))
        return out

    def order_type(self, name: str) -> GraphQLInputObjectType:
        made: GraphQLInputObjectType = self.once(f"{name}_OrderBy", lambda: GraphQLInputObjectType(
            f"{name}_OrderBy", lambda: self.order_fields(name)))
        return made

    def order_fields(self, name: str) -> dict[str, GraphQLInputField]:
        obj, fields = self.visible[name]
        out = {f.name: GraphQLInputField(ORDER_BY_CLAUSE) for f in fields
               if kind_of(f).orderable}
        for f, target in parent_relationships(obj, self.visible):
            out[str(f.relationship_name)] = GraphQLInputField(self.order_type(target))
        return out

    def scope_type(self, name: str) -> GraphQLEnumType:
        owned = any(f.name == "OwnerId" for f in self.visible[name][1])
        made: GraphQLEnumType = self.once(f"{name}Scope", lambda: enum(
            f"{name}Scope", ("EVERYTHING", "MINE") if owned else ("EVERYTHING",)))
        return made


class SchemaCache:
    """Schemas by what shapes them (objects, fields, revisions): a viewer's next request
    reuses the schema unless an object, a field or the viewer's access changed."""

    def __init__(self, size: int = 32) -> None:
        self._lock = threading.Lock()
        self._schemas: OrderedDict[Hashable, GraphQLSchema] = OrderedDict()
        self.size = size

    def get(self, visible: Visible, make: Callable[[], GraphQLSchema]) -> GraphQLSchema:
        key = tuple((name, obj.revision, tuple(f.name for f in fields))
                    for name, (obj, fields) in sorted(visible.items()))
        with self._lock:
            if key in self._schemas:
                self._schemas.move_to_end(key)
                return self._schemas[key]
        schema = make()
        with self._lock:
            self._schemas[key] = schema
            while len(self._schemas) > self.size:
                self._schemas.popitem(last=False)
        return schema

