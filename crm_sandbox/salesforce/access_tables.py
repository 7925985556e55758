"""The tables of the org's access model and what a stock org holds in them.

Profiles, permission sets (each profile owns one, `IsOwnedByProfile`), their object and
field permissions, assignments, tab settings, groups and their members, manual shares,
criteria sharing rules and the org-wide defaults live in `sf_*` tables of the org's
database, so that SOQL, REST, Collections and Bulk serve them like any sObject
(`security` declares the sObjects). Users get a profile column (`sf_profile_n`).

A stock org's profiles (System Administrator, Standard User, Read Only, Minimum Access -
Salesforce, and Minimum Access - API Only Integrations on the Salesforce Integration
license) are seeded with the rights an administrator would have given them when building
this org, custom fields and the NPS_Response__c object included.
"""

from __future__ import annotations

import re

import duckdb

from ..org import Org
from ..org.tables import ADMIN_USER_N, COMMON, insert_rows
from .model import Registry, SField, SObject
from .rights import SYSTEM_PERMISSIONS

LICENSES = ((1, "Salesforce", "SFDC"), (2, "Salesforce Integration", "SFDC_INTEGRATION"))
SYSTEM_ADMINISTRATOR, STANDARD_USER = "System Administrator", "Standard User"
READ_ONLY, MINIMUM_ACCESS = "Read Only", "Minimum Access - Salesforce"
API_ONLY = "Minimum Access - API Only Integrations"
# (key, name, license, system permissions)
PROFILES: tuple[tuple[int, str, int, frozenset[str]], ...] = (
    (1, SYSTEM_ADMINISTRATOR, 1, frozenset(SYSTEM_PERMISSIONS) - {"ApiUserOnly"}),
    (2, STANDARD_USER, 1, frozenset({"ApiEnabled", "EditTask", "EditEvent", "RunReports"})),
    (3, READ_ONLY, 1, frozenset({"ApiEnabled", "RunReports"})),
    (4, MINIMUM_ACCESS, 1, frozenset()),
    (5, API_ONLY, 2, frozenset({"ApiEnabled", "ApiUserOnly"})),
)
PROFILE_N = {name: n for n, name, _, _ in PROFILES}
# Objects whose rights are ObjectPermissions rows (the rest follow a parent object or a
# system permission, see `access.Access`), and what the stock profiles may do on them.
PERMISSIONABLE = ("Account", "Contact", "Lead", "Opportunity", "Campaign", "Product2",
                  "NPS_Response__c")
CRED = {"Account", "Contact", "Lead", "Opportunity", "NPS_Response__c"}
# Org-wide defaults (Organization.Default…Access): a typical sales org keeps accounts,
# deals and leads private, contacts controlled by their account and campaigns public.
ORG_DEFAULTS = {"Account": "None", "Contact": "ControlledByParent", "Opportunity": "None",
                "Lead": "None", "Campaign": "All", "Case": "None",
                "Calendar": "HideDetailsInsert", "Pricebook": "ReadSelect"}
# Fields FLS never hides (visible wherever the object is readable).
ALWAYS_VISIBLE = frozenset({"id", "isdeleted", "createddate", "lastmodifieddate",
                            "systemmodstamp", "createdbyid", "lastmodifiedbyid", "ownerid",
                            "name"})
REQUIRED_STANDARD = {("account", "name"), ("contact", "lastname"), ("lead", "lastname"),
                     ("lead", "company"), ("opportunity", "name"),
                     ("opportunity", "stagename"), ("opportunity", "closedate")}


def perm_column(permission: str) -> str:
    """`ViewAllData` → `perm_view_all_data` (a PermissionSet column)."""
    return "perm_" + re.sub(r"(?<!^)(?=[A-Z])", "_", permission).lower()


