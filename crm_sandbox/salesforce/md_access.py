"""PermissionSet and SharingRules as a deploy reads, checks and saves them.

Metadata API Developer Guide, "PermissionSet": `label`, `description`,
`objectPermissions` (`object`, `allowRead`, `allowCreate`, `allowEdit`, `allowDelete`,
`viewAllRecords`, `modifyAllRecords`, `viewAllFields`), `fieldPermissions` (`field` as
`Object.Field`, `readable`, `editable`), `tabSettings` (`tab`, `visibility` Available,
Visible or None) and `userPermissions` (`name`, `enabled`). Salesforce refuses a field
that is not permissionable — a required field ("You cannot deploy to a required field"),
the Name field, system fields — and object rights without the ones they depend on (edit
needs read, delete needs edit, modify all needs view all and delete). "SharingRules":
`sharingCriteriaRules` (`fullName`, `label`, `accessLevel` Read or Edit, `sharedTo`,
`criteriaItems` with `field`, `operation`, `value`, `booleanFilter`,
`includeRecordsOwnedByAll`), one file per object; a rule must grant more than the
object's org-wide default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .md_objects import OPERATIONS, SHARED_TO
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, TEXT, Node, Problem, check, developer_name_problem, spec

OBJECT_RIGHTS = ("allowRead", "allowCreate", "allowEdit", "allowDelete", "viewAllRecords",
                 "modifyAllRecords", "viewAllFields")
DEPENDS = {"allowCreate": ("allowRead",), "allowEdit": ("allowRead",),
           "allowDelete": ("allowRead", "allowEdit"), "viewAllRecords": ("allowRead",),
           "viewAllFields": ("allowRead",),
           "modifyAllRecords": ("allowRead", "allowEdit", "allowDelete", "viewAllRecords")}
RIGHT_LABEL = {"allowRead": "Read", "allowCreate": "Create", "allowEdit": "Edit",
               "allowDelete": "Delete", "viewAllRecords": "View All",
               "modifyAllRecords": "Modify All", "viewAllFields": "View All Fields"}
PERMISSION_SET = spec(
    "PermissionSet", description=TEXT, fieldPermissions__=spec(
        "PermissionSetFieldPermissions", editable_=BOOL, field_=TEXT, readable=BOOL),
    hasActivationRequired=BOOL, label_=TEXT, license=TEXT,
    objectPermissions__=spec("PermissionSetObjectPermissions", allowCreate_=BOOL,
                             allowDelete_=BOOL, allowEdit_=BOOL, allowRead_=BOOL,
                             modifyAllRecords_=BOOL, object_=TEXT, viewAllFields=BOOL,
                             viewAllRecords_=BOOL),
    tabSettings__=spec("PermissionSetTabSetting", tab_=TEXT,
                       visibility_=("None", "Available", "Visible")),
    userPermissions__=spec("PermissionSetUserPermission", enabled_=BOOL, name_=TEXT))
SYSTEM_FIELDS = frozenset({"id", "name", "isdeleted", "createddate", "lastmodifieddate",
                           "systemmodstamp", "ownerid", "createdbyid", "lastmodifiedbyid"})
LABEL = 80


@dataclass
class PermissionSetDef:
    name: str
    label: str
    description: str
    objects: dict[str, dict[str, bool]] = field(default_factory=dict)
    fields: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # (read, edit)
    tabs: dict[str, str] = field(default_factory=dict)
    user_permissions: dict[str, bool] = field(default_factory=dict)
    nodes: dict[str, Node] = field(default_factory=dict)  # reference → where it is


class PermissionSets:
    """PermissionSet: rights on objects, fields, tabs and system permissions."""

    type = "PermissionSet"

    def parse(self, comp: Component, plan: Plan) -> PermissionSetDef:
        root = comp.root
        assert root is not None
        check(root, PERMISSION_SET)
        label = root.get("label") or ""
        why = developer_name_problem(comp.full_name, "permission set")
        if why or len(label) > LABEL:
            raise root.problem(why or f"label: data value too large (max length={LABEL})")
        ps = PermissionSetDef(comp.full_name, label, root.get("description") or "")
        for o in root.all("objectPermissions"):
            name = o.get("object") or ""
            rights = {r: o.flag(r) for r in OBJECT_RIGHTS}
            for right, needs in DEPENDS.items():
                missing = [n for n in needs if rights[right] and not rights[n]]
                if missing:
                    raise o.problem(f"Permission {RIGHT_LABEL[right]} {name} depends on "
                                    "permission(s): " + ", ".join(
                                        f"{RIGHT_LABEL[m]} {name}" for m in missing))
            ps.objects[name], ps.nodes[f"object:{name}"] = rights, o
        for f in root.all("fieldPermissions"):
            name, read, edit = f.get("field") or "", f.flag("readable"), f.flag("editable")
            if edit and not read:
                raise f.problem(f"Permission Edit {name} depends on permission(s): Read {name}")
            ps.fields[name], ps.nodes[f"field:{name}"] = (read, edit), f
        for t in root.all("tabSettings"):
            ps.tabs[t.get("tab") or ""] = t.get("visibility") or "None"
            ps.nodes[f"tab:{t.get('tab')}"] = t
        for u in root.all("userPermissions"):
            ps.user_permissions[u.get("name") or ""] = u.flag("enabled")
            ps.nodes[f"perm:{u.get('name')}"] = u
        return ps

    def check(self, item: Item, plan: Plan) -> None:
        ps: PermissionSetDef = item.value
        for name in ps.objects:
            if not plan.has_object(name):
                raise ps.nodes[f"object:{name}"].problem(f"Invalid object {name}")
        for name, (_, edit) in ps.fields.items():
            why = field_problem(plan, name, edit)
            if why:
                raise ps.nodes[f"field:{name}"].problem(why)
        for tab in ps.tabs:
            if not tab_exists(plan, tab):
                raise ps.nodes[f"tab:{tab}"].problem(f"Invalid tab {tab}")

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        ps: PermissionSetDef = item.value
        _, created = plan.catalog.remember(self.type, ps.name, ps)
        return None, created


def field_problem(plan: Plan, name: str, edit: bool) -> str | None:
    """Why a field can't be in a permission set, or None."""
    obj_name, _, field_name = name.partition(".")
    obj = plan.sobject(obj_name)
    f = obj.get(field_name) if obj is not None and field_name else None
    if f is None:
        return f"Invalid field {name}"
    if f.name.lower() in SYSTEM_FIELDS or (f.custom and not f.nillable):
        return f"You cannot deploy to a required field: {name}"
    if edit and not (f.updateable and f.column is not None):
        return f"Field {name} is read-only: it can't be editable in a permission set"
    return None


