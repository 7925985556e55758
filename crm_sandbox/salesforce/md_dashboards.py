"""Dashboard as a deploy reads, checks and saves it (Metadata API Developer Guide,
"Dashboard"): the dashboard the Dashboards REST API then describes, runs and clones.

Required: `backgroundEndColor`, `backgroundFadeDirection`, `backgroundStartColor`,
`textColor`, `title`, `titleColor`, `titleSize`. `dashboardType` defaults to
SpecifiedUser, which needs `runningUser` (an active user's username); a LoggedInUser
(dynamic) dashboard runs as whoever views it. Components sit in `leftSection`,
`middleSection`, `rightSection` (each with `columnSize`) or in a `dashboardGridLayout`;
each names a report of a folder (`Folder/ReportName`, never a private report); a chart
(everything but Table, Metric and Gauge) needs a report with groupings.
"""

from __future__ import annotations

from typing import Any

from ..ids import parse_sf_id, sf_id
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, INT, NUMBER, TEXT, Node, Problem, checked, named, spec

SUMMARY_TYPES = ("Sum", "Average", "Maximum", "Minimum", "Unique", "Median", "None")
COMPONENT_TYPES = ("Bar", "BarGrouped", "BarStacked", "BarStacked100", "Column",
                   "ColumnGrouped", "ColumnStacked", "ColumnStacked100", "Line", "LineGrouped",
                   "Pie", "Table", "Metric", "Gauge", "LineCumulative", "Donut", "Funnel",
                   "FlexTable")
UNGROUPED = ("Table", "Metric", "Gauge", "FlexTable")
SORTS = ("RowLabelAscending", "RowLabelDescending", "RowValueAscending", "RowValueDescending")
COMPONENT = spec(
    "DashboardComponent", autoselectColumnsFromReport=BOOL,
    chartAxisRange=("Auto", "Manual"), chartAxisRangeMax=NUMBER, chartAxisRangeMin=NUMBER,
    chartSummary__=spec("ChartSummary", aggregate=SUMMARY_TYPES, axisBinding=TEXT,
                        column_=TEXT), componentType_=COMPONENT_TYPES,
    dashboardTableColumn__=spec("DashboardTableColumn", aggregateType=SUMMARY_TYPES,
                                calculatePercent=BOOL, column_=TEXT, decimalPlaces=INT,
                                showSubTotal=BOOL, showTotal=BOOL, sortBy=SORTS),
    decimalPrecision=INT, displayUnits=("Auto", "Integer", "Hundreds", "Thousands",
                                        "Millions", "Billions", "Trillions"),
    drillEnabled=BOOL, drillToDetailEnabled=BOOL, enableHover=BOOL, expandOthers=BOOL,
    footer=TEXT, gaugeMax=NUMBER, gaugeMin=NUMBER, groupingColumn__=TEXT, header=TEXT,
    indicatorBreakpoint1=NUMBER, indicatorBreakpoint2=NUMBER, indicatorHighColor=TEXT,
    indicatorLowColor=TEXT, indicatorMiddleColor=TEXT,
    legendPosition=("Right", "Bottom", "OnChart"), maxValuesDisplayed=INT, metricLabel=TEXT,
    report_=TEXT, showPercentage=BOOL, showRange=BOOL, showTotal=BOOL, showValues=BOOL,
    sortBy=SORTS, title=TEXT, useReportChart=BOOL)
SECTION = spec("DashboardComponentSection", columnSize_=("Narrow", "Medium", "Wide"),
               components__=COMPONENT)
GRID = spec("DashboardGridLayout", dashboardGridComponents__=spec(
    "DashboardGridComponent", colSpan_=INT, columnIndex_=INT, dashboardComponent_=COMPONENT,
    rowIndex_=INT, rowSpan_=INT), numberOfColumns_=INT, rowHeight_=INT)
DASHBOARD = spec(
    "Dashboard", backgroundEndColor_=TEXT,
    backgroundFadeDirection_=("TopToBottom", "LeftToRight", "Diagonal"),
    backgroundStartColor_=TEXT, chartTheme=("light", "dark"), colorPalette=TEXT,
    dashboardGridLayout=GRID, dashboardType=("SpecifiedUser", "LoggedInUser", "MyTeamUser"),
    description=TEXT, isGridLayout=BOOL, leftSection=SECTION, middleSection=SECTION,
    rightSection=SECTION, runningUser=TEXT, textColor_=TEXT, title_=TEXT, titleColor_=TEXT,
    titleSize_=INT)
TITLE, COMPONENTS = 80, 20


