"""Changes to the access tables, with Salesforce's checks and error answers, shared by the
access API (`access.Access`) and the REST hooks of the setup sObjects (`security`).

Checks follow the object reference: ObjectPermissions' dependencies ("Requires
PermissionsRead for the same object", delete needs edit, modify all needs every other
right), FieldPermissions naming `Object.Field` of a field FLS governs (lookups with or
without `Id`), a FieldPermissions row without read removed, unique permission set API
names, assignments of permission sets that no profile owns, tab names of existing tabs.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from ..ids import parse_sf_id, sf_id
from ..org import Org
from .access_rights import permissionable, share_parent_name
from .access_tables import governed, perm_column
from .errors import SfError
from .model import Registry, SObject
from .rights import SYSTEM_PERMISSIONS, FieldRights, ObjectRights
from .sharing import (
    CONTROLLED,
    PRIVATE,
    READ,
    Criterion,
    SharingRule,
    Snapshot,
    criteria_sql,
)

PREFIX = {"object": "110", "field": "01k", "assignment": "0Pa", "tab": "01P", "rule": "02b"}
RIGHT_NAMES = ("Read", "Create", "Edit", "Delete", "View All", "Modify All")
# right → the rights it needs (ObjectPermissions field descriptions).
NEEDS = {1: (0,), 2: (0,), 3: (0, 2), 4: (0,), 5: (0, 2, 3, 4)}
_API_NAME = re.compile(r"^[A-Za-z](?!.*__)[A-Za-z0-9_]{0,79}(?<!_)$")


def integrity(message: str, fields: list[str] | None = None) -> SfError:
    return SfError(400, "FIELD_INTEGRITY_EXCEPTION", message, fields)


def bad_picklist(value: str, fields: list[str]) -> SfError:
    return SfError(400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                   f"bad value for restricted picklist field: {value}", fields)


def duplicate() -> SfError:
    return SfError(400, "DUPLICATE_VALUE", "duplicate value found: <unknown> duplicates value "
                   "on record with id: <unknown>")


# ---- permission sets ----------------------------------------------------------------
def api_name(label: str) -> str:
    """The API name Salesforce proposes for a label."""
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")


def check_api_name(name: str, field: str = "Name") -> None:
    """A unique name: letters, digits, single underscores, starting with a letter."""
    if not _API_NAME.match(name or ""):
        raise integrity(f"{field}: The API name can only contain underscores and alphanumeric "
                        "characters. It must be unique, begin with a letter, not include "
                        "spaces, not end with an underscore, and not contain two consecutive "
                        "underscores.", [field])


def upsert_permission_set(org: Org, name: str, label: str | None, description: str | None,
                          permissions: dict[str, bool]) -> int:
    check_api_name(name)
    unknown = sorted(set(permissions) - set(SYSTEM_PERMISSIONS))
    if unknown:
        raise integrity(f"Unknown user permission: {unknown[0]}")
    values: dict[str, Any] = {perm_column(p): on for p, on in permissions.items()}
    row = org.cursor().execute("SELECT n FROM sf_permission_sets WHERE name = ? AND NOT "
                               "is_deleted AND profile_n IS NULL", [name]).fetchone()
    if row is None:
        return org.insert("sf_permission_sets", {"name": name, "label": label or name,
                                                 "description": description, **values})
    if label is not None:
        values["label"] = label
    if description is not None:
        values["description"] = description
    org.update("sf_permission_sets", int(row[0]), values)
    return int(row[0])


def owner_profile(org: Org, ps: int) -> tuple[int | None, bool]:
    """(owning profile, whether it is a standard profile) of a permission set."""
    row = org.cursor().execute(
        "SELECT ps.profile_n, coalesce(p.is_standard, false) FROM sf_permission_sets ps "
        "LEFT JOIN sf_profiles p ON p.n = ps.profile_n WHERE ps.n = ? AND NOT ps.is_deleted",
        [ps]).fetchone()
    if row is None:
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                      ["ParentId"])
    return (None if row[0] is None else int(row[0])), bool(row[1])


def check_not_standard_profile(org: Org, ps: int) -> None:
    """Standard profiles' object and system permissions cannot be changed."""
    if owner_profile(org, ps)[1]:
        raise SfError(400, "INSUFFICIENT_ACCESS_OR_READONLY",
                      "insufficient access rights on object id")


# ---- object and field permissions ----------------------------------------------------
def check_sobject(registry: Registry, name: str) -> SObject:
    obj = registry.get(name)
    if obj is None or not permissionable(obj):
        raise bad_picklist(name, ["SobjectType"])
    return obj


