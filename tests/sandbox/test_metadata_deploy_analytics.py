"""A report folder, a report, a dynamic dashboard, permission sets and a sharing rule
deployed as setup deploys them, then found and run through the REST APIs."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id
from crm_sandbox.salesforce.errors import SfError

from .deploy_zip import (
    ALL_INTERNAL,
    build,
    client,
    dashboard_folder,
    deploy,
    failures_by_name,
    folder,
    kpi_dashboard,
    kpi_object,
    kpi_report,
    make_kpi_object,
    xml,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=13, scale=0.05) as sb:
        yield sb


@pytest.fixture(scope="module")
def sf(sandbox: Sandbox) -> Salesforce:
    return client(sandbox)


@pytest.fixture(scope="module")
def kpis(sf: Salesforce, sandbox: Sandbox) -> dict[str, Any]:
    """Sales_KPI__c through the Tooling API, rows owned by two reps and the admin."""
    make_kpi_object(sf, sandbox)
    reps = sandbox.org.keys("users", "active AND n > 1", 2)
    owners = [sf_id("005", reps[0]), sf_id("005", reps[1]), sf_id("005", 1)]
    rows = [{"attributes": {"type": "Sales_KPI__c"}, "KPI_Key__c": f"k{i}",
             "Name": f"Revenue {i}", "Value__c": float(i + 1),
             "Period_Start__c": f"2026-0{i % 3 + 1}-01", "OwnerId": owners[i % 3]}
            for i in range(9)]
    sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": rows})
    return {"owners": owners}


SETUP = {"CustomObject": ["Sales_KPI__c"], "ReportFolder": ["KPI_Reports"],
         "Report": ["KPI_Reports/Sales_KPIs"], "DashboardFolder": ["KPI_Dashboards"],
         "Dashboard": ["KPI_Dashboards/Sales_KPIs"]}


def setup_files(**overrides: str) -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {
        "objects/Sales_KPI__c.object": kpi_object(),
        "reports/KPI_Reports-meta.xml": folder("KPI Reports", ALL_INTERNAL),
        "reports/KPI_Reports/Sales_KPIs.report": kpi_report(),
        "dashboards/KPI_Dashboards-meta.xml": dashboard_folder("KPI Dashboards",
                                                               ALL_INTERNAL),
        "dashboards/KPI_Dashboards/Sales_KPIs.dashboard": kpi_dashboard()}
    return {**files, **overrides}


def test_report_and_dynamic_dashboard_deploy_into_shared_folders(
        sf: Salesforce, kpis: dict[str, Any]) -> None:
    done = deploy(sf, build(setup_files(), SETUP))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    folders = {r["DeveloperName"]: r for r in sf.query(
        "SELECT Id, Name, DeveloperName, Type, AccessType FROM Folder")["records"]}
    assert folders["KPI_Reports"]["Type"] == "Report"
    assert folders["KPI_Reports"]["Name"] == "KPI Reports"
    assert folders["KPI_Dashboards"]["Type"] == "Dashboard"
    report = sf.query("SELECT Id, Name, FolderName, Format FROM Report WHERE DeveloperName "
                      "= 'Sales_KPIs'")["records"][0]
    assert (report["Name"], report["FolderName"], report["Format"]) == (
        "Sales KPIs", "KPI Reports", "Summary")
    board = sf.query("SELECT Id, Title, Type, FolderId FROM Dashboard WHERE DeveloperName = "
                     "'Sales_KPIs'")["records"][0]
    assert (board["Type"], board["FolderId"]) == ("LoggedInUser",
                                                  folders["KPI_Dashboards"]["Id"])
    described = sf.restful(f"analytics/reports/{report['Id']}/describe")["reportMetadata"]
    assert described["detailColumns"] == ["CUST_NAME", "Sales_KPI__c.Value__c"]
    assert described["aggregates"] == ["RowCount", "s!Sales_KPI__c.Value__c"]
    assert described["folderId"] == folders["KPI_Reports"]["Id"]
    results = sf.restful(f"analytics/dashboards/{board['Id']}")
    assert results["dashboardMetadata"]["runningUser"]["id"] == kpis["owners"][2]
    total = results["componentData"][0]["reportResult"]["factMap"]["T!T"]["aggregates"]
    assert total[0]["value"] == 9
    assert total[1]["value"] == pytest.approx(45.0)
    assert [d["id"] for d in sf.restful("analytics/dashboards")] == [board["Id"]]
    again = deploy(sf, build(setup_files(), SETUP))  # a rerun updates, never duplicates
    assert again["state"] == "Succeeded"
    assert sf.query("SELECT COUNT() FROM Dashboard")["totalSize"] == 1
    assert sf.query("SELECT Id FROM Report WHERE DeveloperName = 'Sales_KPIs'")[
        "records"][0]["Id"] == report["Id"]


def test_a_report_of_scope_user_covers_the_runners_rows(sf: Salesforce,
                                                        kpis: dict[str, Any]) -> None:
    files = {"reports/KPI_Reports/My_KPIs.report": kpi_report("My KPIs", "user")}
    assert deploy(sf, build(files, {"Report": ["KPI_Reports/My_KPIs"]}))["state"] == \
        "Succeeded"
    rid = sf.query("SELECT Id FROM Report WHERE DeveloperName = 'My_KPIs'")["records"][0]["Id"]
    run = sf.restful(f"analytics/reports/{rid}")
    assert run["factMap"]["T!T"]["aggregates"][0]["value"] == 3  # the admin owns 3 of 9


@pytest.mark.parametrize(("files", "name", "problem"), [
    ({"objects/Sales_KPI__c.object": kpi_object(reports=False)}, "KPI_Reports/Sales_KPIs",
     "invalid report type CustomEntity$Sales_KPI__c"),
    ({"reports/KPI_Reports/Sales_KPIs.report": kpi_report().replace(
        "Sales_KPI__c.Value__c", "Sales_KPI__c.Nope__c")}, "KPI_Reports/Sales_KPIs",
     "Nope__c"),
    ({"reports/KPI_Reports/Sales_KPIs.report": kpi_report().replace("Summary", "Matrix")},
     "KPI_Reports/Sales_KPIs", "Tabular and Summary reports, not Matrix"),
    ({"reports/KPI_Reports/Sales_KPIs.report": kpi_report("A report name that is far "
                                                          "longer than forty characters")},
     "KPI_Reports/Sales_KPIs", "longer than 40"),
    ({"dashboards/KPI_Dashboards/Sales_KPIs.dashboard": kpi_dashboard("KPI_Reports/Gone")},
     "KPI_Dashboards/Sales_KPIs", "The report KPI_Reports/Gone does not exist"),
])
def test_analytics_components_fail_as_salesforce_fails_them(
        sf: Salesforce, kpis: dict[str, Any], files: dict[str, str], name: str,
        problem: str) -> None:
    done = deploy(sf, build(setup_files(**files), SETUP))
    assert done["state"] == "Failed"
    assert problem in failures_by_name(done["raw"])[name]["problem"]


def permission_set(*grants: str) -> str:
    return xml("PermissionSet", "".join(grants) + "<label>KPI Readers</label>")


def field(name: str, edit: bool = False, read: bool = True) -> str:
    return (f"<fieldPermissions><editable>{str(edit).lower()}</editable><field>{name}</field>"
            f"<readable>{str(read).lower()}</readable></fieldPermissions>")


READ = ("<objectPermissions><allowCreate>false</allowCreate><allowDelete>false</allowDelete>"
        "<allowEdit>false</allowEdit><allowRead>true</allowRead><modifyAllRecords>false"
        "</modifyAllRecords><object>Sales_KPI__c</object><viewAllRecords>false"
        "</viewAllRecords></objectPermissions>")


@pytest.mark.parametrize(("grant", "problem"), [
    (field("Sales_KPI__c.KPI_Key__c"),
     "You cannot deploy to a required field: Sales_KPI__c.KPI_Key__c"),
    (field("Sales_KPI__c.Name"), "You cannot deploy to a required field: Sales_KPI__c.Name"),
    (field("Sales_KPI__c.Nope__c"), "Invalid field Sales_KPI__c.Nope__c"),
    (field("Sales_KPI__c.Value__c", edit=True, read=False),
     "Permission Edit Sales_KPI__c.Value__c depends on permission(s): Read"),
    (READ.replace("<allowEdit>false", "<allowEdit>true").replace("<allowRead>true",
                                                                 "<allowRead>false"),
     "Permission Edit Sales KPI depends on permission(s): Read Sales KPI"),
    ("<tabSettings><tab>Nope__c</tab><visibility>Visible</visibility></tabSettings>",
     "Invalid tab Nope__c"),
])
def test_permission_sets_grant_only_what_salesforce_allows(
        sf: Salesforce, kpis: dict[str, Any], grant: str, problem: str) -> None:
    files = {"permissionsets/KPI_Readers.permissionset": permission_set(READ, grant)}
    done = deploy(sf, build(files, {"PermissionSet": ["KPI_Readers"]}))
    assert done["state"] == "Failed"
    assert problem in failures_by_name(done["raw"])["KPI_Readers"]["problem"]


def sharing_rules(level: str = "Read") -> str:
    return xml("SharingRules", (
        "<sharingCriteriaRules><fullName>Company_KPIs</fullName><accessLevel>"
        f"{level}</accessLevel><criteriaItems><field>KPI_Key__c</field><operation>"
        "startsWith</operation><value>company</value></criteriaItems>"
        "<includeRecordsOwnedByAll>true</includeRecordsOwnedByAll><label>Company KPIs"
        "</label><sharedTo><allInternalUsers></allInternalUsers></sharedTo>"
        "</sharingCriteriaRules>"))


def test_a_sharing_rule_must_grant_more_than_the_org_wide_default(
        sf: Salesforce, kpis: dict[str, Any]) -> None:
    public = {"objects/Sales_KPI__c.object": kpi_object(sharing="Read"),
              "sharingRules/Sales_KPI__c.sharingRules": sharing_rules()}
    types = {"CustomObject": ["Sales_KPI__c"], "SharingRules": ["Sales_KPI__c"]}
    done = deploy(sf, build(public, types))
    assert "no more than the org-wide default of Sales_KPI__c" in \
        failures_by_name(done["raw"])["Sales_KPI__c"]["problem"]
    private = {**public, "objects/Sales_KPI__c.object": kpi_object(sharing="Private")}
    assert deploy(sf, build(private, types))["state"] == "Succeeded"


def test_a_folder_may_be_named_under_its_content_type(sf: Salesforce,
                                                      kpis: dict[str, Any]) -> None:
    files = {"reports/Old_Style-meta.xml": folder("Old Style", ALL_INTERNAL),
             "reports/Old_Style/Sales_KPIs.report": kpi_report(),
             "objects/Sales_KPI__c.object": kpi_object()}
    done = deploy(sf, build(files, {"Report": ["Old_Style", "Old_Style/Sales_KPIs"],
                                    "CustomObject": ["Sales_KPI__c"]}))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    assert sf.query("SELECT Type FROM Folder WHERE DeveloperName = 'Old_Style'")[
        "records"][0]["Type"] == "Report"
    wild = deploy(sf, build(files, {"Report": ["*"]}))
    assert "wildcard * cannot be used with Report" in \
        failures_by_name(wild["raw"])["*"]["problem"]


def test_a_rule_without_criteria_fails_at_check(sf: Salesforce, kpis: dict[str, Any]) -> None:
    bare = sharing_rules().replace("<criteriaItems><field>KPI_Key__c</field><operation>"
                                   "startsWith</operation><value>company</value>"
                                   "</criteriaItems>", "")
    done = deploy(sf, build({"objects/Sales_KPI__c.object": kpi_object(sharing="Private"),
                             "sharingRules/Sales_KPI__c.sharingRules": bare},
                            {"CustomObject": ["Sales_KPI__c"],
                             "SharingRules": ["Sales_KPI__c"]}))
    assert "a criteria-based sharing rule needs criteria" in \
        failures_by_name(done["raw"])["Sales_KPI__c"]["problem"]


def test_what_the_org_refuses_while_saving_rolls_the_whole_deploy_back(
        sf: Salesforce, sandbox: Sandbox, kpis: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    access = sandbox.salesforce.ctx.access

    def refuse(rule: Any) -> str:
        raise SfError(400, "FIELD_INTEGRITY_EXCEPTION", "refused while saving")
    monkeypatch.setattr(access, "put_sharing_rule", refuse)
    before = access.org_default("Sales_KPI__c")
    changed = kpi_object(sharing="Read" if before == "None" else "Private").replace(
        "My_KPIs", "Rolled_Back").replace("My KPIs", "Rolled back")
    done = deploy(sf, build({"objects/Sales_KPI__c.object": changed,
                             "sharingRules/Sales_KPI__c.sharingRules": sharing_rules("Edit")},
                            {"CustomObject": ["Sales_KPI__c"],
                             "SharingRules": ["Sales_KPI__c"]}))
    assert done["state"] == "Failed"
    assert failures_by_name(done["raw"])["Sales_KPI__c"]["problem"] == "refused while saving"
    assert access.org_default("Sales_KPI__c") == before
    views = sf.restful("sobjects/Sales_KPI__c/listviews")["listviews"]
    assert "Rolled_Back" not in [v["developerName"] for v in views]
