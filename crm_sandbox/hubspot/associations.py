"""Associations between records: v4 batch read and the v3 `associations` list parameter.

Pairs derive from the org's foreign keys. Type ids are HubSpot's defined association
types (developers.hubspot.com/docs/api/crm/associations/v4, "Association type id
values"), e.g. deal_to_company 5 / company_to_deal 6, deal_to_line_item 19,
call_to_contact 194; the NPS↔company pair is not in HubSpot's table and uses
sandbox-assigned USER_DEFINED ids 1001/1002.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..http import Response
from ..org import Org
from .batch import answer
from .errors import HsError, record_error, validation
from .model import ObjectType
from .portal_objects import EMPTY_PAIRS
from .registry import Registry

MAX_INPUTS = 1000


@dataclass(frozen=True)
class Pair:
    """Records of type `a` linked to records of type `b` by SQL yielding columns (a, b)."""

    a: str
    b: str
    sql: str
    ab: tuple[int, str | None]  # (typeId, label) of a → b
    ba: tuple[int, str | None]
    category: str = "HUBSPOT_DEFINED"


def _acts(name: str, contact: int, company: int, deal: int) -> list[Pair]:
    """An engagement type's pairs; type ids come in (engagement→x, x→engagement) twos."""
    live = "NOT t.is_deleted"
    return [
        Pair(name, "contacts", f"SELECT t.n AS a, t.who_n AS b FROM activities t JOIN leads l "
             f"ON l.n = t.who_n AND NOT l.is_deleted WHERE {live} AND t.who_kind = 'lead'",
             (contact, None), (contact - 1, None)),
        Pair(name, "companies", "SELECT t.n AS a, t.account_n AS b FROM activities t JOIN "
             f"accounts c ON c.n = t.account_n AND NOT c.is_deleted WHERE {live}",
             (company, None), (company - 1, None)),
        Pair(name, "deals", "SELECT t.n AS a, t.what_n AS b FROM activities t JOIN "
             "opportunities o ON o.n = t.what_n AND NOT o.is_deleted WHERE "
             f"{live} AND t.what_kind = 'opportunity'", (deal, None), (deal - 1, None)),
    ]


PAIRS: list[Pair] = [
    Pair("deals", "companies", "SELECT t.n AS a, t.account_n AS b FROM opportunities t JOIN "
         "accounts c ON c.n = t.account_n AND NOT c.is_deleted WHERE NOT t.is_deleted",
         (5, "Primary"), (6, "Primary")),
    Pair("deals", "contacts", "SELECT t.converted_opportunity_n AS a, t.n AS b FROM leads t "
         "JOIN opportunities o ON o.n = t.converted_opportunity_n AND NOT o.is_deleted "
         "WHERE NOT t.is_deleted", (3, None), (4, None)),
    Pair("deals", "line_items", "SELECT t.opportunity_n AS a, t.n AS b FROM line_items t "
         "JOIN opportunities o ON o.n = t.opportunity_n AND NOT o.is_deleted "
         "WHERE NOT t.is_deleted", (19, None), (20, None)),
    Pair("contacts", "companies", "SELECT t.n AS a, coalesce(t.converted_account_n, "
         "o.account_n) AS b FROM leads t LEFT JOIN opportunities o ON "
         "o.n = t.converted_opportunity_n JOIN accounts c ON c.n = coalesce("
         "t.converted_account_n, o.account_n) AND NOT c.is_deleted WHERE NOT t.is_deleted",
         (1, "Primary"), (2, "Primary")),
    Pair("feedback_submissions", "companies", "SELECT t.n AS a, t.account_n AS b FROM "
         "surveys t JOIN accounts c ON c.n = t.account_n AND NOT c.is_deleted WHERE NOT "
         "t.is_deleted", (1001, None), (1002, None), "USER_DEFINED"),
    *_acts("calls", 194, 182, 206), *_acts("meetings", 200, 188, 212),
    *_acts("emails", 198, 186, 210), *_acts("tasks", 204, 192, 216),
    # HubSpot-defined types whose records the org has none of: nothing is associated.
    *(Pair(a, b, "SELECT NULL::BIGINT AS a, NULL::BIGINT AS b WHERE false", (ab, None),
           (ba, None)) for a, b, ab, ba in EMPTY_PAIRS),
]