def check_dependencies(obj: SObject, rights: ObjectRights) -> None:
    have = rights.astuple()
    for right, needed in NEEDS.items():
        missing = [RIGHT_NAMES[i] for i in needed if have[right] and not have[i]]
        if missing:
            raise integrity(f"Permission {RIGHT_NAMES[right]} {obj.label} depends on "
                            f"permission(s): {', '.join(f'{m} {obj.label}' for m in missing)}")


def put_object(org: Org, registry: Registry, ps: int, sobject: str,
               rights: ObjectRights) -> str:
    obj = check_sobject(registry, sobject)
    check_dependencies(obj, rights)
    check_not_standard_profile(org, ps)
    cols = ("p_read", "p_create", "p_edit", "p_delete", "p_view_all", "p_modify_all")
    row = org.cursor().execute("SELECT n FROM sf_object_perms WHERE parent_n = ? AND "
                               "sobject_type = ? AND NOT is_deleted", [ps, obj.name]).fetchone()
    values = dict(zip(cols, rights.astuple(), strict=True))
    if not any(rights.astuple()):
        if row is not None:
            org.purge("sf_object_perms", [int(row[0])])
        return ""
    if row is None:
        n = org.insert("sf_object_perms", {"parent_n": ps, "sobject_type": obj.name, **values})
    else:
        n = int(row[0])
        org.update("sf_object_perms", n, values)
    return sf_id(PREFIX["object"], n)


def drop_object(org: Org, ps: int, sobject: str) -> None:
    keys = org.keys("sf_object_perms", f"parent_n = {int(ps)} AND lower(sobject_type) = "
                    f"'{sobject.lower().replace(chr(39), '')}'")
    fields = org.keys("sf_field_perms", f"parent_n = {int(ps)} AND lower(sobject_type) = "
                      f"'{sobject.lower().replace(chr(39), '')}'")
    org.purge("sf_object_perms", keys)
    org.purge("sf_field_perms", fields)


def check_field(registry: Registry, field: str, sobject_type: str | None = None) -> str:
    """The canonical `Object.Field` of a field FLS governs, or the picklist error."""
    obj_name, _, name = field.partition(".")
    obj = registry.get(obj_name)
    f = obj.get(name) if obj else None
    if obj is not None and f is None and not name.lower().endswith("id"):
        f = obj.get(name + "Id")  # API 50.0+: a lookup named without its Id
    if obj is None or f is None or not governed(obj, f) or (
            sobject_type is not None and sobject_type.lower() != obj.name.lower()):
        raise bad_picklist(field, ["Field"])
    return f"{obj.name}.{f.name}"


def check_field_rights(registry: Registry, field: str, rights: FieldRights) -> None:
    if rights.edit and not rights.read:
        raise integrity(f"Permission Edit {field} depends on permission(s): Read {field}")
    obj_name, _, name = field.partition(".")
    obj = registry.get(obj_name)
    f = obj.get(name) if obj else None
    if rights.edit and f is not None and not (f.updateable or f.createable):
        raise integrity(f"{field}: field-level security cannot make a read-only field "
                        "editable", ["PermissionsEdit"])


def put_field(org: Org, registry: Registry, ps: int, field: str, rights: FieldRights) -> str:
    canonical = check_field(registry, field)
    check_field_rights(registry, canonical, rights)
    owner_profile(org, ps)
    row = org.cursor().execute("SELECT n FROM sf_field_perms WHERE parent_n = ? AND "
                               "lower(field) = lower(?) AND NOT is_deleted",
                               [ps, canonical]).fetchone()
    if not rights.read:
        if row is not None:
            org.purge("sf_field_perms", [int(row[0])])
        return ""
    values = {"p_read": True, "p_edit": rights.edit}
    if row is None:
        n = org.insert("sf_field_perms", {"parent_n": ps, "field": canonical,
                                          "sobject_type": canonical.split(".")[0], **values})
    else:
        n = int(row[0])
        org.update("sf_field_perms", n, values)
    return sf_id(PREFIX["field"], n)


# ---- assignments and tabs ----------------------------------------------------------
def check_assignable(org: Org, ps: int) -> None:
    if owner_profile(org, ps)[0] is not None:
        raise integrity("You can't assign or unassign a permission set owned by a profile; "
                        "change the user's profile instead", ["PermissionSetId"])


def assign(org: Org, ps: int, user: int) -> str:
    check_assignable(org, ps)
    row = org.cursor().execute("SELECT n FROM sf_ps_assignments WHERE permission_set_n = ? "
                               "AND assignee_n = ? AND NOT is_deleted", [ps, user]).fetchone()
    n = int(row[0]) if row else org.insert("sf_ps_assignments", {"permission_set_n": ps,
                                                                 "assignee_n": user})
    return sf_id(PREFIX["assignment"], n)


