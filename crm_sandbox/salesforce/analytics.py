"""Reports and Dashboards REST API: create, describe, run, update, delete.

Shapes follow the Reports and Dashboards REST API Developer Guide
(developer.salesforce.com/docs/atlas.en-us.api_analytics.meta): a report is
`reportMetadata` + `reportExtendedMetadata` + `reportTypeMetadata`; runs answer a
`factMap` keyed "T!T"; dashboards are `dashboardMetadata` with report components.
Report types are sObject names (or `CustomEntity$Name__c`); runs are tabular.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..ids import sf_id
from .context import Context, V
from .errors import SfError, not_found
from .model import SObject

RUN_ROWS = 2000  # synchronous runs return at most 2,000 detail rows
Meta = dict[str, Any]


def bad(message: str) -> SfError:
    return SfError(400, "BAD_REQUEST", message)


class Saved:
    """Saved reports or dashboards (metadata by id), thread-safe."""

    def __init__(self, kind: str) -> None:
        self.kind = kind  # "reports" or "dashboards": the URL segment
        self._lock = threading.Lock()
        self._items: dict[str, Meta] = {}

    def get(self, item_id: str | None) -> Meta | None:
        with self._lock:
            return self._items.get(item_id or "")

    def of(self, req: Request) -> Meta:
        """The item the request's path names; 404 when there is none."""
        meta = self.get(req.params["id"])
        if meta is None:
            raise not_found()
        return meta

    def put(self, meta: Meta) -> Meta:
        with self._lock:
            self._items[meta["id"]] = meta
        return meta

    def all(self) -> dict[str, Meta]:
        with self._lock:
            return dict(self._items)

    def delete(self, req: Request) -> Response:
        meta = self.of(req)
        with self._lock:
            self._items.pop(meta["id"], None)
        return Response(204)

    def listing(self, req: Request) -> Response:
        """GET analytics/<kind>: id, name and URLs of each saved item."""
        out = []
        for m in self.all().values():
            url = f"/services/data/v{req.params['v']}/analytics/{self.kind}/{m['id']}"
            out.append({"id": m["id"], "name": m["name"], "url": url,
                        **({"describeUrl": f"{url}/describe"} if self.kind == "reports" else {})})
        return json_response(out)


