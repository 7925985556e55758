"""Single-record CRUD, sObject Collections and Bulk API 2.0 through simple-salesforce."""

from __future__ import annotations

import csv
import io

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest, SalesforceResourceNotFound

from crm_sandbox import Sandbox

from .conftest import grant_fields

pytestmark = pytest.mark.e2e


def test_single_record_crud(sf: Salesforce) -> None:
    created = sf.Account.create({"Name": "Crud Co", "Industry": "Energy"})
    assert created["success"]
    assert created["id"].startswith("001")
    sf.Account.update(created["id"], {"Name": "Crud Co 2"})
    rec = sf.Account.get(created["id"])
    assert rec["Name"] == "Crud Co 2"
    assert rec["Industry"] == "Energy"
    assert rec["LastModifiedDate"] >= rec["CreatedDate"]
    sf.Account.delete(created["id"])
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(created["id"])
    deleted = sf.query_all(f"SELECT Id FROM Account WHERE Id = '{created['id']}'",
                           include_deleted=True)
    assert deleted["totalSize"] == 1


def test_required_field_and_bad_reference(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.create({"Name": "No stage"})
    assert err.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.create({"Name": "x", "StageName": "Prospecting",
                               "CloseDate": "2026-01-01", "AccountId": "0058d0000000002AAA"})
    assert err.value.content[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


def test_stage_change_sets_won_flags(sf: Salesforce) -> None:
    opp = sf.query("SELECT Id FROM Opportunity WHERE IsClosed = false LIMIT 1")["records"][0]
    sf.Opportunity.update(opp["Id"], {"StageName": "Closed Won"})
    rec = sf.Opportunity.get(opp["Id"])
    assert rec["IsClosed"]
    assert rec["IsWon"]


def test_collections_create_partial_success(sf: Salesforce) -> None:
    res = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False,
        "records": [{"attributes": {"type": "Account"}, "Name": "Coll A"},
                    {"attributes": {"type": "Account"}, "Nope__c": 1}]})
    assert res[0]["success"]
    assert res[0]["errors"] == []
    assert not res[1]["success"]
    assert res[1]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert res[1]["errors"][0]["fields"] == ["Nope__c"]


def test_collections_all_or_none_rolls_back(sf: Salesforce, sandbox: Sandbox) -> None:
    before = sandbox.org.count("accounts", "true")
    res = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": True,
        "records": [{"attributes": {"type": "Account"}, "Name": "Kept?"},
                    {"attributes": {"type": "Account"}}]})
    assert [r["success"] for r in res] == [False, False]
    assert res[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sandbox.org.count("accounts", "true") == before


def test_collections_limit_of_200(sf: Salesforce) -> None:
    records = [{"attributes": {"type": "Account"}, "Name": f"A{i}"} for i in range(201)]
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.restful("composite/sobjects", method="POST", json={"records": records})
    assert err.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_collections_update_and_upsert_by_external_id(sf: Salesforce) -> None:
    sf.toolingexecute("sobjects/CustomField", method="POST", data={
        "FullName": "Account.Ext_Key__c",
        "Metadata": {"label": "Ext Key", "type": "Text", "length": 40, "externalId": True,
                     "unique": True}})
    grant_fields(sf, "Account.Ext_Key__c")
    rows = [{"attributes": {"type": "Account"}, "Ext_Key__c": f"k{i}", "Name": f"Up {i}"}
            for i in range(3)]
    first = sf.restful("composite/sobjects/Account/Ext_Key__c", method="PATCH",
                       json={"allOrNone": False, "records": rows})
    assert [r["created"] for r in first] == [True, True, True]
    rows[0]["Name"] = "Up 0 changed"
    again = sf.restful("composite/sobjects/Account/Ext_Key__c", method="PATCH",
                       json={"allOrNone": False, "records": rows})
    assert [r["created"] for r in again] == [False, False, False]
    assert [r["id"] for r in again] == [r["id"] for r in first]
    upd = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Account"}, "Id": first[1]["id"], "Industry": "Media"},
        {"attributes": {"type": "Account"}, "Id": "001xx", "Industry": "Media"}]})
    assert upd[0]["success"]
    assert upd[1]["errors"][0]["statusCode"] == "MALFORMED_ID"
    got = sf.query("SELECT Name, Industry FROM Account WHERE Ext_Key__c IN ('k0', 'k1') "
                   "ORDER BY Ext_Key__c")["records"]
    assert next((g["Name"], g["Industry"]) for g in got)[0] == "Up 0 changed"
    assert got[1]["Industry"] == "Media"
    single = sf.Account.upsert("Ext_Key__c/k9", {"Name": "Single"})
    assert single == 201