def unassign(org: Org, ps: int, user: int) -> None:
    check_assignable(org, ps)
    org.purge("sf_ps_assignments", org.keys(
        "sf_ps_assignments", f"permission_set_n = {int(ps)} AND assignee_n = {int(user)}"))


def check_tab(registry: Registry, tabs: set[str], name: str, visibility: str) -> None:
    standard = name.removeprefix("standard-")
    obj = registry.get(standard) if name.startswith("standard-") else None
    if not ((obj is not None and not obj.custom) or name in tabs):
        raise integrity(f"Invalid tab name: {name}", ["Name"])
    if visibility not in ("DefaultOn", "DefaultOff"):
        raise bad_picklist(visibility, ["Visibility"])


def put_tab(org: Org, registry: Registry, tabs: set[str], ps: int, name: str,
            visibility: str) -> str:
    check_tab(registry, tabs, name, visibility)
    owner_profile(org, ps)
    row = org.cursor().execute("SELECT n FROM sf_tab_settings WHERE parent_n = ? AND name = ? "
                               "AND NOT is_deleted", [ps, name]).fetchone()
    if row is None:
        n = org.insert("sf_tab_settings", {"parent_n": ps, "name": name,
                                           "visibility": visibility})
    else:
        n = int(row[0])
        org.update("sf_tab_settings", n, {"visibility": visibility})
    return sf_id(PREFIX["tab"], n)


# ---- sharing -------------------------------------------------------------------------
def snapshot(org: Org, registry: Registry) -> Snapshot:
    """The hierarchy, groups, rules and defaults the sharing predicates read."""
    cur = org.cursor()
    roles = dict(cur.execute("SELECT n, parent_n FROM teams WHERE NOT is_deleted").fetchall())
    users = dict(cur.execute("SELECT n, team_n FROM users WHERE NOT is_deleted").fetchall())
    groups = {int(n): (str(k), r) for n, k, r in cur.execute(
        "SELECT n, group_type, related_n FROM sf_groups WHERE NOT is_deleted").fetchall()}
    members: dict[int, list[tuple[str, int]]] = {}
    for g, kind, m in cur.execute("SELECT group_n, member_kind, member_n FROM "
                                  "sf_group_members WHERE NOT is_deleted").fetchall():
        members.setdefault(int(g), []).append((str(kind), int(m)))
    rules: dict[str, list[tuple[int, SharingRule]]] = {}
    for n in org.keys("sf_sharing_rules", "NOT is_deleted"):
        group, rule = load_rule(org, n)
        rules.setdefault(rule.sobject.lower(), []).append((group, rule))
    row = cur.execute("SELECT default_account, default_contact, default_opportunity, "
                      "default_lead, default_campaign FROM sf_org_settings").fetchone()
    names = ("Account", "Contact", "Opportunity", "Lead", "Campaign")
    defaults = dict(zip(names, row or (), strict=False))
    defaults.update({"Task": PRIVATE, "Event": PRIVATE, "ForecastingQuota": PRIVATE,
                     "OpportunityLineItem": CONTROLLED})
    return Snapshot(roles, users, groups, members, rules, defaults)


def load_rule(org: Org, n: int) -> tuple[int, SharingRule]:
    obj, name, label, criteria, bf, kind, group, access = org.cursor().execute(
        "SELECT r.object, r.developer_name, r.label, r.criteria, r.boolean_filter, "
        "r.shared_kind, r.shared_n, r.access FROM sf_sharing_rules r WHERE r.n = ?",
        [n]).fetchone() or ("", "", "", "[]", None, "", 0, "Read")
    items = tuple(Criterion(**c) for c in json.loads(criteria))
    return int(group), SharingRule(obj, name, items, kind, shared_name(org, int(group)),
                                   access, label, bf)


def shared_name(org: Org, group: int) -> str:
    row = org.cursor().execute(
        "SELECT coalesce(g.developer_name, t.developer_name, '') FROM sf_groups g LEFT JOIN "
        "teams t ON t.n = g.related_n WHERE g.n = ?", [group]).fetchone()
    return str(row[0]) if row else ""


def target_group(org: Org, rule: SharingRule) -> int:
    """The group a rule shares with (roles share through their role groups)."""
    cur = org.cursor()
    if rule.shared_to == "allInternalUsers":
        row = cur.execute("SELECT n FROM sf_groups WHERE group_type = 'Organization'").fetchone()
    elif rule.shared_to == "group":
        row = cur.execute("SELECT n FROM sf_groups WHERE developer_name = ? AND group_type IN "
                          "('Regular', 'Queue') AND NOT is_deleted",
                          [rule.shared_with]).fetchone()
    else:
        kind = rule.shared_to[0].upper() + rule.shared_to[1:]
        row = cur.execute("SELECT g.n FROM sf_groups g JOIN teams t ON t.n = g.related_n WHERE "
                          "g.group_type = ? AND lower(t.developer_name) = lower(?) AND NOT "
                          "t.is_deleted", [kind, rule.shared_with]).fetchone()
    if row is None:
        raise integrity(f"{rule.name}: no {rule.shared_to} named {rule.shared_with!r}",
                        ["sharedTo"])
    return int(row[0])


