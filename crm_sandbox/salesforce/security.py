"""The access model as sObjects: Organization, UserLicense, Profile, PermissionSet,
ObjectPermissions, FieldPermissions, PermissionSetAssignment, PermissionSetTabSetting,
Group, GroupMember and the record share objects (AccountShare, OpportunityShare,
LeadShare, `<Custom>__Share`), over the `sf_*` tables of `access_tables`.

Fields, types and the calls each object supports follow the SOAP API object reference
(developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/
sforce_api_objects_<name>.htm); `security_hooks` checks their writes and keeps what
depends on them (a profile's permission set, a role's groups) in step.
"""

from __future__ import annotations

from .access_tables import perm_column
from .model import OBJECT_PREFIX, Registry, SField, SObject, base_fields, poly, ref
from .objects import obj, pick, ro, s, typed
from .rights import SYSTEM_PERMISSIONS
from .security_hooks import Hooks

CUD = frozenset({"create", "update", "delete"})
LEVELS = ("Read", "Edit", "All")
CAUSES = ("Manual", "Owner", "Rule", "ImplicitChild", "ImplicitParent", "Team")
MEMBER = {"user": "User", "group": "Group"}


def flag(name: str, column: str, label: str, **kw: object) -> SField:
    return typed(name, "boolean", column, label=label, nillable=False, **kw)


def permission_fields(read_only_sql: str | None = None) -> list[SField]:
    """Permissions<Name> booleans (a permission set's columns, or read through it)."""
    out = []
    for p in SYSTEM_PERMISSIONS:
        col = perm_column(p)
        f = flag(f"Permissions{p}", col, p)
        if read_only_sql is not None:
            f = ro(SField(f.name, "boolean", p, sql=read_only_sql.replace("{col}", col),
                          nillable=False))
        out.append(f)
    return out


def org_objects() -> list[SObject]:
    """Organization (with the org-wide defaults) and the user licenses."""
    defaults = [ro(pick(f"Default{k}Access", f"default_{k.lower()}",
                        ("None", "Read", "Edit", "ReadEditTransfer", "ControlledByParent",
                         "All", "ReadSelect", "HideDetailsInsert"),
                        label=f"Default {k} Access"))
                for k in ("Account", "Contact", "Opportunity", "Lead", "Case", "Calendar",
                          "Campaign", "Pricebook")]
    return [
        obj("Organization", "sf_org_settings", "Organization",
            [ro(s("Name", "name", 80)), ro(pick("OrganizationType", "name",
                                                 ("Enterprise Edition",),
                                                 sql="'Enterprise Edition'")), *defaults],
            calls=frozenset()),
        obj("UserLicense", "sf_licenses", "User License",
            [ro(s("Name", "name", 80)), ro(s("MasterLabel", "name", 80)),
             ro(s("LicenseDefinitionKey", "license_key", 40)),
             ro(pick("Status", "name", ("Active",), sql="'Active'"))], calls=frozenset()),
    ]


def permission_objects() -> list[SObject]:
    """Profile, PermissionSet and the rights hanging from a permission set."""
    parent = ref("ParentId", "parent_n", "PermissionSet", "Parent", label="Parent ID",
                 nillable=False)
    parent.updateable = False
    rights = [flag(f"Permissions{n}", c, n) for n, c in (
        ("Read", "p_read"), ("Create", "p_create"), ("Edit", "p_edit"),
        ("Delete", "p_delete"), ("ViewAllRecords", "p_view_all"),
        ("ModifyAllRecords", "p_modify_all"))]
    return [
        obj("Profile", "sf_profiles", "Profile", [
            s("Name", "name", 255, nillable=False),
            ref("UserLicenseId", "license_n", "UserLicense", "UserLicense", nillable=False),
            ro(pick("UserType", "name", ("Standard",), sql="'Standard'")),
            s("Description", "description", 255),
            *permission_fields("(SELECT ps.{col} FROM sf_permission_sets ps WHERE "
                               "ps.profile_n = {t}.n)")], calls=CUD),
        obj("PermissionSet", "sf_permission_sets", "Permission Set", [
            s("Name", "name", 80, nillable=False), s("Label", "label", 80, nillable=False),
            s("Description", "description", 255),
            ro(SField("IsOwnedByProfile", "boolean", "Is Owned By Profile",
                      sql="{t}.profile_n IS NOT NULL", nillable=False)),
            ro(ref("ProfileId", "profile_n", "Profile", "Profile", label="Profile ID")),
            ref("LicenseId", "license_n", "UserLicense", "License", label="License ID"),
            ro(SField("IsCustom", "boolean", "Is Custom", sql="{t}.profile_n IS NULL",
                      nillable=False)),
            ro(pick("Type", "name", ("Regular", "Profile"), sql="CASE WHEN {t}.profile_n IS "
                    "NULL THEN 'Regular' ELSE 'Profile' END")),
            ro(s("NamespacePrefix", "name", 15, sql="NULL")),
            ro(SField("HasActivationRequired", "boolean", "Has Activation Required",
                      sql="false", nillable=False)),
            *permission_fields()], calls=CUD),
        obj("ObjectPermissions", "sf_object_perms", "Object Permissions", [
            parent, ro_after_create(pick("SobjectType", "sobject_type", (), nillable=False)),
            *rights], calls=CUD),
        obj("FieldPermissions", "sf_field_perms", "Field Permissions", [
            ref("ParentId", "parent_n", "PermissionSet", "Parent", nillable=False,
                updateable=False),
            ro_after_create(pick("SobjectType", "sobject_type", (), nillable=False)),
            ro_after_create(pick("Field", "field", (), nillable=False)),
            flag("PermissionsRead", "p_read", "Read Field"),
            flag("PermissionsEdit", "p_edit", "Edit Field")], calls=CUD),
        obj("PermissionSetAssignment", "sf_ps_assignments", "Permission Set Assignment", [
            ref("AssigneeId", "assignee_n", "User", "Assignee", nillable=False,
                updateable=False),
            ref("PermissionSetId", "permission_set_n", "PermissionSet", "PermissionSet",
                updateable=False),
            ro(SField("PermissionSetGroupId", "reference", "Permission Set Group ID",
                      sql="NULL", length=18)),
            typed("ExpirationDate", "datetime", "expires_at", label="Expiration Date"),
            ro(SField("IsActive", "boolean", "Is Active", sql="true", nillable=False)),
            ro(SField("IsRevoked", "boolean", "Is Revoked", sql="false", nillable=False))],
            calls=CUD),
        obj("PermissionSetTabSetting", "sf_tab_settings", "Permission Set Tab Setting", [
            ref("ParentId", "parent_n", "PermissionSet", "Parent", nillable=False,
                updateable=False),
            ro_after_create(s("Name", "name", 60, nillable=False)),
            pick("Visibility", "visibility", ("DefaultOn", "DefaultOff"), nillable=False)],
            calls=CUD),
    ]


