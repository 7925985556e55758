"""GraphQL errors in Salesforce's shape.

The GraphQL API answers HTTP 200 with `{"data": …, "errors": [{"message", "locations",
"paths", "extensions": {"ErrorType": …}}]}` ("Status Codes and Error Responses":
InvalidSyntax, ValidationError, DataFetchingException, OperationNotSupported,
ExecutionAborted). Its server is graphql-java, so messages read as graphql-java's: a
recorded answer to an unknown object is "Validation error of type FieldUndefined: Field
'asd' in type 'RecordQuery' is undefined @ 'uiapi/query/asd'" with `"paths": []` (the
UI API's own LDS test fixtures). The sandbox validates with graphql-core, one rule at a
time, so each error can be named as graphql-java names its type.
"""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError, GraphQLSchema, specified_rules, validate, visit
from graphql.language import DocumentNode, FieldNode, Node, Visitor

_TYPES = {
    "ExecutableDefinitionsRule": "NonExecutableDefinition",
    "UniqueOperationNamesRule": "DuplicateOperationName",
    "LoneAnonymousOperationRule": "LoneAnonymousOperationViolation",
    "SingleFieldSubscriptionsRule": "SubscriptionMultipleRootFields",
    "KnownTypeNamesRule": "UnknownType",
    "FragmentsOnCompositeTypesRule": "InlineFragmentTypeConditionInvalid",
    "VariablesAreInputTypesRule": "NonInputTypeOnVariable",
    "ScalarLeafsRule": "SubSelectionRequired",
    "FieldsOnCorrectTypeRule": "FieldUndefined",
    "UniqueFragmentNamesRule": "DuplicateFragmentName",
    "KnownFragmentNamesRule": "UndefinedFragment",
    "NoUnusedFragmentsRule": "UnusedFragment",
    "PossibleFragmentSpreadsRule": "InvalidFragmentType",
    "NoFragmentCyclesRule": "FragmentCycle",
    "UniqueVariableNamesRule": "DuplicateVariableName",
    "NoUndefinedVariablesRule": "UndefinedVariable",
    "NoUnusedVariablesRule": "UnusedVariable",
    "KnownDirectivesRule": "UnknownDirective",
    "UniqueDirectivesPerLocationRule": "DuplicateDirectiveName",
    "KnownArgumentNamesRule": "UnknownArgument",
    "UniqueArgumentNamesRule": "DuplicateArgumentNames",
    "ValuesOfCorrectTypeRule": "WrongType",
    "ProvidedRequiredArgumentsRule": "MissingFieldArgument",
    "VariablesInAllowedPositionRule": "VariableTypeMismatch",
    "OverlappingFieldsCanBeMergedRule": "FieldsConflict",
    "UniqueInputFieldNamesRule": "DuplicateArgumentNames",
}
_UNDEFINED = re.compile(r"Cannot query field '([^']+)' on type '([^']+)'")
_UNKNOWN_INPUT = re.compile(r"Expected value of type '([^']+)' not to include unknown field "
                            r"'([^']+)'")
_UNKNOWN_ARG = re.compile(r"Unknown argument '([^']+)'")
_LEAF = re.compile(r"Field '([^']+)' must not have a selection since type '([^']+)'")
_NEEDS_SUB = re.compile(r"Field '([^']+)' of type '([^']+)' must have a selection")
_OPERATION = re.compile(r"Must provide operation name|Unknown operation named")
_ROOT = re.compile(r"The (mutation|subscription) operation is not supported")


def error(message: str, error_type: str, locations: list[dict[str, int]] | None = None,
          paths: list[Any] | None = None) -> dict[str, Any]:
    """One entry of `errors`."""
    return {"message": message, "locations": locations or [], "paths": paths or [],
            "extensions": {"ErrorType": error_type}}


def _locations(err: GraphQLError) -> list[dict[str, int]]:
    return [{"line": loc.line, "column": loc.column} for loc in err.locations or []]


def syntax_error(err: GraphQLError, source: str) -> dict[str, Any]:
    """InvalidSyntax, in graphql-java's words (the offending token and where it is)."""
    locs = _locations(err)
    line, column = (locs[0]["line"], locs[0]["column"]) if locs else (1, 1)
    lines = source.splitlines()
    rest = lines[line - 1][column - 1:] if line <= len(lines) else ""
    token = rest.strip()[:1] or "<EOF>"
    return error(f"Invalid Syntax : offending token '{token}' at line {line} column {column}",
                 "InvalidSyntax", locs)


def query_paths(document: DocumentNode) -> dict[int, str]:
    """For every node, the path of field names that leads to it ('uiapi/query/Account')."""
    paths: dict[int, str] = {}

    class Paths(Visitor):
        def enter(self, node: Node, _key: Any, parent: Any, _path: Any,
                  ancestors: list[Any]) -> None:
            chain = [*ancestors, parent, node]  # `ancestors` stops before the parent
            names = [a.name.value for a in chain if isinstance(a, FieldNode)]
            paths[id(node)] = "/".join(names)

    visit(document, Paths())
    return paths


def _described(rule: str, message: str) -> tuple[str, str]:
    """(graphql-java error type, description) of a graphql-core validation message."""
    error_type = _TYPES.get(rule, "ValidationError")
    if m := _UNDEFINED.match(message):
        return error_type, f"Field '{m[1]}' in type '{m[2]}' is undefined"
    if m := _UNKNOWN_INPUT.match(message):
        return "FieldUndefined", f"Field '{m[2]}' in type '{m[1]}' is undefined"
    if m := _UNKNOWN_ARG.match(message):
        return error_type, f"Unknown field argument {m[1]}"
    if m := _LEAF.match(message):
        return "SubSelectionNotAllowed", (f"Sub selection not allowed on leaf type {m[2]} "
                                          f"of field {m[1]}")
    if m := _NEEDS_SUB.match(message):
        return error_type, f"Sub selection required for type {m[2]} of field {m[1]}"
    return error_type, message.rstrip(".")


def validation_errors(schema: GraphQLSchema, document: DocumentNode) -> list[dict[str, Any]]:
    """Every validation error of a document, as a real org words it (a valid document
    takes one pass; an invalid one is checked again rule by rule to name its errors)."""
    if not validate(schema, document):
        return []
    paths: dict[int, str] | None = None
    out: list[dict[str, Any]] = []
    for rule in specified_rules:
        for err in validate(schema, document, [rule]):
            if m := _ROOT.match(err.message):
                out.append(error(f"Schema is not configured for {m[1]}s.",
                                 "OperationNotSupported", _locations(err)))
                continue
            paths = paths if paths is not None else query_paths(document)
            kind, text = _described(rule.__name__, err.message)
            where = paths.get(id(err.nodes[0]), "") if err.nodes else ""
            out.append(error(f"Validation error of type {kind}: {text} @ '{where}'",
                             "ValidationError", _locations(err)))
    return out


def execution_error(err: GraphQLError) -> dict[str, Any]:
    """An error met while executing (a resolver's, or a variable's coercion)."""
    kind = (err.extensions or {}).get("ErrorType") or (
        "DataFetchingException" if err.path is not None else "OperationNotSupported"
        if _OPERATION.match(err.message) else "ValidationError")
    return error(err.message, str(kind), _locations(err), list(err.path or []))
