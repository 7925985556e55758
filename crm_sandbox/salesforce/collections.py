"""sObject Collections: create, update, upsert and delete up to 200 records a call.

Records of several types are processed as chunks of consecutive same-type records, at
most 10 chunks a call; allOrNone covers the whole call (developer.salesforce.com/docs/
atlas.en-us.api_rest.meta/api_rest/resources_composite_sobjects_collections_create.htm).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from .context import Context, V
from .errors import SfError
from .model import SObject
from .ops import (
    commit_create,
    commit_update,
    delete_ids,
    prepare_create,
    prepare_update,
    settle,
    upsert,
)
from .rights import Viewer
from .writes import Result, Writer

MAX_RECORDS = 200
MAX_CHUNKS = 10


class Collections:
    """/composite/sobjects handlers."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def endpoints(self) -> list[Endpoint]:
        """sObject Collections endpoints."""
        c = rf"{V}/composite/sobjects"
        return [
            Endpoint("POST", rf"{c}/?", "collections.create", self.create),
            Endpoint("PATCH", rf"{c}/?", "collections.update", self.update),
            Endpoint("DELETE", rf"{c}/?", "collections.delete", self.delete),
            Endpoint("PATCH", rf"{c}/(?P<obj>\w+)/(?P<ext>\w+)/?", "collections.upsert",
                     self.upsert),
        ]

    def payload(self, req: Request) -> tuple[list[dict[str, Any]], bool]:
        """The records and allOrNone of a request, within the 200-record limit."""
        body = req.json() or {}
        records = body.get("records")
        if not isinstance(records, list) or not records:
            raise SfError(400, "INVALID_FIELD", "records: must not be empty")
        if len(records) > MAX_RECORDS:
            raise SfError(400, "EXCEEDED_ID_LIMIT", f"record limit reached. cannot submit more "
                          f"than {MAX_RECORDS} records into this call")
        return records, bool(body.get("allOrNone", False))

    def chunks(self, records: list[dict[str, Any]],
               viewer: Viewer) -> list[tuple[SObject, list[dict[str, Any]]]]:
        """Consecutive records of one type form a chunk (a type the user cannot read is
        no type)."""
        out: list[tuple[SObject, list[dict[str, Any]]]] = []
        for r in records:
            name = str((r.get("attributes") or {}).get("type", ""))
            if not name:
                raise SfError(400, "INVALID_TYPE", "Must send a concrete entity type.")
            obj = self.ctx.registry.get(name)
            if obj is None or not viewer.can_read(obj):
                raise SfError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
            if out and out[-1][0] is obj:
                out[-1][1].append(r)
            else:
                out.append((obj, [r]))
        if len(out) > MAX_CHUNKS:
            raise SfError(400, "INVALID_BATCH_REQUEST", f"Too many chunks: more than "
                          f"{MAX_CHUNKS} runs of records of one type")
        return out

    def create(self, req: Request) -> Response:
        records, aon = self.payload(req)
        if any(r.get("Id") for r in records):
            raise SfError(400, "INVALID_FIELD", "Can't create records with an Id")
        return self.apply(req, records, aon, prepare_create, commit_create)

    def update(self, req: Request) -> Response:
        records, aon = self.payload(req)
        return self.apply(req, records, aon, prepare_update, commit_update)

    def apply(self, req: Request, records: list[dict[str, Any]], aon: bool,
              prepare: Callable[[Writer, SObject, list[dict[str, Any]], str, str,
                                 Viewer | None], list[Any]],
              commit: Callable[[Writer, SObject, list[Any]], list[Result]]) -> Response:
        """Validate every chunk first, so that allOrNone can refuse the whole call."""
        w, viewer = self.ctx.writer, self.ctx.viewer(req)
        prepared = [(obj, prepare(w, obj, rows, req.method, req.path, viewer))
                    for obj, rows in self.chunks(records, viewer)]
        flat = [c for _, checked in prepared for c in checked]
        return json_response(settle(flat, aon, lambda: [
            res for obj, checked in prepared for res in commit(w, obj, checked)]))

    def upsert(self, req: Request) -> Response:
        """PATCH composite/sobjects/X/ExtId__c: upsert by an external id field."""
        records, aon = self.payload(req)
        viewer = self.ctx.viewer(req)
        obj = self.ctx.registry.get(req.params["obj"])
        obj = obj if obj is not None and viewer.can_read(obj) else None
        ext = obj.get(req.params["ext"]) if obj else None
        if obj is None or ext is None or not ext.external_id or \
                not viewer.can_read_field(obj, ext):
            raise SfError(400, "INVALID_FIELD", f"Field name provided, {req.params['ext']} is "
                          "not an External ID or indexed field")
        return json_response(upsert(self.ctx.writer, obj, ext, records, aon, req.method,
                                    req.path, viewer))

    def delete(self, req: Request) -> Response:
        """DELETE composite/sobjects?ids=…: soft-delete records of any type."""
        ids = [i for i in (req.arg("ids") or "").split(",") if i]
        if not ids or len(ids) > MAX_RECORDS:
            raise SfError(400, "EXCEEDED_ID_LIMIT", "between 1 and 200 ids are required")
        aon = (req.arg("allOrNone") or "false").lower() == "true"
        return json_response(delete_ids(self.ctx.writer, self.ctx.registry.by_prefix, ids, aon,
                                        req.method, req.path, self.ctx.viewer(req)))