PERM_COLUMNS = ", ".join(f"{perm_column(p)} BOOLEAN DEFAULT false" for p in SYSTEM_PERMISSIONS)
DDL = {
    "sf_licenses": "n BIGINT, name VARCHAR, license_key VARCHAR",
    "sf_profiles": "n BIGINT, name VARCHAR, license_n BIGINT, description VARCHAR, "
                   "is_standard BOOLEAN DEFAULT false",
    "sf_permission_sets": "n BIGINT, name VARCHAR, label VARCHAR, description VARCHAR, "
                          f"profile_n BIGINT, license_n BIGINT, {PERM_COLUMNS}",
    "sf_object_perms": "n BIGINT, parent_n BIGINT, sobject_type VARCHAR, "
                       "p_read BOOLEAN DEFAULT false, p_create BOOLEAN DEFAULT false, "
                       "p_edit BOOLEAN DEFAULT false, p_delete BOOLEAN DEFAULT false, "
                       "p_view_all BOOLEAN DEFAULT false, p_modify_all BOOLEAN DEFAULT false",
    "sf_field_perms": "n BIGINT, parent_n BIGINT, sobject_type VARCHAR, field VARCHAR, "
                      "p_read BOOLEAN DEFAULT false, p_edit BOOLEAN DEFAULT false",
    "sf_ps_assignments": "n BIGINT, assignee_n BIGINT, permission_set_n BIGINT, "
                         "expires_at TIMESTAMP",
    "sf_tab_settings": "n BIGINT, parent_n BIGINT, name VARCHAR, visibility VARCHAR",
    "sf_groups": "n BIGINT, name VARCHAR, developer_name VARCHAR, group_type VARCHAR, "
                 "related_n BIGINT, include_bosses BOOLEAN DEFAULT true",
    "sf_group_members": "n BIGINT, group_n BIGINT, member_kind VARCHAR, member_n BIGINT",
    "sf_shares": "n BIGINT, object VARCHAR, parent_n BIGINT, member_kind VARCHAR, "
                 "member_n BIGINT, access VARCHAR, opportunity_access VARCHAR, "
                 "contact_access VARCHAR, case_access VARCHAR, row_cause VARCHAR",
    "sf_sharing_rules": "n BIGINT, object VARCHAR, developer_name VARCHAR, label VARCHAR, "
                        "criteria VARCHAR, boolean_filter VARCHAR, shared_kind VARCHAR, "
                        "shared_n BIGINT, access VARCHAR, opportunity_access VARCHAR",
    "sf_org_settings": "n BIGINT, name VARCHAR, "
                       + ", ".join(f"default_{k.lower()} VARCHAR" for k in ORG_DEFAULTS),
}
GROUP_KINDS = ("Role", "RoleAndSubordinates", "RoleAndSubordinatesInternal")


def create(org: Org, registry: Registry, integration_profile: str) -> None:
    """Create and seed the access tables (once per org: a second surface reuses them)."""
    with org.writing() as con:
        if con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                       ["sf_profiles"]).fetchone() != (0,):
            return
        for table, columns in DDL.items():
            con.execute(f"CREATE TABLE {table} ({columns}, {COMMON})")
        con.execute("ALTER TABLE users ADD COLUMN sf_profile_n BIGINT")
        start = org.window.start
        seed_profiles(con, integration_profile)
        seed_grants(con, registry)
        seed_groups(con)
        con.execute("INSERT INTO sf_org_settings VALUES (1, 'crm-kpi sandbox', "
                    + ", ".join(f"'{v}'" for v in ORG_DEFAULTS.values())
                    + ", NULL, NULL, NULL, false, NULL)")
        for table in DDL:
            con.execute(f"UPDATE {table} SET created_at = ?, modified_at = ?, "
                        "system_modstamp = ?, is_deleted = false", [start, start, start])


def seed_profiles(con: duckdb.DuckDBPyConnection, integration_profile: str) -> None:
    """Licenses, profiles, their permission sets, and each user's profile."""
    if integration_profile not in PROFILE_N:
        raise ValueError(f"no profile named {integration_profile!r} (profiles: "
                         f"{', '.join(PROFILE_N)})")
    con.executemany("INSERT INTO sf_licenses (n, name, license_key) VALUES (?, ?, ?)",
                    LICENSES)
    for n, name, license_n, perms in PROFILES:
        con.execute("INSERT INTO sf_profiles (n, name, license_n, is_standard) "
                    "VALUES (?, ?, ?, true)", [n, name, license_n])
        cols = [perm_column(p) for p in sorted(perms)]
        con.execute(f"INSERT INTO sf_permission_sets (n, name, label, profile_n, license_n"
                    f"{''.join(', ' + c for c in cols)}) VALUES (?, ?, ?, ?, ?"
                    f"{', true' * len(cols)})",
                    [n, f"X00e{n:011d}", f"00e{n:012d}", n, license_n])
    con.execute(f"UPDATE users SET sf_profile_n = CASE WHEN n = {ADMIN_USER_N} THEN "
                f"{PROFILE_N[integration_profile]} WHEN is_admin THEN "
                f"{PROFILE_N[SYSTEM_ADMINISTRATOR]} ELSE {PROFILE_N[STANDARD_USER]} END")
    con.execute("INSERT INTO sf_ps_assignments (n, assignee_n, permission_set_n) "
                "SELECT row_number() OVER (ORDER BY n), n, sf_profile_n FROM users")


