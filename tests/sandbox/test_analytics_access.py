"""Reports and dashboards as each user of the org sees them: folder access, a dynamic
dashboard that runs as its viewer (their record access and field-level security),
private reports, recent lists per user, and a sharing rule deployed for company rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceRefusedRequest

from crm_sandbox import Sandbox

from .deploy_zip import (
    ALL_INTERNAL,
    build,
    client,
    dashboard_folder,
    deploy,
    field_rights,
    folder,
    grant,
    kpi_dashboard,
    kpi_object,
    kpi_report,
    make_kpi_object,
    object_rights,
    tab,
    xml,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(seed=17, scale=0.05) as sb:
        yield sb


@pytest.fixture(scope="module")
def org(sandbox: Sandbox) -> dict[str, Any]:
    """Two reps of one manager, a rep of another team, their clients, KPI rows owned by
    each, and what setup deploys: object settings (Private), shared folders, a report, a
    dynamic dashboard, a readers' permission set assigned to the reps and managers."""
    people = sandbox.info["salesforce"]["users"]
    reps = [u for u in people if u["profile"] == "Standard User" and u["manager"]]
    by_manager: dict[str, list[dict[str, Any]]] = {}
    for u in reps:
        by_manager.setdefault(u["manager"], []).append(u)
    manager_name, team = next((m, t) for m, t in by_manager.items() if len(t) >= 2)
    other = next(u for u in reps if u["manager"] != manager_name)
    outsider = next(u for u in reps if u not in (*team[:2], other) and
                    u["username"] != manager_name)
    manager = next(u for u in people if u["username"] == manager_name)
    a, b = team[0], team[1]
    admin = client(sandbox, sandbox.info["salesforce"]["access_token"])
    make_kpis(admin, sandbox, {"a": a, "b": b, "other": other})
    readers = [object_rights("Sales_KPI__c"), field_rights("Sales_KPI__c.Value__c"),
               field_rights("Sales_KPI__c.Period_Start__c"),
               "<tabSettings><tab>Sales_KPI__c</tab><visibility>Visible</visibility>"
               "</tabSettings>"]
    done = deploy(admin, build({
        "objects/Sales_KPI__c.object": kpi_object(sharing="Private"),
        "tabs/Sales_KPI__c.tab": tab(),
        "reports/KPI_Reports-meta.xml": folder("KPI Reports", ALL_INTERNAL),
        "reports/KPI_Reports/Sales_KPIs.report": kpi_report(),
        "reports/Admin_Only-meta.xml": folder("Admin Only"),
        "reports/Admin_Only/Secret.report": kpi_report("Secret"),
        "dashboards/KPI_Dashboards-meta.xml": dashboard_folder("KPI Dashboards",
                                                               ALL_INTERNAL),
        "dashboards/KPI_Dashboards/Sales_KPIs.dashboard": kpi_dashboard()}, {
        "CustomObject": ["Sales_KPI__c"], "CustomTab": ["Sales_KPI__c"],
        "ReportFolder": ["KPI_Reports", "Admin_Only"],
        "Report": ["KPI_Reports/Sales_KPIs", "Admin_Only/Secret"],
        "DashboardFolder": ["KPI_Dashboards"], "Dashboard": ["KPI_Dashboards/Sales_KPIs"]}))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    grant(admin, "KPI_Readers", readers, [a["user_id"], b["user_id"], other["user_id"],
                                          manager["user_id"]])
    board = admin.query("SELECT Id FROM Dashboard")["records"][0]["Id"]
    return {"admin": admin, "a": client(sandbox, a["access_token"]),
            "b": client(sandbox, b["access_token"]),
            "other": client(sandbox, other["access_token"]),
            "manager": client(sandbox, manager["access_token"]), "board": board,
            "outsider": client(sandbox, outsider["access_token"]),
            "ids": {"a": a["user_id"], "b": b["user_id"], "other": other["user_id"]}}


def make_kpis(admin: Salesforce, sandbox: Sandbox, owners: dict[str, dict[str, Any]]) -> None:
    make_kpi_object(admin, sandbox)
    rows = []
    for i, (key, value) in enumerate((("a", 1.0), ("a", 2.0), ("b", 10.0), ("other", 100.0),
                                      ("company", 1000.0))):
        owner = owners[key]["user_id"] if key in owners else sandbox.info["salesforce"][
            "user_id"]
        rows.append({"attributes": {"type": "Sales_KPI__c"}, "KPI_Key__c": f"{key}-{i}",
                     "Name": f"{key} {i}", "Value__c": value,
                     "Period_Start__c": "2026-01-01", "OwnerId": owner})
    res = admin.restful("composite/sobjects", method="POST",
                        json={"allOrNone": True, "records": rows})
    assert all(r["success"] for r in res), res


def totals(sf: Salesforce, board: str) -> tuple[int, float]:
    data = sf.restful(f"analytics/dashboards/{board}")["componentData"][0]
    cell = data["reportResult"]["factMap"]["T!T"]["aggregates"]
    return int(cell[0]["value"]), float(cell[1]["value"] or 0)


