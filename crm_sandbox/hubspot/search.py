"""POST /crm/v3/objects/{type}/search: filterGroups (OR of ANDs), one sort, offsets.

Limits per HubSpot's search guide (developers.hubspot.com/docs/api-reference/search/guide,
"Limitations"): at most 200 records a page (raised from 100 in September 2024), at most
5 filterGroups with 6 filters each and 18 in all, and 10,000 results per query: paging
past that answers 400. Top-level `filters` (no `filterGroups`) are one AND group, as HubSpot
applies them (hubspot-api-nodejs issue #491; Airbyte's incremental search streams send
them), not bound by the per-group limit; both at once answers 400 (the sandbox's choice).
`after` is an offset; search results carry no associations.
`lagging` answers as the eventually consistent index does right after writes: the
total, an empty page and no paging.
"""

from __future__ import annotations

import json
import math
from typing import Any

from ..http import Response, raw_json
from ..org import Org
from .errors import validation
from .model import ObjectType
from .props import SQL_TYPES, Prop, parse_typed
from .reader import Reader

MAX_LIMIT, CAP = 200, 10_000
ID_PROPERTY = "hs_object_id"
MAX_GROUPS, MAX_PER_GROUP, MAX_FILTERS = 5, 6, 18
COMPARE = {"EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<="}


