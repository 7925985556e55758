"""Who sees what in the Salesforce org: the API the sandbox's handlers and its other
engineers' modules (Metadata API deploys, the GraphQL endpoint, reports) build on.

    access = ctx.access
    access.user_of(token)                          # "005…" of the session's user, or None
    v = access.viewer("005…")                      # a user's effective rights (rights.Viewer)
    access.object_rights("005…", "Account")        # ObjectRights(read, create, edit, …)
    access.field_rights("005…", "Account", "Territory__c")   # FieldRights(read, edit)
    access.records("005…", "Account", alias="t")   # Predicate(sql, params) or None (all)
    ps = access.upsert_permission_set("KPI_Readers", label="KPI Readers")
    access.grant_object(ps, "Sales_KPI__c", read=True)
    access.grant_field(ps, "Sales_KPI__c.Value__c", read=True, edit=False)
    access.assign(ps, "005…")
    access.set_tab(ps, "Sales_KPI__c", "DefaultOn")
    access.put_sharing_rule(SharingRule("Sales_KPI__c", "Company_rows", (Criterion(
        "Scope_Type__c", "equals", "company"),), "allInternalUsers"))

Users are named by id ("005…") or username; permission sets by id ("0PS…") or API name.
Every change takes effect at once (the next request sees it). Errors are `SfError`s with
the code and message the REST API answers for the same mistake.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, Protocol

from ..ids import parse_sf_id, sf_id
from ..org import Org
from . import access_grants as grants
from .access_rights import compute_viewer
from .access_tables import PROFILE_N
from .errors import SfError
from .model import Registry, SObject
from .rights import FieldRights, ObjectRights, Predicate, Viewer
from .sharing import SHARED_TO, Sharing, SharingRule, Snapshot

PS_PREFIX, USER_PREFIX = "0PS", "005"


class SessionOwners(Protocol):
    """What the access model needs of the issued sessions (auth.Sessions)."""

    def user_of(self, token: str) -> int | None:
        """The key of the user a live session belongs to, None for none."""


class Access:
    """The org's access model over its `sf_*` tables (see `access_tables`)."""

    def __init__(self, org: Org, registry: Registry, sessions: SessionOwners) -> None:
        self.org, self.registry, self.sessions = org, registry, sessions
        self._lock = threading.RLock()
        self.version = 0  # bumped by every change of who sees what
        self.changed_at = org.window.start  # last change for every object (org clock)
        self._object_changed: dict[str, dt.datetime] = {}  # … for one object
        self._viewers: dict[int, tuple[tuple[Any, ...], Viewer]] = {}
        self._snapshot: tuple[tuple[Any, ...], Sharing] | None = None
        self.tabs: set[str] = {"NPS_Response__c"}  # custom tabs (CustomTab) of the org
        self._filters: dict[str, Callable[[Viewer, str], Predicate | None]] = {}

    # ---- identity ------------------------------------------------------------------
    def user_of(self, token: str) -> str | None:
        """The id ("005…") of the user a live session token belongs to."""
        n = self.sessions.user_of(token)
        return None if n is None else sf_id(USER_PREFIX, n)

    def viewer_of(self, token: str) -> Viewer | None:
        """The effective rights of a session's user, None for no live session."""
        n = self.sessions.user_of(token)
        return None if n is None else self.viewer(n)

    def user_n(self, user: str | int) -> int:
        """A user's key from an id, a username or a key; 404 NOT_FOUND for none."""
        if isinstance(user, int):
            return user
        parsed = parse_sf_id(user)
        if parsed is not None and parsed[0] == USER_PREFIX:
            n: int | None = parsed[1]
            row = self.org.cursor().execute("SELECT n FROM users WHERE n = ?", [n]).fetchone()
        else:
            row = self.org.cursor().execute("SELECT n FROM users WHERE lower(username) = "
                                            "lower(?)", [user]).fetchone()
        if row is None:
            raise SfError(404, "NOT_FOUND", f"No such user: {user}")
        return int(row[0])

    def viewer(self, user: str | int) -> Viewer:
        """A user's effective rights: the union of their profile's and their permission
        sets' grants, with the record filter of each object (`Viewer.records`)."""
        n = self.user_n(user)
        key = self._key()
        with self._lock:
            hit = self._viewers.get(n)
            if hit is not None and hit[0] == key:
                return hit[1]
        viewer = compute_viewer(self.org, self.registry, n)
        viewer.predicate = lambda obj, alias, level: self._records(viewer, obj, alias, level)
        with self._lock:
            self._viewers[n] = (key, viewer)
        return viewer

    def _key(self) -> tuple[Any, ...]:
        """What a cached viewer depends on: access changes, fields added, the day."""
        fields = sum(o.revision for o in self.registry.all())
        return (self.version, self.registry.revision, fields, self.org.clock.today())

    # ---- rights --------------------------------------------------------------------
    def object_rights(self, user: str | int, sobject: str) -> ObjectRights:
        """The user's ObjectPermissions on an object (all false for an unknown one)."""
        obj = self.registry.get(sobject)
        return self.viewer(user).object_rights(obj) if obj else ObjectRights()

    def field_rights(self, user: str | int, sobject: str, field: str) -> FieldRights:
        """The user's field-level security on `sobject.field` (no access without object
        Read, as the API applies it)."""
        obj = self.registry.get(sobject)
        f = obj.get(field) if obj else None
        if obj is None or f is None:
            return FieldRights()
        v = self.viewer(user)
        return FieldRights(v.can_read_field(obj, f), v.can_edit_field(obj, f))

    def readable_fields(self, user: str | int, sobject: str) -> list[str]:
        """The names of the fields the user sees on an object (describe's list)."""
        obj = self.registry.get(sobject)
        if obj is None:
            return []
        v = self.viewer(user)
        return [f.name for f in obj.fields.values() if v.can_read_field(obj, f)]

    def records(self, user: str | int, sobject: str, alias: str = "t",
                edit: bool = False) -> Predicate | None:
        """The SQL condition (over the object's table under `alias`) of the records the
        user may read (or edit); None when they may read (edit) every record."""
        obj = self.registry.get(sobject)
        if obj is None:
            raise SfError(404, "NOT_FOUND", f"sObject type '{sobject}' is not supported.")
        return self.viewer(user).records(obj, alias, edit)

    def _records(self, v: Viewer, obj: SObject, alias: str, level: str) -> Predicate | None:
        rows = self._filters.get(obj.name.lower())
        if rows is not None:
            return rows(v, alias)
        rights = v.object_rights(obj)
        if rights.modify_all or (level == "Read" and rights.view_all):
            return None
        parent = grants.share_parent(self.registry, obj)
        if parent is not None:  # share rows: those of the records the user can read
            inner = self._records(v, parent, "sh", "Read")
            return None if inner is None else Predicate(
                f"{alias}.parent_n IN (SELECT sh.n FROM {parent.table} sh WHERE {inner.sql})",
                inner.params)
        return self._sharing().predicate(v.user_n, obj, alias, level)

    def _sharing(self) -> Sharing:
        key = self._key()
        with self._lock:
            if self._snapshot is not None and self._snapshot[0] == key:
                return self._snapshot[1]
        snap: Snapshot = grants.snapshot(self.org, self.registry)
        sharing = Sharing(self.registry, snap, self.org.clock.today())
        with self._lock:
            self._snapshot = (key, sharing)
        return sharing

    def changed(self, objects: list[str] | None = None) -> None:
        """Something that decides who sees what changed — on `objects` only (object and
        field permissions), or on any (assignments, profiles, roles, sharing): recompute
        on the next request, and date the change for describe revalidation."""
        now = self.org.clock.now()
        with self._lock:
            self.version += 1
            if objects is None:
                self.changed_at = now
            for name in objects or ():
                self._object_changed[name.lower()] = now

    def stamp(self, sobject: str | None = None) -> dt.datetime:
        """When access to `sobject` (None: to any object) last changed."""
        with self._lock:
            if sobject is None:
                return max([self.changed_at, *self._object_changed.values()])
            return max(self.changed_at, self._object_changed.get(sobject.lower(),
                                                                 self.changed_at))

    # ---- grants --------------------------------------------------------------------
    def permission_set_n(self, permission_set: str) -> int:
        """A permission set's key from its id or API name; 404 NOT_FOUND for none."""
        parsed = parse_sf_id(permission_set)
        arg: list[Any] = [permission_set]
        sql = "name = ?"
        if parsed is not None and parsed[0] == PS_PREFIX:
            sql, arg = "n = ?", [parsed[1]]
        row = self.org.cursor().execute(f"SELECT n FROM sf_permission_sets WHERE {sql} AND "
                                        "NOT is_deleted", arg).fetchone()
        if row is None:
            raise SfError(404, "NOT_FOUND", f"No such permission set: {permission_set}")
        return int(row[0])

    def profile_permission_set(self, profile: str) -> str:
        """The id of the permission set a profile owns (its rights live there)."""
        n = PROFILE_N.get(profile)
        row = self.org.cursor().execute(
            "SELECT ps.n FROM sf_permission_sets ps JOIN sf_profiles p ON p.n = ps.profile_n "
            "WHERE p.name = ? OR p.n = ?", [profile, n or -1]).fetchone()
        if row is None:
            raise SfError(404, "NOT_FOUND", f"No such profile: {profile}")
        return sf_id(PS_PREFIX, int(row[0]))

    def upsert_permission_set(self, name: str, label: str | None = None,
                              description: str | None = None,
                              permissions: dict[str, bool] | None = None) -> str:
        """Create the permission set `name` (API name) or update its label, description
        and system permissions (`{"ViewSetup": True}`); returns its id."""
        n = grants.upsert_permission_set(self.org, name, label, description, permissions or {})
        self.changed()
        return sf_id(PS_PREFIX, n)

    def grant_object(self, permission_set: str, sobject: str, *, read: bool = True,
                     create: bool = False, edit: bool = False, delete: bool = False,
                     view_all: bool = False, modify_all: bool = False) -> str:
        """Set a permission set's ObjectPermissions on an object (replacing what it had);
        returns the ObjectPermissions id. Dependencies are Salesforce's: create, edit,
        view all need read; delete needs edit; modify all needs every other right."""
        rights = ObjectRights(read, create, edit, delete, view_all, modify_all)
        row = grants.put_object(self.org, self.registry, self.permission_set_n(permission_set),
                                sobject, rights)
        self.changed([sobject])
        return row

    def revoke_object(self, permission_set: str, sobject: str) -> None:
        """Remove a permission set's rights on an object (and its fields' FLS)."""
        grants.drop_object(self.org, self.permission_set_n(permission_set), sobject)
        self.changed([sobject])

    def grant_field(self, permission_set: str, field: str, *, read: bool = True,
                    edit: bool = False) -> str:
        """Set a permission set's field-level security on `Object.Field`; returns the
        FieldPermissions id (read=False removes the row, as Salesforce does)."""
        row = grants.put_field(self.org, self.registry, self.permission_set_n(permission_set),
                               field, FieldRights(read, edit))
        self.changed([field.partition(".")[0]])
        return row

    def revoke_field(self, permission_set: str, field: str) -> None:
        """Remove a permission set's access to `Object.Field`."""
        grants.put_field(self.org, self.registry, self.permission_set_n(permission_set),
                         field, FieldRights())
        self.changed([field.partition(".")[0]])

    def assign(self, permission_set: str, user: str | int) -> str:
        """Assign a permission set to a user (idempotent); returns the assignment id."""
        row = grants.assign(self.org, self.permission_set_n(permission_set),
                            self.user_n(user))
        self.changed()
        return row

    def unassign(self, permission_set: str, user: str | int) -> None:
        grants.unassign(self.org, self.permission_set_n(permission_set), self.user_n(user))
        self.changed()

    def add_tab(self, name: str) -> None:
        """Declare a custom tab (a deployed CustomTab) so tab settings may name it."""
        with self._lock:
            self.tabs.add(name)

    def set_tab(self, permission_set: str, tab: str, visibility: str = "DefaultOn") -> str:
        """Set a permission set's tab setting (`standard-Account`, or a custom tab);
        visibility DefaultOn or DefaultOff; returns the PermissionSetTabSetting id."""
        row = grants.put_tab(self.org, self.registry, self.tabs,
                             self.permission_set_n(permission_set), tab, visibility)
        self.changed()
        return row

    # ---- sharing -------------------------------------------------------------------
    def put_sharing_rule(self, rule: SharingRule) -> str:
        """Add or replace (by object and name) a criteria-based sharing rule; it is
        evaluated on every later read. `shared_to` is one of SHARED_TO."""
        if rule.shared_to not in SHARED_TO or rule.access not in ("Read", "Edit"):
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                          f"{rule.name}: sharedTo must be one of {', '.join(SHARED_TO)} "
                          "and accessLevel Read or Edit")
        n = grants.put_rule(self.org, self.registry, rule, self.org.clock.today())
        self.changed()
        return str(n)

    def delete_sharing_rule(self, sobject: str, name: str) -> None:
        grants.delete_rule(self.org, sobject, name)
        self.changed()

    def sharing_rules(self, sobject: str) -> list[SharingRule]:
        """The criteria-based sharing rules of an object, in creation order."""
        return grants.rules_of(self.org, sobject)

    def share(self, sobject: str, record_id: str, user_or_group: str,
              access: str = "Read") -> str:
        """A manual share (RowCause Manual) of one record with a user or group."""
        row = grants.manual_share(self.org, self.registry, sobject, record_id, user_or_group,
                                  access)
        self.changed()
        return row

    # ---- added for Metadata API deploys and analytics (branch sf-metadata) ----------
    def org_default(self, sobject: str) -> str:
        """An object's internal org-wide default ("None" private, "Read", "Edit",
        "ControlledByParent", …) as sharing reads it."""
        obj = self.registry.get(sobject)
        if obj is None:
            raise SfError(404, "NOT_FOUND", f"sObject type '{sobject}' is not supported.")
        return self._sharing().snap.model(obj)

    def set_sharing_model(self, sobject: str, model: str) -> None:
        """A custom object's org-wide default (CustomObject.sharingModel: Private, Read,
        ReadWrite, FullAccess, ControlledByParent)."""
        obj = self.registry.get(sobject)
        if obj is None or not obj.custom:
            raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                          f"{sobject}: the sandbox sets the sharing model of custom objects")
        obj.sharing_model = model
        self.changed([obj.name])

    def share_group(self, shared_to: str, name: str = "") -> int | None:
        """The group a share with `shared_to` (SHARED_TO) named `name` reaches through,
        None when there is no such group or role."""
        try:
            return grants.target_group(self.org, SharingRule("", name, (), shared_to, name))
        except SfError:
            return None

    def reaches(self, user: str | int, shared_to: str, name: str = "") -> bool:
        """Whether a share with `shared_to` named `name` reaches the user (all internal
        users, a role, a role and its subordinates, a public group)."""
        group = self.share_group(shared_to, name)
        return group is not None and group in self._sharing().snap.groups_of(
            self.user_n(user))

    def tab_settings(self, user: str | int) -> dict[str, str]:
        """The user's tab settings over their profile and permission sets: tab name →
        DefaultOn (visible) or DefaultOff (available); DefaultOn wins."""
        rows = self.org.cursor().execute(
            "SELECT t.name, max(t.visibility) FROM sf_tab_settings t JOIN sf_ps_assignments "
            "a ON a.permission_set_n = t.parent_n WHERE a.assignee_n = ? AND NOT t.is_deleted "
            "AND NOT a.is_deleted GROUP BY t.name", [self.user_n(user)]).fetchall()
        return {str(name): str(visibility) for name, visibility in rows}

    def add_record_filter(self, sobject: str,
                          rows: Callable[[Viewer, str], Predicate | None]) -> None:
        """Decide who reads the records of an object the sharing model does not govern
        (Report, Dashboard, Folder: their folders decide) by `rows(viewer, alias)`."""
        with self._lock:
            self._filters[sobject.lower()] = rows
