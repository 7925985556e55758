"""What writes to the access model's sObjects check and set off.

Each hook answers one record with the error Salesforce gives (as a RecordError, so that
Collections and Bulk report it per record), and after a committed write keeps dependent
rows in step: a profile's own permission set, a user's profile assignment, a role's
groups, a deleted permission set's rights and assignments, FieldPermissions without read
and ObjectPermissions without any right removed, as Salesforce removes them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ids import sf_id
from ..org import Org
from . import access_grants as grants
from .access import Access
from .access_tables import GROUP_KINDS, PROFILE_N, STANDARD_USER, perm_column
from .errors import RecordError, SfError
from .model import Registry, SObject
from .rights import ALL, FieldRights, ObjectRights, Viewer
from .sharing import ints

Check = Callable[[str, dict[str, Any], "int | None", "Viewer | None"], None]
RIGHTS = ("p_read", "p_create", "p_edit", "p_delete", "p_view_all", "p_modify_all")
NO_ACCESS = ("INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
# The columns that make a record unique (two records of one call may not share them).
UNIQUE = {"PermissionSet": ("name",), "ObjectPermissions": ("parent_n", "sobject_type"),
          "FieldPermissions": ("parent_n", "field"),
          "PermissionSetAssignment": ("permission_set_n", "assignee_n"),
          "PermissionSetTabSetting": ("parent_n", "name"), "Group": ("developer_name",),
          "GroupMember": ("group_n", "member_kind", "member_n"), "Profile": ("name",)}


def refused(code: str, message: str, fields: list[str] | None = None) -> RecordError:
    return RecordError(code, message, fields or [])


class Hooks:
    """The hooks of the access model's sObjects, over one org and its access model."""

    def __init__(self, org: Org, registry: Registry, access: Access) -> None:
        self.org, self.registry, self.access = org, registry, access
        self.checks: dict[str, Check] = {
            "PermissionSet": self.permission_set, "ObjectPermissions": self.object_perms,
            "FieldPermissions": self.field_perms, "PermissionSetAssignment": self.assignment,
            "PermissionSetTabSetting": self.tab, "Profile": self.profile,
            "Group": self.group, "GroupMember": self.group_member, "UserRole": self.role,
            "User": self.user}

    def attach(self, obj: SObject) -> None:
        check = self.share if obj.table == "sf_shares" else self.checks.get(obj.name)
        if check is not None:
            obj.check = guarded(check)
        obj.on_write = lambda op, keys: self.written(obj, op, keys)
        columns = UNIQUE.get(obj.name)
        if columns is not None:
            obj.unique_key = lambda core: tuple(str(core.get(c, "")).lower() for c in columns)

    def row(self, table: str, key: int, columns: str) -> tuple[Any, ...]:
        found = self.org.cursor().execute(f"SELECT {columns} FROM {table} WHERE n = ?",
                                          [key]).fetchone()
        return tuple(found) if found else ()

    def exists(self, table: str, key: Any, field: str) -> None:
        if key is None or not self.org.count(table, f"n = {int(key)} AND NOT is_deleted"):
            raise refused("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", [field])

    def unique(self, table: str, where: str, params: list[Any], key: int | None) -> None:
        sql = f"SELECT n FROM {table} WHERE NOT is_deleted AND {where}"
        found = [int(r[0]) for r in self.org.cursor().execute(sql, params).fetchall()]
        if [n for n in found if n != key]:
            raise grants.duplicate()

    # ---- permission sets and their rights --------------------------------------------
    def permission_set(self, op: str, core: dict[str, Any], key: int | None,
                       viewer: Viewer | None) -> None:
        if op == "delete":
            if grants.owner_profile(self.org, int(key or 0))[0] is not None:
                raise refused(*NO_ACCESS)
            return
        if op == "create" or "name" in core:
            grants.check_api_name(str(core.get("name") or ""))
            self.unique("sf_permission_sets", "name = ?", [core.get("name")], key)
        if op == "create" and not core.get("label"):
            raise refused("REQUIRED_FIELD_MISSING", "Required fields are missing: [Label]",
                          ["Label"])
        if key is not None and any(c.startswith("perm_") for c in core):
            grants.check_not_standard_profile(self.org, key)

    def object_perms(self, op: str, core: dict[str, Any], key: int | None,
                     viewer: Viewer | None) -> None:
        old = self.row("sf_object_perms", key, "parent_n, sobject_type, " + ", ".join(RIGHTS)) \
            if key is not None else (core.get("parent_n"), core.get("sobject_type"))
        parent, sobject = old[0], str(old[1] or "")
        self.exists("sf_permission_sets", parent, "ParentId")
        grants.check_not_standard_profile(self.org, int(parent))
        if op == "delete":
            return
        obj = grants.check_sobject(self.registry, sobject)
        if op == "create":
            core["sobject_type"] = obj.name
            self.unique("sf_object_perms", "parent_n = ? AND lower(sobject_type) = lower(?)",
                        [parent, obj.name], None)
        else:
            core.pop("sobject_type", None)
        had = old[2:] if key is not None else (False,) * 6
        merged = [bool(core.get(c, had[i] if i < len(had) else False))
                  for i, c in enumerate(RIGHTS)]
        grants.check_dependencies(obj, ObjectRights(*merged))

    def field_perms(self, op: str, core: dict[str, Any], key: int | None,
                    viewer: Viewer | None) -> None:
        if op == "delete":
            return
        if op == "create":
            self.exists("sf_permission_sets", core.get("parent_n"), "ParentId")
            field = grants.check_field(self.registry, str(core.get("field") or ""),
                                       str(core.get("sobject_type") or ""))
            core["field"], core["sobject_type"] = field, field.split(".")[0]
            self.unique("sf_field_perms", "parent_n = ? AND lower(field) = lower(?)",
                        [core["parent_n"], field], None)
            had: tuple[Any, ...] = (field, False, False)
        else:
            had = self.row("sf_field_perms", int(key or 0), "field, p_read, p_edit")
        rights = FieldRights(bool(core.get("p_read", had[1])), bool(core.get("p_edit", had[2])))
        grants.check_field_rights(self.registry, str(had[0]), rights)

    def assignment(self, op: str, core: dict[str, Any], key: int | None,
                   viewer: Viewer | None) -> None:
        if op == "update":
            return
        ps, user = (core.get("permission_set_n"), core.get("assignee_n")) if op == "create" \
            else self.row("sf_ps_assignments", int(key or 0), "permission_set_n, assignee_n")
        self.exists("sf_permission_sets", ps, "PermissionSetId")
        grants.check_assignable(self.org, int(ps))
        if op == "create":
            self.exists("users", user, "AssigneeId")
            if self.org.count("sf_ps_assignments", f"permission_set_n = {int(ps)} AND "
                              f"assignee_n = {int(user)} AND NOT is_deleted"):
                raise refused("DUPLICATE_VALUE", "Duplicate PermissionSetAssignment. "
                              f"Assignee: {sf_id('005', int(user))}, PermissionSet: "
                              f"{sf_id('0PS', int(ps))}")

    def tab(self, op: str, core: dict[str, Any], key: int | None,
            viewer: Viewer | None) -> None:
        if op == "delete":
            return
        if op == "create":
            self.exists("sf_permission_sets", core.get("parent_n"), "ParentId")
            grants.check_tab(self.registry, self.access.tabs, str(core.get("name") or ""),
                             str(core.get("visibility") or ""))
            self.unique("sf_tab_settings", "parent_n = ? AND name = ?",
                        [core["parent_n"], core["name"]], None)
        elif "visibility" in core and core["visibility"] not in ("DefaultOn", "DefaultOff"):
            raise grants.bad_picklist(str(core["visibility"]), ["Visibility"])

    def profile(self, op: str, core: dict[str, Any], key: int | None,
                viewer: Viewer | None) -> None:
        if op == "delete":
            standard = self.row("sf_profiles", int(key or 0), "is_standard")
            if standard and standard[0]:
                raise refused(*NO_ACCESS)
            if self.org.count("users", f"sf_profile_n = {int(key or 0)}"):
                raise refused("FIELD_INTEGRITY_EXCEPTION", "Profile is assigned to users")
            return
        if op == "create" or "name" in core:
            if not core.get("name"):
                raise refused("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]",
                              ["Name"])
            self.unique("sf_profiles", "lower(name) = lower(?)", [core["name"]], key)
        if op == "create":
            self.exists("sf_licenses", core.get("license_n"), "UserLicenseId")

    # ---- groups, roles, users ----------------------------------------------------------
    def group(self, op: str, core: dict[str, Any], key: int | None,
              viewer: Viewer | None) -> None:
        if op != "create":
            kind = self.row("sf_groups", int(key or 0), "group_type")
            if kind and kind[0] not in ("Regular", "Queue"):
                raise refused(*NO_ACCESS)
            if op == "delete":
                return
        if op == "create":
            core.setdefault("group_type", "Regular")
        if core.get("group_type") not in (None, "Regular", "Queue"):
            raise grants.bad_picklist(str(core["group_type"]), ["Type"])
        if op == "create" and not core.get("developer_name"):
            core["developer_name"] = grants.api_name(str(core.get("name") or ""))
        if "developer_name" in core:
            grants.check_api_name(str(core["developer_name"]), "DeveloperName")
            self.unique("sf_groups", "developer_name = ?", [core["developer_name"]], key)

    def group_member(self, op: str, core: dict[str, Any], key: int | None,
                     viewer: Viewer | None) -> None:
        if op != "create":
            return
        self.exists("sf_groups", core.get("group_n"), "GroupId")
        kind = self.row("sf_groups", int(core["group_n"]), "group_type")
        if kind and kind[0] not in ("Regular", "Queue"):
            raise refused(*NO_ACCESS)
        table = "users" if core.get("member_kind") == "user" else "sf_groups"
        self.exists(table, core.get("member_n"), "UserOrGroupId")
        self.unique("sf_group_members", "group_n = ? AND member_kind = ? AND member_n = ?",
                    [core["group_n"], core["member_kind"], core["member_n"]], None)

    def role(self, op: str, core: dict[str, Any], key: int | None,
             viewer: Viewer | None) -> None:
        if op == "delete":
            if self.org.count("users", f"team_n = {int(key or 0)} AND NOT is_deleted"):
                raise refused("FIELD_INTEGRITY_EXCEPTION", "Cannot delete a role that users "
                              "are assigned to")
            return
        parent = core.get("parent_n")
        if parent is not None:
            self.exists("teams", parent, "ParentRoleId")
            seen, at = {key}, parent
            while at is not None:  # no role may sit below itself
                if at in seen:
                    raise refused("FIELD_INTEGRITY_EXCEPTION", "Parent Role ID: a role can't "
                                  "report to itself or to a role below it", ["ParentRoleId"])
                seen.add(at)
                found = self.row("teams", int(at), "parent_n")
                at = found[0] if found else None
        if op == "create" and not core.get("developer_name"):
            core["developer_name"] = grants.api_name(str(core.get("name") or ""))
        if "developer_name" in core:
            grants.check_api_name(str(core["developer_name"]), "DeveloperName")
            self.unique("teams", "lower(developer_name) = lower(?)", [core["developer_name"]],
                        key)

    def user(self, op: str, core: dict[str, Any], key: int | None,
             viewer: Viewer | None) -> None:
        if op == "create":
            core.setdefault("sf_profile_n", PROFILE_N[STANDARD_USER])
        if "sf_profile_n" in core:
            self.exists("sf_profiles", core["sf_profile_n"], "ProfileId")

    # ---- record shares -------------------------------------------------------------
    def share(self, op: str, core: dict[str, Any], key: int | None,
              viewer: Viewer | None) -> None:
        old = self.row("sf_shares", int(key), "object, parent_n, row_cause, access") \
            if key is not None else (core.get("object"), core.get("parent_n"), "Manual", None)
        parent = self.registry.get(str(old[0]))
        if parent is None:
            raise refused(*NO_ACCESS)
        self.exists(parent.table, old[1], "ParentId")
        if viewer is not None:
            pred = viewer.level(parent, "t", "All")
            if pred is not None and not self.org.cursor().execute(
                    f"SELECT count(*) FROM {parent.table} t WHERE t.n = ? AND {pred.sql}",
                    [old[1], *pred.params]).fetchone()[0]:  # type: ignore[index]
                raise refused(*NO_ACCESS)
        if op == "delete":
            if old[2] != "Manual":
                raise refused(*NO_ACCESS)
            return
        if op == "create":
            table = "users" if core.get("member_kind") == "user" else "sf_groups"
            self.exists(table, core.get("member_n"), "UserOrGroupId")
        snap = grants.snapshot(self.org, self.registry)
        if "access" in core or op == "create":
            grants.check_share_level(snap.model(parent), str(core.get("access") or ""))

    # ---- after a write ---------------------------------------------------------------
    def written(self, obj: SObject, op: str, keys: list[int]) -> None:
        """Keep dependent rows in step, then let every viewer be recomputed."""
        name, listed = obj.name, ints(keys)
        touched = None  # the objects whose access changed, None for any
        if name in ("ObjectPermissions", "FieldPermissions"):
            table = "sf_object_perms" if name == "ObjectPermissions" else "sf_field_perms"
            touched = [str(r[0]) for r in self.org.cursor().execute(
                f"SELECT DISTINCT sobject_type FROM {table} WHERE n IN ({listed})").fetchall()]
        if name == "PermissionSet" and op == "delete":
            for table, col in (("sf_object_perms", "parent_n"), ("sf_field_perms", "parent_n"),
                               ("sf_tab_settings", "parent_n"),
                               ("sf_ps_assignments", "permission_set_n")):
                self.org.purge(table, self.org.keys(table, f"{col} IN ({listed})"))
        elif name == "ObjectPermissions":
            self.org.purge("sf_object_perms", self.org.keys(
                "sf_object_perms", f"n IN ({listed}) AND NOT ({' OR '.join(RIGHTS)})"))
        elif name == "FieldPermissions":
            self.org.purge("sf_field_perms", self.org.keys(
                "sf_field_perms", f"n IN ({listed}) AND NOT p_read"))
        elif name == "Profile":
            self.profiles_written(op, keys)
        elif name == "UserRole":
            self.roles_written(op, keys)
        elif name == "User":
            self.profile_assignments(keys)
        elif name == "Group" and op == "delete":
            self.org.purge("sf_group_members", self.org.keys(
                "sf_group_members", f"group_n IN ({listed}) OR (member_kind = 'group' AND "
                f"member_n IN ({listed}))"))
        self.access.changed(touched)

    def profiles_written(self, op: str, keys: list[int]) -> None:
        listed = ints(keys)
        if op == "create":
            for n, license_n in self.org.cursor().execute(
                    f"SELECT n, license_n FROM sf_profiles WHERE n IN ({listed})").fetchall():
                ps = self.org.next_n("sf_permission_sets")
                self.org.insert("sf_permission_sets", {
                    "n": ps, "name": f"X00e{int(n):011d}", "label": f"00e{int(n):012d}",
                    "profile_n": n, "license_n": license_n})
        elif op == "delete":
            self.org.purge("sf_permission_sets", self.org.keys(
                "sf_permission_sets", f"profile_n IN ({listed})"))

    def roles_written(self, op: str, keys: list[int]) -> None:
        listed = ints(keys)
        if op == "create":
            for role in keys:
                for kind in GROUP_KINDS:
                    self.org.insert("sf_groups", {"name": "", "group_type": kind,
                                                  "related_n": role})
        elif op == "delete":
            self.org.purge("sf_groups", self.org.keys("sf_groups", f"related_n IN ({listed}) "
                                                      f"AND group_type LIKE 'Role%'"))

    def profile_assignments(self, users: list[int]) -> None:
        """Each user holds exactly their profile's permission set."""
        listed = ints(users)
        self.org.purge("sf_ps_assignments", self.org.keys(
            "sf_ps_assignments", f"assignee_n IN ({listed}) AND permission_set_n IN (SELECT n "
            "FROM sf_permission_sets WHERE profile_n IS NOT NULL)"))
        rows = self.org.cursor().execute(
            f"SELECT u.n, ps.n FROM users u JOIN sf_permission_sets ps ON ps.profile_n = "
            f"u.sf_profile_n WHERE u.n IN ({listed})").fetchall()
        self.org.insert_many("sf_ps_assignments", [
            {"assignee_n": int(u), "permission_set_n": int(p)} for u, p in rows])

    def object_added(self, obj: SObject) -> None:
        """A new custom object: permission sets with Modify All Data get every right on it
        (ObjectPermissions rows, as Salesforce stores them); nobody else gets any."""
        rows = self.org.cursor().execute(
            f"SELECT n FROM sf_permission_sets WHERE {perm_column('ModifyAllData')} AND NOT "
            "is_deleted").fetchall()
        self.org.insert_many("sf_object_perms", [
            {"parent_n": int(n), "sobject_type": obj.name,
             **dict(zip(RIGHTS, ALL.astuple(), strict=True))} for (n,) in rows])
        self.access.changed([obj.name])


def guarded(check: Check) -> Check:
    """A check whose SfErrors become per-record errors."""
    def run(op: str, core: dict[str, Any], key: int | None, viewer: Viewer | None) -> None:
        try:
            check(op, core, key, viewer)
        except SfError as exc:
            raise RecordError(exc.code, exc.message, exc.fields or []) from exc
    return run
