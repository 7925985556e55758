"""`POST /services/data/vXX.X/graphql`: parse, validate and execute one GraphQL request
as its viewer (graphql-core does the GraphQL; the SOQL engine reads the records).

The request body is the GraphQL API reference's `{query, variables, operationName}`;
the answer is HTTP 200 `{"data", "errors"}` whatever went wrong inside the query. "Each
GraphQL query can contain up to 10 subqueries" and "each subquery counts as one request
for rate limiting" ("GraphQL API Query Limitations"): a request spends one API call per
record query it holds (at least one).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLResolveInfo,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    execute_sync,
    get_named_type,
    parse,
    visit,
)
from graphql.language import (
    DocumentNode,
    FieldNode,
    ObjectFieldNode,
    ObjectValueNode,
    ValueNode,
    VariableNode,
    Visitor,
)

from ..org import Org
from .compile import Compiled
from .graphql_errors import error, execution_error, syntax_error, validation_errors
from .graphql_records import Reader, fetch_error, read_connection
from .graphql_schema import SchemaBuilder, SchemaCache, Visible
from .object_info import OBJECT_INFO, graphql_object_info

MAX_SUBQUERIES = 10


@dataclass(frozen=True)
class Sight:
    """Who runs the request: the objects and fields they read, and SOQL compiled as them."""

    user_id: str
    objects: Visible
    compile: Callable[[str], Compiled]


@dataclass(frozen=True)
class Request:
    """What the resolvers see of one request."""

    reader: Reader
    raw_variables: dict[str, Any]


class BadRequest(ValueError):
    """A body that is not a GraphQL request (answered 400 as a JSON parse error)."""


def request_parts(body: Any) -> tuple[str, dict[str, Any], str | None]:
    """(query, variables, operationName) of a request body."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        raise BadRequest("The request body must be a JSON object with a query string")
    variables = body.get("variables") or {}
    name = body.get("operationName")
    if not isinstance(variables, dict) or not (name is None or isinstance(name, str)):
        raise BadRequest("variables must be a JSON object and operationName a string")
    return body["query"], variables, name


def ordered(value: Any, node: ValueNode | None, raw: dict[str, Any]) -> Any:
    """An input object with its keys in the order the query wrote them (graphql-core
    coerces them in schema order; SOQL's ORDER BY needs the writer's order)."""
    if not isinstance(value, dict):
        return value
    if isinstance(node, VariableNode):
        return _ordered_raw(value, raw.get(node.name.value))
    if isinstance(node, ObjectValueNode):
        fields: dict[str, ObjectFieldNode] = {f.name.value: f for f in node.fields}
        keys = [k for k in fields if k in value] + [k for k in value if k not in fields]
        return {k: ordered(value[k], fields[k].value if k in fields else None, raw)
                for k in keys}
    return value


def _ordered_raw(value: Any, raw: Any) -> Any:
    if not isinstance(value, dict) or not isinstance(raw, dict):
        return value
    keys = [k for k in raw if k in value] + [k for k in value if k not in raw]
    return {k: _ordered_raw(value[k], raw.get(k)) for k in keys}


def resolve_records(_root: Any, info: GraphQLResolveInfo[Any], **args: Any) -> dict[str, Any]:
    request: Request = info.context
    node = next((a.value for a in info.field_nodes[0].arguments or ()
                 if a.name.value == "orderBy"), None)
    order = ordered(args.get("orderBy"), node, request.raw_variables)
    return read_connection(request.reader, info, args, order)


def resolve_object_infos(_root: Any, info: GraphQLResolveInfo[Any], apiNames: list[str],
                         locale: str | None = None) -> list[dict[str, Any]]:
    objects = info.context.reader.objects
    out = []
    for name in apiNames:
        found = next((o for n, (o, _) in objects.items() if n.lower() == name.lower()), None)
        if found is None:
            raise fetch_error(f"Object {name} is not supported in UI API")
        out.append(graphql_object_info(found, objects, locale or "en_US"))
    return out


def count_subqueries(schema: GraphQLSchema, document: DocumentNode) -> int:
    """How many record queries (fields of RecordQuery) a document holds."""
    type_info, count = TypeInfo(schema), [0]

    class Count(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            if parent is not None and get_named_type(parent).name == "RecordQuery":
                count[0] += 1

    visit(document, TypeInfoVisitor(type_info, Count()))
    return count[0]


class GraphqlApi:
    """Answers GraphQL requests; schemas are cached by what shapes them."""

    def __init__(self, org: Org) -> None:
        self.org = org
        rows = org.cursor().execute(
            "SELECT iso_code, decimal_places, is_corporate FROM currencies").fetchall()
        self.places = {str(code): int(places) for code, places, _ in rows}
        self.currency = next((str(code) for code, _, corporate in rows if corporate), "USD")
        self.schemas = SchemaCache()

    def schema(self, sight: Sight) -> GraphQLSchema:
        return self.schemas.get(sight.objects, lambda: SchemaBuilder(
            sight.objects, resolve_records, resolve_object_infos, OBJECT_INFO).build())

    def reader(self, sight: Sight) -> Reader:
        """What reading records as `sight` takes (also UI API records)."""
        return Reader(self.org, sight.compile, sight.objects, sight.user_id, self.currency,
                      self.places)

    def answer(self, body: Any, sight: Sight,
               spend: Callable[[int], bool]) -> dict[str, Any] | None:
        """The response body (None: the API allowance is spent)."""
        query, variables, name = request_parts(body)
        try:
            document = parse(query)
        except GraphQLError as exc:
            return {"data": {}, "errors": [syntax_error(exc, query)]} if spend(1) else None
        schema = self.schema(sight)
        errors = validation_errors(schema, document)
        subqueries = 0 if errors else count_subqueries(schema, document)
        if not spend(max(1, subqueries)):
            return None
        if errors:
            return {"data": {}, "errors": errors}
        if subqueries > MAX_SUBQUERIES:
            return {"data": {}, "errors": [error(
                f"A query can contain at most {MAX_SUBQUERIES} subqueries; this one has "
                f"{subqueries}", "ValidationError")]}
        reader = self.reader(sight)
        result = execute_sync(schema, document, context_value=Request(reader, variables),
                              variable_values=variables, operation_name=name)
        return {"data": result.data or {},
                "errors": [execution_error(e) for e in result.errors or []]}
