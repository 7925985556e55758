"""`uiapi { query { Obj(first, after, where, orderBy, scope, upperBound) } }`: one record
connection, read through the SOQL engine as the viewer.

The selection under `edges { node { … } }` becomes a SOQL field list, `where` and
`orderBy` become its WHERE and ORDER BY (`graphql_where`), and the compiled query is
paged with LIMIT/OFFSET. Limits are the GraphQL API guide's ("GraphQL API Query
Limitations", "Paginate Results", "Paginate with Upper-Bound Limit"): `first` defaults
to 10, a subquery returns at most 2,000 records, record-connection paging stops at 4,000
records unless `upperBound` is given, and then `first` must be 200 to 2,000. Cursors are
`base64("v1:<index>")`, as recorded answers carry them (`djE6MA==` is the first record).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLResolveInfo
from graphql.language import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    SelectionSetNode,
)

from ..org import Org
from .compile import Compiled
from .errors import SfError
from .graphql_values import display_value, weak_etag, wire_value
from .graphql_where import FilterError, Objects, WhereWriter, order_by
from .model import SField, SObject

DEFAULT_FIRST, MAX_FIRST, MAX_UNBOUNDED = 10, 2000, 4000
MIN_BOUNDED_FIRST = 200
META = ("Id", "ApiName", "WeakEtag", "DisplayValue", "__typename")


def fetch_error(message: str) -> GraphQLError:
    """An error met while fetching a field's data (the guide's DataFetchingException)."""
    return GraphQLError(message, extensions={"ErrorType": "DataFetchingException"})


@dataclass
class Plan:
    """What one record node needs: its object, fields and parent records."""

    obj: SObject
    fields: dict[str, SField] = field(default_factory=dict)
    parents: dict[str, Plan] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)  # fields asked for (UI API records)

    def soql_fields(self, prefix: str = "") -> list[str]:
        names = [prefix + name for name in self.fields]
        for rel, sub in self.parents.items():
            names += sub.soql_fields(f"{prefix}{rel}.")
        return names


@dataclass
class Reader:
    """What a record query needs from the request: the org, compiling as the viewer,
    the objects the viewer sees, who the viewer is and the org's corporate currency."""

    org: Org
    compile: Callable[[str], Compiled]
    objects: Objects
    user_id: str
    currency: str  # the corporate currency
    places: dict[str, int]  # ISO code → decimal places (CurrencyType)


def subselections(nodes: Iterable[FieldNode | InlineFragmentNode | FragmentDefinitionNode],
                  fragments: dict[str, FragmentDefinitionNode]) -> dict[str, list[FieldNode]]:
    """The fields selected under some nodes, through fragments, by field name."""
    out: dict[str, list[FieldNode]] = {}
    for node in nodes:
        selection_set: SelectionSetNode | None = node.selection_set
        for sel in selection_set.selections if selection_set else ():
            if isinstance(sel, FieldNode):
                out.setdefault(sel.name.value, []).append(sel)
                continue
            inner = sel if isinstance(sel, InlineFragmentNode) else fragments.get(
                sel.name.value) if isinstance(sel, FragmentSpreadNode) else None
            for name, found in subselections([inner] if inner else [], fragments).items():
                out.setdefault(name, []).extend(found)
    return out


def plan_of(obj: SObject, nodes: list[FieldNode], reader: Reader,
            fragments: dict[str, FragmentDefinitionNode]) -> Plan:
    """The fields and parents a node selection reads (Id, SystemModstamp for WeakEtag,
    Name for DisplayValue and CurrencyIsoCode for amounts come along)."""
    readable = {f.name: f for f in reader.objects[obj.name][1]}
    plan = Plan(obj)
    selected = subselections(nodes, fragments)
    wants = {"Id"} | {n for n in selected if n in readable}
    if "WeakEtag" in selected:
        wants.add("SystemModstamp")
    if "DisplayValue" in selected:
        wants.add("Name")
    if any(readable[n].type == "currency" for n in wants if n in readable):
        wants.add("CurrencyIsoCode")
    plan.fields = {n: readable[n] for n in readable if n in wants}
    for f in readable.values():
        rel = f.relationship_name
        if rel and rel in selected and len(f.reference_to) == 1 and \
                f.reference_to[0] in reader.objects:
            target = reader.objects[f.reference_to[0]][0]
            plan.parents[rel] = plan_of(target, selected[rel], reader, fragments)
    return plan


def node_of(plan: Plan, rec: dict[str, Any], reader: Reader) -> dict[str, Any]:
    """A record of the compiled query's JSON as a GraphQL record node."""
    values = {name: wire_value(f, rec.get(name)) for name, f in plan.fields.items()}
    code = str(values.get("CurrencyIsoCode") or reader.currency)
    places = reader.places.get(code, 2)
    node: dict[str, Any] = {
        "Id": rec.get("Id"), "ApiName": plan.obj.name,
        "WeakEtag": weak_etag(values.get("SystemModstamp")),
        "DisplayValue": values.get("Name"),
    }
    for name, f in plan.fields.items():
        if name != "Id":
            node[name] = {"value": values[name],
                          "displayValue": display_value(f, values[name], code, places)}
    for rel, sub in plan.parents.items():
        parent = rec.get(rel)
        node[rel] = None if parent is None else node_of(sub, parent, reader)
    return node