def components_of(root: Node) -> list[tuple[Node, dict[str, Any]]]:
    """(node, layout) of each component, in reading order."""
    out: list[tuple[Node, dict[str, Any]]] = []
    for column, section in enumerate(("leftSection", "middleSection", "rightSection")):
        node = root.one(section)
        if node is None:
            continue
        for c in node.all("components"):
            out.append((c, {"column": column, "columnSize": node.get("columnSize")}))
    grid = root.one("dashboardGridLayout")
    for g in grid.all("dashboardGridComponents") if grid is not None else []:
        comp = g.one("dashboardComponent")
        assert comp is not None
        out.append((comp, {k: int(g.get(k) or 0) for k in ("rowIndex", "columnIndex",
                                                           "rowSpan", "colSpan")}))
    return out


class DashboardFiles:
    """Dashboard: components showing folder reports, run as a user or as the viewer."""

    type = "Dashboard"

    def parse(self, comp: Component, plan: Plan) -> dict[str, Any]:
        root = checked(comp.root, DASHBOARD)
        folder, _, dev = comp.full_name.partition("/")
        title = named(root, dev, "dashboard", "title", TITLE)
        parts = components_of(root)
        if len(parts) > COMPONENTS:
            raise root.problem(f"Dashboards can have up to {COMPONENTS} components")
        if root.one("dashboardGridLayout") is not None and any(
                root.one(s) is not None for s in ("leftSection", "middleSection",
                                                  "rightSection")):
            raise root.problem("A dashboard has either sections or a dashboardGridLayout")
        kind = root.get("dashboardType") or "SpecifiedUser"
        if kind == "SpecifiedUser" and not root.get("runningUser"):
            raise root.problem("A SpecifiedUser dashboard needs its runningUser")
        return {"folder": folder, "developerName": dev, "title": title, "node": root,
                "dashboardType": kind, "runningUser": root.get("runningUser"),
                "description": root.get("description"), "parts": parts}

    def check(self, item: Item, plan: Plan) -> None:
        d = item.value
        if not plan.has("DashboardFolder", d["folder"]):
            raise Problem(f"The dashboard folder {d['folder']} does not exist")
        if d["runningUser"] and running_user(plan, d["runningUser"]) is None:
            raise d["node"].problem(f"The running user {d['runningUser']} is not an active "
                                    "user")
        for node, _ in d["parts"]:
            report = self.report_of(plan, node.get("report") or "")
            if report is None:
                raise node.problem(f"The report {node.get('report')} does not exist in a "
                                   "report folder")
            if node.get("componentType") not in UNGROUPED and not report.get("groupingsDown"):
                raise node.problem(f"A {node.get('componentType')} chart needs a report with "
                                   f"groupings: {node.get('report')} has none")

    @staticmethod
    def report_of(plan: Plan, name: str) -> dict[str, Any] | None:
        item = plan.item("Report", name)
        if item is not None:
            return dict(item.value["meta"])
        return plan.catalog.named("Report", name)

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        d = item.value
        old = plan.catalog.named("Dashboard", f"{d['folder']}/{d['developerName']}")
        user_n = running_user(plan, d["runningUser"]) if d["runningUser"] else None
        owner_n = _n(plan.user_id)
        components = []
        for node, layout in d["parts"]:
            report = plan.catalog.named("Report", node.get("report") or "")
            assert report is not None
            components.append({
                "id": plan.catalog.new_component_id(), "header": node.get("header"),
                "title": node.get("title"), "footer": node.get("footer"),
                "reportId": report["id"], "type": "Report", "layout": layout,
                "properties": {"visualizationType": node.get("componentType")}})
        meta = {"name": d["title"], "developerName": d["developerName"],
                "description": d["description"], "dashboardType": d["dashboardType"],
                "runningUser": {"id": sf_id("005", user_n if user_n is not None else owner_n)},
                "canChangeRunningUser": d["dashboardType"] == "SpecifiedUser",
                "components": components, "filters": [], **({"id": old["id"]} if old else {})}
        row = {"developer_name": d["developerName"], "title": d["title"],
               "dashboard_type": d["dashboardType"], "running_user_n": user_n,
               "description": d["description"]}
        return plan.catalog.save_item("Dashboard", meta,
                                      plan.catalog.key_of("DashboardFolder", d["folder"]),
                                      owner_n, row)


def running_user(plan: Plan, username: str) -> int | None:
    """The key of the active user with this username."""
    row = plan.ctx.org.cursor().execute(
        "SELECT n FROM users WHERE lower(username) = lower(?) AND active", [username]
    ).fetchone()
    return int(row[0]) if row else None


def _n(user_id: str) -> int:
    parsed = parse_sf_id(user_id)
    return parsed[1] if parsed else 0
