"""What one user may do, as the services below the handlers need it: object rights, field
rights, system permissions and the SQL filter of the records they may read or edit.

`access.Access` computes a `Viewer` per session; the query compiler, the record writer
and describe only read it, so they never import the access model. `None` instead of a
Viewer is the system context (the org generator's and the sandbox's own reads).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import SField, SObject

# The system permissions the sandbox models (PermissionSet / Profile field names without
# the `Permissions` prefix).
SYSTEM_PERMISSIONS = (
    "ApiEnabled", "ApiUserOnly", "ViewAllData", "ModifyAllData", "CustomizeApplication",
    "ModifyMetadata", "ViewSetup", "ManageUsers", "AssignPermissionSets",
    "ManageProfilesPermissionsets", "ManageSharing", "EditTask", "EditEvent", "RunReports",
    "ViewAllUsers",
)


@dataclass(frozen=True)
class ObjectRights:
    """ObjectPermissions of one object, as the union over a user's permission sets."""

    read: bool = False
    create: bool = False
    edit: bool = False
    delete: bool = False
    view_all: bool = False
    modify_all: bool = False

    def __or__(self, other: ObjectRights) -> ObjectRights:
        return ObjectRights(*(a or b for a, b in zip(self.astuple(), other.astuple(),
                                                     strict=True)))

    def astuple(self) -> tuple[bool, ...]:
        return (self.read, self.create, self.edit, self.delete, self.view_all,
                self.modify_all)


ALL = ObjectRights(True, True, True, True, True, True)
NONE = ObjectRights()


@dataclass(frozen=True)
class FieldRights:
    """Field-level security of one field: read (visible) and edit."""

    read: bool = False
    edit: bool = False


@dataclass(frozen=True)
class Predicate:
    """An SQL condition over a table alias, with its bound parameters in text order."""

    sql: str
    params: tuple[Any, ...] = ()


# (object, alias, level) → filter; level "Read", "Edit" or "All" (full access: delete,
# share, transfer).
PredicateFn = Callable[[SObject, str, str], Predicate | None]


@dataclass
class Viewer:
    """One user's effective access: the union of their profile's and permission sets'
    grants. `predicate(obj, alias, edit)` is the SQL filter of the records they may read
    (edit=False) or edit on `obj`; None means every record."""

    user_n: int
    user_id: str
    username: str
    permissions: frozenset[str]
    objects: dict[str, ObjectRights] = field(default_factory=dict)  # lower name → rights
    fields: dict[tuple[str, str], FieldRights] = field(default_factory=dict)
    predicate: PredicateFn | None = None

    def has(self, permission: str) -> bool:
        """A system permission (`ViewAllData`, `CustomizeApplication`, …)."""
        return permission in self.permissions

    def object_rights(self, obj: SObject) -> ObjectRights:
        return self.objects.get(obj.name.lower(), NONE)

    def can_read(self, obj: SObject) -> bool:
        return self.object_rights(obj).read

    def field_rights(self, obj: SObject, f: SField) -> FieldRights:
        return self.fields.get((obj.name.lower(), f.name.lower()), FieldRights())

    def can_read_field(self, obj: SObject, f: SField) -> bool:
        return self.can_read(obj) and self.field_rights(obj, f).read

    def can_edit_field(self, obj: SObject, f: SField) -> bool:
        return self.can_read_field(obj, f) and self.field_rights(obj, f).edit

    def records(self, obj: SObject, alias: str = "t", edit: bool = False) -> Predicate | None:
        """The records this user may read (or edit) on `obj`, over `alias`."""
        return self.level(obj, alias, "Edit" if edit else "Read")

    def level(self, obj: SObject, alias: str, level: str) -> Predicate | None:
        """The records this user has `level` access to ("Read", "Edit", "All")."""
        return None if self.predicate is None else self.predicate(obj, alias, level)
