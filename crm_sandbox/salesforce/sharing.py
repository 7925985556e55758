"""Record sharing as SQL: which records of an object a user may read or edit.

Salesforce's model, as the security implementation guide describes it: the org-wide
default of the object (Private, Public Read Only, Public Read/Write, Controlled by
Parent) is the baseline; the owner and, through the role hierarchy ("Grant Access Using
Hierarchies"), the users in roles above the owner's get the owner's access; manual shares
(`<Object>Share` rows) and criteria-based sharing rules open records to users, roles,
roles and subordinates, public groups or all internal users, and what a user is given
their managers get too; users who can read an opportunity can read its account
(implicit parent sharing, "not used when sharing on the child is controlled by its
parent", so contacts give none). View All / Modify All (object or system) bypass it
all, which `access` handles before asking here.

Every predicate is one SQL condition over a table alias with bound parameters, joined
into the query that reads the records, so the database filters, never Python.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .errors import SfError, SoqlError
from .model import Registry, SField, SObject
from .rights import Predicate
from .soql import FieldRef
from .soql_parser import parse
from .where import WhereCompiler

# Internal access models (Organization.Default…Access / CustomObject.sharingModel).
PRIVATE, READ, READ_WRITE = "None", "Read", "Edit"
OPEN_FOR_EDIT = {"Edit", "ReadEditTransfer", "All", "ReadWrite", "FullAccess"}
OPEN_FOR_READ = OPEN_FOR_EDIT | {"Read", "ReadSelect"}
CONTROLLED = "ControlledByParent"
SHARING_MODELS = {"Private": PRIVATE, "Read": READ, "ReadWrite": READ_WRITE,
                  "FullAccess": "All", "ControlledByParent": CONTROLLED}
# The parent whose access a child controlled by it follows, and the column naming it.
PARENTS = {"Contact": ("Account", "account_n"),
           "OpportunityLineItem": ("Opportunity", "opportunity_n")}
OPERATIONS = {"equals": "=", "notEqual": "!=", "lessThan": "<", "greaterThan": ">",
              "lessOrEqual": "<=", "greaterOrEqual": ">=", "contains": "LIKE",
              "notContain": "NOT LIKE", "startsWith": "LIKE"}
SHARED_TO = ("group", "role", "roleAndSubordinates", "roleAndSubordinatesInternal",
             "allInternalUsers")


@dataclass(frozen=True)
class Criterion:
    """One criteria item of a sharing rule (the Metadata API's FilterItem)."""

    field: str
    operation: str
    value: str


@dataclass(frozen=True)
class SharingRule:
    """A criteria-based sharing rule: the records of `sobject` matching `criteria`
    (ANDed, or combined by `boolean_filter` such as "1 AND (2 OR 3)") are shared with
    `shared_to` (one of SHARED_TO) named `shared_with` (a group or role developer name;
    empty for allInternalUsers) at `access` "Read" or "Edit"."""

    sobject: str
    name: str
    criteria: tuple[Criterion, ...]
    shared_to: str
    shared_with: str = ""
    access: str = "Read"
    label: str = ""
    boolean_filter: str | None = None

    def criteria_json(self) -> str:
        return json.dumps([c.__dict__ for c in self.criteria])


@dataclass
class Snapshot:
    """The org's hierarchy, groups and rules at one access version."""

    role_parent: dict[int, int | None]
    user_role: dict[int, int | None]
    groups: dict[int, tuple[str, int | None]]  # group → (type, related role)
    members: dict[int, list[tuple[str, int]]]  # group → (kind "user"/"group", key)
    rules: dict[str, list[tuple[int, SharingRule]]]  # lower object name → (group, rule)
    defaults: dict[str, str]  # object name → internal access model
    _groups_of: dict[int, frozenset[int]] = field(default_factory=dict)

    def ancestors(self, role: int | None) -> list[int]:
        """The role and every role above it."""
        out, seen = [], set()
        while role is not None and role not in seen:
            seen.add(role)
            out.append(role)
            role = self.role_parent.get(role)
        return out

    def subordinates(self, user: int) -> set[int]:
        """Users in roles below the user's role (not peers in the same role)."""
        role = self.user_role.get(user)
        if role is None:
            return set()
        return {u for u, r in self.user_role.items()
                if r is not None and r != role and role in self.ancestors(r)}

    def groups_of(self, user: int) -> frozenset[int]:
        """Every group the user belongs to, directly, by role or through nested groups."""
        if user not in self._groups_of:
            self._groups_of[user] = frozenset(self._member_groups(user))
        return self._groups_of[user]

    def _member_groups(self, user: int) -> set[int]:
        role = self.user_role.get(user)
        above = set(self.ancestors(role))
        found = set()
        for g, (kind, related) in self.groups.items():
            if (kind == "Organization" or (kind == "Role" and related == role)
                    or (kind.startswith("RoleAndSubordinates") and related in above)):
                found.add(g)
        changed = True
        while changed:  # regular groups holding the user or a group already found
            changed = False
            for g, items in self.members.items():
                if g not in found and any((k == "user" and m == user) or
                                          (k == "group" and m in found) for k, m in items):
                    found.add(g)
                    changed = True
        return found

    def model(self, obj: SObject) -> str:
        """The object's internal access model."""
        if obj.name in self.defaults:
            return self.defaults[obj.name]
        if obj.custom:
            return SHARING_MODELS.get(obj.sharing_model, READ_WRITE)
        return READ_WRITE


class Sharing:
    """Builds record predicates for one snapshot of the org's sharing."""

    def __init__(self, registry: Registry, snap: Snapshot, today: dt.date) -> None:
        self.registry, self.snap, self.today = registry, snap, today

    def predicate(self, user: int, obj: SObject, alias: str, level: str) -> Predicate | None:
        """The records of `obj` the user has `level` access to ("Read", "Edit", "All":
        full access, which only ownership, the hierarchy and Modify All give), None for
        every record."""
        model = self.snap.model(obj)
        if model == CONTROLLED and obj.name in PARENTS:
            return self.through_parent(user, obj, alias, level)
        if (level == "Read" and model in OPEN_FOR_READ) or (
                level == "Edit" and model in OPEN_FOR_EDIT) or model == "All":
            return None
        return self.private(user, obj, alias, level)

    def through_parent(self, user: int, obj: SObject, alias: str,
                       level: str) -> Predicate | None:
        parent_name, column = PARENTS[obj.name]
        parent = self.registry.get(parent_name)
        if parent is None:
            return None
        inner = self.predicate(user, parent, "sp", "Edit" if level == "All" else level)
        if inner is None:
            return None
        sql = (f"{alias}.{column} IN (SELECT sp.n FROM {parent.table} sp WHERE {inner.sql})")
        owner = obj.owner
        if owner is not None:  # a contact without an account is its owner's
            users = self.users(user, obj)
            sql = (f"({sql} OR ({alias}.{column} IS NULL AND {alias}.{owner.column} IN "
                   f"({ints(users)})))")
        return Predicate(sql, inner.params)

    def users(self, user: int, obj: SObject) -> set[int]:
        """The user and, when the hierarchy grants access, the users below them."""
        return {user, *self.snap.subordinates(user)} if hierarchy(obj) else {user}

    def private(self, user: int, obj: SObject, alias: str, level: str) -> Predicate:
        users = self.users(user, obj)
        groups: set[int] = set()
        for u in users:
            groups |= self.snap.groups_of(u)
        clauses, params = [], list[Any]()
        owner = owner_column(obj)
        if owner is not None:
            clauses.append(f"{alias}.{owner} IN ({ints(users)})")
        levels = {"Read": "('Read', 'Edit', 'All')", "Edit": "('Edit', 'All')",
                  "All": "('All')"}[level]
        clauses.append(
            f"{alias}.n IN (SELECT s.parent_n FROM sf_shares s WHERE s.object = ? AND NOT "
            f"s.is_deleted AND s.access IN {levels} AND ((s.member_kind = 'user' AND "
            f"s.member_n IN ({ints(users)})) OR (s.member_kind = 'group' AND s.member_n IN "
            f"({ints(groups)}))))")
        params.append(obj.name)
        for group, rule in self.snap.rules.get(obj.name.lower(), []):
            if group in groups and (level == "Read" or (level == "Edit" and
                                                        rule.access == "Edit")):
                sql, values = criteria_sql(obj, rule, alias, self.today)
                clauses.append(sql)
                params += values
        deals = self.registry.get("Opportunity")
        if obj.name == "Account" and level == "Read" and deals is not None:
            # Implicit (parent) sharing: who can read a deal reads its account. Contacts
            # give none: they are controlled by their account.
            inner = self.predicate(user, deals, "c", "Read")
            clauses.append(f"{alias}.n IN (SELECT c.account_n FROM {deals.table} c WHERE NOT "
                           f"c.is_deleted{' AND ' + inner.sql if inner else ''})")
            params += inner.params if inner else ()
        return Predicate("(" + " OR ".join(clauses) + ")", tuple(params))


def hierarchy(obj: SObject) -> bool:
    """Grant Access Using Hierarchies: always on for standard objects, on by default for
    custom ones (the sandbox does not turn it off)."""
    return True


def owner_column(obj: SObject) -> str | None:
    """The core column holding the record owner (OwnerId, or a quota's QuotaOwnerId)."""
    for name in ("OwnerId", "QuotaOwnerId"):
        f = obj.get(name)
        if f is not None and f.column is not None and f.reference_to == ("User",):
            return f.column
    return None


def ints(keys: Iterable[int]) -> str:
    """An SQL list of integer keys (never empty)."""
    listed = sorted({int(k) for k in keys})
    return ", ".join(str(k) for k in listed) if listed else "NULL"


class _Fields:
    """The WHERE compiler's view of one object's own fields over an alias."""

    def __init__(self, obj: SObject, alias: str, soql: str) -> None:
        self.obj, self.alias, self.soql = obj, alias, soql

    def resolve(self, ref: FieldRef) -> tuple[SField, str, str]:
        f = self.obj.get(ref.path[-1]) if len(ref.path) == 1 else None
        if f is None:
            raise SoqlError("INVALID_FIELD", f"No such column '{'.'.join(ref.path)}' on "
                            f"entity '{self.obj.name}'", self.soql, ref.pos)
        return f, f.read_sql(self.alias), self.alias

    def root_prefix_of(self, f: SField) -> str:
        return self.obj.prefix


def criteria_sql(obj: SObject, rule: SharingRule, alias: str,
                 today: dt.date) -> tuple[str, list[Any]]:
    """A rule's criteria as SQL over `alias`, through the SOQL WHERE compiler."""
    soql = f"SELECT Id FROM {obj.name} WHERE {criteria_soql(obj, rule)}"
    query = parse(soql)
    assert query.where is not None
    where = WhereCompiler(_Fields(obj, alias, soql), today)
    return where.cond(query.where), where.params


def criteria_soql(obj: SObject, rule: SharingRule) -> str:
    """The rule's criteria as a SOQL condition (checked: fields and operations)."""
    items = [item_soql(obj, c) for c in rule.criteria]
    if not items:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                      f"{rule.name}: a criteria-based sharing rule needs criteria")
    if not rule.boolean_filter:
        return " AND ".join(items)
    numbers = [int(d) for d in re.findall(r"\d+", rule.boolean_filter)]
    if (not re.fullmatch(r"(?i)(\s|\d|\(|\)|AND|OR|NOT)+", rule.boolean_filter)
            or any(not 1 <= d <= len(items) for d in numbers)):
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION",
                      f"{rule.name}: invalid booleanFilter {rule.boolean_filter!r}")
    return re.sub(r"\d+", lambda m: f"({items[int(m.group(0)) - 1]})", rule.boolean_filter)


