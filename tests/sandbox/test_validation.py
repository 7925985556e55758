"""Salesforce's own validation rules: token grants, numeric range and text length per
record, deletes of deleted records, inactive owners; every fault firing is counted."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

pytestmark = pytest.mark.e2e


def collection(sf: Salesforce, records: list[dict[str, Any]], aon: bool = False) -> Any:
    return sf.restful("composite/sobjects", method="POST",
                      json={"allOrNone": aon, "records": records})


def account(**fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, "Name": "Valid Co", **fields}


def opportunity(amount: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Opportunity"}, "Name": "Range", "StageName": "Prospecting",
            "CloseDate": "2026-01-01", "Amount": amount}


def test_refresh_grant_refuses_a_wrong_client_secret(sandbox: Sandbox,
                                                     http: requests.Session) -> None:
    info = sandbox.info["salesforce"]
    url = f"{info['login_url']}/services/oauth2/token"
    form = {"grant_type": "refresh_token", "refresh_token": info["refresh_token"],
            "client_id": info["client_id"]}
    wrong = http.post(url, data={**form, "client_secret": "not-it"}, timeout=10)
    assert wrong.status_code == 400
    assert wrong.json() == {"error": "invalid_client",
                            "error_description": "invalid client credentials"}
    assert http.post(url, data=form, timeout=10).status_code == 200  # the secret is optional
    right = http.post(url, data={**form, "client_secret": info["client_secret"]}, timeout=10)
    assert right.status_code == 200


def test_numbers_are_range_checked_per_record_never_rounded(sf: Salesforce) -> None:
    # Amount is currency(18, 2): at most 16 integer digits.
    res = collection(sf, [opportunity(12.3456789), opportunity(1e16), opportunity(-1e16)])
    assert res[0]["success"]
    for bad in res[1:]:
        assert "id" not in bad
        assert bad["errors"] == [{
            "statusCode": "NUMBER_OUTSIDE_VALID_RANGE",
            "message": "Amount: value outside of valid range on numeric field: "
                       f"{'-' if bad is res[2] else ''}1.0E16", "fields": ["Amount"]}]
    stored = sf.query(f"SELECT Amount FROM Opportunity WHERE Id = '{res[0]['id']}'")
    assert stored["records"][0]["Amount"] == 12.3456789  # the API stores the full value
    biggest = collection(sf, [opportunity(9_999_999_999_999_998.0)])  # 16 digits
    assert biggest[0]["success"]


def test_range_errors_in_single_writes_and_bulk(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.Opportunity.create({k: v for k, v in opportunity("1e20").items()
                               if k != "attributes"})
    assert err.value.content[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"
    res = sf.bulk2.Opportunity.insert(records=[
        {k: v for k, v in opportunity(v).items() if k != "attributes"} for v in ("5", "1e17")],
        wait=0.05)
    failed = list(csv.DictReader(io.StringIO(
        sf.bulk2.Opportunity.get_failed_records(res[0]["job_id"]))))
    assert res[0]["numberRecordsFailed"] == 1
    assert failed[0]["sf__Error"].startswith("NUMBER_OUTSIDE_VALID_RANGE:Amount: value outside")


def test_text_longer_than_the_field_fails_that_record(sf: Salesforce) -> None:
    res = collection(sf, [account(), account(BillingCountry="x" * 81)])
    assert res[0]["success"]
    assert res[1]["errors"][0]["statusCode"] == "STRING_TOO_LONG"
    assert res[1]["errors"][0]["fields"] == ["BillingCountry"]


def test_deleting_a_deleted_record_fails_that_record(sf: Salesforce, sandbox: Sandbox) -> None:
    binned = sf_id("00Q", sandbox.org.keys("leads", "is_deleted", 1)[0])
    live = [sf_id("00Q", k) for k in sandbox.org.keys("leads", "NOT is_deleted", 2)]
    res = sf.restful("composite/sobjects", method="DELETE",
                     params={"ids": ",".join([binned, live[0], "00Qnotanid"])})
    assert res[0] == {"success": False, "errors": [{
        "statusCode": "ENTITY_IS_DELETED", "message": "entity is deleted", "fields": []}]}
    assert res[1] == {"id": live[0], "success": True, "errors": []}
    assert res[2]["errors"][0]["statusCode"] == "MALFORMED_ID"
    rolled = sf.restful("composite/sobjects", method="DELETE",
                        params={"ids": f"{binned},{live[1]}", "allOrNone": "true"})
    assert rolled[1]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert sf.query(f"SELECT Id FROM Lead WHERE Id = '{live[1]}'")["totalSize"] == 1


def test_inactive_users_cannot_own_records(sf: Salesforce, sandbox: Sandbox) -> None:
    inactive = sf_id("005", sandbox.org.keys("users", "NOT active", 1)[0])
    active = sf_id("005", sandbox.org.keys("users", "active AND n > 1", 1)[0])
    target = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    res = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Account"}, "Id": target, "OwnerId": inactive}]})
    assert res[0]["errors"] == [{
        "statusCode": "INACTIVE_OWNER_OR_USER", "fields": [],
        "message": f"operation performed with inactive user [{inactive}] as owner of account"}]
    created = collection(sf, [account(OwnerId=active), account(OwnerId=inactive)])
    assert created[0]["success"]
    assert created[1]["errors"][0]["statusCode"] == "INACTIVE_OWNER_OR_USER"


def test_record_error_firings_are_counted(sf: Salesforce, sandbox: Sandbox) -> None:
    before = sandbox.stats()["faults"].get("record_error", 0)
    sandbox.faults.add({"kind": "record_error", "path": "/composite/sobjects", "count": 2})
    res = collection(sf, [account(), account(), account()])
    assert [r["success"] for r in res] == [False, False, True]
    assert sandbox.stats()["faults"]["record_error"] == before + 2
