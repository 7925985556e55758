"""The Metadata API files of what setup deploys, each as the Metadata API Developer Guide
describes its type (file-based deploy, the `.object`, `.tab`, `.permissionset`,
`.report`, `.dashboard`, `.flexipage` and `.sharingRules` formats and their folder
metadata files).

Every file derives from the writer mapping: the fields the writer owns (`fields.py`),
the names in `names.py`. Nothing here talks to Salesforce; `bundle.py` zips the files.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Union

from connector.crms.salesforce.fields import RECORD_FIELDS, FieldDef
from connector.crms.salesforce.mapping import PushMapping, field_name
from connector.crms.salesforce.names import (
    CARD,
    LIST_VIEW,
    PAGE_OBJECTS,
    REPORT,
    REPORT_FOLDER,
    SHARING_RULE,
)
from connector.presentation import AS_OF, Slot, kpi_slots, managed_description

NAMESPACE = "http://soap.sforce.com/2006/04/metadata"
Value = Union[str, int, bool, "Tree"]
Tree = list[tuple[str, Value]]
"""An element's children in order: (tag, text or children)."""
OBJECT_LABEL, OBJECT_PLURAL = "Sales KPI", "Sales KPIs"
TAB_MOTIF = "Custom20: Airplane"
LIST_VIEW_COLUMNS = 15  # what a list view shows at most


