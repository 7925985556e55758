"""Composite Batch through simple-salesforce's `restful`: the same handlers, faults and
API accounting as direct calls."""

from __future__ import annotations

from typing import Any

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox

from .conftest import used

pytestmark = pytest.mark.e2e

Q = "v60.0/query/?q="


def batch(sf: Salesforce, *subs: tuple[str, str], halt: bool = False,
          rich: dict[int, Any] | None = None) -> dict[str, Any]:
    reqs = [{"method": m, "url": u, **({"richInput": rich[i]} if rich and i in rich else {})}
            for i, (m, u) in enumerate(subs)]
    out: dict[str, Any] = sf.restful("composite/batch", method="POST",
                                      json={"haltOnError": halt, "batchRequests": reqs})
    return out




def test_subrequests_answer_as_direct_calls(sf: Salesforce, stats: Sandbox) -> None:
    soql = "SELECT Id, Name FROM Account ORDER BY Id LIMIT 3"
    before = used(stats)
    out = batch(sf, ("GET", Q + soql.replace(" ", "+")),
                ("GET", "/services/data/v60.0/query/?q=SELECT+COUNT()+FROM+Lead"),
                ("GET", "v60.0/queryAll/?q=SELECT+COUNT()+FROM+Lead+WHERE+IsDeleted=true"),
                ("GET", "v60.0/sobjects/Account/describe"), ("GET", "v59.0/limits"))
    assert out["hasErrors"] is False
    assert [r["statusCode"] for r in out["results"]] == [200] * 5
    query, count, deleted, describe, limits = (r["result"] for r in out["results"])
    assert query == sf.query(soql)
    assert count["totalSize"] == stats.org.count("leads")
    assert deleted["totalSize"] == stats.org.count("leads", "is_deleted") > 0
    assert describe["name"] == "Account"
    assert describe["fields"]
    assert "DailyApiRequests" in limits
    assert used(stats) == before + 5 + 1  # five subrequests, then the direct query
    assert stats.stats()["endpoints"] == {"salesforce.compositeBatch": 1,
                                          "salesforce.query": 1}


def test_query_more_and_writes_in_a_batch(sf: Salesforce, sandbox: Sandbox) -> None:
    first = sf.query("SELECT Id FROM Task")
    acct = sf.query("SELECT Id FROM Account LIMIT 1")["records"][0]["Id"]
    out = batch(sf, ("GET", first["nextRecordsUrl"]),
                ("PATCH", f"v60.0/sobjects/Account/{acct}"),
                ("GET", f"v60.0/sobjects/Account/{acct}?fields=Name"),
                rich={1: {"Name": "Batched Name"}})
    more, patched, read = out["results"]
    assert more["statusCode"] == 200
    assert len(more["result"]["records"]) == min(2000, first["totalSize"] - 2000)
    assert (patched["statusCode"], patched["result"]) == (204, None)
    assert read["result"]["Name"] == "Batched Name"  # commits show in later subrequests


def test_errors_are_per_subrequest_and_halt_stops_the_rest(sf: Salesforce,
                                                           sandbox: Sandbox) -> None:
    bad, good = ("GET", Q + "SELECT+Nope+FROM+Account"), ("GET", Q + "SELECT+COUNT()+FROM+Lead")
    out = batch(sf, bad, good)
    assert out["hasErrors"] is True
    assert out["results"][0]["statusCode"] == 400
    assert out["results"][0]["result"][0]["errorCode"] == "INVALID_FIELD"
    assert out["results"][1]["statusCode"] == 200
    before = used(sandbox)
    halted = batch(sf, bad, good, good, halt=True)["results"]
    assert [r["statusCode"] for r in halted] == [400, 412, 412]
    assert halted[1]["result"][0]["errorCode"] == "BATCH_PROCESSING_HALTED"
    assert used(sandbox) == before + 1  # halted subrequests do not run
    missing = batch(sf, ("GET", "v60.0/sobjects/Nope/describe"))["results"][0]
    assert (missing["statusCode"], missing["result"][0]["errorCode"]) == (404, "NOT_FOUND")


@pytest.mark.parametrize(("subs", "code"), [
    ([("GET", "v60.0/jobs/query")], "INVALID_BATCH_REQUEST"),
    ([("GET", "v60.0/tooling/query/?q=SELECT+Id+FROM+CustomField")], "INVALID_BATCH_REQUEST"),
    ([("GET", "v61.0/limits")], "INVALID_BATCH_REQUEST"),  # newer than the batch
    ([("GET", "v33.0/limits")], "INVALID_BATCH_REQUEST"),
    ([("FETCH", "v60.0/limits")], "INVALID_BATCH_REQUEST"),
    ([("GET", "limits")], "INVALID_BATCH_REQUEST"),
    ([("GET", "v60.0/limits")] * 26, "LIMIT_EXCEEDED"),
    ([], "INVALID_BATCH_REQUEST"),
])
def test_malformed_batches_are_refused_whole(sf: Salesforce, sandbox: Sandbox,
                                             subs: list[tuple[str, str]], code: str) -> None:
    before = used(sandbox)
    with pytest.raises(SalesforceMalformedRequest) as err:
        batch(sf, *subs)
    assert err.value.content[0]["errorCode"] == code
    assert used(sandbox) == before + 1


def test_faults_apply_per_subrequest(sf: Salesforce, stats: Sandbox) -> None:
    stats.faults.add({"kind": "status", "status": 503, "path": "/query", "count": 1})
    stats.faults.add({"kind": "drop", "path": "/limits"})  # network-only: no effect inside
    out = batch(sf, ("GET", Q + "SELECT+COUNT()+FROM+Lead"),
                ("GET", Q + "SELECT+COUNT()+FROM+Lead"), ("GET", "v60.0/limits"))
    codes = [r["statusCode"] for r in out["results"]]
    assert codes == [503, 200, 200]
    assert out["results"][0]["result"][0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert stats.stats()["faults"] == {"status": 1}


def test_session_expiry_and_spent_allowance_inside_a_batch(sf: Salesforce,
                                                           sandbox: Sandbox) -> None:
    usage = sandbox.salesforce.ctx.usage
    cap = usage.cap
    usage.cap = usage.snapshot()[0] + 2
    try:
        out = batch(sf, *[("GET", "v60.0/limits")] * 3)
    finally:
        usage.cap = cap
    assert [r["statusCode"] for r in out["results"]] == [200, 200, 403]
    assert out["results"][2]["result"][0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_an_expired_session_fails_the_rest_of_the_batch(sandbox: Sandbox, sf: Salesforce) -> None:
    token = sandbox.salesforce.ctx.sessions.issue()
    own = Salesforce(instance_url=sf.base_url.split("/services")[0], session_id=token,
                     session=sf.session, version="60.0")
    sandbox.faults.add({"kind": "expire_session", "path": "/limits", "count": 1})
    out = batch(own, ("GET", Q + "SELECT+COUNT()+FROM+Lead"), ("GET", "v60.0/limits"),
                ("GET", Q + "SELECT+COUNT()+FROM+Lead"))
    assert [r["statusCode"] for r in out["results"]] == [200, 401, 401]
    assert out["results"][2]["result"][0]["errorCode"] == "INVALID_SESSION_ID"