def ro_after_create(f: SField) -> SField:
    """Set on create only (ParentId, SobjectType, Field, a tab's Name)."""
    f.updateable = False
    return f


def group_objects() -> list[SObject]:
    """Groups (the organization, each role's, public groups) and their members."""
    kinds = ("Regular", "Queue", "Organization", "Role", "RoleAndSubordinates",
             "RoleAndSubordinatesInternal")
    return [
        obj("Group", "sf_groups", "Group", [
            s("Name", "name", 40, nillable=False),
            s("DeveloperName", "developer_name", 80, label="Developer Name"),
            ro_after_create(pick("Type", "group_type", kinds)),
            ro(ref("RelatedId", "related_n", "UserRole", "Related", label="Related ID")),
            flag("DoesIncludeBosses", "include_bosses", "Include Bosses"),
            ro(SField("DoesSendEmailToMembers", "boolean", "Send Email to Members",
                      sql="false", nillable=False)),
            ro(SField("Email", "email", "Email", sql="NULL"))], calls=CUD),
        obj("GroupMember", "sf_group_members", "Group Member", [
            ref("GroupId", "group_n", "Group", "Group", nillable=False, updateable=False),
            ro_after_create(poly("UserOrGroupId", "member_kind", "member_n", MEMBER,
                                 "UserOrGroup"))],
            calls=frozenset({"create", "delete"})),
    ]


def share_object(parent: SObject) -> SObject:
    """`<Object>Share` of a standard object, `<Name>__Share` of a custom one."""
    custom = parent.custom
    name = parent.name.removesuffix("__c") + ("__Share" if custom else "Share")
    lookup = "ParentId" if custom else f"{parent.name}Id"
    level = "AccessLevel" if custom else f"{parent.name}AccessLevel"
    parent_ref = ref(lookup, "parent_n", parent.name, "Parent" if custom else parent.name,
                     nillable=False, updateable=False)
    fields = [parent_ref,
              ro_after_create(poly("UserOrGroupId", "member_kind", "member_n", MEMBER,
                                   "UserOrGroup")),
              pick(level, "access", LEVELS, nillable=False),
              ro(pick("RowCause", "row_cause", CAUSES))]
    if parent.name == "Account":
        fields += [pick(f"{k}AccessLevel", f"{k.lower()}_access", ("None", *LEVELS))
                   for k in ("Opportunity", "Contact", "Case")]
    prefix = OBJECT_PREFIX.get(name, "02c")
    share = SObject(name, "sf_shares", prefix, f"{parent.label} Share",
                    row_filter=f"{{t}}.object = '{parent.name}'",
                    defaults={"object": parent.name, "row_cause": "Manual"}, calls=CUD)
    OBJECT_PREFIX[name] = prefix
    for f in (*base_fields(prefix), *fields):
        share.add(f)
    return share


def register(registry: Registry, hooks: Hooks) -> None:
    """Add the access model's sObjects (with their hooks) and keep share objects coming
    with every object whose default leaves records to share."""
    for o in (*org_objects(), *permission_objects(), *group_objects()):
        hooks.attach(o)
        registry.add(o)
    for name in ("UserRole", "User"):
        target = registry.get(name)
        if target is not None:
            hooks.attach(target)
    for name in ("Account", "Opportunity", "Lead"):
        parent = registry.get(name)
        if parent is not None:
            add_share(registry, hooks, parent)

    def on_add(added: SObject) -> None:
        if added.custom and added.table != "sf_shares":
            hooks.object_added(added)
            if added.sharing_model in ("Private", "Read"):
                add_share(registry, hooks, added)

    registry.listeners.append(on_add)


def add_share(registry: Registry, hooks: Hooks, parent: SObject) -> None:
    share = share_object(parent)
    hooks.attach(share)
    registry.add(share)
