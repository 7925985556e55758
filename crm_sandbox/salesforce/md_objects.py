"""CustomObject and CustomTab as a deploy reads, checks and saves them.

Metadata API Developer Guide, "CustomObject": an object's file sets its attributes
(`label`, `pluralLabel`, `nameField` of type Text or AutoNumber with `displayFormat` and
`startingNumber`, `sharingModel`, `enableSearch`, `enableReports`, …) and its children
(`listViews`, `searchLayouts`, `actionOverrides`); a deploy adds and updates children,
never deletes them. "CustomTab": a tab shows exactly one of a custom object
(`customObject`, its full name the object's), a Lightning page (`flexiPage`) or a
Lightning web component (`lwcComponent`, exposed for `lightning__Tab`); `motif` is its
style. Standard objects take only list views, search layouts, overrides and sharing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ids import sf_id
from .md_lwc import BundleDef
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, INT, TEXT, Node, Problem, checked, developer_name_problem, named, spec
from .model import SField, SObject

OPERATIONS = ("equals", "notEqual", "lessThan", "greaterThan", "lessOrEqual",
              "greaterOrEqual", "contains", "notContain", "startsWith", "includes",
              "excludes", "within")
SHARED_TO = spec("SharedTo", allInternalUsers=TEXT, group__=TEXT, role__=TEXT,
                 roleAndSubordinates__=TEXT, roleAndSubordinatesInternal__=TEXT)
LIST_VIEW = spec("ListView", fullName_=TEXT, booleanFilter=TEXT, columns__=TEXT,
                 filterScope_=("Everything", "Mine", "Queue", "Delegated", "MyTerritory",
                               "MyTeamTerritory", "Team"),
                 filters__=spec("ListViewFilter", field_=TEXT, operation_=OPERATIONS,
                                value=TEXT), label_=TEXT, sharedTo=SHARED_TO)
OVERRIDE = spec("ActionOverride", actionName=TEXT, comment=TEXT, content=TEXT,
                formFactor=("Small", "Medium", "Large"), skipRecordTypeSelect=BOOL,
                type=("Default", "Standard", "Scontrol", "Visualforce", "Flexipage",
                      "LightningComponent"))
SEARCH = spec("SearchLayouts", customTabListAdditionalFields__=TEXT,
              lookupDialogsAdditionalFields__=TEXT, searchResultsAdditionalFields__=TEXT,
              searchFilterFields__=TEXT)
SHARING = ("Private", "Read", "ReadWrite", "ReadWriteTransfer", "FullAccess",
           "ControlledByParent")
FLAGS = ("enableSearch", "enableReports", "enableActivities", "enableHistory", "enableFeeds",
         "enableBulkApi", "enableSharing", "enableStreamingApi", "allowInChatterGroups",
         "enableEnhancedLookup")
OBJECT = spec("CustomObject", actionOverrides__=OVERRIDE, deploymentStatus=(
    "InDevelopment", "Deployed"), description=TEXT, label=TEXT, listViews__=LIST_VIEW,
    nameField=spec("CustomField", label_=TEXT, type_=("Text", "AutoNumber"),
                   displayFormat=TEXT, startingNumber=INT, description=TEXT),
    pluralLabel=TEXT, searchLayouts=SEARCH, sharingModel=SHARING,
    externalSharingModel=SHARING, visibility=("Public", "Protected", "PackageProtected"),
    **dict.fromkeys(FLAGS, BOOL))
STANDARD_ONLY = ("actionOverrides", "listViews", "searchLayouts", "enableFeeds",
                 "enableHistory")
ACTIONS = ("View", "Edit", "New", "Tab", "List", "Clone", "Delete", "Accept", "SaveEdit")
TOKENS = {"NAME": "Name", "CREATED_DATE": "CreatedDate", "LAST_UPDATE": "LastModifiedDate",
          "OWNER.ALIAS": "Owner.Alias", "OWNER.FIRST_NAME": "Owner.FirstName",
          "OWNER.LAST_NAME": "Owner.LastName"}
_FORMAT = re.compile(r"^([^{}]*)\{(0+)\}([^{}]*)$")
LIST_VIEW_LABEL, LIST_VIEW_NAME = 40, 80


@dataclass
class ObjectDef:
    name: str
    settings: dict[str, Any] = field(default_factory=dict)  # attributes the file sets
    list_views: list[dict[str, Any]] = field(default_factory=list)
    overrides: list[tuple[Node, dict[str, Any]]] = field(default_factory=list)
    fields_used: list[tuple[Node, str]] = field(default_factory=list)  # (where, API path)
    name_field: dict[str, Any] | None = None


def field_path(obj: SObject, token: str) -> str:
    """The API path a list view or search layout column names (`NAME`, `Value__c`)."""
    return TOKENS.get(token, token.split(".", 1)[1] if token.startswith(obj.name + ".")
                      else token)


def path_exists(plan: Plan, obj: SObject, path: str) -> bool:
    head, _, rest = path.partition(".")
    if not rest:
        return obj.get(head) is not None
    rel = obj.relationship(head)
    target = plan.sobject(rel.reference_to[0]) if rel is not None else None
    return target is not None and path_exists(plan, target, rest)


class CustomObjects:
    """CustomObject: update an object's attributes and add or update its children."""

    type = "CustomObject"

    def parse(self, comp: Component, plan: Plan) -> ObjectDef:
        root = checked(comp.root, OBJECT)
        out = ObjectDef(comp.full_name)
        for c in root.children:
            if c.tag in ("label", "pluralLabel", "description", "deploymentStatus",
                         "sharingModel", "externalSharingModel", "visibility"):
                out.settings[c.tag] = c.text.strip()
            elif c.tag in FLAGS:
                out.settings[c.tag] = c.text.strip() == "true"
        self._children(root, out)
        name_field = root.one("nameField")
        if name_field is not None:
            out.name_field = self._name_field(name_field)
        return out

    @staticmethod
    def _children(root: Node, out: ObjectDef) -> None:
        for view in root.all("listViews"):
            name = view.get("fullName") or ""
            label = named(view, name, "list view", "label", LIST_VIEW_LABEL, LIST_VIEW_NAME)
            if view.get("filterScope") not in ("Everything", "Mine"):
                raise view.problem("The sandbox serves list views of filterScope Everything "
                                   "and Mine")
            filters = [(f.get("field") or "", f.get("operation") or "", f.get("value") or "")
                       for f in view.all("filters")]
            out.list_views.append({"name": name, "label": label, "columns": view.texts(
                "columns"), "scope": view.get("filterScope"), "filters": filters,
                "booleanFilter": view.get("booleanFilter")})
            out.fields_used += [(view, c) for c in view.texts("columns")]
            out.fields_used += [(f, f.get("field") or "") for f in view.all("filters")]
        layouts = root.one("searchLayouts")
        if layouts is not None:
            out.settings["searchLayouts"] = {c.tag: layouts.texts(c.tag)
                                             for c in layouts.children}
            out.fields_used += [(c, c.text.strip()) for c in layouts.children]
        for o in root.all("actionOverrides"):
            out.overrides.append((o, {c.tag: c.text.strip() for c in o.children}))

    @staticmethod
    def _name_field(node: Node) -> dict[str, Any]:
        kind, fmt = node.get("type"), node.get("displayFormat") or ""
        spec_: dict[str, Any] = {"label": node.get("label"), "type": kind, "displayFormat": fmt,
                 "startingNumber": int(node.get("startingNumber") or 0)}
        if kind == "AutoNumber":
            m = _FORMAT.match(fmt)
            if m is None:
                raise node.problem(f"Invalid displayFormat {fmt!r}: the sandbox serves a "
                                   "literal text around one {0…} number (no date tokens)")
            spec_["parts"] = m.groups()
        elif fmt:
            raise node.problem("displayFormat is only for an AutoNumber name field")
        return spec_

    def check(self, item: Item, plan: Plan) -> None:
        d: ObjectDef = item.value
        obj = plan.sobject(d.name)
        if obj is None:
            raise Problem(f"The sandbox creates custom objects through the Tooling API "
                          f"(POST tooling/sobjects/CustomObject): {d.name} does not exist yet")
        custom = obj.custom and obj.table.startswith("sf_")
        if not custom:
            extra = [k for k in (*d.settings, *(["nameField"] if d.name_field else []))
                     if k not in STANDARD_ONLY]
            if extra:
                raise Problem(f"{extra[0]} can't be set on the standard object {d.name}")
        for node, token in d.fields_used:
            if not path_exists(plan, obj, field_path(obj, token)):
                raise node.problem(f"Unknown field {token} on {d.name}")
        seen: set[tuple[str, str]] = set()
        for node, o in d.overrides:
            self._override(node, o, d.name, plan, seen)

    @staticmethod
    def _override(node: Node, o: dict[str, Any], sobject: str, plan: Plan,
                  seen: set[tuple[str, str]]) -> None:
        action, kind = o.get("actionName", ""), o.get("type", "Default")
        if action not in ACTIONS:
            raise node.problem(f"Invalid actionName {action!r} in actionOverrides")
        key = (action, o.get("formFactor") or "")  # none: Salesforce Classic's
        if key in seen:
            raise node.problem(f"Only one override of {action} per formFactor")
        seen.add(key)
        if kind == "Flexipage" and o.get("formFactor") not in ("Large", "Small"):
            raise node.problem("A Flexipage override needs formFactor Large (Lightning "
                               "Experience) or Small (the mobile app)")
        if kind == "Flexipage":
            page = plan.definition("FlexiPage", o.get("content", ""))
            if page is None or getattr(page, "page_type", "") != "RecordPage" or \
                    getattr(page, "sobject", None) != sobject or action != "View":
                raise node.problem(f"The override of {action} needs a RecordPage of "
                                   f"{sobject} as content, not {o.get('content')!r}")
        elif kind in ("Scontrol", "Visualforce", "LightningComponent"):
            raise node.problem(f"The sandbox serves overrides of type Default, Standard and "
                               f"Flexipage, not {kind}")

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        d: ObjectDef = item.value
        obj = plan.sobject(d.name)
        assert obj is not None
        plan.undo.append(self._restorer(obj, plan))
        settings = plan.catalog.settings(d.name)
        settings.values.update(d.settings)
        overrides = {(o.get("actionName"), o.get("formFactor")): o for _, o in d.overrides}
        settings.values["actionOverrides"] = {**settings.values.get("actionOverrides", {}),
                                              **overrides}
        if "label" in d.settings:
            obj.label = d.settings["label"]
        if "sharingModel" in d.settings:  # the org-wide default: the access model's
            plan.ctx.access.set_sharing_model(d.name, d.settings["sharingModel"])
        if d.name_field:
            self._apply_name(obj, d.name_field, plan)
        for view in d.list_views:
            row = {"developer_name": view["name"], "name": view["label"],
                   "sobject_type": d.name}
            n, _ = plan.catalog.put("ListView", f"{d.name}.{view['name']}", "sf_md_list_views",
                                    row, view)
            settings.list_views[view["name"]] = {**view, "id": sf_id("00B", n)}
        plan.ctx.registry.add(obj)  # a changed object: describe revalidates
        return _object_id(plan, obj), False

    @staticmethod
    def _restorer(obj: SObject, plan: Plan) -> Callable[[], None]:
        """Put back what saving changes on the object itself (a rolled-back deploy)."""
        label, model, name = obj.label, obj.sharing_model, obj.get("Name")

        def restore() -> None:
            obj.label, obj.sharing_model = label, model
            if name is not None:
                obj.add(name)
            plan.ctx.access.changed([obj.name])
        return restore

    @staticmethod
    def _apply_name(obj: SObject, spec_: dict[str, Any], plan: Plan) -> None:
        label = str(spec_["label"])
        old = obj.get("Name")
        if spec_["type"] == "Text":
            if old is not None and old.column is None and old.sql:  # AutoNumber → Text
                with plan.ctx.org.writing() as con:
                    con.execute(f"UPDATE {obj.table} SET name = {old.read_sql(obj.table)}")
            obj.add(SField("Name", "string", label, column="name", length=80))
            return
        prefix, digits, suffix = spec_["parts"]
        start = int(spec_["startingNumber"])
        sql = (f"{_lit(prefix)} || lpad(CAST({start} + {{t}}.n AS VARCHAR), {len(digits)}, "
               f"'0') || {_lit(suffix)}")
        obj.add(SField("Name", "string", label, sql=sql, createable=False, updateable=False,
                       nillable=False, length=30))


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _object_id(plan: Plan, obj: SObject) -> str | None:
    row = plan.ctx.org.cursor().execute(
        "SELECT n FROM tooling_objects WHERE full_name = ?", [obj.name]).fetchone()
    return sf_id("01I", int(row[0])) if row else None