class Associations:
    """Looks up associated record ids in either direction of a pair."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry

    def pair(self, src: ObjectType, dst: ObjectType) -> tuple[str, int, str | None, str]:
        """(SQL yielding columns a=src key, b=dst key, typeId, label, category)."""
        for p in PAIRS:
            if (p.a, p.b) == (src.name, dst.name):
                return self._filtered(p.sql, src, dst, False), *p.ab, p.category
            if (p.b, p.a) == (src.name, dst.name):
                return self._filtered(p.sql, src, dst, True), *p.ba, p.category
        raise validation(f"No associations exist between {src.name} and {dst.name}.")

    @staticmethod
    def _filtered(sql: str, src: ObjectType, dst: ObjectType, swap: bool) -> str:
        a, b = ("b", "a") if swap else ("a", "b")
        return f"SELECT {a} AS a, {b} AS b FROM ({sql}) p"

    def linked(self, src: ObjectType, dst: ObjectType, keys: list[int]
               ) -> tuple[dict[int, list[int]], int, str | None, str]:
        """For each src key, the dst keys associated with it."""
        sql, type_id, label, category = self.pair(src, dst)
        found: dict[int, list[int]] = {}
        if keys:
            rows = self.org.cursor().execute(
                f"SELECT a, b FROM ({sql}) q WHERE a IN (SELECT unnest(?::BIGINT[])) "
                "ORDER BY a, b", [keys]).fetchall()
            for a, b in rows:
                found.setdefault(int(a), []).append(int(b))
        return found, type_id, label, category

    def batch_read(self, src: ObjectType, dst: ObjectType, body: dict[str, Any]) -> Response:
        """POST /crm/v4/associations/{from}/{to}/batch/read."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise validation("inputs must be a non-empty list")
        if len(inputs) > MAX_INPUTS:
            raise validation(f"Batch input limit exceeded: at most {MAX_INPUTS} inputs.")
        ids = [str(i.get("id", "")) for i in inputs if isinstance(i, dict)]
        keys = {i: k for i in ids if (k := src.key(i)) is not None}
        found, type_id, label, category = self.linked(src, dst, sorted(set(keys.values())))
        spec = {"category": category, "typeId": type_id, "label": label}
        results = [json.dumps({"from": {"id": i}, "to": [
            {"toObjectId": dst.base + b, "associationTypes": [spec]} for b in found[keys[i]]]},
            separators=(",", ":")) for i in ids if i in keys and keys[i] in found]
        missing = [i for i in ids if i not in keys or keys[i] not in found]
        errors = [record_error("NO_ASSOCIATIONS_FOUND", f"No {dst.name} is associated with "
                               f"{src.singular} {i}.", [i]) for i in missing]
        return answer(results, errors, 200, self.org)

    def for_page(self, src: ObjectType, names: list[str], keys: list[int]
                 ) -> dict[int, dict[str, Any]]:
        """The `associations` member of list records (v3 shape, `type` as a name)."""
        out: dict[int, dict[str, Any]] = {}
        for name in names:
            try:  # unknown types and pairs that do not exist are left out, as HubSpot does
                dst = self.registry.get(name)
                found, _, _, _ = self.linked(src, dst, keys)
            except HsError:
                continue
            kind = f"{src.singular.lower().replace(' ', '_')}_to_" \
                   f"{dst.singular.lower().replace(' ', '_')}"
            for a, bs in found.items():
                out.setdefault(a, {})[dst.name] = {"results": [
                    {"id": dst.hs_id(b), "type": kind} for b in bs]}
        return out
