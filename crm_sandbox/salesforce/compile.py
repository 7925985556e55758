"""SOQL AST → DuckDB SQL over the core tables, every identifier checked against describe.

The SELECT list becomes one JSON text per record (REST query) or one quoted CSV line
(Bulk API 2.0), both built by DuckDB so that paging millions of records stays cheap.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from .errors import SoqlError
from .model import Registry, SField, SObject
from .rights import Viewer
from .soql import FieldRef, Query
from .soql_parser import parse
from .where import WhereCompiler

NO_SUCH_COLUMN = (
    "No such column '{f}' on entity '{o}'. If you are attempting to use a custom field, be "
    "sure to append the '__c' after the custom field name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
NO_SUCH_TYPE = (
    "sObject type '{o}' is not supported. If you are attempting to use a custom object, be "
    "sure to append the '__c' after the entity name. Please reference your WSDL or the "
    "describe call for the appropriate names."
)
JSON_DATETIME = "'%Y-%m-%dT%H:%M:%S.%g+0000'"
CSV_DATETIME = "'%Y-%m-%dT%H:%M:%S.%gZ'"
MAX_OFFSET = 2000


@dataclass
class Node:
    """Output tree: fields of one object, and nested parent objects."""

    obj: SObject
    alias: str
    fields: dict[str, SField] = field(default_factory=dict)
    parents: dict[str, Node] = field(default_factory=dict)


@dataclass
class Compiled:
    """A translated query; `params` bind the `?` of the WHERE clause."""

    obj: SObject
    count_only: bool
    body: str  # FROM ... JOIN ... WHERE ...
    params: list[Any]
    order: str
    limit: str
    json_expr: str
    csv_expr: str
    csv_header: str
    limit_n: int | None = None
    offset_n: int = 0

    def json_sql(self) -> str:
        return f"SELECT {self.json_expr} AS r {self.body}{self.order}{self.limit}"

    def csv_sql(self) -> str:
        return f"SELECT {self.csv_expr} AS r {self.body}{self.order}{self.limit}"

    def count_sql(self) -> str:
        return f"SELECT count(*) FROM (SELECT 1 {self.body}{self.limit})"


class Compiler:
    """Translate one statement; joins are shared by SELECT, WHERE and ORDER BY.

    With a `viewer`, the statement is the viewer's: objects they cannot read are
    unknown types, fields field-level security hides are unknown fields (the same errors,
    so a query cannot tell hidden from missing), and records outside their sharing are
    filtered out — parents they cannot see come back null."""

    def __init__(self, registry: Registry, soql: str, version: str, today: dt.date,
                 viewer: Viewer | None = None) -> None:
        self.registry, self.soql, self.version, self.today = registry, soql, version, today
        self.viewer = viewer
        self.joins: dict[tuple[str, ...], tuple[str, SObject]] = {}
        self.join_sql: list[str] = []
        self.join_params: list[Any] = []

    def readable(self, obj: SObject, f: SField | None = None) -> bool:
        """Whether the viewer sees the object (and the field)."""
        if self.viewer is None:
            return True
        return self.viewer.can_read(obj) if f is None else self.viewer.can_read_field(obj, f)

    def compile(self, all_rows: bool = False) -> Compiled:
        """Parse and translate; `all_rows` keeps recycled rows (queryAll)."""
        if len(self.soql) > 100_000:
            raise SoqlError("MALFORMED_QUERY", "SOQL statements cannot be longer than 100,000 "
                            "characters.")
        q = parse(self.soql)
        root = self.registry.get(q.sobject)
        if root is None or not root.queryable or not self.readable(root):
            raise SoqlError("INVALID_TYPE", NO_SUCH_TYPE.format(o=q.sobject), self.soql,
                            q.sobject_pos)
        self.root = root
        tree = Node(root, "t")
        for ref in q.fields:
            self.add_output(tree, ref)
        where = WhereCompiler(self, self.today)
        conds = [f"({root.row_filter.format(t='t')})"] if root.row_filter else []
        if not all_rows:
            conds.append("NOT t.is_deleted")
        if q.where is not None:
            conds.append(where.cond(q.where))
        params = list(where.params)
        shared = self.viewer.records(root, "t") if self.viewer is not None else None
        if shared is not None:
            conds.append(shared.sql)
            params += shared.params
        return self.finish(q, tree, conds, params)

    def finish(self, q: Query, tree: Node, conds: list[str], params: list[Any]) -> Compiled:
        """Assemble ORDER BY, LIMIT/OFFSET and the output expressions."""
        if q.count and q.order:  # SOQL guide, COUNT(): "You can't use COUNT() with ORDER BY"
            raise SoqlError("MALFORMED_QUERY", "COUNT() cannot be used with an ORDER BY "
                            "clause: use COUNT(fieldName) instead")
        order = ", ".join(
            f"{self.resolve(o.field)[1]} {'DESC' if o.desc else 'ASC'} "
            f"NULLS {'LAST' if o.nulls_last else 'FIRST'}"
            for o in q.order
        )
        if q.offset is not None and q.offset > MAX_OFFSET:
            raise SoqlError("NUMBER_OUTSIDE_VALID_RANGE",
                            f"Maximum SOQL offset allowed is {MAX_OFFSET}")
        limit = f" LIMIT {q.limit}" if q.limit is not None else ""
        if q.offset:
            unlimited = "" if q.limit is not None else " LIMIT 9223372036854775807"
            limit += f"{unlimited} OFFSET {q.offset}"
        where = f" WHERE {' AND '.join(conds)}" if conds else ""
        body = f"FROM {self.root.table} AS t {' '.join(self.join_sql)}{where}"
        params = [*self.join_params, *params]  # joins (ORDER BY's too) come before WHERE
        header = ",".join(f'"{h}"' for h in self.csv_columns(tree, ())[0])
        return Compiled(
            self.root, q.count, body, params, f" ORDER BY {order}" if order else "", limit,
            self.json_struct(tree), self.csv_line(tree), header, q.limit, q.offset or 0,
        )

    # ---- identifiers -----------------------------------------------------------------
    def walk(self, ref: FieldRef) -> tuple[SObject, str, list[str], SField]:
        """Follow parent relationships of `ref`: (object, alias, canonical path, field)."""
        obj, alias, names = self.root, "t", []
        for seg in ref.path[:-1]:
            rel = obj.relationship(seg)
            if rel is None or rel.relationship_name is None or len(rel.reference_to) != 1 \
                    or not self.readable(obj, rel):
                raise SoqlError("INVALID_FIELD", NO_SUCH_COLUMN.format(f=seg, o=obj.name),
                                self.soql, ref.pos)
            target = self.registry.get(rel.reference_to[0])
            if target is None or not self.readable(target):
                raise SoqlError("INVALID_FIELD", NO_SUCH_COLUMN.format(f=seg, o=obj.name),
                                self.soql, ref.pos)
            names.append(rel.relationship_name)
            alias = self.join(tuple(n.lower() for n in names), alias, rel, target)
            obj = target
        f = obj.get(ref.path[-1])
        if f is None or not self.readable(obj, f):
            raise SoqlError("INVALID_FIELD", NO_SUCH_COLUMN.format(f=ref.path[-1], o=obj.name),
                            self.soql, ref.pos)
        return obj, alias, names, f

    def join(self, key: tuple[str, ...], parent: str, rel: SField, target: SObject) -> str:
        """The alias of the parent table joined for a relationship path."""
        if key not in self.joins:
            alias = f"j{len(self.joins) + 1}"
            self.joins[key] = (alias, target)
            shared = self.viewer.records(target, alias) if self.viewer is not None else None
            visible = f" AND {shared.sql}" if shared is not None else ""
            self.join_sql.append(
                f"LEFT JOIN {target.table} AS {alias} ON {alias}.n = {parent}.{rel.column}"
                f"{visible}")
            self.join_params += shared.params if shared is not None else ()
        return self.joins[key][0]

    def resolve(self, ref: FieldRef) -> tuple[SField, str, str]:
        """(field, raw SQL expression, alias) of a field reference."""
        _, alias, _, f = self.walk(ref)
        return f, f.read_sql(alias), alias

    def add_output(self, tree: Node, ref: FieldRef) -> None:
        """Place a selected field in the output tree (parents nest)."""
        _, _, names, f = self.walk(ref)
        node = tree
        for depth, name in enumerate(names):
            key = tuple(n.lower() for n in names[: depth + 1])
            palias, pobj = self.joins[key]
            node = node.parents.setdefault(name, Node(pobj, palias))
        if f.name in node.fields:
            raise SoqlError("MALFORMED_QUERY", f"duplicate field selected: {'.'.join(ref.path)}",
                            self.soql, ref.pos)
        node.fields[f.name] = f

    # ---- output ----------------------------------------------------------------------
    def json_struct(self, node: Node) -> str:
        """DuckDB struct (to_json at the root) of one output node."""
        url = f"'/services/data/v{self.version}/sobjects/{node.obj.name}/' || " + (
            node.obj.get("Id").read_sql(node.alias)  # type: ignore[union-attr]
        )
        parts = [f"'attributes': {{'type': '{node.obj.name}', 'url': {url}}}"]
        for name, f in node.fields.items():
            parts.append(f"'{name}': {json_value(f, f.read_sql(node.alias))}")
        for name, child in node.parents.items():
            inner = self.json_struct(child)
            parts.append(f"'{name}': CASE WHEN {child.alias}.n IS NULL THEN NULL ELSE {inner} END")
        return "to_json({" + ", ".join(parts) + "})" if node.alias == "t" else (
            "{" + ", ".join(parts) + "}"
        )

    def root_prefix_of(self, f: SField) -> str:
        """Key prefix of the object owning an Id field (matched by identity)."""
        for _, obj in [("", self.root), *self.joins.values()]:
            if obj.get("Id") is f:
                return obj.prefix
        return self.root.prefix

    def csv_columns(self, node: Node, path: tuple[str, ...]) -> tuple[list[str], list[str]]:
        """Flattened CSV headers (`Owner.Name`) and their expressions."""
        heads, exprs = [], []
        for name, f in node.fields.items():
            heads.append(".".join((*path, name)))
            exprs.append(csv_value(f, f.read_sql(node.alias)))
        for name, child in node.parents.items():
            h, e = self.csv_columns(child, (*path, name))
            heads += h
            exprs += e
        return heads, exprs

    def csv_line(self, node: Node) -> str:
        exprs = self.csv_columns(node, ())[1]
        quoted = [f"'\"' || replace(coalesce({e}, ''), '\"', '\"\"') || '\"'" for e in exprs]
        return " || ',' || ".join(quoted) if quoted else "''"


def json_value(f: SField, expr: str) -> str:
    if f.type == "datetime":
        return f"strftime({expr}, {JSON_DATETIME})"
    if f.type == "date":
        return f"CAST({expr} AS VARCHAR)"
    return expr


def csv_value(f: SField, expr: str) -> str:
    if f.type == "datetime":
        return f"strftime({expr}, {CSV_DATETIME})"
    return f"CAST({expr} AS VARCHAR)"
