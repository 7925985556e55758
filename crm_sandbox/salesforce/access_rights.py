"""A user's effective rights, computed from their permission sets (the profile's own one
included): system permissions, object permissions and field-level security.

Objects without ObjectPermissions of their own follow Salesforce's rules: line items
follow their opportunity, price book entries their product, tasks and events the Edit
Tasks / Edit Events permissions, setup objects View Setup and the permission that manages
them, reference data (currencies, periods, territories, users, roles) is readable by
every user. Modify All Data grants every right on every object, View All Data reads them
all; neither bypasses field-level security.
"""

from __future__ import annotations

from ..ids import sf_id
from ..org import Org
from .access_tables import PERMISSIONABLE, governed, perm_column
from .model import Registry, SObject
from .rights import ALL, NONE, SYSTEM_PERMISSIONS, FieldRights, ObjectRights, Viewer

FOLLOWS = {"OpportunityLineItem": "Opportunity", "PricebookEntry": "Product2"}
# Setup tables: who reads them, who writes them.
SETUP = {
    "sf_permission_sets": ("ViewSetup", "ManageProfilesPermissionsets"),
    "sf_object_perms": ("ViewSetup", "ManageProfilesPermissionsets"),
    "sf_field_perms": ("ViewSetup", "ManageProfilesPermissionsets"),
    "sf_tab_settings": ("ViewSetup", "ManageProfilesPermissionsets"),
    "sf_profiles": ("", "ManageProfilesPermissionsets"),
    "sf_ps_assignments": ("ViewSetup", "AssignPermissionSets"),
    "sf_groups": ("", "ManageUsers"), "sf_group_members": ("", "ManageUsers"),
    "teams": ("", "ManageUsers"), "users": ("", "ManageUsers"),
    "sf_licenses": ("", "-"), "sf_org_settings": ("", "-"),
}
ACTIVITY = {"Task": "EditTask", "Event": "EditEvent"}


def permissionable(obj: SObject) -> bool:
    """Whether an object's rights are ObjectPermissions rows (custom objects and the
    standard CRM objects)."""
    return obj.name in PERMISSIONABLE or (obj.custom and obj.table != "sf_shares")


def compute_viewer(org: Org, registry: Registry, n: int) -> Viewer:
    """The effective rights of user `n` (no rights at all for an unknown user)."""
    cur = org.cursor()
    row = cur.execute("SELECT username FROM users WHERE n = ?", [n]).fetchone()
    sets = [int(r[0]) for r in cur.execute(
        "SELECT permission_set_n FROM sf_ps_assignments WHERE assignee_n = ? AND NOT "
        "is_deleted AND (expires_at IS NULL OR expires_at > ?)",
        [n, org.clock.now()]).fetchall()]
    marks = ", ".join(str(s) for s in sets) or "NULL"
    perms = system_permissions(org, marks)
    rows = {str(r[0]).lower(): ObjectRights(*(bool(x) for x in r[1:])) for r in cur.execute(
        "SELECT sobject_type, bool_or(p_read), bool_or(p_create), bool_or(p_edit), "
        "bool_or(p_delete), bool_or(p_view_all), bool_or(p_modify_all) FROM sf_object_perms "
        f"WHERE parent_n IN ({marks}) AND NOT is_deleted GROUP BY sobject_type").fetchall()}
    fls = {str(r[0]).lower(): FieldRights(bool(r[1]), bool(r[2])) for r in cur.execute(
        "SELECT field, bool_or(p_read), bool_or(p_edit) FROM sf_field_perms WHERE parent_n IN "
        f"({marks}) AND NOT is_deleted GROUP BY field").fetchall()}
    objects = {o.name.lower(): object_rights(o, perms, rows) for o in registry.all()}
    fields: dict[tuple[str, str], FieldRights] = {}
    for obj in registry.all():
        if objects[obj.name.lower()].read:
            for f in obj.fields.values():
                key = (obj.name.lower(), f.name.lower())
                fields[key] = field_rights(obj, f.name, fls) if governed(obj, f) and not (
                    f.custom and not f.nillable) else FieldRights(True, True)
    return Viewer(n, sf_id("005", n), str(row[0]) if row else "", perms, objects, fields)


def system_permissions(org: Org, marks: str) -> frozenset[str]:
    """The system permissions any of the permission sets grants."""
    cols = ", ".join(f"bool_or({perm_column(p)})" for p in SYSTEM_PERMISSIONS)
    row = org.cursor().execute(f"SELECT {cols} FROM sf_permission_sets WHERE n IN ({marks}) "
                               "AND NOT is_deleted").fetchone()
    return frozenset(p for p, on in zip(SYSTEM_PERMISSIONS, row or (), strict=False) if on)


def field_rights(obj: SObject, name: str, fls: dict[str, FieldRights]) -> FieldRights:
    got = fls.get(f"{obj.name}.{name}".lower(), FieldRights())
    return FieldRights(got.read, got.read and got.edit)


def object_rights(obj: SObject, perms: frozenset[str],
                  rows: dict[str, ObjectRights]) -> ObjectRights:
    """One object's rights under `perms` and the ObjectPermissions `rows`."""
    if "ModifyAllData" in perms:
        return ALL
    base = base_rights(obj, perms, rows)
    if "ViewAllData" in perms:
        return base | ObjectRights(read=True, view_all=True)
    return base


def base_rights(obj: SObject, perms: frozenset[str],
                rows: dict[str, ObjectRights]) -> ObjectRights:
    """Rights before View All Data / Modify All Data."""
    if permissionable(obj):
        return rows.get(obj.name.lower(), NONE)
    if obj.name in FOLLOWS:
        parent = rows.get(FOLLOWS[obj.name].lower(), NONE)
        return ObjectRights(parent.read, parent.edit, parent.edit, parent.edit,
                            parent.view_all, parent.modify_all)
    if obj.name in ACTIVITY:
        cud = ACTIVITY[obj.name] in perms
        return ObjectRights(True, cud, cud, cud)
    if obj.table == "sf_shares":  # readable with the parent; each record decides
        read = rows.get(share_parent_name(obj).lower(), NONE).read
        return ObjectRights(read, read, read, read)
    read_perm, write_perm = SETUP.get(obj.table, ("", "CustomizeApplication"))
    read = not read_perm or read_perm in perms or (
        obj.table == "sf_ps_assignments" and bool({"AssignPermissionSets", "ManageUsers"}
                                                  & perms))
    write = write_perm in perms or (write_perm == "AssignPermissionSets" and
                                    "ManageUsers" in perms)
    return ObjectRights(read or write, write, write, write)


def share_parent_name(obj: SObject) -> str:
    """AccountShare → Account, Sales_KPI__Share → Sales_KPI__c."""
    if obj.name.endswith("__Share"):
        return obj.name.removesuffix("__Share") + "__c"
    return obj.name.removesuffix("Share")
