"""Reports and Dashboards REST API: reports in folders, dashboards deployed or cloned.

Reports and Dashboards REST API Developer Guide
(developer.salesforce.com/docs/atlas.en-us.api_analytics.meta):
- Report List: GET lists "up to 200 tabular, matrix, or summary reports that you recently
  viewed"; POST creates a report (`reportMetadata`; it goes to `folderId`, else to the
  user's private folder) or, with `?cloneId=`, copies one.
- Report: GET runs it synchronously, PATCH saves changes, DELETE deletes it;
  `…/describe` gives its metadata.
- Dashboard List: GET "returns a list of recently used dashboards"; POST with
  `?cloneId=` copies a dashboard into the folder the body names. There is no other way to
  create one through this API: dashboards come from the Metadata API or a clone.
- Dashboard: GET runs it (`?runningUser=` on a dashboard that allows it), PATCH saves,
  DELETE deletes; `…/describe`; `…/status`. A dashboard's `runningUser` is "either
  specified at dashboard design time or overridden by the runningUser parameter; for
  dynamic dashboards, always the current user".
Folder access (module `folders`) decides who finds, runs and changes what; "recent" is
what the calling user viewed (ran, described, refreshed), so it cannot be used to find an
item by name.
"""

from __future__ import annotations

import copy
from typing import Any

from ..http import Endpoint, Request, Response, json_response
from ..ids import parse_sf_id, sf_id
from .catalog import Catalog, Meta
from .context import Context, V
from .errors import SfError, not_found
from .folders import FolderAccess
from .reports import Reports, bad
from .rights import Viewer

DASHBOARD_TYPES = ("SpecifiedUser", "LoggedInUser", "MyTeamUser")
VIEW, EDIT = 1, 2


def forbidden() -> SfError:
    return SfError(403, "FORBIDDEN",
                   "You don’t have sufficient privileges to perform this operation.")


