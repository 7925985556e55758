"""Object endpoints: list, read, create, update, archive, batch and search.

List answers follow `CollectionResponseSimplePublicObjectWithAssociationsForwardPaging`:
`results`, and `paging.next.after` (a string) while more records follow; `limit` above
100 answers 400, as HubSpot's CRM v3 list endpoints do. `associations=` adds each
record's associated ids, at most 100 per type and record, then `paging.next` to the rest
(associations.py).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from ..faults import FaultSet
from ..http import Endpoint, Request, Response, raw_json
from ..org import Org
from .associations import Associations
from .batch import Batch, empty_answer
from .errors import HsError, not_found, validation
from .history import MAX_WITH_HISTORY, with_history
from .lag import WriteLog
from .model import ObjectType
from .reader import Reader
from .registry import Registry
from .request import OBJ, V3, int_arg, json_body, multi
from .search import Search

MAX_LIST = 100


class Objects:
    """Handlers for `/crm/v3/objects/{objectType}...`."""

    def __init__(self, org: Org, faults: FaultSet, registry: Registry) -> None:
        self.org, self.faults, self.registry = org, faults, registry
        self.reader = Reader(org)
        self.batch = Batch(org, faults, self.reader)
        self.searcher = Search(org)
        self.assoc = Associations(org, registry)
        self.writes = WriteLog(org.clock)

    def endpoints(self) -> list[Endpoint]:
        """Records of any object type (search and batch before the `{id}` routes), and
        associations v4."""
        return [
            Endpoint("POST", rf"{V3}/search", "search", self.search),
            Endpoint("POST", rf"{V3}/batch/(?P<op>\w+)", "batch", self.batch_op),
            Endpoint("GET", rf"{V3}/?", "list", self.list_page),
            Endpoint("GET", rf"{V3}/(?P<id>[^/]+)/associations/(?P<to>[A-Za-z0-9_\-]+)/?",
                     "associationsList", self.associations_v3),
            Endpoint("POST", rf"{V3}/?", "create", self.create),
            Endpoint("GET", rf"{V3}/(?P<id>[^/]+)", "read", self.read),
            Endpoint("PATCH", rf"{V3}/(?P<id>[^/]+)", "update", self.update),
            Endpoint("DELETE", rf"{V3}/(?P<id>[^/]+)", "archive", self.archive),
            Endpoint("POST", rf"/crm/v4/associations/{OBJ}/(?P<to>[A-Za-z0-9_\-]+)/batch/read",
                     "associationsBatchRead", self.associations_v4),
        ]

    def obj(self, req: Request) -> ObjectType:
        return self.registry.get(req.params["obj"])

    def _empty(self, req: Request) -> bool:
        """A `record_error` fault on a read answers a 2xx with neither results nor errors."""
        return self.faults.record_error(req.method, req.path) is not None

    def list_page(self, req: Request) -> Response:
        o = self.obj(req)
        limit = int_arg(req.arg("limit"), 10)
        if not 0 < limit <= MAX_LIST:
            raise validation(f"limit must be between 1 and {MAX_LIST}, got {limit}")
        if self._empty(req):
            return raw_json("{}")
        archived = (req.arg("archived") or "false").lower() == "true"
        props = o.pick(multi(req, "properties"))
        history = multi(req, "propertiesWithHistory")
        if history and limit > MAX_WITH_HISTORY:
            raise validation(f"limit must be at most {MAX_WITH_HISTORY} with "
                             f"propertiesWithHistory, got {limit}")
        rows, nxt = self.reader.page(o, props, req.arg("after"), limit, archived)
        records = with_history(self.reader, o, history, list(zip(
            (n for n, _ in rows), self._with_assoc(req, o, rows), strict=True)), archived)
        out = '{"results":[' + ",".join(records) + "]"
        if nxt is not None:
            after = o.hs_id(nxt)
            out += ',"paging":' + json.dumps({"next": {
                "after": after, "link": f"?after={after}"}}, separators=(",", ":"))
        return raw_json(out + "}")

    def _with_assoc(self, req: Request, o: ObjectType, rows: list[tuple[int, str]]) -> list[str]:
        names = multi(req, "associations")
        if not names or not rows:
            return [js for _, js in rows]
        linked = self.assoc.for_page(o, names, [n for n, _ in rows], _base_url(req))
        out = []
        for n, js in rows:
            extra = linked.get(n)
            out.append(js if not extra else js[:-1] + ',"associations":'
                       + json.dumps(extra, separators=(",", ":")) + "}")
        return out

    def read(self, req: Request) -> Response:
        o = self.obj(req)
        archived = (req.arg("archived") or "false").lower() == "true"
        id_prop = req.arg("idProperty") or "hs_object_id"
        ident = unquote(req.params["id"])
        keys = self.batch.resolve(o, id_prop, [ident], archived)
        key = keys.get(ident)
        found = self.reader.by_keys(o, o.pick(multi(req, "properties")),
                                    [key] if key is not None else [], archived)
        if key is None or key not in found:
            raise not_found("Object not found.  objectId are usually numeric.")
        record = self._with_assoc(req, o, [(key, found[key])])[0]
        return raw_json(with_history(self.reader, o, multi(req, "propertiesWithHistory"),
                                     [(key, record)], archived)[0])

    def _wrote(self, o: ObjectType, resp: Response) -> Response:
        """Note a write (the search index lags behind it), pass the answer on."""
        self.writes.mark(o.name)
        return resp

    def create(self, req: Request) -> Response:
        o = self.obj(req)
        return self._wrote(o, _single(self.batch.create(o, {"inputs": [json_body(req)]},
                                                        req.method, req.path), 201))

    def update(self, req: Request) -> Response:
        o = self.obj(req)
        body = {**json_body(req), "id": unquote(req.params["id"])}
        idp = req.arg("idProperty")
        resp = self.batch.update(o, {"inputs": [body], **({"idProperty": idp} if idp else {})},
                                 req.method, req.path)
        return self._wrote(o, _single(resp, 200))

    def archive(self, req: Request) -> Response:
        o = self.obj(req)
        key = o.key(req.params["id"])
        if key is not None:
            self.batch.archive_keys(o, [key])
        return self._wrote(o, Response(204))

    def batch_op(self, req: Request) -> Response:
        o, op, body = self.obj(req), req.params["op"], json_body(req)
        if op == "read":
            if self._empty(req):
                return empty_answer(self.org)
            # hubspot-api-client sends Python's "True": compare as the list endpoint does
            return self.batch.read(o, body, (req.arg("archived") or "").lower() == "true")
        if op == "archive":
            return self._wrote(o, self.batch.archive(o, body))
        handler = {"create": self.batch.create, "update": self.batch.update,
                   "upsert": self.batch.upsert}.get(op)
        if handler is None:
            raise not_found(f"Unknown batch operation {op}")
        return self._wrote(o, handler(o, body, req.method, req.path))

    def search(self, req: Request) -> Response:
        """A search; a `search_lag` fault (within `lag` seconds of a write to this object
        type, when given) answers the total with an empty page."""
        o = self.obj(req)
        if self._empty(req):
            return raw_json("{}")
        body = json_body(req)
        lag = self.faults.pick(req.method, req.path, ("search_lag",),
                               when=lambda f: self.writes.recent(o.name, f.lag))
        if lag is not None:
            return self.searcher.lagging(o, body)
        return self.searcher.run(o, body)

    def associations_v3(self, req: Request) -> Response:
        """GET /crm/v3/objects/{type}/{id}/associations/{toType}: where an inline
        collection's `paging.next.link` leads."""
        src, dst = self.obj(req), self.registry.get(req.params["to"])
        return self.assoc.list_one(src, unquote(req.params["id"]), dst, req.arg("after"),
                                   int_arg(req.arg("limit"), 500), _base_url(req))

    def associations_v4(self, req: Request) -> Response:
        src = self.registry.get(req.params["obj"])
        dst = self.registry.get(req.params["to"])
        return self.assoc.batch_read(src, dst, json_body(req))


def _base_url(req: Request) -> str:
    """The URL this portal was reached at, for the links answers carry."""
    return f"https://{req.headers.get('host', 'api.hubapi.com')}"


def _single(resp: Response, ok: int) -> Response:
    """One record out of a one-input batch answer, or its error as HubSpot answers it."""
    body: dict[str, Any] = json.loads(resp.body or b"{}")
    if body.get("errors"):
        err = body["errors"][0]
        status = 404 if err["category"] == "OBJECT_NOT_FOUND" else 400
        raise HsError(status, err["category"], err["message"])
    if not body.get("results"):
        return raw_json("{}", ok)
    return raw_json(json.dumps(body["results"][0], separators=(",", ":")), ok)

