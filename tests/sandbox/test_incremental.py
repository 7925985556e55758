"""What an incremental Salesforce pull relies on: SystemModstamp windows ordered by
(SystemModstamp, Id), queryAll with IsDeleted, COUNT() and Sforce-Limit-Info."""

from __future__ import annotations

import datetime as dt

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_sandbox import Sandbox
from crm_sandbox.ids import sf_id

from .conftest import api, auth

pytestmark = pytest.mark.e2e


def soql_ts(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_modstamp_window_ordered_by_stamp_then_id(sf: Salesforce, sandbox: Sandbox) -> None:
    org = sandbox.org
    org.advance_clock(dt.timedelta(minutes=5))
    since = org.clock.now()
    org.advance_clock(dt.timedelta(seconds=30))
    first = org.keys("accounts", "NOT is_deleted", limit=3)
    later = org.keys("accounts", f"NOT is_deleted AND n > {max(first)}", limit=2)
    org.touch("accounts", first)
    org.advance_clock(dt.timedelta(seconds=30))
    org.touch("accounts", later)
    got = sf.query_all(f"SELECT Id, SystemModstamp FROM Account WHERE SystemModstamp > "
                       f"{soql_ts(since)} ORDER BY SystemModstamp, Id")["records"]
    ids = [r["Id"] for r in got]
    assert ids == sorted(sf_id("001", k) for k in first) + sorted(sf_id("001", k) for k in later)
    stamps = [r["SystemModstamp"] for r in got]
    assert stamps == sorted(stamps)
    assert stamps[0].endswith("+0000")
    count = sf.query(f"SELECT COUNT() FROM Account WHERE SystemModstamp > {soql_ts(since)}")
    assert (count["totalSize"], count["records"], count["done"]) == (5, [], True)


def test_modstamp_window_pages_in_order(sf: Salesforce, sandbox: Sandbox) -> None:
    """A window larger than a page is served in (SystemModstamp, Id) order across pages."""
    org = sandbox.org
    org.advance_clock(dt.timedelta(minutes=5))
    since = org.clock.now()
    org.advance_clock(dt.timedelta(seconds=1))
    org.touch("leads")  # every lead, one stamp: the order falls to Id
    page = sf.query(f"SELECT Id FROM Lead WHERE SystemModstamp > {soql_ts(since)} "
                    "ORDER BY SystemModstamp, Id", headers={"Sforce-Query-Options":
                                                           "batchSize=200"})
    assert len(page["records"]) == 200
    assert not page["done"]
    ids = [r["Id"] for r in sf.query_all_iter(
        f"SELECT Id FROM Lead WHERE SystemModstamp > {soql_ts(since)} "
        "ORDER BY SystemModstamp, Id")]
    assert ids == sorted(ids)
    assert len(ids) == org.count("leads")


def test_deletes_since_through_query_all(sf: Salesforce, sandbox: Sandbox) -> None:
    """Deleting bumps SystemModstamp; queryAll sees the row with IsDeleted, query does not."""
    org = sandbox.org
    org.advance_clock(dt.timedelta(minutes=5))
    since = org.clock.now()
    org.advance_clock(dt.timedelta(seconds=1))
    keys = org.keys("opportunities", "NOT is_deleted", limit=2)
    org.soft_delete("opportunities", keys)
    where = f"WHERE SystemModstamp > {soql_ts(since)} AND IsDeleted = true"
    gone = sf.query_all(f"SELECT Id, IsDeleted FROM Opportunity {where} ORDER BY "
                        "SystemModstamp, Id", include_deleted=True)["records"]
    assert [r["Id"] for r in gone] == sorted(sf_id("006", k) for k in keys)
    assert all(r["IsDeleted"] for r in gone)
    assert sf.query(f"SELECT COUNT() FROM Opportunity {where}")["totalSize"] == 0
    # query_all would count the (empty) records list: COUNT() answers in totalSize
    assert sf.query(f"SELECT COUNT() FROM Opportunity {where}",
                    include_deleted=True)["totalSize"] == 2
    org.undelete("opportunities", keys)


def test_count_semantics(sf: Salesforce, sandbox: Sandbox) -> None:
    """COUNT() honours LIMIT, counts nothing twice, and refuses ORDER BY (SOQL guide)."""
    assert sf.query("SELECT COUNT() FROM Lead LIMIT 7")["totalSize"] == 7
    assert sf.query("SELECT COUNT() FROM Lead")["totalSize"] == sandbox.org.count("leads")
    with pytest.raises(SalesforceMalformedRequest) as err:
        sf.query("SELECT COUNT() FROM Lead ORDER BY Id")
    assert err.value.content[0]["errorCode"] == "MALFORMED_QUERY"


@pytest.mark.parametrize("path", [
    "query/?q=SELECT+Id+FROM+Account+LIMIT+1", "query/?q=SELECT+COUNT()+FROM+Account",
    "queryAll/?q=SELECT+Id+FROM+Account+LIMIT+1", "query/?q=SELECT+Nope+FROM+Account",
    "sobjects/Account/describe", "sobjects/Nope/describe", "limits",
    "sobjects/Account/updated/?start=2000-01-01T00:00:00Z&end=2000-01-02T00:00:00Z",
])
def test_every_answer_reports_api_usage(sandbox: Sandbox, http: requests.Session,
                                        path: str) -> None:
    before = sandbox.salesforce.ctx.usage.snapshot()[0]
    r = http.get(api(sandbox, path), headers=auth(sandbox), timeout=30)
    used, cap = (int(x) for x in r.headers["Sforce-Limit-Info"].split("=")[1].split("/"))
    assert used == before + 1
    assert cap == sandbox.daily_api_limit