class Analytics:
    """In-memory reports and dashboards over the org's sObjects."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.reports, self.dashboards = Saved("reports"), Saved("dashboards")
        self._lock = threading.Lock()
        self._seq = 0

    def new_id(self, prefix: str) -> str:
        """A new report (00O), dashboard (01Z) or component (01a) id: one sequence."""
        with self._lock:
            self._seq += 1
            return sf_id(prefix, self._seq)

    def endpoints(self) -> list[Endpoint]:
        """Reports and dashboards endpoints."""
        r, d = rf"{V}/analytics/reports", rf"{V}/analytics/dashboards"
        rid, did = r"/(?P<id>00O\w+)", r"/(?P<id>01Z\w+)"
        rs, ds = self.reports, self.dashboards
        return [
            Endpoint("GET", rf"{r}/?", "analytics.reports.list", rs.listing),
            Endpoint("POST", rf"{r}/?", "analytics.reports.create", self.create_report),
            Endpoint("GET", rf"{r}{rid}/describe/?", "analytics.reports.describe",
                     self.describe_report),
            Endpoint("GET", rf"{r}{rid}/?", "analytics.reports.run", self.run_report),
            Endpoint("PATCH", rf"{r}{rid}/?", "analytics.reports.update", self.update_report),
            Endpoint("DELETE", rf"{r}{rid}/?", "analytics.reports.delete", rs.delete),
            Endpoint("GET", rf"{d}/?", "analytics.dashboards.list", ds.listing),
            Endpoint("POST", rf"{d}/?", "analytics.dashboards.create", self.create_dashboard),
            Endpoint("GET", rf"{d}{did}/describe/?", "analytics.dashboards.describe",
                     self.describe_dashboard),
            Endpoint("GET", rf"{d}{did}/?", "analytics.dashboards.results", self.results),
            Endpoint("PATCH", rf"{d}{did}/?", "analytics.dashboards.update",
                     self.save_dashboard),
            Endpoint("DELETE", rf"{d}{did}/?", "analytics.dashboards.delete", ds.delete),
        ]

    # ---- reports ---------------------------------------------------------------------
    def report_object(self, meta: Meta) -> SObject:
        """The sObject a report type names (`X` or `CustomEntity$X`)."""
        rtype = str((meta.get("reportType") or {}).get("type") or "").removeprefix(
            "CustomEntity$")
        obj = self.ctx.registry.get(rtype)
        if obj is None:
            raise bad(f"The report type {rtype!r} is invalid")
        return obj

    def columns(self, obj: SObject, meta: Meta) -> list[tuple[str, Any]]:
        """Detail columns as (column name, field); `Obj.Field` or `Field`."""
        out = []
        for col in meta.get("detailColumns") or []:
            name = str(col).split(".", 1)[1] if str(col).startswith(obj.name + ".") else str(col)
            f = obj.get(name)
            if f is None:
                raise bad(f"The column {col} is invalid")
            out.append((str(col), f))
        return out

    def describe_of(self, meta: Meta) -> dict[str, Any]:
        """The report describe: metadata, extended metadata, report type."""
        obj = self.report_object(meta)
        cols = self.columns(obj, meta)
        return {
            "reportMetadata": meta,
            "reportExtendedMetadata": {
                "detailColumnInfo": {c: {"dataType": f.type, "label": f.label or f.name}
                                     for c, f in cols},
                "aggregateColumnInfo": {"RowCount": {"dataType": "int", "label": "Record Count",
                                                     "acrossGroupingContext": None,
                                                     "downGroupingContext": None}},
                "groupingColumnInfo": {},
            },
            "reportTypeMetadata": {"categories": [], "dataTypeFilterOperatorMap": {},
                                   "type": meta["reportType"]["type"]},
        }

    def validated(self, meta: Any, report_id: str) -> Meta:
        """Report metadata with defaults, its columns checked against describe."""
        if not isinstance(meta, dict) or not meta.get("name"):
            raise bad("reportMetadata with a name is required")
        out: Meta = {
            "reportFormat": "TABULAR", "detailColumns": [], "groupingsDown": [],
            "groupingsAcross": [], "aggregates": ["RowCount"], "reportFilters": [],
            "reportBooleanFilter": None, "folderId": self.ctx.creds.user_id, **meta,
            "id": report_id}
        out["developerName"] = out.get("developerName") or "".join(
            ch if ch.isalnum() else "_" for ch in str(out["name"]))
        self.describe_of(out)
        return out

    def create_report(self, req: Request) -> Response:
        rid = self.new_id("00O")
        meta = self.validated((req.json() or {}).get("reportMetadata"), rid)
        return json_response(self.describe_of(self.reports.put(meta)))

    def describe_report(self, req: Request) -> Response:
        return json_response(self.describe_of(self.reports.of(req)))

    def update_report(self, req: Request) -> Response:
        """PATCH: merge the given reportMetadata into the saved one."""
        old = self.reports.of(req)
        change = (req.json() or {}).get("reportMetadata") or {}
        meta = self.validated({**old, **change}, old["id"])
        return json_response(self.describe_of(self.reports.put(meta)))

    def run_report(self, req: Request) -> Response:
        return json_response(self.run(self.reports.of(req), req.params["v"]))

    def run(self, meta: Meta, version: str) -> dict[str, Any]:
        """Run a report synchronously: tabular detail rows and the record count."""
        obj = self.report_object(meta)
        cols = self.columns(obj, meta)
        names = ", ".join(f.name for _, f in cols) or "Id"
        c = self.ctx.queries.compile(f"SELECT {names} FROM {obj.name}", version, False)
        total = self.ctx.queries.count(c)
        rows = self.ctx.org.cursor().execute(f"{c.json_sql()} LIMIT {RUN_ROWS}",
                                             c.params).fetchall()
        data = []
        for (text,) in rows:
            rec = json.loads(text)
            data.append({"dataCells": [{"label": "" if rec[f.name] is None else str(rec[f.name]),
                                        "value": rec[f.name]} for _, f in cols]})
        return {
            "attributes": {"reportId": meta["id"], "reportName": meta["name"], "type": "Report"},
            "allData": total <= RUN_ROWS, "hasDetailRows": True,
            "factMap": {"T!T": {"rows": data, "aggregates": [{"label": f"{total:,}",
                                                               "value": total}]}},
            **self.describe_of(meta),
        }

    # ---- dashboards ------------------------------------------------------------------
    def checked_dashboard(self, meta: Meta) -> Meta:
        """Dashboard metadata whose components name saved reports."""
        if not meta.get("name"):
            raise bad("a dashboard needs a name")
        for comp in meta.get("components") or []:
            if self.reports.get(comp.get("reportId")) is None:
                raise bad(f"The report {comp.get('reportId')} of a component does not exist")
            comp.setdefault("id", self.new_id("01a"))
            comp.setdefault("type", "Report")
        return meta

    def create_dashboard(self, req: Request) -> Response:
        """POST: a new dashboard, or a copy with `?cloneId=`."""
        did, clone = self.new_id("01Z"), req.arg("cloneId")
        if clone:
            source = self.dashboards.get(clone)
            if source is None:
                raise not_found("The dashboard to clone does not exist")
            meta = {**json.loads(json.dumps(source)), "id": did, "name": source["name"] + " (copy)"}
        else:
            body = req.json() or {}
            given = body.get("dashboardMetadata") or body
            user = self.ctx.creds.user_id
            meta = {"components": [], "layout": {"columns": []}, "filters": [],
                    "dashboardType": "SpecifiedUser", "folderId": user,
                    "runningUser": {"id": user, "displayName": "Sandbox Integration"},
                    **given, "id": did}
        return json_response(self.dashboards.put(self.checked_dashboard(meta)), 201)

    def describe_dashboard(self, req: Request) -> Response:
        return json_response(self.dashboards.of(req))

    def save_dashboard(self, req: Request) -> Response:
        """PATCH: save dashboardMetadata changes; answers the results."""
        old = self.dashboards.of(req)
        change = (req.json() or {}).get("dashboardMetadata") or {}
        self.dashboards.put(self.checked_dashboard({**old, **change, "id": old["id"]}))
        return self.results(req)

    def results(self, req: Request) -> Response:
        """GET: each component's report results and the dashboard metadata."""
        meta = self.dashboards.of(req)
        reports = self.reports.all()
        data = [{"componentId": c["id"], "status": {"dataStatus": "DATA", "refreshStatus":
                                                    "IDLE"},
                 "reportResult": self.run(reports[c["reportId"]], req.params["v"])}
                for c in meta.get("components") or [] if c.get("reportId") in reports]
        return json_response({"componentData": data, "dashboardMetadata": meta})