class Search:
    """Compiles search requests to SQL over the org."""

    def __init__(self, org: Org) -> None:
        self.org, self.reader = org, Reader(org)

    def run(self, o: ObjectType, body: dict[str, Any]) -> Response:
        limit, after = self._paging(body)
        props = o.pick([str(p) for p in body.get("properties") or []])
        sort = self._sort(o, body.get("sorts") or [])
        base, params, total = self._matches(o, body, props + sort[1])
        cur = self.org.cursor()
        take = max(0, min(limit, CAP - after))
        keys = [int(r[0]) for r in cur.execute(
            f"SELECT t.n {base} ORDER BY {sort[0]} LIMIT ? OFFSET ?",
            [*params, take, after]).fetchall()]
        records = self._records(o, props, keys)
        out = '{"total":' + str(total) + ',"results":[' + ",".join(records) + "]"
        nxt = after + len(keys)
        if keys and nxt < min(total, CAP):
            out += ',"paging":' + json.dumps({"next": {"after": str(nxt)}})
        return raw_json(out + "}")

    def lagging(self, o: ObjectType, body: dict[str, Any]) -> Response:
        """`{"total": N, "results": []}` with no paging: the index has not caught up."""
        self._paging(body)
        _, _, total = self._matches(o, body, [])
        return raw_json('{"total":' + str(total) + ',"results":[]}')

    def _matches(self, o: ObjectType, body: dict[str, Any], used: list[Prop]
                 ) -> tuple[str, list[Any], int]:
        """The FROM/WHERE of the search, its parameters and how many records match."""
        where, params = self._where(o, body)
        base = (f"FROM {o.from_sql(used + where[1])} WHERE {o.where(False)} "
                f"AND ({where[0]})")
        row = self.org.cursor().execute(f"SELECT count(*) {base}", params).fetchone()
        return base, params, int(row[0]) if row else 0

    def _records(self, o: ObjectType, props: list[Prop], keys: list[int]) -> list[str]:
        found = self.reader.by_keys(o, props, keys, None)
        return [found[k] for k in keys if k in found]

    @staticmethod
    def _paging(body: dict[str, Any]) -> tuple[int, int]:
        try:
            limit = int(body.get("limit") or 10)
            after = int(body.get("after") or 0)
        except (TypeError, ValueError) as exc:
            raise validation("limit and after must be integers") from exc
        if not 0 < limit <= MAX_LIMIT:
            raise validation(f"limit must be between 1 and {MAX_LIMIT}, got {limit}")
        if after < 0:
            raise validation("after must not be negative")
        if after >= CAP:
            raise validation(f"Search results are limited to {CAP} records; 'after' "
                             f"{after} pages past them. Narrow the query with filters.")
        return limit, after

    def _where(self, o: ObjectType, body: dict[str, Any]
               ) -> tuple[tuple[str, list[Prop]], list[Any]]:
        groups, flat = body.get("filterGroups") or [], body.get("filters") or []
        if not isinstance(groups, list) or not isinstance(flat, list) or (groups and flat):
            raise validation("Send filterGroups, or top-level filters (one AND group), "
                             "as lists; not both.")
        filters = sum(len(g.get("filters") or []) for g in groups) + len(flat)
        if len(groups) > MAX_GROUPS or filters > MAX_FILTERS or any(
                len(g.get("filters") or []) > MAX_PER_GROUP for g in groups):
            raise validation(f"Too many filters: at most {MAX_GROUPS} filterGroups of "
                             f"{MAX_PER_GROUP} filters, {MAX_FILTERS} in all.")
        params: list[Any] = []
        used: list[Prop] = []
        ors = []
        for g in groups or ([{"filters": flat}] if flat else []):
            ands = [self._filter(o, f, params, used) for f in g.get("filters") or []]
            ors.append("(" + " AND ".join(ands or ["true"]) + ")")
        query = str(body.get("query") or "").strip()
        sql = " OR ".join(ors) if ors else "true"
        if query:
            qp = [o.props[n] for n in o.query_props if n in o.props]
            used.extend(qp)
            hits = " OR ".join(f"{p.out()} ILIKE ?" for p in qp) or "false"
            params.extend(f"%{query}%" for _ in qp)
            sql = f"({sql}) AND ({hits})"
        return (sql, used), params

    def _filter(self, o: ObjectType, f: dict[str, Any], params: list[Any],
                used: list[Prop]) -> str:
        name, op = str(f.get("propertyName") or ""), str(f.get("operator") or "EQ")
        prop = o.props.get(name)
        if prop is None:
            raise validation(f"There was a problem with the request: property {name!r} "
                             f"does not exist on {o.name}.")
        used.append(prop)
        if op == "HAS_PROPERTY":
            return f"({prop.sql}) IS NOT NULL"
        if op == "NOT_HAS_PROPERTY":
            return f"({prop.sql}) IS NULL"
        if op == "BETWEEN":
            params.extend([self._value(prop, f.get("value")),
                           self._value(prop, f.get("highValue"))])
            return f"({self._lhs(prop)}) BETWEEN ? AND ?"
        if op in ("IN", "NOT_IN"):
            values = [self._value(prop, v) for v in f.get("values") or []]
            params.append(values)
            neg = "NOT " if op == "NOT_IN" else ""
            return f"{neg}list_contains(?, {self._lhs(prop)})"
        if op not in COMPARE:
            raise validation(f"Unsupported filter operator {op!r}.")
        if name == ID_PROPERTY and op != "NEQ":
            return _on_key(o, op, self._value(prop, f.get("value")), params)
        params.append(self._value(prop, f.get("value")))
        if op == "NEQ":  # HubSpot's NEQ also matches records without a value
            return f"(({self._lhs(prop)}) IS DISTINCT FROM ?)"
        return f"({self._lhs(prop)}) {COMPARE[op]} ?"

    @staticmethod
    def _lhs(prop: Prop) -> str:
        """Comparable SQL: typed for numbers and dates, case-insensitive text otherwise."""
        if prop.type in SQL_TYPES:
            return f"({prop.sql})::{SQL_TYPES[prop.type]}"
        return f"lower({prop.out()})"

    @staticmethod
    def _value(prop: Prop, value: Any) -> Any:
        if value is None:
            raise validation(f"A filter on {prop.name} needs a value.")
        try:
            typed = parse_typed(value, prop.type)
        except (ValueError, TypeError, OverflowError) as exc:
            raise validation(f"{value!r} is not a valid {prop.type} for {prop.name}.") from exc
        return typed.lower() if isinstance(typed, str) else typed

    @staticmethod
    def _sort(o: ObjectType, sorts: list[Any]) -> tuple[str, list[Prop]]:
        if len(sorts) > 1:
            raise validation("Search accepts one sort.")
        if not sorts:
            return "t.n", []
        s = sorts[0]
        name = str(s.get("propertyName") or "") if isinstance(s, dict) else str(s)
        desc = isinstance(s, dict) and str(s.get("direction", "")).upper() == "DESCENDING"
        prop = o.props.get(name)
        if prop is None:
            raise validation(f"Cannot sort on unknown property {name!r}.")
        direction = "DESC" if desc else "ASC"
        if name == ID_PROPERTY:  # the key itself: DuckDB's top-N skips row groups by it
            return f"t.n {direction}", [prop]
        return f"({prop.sql}) {direction} NULLS LAST, t.n {direction}", [prop]


def _on_key(o: ObjectType, op: str, value: float, params: list[Any]) -> str:
    """A comparison of `hs_object_id` (base + key) as one of the integer key, so that
    paging every record in id order reads only the row groups after the cursor."""
    key = value - o.base
    if op == "EQ":
        if key != int(key):
            return "false"
        params.append(int(key))
        return "t.n = ?"
    whole = math.floor(key) if op in ("GT", "LTE") else math.ceil(key)
    params.append(int(whole))
    return f"t.n {COMPARE[op]} ?"
