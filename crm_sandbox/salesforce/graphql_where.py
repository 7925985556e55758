"""GraphQL `where` and `orderBy` arguments → SOQL text, compiled by the SOQL engine.

The GraphQL API guide says its filters behave as SOQL's ("Field Operators": `eq` is
case-insensitive on strings, several operators on one field are ANDed, `and`/`or`/`not`
combine filters, a parent relationship filters through the parent), so the sandbox writes
the SOQL a real org would run and hands it to the same compiler as REST queries: field
checks, sharing and SOQL semantics apply once. Values arrive typed by the schema.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from .model import SField, SObject

Objects = Mapping[str, tuple[SObject, list[SField]]]
_SOQL_OP = {"eq": "=", "ne": "!=", "lt": "<", "gt": ">", "lte": "<=", "gte": ">=",
            "like": "LIKE", "in": "IN", "nin": "NOT IN"}
_RANGE = {"last_n_days": "LAST_N_DAYS", "next_n_days": "NEXT_N_DAYS",
          "n_days_ago": "N_DAYS_AGO", "last_n_months": "LAST_N_MONTHS",
          "last_n_years": "LAST_N_YEARS"}
NEVER = "Id = null"  # an Id is never null: an empty `in` list matches nothing


class FilterError(ValueError):
    """A filter the schema accepts but SOQL cannot run (answered as a GraphQL error)."""


def quote(text: str) -> str:
    """A SOQL string literal."""
    escaped = (text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n")
               .replace("\r", "\\r").replace("\t", "\\t"))
    return f"'{escaped}'"


def literal(f: SField, value: Any) -> str:
    """A SOQL literal for a value of `f` (dates as DateInput: value, literal or range)."""
    if value is None:
        return "null"
    if f.type in ("date", "datetime"):
        return _date_literal(f, value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(int(value)) if float(value).is_integer() else repr(float(value))
    return quote(str(value))


def _date_literal(f: SField, value: Mapping[str, Any]) -> str:
    given = [k for k in ("value", "literal", "range") if value.get(k) is not None]
    if len(given) != 1:
        raise FilterError(f"{f.name}: give exactly one of value, literal or range")
    if "range" in given:
        ranges = [(k, n) for k, n in value["range"].items() if n is not None]
        if len(ranges) != 1:
            raise FilterError(f"{f.name}: a range takes exactly one of {', '.join(_RANGE)}")
        return f"{_RANGE[ranges[0][0]]}:{int(ranges[0][1])}"
    if "literal" in given:
        return str(value["literal"])
    v = value["value"]
    if isinstance(v, dt.datetime):
        return v.strftime("%Y-%m-%dT%H:%M:%S") + f".{v.microsecond // 1000:03d}Z"
    return v.isoformat() if f.type == "date" else f"{v.isoformat()}T00:00:00Z"


class WhereWriter:
    """Writes one `where` argument as a SOQL condition over the objects the viewer sees."""

    def __init__(self, objects: Objects) -> None:
        self.objects = objects

    def condition(self, obj: SObject, flt: Mapping[str, Any], prefix: str = "") -> str:
        """The SOQL condition of a filter (several keys are ANDed); "" when empty."""
        parts: list[str] = []
        fields = {f.name: f for f in self.objects[obj.name][1]}
        for key, value in flt.items():
            if value is None:
                continue
            if key in ("and", "or"):
                items = [c for c in (self.condition(obj, v, prefix) for v in value if v) if c]
                if items:
                    parts.append("(" + f" {key.upper()} ".join(items) + ")")
            elif key == "not":
                inner = self.condition(obj, value, prefix)
                if inner:
                    parts.append(f"(NOT {inner})")
            elif key in fields:
                parts += [self.comparison(fields[key], prefix + key, op, v)
                          for op, v in value.items()]
            else:
                lookup = _lookup(fields, key)
                target = self.objects[lookup.reference_to[0]][0]
                inner = self.condition(target, value, f"{prefix}{key}.")
                if inner:
                    parts.append(inner)
        return " AND ".join(parts) if len(parts) < 2 else "(" + " AND ".join(parts) + ")"

    def comparison(self, f: SField, path: str, op: str, value: Any) -> str:
        """One `field: {op: value}` as SOQL."""
        if op in ("in", "nin"):
            if value is None:
                raise FilterError(f"{f.name}: {op} takes a list, not null")
            if f.type in ("date", "datetime") and any(v and v.get("value") is None
                                                      for v in value):
                raise FilterError(f"{f.name}: {op} takes date values, not literals or ranges")
            if not value:
                return NEVER if op == "in" else f"({NEVER.replace('=', '!=')})"
            items = ", ".join(literal(f, v) for v in value)
            return f"{path} {_SOQL_OP[op]} ({items})"
        if value is None and op not in ("eq", "ne"):
            raise FilterError(f"{f.name}: null can only be compared with eq or ne")
        return f"{path} {_SOQL_OP[op]} {literal(f, value)}"


def _lookup(fields: Mapping[str, SField], relationship: str) -> SField:
    for f in fields.values():
        if f.relationship_name == relationship:
            return f
    raise KeyError(relationship)  # the schema only offers relationships that exist


def order_by(objects: Objects, obj: SObject, order: Mapping[str, Any],
             prefix: str = "") -> list[str]:
    """SOQL ORDER BY items, in the order the query wrote them."""
    items: list[str] = []
    fields = {f.name: f for f in objects[obj.name][1]}
    for key, clause in order.items():
        if clause is None:
            continue
        if key in fields:
            direction = f" {clause['order']}" if clause.get("order") else ""
            nulls = f" NULLS {clause['nulls']}" if clause.get("nulls") else ""
            items.append(f"{prefix}{key}{direction}{nulls}")
        else:
            target = objects[_lookup(fields, key).reference_to[0]][0]
            items += order_by(objects, target, clause, f"{prefix}{key}.")
    return items
