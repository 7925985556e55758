"""The Salesforce view of the org: sObjects and fields over the neutral core tables.

Each field knows its describe attributes and how to read it (`sql`, a template over the
table alias `{t}`) and write it (`column`). The registry is mutable: the Tooling API adds
custom objects and fields at run time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ids import PREFIX

# Describe types by how SOQL compares them and writes convert them.
NUMERIC = frozenset({"currency", "double", "int", "percent"})
TEXT = frozenset({"string", "picklist", "email", "textarea", "phone", "url", "multipicklist"})


@dataclass
class SField:
    """One field of an sObject, with what describe reports about it."""

    name: str
    type: str
    label: str = ""
    column: str | None = None  # writable core column, when the field maps onto one
    sql: str | None = None  # read expression over `{t}`; defaults to {t}.column
    reference_to: tuple[str, ...] = ()
    relationship_name: str | None = None
    custom: bool = False
    updateable: bool = True
    createable: bool = True
    nillable: bool = True
    external_id: bool = False
    unique: bool = False
    picklist: tuple[str, ...] = ()
    length: int = 0
    precision: int = 0
    scale: int = 0
    help_text: str = ""  # inlineHelpText
    # Polymorphic references: the core column holding the target kind, and kind → sObject.
    kind_column: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)

    def read_sql(self, t: str) -> str:
        """SQL reading this field from alias `t`."""
        if self.sql is not None:
            return self.sql.format(t=t)
        return f"{t}.{self.column}"


@dataclass
class SObject:
    """An sObject type: its core table, key prefix, fields, and row filter."""

    name: str
    table: str
    prefix: str
    label: str
    fields: dict[str, SField] = field(default_factory=dict)  # lower-case name → field
    custom: bool = False
    row_filter: str | None = None  # e.g. Task and Event share the activities table
    defaults: dict[str, object] = field(default_factory=dict)  # core values on create
    queryable: bool = True
    writable: bool = True
    revision: int = 0  # bumped by every field added or replaced (describe revalidation)
    # The write calls the object reference lists for it ("create", "update", "delete");
    # None: all three when `writable`, none otherwise.
    calls: frozenset[str] | None = None
    # A custom object's sharingModel (Private, Read, ReadWrite, FullAccess,
    # ControlledByParent); standard objects take the org-wide defaults (`access`).
    sharing_model: str = "ReadWrite"
    # Hooks of objects whose writes mean more than their rows (permissions, roles):
    # `check(operation, core values, key or None when creating, viewer)` refuses a record
    # with RecordError (and may complete its values); `on_write(operation, keys)` follows
    # a committed write. Operations: create, update, delete.
    check: Callable[[str, dict[str, Any], int | None, Any], None] | None = None
    on_write: Callable[[str, list[int]], None] | None = None
    # What makes a record unique among its object's (core values → key), so that two
    # records of one call cannot both create it.
    unique_key: Callable[[dict[str, Any]], Any] | None = None

    @property
    def label_plural(self) -> str:
        return self.label + "s"

    def supports(self, call: str) -> bool:
        """Whether the API accepts `call` (create, update, delete) on this object."""
        return call in self.calls if self.calls is not None else self.writable

    @property
    def owner(self) -> SField | None:
        """The field naming the record's owner (OwnerId), if the object has one."""
        f = self.get("OwnerId")
        return f if f is not None and f.column is not None else None

    def get(self, name: str) -> SField | None:
        return self.fields.get(name.lower())

    def add(self, f: SField) -> None:
        self.fields[f.name.lower()] = f
        self.revision += 1

    def and_filter(self) -> str:
        """` AND (row filter over alias t)`, or "" when every row of the table is one."""
        return f" AND ({self.row_filter.format(t='t')})" if self.row_filter else ""

    def relationship(self, name: str) -> SField | None:
        """The reference field whose relationship name is `name` (case-insensitive)."""
        low = name.lower()
        for f in self.fields.values():
            if f.relationship_name and f.relationship_name.lower() == low:
                return f
        return None