def test_a_dynamic_dashboard_shows_each_viewer_their_rows(org: dict[str, Any]) -> None:
    assert totals(org["a"], org["board"]) == (2, 3.0)
    assert totals(org["b"], org["board"]) == (1, 10.0)
    assert totals(org["other"], org["board"]) == (1, 100.0)
    assert totals(org["manager"], org["board"]) == (3, 13.0)  # their team, by the hierarchy
    assert totals(org["admin"], org["board"]) == (5, 1113.0)
    shown = org["a"].restful(f"analytics/dashboards/{org['board']}/describe")
    assert shown["runningUser"]["id"] == org["ids"]["a"]
    outsider = org["outsider"].restful(f"analytics/dashboards/{org['board']}")
    status = outsider["componentData"][0]["status"]  # no read on Sales_KPI__c
    assert (status["dataStatus"], status["errorCode"]) == ("ERROR", "FORBIDDEN")


def test_the_deployed_permission_set_grants_the_field(org: dict[str, Any]) -> None:
    rows = org["a"].query("SELECT Name, Value__c FROM Sales_KPI__c")["records"]
    assert sorted(r["Value__c"] for r in rows) == [1.0, 2.0]  # read on the field, own rows
    with pytest.raises(SalesforceMalformedRequest) as err:  # not assigned: no such column
        org["outsider"].query("SELECT Value__c FROM Sales_KPI__c")
    assert err.value.content[0]["errorCode"] in ("INVALID_TYPE", "INVALID_FIELD")


def test_folders_decide_who_finds_and_runs_what(org: dict[str, Any]) -> None:
    rep, admin = org["a"], org["admin"]
    assert {r["Name"] for r in rep.query("SELECT Name FROM Folder")["records"]} == {
        "KPI Reports", "KPI Dashboards"}
    assert {r["DeveloperName"] for r in rep.query("SELECT DeveloperName FROM Report")[
        "records"]} == {"Sales_KPIs"}
    secret = admin.query("SELECT Id FROM Report WHERE DeveloperName = 'Secret'")[
        "records"][0]["Id"]
    with pytest.raises(SalesforceRefusedRequest) as err:
        rep.restful(f"analytics/reports/{secret}")
    assert err.value.content[0]["errorCode"] == "FORBIDDEN"
    shared = admin.query("SELECT Id FROM Folder WHERE DeveloperName = 'KPI_Reports'")[
        "records"][0]["Id"]
    with pytest.raises(SalesforceRefusedRequest):  # View is not enough to save into it
        rep.restful("analytics/reports", method="POST", json={"reportMetadata": {
            "name": "Mine", "reportType": {"type": "CustomEntity$Sales_KPI__c"},
            "detailColumns": ["CUST_NAME"], "folderId": shared}})
    boards = admin.query("SELECT Id FROM Folder WHERE DeveloperName = 'KPI_Dashboards'")[
        "records"][0]["Id"]
    with pytest.raises(SalesforceRefusedRequest):
        rep.restful("analytics/dashboards", method="POST", params={"cloneId": org["board"]},
                    json={"folderId": boards})


def test_a_private_report_is_its_owners_alone(org: dict[str, Any]) -> None:
    rep, admin = org["b"], org["admin"]
    made = rep.restful("analytics/reports", method="POST", json={"reportMetadata": {
        "name": "B private", "reportType": {"type": "CustomEntity$Sales_KPI__c"},
        "detailColumns": ["CUST_NAME", "Sales_KPI__c.Value__c"]}})["reportMetadata"]
    assert made["folderId"] == org["ids"]["b"]
    run = rep.restful(f"analytics/reports/{made['id']}")
    assert run["factMap"]["T!T"]["aggregates"][0]["value"] == 1  # b's own row
    with pytest.raises(SalesforceRefusedRequest):
        admin.restful(f"analytics/reports/{made['id']}")
    assert not admin.query(f"SELECT Id FROM Report WHERE Id = '{made['id']}'")["records"]
    assert rep.query(f"SELECT FolderName FROM Report WHERE Id = '{made['id']}'")[
        "records"][0]["FolderName"] == "Private Reports"


def test_recent_lists_are_each_users_own(org: dict[str, Any]) -> None:
    org["other"].restful(f"analytics/dashboards/{org['board']}/describe")
    assert [d["id"] for d in org["other"].restful("analytics/dashboards")] == [org["board"]]
    assert not org["other"].restful("analytics/reports")  # a dashboard run is no view
    mine = [r["name"] for r in org["b"].restful("analytics/reports")]
    assert mine == ["B private"]  # what b ran, not what others ran
    with pytest.raises(SalesforceMalformedRequest):
        org["a"].restful(f"analytics/dashboards/{org['board']}",
                         params={"runningUser": org["ids"]["b"]})


def test_a_deployed_sharing_rule_shares_company_rows(org: dict[str, Any]) -> None:
    rules = xml("SharingRules", (
        "<sharingCriteriaRules><fullName>Company_KPIs</fullName><accessLevel>Read"
        "</accessLevel><criteriaItems><field>KPI_Key__c</field><operation>startsWith"
        "</operation><value>company</value></criteriaItems><includeRecordsOwnedByAll>true"
        "</includeRecordsOwnedByAll><label>Company KPIs</label><sharedTo><allInternalUsers>"
        "</allInternalUsers></sharedTo></sharingCriteriaRules>"))
    done = deploy(org["admin"], build({"sharingRules/Sales_KPI__c.sharingRules": rules},
                                      {"SharingRules": ["Sales_KPI__c"]}))
    assert done["state"] == "Succeeded", done["deployment_detail"]
    assert totals(org["a"], org["board"]) == (3, 1003.0)
    assert totals(org["other"], org["board"]) == (2, 1100.0)