def test_bulk_query_pages_with_locator(sf: Salesforce, sandbox: Sandbox) -> None:
    pages = list(sf.bulk2.Lead.query("SELECT Id, Name, CreatedDate, IsConverted FROM Lead",
                                     max_records=300, wait=0.05))
    rows = [r for p in pages for r in csv.DictReader(io.StringIO(p))]
    assert len(pages) > 2
    assert len(rows) == len({r["Id"] for r in rows}) == sandbox.org.count("leads")
    assert rows[0]["CreatedDate"].endswith(".000Z")
    assert rows[0]["IsConverted"] in ("true", "false")
    assert pages[0].splitlines()[0] == '"Id","Name","CreatedDate","IsConverted"'


def test_bulk_ingest_results(sf: Salesforce) -> None:
    res = sf.bulk2.Contact.insert(records=[{"LastName": "Bulk", "FirstName": "A"},
                                           {"FirstName": "NoLast"}], wait=0.05)
    assert res[0]["numberRecordsProcessed"] == 2
    assert res[0]["numberRecordsFailed"] == 1
    job = res[0]["job_id"]
    ok = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_successful_records(job))))
    bad = list(csv.DictReader(io.StringIO(sf.bulk2.Contact.get_failed_records(job))))
    assert ok[0]["sf__Created"] == "true"
    assert ok[0]["sf__Id"].startswith("003")
    assert bad[0]["sf__Error"].startswith("REQUIRED_FIELD_MISSING")
    assert bad[0]["FirstName"] == "NoLast"
    unprocessed = sf.bulk2.Contact.get_unprocessed_records(job).strip().splitlines()
    assert len(unprocessed) == 1
    assert "LastName" in unprocessed[0]


def test_bulk_upsert(sf: Salesforce) -> None:
    sf.toolingexecute("sobjects/CustomField", method="POST", data={
        "FullName": "Contact.Ext_Ref__c",
        "Metadata": {"label": "Ext Ref", "type": "Text", "length": 40, "externalId": True}})
    grant_fields(sf, "Contact.Ext_Ref__c")
    rows = [{"Ext_Ref__c": f"c{i}", "LastName": f"L{i}"} for i in range(5)]
    first = sf.bulk2.Contact.upsert(records=rows, external_id_field="Ext_Ref__c", wait=0.05)
    second = sf.bulk2.Contact.upsert(records=rows, external_id_field="Ext_Ref__c", wait=0.05)
    assert first[0]["numberRecordsFailed"] == second[0]["numberRecordsFailed"] == 0
    ok = list(csv.DictReader(io.StringIO(
        sf.bulk2.Contact.get_successful_records(second[0]["job_id"]))))
    assert {r["sf__Created"] for r in ok} == {"false"}
    assert sf.query("SELECT COUNT() FROM Contact WHERE Ext_Ref__c LIKE 'c%'")["totalSize"] == 5


def test_collections_mixed_types_in_chunks(sf: Salesforce, sandbox: Sandbox) -> None:
    recs = [{"attributes": {"type": "Account"}, "Name": "Mix A"},
            {"attributes": {"type": "Contact"}, "LastName": "Mix C"},
            {"attributes": {"type": "Account"}, "Name": "Mix B"}]
    res = sf.restful("composite/sobjects", method="POST", json={"records": recs})
    assert [r["id"][:3] for r in res] == ["001", "003", "001"]
    before = sandbox.org.count("contacts", "true")
    bad = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True, "records": [
        {"attributes": {"type": "Contact"}, "LastName": "Kept?"},
        {"attributes": {"type": "Account"}}]})
    assert [r["success"] for r in bad] == [False, False]
    assert sandbox.org.count("contacts", "true") == before
    too_many = [{"attributes": {"type": t}, "Name": "x", "LastName": "y"}
                for t in ["Account", "Contact"] * 6]
    with pytest.raises(SalesforceMalformedRequest):
        sf.restful("composite/sobjects", method="POST", json={"records": too_many})
