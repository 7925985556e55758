"""Associations between records: v4 batch read, the v3 `associations` parameter of reads
and listings, and the v3 listing of one record's associations.

Pairs derive from the org's foreign keys. Type ids are HubSpot's defined association
types (developers.hubspot.com/docs/api/crm/associations/v4, "Association type id
values"), e.g. deal_to_company 5 / company_to_deal 6, deal_to_line_item 19,
call_to_contact 194; the NPS↔company pair is not in HubSpot's table and uses
sandbox-assigned USER_DEFINED ids 1001/1002. A "Primary" association is also an
unlabeled one (deal→company 341, contact→company 279, and back 342 / 280): v4 answers
both type ids, and v3 lists the record twice, `deal_to_company` and
`deal_to_company_unlabeled`, as recorded answers show.

Inline associations (`?associations=companies` on a read or a listing) hold at most 100
per associated type and record; past that the collection carries `paging.next` (`after`
and a `link` to `GET /crm/v3/objects/{type}/{id}/associations/{toType}`), as the changelog
"Announcing a change to how v3 CRM APIs return association data" (October 2020) says. The
key of a collection is the associated type's plural name, spaced ("line items"), as in
recorded answers.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ..http import Response, raw_json
from ..org import Org
from .batch import answer
from .errors import HsError, record_error, validation
from .model import ObjectType
from .portal_objects import EMPTY_PAIRS
from .registry import Registry

MAX_INPUTS = 1000
INLINE_MAX = 100  # associations per type and record inline on a read or listing
LIST_MAX = 500  # the v3 listing of one record's associations, per page


@dataclass(frozen=True)
class Pair:
    """Records of type `a` linked to records of type `b` by SQL yielding columns (a, b)."""

    a: str
    b: str
    sql: str
    ab: tuple[int, str | None]  # (typeId, label) of a → b
    ba: tuple[int, str | None]
    category: str = "HUBSPOT_DEFINED"
    unlabeled: tuple[int, int] | None = None  # a Primary pair's unlabeled type ids (ab, ba)


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
         (5, "Primary"), (6, "Primary"), unlabeled=(341, 342)),
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
         (1, "Primary"), (2, "Primary"), unlabeled=(279, 280)),
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
        # A v4 batch read's associations per record and page. HubSpot pages them
        # ("paging" per result; the input's "after" reads on) but documents no size: None
        # answers all at once (docs/sandbox-hubspot.md); tests set a size to page.
        self.batch_page: int | None = None

    def _find(self, src: ObjectType, dst: ObjectType) -> tuple[Pair, bool]:
        """The pair linking `src` to `dst`, and whether it is read backwards."""
        for p in PAIRS:
            if (p.a, p.b) == (src.name, dst.name):
                return p, False
            if (p.b, p.a) == (src.name, dst.name):
                return p, True
        raise validation(f"No associations exist between {src.name} and {dst.name}.")

    def pair(self, src: ObjectType, dst: ObjectType) -> tuple[str, int, str | None, str]:
        """(SQL yielding columns a=src key, b=dst key, typeId, label, category)."""
        p, back = self._find(src, dst)
        return (self._filtered(p.sql, src, dst, back), *(p.ba if back else p.ab),
                p.category)

    def specs(self, src: ObjectType, dst: ObjectType) -> list[dict[str, Any]]:
        """The v4 `associationTypes` of every link from `src` to `dst`: the pair's type,
        and for a Primary pair the unlabeled type as well."""
        p, back = self._find(src, dst)
        type_id, label = p.ba if back else p.ab
        out = [{"category": p.category, "typeId": type_id, "label": label}]
        if p.unlabeled is not None:
            out.append({"category": p.category, "typeId": p.unlabeled[back], "label": None})
        return out

    def names(self, src: ObjectType, dst: ObjectType) -> list[str]:
        """The v3 `type` of each entry a link shows as (two for a Primary pair)."""
        p, _ = self._find(src, dst)
        kind = f"{_snake(src.singular)}_to_{_snake(dst.singular)}"
        return [kind, f"{kind}_unlabeled"] if p.unlabeled is not None else [kind]

    @staticmethod
    def _filtered(sql: str, src: ObjectType, dst: ObjectType, swap: bool) -> str:
        a, b = ("b", "a") if swap else ("a", "b")
        return f"SELECT {a} AS a, {b} AS b FROM ({sql}) p"

    def linked(self, src: ObjectType, dst: ObjectType, keys: list[int]
               ) -> tuple[dict[int, list[int]], int, str | None, str]:
        """For each src key, the dst keys associated with it (ascending)."""
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
        """POST /crm/v4/associations/{from}/{to}/batch/read: per input `{"id", "after"}`,
        the record's associations after `after`, and `paging.next.after` when more follow
        (the reference: "the 'after' field in a returned paging object can be added
        alongside the 'id' to retrieve the next page")."""
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or not inputs:
            raise validation("inputs must be a non-empty list")
        if len(inputs) > MAX_INPUTS:
            raise validation(f"Batch input limit exceeded: at most {MAX_INPUTS} inputs.")
        asked = [(str(i.get("id", "")), i.get("after")) for i in inputs if isinstance(i, dict)]
        keys = {i: k for i, _ in asked if (k := src.key(i)) is not None}
        found, _, _, _ = self.linked(src, dst, sorted(set(keys.values())))
        results, missing, spec = [], [], self.specs(src, dst)
        for i, after in asked:
            start = _after_key(dst, after)
            later = [b for b in found.get(keys.get(i, -1), []) if b > start]
            if not later:
                missing.append(i)
                continue
            results.append(self._batch_result(dst, spec, i, later))
        errors = [record_error("NO_ASSOCIATIONS_FOUND", f"No {dst.name} is associated with "
                               f"{src.singular} {i}.", [i]) for i in missing]
        return answer(results, errors, 200, self.org)

    def _batch_result(self, dst: ObjectType, spec: list[dict[str, Any]], ident: str,
                      later: list[int]) -> str:
        """One record's result of a v4 batch read: a page of `later`, and paging past it."""
        most = self.batch_page or len(later)
        out: dict[str, Any] = {"from": {"id": ident}, "to": [
            {"toObjectId": dst.base + b, "associationTypes": spec} for b in later[:most]]}
        if len(later) > most:
            out["paging"] = {"next": {"after": _token(dst, later[most - 1])}}
        return json.dumps(out, separators=(",", ":"))

    def for_page(self, src: ObjectType, names: list[str], keys: list[int], base_url: str
                 ) -> dict[int, dict[str, Any]]:
        """The `associations` member of records read or listed (v3 shape): per associated
        type, at most `INLINE_MAX` entries, then `paging.next` to the rest."""
        out: dict[int, dict[str, Any]] = {}
        for name in dict.fromkeys(names):
            try:  # unknown types and pairs that do not exist are left out, as HubSpot does
                dst = self.registry.get(name)
                found, _, _, _ = self.linked(src, dst, keys)
            except HsError:
                continue
            kinds = self.names(src, dst)
            for a, bs in found.items():
                link = f"{base_url}/crm/v3/objects/{src.type_id}/{src.hs_id(a)}" \
                       f"/associations/{dst.type_id}"
                out.setdefault(a, {})[_key(dst)] = _collection(dst, kinds, bs, INLINE_MAX, link)
        return out

    def list_one(self, src: ObjectType, ident: str, dst: ObjectType, after: str | None,
                 limit: int, base_url: str) -> Response:
        """GET /crm/v3/objects/{type}/{id}/associations/{toType}: one record's associated
        ids, `limit` (≤ 500) entries a page, from the `after` of the page before."""
        if not 0 < limit <= LIST_MAX:
            raise validation(f"limit must be between 1 and {LIST_MAX}, got {limit}")
        key = src.key(ident)
        found = self.linked(src, dst, [key])[0] if key is not None else {}
        ids = [b for b in found.get(key, []) if b > _after_key(dst, after)] \
            if key is not None else []
        link = f"{base_url}/crm/v3/objects/{src.type_id}/{ident}/associations/{dst.type_id}"
        page = _collection(dst, self.names(src, dst), ids, limit, link)
        return raw_json(json.dumps(page, separators=(",", ":")))


def _snake(label: str) -> str:
    return label.lower().replace(" ", "_")


def _key(dst: ObjectType) -> str:
    """The key of an inline collection: the type's name, spaced ("line items")."""
    return dst.name if dst.custom else dst.name.replace("_", " ")


def _collection(dst: ObjectType, kinds: list[str], keys: list[int], most: int,
                link: str) -> dict[str, Any]:
    """`{"results": [{"id", "type"}...]}` of at most `most` entries, whole records only
    (the entries of one record are never split), and `paging.next` when more follow."""
    results: list[dict[str, str]] = []
    shown = 0
    for b in keys:
        if results and len(results) + len(kinds) > most:
            break
        results += [{"id": dst.hs_id(b), "type": kind} for kind in kinds]
        shown += 1
    out: dict[str, Any] = {"results": results}
    if shown < len(keys):
        after = _token(dst, keys[shown - 1])
        out["paging"] = {"next": {"after": after, "link": f"{link}?after={after}"}}
    return out


def _token(dst: ObjectType, last: int) -> str:
    """An opaque cursor like HubSpot's (base64 of "<toTypeId>-<last id>", URL-encoded)."""
    raw = base64.b64encode(f"{dst.type_id}-{dst.hs_id(last)}".encode()).decode()
    return quote(raw, safe="")


def _after_key(dst: ObjectType, after: str | None) -> int:
    """The org key a cursor of `_token` stands after (-1: from the first)."""
    if not after:
        return -1
    try:
        type_id, _, last = base64.b64decode(unquote(after), validate=True).decode().rpartition("-")
    except (binascii.Error, UnicodeDecodeError):
        type_id, last = "", ""
    key = dst.key(last)
    if type_id != dst.type_id or key is None:
        raise validation(f"Invalid 'after' value: {after}")
    return key