def render(root: str, tree: Tree) -> bytes:
    """A metadata file: the XML declaration, `root` in the metadata namespace, `tree`."""
    element = ET.Element(root, xmlns=NAMESPACE)
    _fill(element, tree)
    ET.indent(element, "    ")
    text = ET.tostring(element, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{text}\n'.encode()


def _fill(parent: ET.Element, tree: Tree) -> None:
    for tag, value in tree:
        child = ET.SubElement(parent, tag)
        if isinstance(value, list):
            _fill(child, value)
        elif isinstance(value, bool):
            child.text = "true" if value else "false"
        else:
            child.text = str(value)


def _types(members: dict[str, list[str]]) -> Tree:
    return [("types", [*(("members", m) for m in sorted(names)), ("name", kind)])
            for kind, names in sorted(members.items())]  # fmt: skip


def package_xml(members: dict[str, list[str]], api_version: str) -> bytes:
    """The manifest: each type's members, sorted, and the API version files are read in."""
    return render("Package", [*_types(members), ("version", api_version)])


def destructive_xml(members: dict[str, list[str]]) -> bytes:
    """A delete manifest (`destructiveChangesPost.xml`): package.xml's format, no
    wildcards, no version (the Metadata API Developer Guide, "Deleting Components from
    an Organization")."""
    return render("Package", _types(members))


def _value_field(push: PushMapping, slot: Slot) -> str:
    return field_name(push.kpi_fields[slot.kpi.key], slot)


def headline_fields(push: PushMapping, most: int) -> list[str]:
    """The KPI object's fields a list or a search shows: revenue's value, target,
    attainment and pace, then the value of each other whole-scope KPI."""
    slots = [s for s in kpi_slots(push.kpi_fields) if s.breakdown is None]
    first = [s for s in slots if s.kpi.key == "total_revenue"]
    rest = [s for s in slots if s.kpi.key != "total_revenue" and s.part == "value"]
    return [_value_field(push, s) for s in [*first, *rest]][:most]


def custom_object(push: PushMapping) -> bytes:
    """The KPI object's own attributes (its fields come from the Tooling API and stay):
    a Text name the writer sets, Private sharing, search and reports on, a list view
    "My KPIs" and search layouts. Bulk API, sharing and streaming stay on together, as
    Salesforce requires of them, so that the push can use Bulk API 2.0."""
    period, scope = RECORD_FIELDS["period"][0], RECORD_FIELDS["scope_name"][0]
    shown = [period, scope, *headline_fields(push, 3)]
    # "as of" beside the period: a failed night leaves figures that look current otherwise
    fixed = [RECORD_FIELDS["period_type"][0], period, RECORD_FIELDS[AS_OF][0]]
    columns = ["NAME", *fixed, *headline_fields(push, LIST_VIEW_COLUMNS - 1 - len(fixed))]
    list_view: Tree = [("fullName", LIST_VIEW), *(("columns", c) for c in columns),
                       ("filterScope", "Mine"), ("label", "My KPIs")]  # fmt: skip
    layouts: Tree = [
        *(("customTabListAdditionalFields", f) for f in shown),
        *(("lookupDialogsAdditionalFields", f) for f in shown[:2]),
        *(("searchResultsAdditionalFields", f) for f in shown),
    ]
    return render("CustomObject", [
        ("deploymentStatus", "Deployed"),
        ("description", managed_description("one record per period and scope")),
        ("enableActivities", False), ("enableBulkApi", True), ("enableFeeds", False),
        ("enableHistory", False), ("enableReports", True), ("enableSearch", True),
        ("enableSharing", True), ("enableStreamingApi", True),
        ("externalSharingModel", "Private"), ("label", OBJECT_LABEL),
        ("listViews", list_view),
        ("nameField", [("label", "KPI record"), ("type", "Text")]),
        ("pluralLabel", OBJECT_PLURAL), ("searchLayouts", layouts),
        ("sharingModel", "Private"),
    ])  # fmt: skip


def custom_tab() -> bytes:
    """The KPI object's tab (its name is the object's)."""
    return render("CustomTab", [("customObject", True), ("motif", TAB_MOTIF)])


def _field_permissions(fields: dict[str, list[FieldDef]], editable: bool) -> Tree:
    return [
        ("fieldPermissions", [("editable", editable), ("field", f"{sobject}.{f.name}"),
                              ("readable", True)])
        for sobject, defs in fields.items() for f in defs
    ]  # fmt: skip


def _object_rights(sobject: str, *granted: str) -> Tree:
    """An `objectPermissions` element: the rights `granted` true, every other one false."""
    rights = ("allowCreate", "allowDelete", "allowEdit", "allowRead", "modifyAllRecords")
    tree: Tree = [(r, r in granted) for r in rights]
    return [*tree, ("object", sobject), ("viewAllRecords", "viewAllRecords" in granted)]


def writer_permission_set(push: PushMapping, fields: dict[str, list[FieldDef]]) -> bytes:
    """The integration user's: Edit on exactly the fields the writer writes; on the KPI
    object Create, Read, Edit, View All and Modify All (its rows belong to the reps they
    describe; Salesforce makes Modify All depend on Delete, which the writer never uses)."""
    rights = _object_rights(push.object, "allowCreate", "allowDelete", "allowEdit", "allowRead",
                            "modifyAllRecords", "viewAllRecords")  # fmt: skip
    return render("PermissionSet", [
        ("description", "crm-kpi's integration user: writes the KPI records and the KPI "
                        "fields of users and accounts. Deployed by crm-kpi setup."),
        *_field_permissions(fields, editable=True),
        ("hasActivationRequired", False), ("label", "crm-kpi integration"),
        ("objectPermissions", rights),
    ])  # fmt: skip


def reader_permission_set(push: PushMapping, fields: dict[str, list[FieldDef]]) -> bytes:
    """Readers': Read on the KPI object and its fields, on the User and Account KPI
    fields, and the tab. Which rows they read is sharing's business."""
    rights = _object_rights(push.object, "allowRead")
    return render("PermissionSet", [
        ("description", "Read the sales KPIs crm-kpi writes: the KPI records sharing lets "
                        "you see, the KPI fields of users and accounts, the tab and card."),
        *_field_permissions(fields, editable=False),
        ("hasActivationRequired", False), ("label", "crm-kpi readers"),
        ("objectPermissions", rights),
        ("tabSettings", [("tab", push.object), ("visibility", "Visible")]),
    ])  # fmt: skip


def report_folder() -> bytes:
    """A report folder every internal user can view."""
    return _folder("ReportFolder", "Sales KPIs (crm-kpi)")


def dashboard_folder() -> bytes:
    """A dashboard folder every internal user can view."""
    return _folder("DashboardFolder", "Sales KPIs (crm-kpi)")


def _folder(kind: str, label: str) -> bytes:
    share: Tree = [("accessLevel", "View"), ("sharedTo", "AllInternalUsers"),
                   ("sharedToType", "Organization")]  # fmt: skip
    return render(kind, [("folderShares", share), ("name", label)])


def report(push: PushMapping) -> bytes:
    """A summary report over the KPI object grouped by period type and period (latest
    first): per record its name, scope and when it was computed and, per KPI, value,
    target, attainment, pace."""
    obj = push.object
    columns = ["CUST_NAME"] + [f"{obj}.{RECORD_FIELDS[c][0]}" for c in ("scope_type",
                                                                          "scope_name", AS_OF)]
    columns += [f"{obj}.{_value_field(push, s)}" for s in kpi_slots(push.kpi_fields)
                if s.breakdown is None]  # fmt: skip
    listed: Tree = [("columns", [("field", c)]) for c in columns]
    groupings: Tree = [
        ("groupingsDown", [("dateGranularity", "Day"), ("field", f"{obj}.{RECORD_FIELDS[c][0]}"),
                           ("sortOrder", order)])
        for c, order in (("period_type", "Asc"), ("period", "Desc"))
    ]  # fmt: skip
    return render("Report", [
        *listed,
        ("description", "Sales KPIs by period and scope, written by crm-kpi each night."),
        ("format", "Summary"),
        *groupings,
        ("name", push.report_name),
        ("reportType", f"CustomEntity${obj}"), ("scope", "organization"),
        ("showDetails", True), ("showGrandTotal", True), ("showSubTotals", True),
        ("timeFrameFilter", [("dateColumn", f"{obj}.{RECORD_FIELDS['period_start'][0]}"),
                             ("interval", "INTERVAL_CUSTOM")]),
    ])  # fmt: skip


def dashboard(push: PushMapping) -> bytes:
    """A dynamic dashboard (`LoggedInUser`: it runs as the viewer, so each person sees
    the rows sharing lets them see) showing the report as a table."""
    table: Tree = [("autoselectColumnsFromReport", True), ("componentType", "Table"),
                   ("displayUnits", "Auto"), ("header", "Sales KPIs by period and scope"),
                   ("report", f"{REPORT_FOLDER}/{REPORT}"), ("sortBy", "RowLabelAscending")]
    return render("Dashboard", [
        ("backgroundEndColor", "#FFFFFF"), ("backgroundFadeDirection", "Diagonal"),
        ("backgroundStartColor", "#FFFFFF"), ("dashboardType", "LoggedInUser"),
        ("description", "Each viewer's own KPIs (a manager's team's): it runs as the viewer."),
        ("leftSection", [("columnSize", "Wide"), ("components", table)]),
        ("rightSection", [("columnSize", "Narrow")]),
        ("textColor", "#000000"), ("title", push.dashboard_name), ("titleColor", "#000000"),
        ("titleSize", 12),
    ])  # fmt: skip


def _component(name: str, identifier: str) -> tuple[str, Value]:
    return ("itemInstances", [("componentInstance", [("componentName", name),
                                                     ("identifier", identifier)])])


def _region(name: str, *items: tuple[str, Value]) -> tuple[str, Value]:
    return ("flexiPageRegions", [*items, ("name", name), ("type", "Region")])


def flexipage(kind: str) -> bytes:
    """A Lightning page with the KPI card: the Home page (card on top), or a record page of
    User, Account or Opportunity (highlights, details, the card in the sidebar)."""
    card = _component(f"c:{CARD}", CARD)
    if kind == "home":
        return render("FlexiPage", [
            _region("top", card),
            _region("bottomLeft", _component("home:recentRecordContainer", "home_recent")),
            ("masterLabel", "Home with Sales KPIs"),
            ("template", [("name", "home:desktopTemplate")]), ("type", "HomePage"),
        ])  # fmt: skip
    sobject = PAGE_OBJECTS[kind]
    return render("FlexiPage", [
        _region("header", _component("force:highlightsPanel", "force_highlightsPanel")),
        _region("main", _component("force:detailPanel", "force_detailPanel")),
        _region("sidebar", card),
        ("masterLabel", f"{sobject} with Sales KPIs"), ("sobjectType", sobject),
        ("template", [("name", "flexipage:recordHomeTemplateDesktop")]),
        ("type", "RecordPage"),
    ])  # fmt: skip


def sharing_rules(push: PushMapping) -> bytes:
    """A criteria sharing rule: rows that are no rep's own (company, team, territory)
    readable by every internal user. Reps' rows stay with their owner and the role
    hierarchy above them."""
    rule: Tree = [
        ("fullName", SHARING_RULE), ("accessLevel", "Read"),
        ("description", "crm-kpi: company, team and territory KPIs for everyone "
                        "(push.share_company)."),
        ("label", "crm-kpi company team territory KPIs"),
        ("sharedTo", [("allInternalUsers", "")]),
        ("criteriaItems", [("field", RECORD_FIELDS["scope_type"][0]),
                           ("operation", "notEqual"), ("value", "owner")]),
        ("includeRecordsOwnedByAll", True),
    ]  # fmt: skip
    return render("SharingRules", [("sharingCriteriaRules", rule)])

