"""Tooling API custom objects/fields and the Analytics reports API."""

from __future__ import annotations

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from .conftest import grant_fields

pytestmark = pytest.mark.e2e


def make_kpi_object(sf: Salesforce) -> None:
    sf.restful("tooling/sobjects/CustomObject", method="POST", json={
        "FullName": "Sales_KPI__c",
        "Metadata": {"label": "Sales KPI", "pluralLabel": "Sales KPIs",
                     "nameField": {"type": "Text", "label": "KPI Name"},
                     "deploymentStatus": "Deployed", "sharingModel": "ReadWrite"}})
    for name, meta in (("KPI_Key__c", {"type": "Text", "length": 120, "externalId": True,
                                       "unique": True}),
                       ("Value__c", {"type": "Number", "precision": 18, "scale": 4}),
                       ("Period_Start__c", {"type": "Date"}),
                       ("Rep__c", {"type": "Lookup", "referenceTo": "User",
                                   "relationshipName": "Rep"})):
        res = sf.toolingexecute("sobjects/CustomField", method="POST", data={
            "FullName": f"Sales_KPI__c.{name}", "Metadata": {"label": name[:-3], **meta}})
        assert res["success"]
        assert res["id"].startswith("00N")
    grant_fields(sf, *(f"Sales_KPI__c.{n}" for n in ("KPI_Key__c", "Value__c",
                                                    "Period_Start__c", "Rep__c")))


def test_tooling_object_and_fields_are_served(sf: Salesforce) -> None:
    make_kpi_object(sf)
    fields = {f["name"]: f for f in sf.Sales_KPI__c.describe()["fields"]}
    assert fields["KPI_Key__c"]["externalId"]
    assert fields["Rep__c"]["referenceTo"] == ["User"]
    user = sf.query("SELECT Id FROM User LIMIT 1")["records"][0]["Id"]
    res = sf.restful("composite/sobjects/Sales_KPI__c/KPI_Key__c", method="PATCH", json={
        "allOrNone": True, "records": [{"attributes": {"type": "Sales_KPI__c"},
                                        "KPI_Key__c": "2026-Q1|rep", "Value__c": 0.45,
                                        "Period_Start__c": "2026-01-01", "Rep__c": user,
                                        "Name": "closing ratio"}]})
    assert res[0]["created"]
    got = sf.query("SELECT Name, Value__c, Period_Start__c, Rep__r.Name FROM Sales_KPI__c "
                   "WHERE KPI_Key__c = '2026-Q1|rep'")["records"][0]
    assert got["Value__c"] == 0.45
    assert got["Period_Start__c"] == "2026-01-01"
    assert got["Rep__r"]["Name"]
    objs = sf.toolingexecute("query/?q=SELECT+Id,DeveloperName+FROM+CustomObject")
    assert [r["DeveloperName"] for r in objs["records"]] == ["Sales_KPI"]
    flds = sf.toolingexecute("query/?q=SELECT+DeveloperName,TableEnumOrId+FROM+CustomField"
                             "+WHERE+TableEnumOrId='" + objs["records"][0]["Id"] + "'")
    assert {r["DeveloperName"] for r in flds["records"]} == {"KPI_Key", "Value",
                                                            "Period_Start", "Rep"}
    with pytest.raises(SalesforceMalformedRequest):
        sf.toolingexecute("sobjects/CustomField", method="POST", data={
            "FullName": "Sales_KPI__c.KPI_Key__c", "Metadata": {"type": "Text"}})


def test_report_create_update(sf: Salesforce) -> None:
    """(Dashboards come from a deploy or a clone: test_analytics.)"""
    rep = sf.restful("analytics/reports", method="POST", json={"reportMetadata": {
        "name": "Won deals", "reportFormat": "TABULAR", "reportType": {"type": "Opportunity"},
        "detailColumns": ["Opportunity.Name", "Opportunity.Amount"]}})
    rid = rep["reportMetadata"]["id"]
    assert rid.startswith("00O")
    assert rep["reportExtendedMetadata"]["detailColumnInfo"]["Opportunity.Amount"][
        "dataType"] == "currency"
    upd = sf.restful(f"analytics/reports/{rid}", method="PATCH", json={"reportMetadata": {
        "name": "Won deals v2", "detailColumns": ["Opportunity.Name"]}})
    assert upd["reportMetadata"]["name"] == "Won deals v2"
    run = sf.restful(f"analytics/reports/{rid}")
    assert run["factMap"]["T!T"]["aggregates"][0]["value"] > 0
    assert len(run["factMap"]["T!T"]["rows"][0]["dataCells"]) == 1
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful(f"analytics/reports/{rid}", method="PATCH",
                   json={"reportMetadata": {"detailColumns": ["Opportunity.Nope"]}})
