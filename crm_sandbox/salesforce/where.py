"""WHERE clauses: SOQL comparisons → SQL with bound parameters and SOQL semantics.

SOQL differs from SQL in ways clients rely on: string equality is case-insensitive,
`!=` and NOT IN keep null values, ids compare on their 15-char core whatever the case
suffix, and date literals denote ranges.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from ..ids import parse_sf_id
from .errors import SoqlError
from .literals import date_range, parse_datetime
from .model import NUMERIC, OBJECT_PREFIX, TEXT, SField
from .soql import BoolOp, Comparison, Cond, FieldRef, Literal, Not

_SQL_OP = {"=": "=", "!=": "IS DISTINCT FROM", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


class Fields(Protocol):
    """What conditions need from the statement's compiler (`compile.Compiler`)."""

    soql: str

    def resolve(self, ref: FieldRef) -> tuple[SField, str, str]:
        """(field, SQL expression, table alias) of a field path, joining parents."""

    def root_prefix_of(self, f: SField) -> str:
        """Key prefix of the object whose Id field `f` is."""


class WhereCompiler:
    """Compiles conditions for one query, collecting parameters in order."""

    def __init__(self, fields: Fields, today: dt.date) -> None:
        self.c, self.today, self.params = fields, today, list[Any]()

    def cond(self, node: Cond) -> str:
        if isinstance(node, BoolOp):
            return "(" + f" {node.op} ".join(self.cond(i) for i in node.items) + ")"
        if isinstance(node, Not):
            return f"(NOT coalesce({self.cond(node.item)}, false))"
        return self.comparison(node)

    def error(self, lit: Literal, detail: str, code: str = "INVALID_FIELD") -> SoqlError:
        return SoqlError(code, detail, self.c.soql, lit.pos)

    def comparison(self, cmp: Comparison) -> str:
        """One comparison with SOQL's null, case and id semantics."""
        f, expr, alias = self.c.resolve(cmp.field)
        values = cmp.value if isinstance(cmp.value, tuple) else (cmp.value,)
        if cmp.op in ("IN", "NOT IN"):
            if any(v.kind == "dateliteral" for v in values):
                raise self.error(values[0], "date literals are not allowed in IN lists",
                                 "MALFORMED_QUERY")
            inner = ", ".join(self.bind(f, v, cmp.op) for v in values)
            lhs = self.lhs(f, expr, alias, cmp.op)
            sql = f"coalesce({lhs} IN ({inner}), false)"
            return f"(NOT {sql})" if cmp.op == "NOT IN" else sql
        lit = values[0]
        if lit.kind == "null":
            if cmp.op not in ("=", "!="):
                raise self.error(lit, "null can only be compared with = or !=", "MALFORMED_QUERY")
            return f"({expr} IS {'' if cmp.op == '=' else 'NOT '}NULL)"
        if lit.kind == "dateliteral":
            return self.range_cmp(f, expr, cmp.op, lit)
        if cmp.op == "LIKE":
            if f.type not in TEXT and f.type not in ("id", "reference"):
                raise self.error(lit, f"invalid operator on field: {f.name}",
                                 "INVALID_QUERY_FILTER_OPERATOR")
            return f"({expr} ILIKE {self.bind(f, lit, 'LIKE')} ESCAPE '\\')"
        return f"({self.lhs(f, expr, alias, cmp.op)} {_SQL_OP[cmp.op]} {self.bind(f, lit, cmp.op)})"

    def lhs(self, f: SField, expr: str, alias: str, op: str) -> str:
        """The compared side: lower-cased text, or the integer key behind an id."""
        if f.type in TEXT and op in ("=", "!=", "IN", "NOT IN"):
            return f"lower({expr})"
        if f.type in ("id", "reference") and op in ("=", "!=", "IN", "NOT IN"):
            if f.type == "id":
                return f"{alias}.n"
            if f.kind_column:
                return f"({alias}.{f.kind_column} || ':' || {alias}.{f.column})"
            return f"{alias}.{f.column}"
        return expr

    def bind(self, f: SField, lit: Literal, op: str) -> str:
        self.params.append(self.value(f, lit, op))
        return "?"

    def value(self, f: SField, lit: Literal, op: str) -> Any:
        """The Python value bound for a literal, after SOQL's type checks."""
        want = self.expected_kind(f)
        if lit.kind != want:
            quoted = "should" if want == "string" else "should not"
            raise self.error(lit, f"value of filter criterion for field '{f.name}' must be of "
                                  f"type {f.type} and {quoted} be enclosed in quotes")
        if want == "number":
            return float(lit.value)
        if want == "date":
            return dt.date.fromisoformat(lit.value)
        if want == "datetime":
            return parse_datetime(lit.value)
        if want == "boolean":
            return lit.value
        text = str(lit.value)
        if f.type in ("id", "reference") and op in ("=", "!=", "IN", "NOT IN"):
            return self.id_key(f, lit, text)
        if op == "LIKE":
            return text
        return text.lower() if f.type in TEXT and op in ("=", "!=", "IN", "NOT IN") else text

    def expected_kind(self, f: SField) -> str:
        if f.type in NUMERIC:
            return "number"
        if f.type in ("date", "datetime", "boolean"):
            return f.type
        return "string"

    def id_key(self, f: SField, lit: Literal, text: str) -> Any:
        """An id literal as the core key compared (-1 matches nothing)."""
        parsed = parse_sf_id(text)
        if parsed is None:
            if len(text) not in (15, 18) or not text.isalnum():
                raise self.error(lit, f"invalid ID field: {text}", "INVALID_QUERY_FILTER_OPERATOR")
            return -1 if not f.kind_column else ""
        prefix, n = parsed
        if f.type == "id":
            return n if prefix == self.c.root_prefix_of(f) else -1
        if f.kind_column:
            kinds = {OBJECT_PREFIX[o]: k for k, o in f.kinds.items()}
            return f"{kinds[prefix]}:{n}" if prefix in kinds else ""
        return n if OBJECT_PREFIX.get(f.reference_to[0]) == prefix else -1

    def range_cmp(self, f: SField, expr: str, op: str, lit: Literal) -> str:
        """A comparison with a relative date literal, as a [start, end) range."""
        if f.type not in ("date", "datetime") or op == "LIKE":
            raise self.error(lit, f"value of filter criterion for field '{f.name}' must be of "
                                  f"type {f.type}")
        name, n = lit.value
        lo, hi = date_range(name, n, self.today, self.c.soql, lit.pos)
        if f.type == "datetime":
            self.params += [dt.datetime.combine(lo, dt.time()), dt.datetime.combine(hi, dt.time())]
        else:
            self.params += [lo, hi]
        sql = {
            "=": f"({expr} >= ? AND {expr} < ?)",
            "!=": f"NOT coalesce({expr} >= ? AND {expr} < ?, false)",
            "<": f"({expr} < ? AND ? IS NOT NULL)", ">=": f"({expr} >= ? AND ? IS NOT NULL)",
            "<=": f"(? IS NOT NULL AND {expr} < ?)", ">": f"(? IS NOT NULL AND {expr} >= ?)",
        }
        return sql[op]
