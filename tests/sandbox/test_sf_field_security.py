"""Object permissions and field-level security through simple-salesforce, as an admin,
a rep and a manager meet them: API-created fields and objects are hidden until granted,
hidden fields answer like missing ones, grants over REST take effect at once."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

from .access_helpers import as_user, collection, create_field, error, fields, key, people

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def admin(sandbox: Sandbox) -> Salesforce:
    return as_user(sandbox, sandbox.info["salesforce"]["access_token"])


@pytest.fixture(scope="module")
def rep(sandbox: Sandbox) -> Salesforce:
    return as_user(sandbox, people(sandbox)["rep"]["access_token"])


def soql_error(sf: Salesforce, soql: str) -> tuple[str, str]:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query(soql)
    body = err.value.content[0]
    return body["errorCode"], body["message"]


def test_a_field_the_api_created_is_hidden_until_granted(sandbox: Sandbox, admin: Salesforce,
                                                          rep: Salesforce) -> None:
    create_field(admin, "Account.Quota_Note__c")
    assert "Quota_Note__c" not in fields(admin, "Account")  # not even the admin's
    assert "Quota_Note__c" not in fields(rep, "Account")
    hidden = soql_error(admin, "SELECT Id, Quota_Note__c FROM Account")
    missing = soql_error(admin, "SELECT Id, Quota_Nothing__c FROM Account")
    assert hidden[0] == missing[0] == "INVALID_FIELD"
    assert hidden[1] == missing[1].replace("Quota_Nothing__c", "Quota_Note__c")
    assert "ERROR at Row:1:Column:12" in hidden[1]
    assert "No such column 'Quota_Note__c' on entity 'Account'" in hidden[1]


def test_grants_over_rest_take_effect_at_once(sandbox: Sandbox, admin: Salesforce,
                                              rep: Salesforce) -> None:
    create_field(admin, "Account.Tier__c")
    ps = admin.PermissionSet.create({"Name": "Account_Tier_Readers",
                                     "Label": "Account Tier Readers"})["id"]
    fp = admin.FieldPermissions.create({"ParentId": ps, "SobjectType": "Account",
                                        "Field": "Account.Tier__c", "PermissionsRead": True,
                                        "PermissionsEdit": False})
    assert fp["id"].startswith("01k")
    assert "Tier__c" not in fields(rep, "Account")  # granted, not yet assigned
    me = people(sandbox)["rep"]
    psa = admin.PermissionSetAssignment.create({"AssigneeId": me["user_id"],
                                               "PermissionSetId": ps})
    described = {f["name"]: f for f in rep.Account.describe()["fields"]}
    assert (described["Tier__c"]["createable"], described["Tier__c"]["updateable"]) == (
        False, False)
    assert rep.query("SELECT Tier__c FROM Account LIMIT 1")["records"]
    mine = sandbox.org.keys("accounts", f"owner_n = {key(sandbox, me)} AND NOT is_deleted", 1)
    [res] = collection(rep, "PATCH", [{"attributes": {"type": "Account"},
                                       "Id": sf_id("001", mine[0]), "Tier__c": "Gold"}])
    assert error(res) == ("INVALID_FIELD_FOR_INSERT_UPDATE", (
        "Unable to update fields: Tier__c. Please check the security settings of this "
        "field and verify that it is read/write for your profile or permission set."))
    admin.FieldPermissions.update(fp["id"], {"PermissionsEdit": True})
    [ok] = collection(rep, "PATCH", [{"attributes": {"type": "Account"},
                                      "Id": sf_id("001", mine[0]), "Tier__c": "Gold"}])
    assert ok["success"]
    admin.PermissionSetAssignment.delete(psa["id"])
    assert "Tier__c" not in fields(rep, "Account")


def test_permission_records_are_checked_as_salesforce_checks_them(
        sandbox: Sandbox, admin: Salesforce) -> None:
    ps = admin.PermissionSet.create({"Name": "Checked", "Label": "Checked"})["id"]
    [dependent] = collection(admin, "POST", [{
        "attributes": {"type": "ObjectPermissions"}, "ParentId": ps, "SobjectType": "Lead",
        "PermissionsRead": False, "PermissionsEdit": True}])
    assert error(dependent) == ("FIELD_INTEGRITY_EXCEPTION", "Permission Edit Lead depends "
                                "on permission(s): Read Lead")
    rows = [{"attributes": {"type": "ObjectPermissions"}, "ParentId": ps,
             "SobjectType": "Lead", "PermissionsRead": True}] * 2
    first, second = collection(admin, "POST", rows)
    assert first["success"]
    assert error(second)[0] == "DUPLICATE_VALUE"
    [picklist] = collection(admin, "POST", [{
        "attributes": {"type": "FieldPermissions"}, "ParentId": ps, "SobjectType": "Lead",
        "Field": "Lead.Nope__c", "PermissionsRead": True}])
    assert error(picklist) == ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                               "bad value for restricted picklist field: Lead.Nope__c")
    standard = admin.query("SELECT Id FROM PermissionSet WHERE Profile.Name = "
                           "'Standard User'")["records"][0]["Id"]
    [locked] = collection(admin, "POST", [{
        "attributes": {"type": "ObjectPermissions"}, "ParentId": standard,
        "SobjectType": "Campaign", "PermissionsRead": True, "PermissionsEdit": True}])
    assert error(locked)[0] == "INSUFFICIENT_ACCESS_OR_READONLY"
    [owned] = collection(admin, "POST", [{
        "attributes": {"type": "PermissionSetAssignment"}, "PermissionSetId": standard,
        "AssigneeId": people(sandbox)["rep"]["user_id"]}])
    assert error(owned)[0] == "FIELD_INTEGRITY_EXCEPTION"


def test_profiles_and_their_permission_sets_are_queryable(admin: Salesforce) -> None:
    profiles = {r["Name"] for r in admin.query("SELECT Name FROM Profile")["records"]}
    assert {"System Administrator", "Standard User", "Read Only",
            "Minimum Access - Salesforce", "Minimum Access - API Only Integrations"} <= profiles
    owned = admin.query("SELECT Profile.Name, PermissionsModifyAllData, PermissionsApiEnabled "
                        "FROM PermissionSet WHERE IsOwnedByProfile = true")["records"]
    flags = {r["Profile"]["Name"]: (r["PermissionsModifyAllData"], r["PermissionsApiEnabled"])
             for r in owned}
    assert flags["System Administrator"] == (True, True)
    assert flags["Standard User"] == (False, True)
    rights = admin.query("SELECT SobjectType, PermissionsCreate, PermissionsViewAllRecords FROM "
                         "ObjectPermissions WHERE Parent.Profile.Name = 'Standard User'")
    by_object = {r["SobjectType"]: r for r in rights["records"]}
    assert by_object["Opportunity"]["PermissionsCreate"]
    assert not by_object["Opportunity"]["PermissionsViewAllRecords"]
    assert not by_object["Product2"]["PermissionsCreate"]
    tabs = admin.query("SELECT Name, Visibility FROM PermissionSetTabSetting WHERE "
                       "Parent.Profile.Name = 'Standard User'")["records"]
    assert {"Name": "standard-Account", "Visibility": "DefaultOn"} in [
        {k: r[k] for k in ("Name", "Visibility")} for r in tabs]


def test_a_new_custom_object_is_the_admins_alone(sandbox: Sandbox, admin: Salesforce,
                                                 rep: Salesforce) -> None:
    admin.restful("tooling/sobjects/CustomObject", method="POST", json={
        "FullName": "Commission__c", "Metadata": {
            "label": "Commission", "pluralLabel": "Commissions", "sharingModel": "Private",
            "nameField": {"type": "Text", "label": "Name"}}})
    create_field(admin, "Commission__c.Rate__c", "Number", precision=5, scale=2)
    assert fields(admin, "Commission__c") >= {"Id", "Name", "OwnerId"}
    assert "Rate__c" not in fields(admin, "Commission__c")
    granted = admin.query("SELECT Parent.Profile.Name, PermissionsModifyAllRecords FROM "
                          "ObjectPermissions WHERE SobjectType = 'Commission__c'")["records"]
    assert [(r["Parent"]["Profile"]["Name"], r["PermissionsModifyAllRecords"])
            for r in granted] == [("System Administrator", True)]
    with pytest.raises(SalesforceResourceNotFound):
        rep.restful("sobjects/Commission__c/describe")
    assert "Commission__c" not in {o["name"] for o in rep.describe()["sobjects"]}
    code, message = soql_error(rep, "SELECT Id FROM Commission__c")
    assert code == "INVALID_TYPE"
    assert "sObject type 'Commission__c' is not supported" in message
    assert "Commission__Share" in {o["name"] for o in admin.describe()["sobjects"]}


def test_setup_needs_customize_application_and_view_setup(rep: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        create_field(rep, "Account.Rep_Made__c")
    assert err.value.content == [{"message": "insufficient access rights on entity: "
                                             "CustomField", "errorCode": "INSUFFICIENT_ACCESS"}]
    with pytest.raises(SalesforceMalformedRequest):
        rep.toolingexecute("query/?q=SELECT+Id+FROM+CustomField")
    assert soql_error(rep, "SELECT Id FROM PermissionSet")[0] == "INVALID_TYPE"
    assert rep.query("SELECT Name FROM Profile")["totalSize"] >= 5
