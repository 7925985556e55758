"""ReportFolder, DashboardFolder, Report and Dashboard as a deploy reads and saves them.

Metadata API Developer Guide: "Folder" (`name` is the label; `accessType`; `folderShares`
with `accessLevel` View/EditAllContents/Manage, `sharedTo` and `sharedToType`),
"Report" ("This metadata type only supports custom reports"; `name`, `format`,
`reportType`, `columns` with `aggregateTypes`, `groupingsDown`, `filter/criteriaItems`,
`scope`, `showDetails`) and "Dashboard" (`title`, the colours and `titleSize` it requires,
`dashboardType` SpecifiedUser/LoggedInUser/MyTeamUser, `runningUser` as a username,
components in `leftSection`/`middleSection`/`rightSection` or a `dashboardGridLayout`,
each naming its report as `Folder/ReportName`). Reports become what the Reports REST API
serves (their `reportMetadata`); the sandbox serves custom object report types
(`CustomEntity$X__c`), formats Tabular and Summary. "Dashboards can have up to 20
components."
"""

from __future__ import annotations

from typing import Any

from ..ids import parse_sf_id, sf_id
from .folders import FolderAccess
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, INT, TEXT, Node, Problem, checked, named, spec
from .reports import Reports as Engine

ACCESS = ("View", "EditAllContents", "Manage")
SHARE_TYPES = ("Group", "Role", "RoleAndSubordinates", "RoleAndSubordinatesInternal",
               "Organization", "User", "Manager", "ManagerAndSubordinatesInternal")
FOLDER = spec("Folder", accessType=("Shared", "Public", "Hidden", "PublicInternal"),
              folderShares__=spec("FolderShare", accessLevel_=ACCESS, sharedTo_=TEXT,
                                  sharedToType_=SHARE_TYPES), name_=TEXT,
              publicFolderAccess=("ReadOnly", "ReadWrite"))
SUMMARY_TYPES = ("Sum", "Average", "Maximum", "Minimum", "Unique", "Median", "None")
AGGREGATE = {"Sum": "s", "Average": "a", "Minimum": "m", "Maximum": "mx"}
OPERATORS = ("equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual",
             "greaterOrEqual", "contains", "notContain", "startsWith", "includes", "excludes",
             "within")
GRANULARITY = ("None", "Day", "Week", "Month", "Quarter", "Year", "FiscalQuarter",
               "FiscalYear")
CHART = spec("ReportChart", backgroundColor1=TEXT, backgroundColor2=TEXT,
             backgroundFadeDir=TEXT, chartSummaries__=spec(
                 "ChartSummary", aggregate=SUMMARY_TYPES, axisBinding=TEXT, column_=TEXT),
             chartType_=TEXT, enableHoverLabels=BOOL, expandOthers=BOOL, groupingColumn=TEXT,
             legendPosition=TEXT, location=TEXT, showAxisLabels=BOOL, showPercentage=BOOL,
             showTotal=BOOL, showValues=BOOL, size=TEXT, summaryAxisRange=TEXT,
             textColor=TEXT, textSize=INT, title=TEXT, titleColor=TEXT, titleSize=INT)
REPORT = spec("Report", chart=CHART, columns__=spec(
    "ReportColumn", aggregateTypes__=SUMMARY_TYPES, field_=TEXT), description=TEXT,
    filter=spec("ReportFilter", booleanFilter=TEXT, criteriaItems__=spec(
        "ReportFilterItem", column_=TEXT, columnToColumn=BOOL, isUnlocked=BOOL,
        operator_=OPERATORS, value=TEXT)),
    format_=("MultiBlock", "Matrix", "Summary", "Tabular"), groupingsDown__=spec(
        "ReportGrouping", dateGranularity=GRANULARITY, field_=TEXT, sortOrder_=("Asc", "Desc")),
    name_=TEXT, params__=spec("ReportParam", name_=TEXT, value_=TEXT), reportType_=TEXT,
    scope=TEXT, showDetails=BOOL, showGrandTotal=BOOL, showSubTotals=BOOL,
    sortColumn=TEXT, sortOrder=("Asc", "Desc"),
    timeFrameFilter=spec("ReportTimeFrameFilter", dateColumn_=TEXT, endDate=TEXT,
                         interval_=TEXT, startDate=TEXT))
REPORT_NAME, FOLDER_LABEL, DASHBOARD_TITLE, COMPONENTS = 40, 40, 80, 20


def folder_kind(kind: str) -> str:
    return "Report" if kind == "ReportFolder" else "Dashboard"


class Folders:
    """ReportFolder and DashboardFolder: a folder, and who it is shared with."""

    def __init__(self, kind: str) -> None:
        self.type = kind

    def parse(self, comp: Component, plan: Plan) -> dict[str, Any]:
        root = checked(comp.root, FOLDER)
        label = named(root, comp.full_name, "folder", "name", FOLDER_LABEL)
        shares = [{"accessLevel": s.get("accessLevel"), "sharedTo": s.get("sharedTo"),
                   "sharedToType": s.get("sharedToType")} for s in root.all("folderShares")]
        return {"name": comp.full_name, "label": label, "shares": shares,
                "accessType": root.get("accessType") or ("Shared" if shares else "Hidden")}

    def check(self, item: Item, plan: Plan) -> None:
        access = FolderAccess(plan.ctx, plan.catalog)
        for share in item.value["shares"]:
            why = access.share_problem(share)
            if why:
                raise Problem(why)

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        f = item.value
        row = {"developer_name": f["name"], "name": f["label"],
               "folder_type": folder_kind(self.type), "access_type": f["accessType"]}
        n, created = plan.catalog.put(self.type, f["name"], "sf_md_folders", row,
                                      {**f, "owner": plan.user_id})
        return sf_id("00l", n), created