def tab_exists(plan: Plan, tab: str) -> bool:
    if tab.startswith("standard-"):
        obj = plan.sobject(tab.removeprefix("standard-"))
        return obj is not None and not obj.custom
    return plan.has("CustomTab", tab)


SHARING_RULES = spec("SharingRules", sharingCriteriaRules__=spec(
    "SharingCriteriaRule", accessLevel_=("Read", "Edit"), booleanFilter=TEXT,
    criteriaItems__=spec("FilterItem", field_=TEXT, operation_=OPERATIONS, value=TEXT),
    description=TEXT, fullName_=TEXT, includeRecordsOwnedByAll_=BOOL, label_=TEXT,
    sharedTo_=SHARED_TO))
LEVEL = {"Private": 0, "Read": 1, "ReadWrite": 2, "ReadWriteTransfer": 2, "FullAccess": 2}


class SharingRules:
    """SharingRules: criteria sharing rules of one object."""

    type = "SharingRules"

    def parse(self, comp: Component, plan: Plan) -> list[dict[str, Any]]:
        root = comp.root
        assert root is not None
        check(root, SHARING_RULES)
        rules = []
        for r in root.all("sharingCriteriaRules"):
            name, label = r.get("fullName") or "", r.get("label") or ""
            why = developer_name_problem(name, "sharing rule")
            if why or len(label) > LABEL:
                raise r.problem(why or f"label: data value too large (max length={LABEL})")
            shared = r.one("sharedTo")
            assert shared is not None
            targets = [(c.tag, c.text.strip()) for c in shared.children]
            if len(targets) != 1:
                raise shared.problem("A sharing rule shares with exactly one group or role")
            rules.append({"sobject": comp.full_name, "name": name, "label": label,
                          "accessLevel": r.get("accessLevel"), "sharedTo": targets[0],
                          "criteria": [(c.get("field"), c.get("operation"), c.get("value"))
                                       for c in r.all("criteriaItems")],
                          "booleanFilter": r.get("booleanFilter"), "node": r,
                          "includeRecordsOwnedByAll": r.flag("includeRecordsOwnedByAll")})
        return rules

    def check(self, item: Item, plan: Plan) -> None:
        sobject = item.comp.full_name
        obj = plan.sobject(sobject)
        if obj is None:
            raise Problem(f"Invalid object {sobject}")
        default = self.org_default(plan, sobject)
        for rule in item.value:
            if LEVEL.get(default, 0) >= LEVEL[(rule["accessLevel"] == "Edit" and
                                              "ReadWrite") or "Read"]:
                raise rule["node"].problem(
                    f"The sharing rule {rule['name']} grants {rule['accessLevel']}, no more "
                    f"than the org-wide default {default} of {sobject}")
            for f, _, _ in rule["criteria"]:
                if obj.get(f or "") is None:
                    raise rule["node"].problem(f"Invalid field {f} in the criteria of "
                                               f"{rule['name']}")

    @staticmethod
    def org_default(plan: Plan, sobject: str) -> str:
        found = plan.item("CustomObject", sobject)
        if found is not None and "sharingModel" in found.value.settings:
            return str(found.value.settings["sharingModel"])
        return str(plan.catalog.settings(sobject).values.get("sharingModel", "ReadWrite"))

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        _, created = plan.catalog.remember(self.type, item.comp.full_name, item.value)
        return None, created
