"""REST routes: versions, limits, describe, query, single-record CRUD, replication."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import unquote

from ..http import Endpoint, Request, Response, json_response, raw_json
from .context import SF_TS, Context, V
from .describe import describe, global_describe
from .errors import SfError, not_found
from .literals import parse_datetime
from .model import SObject
from .ops import create, delete, update, upsert
from .revalidation import MetadataClock, conditional

OBJ = r"(?P<obj>\w+)"


class Rest:
    """Handlers over the org, its sObjects and the query engine."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # The packaged org's metadata dates from the start of its history.
        self.stamps = MetadataClock(ctx.registry, ctx.org.clock, ctx.org.window.start)

    def endpoints(self) -> list[Endpoint]:
        """Core REST endpoints."""
        r = self
        return [
            Endpoint("GET", r"/services/data/?", "versions", r.versions),
            Endpoint("GET", rf"{V}/limits/?", "limits", r.limits),
            Endpoint("GET", rf"{V}/sobjects/?", "describeGlobal", r.global_describe),
            Endpoint("GET", rf"{V}/sobjects/{OBJ}/describe/?", "describe", r.describe),
            Endpoint("GET", rf"{V}/sobjects/{OBJ}/deleted/?", "getDeleted", r.deleted),
            Endpoint("GET", rf"{V}/sobjects/{OBJ}/updated/?", "getUpdated", r.updated),
            Endpoint("GET", rf"{V}/query/?", "query", r.query),
            Endpoint("GET", rf"{V}/queryAll/?", "queryAll", r.query),
            Endpoint("GET", rf"{V}/query(?:All)?/(?P<loc>01g\w+)-(?P<pos>\d+)", "queryMore",
                     r.query_more),
            Endpoint("POST", rf"{V}/sobjects/{OBJ}/?", "create", r.create),
            Endpoint("GET", rf"{V}/sobjects/{OBJ}/(?P<id>\w+)", "retrieve", r.retrieve),
            Endpoint("PATCH", rf"{V}/sobjects/{OBJ}/(?P<id>\w+)", "update", r.update),
            Endpoint("DELETE", rf"{V}/sobjects/{OBJ}/(?P<id>\w+)", "delete", r.delete),
            Endpoint("PATCH", rf"{V}/sobjects/{OBJ}/(?P<ext>\w+)/(?P<val>[^/]+)", "upsert",
                     r.upsert),
        ]

    def obj(self, req: Request) -> SObject:
        """The path's sObject; an object the session's user cannot read does not exist."""
        o = self.ctx.registry.get(req.params["obj"])
        if o is None or not self.ctx.viewer(req).can_read(o):
            raise not_found()
        return o

    def versions(self, req: Request) -> Response:
        return json_response([{"label": f"v{v}", "url": f"/services/data/v{v}.0",
                               "version": f"{v}.0"} for v in range(52, 63)])

    def limits(self, req: Request) -> Response:
        """GET limits: the org's allowances."""
        used, cap = self.ctx.usage.snapshot()
        return json_response({
            "DailyApiRequests": {"Max": cap, "Remaining": max(0, cap - used)},
            "DailyBulkV2QueryJobs": {"Max": 10000, "Remaining": 10000},
            "DailyBulkV2QueryFileStorageMB": {"Max": 1000000, "Remaining": 1000000},
            "DataStorageMB": {"Max": 1073741824, "Remaining": 1073741824},
        })

    def global_describe(self, req: Request) -> Response:
        """GET sobjects: the objects the user can read; 304 when neither an object nor
        the user's access changed since If-Modified-Since."""
        viewer = self.ctx.viewer(req)
        return conditional(req, global_describe(self.ctx.registry, req.params["v"], viewer),
                           max(self.stamps.global_stamp(), self.ctx.access.stamp()))

    def describe(self, req: Request) -> Response:
        """GET sobjects/X/describe: the fields the user sees; 304 when X and the user's
        access are unchanged (If-Modified-Since, If-None-Match)."""
        obj, viewer = self.obj(req), self.ctx.viewer(req)
        return conditional(req, describe(self.ctx.registry, obj, req.params["v"], viewer),
                           max(self.stamps.object_stamp(obj), self.ctx.access.stamp(obj.name)))

    def _page(self, req: Request, body: str) -> Response:
        """A query page; a `record_error` fault answers it 2xx without `done` and
        `nextRecordsUrl` (a page a client must not take for the end of the list), a
        `short_page` fault without its last record (the listing falls short of totalSize)."""
        faults = self.ctx.writer.faults
        if faults.record_error(req.method, req.path) is not None:
            page = json.loads(body)
            return json_response({k: v for k, v in page.items()
                                  if k not in ("done", "nextRecordsUrl")})
        if faults.pick(req.method, req.path, ("short_page",)) is not None:
            page = json.loads(body)
            return json_response({**page, "records": page["records"][:-1]})
        return raw_json(body)

    def query(self, req: Request) -> Response:
        """GET query / queryAll: the first page."""
        soql = req.arg("q")
        if not soql:
            raise SfError(400, "MALFORMED_QUERY", "A query string has to be specified")
        all_rows = "/queryAll" in req.path
        opts = req.headers.get("sforce-query-options", "")
        return self._page(req, self.ctx.queries.run(soql, req.params["v"], all_rows, opts,
                                                    self.ctx.viewer(req)))

    def query_more(self, req: Request) -> Response:
        return self._page(req, self.ctx.queries.more(req.params["loc"], int(req.params["pos"]),
                                                     req.params["v"]))

    def retrieve(self, req: Request) -> Response:
        """GET sobjects/X/Id: one record (`fields=` to choose)."""
        obj, rid, viewer = self.obj(req), req.params["id"], self.ctx.viewer(req)
        fields = req.arg("fields") or ", ".join(f.name for f in obj.fields.values()
                                                if viewer.can_read_field(obj, f))
        soql = f"SELECT {fields} FROM {obj.name} WHERE Id = '{rid.replace(chr(39), '')}'"
        body = self.ctx.queries.run(soql, req.params["v"], all_rows=True, viewer=viewer)
        records = json.loads(body)["records"]
        if not records:
            raise not_found()
        if records[0].get("IsDeleted"):
            raise SfError(404, "ENTITY_IS_DELETED", "entity is deleted")
        return json_response(records[0])

    def create(self, req: Request) -> Response:
        obj = self.obj(req)
        res = create(self.ctx.writer, obj, [req.json() or {}], True, req.method, req.path,
                     self.ctx.viewer(req))[0]
        if not res["success"]:
            raise_record(res)
        return json_response(res, 201)

    def update(self, req: Request) -> Response:
        """PATCH sobjects/X/Id: 204 on success."""
        obj = self.obj(req)
        rec = {**(req.json() or {}), "Id": req.params["id"]}
        res = update(self.ctx.writer, obj, [rec], True, req.method, req.path,
                     self.ctx.viewer(req))[0]
        if not res["success"]:
            raise_record(res)
        return Response(204)

    def delete(self, req: Request) -> Response:
        obj = self.obj(req)
        res = delete(self.ctx.writer, obj, [req.params["id"]], True, req.method, req.path,
                     viewer=self.ctx.viewer(req))[0]
        if not res["success"]:
            gone = res["errors"][0]["statusCode"] in ("ENTITY_IS_DELETED", "MALFORMED_ID")
            raise_record(res, 404 if gone else 400)
        return Response(204)

    def upsert(self, req: Request) -> Response:
        """PATCH sobjects/X/ExtId__c/value: 201 created, 200 updated."""
        obj, viewer = self.obj(req), self.ctx.viewer(req)
        ext = obj.get(req.params["ext"])
        if ext is None or not (ext.external_id or ext.name == "Id") or \
                not viewer.can_read_field(obj, ext):
            raise not_found(f"Provided external ID field does not exist or is not accessible: "
                            f"{req.params['ext']}")
        rec = {**(req.json() or {}), ext.name: unquote(req.params["val"])}
        res = upsert(self.ctx.writer, obj, ext, [rec], True, req.method, req.path, viewer)[0]
        if not res["success"]:
            raise_record(res)
        return json_response(res, 201 if res.get("created") else 200)

    def deleted(self, req: Request) -> Response:
        """GET sobjects/X/deleted: records recycled in the window."""
        rows, end = self.changed(req, deleted=True)
        earliest = self.ctx.org.clock.now() - dt.timedelta(days=15)
        return json_response({
            "deletedRecords": [{"id": i, "deletedDate": d.strftime(SF_TS)} for i, d in rows],
            "earliestDateAvailable": earliest.strftime(SF_TS),
            "latestDateCovered": end.strftime(SF_TS)})

    def updated(self, req: Request) -> Response:
        """GET sobjects/X/updated: records whose SystemModstamp is in the window."""
        rows, end = self.changed(req, deleted=False)
        return json_response({"ids": [r[0] for r in rows],
                              "latestDateCovered": end.strftime(SF_TS)})

    def changed(self, req: Request, deleted: bool) -> tuple[list[Any], dt.datetime]:
        """(id, stamp) of the records deleted (by deletion time) or of the live records
        updated (by id) in the request's window, and the window's end."""
        obj, (start, end) = self.obj(req), self.window(req)
        stamp, live, order = (("deleted_at", "", "deleted_at") if deleted
                              else ("system_modstamp", "NOT ", "n"))
        shared = self.ctx.viewer(req).records(obj, "t")
        visible = f" AND {shared.sql}" if shared is not None else ""
        rows = self.ctx.org.cursor().execute(
            f"SELECT sfid('{obj.prefix}', t.n), t.{stamp} FROM {obj.table} t WHERE "
            f"{live}t.is_deleted AND t.{stamp} >= ? AND t.{stamp} < ?{obj.and_filter()}"
            f"{visible} ORDER BY t.{order}", [start, end, *(shared.params if shared else ())]
        ).fetchall()
        return rows, end

    def window(self, req: Request) -> tuple[dt.datetime, dt.datetime]:
        """start/end of getDeleted/getUpdated: within the last 30 days, minute precision."""
        try:
            start = parse_datetime(req.arg("start") or "")
            end = parse_datetime(req.arg("end") or "")
        except ValueError as exc:
            raise SfError(400, "MALFORMED_QUERY", "start and end must be dateTime values") from exc
        now = self.ctx.org.clock.now()
        if start < now - dt.timedelta(days=30):
            raise SfError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 "
                          "days ago")
        if end <= start:
            raise SfError(400, "INVALID_REPLICATION_DATE", "endDate must be after startDate")
        return start.replace(second=0, microsecond=0), min(end, now).replace(second=0,
                                                                             microsecond=0)


def raise_record(res: dict[str, Any], status: int = 400) -> None:
    err = res["errors"][0]
    raise SfError(status, err["statusCode"], err["message"], err.get("fields") or [])