class ReportFiles:
    """Report: a custom report in a folder, as the Reports REST API then serves it."""

    type = "Report"

    def parse(self, comp: Component, plan: Plan) -> dict[str, Any]:
        root = checked(comp.root, REPORT)
        folder, _, dev = comp.full_name.partition("/")
        name = named(root, dev, "report", "name", REPORT_NAME)
        rtype = root.get("reportType") or ""
        if not rtype.startswith("CustomEntity$"):
            raise root.problem(f"The sandbox serves reports of custom object report types "
                               f"(CustomEntity$…), not {rtype}")
        fmt = root.get("format")
        if fmt not in ("Tabular", "Summary"):
            raise root.problem(f"The sandbox serves Tabular and Summary reports, not {fmt}")
        scope = root.get("scope") or "organization"
        if scope not in ("organization", "user"):
            raise root.problem(f"The sandbox serves report scopes organization and user, "
                               f"not {scope}")
        frame = root.one("timeFrameFilter")
        if frame is not None and frame.get("interval") != "INTERVAL_CUSTOM":
            raise frame.problem("The sandbox serves timeFrameFilter intervals of "
                                "INTERVAL_CUSTOM only")
        meta = {"name": name, "developerName": dev, "description": root.get("description"),
                "reportFormat": fmt.upper(), "reportType": {"type": rtype},
                "scope": scope, "hasDetailRows": root.flag("showDetails", True),
                **_columns(root), **_filters(root, frame)}
        return {"folder": folder, "meta": meta, "node": root}

    def check(self, item: Item, plan: Plan) -> None:
        r = item.value
        if not plan.has("ReportFolder", r["folder"]):
            raise Problem(f"The report folder {r['folder']} does not exist")
        obj = r["meta"]["reportType"]["type"].removeprefix("CustomEntity$")
        if plan.sobject(obj) is None or not plan.object_flag(obj, "enableReports"):
            raise Problem(f"invalid report type CustomEntity${obj}: the object must exist "
                          "with enableReports true")
        engine = Engine(plan.ctx, plan.catalog)
        meta = {**r["meta"], "groupingsDown": [
            {**g, "dateGranularity": g["dateGranularity"] if engine.is_date(
                r["meta"], g["name"]) else "None"} for g in r["meta"]["groupingsDown"]]}
        try:
            r["meta"] = engine.validated(meta, "", reportable=True)
        except Exception as exc:  # the engine's 400: one of the report's columns
            raise Problem(str(getattr(exc, "message", exc))) from None

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        r = item.value
        meta = dict(r["meta"])
        old = plan.catalog.named("Report", f"{r['folder']}/{meta['developerName']}")
        if old is not None:
            meta["id"] = old["id"]
        folder_n = plan.catalog.key_of("ReportFolder", r["folder"])
        row = {"developer_name": meta["developerName"], "name": meta["name"],
               "format": meta["reportFormat"].title(), "description": meta.get("description")}
        return plan.catalog.save_item("Report", meta, folder_n, _user_n(plan.user_id), row)


def _columns(root: Node) -> dict[str, Any]:
    cols, aggs = [], ["RowCount"]
    for c in root.all("columns"):
        field = c.get("field") or ""
        cols.append(field)
        for a in c.texts("aggregateTypes"):
            if a not in AGGREGATE:
                raise c.problem(f"The sandbox serves the aggregates Sum, Average, Minimum "
                                f"and Maximum, not {a}")
            aggs.append(f"{AGGREGATE[a]}!{field}")
    groups = [{"name": g.get("field"), "sortOrder": g.get("sortOrder"),
               "dateGranularity": g.get("dateGranularity") or "None"}
              for g in root.all("groupingsDown")]
    return {"detailColumns": cols, "aggregates": aggs, "groupingsDown": groups}


def _filters(root: Node, frame: Node | None) -> dict[str, Any]:
    flt = root.one("filter")
    items = [{"column": i.get("column"), "operator": i.get("operator"),
              "value": i.get("value") or ""} for i in (flt.all("criteriaItems") if flt
                                                        is not None else [])]
    logic = flt.get("booleanFilter") if flt is not None else None
    if frame is not None:
        for op, key in (("greaterOrEqual", "startDate"), ("lessOrEqual", "endDate")):
            if frame.get(key):
                items.append({"column": frame.get("dateColumn"), "operator": op,
                              "value": frame.get(key)})
                if logic:
                    logic = f"({logic}) AND {len(items)}"
    return {"reportFilters": items, "reportBooleanFilter": logic}


def _user_n(user_id: str) -> int:
    parsed = parse_sf_id(user_id)
    return parsed[1] if parsed else 0