def sharing_object(registry: Registry, snap: Snapshot, sobject: str) -> SObject:
    """An object whose default leaves records to share (Private or Public Read Only)."""
    obj = registry.get(sobject)
    if obj is None:
        raise integrity(f"No such object: {sobject}")
    if snap.model(obj) not in (PRIVATE, READ):
        raise integrity(f"{obj.name}: records are shared with everyone by the org-wide "
                        "default; sharing rules and shares need Private or Public Read Only")
    return obj


def put_rule(org: Org, registry: Registry, rule: SharingRule, today: dt.date) -> int:
    check_api_name(rule.name, "fullName")
    snap = snapshot(org, registry)
    obj = sharing_object(registry, snap, rule.sobject)
    criteria_sql(obj, rule, "t", today)  # compiles, or answers why not
    group = target_group(org, rule)
    values = {"object": obj.name, "developer_name": rule.name, "label": rule.label or rule.name,
              "criteria": rule.criteria_json(), "boolean_filter": rule.boolean_filter,
              "shared_kind": rule.shared_to, "shared_n": group, "access": rule.access}
    row = org.cursor().execute("SELECT n FROM sf_sharing_rules WHERE lower(object) = lower(?) "
                               "AND developer_name = ? AND NOT is_deleted",
                               [obj.name, rule.name]).fetchone()
    if row is None:
        return org.insert("sf_sharing_rules", values)
    org.update("sf_sharing_rules", int(row[0]), values)
    return int(row[0])


def delete_rule(org: Org, sobject: str, name: str) -> None:
    keys = [int(r[0]) for r in org.cursor().execute(
        "SELECT n FROM sf_sharing_rules WHERE lower(object) = lower(?) AND developer_name = ?",
        [sobject, name]).fetchall()]
    org.purge("sf_sharing_rules", keys)


def rules_of(org: Org, sobject: str) -> list[SharingRule]:
    keys = [int(r[0]) for r in org.cursor().execute(
        "SELECT n FROM sf_sharing_rules WHERE lower(object) = lower(?) AND NOT is_deleted "
        "ORDER BY n", [sobject]).fetchall()]
    return [load_rule(org, n)[1] for n in keys]


def share_parent(registry: Registry, obj: SObject) -> SObject | None:
    """The object whose records a share object's rows share (None for other objects)."""
    return registry.get(share_parent_name(obj)) if obj.table == "sf_shares" else None


def member(org: Org, user_or_group: str) -> tuple[str, int]:
    """("user" | "group", key) of a UserOrGroupId."""
    parsed = parse_sf_id(user_or_group)
    table = {"005": "users", "00G": "sf_groups"}.get(parsed[0] if parsed else "")
    if parsed is None or table is None or not org.count(table, f"n = {parsed[1]} AND NOT "
                                                              "is_deleted"):
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                      ["UserOrGroupId"])
    return ("user" if table == "users" else "group"), parsed[1]


def check_share_level(model: str, access: str) -> None:
    """A manual share opens more than the default: Read on Private, Edit on either."""
    allowed = ("Read", "Edit") if model == PRIVATE else ("Edit",)
    if access not in allowed:
        raise integrity(f"Access level should be one of {', '.join(allowed)} (higher than "
                        "the org-wide default)", ["AccessLevel"])


def manual_share(org: Org, registry: Registry, sobject: str, record_id: str,
                 user_or_group: str, access: str) -> str:
    snap = snapshot(org, registry)
    obj = sharing_object(registry, snap, sobject)
    parsed = parse_sf_id(record_id)
    if parsed is None or parsed[0] != obj.prefix or not org.count(
            obj.table, f"n = {parsed[1]} AND NOT is_deleted"):
        raise SfError(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id",
                      ["ParentId"])
    check_share_level(snap.model(obj), access)
    kind, n = member(org, user_or_group)
    share = registry.get(f"{obj.name.removesuffix('__c')}{'__' if obj.custom else ''}Share")
    key = org.insert("sf_shares", {"object": obj.name, "parent_n": parsed[1],
                                   "member_kind": kind, "member_n": n, "access": access,
                                   "row_cause": "Manual"})
    return sf_id(share.prefix if share else "02c", key)
