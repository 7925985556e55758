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

from .access_grants import check_dependencies, check_field_rights
from .access_rights import permissionable
from .access_tables import governed
from .errors import SfError
from .md_objects import OPERATIONS, SHARED_TO
from .md_package import Component
from .md_types import Item, Plan
from .md_xml import BOOL, TEXT, Node, Problem, checked, named, spec
from .rights import SYSTEM_PERMISSIONS, FieldRights, ObjectRights
from .sharing import Criterion, SharingRule, criteria_soql

OBJECT_RIGHTS = ("allowRead", "allowCreate", "allowEdit", "allowDelete", "viewAllRecords",
                 "modifyAllRecords", "viewAllFields")
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
        root = checked(comp.root, PERMISSION_SET)
        label = named(root, comp.full_name, "permission set", "label", LABEL)
        ps = PermissionSetDef(comp.full_name, label, root.get("description") or "")
        for o in root.all("objectPermissions"):
            name = o.get("object") or ""
            ps.objects[name] = {r: o.flag(r) for r in OBJECT_RIGHTS}
            ps.nodes[f"object:{name}"] = o
        for f in root.all("fieldPermissions"):
            name = f.get("field") or ""
            ps.fields[name], ps.nodes[f"field:{name}"] = (f.flag("readable"),
                                                         f.flag("editable")), f
        for t in root.all("tabSettings"):
            ps.tabs[t.get("tab") or ""] = t.get("visibility") or "None"
            ps.nodes[f"tab:{t.get('tab')}"] = t
        for u in root.all("userPermissions"):
            ps.user_permissions[u.get("name") or ""] = u.flag("enabled")
            ps.nodes[f"perm:{u.get('name')}"] = u
        return ps

    def check(self, item: Item, plan: Plan) -> None:
        ps: PermissionSetDef = item.value
        for name, rights in ps.objects.items():
            node = ps.nodes[f"object:{name}"]
            obj = plan.sobject(name)
            if obj is None or not permissionable(obj):
                raise node.problem(f"Invalid object {name}")
            if rights["viewAllFields"]:
                raise node.problem("The sandbox does not serve viewAllFields")
            _access_check(node, check_dependencies, obj, object_rights(rights))
        for name, (read, edit) in ps.fields.items():
            node = ps.nodes[f"field:{name}"]
            why = field_problem(plan, name)
            if why:
                raise node.problem(why)
            _access_check(node, check_field_rights, plan.ctx.registry, name,
                          FieldRights(read, edit))
        for tab in ps.tabs:
            if not tab_exists(plan, tab):
                raise ps.nodes[f"tab:{tab}"].problem(f"Invalid tab {tab}")
        for perm in ps.user_permissions:
            if perm not in SYSTEM_PERMISSIONS:
                raise ps.nodes[f"perm:{perm}"].problem(f"Unknown user permission: {perm}")

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        """Through the access model: a deploy adds and updates rights, never removes the
        ones the file leaves out."""
        ps: PermissionSetDef = item.value
        access = plan.ctx.access
        created = plan.catalog.get(self.type, ps.name) is None
        ps_id = access.upsert_permission_set(ps.name, ps.label, ps.description,
                                             ps.user_permissions)
        for name, rights in ps.objects.items():
            r = object_rights(rights)
            access.grant_object(ps_id, name, read=r.read, create=r.create, edit=r.edit,
                                delete=r.delete, view_all=r.view_all, modify_all=r.modify_all)
        for name, (read, edit) in ps.fields.items():
            access.grant_field(ps_id, name, read=read, edit=edit)
        for tab, visibility in ps.tabs.items():
            if visibility != "None":
                access.set_tab(ps_id, tab, "DefaultOn" if visibility == "Visible"
                               else "DefaultOff")
        plan.catalog.remember(self.type, ps.name, ps)
        return ps_id, created


def object_rights(rights: dict[str, bool]) -> ObjectRights:
    return ObjectRights(rights["allowRead"], rights["allowCreate"], rights["allowEdit"],
                        rights["allowDelete"], rights["viewAllRecords"],
                        rights["modifyAllRecords"])


