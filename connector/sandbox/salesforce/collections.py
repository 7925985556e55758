"""sObject Collections: create, update, upsert and delete up to 200 records a call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..http import Request, Response, Route, json_response, route
from .errors import SfError
from .model import SObject
from .ops import create, delete, update, upsert
from .rest import V

if TYPE_CHECKING:
    from .surface import SalesforceSurface

MAX_RECORDS = 200


class Collections:
    """/composite/sobjects handlers."""

    def __init__(self, sf: SalesforceSurface) -> None:
        self.sf = sf

    def routes(self) -> list[Route]:
        s = self.sf
        return [
            route(s, "POST", rf"{V}/composite/sobjects/?", "collections.create", self.create),
            route(s, "PATCH", rf"{V}/composite/sobjects/?", "collections.update", self.update),
            route(s, "DELETE", rf"{V}/composite/sobjects/?", "collections.delete", self.delete),
            route(s, "PATCH", rf"{V}/composite/sobjects/(?P<obj>\w+)/(?P<ext>\w+)/?",
                  "collections.upsert", self.upsert),
        ]

    def payload(self, req: Request) -> tuple[list[dict[str, Any]], bool]:
        body = req.json() or {}
        records = body.get("records")
        if not isinstance(records, list) or not records:
            raise SfError(400, "INVALID_FIELD", "records: must not be empty")
        if len(records) > MAX_RECORDS:
            raise SfError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more "
                          f"than {MAX_RECORDS} records into this call")
        return records, bool(body.get("allOrNone", False))

    def one_type(self, records: list[dict[str, Any]]) -> SObject:
        """Collections take records of one type per call here (the common case)."""
        types = {str((r.get("attributes") or {}).get("type", "")) for r in records}
        if "" in types:
            raise SfError(400, "INVALID_TYPE", "Must send a concrete entity type.")
        if len(types) > 1:
            raise SfError(400, "INVALID_TYPE", "the sandbox takes one sObject type per call")
        obj = self.sf.registry.get(types.pop())
        if obj is None:
            raise SfError(400, "INVALID_TYPE", "sObject type is not supported")
        return obj

    def create(self, req: Request) -> Response:
        records, aon = self.payload(req)
        if any(r.get("Id") for r in records):
            raise SfError(400, "INVALID_FIELD", "Can't create records with an Id")
        res = create(self.sf.writer, self.one_type(records), records, aon, req.method, req.path)
        return json_response(res)

    def update(self, req: Request) -> Response:
        records, aon = self.payload(req)
        res = update(self.sf.writer, self.one_type(records), records, aon, req.method, req.path)
        return json_response(res)

    def upsert(self, req: Request) -> Response:
        records, aon = self.payload(req)
        obj = self.sf.registry.get(req.params["obj"])
        ext = obj.get(req.params["ext"]) if obj else None
        if obj is None or ext is None or not ext.external_id:
            raise SfError(400, "INVALID_FIELD", f"Field name provided, {req.params['ext']} is "
                          "not an External ID or indexed field")
        return json_response(upsert(self.sf.writer, obj, ext, records, aon, req.method,
                                    req.path))

    def delete(self, req: Request) -> Response:
        ids = [i for i in (req.arg("ids") or "").split(",") if i]
        if not ids or len(ids) > MAX_RECORDS:
            raise SfError(400, "EXCEEDED_ID_LIMIT", "between 1 and 200 ids are required")
        aon = (req.arg("allOrNone") or "false").lower() == "true"
        out = []
        for rid in ids:
            from ..ids import parse_sf_id

            parsed = parse_sf_id(rid)
            obj = self.sf.registry.by_prefix(parsed[0]) if parsed else None
            if obj is None:
                out.append({"id": rid, "success": False, "errors": [{
                    "statusCode": "MALFORMED_ID", "message": f"malformed id {rid}",
                    "fields": []}]})
                continue
            out += delete(self.sf.writer, obj, [rid], aon, req.method, req.path)
        return json_response(out)