TAB = spec("CustomTab", customObject=BOOL, description=TEXT, flexiPage=TEXT, label=TEXT,
           lwcComponent=TEXT, motif=TEXT)
_MOTIF = re.compile(r"^Custom\d+: \S.*$")


class CustomTabs:
    """CustomTab: a tab for a custom object, a Lightning page or a web component."""

    type = "CustomTab"

    def parse(self, comp: Component, plan: Plan) -> dict[str, Any]:
        root = checked(comp.root, TAB)
        kinds = [k for k in ("flexiPage", "lwcComponent") if root.get(k)]
        if root.flag("customObject"):
            kinds.append("customObject")
        if len(kinds) != 1:
            raise root.problem("A tab shows exactly one of customObject, flexiPage or "
                               "lwcComponent (the sandbox serves these three)")
        motif = root.get("motif") or ""
        if not _MOTIF.match(motif):
            raise root.problem(f"Invalid motif {motif!r} (e.g. 'Custom20: Airplane')")
        tab = {"name": comp.full_name, "kind": kinds[0], "target": root.get(kinds[0]),
               "label": root.get("label"), "motif": motif,
               "description": root.get("description") or ""}
        if kinds[0] != "customObject":
            why = developer_name_problem(comp.full_name, "tab")
            if why or not tab["label"]:
                raise root.problem(why or "A Lightning page or component tab needs a label")
        return tab

    def check(self, item: Item, plan: Plan) -> None:
        tab = item.value
        if tab["kind"] == "customObject":
            obj = plan.sobject(tab["name"])
            if obj is None or not obj.custom:
                raise Problem(f"A custom object tab's name must be a custom object: "
                              f"{tab['name']} is not one")
        elif tab["kind"] == "lwcComponent":
            bundle = plan.definition("LightningComponentBundle", tab["target"])
            if not isinstance(bundle, BundleDef) or not bundle.exposed or \
                    "lightning__Tab" not in bundle.targets:
                raise Problem(f"The component {tab['target']} isn't exposed for "
                              "lightning__Tab")
        elif getattr(plan.definition("FlexiPage", tab["target"]), "page_type", "") != \
                "AppPage":
            raise Problem(f"The tab's flexiPage {tab['target']} is not an AppPage")

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        tab = item.value
        obj = plan.sobject(tab["name"]) if tab["kind"] == "customObject" else None
        row = {"developer_name": tab["name"], "master_label": obj.label_plural if obj else
               tab["label"], "tab_type": {"customObject": "CustomObject",
                                          "flexiPage": "Flexipage",
                                          "lwcComponent": "LightningComponent"}[tab["kind"]],
               "sobject_name": obj.name if obj else None, "motif": tab["motif"],
               "description": tab["description"]}
        n, created = plan.catalog.put(self.type, tab["name"], "sf_md_tabs", row, tab)
        plan.ctx.access.add_tab(tab["name"])  # permission sets may now name it
        return sf_id("01r", n), created