def _access_check(node: Node, step: Any, *args: Any) -> None:
    """One of the access model's own checks, its refusal as this component's failure."""
    try:
        step(*args)
    except SfError as exc:
        raise node.problem(exc.message) from None


def field_problem(plan: Plan, name: str) -> str | None:
    """Why a field can't be in a permission set, or None."""
    obj_name, _, field_name = name.partition(".")
    obj = plan.sobject(obj_name)
    f = obj.get(field_name) if obj is not None and field_name else None
    if obj is None or f is None:
        return f"Invalid field {name}"
    if not governed(obj, f):  # required, Name, ids, audit fields: FLS never hides them
        return f"You cannot deploy to a required field: {name}"
    return None


def tab_exists(plan: Plan, tab: str) -> bool:
    if tab.startswith("standard-"):
        obj = plan.sobject(tab.removeprefix("standard-"))
        return obj is not None and not obj.custom
    return plan.has("CustomTab", tab) or tab in plan.ctx.access.tabs


SHARING_RULES = spec("SharingRules", sharingCriteriaRules__=spec(
    "SharingCriteriaRule", accessLevel_=("Read", "Edit"), booleanFilter=TEXT,
    criteriaItems__=spec("FilterItem", field_=TEXT, operation_=OPERATIONS, value=TEXT),
    description=TEXT, fullName_=TEXT, includeRecordsOwnedByAll_=BOOL, label_=TEXT,
    sharedTo_=SHARED_TO))
SHARE_KINDS = ("allInternalUsers", "group", "role", "roleAndSubordinates",
               "roleAndSubordinatesInternal")
MODELS = {"Private": "None", "Read": "Read", "ReadWrite": "Edit", "FullAccess": "All",
          "ControlledByParent": "ControlledByParent"}
# Internal defaults that already give a rule's access to everyone.
OPEN = {"Read": ("Read", "Edit", "ReadEditTransfer", "All", "ControlledByParent"),
        "Edit": ("Edit", "ReadEditTransfer", "All", "ControlledByParent")}


class SharingRules:
    """SharingRules: criteria sharing rules of one object."""

    type = "SharingRules"

    def parse(self, comp: Component, plan: Plan) -> list[dict[str, Any]]:
        root = checked(comp.root, SHARING_RULES)
        rules = []
        for r in root.all("sharingCriteriaRules"):
            name = r.get("fullName") or ""
            label = named(r, name, "sharing rule", "label", LABEL)
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
            wanted = "Edit" if rule["accessLevel"] == "Edit" else "Read"
            if default in OPEN.get(wanted, ()):
                raise rule["node"].problem(
                    f"The sharing rule {rule['name']} grants {rule['accessLevel']}, no more "
                    f"than the org-wide default of {sobject}")
            kind, name = rule["sharedTo"]
            if kind not in SHARE_KINDS or plan.ctx.access.share_group(kind, name) is None:
                raise rule["node"].problem(f"sharedTo: no {kind} named {name!r}")
            _access_check(rule["node"], criteria_soql, obj, as_rule(sobject, rule))

    @staticmethod
    def org_default(plan: Plan, sobject: str) -> str:
        """The object's org-wide default as this deploy leaves it (internal model)."""
        found = plan.item("CustomObject", sobject)
        if found is not None and "sharingModel" in found.value.settings:
            return MODELS.get(str(found.value.settings["sharingModel"]), "Edit")
        return plan.ctx.access.org_default(sobject)

    def apply(self, item: Item, plan: Plan) -> tuple[str | None, bool]:
        created = plan.catalog.get(self.type, item.comp.full_name) is None
        for rule in item.value:
            plan.ctx.access.put_sharing_rule(as_rule(item.comp.full_name, rule))
        plan.catalog.remember(self.type, item.comp.full_name, item.value)
        return None, created


def as_rule(sobject: str, rule: dict[str, Any]) -> SharingRule:
    """A rule of the file as the access model takes it."""
    kind, name = rule["sharedTo"]
    return SharingRule(sobject, rule["name"], tuple(
        Criterion(f or "", op or "", v or "") for f, op, v in rule["criteria"]),
        kind, "" if kind == "allInternalUsers" else name, rule["accessLevel"],
        rule["label"], rule["booleanFilter"])