class Analytics:
    """Reports and dashboards of the catalog, as each calling user may see them."""

    def __init__(self, ctx: Context, catalog: Catalog) -> None:
        self.ctx, self.catalog = ctx, catalog
        self.engine = Reports(ctx, catalog)
        self.folders = FolderAccess(ctx, catalog)
        self.folders.register()

    def endpoints(self) -> list[Endpoint]:
        """Reports and dashboards endpoints."""
        r, d = rf"{V}/analytics/reports", rf"{V}/analytics/dashboards"
        rid, did = r"/(?P<id>00O\w+)", r"/(?P<id>01Z\w+)"
        return [
            Endpoint("GET", rf"{r}/?", "analytics.reports.list", self.list_reports),
            Endpoint("POST", rf"{r}/?", "analytics.reports.create", self.create_report),
            Endpoint("GET", rf"{r}{rid}/describe/?", "analytics.reports.describe",
                     self.describe_report),
            Endpoint("GET", rf"{r}{rid}/?", "analytics.reports.run", self.run_report),
            Endpoint("PATCH", rf"{r}{rid}/?", "analytics.reports.update", self.update_report),
            Endpoint("DELETE", rf"{r}{rid}/?", "analytics.reports.delete", self.delete_report),
            Endpoint("GET", rf"{d}/?", "analytics.dashboards.list", self.list_dashboards),
            Endpoint("POST", rf"{d}/?", "analytics.dashboards.clone", self.clone_dashboard),
            Endpoint("GET", rf"{d}{did}/describe/?", "analytics.dashboards.describe",
                     self.describe_dashboard),
            Endpoint("GET", rf"{d}{did}/status/?", "analytics.dashboards.status", self.status),
            Endpoint("GET", rf"{d}{did}/?", "analytics.dashboards.results", self.results),
            Endpoint("PATCH", rf"{d}{did}/?", "analytics.dashboards.update",
                     self.save_dashboard),
            Endpoint("DELETE", rf"{d}{did}/?", "analytics.dashboards.delete",
                     self.delete_dashboard),
        ]

    # ---- who and what -----------------------------------------------------------------
    def caller(self, req: Request) -> str:
        """The calling user's id."""
        return self.ctx.viewer(req).user_id

    def item(self, req: Request, kind: str, level: int) -> Meta:
        """The report or dashboard the path names, if the caller has `level` on it."""
        store = self.catalog.reports if kind == "Report" else self.catalog.dashboards
        item_id = req.params["id"]
        meta = store.get(item_id) or next((m for i, m in store.items()
                                           if i[:15] == item_id[:15]), None)
        if meta is None:
            raise not_found()
        if self.folders.level(self.ctx.viewer(req), kind, meta) < level:
            raise forbidden()
        return meta

    def target_folder(self, req: Request, kind: str, folder_id: Any) -> int | None:
        """The folder a new item goes to (None: the caller's private folder), which the
        caller must be able to fill."""
        if not folder_id or str(folder_id)[:15] == self.caller(req)[:15]:
            return None
        parsed = parse_sf_id(str(folder_id))
        if parsed is None or parsed[0] != "00l" or \
                self.catalog.folder(f"{kind}Folder", parsed[1]) is None:
            raise bad(f"The folder {folder_id} is not a {kind.lower()} folder")
        if self.folders.folder_level(self.ctx.viewer(req), f"{kind}Folder", parsed[1]) < EDIT:
            raise forbidden()
        return parsed[1]

    def listing(self, req: Request, kind: str) -> Response:
        store = self.catalog.reports if kind == "Report" else self.catalog.dashboards
        viewer, v = self.ctx.viewer(req), req.params["v"]
        out = []
        for item_id in self.catalog.recent(viewer.user_id, "00O" if kind == "Report" else
                                           "01Z"):
            meta = store.get(item_id)
            if meta is None or self.folders.level(viewer, kind, meta) < VIEW:
                continue
            url = f"/services/data/v{v}/analytics/{kind.lower()}s/{item_id}"
            extra = ({"describeUrl": f"{url}/describe", "instancesUrl": f"{url}/instances"}
                     if kind == "Report" else {"statusUrl": f"{url}/status"})
            out.append({"id": item_id, "name": meta["name"], "url": url, **extra})
        return json_response(out)

    # ---- reports ----------------------------------------------------------------------
    def list_reports(self, req: Request) -> Response:
        return self.listing(req, "Report")

    def create_report(self, req: Request) -> Response:
        """POST: a new report in the folder its metadata names (else the caller's private
        folder), or a copy of `?cloneId=`."""
        given = (req.json() or {}).get("reportMetadata") or {}
        if req.arg("cloneId"):
            source = self._readable_report(req)
            given = {**copy.deepcopy(source), **given}
            given.pop("id", None)
        meta = self.engine.validated({k: v for k, v in given.items() if k != "id"}, "")
        return json_response(self.engine.describe_of(self.save_report(req, meta)))

    def _readable_report(self, req: Request) -> Meta:
        source = self.catalog.reports.get(str(req.arg("cloneId")))
        if source is None:
            raise not_found("The report to clone does not exist")
        if self.folders.level(self.ctx.viewer(req), "Report", source) < VIEW:
            raise forbidden()
        return source

    def save_report(self, req: Request, meta: Meta) -> Meta:
        folder_n = self.target_folder(req, "Report", meta.get("folderId"))
        meta["developerName"] = meta.get("developerName") or "".join(
            ch if ch.isalnum() else "_" for ch in str(meta["name"]))
        row = {"developer_name": meta["developerName"], "name": meta["name"],
               "format": str(meta["reportFormat"]).title(),
               "description": meta.get("description")}
        owner = parse_sf_id(self.caller(req))
        self.catalog.save_item("Report", meta, folder_n, owner[1] if owner else 0, row)
        return meta

    def describe_report(self, req: Request) -> Response:
        meta = self.item(req, "Report", VIEW)
        self.catalog.viewed(self.caller(req), meta["id"])
        return json_response(self.engine.describe_of(meta))

    def update_report(self, req: Request) -> Response:
        """PATCH: merge the given reportMetadata into the saved one."""
        old = self.item(req, "Report", EDIT)
        change = (req.json() or {}).get("reportMetadata") or {}
        meta = self.engine.validated({**old, **change}, old["id"])
        meta["folderId"] = change.get("folderId") or old["folderId"]
        return json_response(self.engine.describe_of(self.save_report(req, meta)))

    def run_report(self, req: Request) -> Response:
        meta = self.item(req, "Report", VIEW)
        viewer = self.ctx.viewer(req)
        self.catalog.viewed(viewer.user_id, meta["id"])
        return json_response(self.engine.run(meta, req.params["v"], viewer))

    def delete_report(self, req: Request) -> Response:
        meta = self.item(req, "Report", EDIT)
        if any(c.get("reportId") == meta["id"] for d in self.catalog.dashboards.values()
               for c in d.get("components") or []):
            raise bad("The report is used by a dashboard and can't be deleted")
        self.catalog.delete_item("Report", meta["id"])
        return Response(204)

    # ---- dashboards -------------------------------------------------------------------
    def list_dashboards(self, req: Request) -> Response:
        return self.listing(req, "Dashboard")

    def user(self, ident: Any, active: bool = True) -> dict[str, str]:
        """{id, displayName} of an (active) user, or the 400 an invalid running user
        gets."""
        parsed = parse_sf_id(str(ident or ""))
        row = self.ctx.org.cursor().execute(
            "SELECT concat_ws(' ', first_name, last_name), active FROM users WHERE n = ?",
            [parsed[1] if parsed and parsed[0] == "005" else -1]).fetchone()
        if row is None:
            raise bad(f"The running user {ident} is invalid")
        if active and not row[1]:
            raise bad(f"The running user {ident} is inactive")
        return {"id": sf_id("005", parsed[1] if parsed else 0), "displayName": str(row[0])}

    def checked(self, meta: Meta) -> Meta:
        """Dashboard metadata whose components show saved reports and whose running user
        is an active user."""
        kind = meta.get("dashboardType") or "SpecifiedUser"
        if kind not in DASHBOARD_TYPES:
            raise bad(f"Invalid dashboardType {kind!r} (one of {', '.join(DASHBOARD_TYPES)})")
        if not meta.get("name"):
            raise bad("A dashboard needs a name")
        given = meta.get("runningUser")
        meta["runningUser"] = self.user(given.get("id") if isinstance(given, dict) else given)
        meta["dashboardType"], meta["canChangeRunningUser"] = kind, kind == "SpecifiedUser"
        for comp in meta.get("components") or []:
            if comp.get("reportId") not in self.catalog.reports:
                raise bad(f"The report {comp.get('reportId')} of a component does not exist")
            comp.setdefault("id", self.catalog.new_component_id())
            comp.setdefault("type", "Report")
        return meta

    def as_viewed(self, meta: Meta, me: str, override: str | None = None) -> Meta:
        """The metadata a viewer gets: a dynamic dashboard runs as the viewer;
        `?runningUser=` overrides a specified one where the dashboard allows it."""
        if meta["dashboardType"] == "LoggedInUser":
            if override:
                raise bad("A dynamic dashboard always runs as the logged-in user")
            return {**meta, "runningUser": self.user(me)}
        return {**meta, "runningUser": self.user(override) if override else
                self.user(meta["runningUser"]["id"], active=False)}

    def clone_dashboard(self, req: Request) -> Response:
        """POST `?cloneId=`: a copy of a dashboard the caller can see, in a folder the
        caller can fill (`folderId` in the body)."""
        source_id = req.arg("cloneId")
        if not source_id:
            raise bad("The Dashboard List resource creates dashboards only as copies "
                      "(POST ?cloneId=); deploy new ones with the Metadata API")
        source = self.catalog.dashboards.get(source_id)
        if source is None:
            raise not_found("The dashboard to clone does not exist")
        if self.folders.level(self.ctx.viewer(req), "Dashboard", source) < VIEW:
            raise forbidden()
        body = req.json() or {}
        if not body.get("folderId"):
            raise bad("Cloning a dashboard needs the folderId of the folder to put it in")
        folder_n = self.target_folder(req, "Dashboard", body["folderId"])
        meta = copy.deepcopy(source)
        meta.pop("id", None)
        meta["name"] = body.get("name") or source["name"]
        meta["developerName"] = f"{source['developerName']}_copy_{len(self.catalog.dashboards)}"
        for comp in meta.get("components") or []:
            comp["id"] = self.catalog.new_component_id()
        saved = self.save_dashboard_meta(req, self.checked(meta), folder_n)
        return json_response(self.as_viewed(saved, self.caller(req)), 201)

    def save_dashboard_meta(self, req: Request, meta: Meta, folder_n: int | None) -> Meta:
        running = parse_sf_id(meta["runningUser"]["id"])
        row = {"developer_name": meta["developerName"], "title": meta["name"],
               "dashboard_type": meta["dashboardType"],
               "running_user_n": running[1] if running else None,
               "description": meta.get("description")}
        owner = parse_sf_id(self.caller(req))
        self.catalog.save_item("Dashboard", meta, folder_n, owner[1] if owner else 0, row)
        return meta

    def describe_dashboard(self, req: Request) -> Response:
        meta = self.item(req, "Dashboard", VIEW)
        self.catalog.viewed(self.caller(req), meta["id"])
        return json_response(self.as_viewed(meta, self.caller(req)))

    def save_dashboard(self, req: Request) -> Response:
        """PATCH: save dashboardMetadata changes; answers the results."""
        old = self.item(req, "Dashboard", EDIT)
        change = (req.json() or {}).get("dashboardMetadata") or {}
        meta = self.checked({**copy.deepcopy(old), **change, "id": old["id"],
                             "folderId": old["folderId"]})
        parsed = parse_sf_id(str(old["folderId"]))
        self.save_dashboard_meta(req, meta, parsed[1] if parsed and parsed[0] == "00l"
                                 else None)
        return self.results(req)

    def results(self, req: Request) -> Response:
        """GET: each component's report results and the metadata, as the running user."""
        meta = self.item(req, "Dashboard", VIEW)
        me = self.caller(req)
        self.catalog.viewed(me, meta["id"])
        shown = self.as_viewed(meta, me, req.arg("runningUser"))
        runner = self.ctx.access.viewer(shown["runningUser"]["id"])
        data = [self.component(c, req.params["v"], runner)
                for c in shown.get("components") or [] if c.get("reportId") in
                self.catalog.reports]
        return json_response({"componentData": data, "dashboardMetadata": shown})

    def component(self, comp: Meta, version: str, runner: Viewer) -> dict[str, Any]:
        """One component's data as the running user gets it; a report they may not run
        is this component's error, not the dashboard's."""
        try:
            result = self.engine.run(self.catalog.reports[comp["reportId"]], version, runner)
        except SfError as exc:
            return {"componentId": comp["id"], "reportResult": None, "status": {
                "dataStatus": "ERROR", "errorCode": exc.code, "errorMessage": exc.message,
                "errorSeverity": "Error", "refreshStatus": "IDLE"}}
        return {"componentId": comp["id"], "reportResult": result,
                "status": {"dataStatus": "DATA", "refreshStatus": "IDLE"}}

    def status(self, req: Request) -> Response:
        meta = self.item(req, "Dashboard", VIEW)
        return json_response({"componentStatus": [
            {"componentId": c["id"], "refreshStatus": "IDLE"}
            for c in meta.get("components") or []]})

    def delete_dashboard(self, req: Request) -> Response:
        meta = self.item(req, "Dashboard", EDIT)
        self.catalog.delete_item("Dashboard", meta["id"])
        return Response(204)