def base_fields(prefix: str, name_sql: str | None = None) -> list[SField]:
    """Id, Name (when given) and the audit fields every sObject has."""
    fields = [
        SField("Id", "id", "Record ID", sql=f"sfid('{prefix}', {{t}}.n)", updateable=False,
               createable=False, nillable=False, length=18),
        SField("IsDeleted", "boolean", "Deleted", column="is_deleted", updateable=False,
               createable=False, nillable=False),
        SField("CreatedDate", "datetime", "Created Date", column="created_at", updateable=False,
               createable=False, nillable=False),
        SField("LastModifiedDate", "datetime", "Last Modified Date", column="modified_at",
               updateable=False, createable=False, nillable=False),
        SField("SystemModstamp", "datetime", "System Modstamp", column="system_modstamp",
               updateable=False, createable=False, nillable=False),
    ]
    if name_sql is not None:
        fields.insert(1, SField("Name", "string", "Name", sql=name_sql, updateable=False,
                                createable=False, length=121))
    return fields


def ref(name: str, column: str, target: str, rel: str | None, **kw: object) -> SField:
    """A lookup field to `target` stored in core column `column`."""
    label = str(kw.pop("label", name.removesuffix("Id")))
    return SField(name, "reference", label, column=column,
                  sql=f"sfid('{OBJECT_PREFIX[target]}', {{t}}.{column})",
                  reference_to=(target,), relationship_name=rel, length=18, **kw)  # type: ignore[arg-type]


def poly(name: str, kind_col: str, n_col: str, kinds: dict[str, str], rel: str) -> SField:
    """A polymorphic lookup (WhoId, WhatId): the kind column says which object."""
    whens = " ".join(
        f"WHEN '{k}' THEN sfid('{OBJECT_PREFIX[o]}', {{t}}.{n_col})" for k, o in kinds.items()
    )
    return SField(name, "reference", name.removesuffix("Id"), column=n_col,
                  sql=f"CASE {{t}}.{kind_col} {whens} END", reference_to=tuple(kinds.values()),
                  relationship_name=rel, kind_column=kind_col, kinds=kinds, length=18)


OBJECT_PREFIX: dict[str, str] = {
    "User": PREFIX["users"], "UserRole": PREFIX["teams"], "Account": PREFIX["accounts"],
    "Contact": PREFIX["contacts"], "Lead": PREFIX["leads"], "Opportunity": PREFIX["opportunities"],
    "OpportunityLineItem": PREFIX["line_items"], "Product2": PREFIX["products"],
    "PricebookEntry": PREFIX["price_entries"], "Pricebook2": PREFIX["pricebooks"],
    "Task": PREFIX["task"], "Event": PREFIX["event"], "Campaign": PREFIX["campaigns"],
    "CurrencyType": PREFIX["currencies"], "DatedConversionRate": PREFIX["dated_rates"],
    "NPS_Response__c": PREFIX["surveys"],
    "ForecastingQuota": PREFIX["quotas"], "Territory2": PREFIX["territories"],
    "Period": PREFIX["periods"], "ForecastingType": "0Db",
    # The access model (`security`): setup objects, groups and record shares.
    "Organization": "00D", "UserLicense": "100", "Profile": "00e", "PermissionSet": "0PS",
    "ObjectPermissions": "110", "FieldPermissions": "01k", "PermissionSetAssignment": "0Pa",
    "PermissionSetTabSetting": "01P", "Group": "00G", "GroupMember": "011",
    "AccountShare": "00r", "OpportunityShare": "00t", "LeadShare": "01o",
}


class Registry:
    """All sObjects of the org, by case-insensitive name; safe to extend while serving."""

    def __init__(self, objects: list[SObject]) -> None:
        self._lock = threading.Lock()
        self._objects = {o.name.lower(): o for o in objects}
        self.revision = 0  # bumped by every object added (global describe revalidation)
        self.listeners: list[Callable[[SObject], None]] = []  # told of each object added

    def get(self, name: str) -> SObject | None:
        with self._lock:
            return self._objects.get(name.lower())

    def add(self, obj: SObject) -> None:
        with self._lock:
            self._objects[obj.name.lower()] = obj
            OBJECT_PREFIX[obj.name] = obj.prefix
            self.revision += 1
            listeners = list(self.listeners)
        for listen in listeners:
            listen(obj)

    def all(self) -> list[SObject]:
        with self._lock:
            return list(self._objects.values())

    def by_prefix(self, prefix: str) -> SObject | None:
        with self._lock:
            for o in self._objects.values():
                if o.prefix == prefix:
                    return o
        return None
