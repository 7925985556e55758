"""Composite (`/composite`) through simple-salesforce's `restful`: up to 25 subrequests in
one API call, references between them, per-subrequest headers, allOrNone rollback."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox

from .conftest import used

pytestmark = pytest.mark.e2e

D = "/services/data/v60.0/"


def sub(method: str, url: str, ref: str, body: Any = None,
        headers: dict[str, str] | None = None) -> dict[str, Any]:
    item: dict[str, Any] = {"method": method, "url": D + url, "referenceId": ref}
    if body is not None:
        item["body"] = body
    if headers is not None:
        item["httpHeaders"] = headers
    return item


def composite(sf: Salesforce, *subs: dict[str, Any], all_or_none: bool = False
              ) -> list[dict[str, Any]]:
    out = sf.restful("composite", method="POST",
                     json={"allOrNone": all_or_none, "compositeRequest": list(subs)})
    results: list[dict[str, Any]] = out["compositeResponse"]
    assert [r["referenceId"] for r in results] == [s["referenceId"] for s in subs]
    return results



def q(soql: str) -> str:
    return "query/?q=" + soql.replace(" ", "+")



def test_many_subrequests_cost_one_api_call(sf: Salesforce, stats: Sandbox) -> None:
    soql = "SELECT Id, Name FROM Account ORDER BY Id LIMIT 3"
    before = used(stats)
    results = composite(sf, sub("GET", q(soql), "accounts"),
                        sub("GET", "queryAll/?q=SELECT+COUNT()+FROM+Lead+WHERE+IsDeleted=true",
                            "gone"),
                        *[sub("GET", f"sobjects/{o}/describe", o)
                          for o in ("Account", "Lead", "Opportunity", "Task", "Event")])
    assert [r["httpStatusCode"] for r in results] == [200] * 7
    assert results[0]["body"] == sf.query(soql)
    assert results[1]["body"]["totalSize"] == stats.org.count("leads", "is_deleted") > 0
    assert results[2]["body"]["name"] == "Account"
    assert used(stats) == before + 1 + 1  # the composite request, then the direct query
    assert stats.stats()["endpoints"] == {"salesforce.composite": 1, "salesforce.query": 1}


def test_references_carry_answers_into_later_subrequests(sf: Salesforce,
                                                         sandbox: Sandbox) -> None:
    results = composite(
        sf,
        sub("POST", "sobjects/Account", "acct", {"Name": "Composite Co"}),
        sub("GET", "sobjects/Account/@{acct.id}?fields=Name", "read"),
        sub("GET", q("SELECT Id, Name FROM Account WHERE Name = 'Composite Co'"), "found"),
        sub("PATCH", "sobjects/Account/@{found.records[0].Id}", "rename",
            {"Name": "Composite Co 2"}),
        sub("GET", "sobjects/Account/@{acct.id}?fields=Name", "again"),
    )
    created, read, found, renamed, again = results
    assert created["httpStatusCode"] == 201
    assert read["body"]["Name"] == "Composite Co"
    assert found["body"]["records"][0]["Id"] == created["body"]["id"]
    assert (renamed["httpStatusCode"], renamed["body"]) == (204, None)
    assert again["body"]["Name"] == "Composite Co 2"


def test_a_failed_reference_halts_only_what_depends_on_it(sf: Salesforce) -> None:
    results = composite(
        sf,
        sub("POST", "sobjects/Account", "bad", {"NoSuchField__c": 1}),
        sub("GET", "sobjects/Account/@{bad.id}", "dependent"),
        sub("GET", q("SELECT Id FROM Account LIMIT 1"), "none"),
        sub("GET", "sobjects/Account/@{none.records[5].Id}", "out_of_range"),
        sub("GET", q("SELECT COUNT() FROM Lead"), "independent"),
    )
    assert [r["httpStatusCode"] for r in results] == [400, 400, 200, 400, 200]
    for r in (results[1], results[3]):
        assert r["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert r["body"][0]["message"].startswith("Invalid reference specified.")


def test_all_or_none_rolls_back_every_write(sf: Salesforce, sandbox: Sandbox) -> None:
    before_accounts = sandbox.org.count("accounts")
    lead = sf.query("SELECT Id, Status FROM Lead WHERE IsDeleted = false LIMIT 1")["records"][0]
    results = composite(
        sf,
        sub("POST", "sobjects/Account", "acct", {"Name": "Rolled Back Co"}),
        sub("PATCH", f"sobjects/Lead/{lead['Id']}", "lead", {"Status": "Working - Contacted"}),
        sub("POST", "sobjects/Account", "bad", {"NoSuchField__c": 1}),
        sub("GET", q("SELECT COUNT() FROM Lead"), "after"),
        all_or_none=True,
    )
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400, 400]
    assert results[2]["body"][0]["errorCode"] == "INVALID_FIELD"
    for r in (results[0], results[1], results[3]):
        assert r["body"][0]["errorCode"] == "PROCESSING_HALTED"
        assert "rolled back" in r["body"][0]["message"]
    assert sandbox.org.count("accounts") == before_accounts
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Rolled Back Co'")["totalSize"] == 0
    assert sf.Lead.get(lead["Id"])["Status"] == lead["Status"]


def test_all_or_none_commits_when_everything_succeeds(sf: Salesforce, sandbox: Sandbox) -> None:
    results = composite(sf, sub("POST", "sobjects/Account", "a", {"Name": "Kept Co"}),
                        sub("GET", "sobjects/Account/@{a.id}?fields=Name", "b"),
                        all_or_none=True)
    assert [r["httpStatusCode"] for r in results] == [201, 200]
    assert sf.query("SELECT COUNT() FROM Account WHERE Name = 'Kept Co'")["totalSize"] == 1


def test_subrequest_headers_revalidate_describes_and_size_pages(sf: Salesforce) -> None:
    first = composite(sf, sub("GET", "sobjects/Lead/describe", "lead"))[0]
    stamp, tag = first["httpHeaders"]["Last-Modified"], first["httpHeaders"]["ETag"]
    assert "Content-Length" not in first["httpHeaders"]
    again = composite(
        sf,
        sub("GET", "sobjects/Lead/describe", "since", headers={"If-Modified-Since": stamp}),
        sub("GET", "sobjects/Lead/describe", "tag", headers={"If-None-Match": tag}),
        sub("GET", q("SELECT Id FROM Task"), "page",
            headers={"Sforce-Query-Options": "batchSize=200"}),
    )
    assert [(r["httpStatusCode"], r["body"]) for r in again[:2]] == [(304, None), (304, None)]
    assert again[0]["httpHeaders"]["ETag"] == tag
    assert len(again[2]["body"]["records"]) == 200


@pytest.mark.parametrize(("subs", "code"), [
    ([sub("GET", "limits", "a")], "INVALID_API_INPUT"),  # not composable
    ([{"method": "GET", "url": "v60.0/query/?q=SELECT+Id+FROM+Lead", "referenceId": "a"}],
     "INVALID_API_INPUT"),  # the url starts at /services/data/
    ([sub("GET", "sobjects/Lead/describe", "a-b")], "INVALID_API_INPUT"),
    ([sub("GET", "sobjects/Lead/describe", "a")] * 2, "INVALID_API_INPUT"),  # duplicate id
    ([sub("GET", "sobjects/Lead/describe", "a", headers={"Authorization": "Bearer x"})],
     "INVALID_API_INPUT"),
    ([{"method": "GET", "url": "/services/data/v61.0/sobjects/Lead/describe",
       "referenceId": "a"}], "INVALID_API_INPUT"),  # newer than the request
    ([sub("GET", "sobjects/Lead/describe", f"r{i}") for i in range(26)], "LIMIT_EXCEEDED"),
    ([sub("GET", q("SELECT COUNT() FROM Lead"), f"r{i}") for i in range(6)], "LIMIT_EXCEEDED"),
    ([], "INVALID_API_INPUT"),
])
def test_malformed_requests_are_refused_whole(sf: Salesforce, sandbox: Sandbox,
                                              subs: list[dict[str, Any]], code: str) -> None:
    before = used(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.restful("composite", method="POST", json={"compositeRequest": subs})
    assert err.value.content[0]["errorCode"] == code
    assert used(sandbox) == before + 1


def test_five_queries_and_twenty_describes_fit(sf: Salesforce, sandbox: Sandbox) -> None:
    before = used(sandbox)
    subs = [sub("GET", q("SELECT COUNT() FROM Lead"), f"q{i}") for i in range(5)]
    subs += [sub("GET", "sobjects/Lead/describe", f"d{i}") for i in range(20)]
    assert all(r["httpStatusCode"] == 200 for r in composite(sf, *subs))
    assert used(sandbox) == before + 1


def test_faults_apply_per_subrequest(sf: Salesforce, stats: Sandbox) -> None:
    stats.faults.add({"kind": "status", "status": 503, "path": "/query", "count": 1})
    results = composite(sf, sub("GET", q("SELECT COUNT() FROM Lead"), "a"),
                        sub("GET", q("SELECT COUNT() FROM Lead"), "b"))
    assert [r["httpStatusCode"] for r in results] == [503, 200]
    assert results[0]["body"][0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert stats.stats()["faults"] == {"status": 1}


def test_the_resources_listing(sf: Salesforce) -> None:
    listed = sf.restful("composite")
    assert listed["batch"] == "/services/data/v60.0/composite/batch"
    assert set(listed) == {"tree", "batch", "sobjects", "graph"}
