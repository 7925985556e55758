"""Reports and Dashboards REST API: create, describe, run, update, delete.

Shapes follow the Reports and Dashboards REST API Developer Guide
(developer.salesforce.com/docs/atlas.en-us.api_analytics.meta): a report is
`reportMetadata` + `reportExtendedMetadata` + `reportTypeMetadata` (`reports` validates
and runs it); dashboards are `dashboardMetadata` with report components, a
`dashboardType` (`SpecifiedUser`, `LoggedInUser` — a dynamic dashboard —, `MyTeamUser`)
and a `runningUser` ({id, displayName}): "either specified at dashboard design time or
overridden by the runningUser parameter; for dynamic dashboards, always the current user"
(Dashboard Describe resource).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..ids import parse_sf_id, sf_id
from .context import Context, V
from .errors import not_found
from .reports import Meta, Reports, bad

DASHBOARD_TYPES = ("SpecifiedUser", "LoggedInUser", "MyTeamUser")


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
        self.engine = Reports(ctx)
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
    def create_report(self, req: Request) -> Response:
        rid = self.new_id("00O")
        meta = self.engine.validated((req.json() or {}).get("reportMetadata"), rid)
        return json_response(self.engine.describe_of(self.reports.put(meta)))

    def describe_report(self, req: Request) -> Response:
        return json_response(self.engine.describe_of(self.reports.of(req)))

    def update_report(self, req: Request) -> Response:
        """PATCH: merge the given reportMetadata into the saved one."""
        old = self.reports.of(req)
        change = (req.json() or {}).get("reportMetadata") or {}
        meta = self.engine.validated({**old, **change}, old["id"])
        return json_response(self.engine.describe_of(self.reports.put(meta)))

    def run_report(self, req: Request) -> Response:
        return json_response(self.engine.run(self.reports.of(req), req.params["v"]))

    # ---- dashboards ------------------------------------------------------------------
    def user(self, ident: Any) -> dict[str, str]:
        """{id, displayName} of an active user, or the 400 an invalid running user gets."""
        parsed = parse_sf_id(str(ident or ""))
        row = self.ctx.org.cursor().execute(
            "SELECT concat_ws(' ', first_name, last_name), active FROM users WHERE n = ?",
            [parsed[1] if parsed and parsed[0] == "005" else -1]).fetchone()
        if row is None:
            raise bad(f"The running user {ident} is invalid")
        if not row[1]:
            raise bad(f"The running user {ident} is inactive")
        return {"id": sf_id("005", parsed[1] if parsed else 0), "displayName": str(row[0])}

    def checked_dashboard(self, meta: Meta) -> Meta:
        """Dashboard metadata whose components name saved reports and whose running user
        is an active user."""
        if not meta.get("name"):
            raise bad("a dashboard needs a name")
        kind = meta.get("dashboardType") or "SpecifiedUser"
        if kind not in DASHBOARD_TYPES:
            raise bad(f"Invalid dashboardType {kind!r} (one of {', '.join(DASHBOARD_TYPES)})")
        given = meta.get("runningUser")
        meta["runningUser"] = self.user(given.get("id") if isinstance(given, dict) else
                                        given or self.ctx.creds.user_id)
        meta["dashboardType"], meta["canChangeRunningUser"] = kind, kind == "SpecifiedUser"
        for comp in meta.get("components") or []:
            if self.reports.get(comp.get("reportId")) is None:
                raise bad(f"The report {comp.get('reportId')} of a component does not exist")
            comp.setdefault("id", self.new_id("01a"))
            comp.setdefault("type", "Report")
        return meta

    def as_viewed(self, meta: Meta, override: str | None = None) -> Meta:
        """The metadata a viewer gets: a dynamic dashboard runs as the viewer (every
        session here is the integration user's); `?runningUser=` overrides a specified
        one where the dashboard allows it."""
        if meta["dashboardType"] == "LoggedInUser":
            if override:
                raise bad("A dynamic dashboard always runs as the logged-in user")
            return {**meta, "runningUser": self.user(self.ctx.creds.user_id)}
        return {**meta, "runningUser": self.user(override)} if override else meta

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
            meta = {"components": [], "layout": {"columns": []}, "filters": [],
                    "dashboardType": "SpecifiedUser", "folderId": self.ctx.creds.user_id,
                    "runningUser": {"id": self.ctx.creds.user_id}, **given, "id": did}
        saved = self.dashboards.put(self.checked_dashboard(meta))
        return json_response(self.as_viewed(saved), 201)

    def describe_dashboard(self, req: Request) -> Response:
        return json_response(self.as_viewed(self.dashboards.of(req)))

    def save_dashboard(self, req: Request) -> Response:
        """PATCH: save dashboardMetadata changes; answers the results."""
        old = self.dashboards.of(req)
        change = (req.json() or {}).get("dashboardMetadata") or {}
        self.dashboards.put(self.checked_dashboard({**old, **change, "id": old["id"]}))
        return self.results(req)

    def results(self, req: Request) -> Response:
        """GET: each component's report results and the metadata, as the running user."""
        meta = self.as_viewed(self.dashboards.of(req), req.arg("runningUser"))
        reports = self.reports.all()
        data = [{"componentId": c["id"], "status": {"dataStatus": "DATA", "refreshStatus":
                                                    "IDLE"},
                 "reportResult": self.engine.run(reports[c["reportId"]], req.params["v"])}
                for c in meta.get("components") or [] if c.get("reportId") in reports]
        return json_response({"componentData": data, "dashboardMetadata": meta})