def cursor(index: int) -> str:
    return base64.b64encode(f"v1:{index}".encode()).decode()


def offset_after(after: str | None) -> int:
    """The index following a cursor (0 without one)."""
    if after is None:
        return 0
    try:
        text = base64.b64decode(after.encode(), validate=True).decode()
        version, _, index = text.partition(":")
        if version != "v1" or not index.isdigit():
            raise ValueError(text)
        return int(index) + 1
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise fetch_error(f"Invalid cursor: {after}") from exc


def window(first: int | None, offset: int, upper: int | None) -> tuple[int, int]:
    """(page size, last index served + 1) under the guide's paging limits."""
    size = DEFAULT_FIRST if first is None else first
    if size < 0 or size > MAX_FIRST:
        raise fetch_error(f"The first argument must be between 0 and {MAX_FIRST}: {size}")
    if upper is None:
        return size, MAX_UNBOUNDED
    if not MIN_BOUNDED_FIRST <= size <= MAX_FIRST:
        raise fetch_error(f"With upperBound, the first argument must be between "
                          f"{MIN_BOUNDED_FIRST} and {MAX_FIRST}: {size}")
    if upper < 1:
        raise fetch_error(f"upperBound must be positive: {upper}")
    return size, upper


def soql_of(plan: Plan, args: dict[str, Any], reader: Reader,
            order_items: list[str]) -> str:
    """The SOQL of one record query: its fields, where, scope and order."""
    conds = []
    if args.get("where"):
        cond = WhereWriter(reader.objects).condition(plan.obj, args["where"])
        if cond:
            conds.append(cond)
    if args.get("scope") == "MINE":
        conds.append(f"OwnerId = '{reader.user_id}'")
    where = f" WHERE {' AND '.join(conds)}" if conds else ""
    order = f" ORDER BY {', '.join(order_items)}" if order_items else ""
    return f"SELECT {', '.join(plan.soql_fields())} FROM {plan.obj.name}{where}{order}"


def page_rows(org: Org, compiled: Compiled, take: int, offset: int) -> tuple[list[str], bool]:
    """(JSON records of one page, whether more follow). Keys are paged first, in the
    query's order then the record key's (stable pages), so only the page's records are
    rendered."""
    order = f"{compiled.order or ' ORDER BY'}{', ' if compiled.order else ' '}t.n"
    cur = org.cursor()
    keys = [int(k) for (k,) in cur.execute(
        f"SELECT t.n {compiled.body}{order} LIMIT {take + 1} OFFSET {offset}",
        compiled.params).fetchall()]
    if not keys[:take]:
        return [], len(keys) > take
    listed = ", ".join(str(k) for k in keys[:take])
    rows = cur.execute(f"SELECT {compiled.json_expr} AS r {compiled.body} "
                       f"AND t.n IN ({listed}){order}", compiled.params).fetchall()
    return [str(r[0]) for r in rows], len(keys) > take


def read_connection(reader: Reader, info: GraphQLResolveInfo[Any], args: dict[str, Any],
                    order: dict[str, Any] | None) -> dict[str, Any]:
    """The connection dict of one record query (edges, pageInfo, counts)."""
    obj = reader.objects[info.field_name][0]
    size, end = window(args.get("first"), offset_after(args.get("after")),
                       args.get("upperBound"))
    offset = offset_after(args.get("after"))
    conn = subselections(info.field_nodes, info.fragments)
    nodes = subselections(conn.get("edges", []), info.fragments).get("node", [])
    plan = plan_of(obj, nodes, reader, info.fragments)
    try:
        items = order_by(reader.objects, obj, order or {})
        compiled = reader.compile(soql_of(plan, args, reader, items))
    except FilterError as exc:
        raise fetch_error(str(exc)) from exc
    except SfError as exc:
        raise fetch_error(exc.message.strip().splitlines()[-1]) from exc
    take = max(0, min(size, end - offset))
    rows, more = page_rows(reader.org, compiled, take, offset) if take else ([], False)
    records = [json.loads(r) for r in rows]
    edges = [{"node": node_of(plan, rec, reader), "cursor": cursor(offset + i)}
             for i, rec in enumerate(records)]
    total = None
    if "totalCount" in conn:
        row = reader.org.cursor().execute(compiled.count_sql(), compiled.params).fetchone()
        total = int(row[0]) if row else 0
    return {"edges": edges, "totalCount": total, "pageResultCount": len(edges),
            "pageInfo": {"hasNextPage": more and offset + take < end,
                         "hasPreviousPage": offset > 0,
                         "startCursor": edges[0]["cursor"] if edges else None,
                         "endCursor": edges[-1]["cursor"] if edges else None}}
