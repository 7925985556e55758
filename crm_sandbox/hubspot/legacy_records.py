"""The legacy deal (v1) and company (v2) listings real portals still serve.

Routes and parameters as HubSpot's legacy references give them and as public connectors
send them (singer-io/tap-hubspot: `/deals/v1/deal/paged` with `includeAssociations`,
`includeAllProperties`, `allPropertiesFetchMode=latest_version`; `/companies/v2/companies/
paged` with repeated `properties`, then `/companies/v2/companies/{id}` per company;
`…/recent/modified` while under 10,000 records):

- `GET /deals/v1/deal/paged`: `limit` (default 100, at most 250), `offset` (the last
  `dealId` returned), repeated `properties` / `propertiesWithHistory`,
  `includeAllProperties`, `includeAssociations`; answers `{deals, hasMore, offset}`.
  Without any property parameter a deal carries no properties ("only the Deal ID").
- `GET /companies/v2/companies/paged`: the same paging; `{companies, has-more, offset}`.
- `GET /deals/v1/deal/recent/{modified,created}`, `GET /companies/v2/companies/recent/
  {modified,created}`: records changed (created) after `since` (ms) within the last 30
  days and the 10,000 most recent, newest first; `count` (default 20, at most 100: a
  larger one is taken as 100), positional `offset`; `{results, hasMore, offset, total}`;
  every property.
- `GET /deals/v1/deal/{id}`, `GET /companies/v2/companies/{id}`: one record, every property.

A `limit` above 250 answers 400 (HubSpot documents the maximum, not what it does past it).
Records are in id order; ids are the v3 ids, as in HubSpot.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..org import Org
from .associations import Associations
from .errors import not_found, validation
from .legacy_values import v1_properties
from .model import ObjectType
from .reader import Reader
from .registry import Registry
from .request import int_arg, multi, recent_window

MAX_PAGED, RECENT_LIMIT = 250, 10_000


@dataclass(frozen=True)
class Kind:
    """How one legacy API names things."""

    object_name: str  # deals / companies
    id_key: str  # dealId / companyId
    list_key: str  # deals / companies
    more_key: str  # hasMore / has-more
    extra: tuple[tuple[str, Any], ...]  # constant members of every record


DEALS = Kind("deals", "dealId", "deals", "hasMore", (("imports", []), ("stateChanges", [])))
COMPANIES = Kind("companies", "companyId", "companies", "has-more",
                 (("additionalDomains", []), ("stateChanges", []), ("mergeAudits", [])))


class LegacyRecords:
    """Handlers of the v1 deal and v2 company endpoints."""

    def __init__(self, org: Org, registry: Registry) -> None:
        self.org, self.registry = org, registry
        self.reader, self.assoc = Reader(org), Associations(org, registry)

    def endpoints(self) -> list[Endpoint]:
        out: list[Endpoint] = []
        for kind, base, one in ((DEALS, "/deals/v1/deal", "dealV1"),
                                (COMPANIES, "/companies/v2/companies", "companyV2")):
            out += [
                Endpoint("GET", rf"{base}/paged/?", f"{one}Paged", partial(self.paged, kind)),
                Endpoint("GET", rf"{base}/recent/(?P<which>modified|created)/?",
                         f"{one}Recent", partial(self.recent, kind)),
                Endpoint("GET", rf"{base}/(?P<id>\d+)/?", one, partial(self.one, kind)),
            ]
        return out

    # ---- handlers ---------------------------------------------------------------------
    def paged(self, kind: Kind, req: Request) -> Response:
        o = self.registry.get(kind.object_name)
        limit = int_arg(req.arg("limit"), 100)
        if not 0 < limit <= MAX_PAGED:
            raise validation(f"limit must be between 1 and {MAX_PAGED}, got {limit}")
        offset = int_arg(req.arg("offset"), 0)
        names, history, everything = self._wanted(o, req)
        rows, nxt = self.reader.page(o, o.pick(names), str(offset + 1) if offset else None,
                                     limit, False)
        records = self._records(o, kind, rows, names, history, everything,
                                _flag(req, "includeAssociations"))
        last = int(o.hs_id(rows[-1][0])) if rows else offset
        return json_response({kind.list_key: records, kind.more_key: nxt is not None,
                              "offset": last})

    def recent(self, kind: Kind, req: Request) -> Response:
        o = self.registry.get(kind.object_name)
        since, count, offset = recent_window(req, self.org.clock.now())
        keys = self._recent_keys(o, req.params["which"], since)
        page = keys[offset:offset + count]
        found = self.reader.by_keys(o, o.pick(list(o.props)), page, False)
        rows = [(k, found[k]) for k in page if k in found]
        records = self._records(o, kind, rows, list(o.props), [], True, True)
        return json_response({"results": records, "hasMore": offset + count < len(keys),
                              "offset": offset + len(page), "total": len(keys)})

    def one(self, kind: Kind, req: Request) -> Response:
        o = self.registry.get(kind.object_name)
        key = o.key(req.params["id"])
        found = self.reader.by_keys(o, o.pick(list(o.props)), [key] if key is not None
                                    else [], False)
        if key is None or key not in found:
            raise not_found(f"{o.singular} {req.params['id']} does not exist")
        return json_response(self._records(o, kind, [(key, found[key])], list(o.props), [],
                                           True, True)[0])

    # ---- helpers ----------------------------------------------------------------------
    @staticmethod
    def _wanted(o: ObjectType, req: Request) -> tuple[list[str], list[str], bool]:
        """(properties to read, those with history, every property?)."""
        if _flag(req, "includeAllProperties"):
            return list(o.props), [], True
        history = multi(req, "propertiesWithHistory")
        return [*multi(req, "properties"), *history], history, False

    def _records(self, o: ObjectType, kind: Kind, rows: list[tuple[int, str]],
                 names: list[str], history: list[str], everything: bool,
                 associations: bool) -> list[dict[str, Any]]:
        linked = self._associations(o, [n for n, _ in rows]) if associations else {}
        out: list[dict[str, Any]] = []
        for n, js in rows:
            v3 = json.loads(js)
            v3["properties"] = {k: v for k, v in v3["properties"].items() if k in names}
            props = v1_properties(o, v3, None if everything else set(history))
            record: dict[str, Any] = {"portalId": self.registry.portal_id,
                                      kind.id_key: int(v3["id"]), "isDeleted": False}
            if kind is DEALS:
                record["associations"] = linked.get(n) if associations else None
            out.append({**record, "properties": props, **dict(kind.extra)})
        return out

    def _associations(self, o: ObjectType, keys: list[int]) -> dict[int, dict[str, Any]]:
        """A deal's `associations`: contact (vid) and company ids."""
        out: dict[int, dict[str, Any]] = {n: {
            "associatedVids": [], "associatedCompanyIds": [], "associatedDealIds": [],
            "associatedTicketIds": []} for n in keys}
        for other, member in (("contacts", "associatedVids"),
                              ("companies", "associatedCompanyIds")):
            dst = self.registry.get(other)
            found, _, _, _ = self.assoc.linked(o, dst, keys)
            for n, linked in found.items():
                out[n][member] = [dst.base + b for b in linked]
        return out

    def _recent_keys(self, o: ObjectType, which: str, since: dt.datetime) -> list[int]:
        column = "created_at" if which == "created" else "modified_at"
        rows = self.org.cursor().execute(
            f"SELECT t.n FROM {o.table} t WHERE {o.where(False)} AND t.{column} > ? "
            f"ORDER BY t.{column} DESC, t.n DESC LIMIT {RECENT_LIMIT}", [since]).fetchall()
        return [int(r[0]) for r in rows]


def _flag(req: Request, name: str) -> bool:
    """A boolean query parameter (`true`, or Python's `True` as some clients send it)."""
    return (req.arg(name) or "").lower() == "true"