def item_soql(obj: SObject, c: Criterion) -> str:
    """One criterion as a SOQL comparison."""
    f = obj.get(c.field)
    op = OPERATIONS.get(c.operation)
    if f is None or op is None:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", f"Invalid criteria: {c.field} "
                      f"{c.operation} {c.value!r} on {obj.name}")
    if op in ("LIKE", "NOT LIKE"):
        like = escape(c.value).replace("%", "\\%").replace("_", "\\_")
        pattern = f"{like}%" if c.operation == "startsWith" else f"%{like}%"
        expr = f"{f.name} LIKE '{pattern}'"
        return f"(NOT {expr})" if op == "NOT LIKE" else expr
    values = [literal(f, v.strip()) for v in c.value.split(",")] if op in ("=", "!=") \
        else [literal(f, c.value.strip())]
    if len(values) > 1:
        return f"{f.name} {'IN' if op == '=' else 'NOT IN'} ({', '.join(values)})"
    return f"{f.name} {op} {values[0]}"


def literal(f: SField, value: str) -> str:
    """A criteria value as a SOQL literal of the field's type."""
    if value == "" or value.lower() == "null":
        return "null"
    if f.type in ("double", "currency", "percent", "int"):
        return str(float(value)) if re.fullmatch(r"-?\d+(\.\d+)?", value) else f"'{value}'"
    if f.type == "boolean":
        return "TRUE" if value.lower() in ("true", "1") else "FALSE"
    if f.type in ("date", "datetime"):
        m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", value)
        day = f"{m.group(3)}-{int(m.group(1)):02d}-{int(m.group(2)):02d}" if m else value
        if f.type == "datetime" and re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            return f"{day}T00:00:00Z"
        return day
    return f"'{escape(value)}'"


def escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("'", "\\'")