def fls_fields(obj: SObject) -> list[SField]:
    """The fields of `obj` that field-level security governs."""
    return [f for f in obj.fields.values() if governed(obj, f)]


def governed(obj: SObject, f: SField) -> bool:
    """Custom fields anywhere, and the standard fields of objects with object
    permissions, except those FLS never hides (ids, audit fields, name, owner, required
    fields)."""
    low = f.name.lower()
    if not f.nillable or low in ALWAYS_VISIBLE or f.type == "id":
        return False
    if f.custom:
        return True
    return obj.name in PERMISSIONABLE and (obj.name.lower(), low) not in REQUIRED_STANDARD


def seed_grants(con: duckdb.DuckDBPyConnection, registry: Registry) -> None:
    """Object, field and tab permissions of the stock profiles."""
    objects: list[tuple[object, ...]] = []
    fields: list[tuple[object, ...]] = []
    tabs: list[tuple[object, ...]] = []
    for n, name, _, _ in PROFILES:
        for obj_name in PERMISSIONABLE:
            rights = stock_rights(name, obj_name)
            if rights is None:
                continue
            objects.append((n, obj_name, *rights))
            tabs.append((n, f"standard-{obj_name}" if not obj_name.endswith("__c")
                         else obj_name))
            obj = registry.get(obj_name)
            edit = rights[2]
            fields += [(n, obj_name, f"{obj_name}.{f.name}", True, edit and f.updateable)
                       for f in fls_fields(obj)] if obj else []
        if name in (SYSTEM_ADMINISTRATOR, STANDARD_USER, READ_ONLY):
            fields += user_fields(registry, n, name)
    insert_rows(con, "sf_object_perms", ("n", "parent_n", "sobject_type", "p_read", "p_create",
                "p_edit", "p_delete", "p_view_all", "p_modify_all"),
                [(i, *row) for i, row in enumerate(objects, start=1)])
    insert_rows(con, "sf_field_perms", ("n", "parent_n", "sobject_type", "field", "p_read",
                "p_edit"), [(i, *row) for i, row in enumerate(fields, start=1)])
    insert_rows(con, "sf_tab_settings", ("n", "parent_n", "name", "visibility"),
                [(i, *row, "DefaultOn") for i, row in enumerate(tabs, 1)])


def stock_rights(profile: str, obj: str) -> tuple[bool, ...] | None:
    """(read, create, edit, delete, view all, modify all) of a stock profile, or None."""
    if profile == SYSTEM_ADMINISTRATOR:
        return (True,) * 6
    if profile == STANDARD_USER:
        cred = obj in CRED
        return (True, cred, cred, cred, False, False)
    if profile == READ_ONLY:
        return (True, False, False, False, False, False)
    return None


def user_fields(registry: Registry, n: int, profile: str) -> list[tuple[object, ...]]:
    """FLS of the custom fields on objects without object permissions (User's
    Territory__c, the line items' and products' unit costs): read for every internal
    profile, edit for administrators only."""
    out: list[tuple[object, ...]] = []
    for obj in registry.all():
        if obj.name in PERMISSIONABLE:
            continue
        for f in fls_fields(obj):
            edit = profile == SYSTEM_ADMINISTRATOR and f.updateable
            out.append((n, obj.name, f"{obj.name}.{f.name}", True, edit))
    return out


def seed_groups(con: duckdb.DuckDBPyConnection) -> None:
    """The organization's group (All Internal Users) and each role's groups."""
    con.execute("INSERT INTO sf_groups (n, name, developer_name, group_type) VALUES "
                "(1, 'All Internal Users', 'AllInternalUsers', 'Organization')")
    roles = con.execute("SELECT n FROM teams ORDER BY n").fetchall()
    rows = [(1 + i * len(GROUP_KINDS) + k + 1, kind, int(r)) for i, (r,) in enumerate(roles)
            for k, kind in enumerate(GROUP_KINDS)]
    insert_rows(con, "sf_groups", ("n", "name", "group_type", "related_n"),
                [(n, "", kind, related) for n, kind, related in rows])
